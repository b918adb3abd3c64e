// SPDX-License-Identifier: GPL-2.0
/*
 * build/libkslab-malloc.so and .a: the C library's allocation functions,
 * under their own names, served by kslab (userspace/malloc.c has the
 * work). Preloaded (LD_PRELOAD) or linked ahead of the C library, these
 * definitions are the ones every malloc call in the process binds to,
 * the C library's own calls included.
 *
 * The shared object is linked -Bsymbolic-functions, so the forwarding
 * calls below bind to kslab_* inside it and cost one jump each.
 *
 * A process whose malloc is this one stops at heap corruption, as it
 * would with the C library's: KSLAB_ON_CORRUPTION=continue carries on
 * (kslab_malloc_option_default(), which userspace/env.c asks).
 *
 * glibc's introspection calls answer from kslab (userspace/malloc_info.c):
 * under kslab the C library's own would describe its empty arena.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <kslab/malloc.h>
#include <kslab/slab.h>

const char *kslab_malloc_option_default(const char *name);

const char *kslab_malloc_option_default(const char *name)
{
	return strcmp(name, "KSLAB_ON_CORRUPTION") ? NULL : "abort";
}

void *malloc(size_t size)
{
	return kslab_malloc(size);
}

void free(void *p)
{
	kslab_free(p);
}

void *calloc(size_t n, size_t size)
{
	return kslab_calloc(n, size);
}

/* C23 */
void free_sized(void *p, size_t size)
{
	kslab_free_sized(p, size);
}

void free_aligned_sized(void *p, size_t align, size_t size)
{
	kslab_free_aligned_sized(p, align, size);
}

void *realloc(void *p, size_t size)
{
	return kslab_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	return kslab_reallocarray(p, n, size);
}

int posix_memalign(void **p, size_t align, size_t size)
{
	return kslab_posix_memalign(p, align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	return kslab_aligned_alloc(align, size);
}

void *memalign(size_t align, size_t size)
{
	return kslab_memalign(align, size);
}

void *valloc(size_t size)
{
	return kslab_valloc(size);
}

void *pvalloc(size_t size)
{
	return kslab_pvalloc(size);
}

size_t malloc_usable_size(void *p)
{
	return kslab_malloc_usable_size(p);
}

int malloc_trim(size_t pad)
{
	return kslab_malloc_trim(pad);
}

/*
 * glibc's fields: arena is kslab's zone, hblks and hblkhd its large
 * allocations, uordblks and fordblks the zone's memory in use and free
 * (free objects in caches included), keepcost what malloc_trim() could
 * give back.
 */
struct mallinfo2 mallinfo2(void)
{
	struct kslab_memory_stats ms;
	struct mallinfo2 mi;

	kslab_memory_stats(&ms);
	memset(&mi, 0, sizeof(mi));
	mi.arena = ms.zone_bytes;
	mi.ordblks = ms.cached_objs;
	mi.hblks = ms.large_blocks;
	mi.hblkhd = ms.large_bytes;
	mi.uordblks = ms.in_use_bytes - ms.large_bytes;
	mi.fordblks = ms.zone_free_bytes + ms.cached_bytes;
	mi.keepcost = ms.zone_free_bytes + ms.large_kept_bytes;
	return mi;
}

static int clamp_int(size_t n)
{
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* The old int form, each field capped at INT_MAX. */
struct mallinfo mallinfo(void)
{
	struct mallinfo2 mi2 = mallinfo2();
	struct mallinfo mi;

	memset(&mi, 0, sizeof(mi));
	mi.arena = clamp_int(mi2.arena);
	mi.ordblks = clamp_int(mi2.ordblks);
	mi.hblks = clamp_int(mi2.hblks);
	mi.hblkhd = clamp_int(mi2.hblkhd);
	mi.uordblks = clamp_int(mi2.uordblks);
	mi.fordblks = clamp_int(mi2.fordblks);
	mi.keepcost = clamp_int(mi2.keepcost);
	return mi;
}

void malloc_stats(void)
{
	char text[512];

	kslab_malloc_stats_format(text, sizeof(text));
	fputs(text, stderr);
}

/* The text grows between two looks at it: room to spare, and try again. */
int malloc_info(int options, FILE *fp)
{
	size_t size = 4096, len;
	char *text;

	if (options) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		text = kslab_malloc(size);
		if (!text)
			return -1;
		len = kslab_malloc_info_format(text, size);
		if (len < size)
			break;
		kslab_free(text);
		size = len + 1024;
	}
	fputs(text, fp);
	kslab_free(text);
	return 0;
}
