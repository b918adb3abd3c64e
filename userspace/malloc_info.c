// SPDX-License-Identifier: GPL-2.0
/*
 * The C library's malloc introspection, answered by kslab
 * (userspace/malloc/preload.c gives them glibc's names): malloc_trim()
 * gives memory back now; malloc_stats() and malloc_info() describe it in
 * glibc's shapes, from kslab_memory_stats(). kslab is one arena to them:
 * arena 0 is the default zone with every cache on it, and glibc's mmapped
 * chunks are kmalloc's large allocations, which the environment maps
 * apart from the zone.
 *
 * Owns nothing; takes kslab_caches_lock through kslab_memory_stats() and
 * kslab_cache_stats(), never under a lock of its own.
 */
#include <kslab/buddy.h>
#include <kslab/malloc.h>
#include <kslab/slab.h>

#include "../mm/check.h"
#include "../mm/kmalloc.h"

int kslab_malloc_trim(size_t pad)
{
	unsigned long discarded;
	int pages;

	/* No heap top here to leave @pad bytes at: chunks and blocks go. */
	(void)pad;
	pages = kslab_shrink_all();
	discarded = kslab_zone_discard_free(kslab_default_zone());
	return pages > 0 || discarded > 0;
}

/* The figures both texts are made of, and @buf an empty text. */
static void text_start(char *buf, size_t size, struct kslab_memory_stats *ms)
{
	kslab_memory_stats(ms);
	if (size)
		buf[0] = '\0';
}

size_t kslab_malloc_stats_format(char *buf, size_t size)
{
	struct kslab_memory_stats ms;
	size_t len;

	text_start(buf, size, &ms);
	len = kslab_append(buf, size, 0,
			   "Arena 0:\nsystem bytes     = %10zu\nin use bytes     = %10zu\n",
			   ms.zone_bytes, ms.in_use_bytes - ms.large_bytes);
	len = kslab_append(buf, size, len,
			   "Total (incl. mmap):\nsystem bytes     = %10zu\nin use bytes     = %10zu\n",
			   ms.zone_bytes + ms.large_bytes + ms.large_kept_bytes,
			   ms.in_use_bytes);
	return kslab_append(buf, size, len,
			    "max mmap regions = %10lu\nmax mmap bytes   = %10zu\n",
			    ms.large_peak_blocks, ms.large_peak_bytes);
}

/* One <size> line for each kmalloc class with free blocks: glibc's bins. */
static size_t class_sizes_format(char *buf, size_t size, size_t len)
{
	struct kslab_cache_stats st;
	struct kslab_cache *cache;
	unsigned long free_objs, from = 1;
	unsigned int i;

	for (i = 0; i < KSLAB_KMALLOC_CLASSES; i++) {
		cache = kslab_kmalloc_class(i);
		if (!cache)
			continue;
		kslab_cache_stats(cache, &st);
		free_objs = st.num_objs - st.active_objs + st.magazine_objs +
			    st.delayed_objs;
		if (free_objs)
			len = kslab_append(buf, size, len,
					   "  <size from=\"%lu\" to=\"%lu\" total=\"%lu\" count=\"%lu\"/>\n",
					   from, st.object_size,
					   free_objs * st.object_size, free_objs);
		from = st.object_size + 1;
	}
	return len;
}

/*
 * The totals glibc gives per heap and again for the process; kslab keeps
 * no peak of the zone, so its "max" is the current size.
 */
static size_t totals_format(char *buf, size_t size, size_t len,
			    const struct kslab_memory_stats *ms, bool mmap)
{
	len = kslab_append(buf, size, len,
			   "<total type=\"fast\" count=\"0\" size=\"0\"/>\n<total type=\"rest\" count=\"%lu\" size=\"%zu\"/>\n",
			   ms->cached_objs, ms->cached_bytes + ms->zone_free_bytes);
	if (mmap)
		len = kslab_append(buf, size, len,
				   "<total type=\"mmap\" count=\"%lu\" size=\"%zu\"/>\n",
				   ms->large_blocks, ms->large_bytes);
	return kslab_append(buf, size, len,
			    "<system type=\"current\" size=\"%zu\"/>\n<system type=\"max\" size=\"%zu\"/>\n<aspace type=\"total\" size=\"%zu\"/>\n<aspace type=\"mprotect\" size=\"%zu\"/>\n",
			    ms->zone_bytes, ms->zone_bytes, ms->zone_bytes,
			    ms->zone_bytes);
}

size_t kslab_malloc_info_format(char *buf, size_t size)
{
	struct kslab_memory_stats ms;
	size_t len;

	text_start(buf, size, &ms);
	len = kslab_append(buf, size, 0,
			   "<malloc version=\"1\">\n<heap nr=\"0\">\n<sizes>\n");
	len = class_sizes_format(buf, size, len);
	len = kslab_append(buf, size, len, "</sizes>\n");
	len = totals_format(buf, size, len, &ms, false);
	len = kslab_append(buf, size, len, "</heap>\n");
	len = totals_format(buf, size, len, &ms, true);
	return kslab_append(buf, size, len, "</malloc>\n");
}
