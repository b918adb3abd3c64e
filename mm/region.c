// SPDX-License-Identifier: GPL-2.0
/*
 * Regions (<kslab/region.h>, Documentation/region.rst): arenas over buddy
 * blocks. Each allocation bumps a cursor through the newest block; a
 * block too small for the next object is left behind and a new one,
 * twice as large as the last (up to a max-order block), is taken. Large
 * objects may instead get kmalloc memory of their own.
 *
 * Owns each region's blocks, its records and its counters, and the list
 * of all regions. Everything a region keeps lives in its own memory: a
 * block starts with its header (the link to the block taken before it),
 * and the records of marks and of kmalloc objects are small allocations
 * from the region, so each of the three lists is newest first and a
 * reset to a mark only has to pop what lies above the mark's own record.
 * A mark names its record by a serial number drawn from one counter for
 * all regions: reset_to() looks for it among the region's live marks, so
 * a stale mark or another region's is found wanting, never followed.
 *
 * For memory checkers (the port's marks, nothing outside the ASan and
 * memcheck builds) the bytes of a block past its cursor are closed: the
 * region opens what it hands out, closes again what a reset takes back,
 * so a use after a reset is caught, and gives a block back open.
 *
 * A region has one owner and no lock of its own: its calls must not
 * overlap. Its counters are written with marked stores so that
 * kslab_regioninfo_format() may read them from another thread.
 * Lock order: regions_lock (a spinlock: linking and unlinking a region,
 * and the listing) takes nothing else; the blocks, kmalloc memory and
 * descriptors are taken and given back with no lock held.
 */
#include <kslab/kmalloc.h>
#include <kslab/region.h>
#include <kslab/report.h>

#include "check.h"
#include "fault.h"
#include "kmalloc_guard.h"	/* kslab_kmalloc_block_order() */
#include "list.h"
#include "name.h"
#include "region.h"

#define REGION_NAME_LEN		32
#define REGION_MAX_BYTES	(KSLAB_PAGE_SIZE << KSLAB_MAX_ORDER)

/* At the start of every block. */
struct region_block {
	struct region_block *older;
	unsigned int order;
};

/* A kmalloc object's record, allocated from the region. */
struct region_large {
	struct region_large *older;
	void *obj;
	size_t size;
};

/* A mark's record: what the region held when it was taken. */
struct region_mark {
	struct region_mark *older;
	unsigned long serial;
	char *cur;			/* just after this record */
	struct region_block *newest;
	unsigned long requested;
	struct region_large *large;
	unsigned long nr_large;
	unsigned long large_bytes;
};

struct kslab_region {
	char *cur;			/* next free byte of the newest block */
	char *end;			/* the newest block's end */
	unsigned long requested;	/* bytes asked for, in blocks */
	unsigned long allocs;
	struct region_block *newest;
	unsigned long nr_blocks;
	unsigned long block_bytes;
	unsigned int next_order;	/* of the next block taken */
	struct region_large *large;
	unsigned long nr_large;
	unsigned long large_bytes;
	struct region_mark *marks;	/* the newest live mark */
	unsigned long peak_used;
	unsigned long peak_block_bytes;
	unsigned long grows;
	unsigned long resets;
	unsigned long alloc_failures;
	struct kslab_zone *zone;
	unsigned long flags;
	struct kslab_list_head node;	/* regions */
	char name[REGION_NAME_LEN];
};

static struct kslab_list_head regions = { &regions, &regions };
static KSLAB_DEFINE_SPINLOCK(regions_lock);
static struct kslab_atomic mark_serial = KSLAB_ATOMIC_INIT(0);

#define REGION_SET(field, value)	KSLAB_WRITE_ONCE(field, value)

static bool power_of_two(size_t x)
{
	return x && !(x & (x - 1));
}

static unsigned long block_size(const struct region_block *block)
{
	return KSLAB_PAGE_SIZE << block->order;
}

static struct kslab_region *region_new(struct kslab_zone *zone,
				       const char *name, size_t chunk_size,
				       unsigned long flags)
{
	struct kslab_region *r;

	if (!chunk_size || chunk_size > REGION_MAX_BYTES ||
	    (flags & ~KSLAB_REGION_KMALLOC_LARGE)) {
		kslab_report(KSLAB_LOG_ERR,
			     "region %s not created: chunk size %zu (1 to %lu) or flags %#lx invalid",
			     name, chunk_size, REGION_MAX_BYTES, flags);
		return NULL;
	}
	r = kslab_meta_alloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	r->zone = zone;
	r->flags = flags;
	r->next_order = kslab_kmalloc_block_order(chunk_size);
	kslab_name_copy(r->name, sizeof(r->name), name);
	kslab_spin_lock(&regions_lock);
	kslab_list_add_tail(&r->node, &regions);
	kslab_spin_unlock(&regions_lock);
	return r;
}

struct kslab_region *kslab_region_create(const char *name, size_t chunk_size,
					 unsigned long flags)
{
	return region_new(NULL, name, chunk_size, flags);
}

struct kslab_region *kslab_region_create_zone(struct kslab_zone *zone,
					      const char *name,
					      size_t chunk_size,
					      unsigned long flags)
{
	return region_new(zone, name, chunk_size, flags);
}

/* Where an object of @size aligned to @align would end in the newest block. */
static char *bump_end(const struct kslab_region *r, size_t size, size_t align,
		      char **start)
{
	unsigned long cur = (unsigned long)r->cur;
	unsigned long s = KSLAB_ALIGN_UP(cur, align);

	*start = (char *)s;
	if (s < cur || s + size < s || s + size > (unsigned long)r->end)
		return NULL;
	return (char *)(s + size);
}

/* Move the cursor past an object, opening it for memory checkers. */
static void take(struct kslab_region *r, char *start, char *end)
{
	REGION_SET(r->cur, end);
	kslab_env_mem_open(start, (size_t)(end - start));
}

/* Take back the newest block's bytes from @from on: closed again. */
static void rewind_to(struct kslab_region *r, char *from)
{
	REGION_SET(r->cur, from);
	kslab_env_mem_close(from, (size_t)(r->end - from));
}

/* Count an allocation the caller asked for. */
static void *counted(struct kslab_region *r, void *p, size_t size, gfp_t gfp)
{
	REGION_SET(r->requested, r->requested + size);
	REGION_SET(r->allocs, r->allocs + 1);
	if (gfp & __GFP_ZERO)
		kslab_memset(p, 0, size);
	return p;
}

/* Give back blocks newest first until @keep is the newest. */
static void pop_blocks(struct kslab_region *r, struct region_block *keep)
{
	while (r->newest != keep) {
		struct region_block *block = r->newest;
		unsigned long bytes = block_size(block);

		r->newest = block->older;
		REGION_SET(r->nr_blocks, r->nr_blocks - 1);
		REGION_SET(r->block_bytes, r->block_bytes - bytes);
		kslab_env_mem_open(block, bytes);
		kslab_free_pages(block, block->order);
	}
}

/* Free kmalloc objects newest first until @keep is the newest record. */
static void pop_large(struct kslab_region *r, struct region_large *keep)
{
	while (r->large != keep) {
		struct region_large *rec = r->large;

		r->large = rec->older;
		kslab_kfree(rec->obj);
	}
}

/*
 * Take a block that holds @size bytes aligned to @align after its header
 * and make it the newest. Return: false, the region unchanged, if no
 * block is large enough or none could be had.
 */
static bool region_grow(struct kslab_region *r, size_t size, size_t align,
			gfp_t gfp)
{
	size_t head = KSLAB_ALIGN_UP(sizeof(struct region_block), align);
	struct region_block *block;
	unsigned int order;

	/* A block aligned to its size is aligned to @align if that is no larger. */
	if (size > REGION_MAX_BYTES || head > REGION_MAX_BYTES - size)
		return false;
	order = kslab_kmalloc_block_order(head + size);
	if (order < r->next_order)
		order = r->next_order;
	gfp &= ~(gfp_t)__GFP_ZERO;
	block = r->zone ? kslab_zone_alloc_pages(r->zone, gfp, order) :
			  kslab_alloc_pages(gfp, order);
	if (!block)
		return false;
	block->older = r->newest;
	block->order = order;
	r->newest = block;
	REGION_SET(r->end, (char *)block + block_size(block));
	rewind_to(r, (char *)(block + 1));
	REGION_SET(r->nr_blocks, r->nr_blocks + 1);
	REGION_SET(r->block_bytes, r->block_bytes + block_size(block));
	if (r->block_bytes > r->peak_block_bytes)
		REGION_SET(r->peak_block_bytes, r->block_bytes);
	REGION_SET(r->grows, r->grows + 1);
	r->next_order = order < KSLAB_MAX_ORDER ? order + 1 : order;
	return true;
}

/*
 * Carve @size bytes aligned to @align from the blocks, taking a new one if
 * need be; not counted as an allocation (records use it too).
 */
static void *region_carve(struct kslab_region *r, size_t size, size_t align,
			  gfp_t gfp)
{
	char *start, *end = bump_end(r, size, align, &start);

	if (!end) {
		if (!region_grow(r, size, align, gfp))
			return NULL;
		end = bump_end(r, size, align, &start);
		KSLAB_BUG_ON(!end);
	}
	take(r, start, end);
	return start;
}

/* Would @size bytes aligned to @align take more than a quarter of the next block? */
static bool region_large(const struct kslab_region *r, size_t size,
			 size_t align)
{
	unsigned long quarter = (KSLAB_PAGE_SIZE << r->next_order) / 4;

	return size > quarter || align > quarter;
}

/*
 * kmalloc memory for an object, and its record in the region. The object
 * comes first: a record that cannot be had frees it, so a failure leaves
 * nothing behind but, at most, a block the region keeps.
 */
static void *region_alloc_large(struct kslab_region *r, size_t size,
				size_t align, gfp_t gfp)
{
	struct region_large *rec;
	void *obj = kslab_kmalloc_aligned(size, align, gfp);

	if (!obj)
		goto fail;
	rec = region_carve(r, sizeof(*rec), sizeof(void *), gfp);
	if (!rec) {
		kslab_kfree(obj);
		goto fail;
	}
	rec->obj = obj;
	rec->size = size;
	rec->older = r->large;
	r->large = rec;
	REGION_SET(r->nr_large, r->nr_large + 1);
	REGION_SET(r->large_bytes, r->large_bytes + size);
	REGION_SET(r->allocs, r->allocs + 1);
	return obj;
fail:
	REGION_SET(r->alloc_failures, r->alloc_failures + 1);
	return NULL;
}

static kslab_noinline void *region_alloc_slow(struct kslab_region *r,
					      size_t size, size_t align,
					      gfp_t gfp)
{
	void *p;

	if (!power_of_two(align)) {
		kslab_report(KSLAB_LOG_ERR,
			     "region %s: alignment %zu is not a power of two",
			     r->name, align);
		return NULL;
	}
	if ((r->flags & KSLAB_REGION_KMALLOC_LARGE) && region_large(r, size, align))
		return region_alloc_large(r, size, align, gfp);
	p = region_carve(r, size, align, gfp);
	if (p)
		return counted(r, p, size, gfp);
	REGION_SET(r->alloc_failures, r->alloc_failures + 1);
	return NULL;
}

void *kslab_region_alloc(struct kslab_region *r, size_t size, size_t align,
			 gfp_t gfp)
{
	char *start, *end;

	if (!align)
		align = KSLAB_REGION_MIN_ALIGN;
	if (!size)
		size = 1;
	if (kslab_likely(power_of_two(align))) {
		end = bump_end(r, size, align, &start);
		if (kslab_likely(end != NULL)) {
			take(r, start, end);
			return counted(r, start, size, gfp);
		}
	}
	return region_alloc_slow(r, size, align, gfp);
}

static unsigned long region_used(const struct kslab_region *r)
{
	return KSLAB_READ_ONCE(r->requested) + KSLAB_READ_ONCE(r->large_bytes);
}

/* Before what the region holds falls: its peak may be now. */
static void note_peak(struct kslab_region *r)
{
	unsigned long used = region_used(r);

	if (used > r->peak_used)
		REGION_SET(r->peak_used, used);
}

unsigned long kslab_region_mark(struct kslab_region *r, gfp_t gfp)
{
	struct region_mark *m = region_carve(r, sizeof(*m), sizeof(void *), gfp);

	if (!m) {
		REGION_SET(r->alloc_failures, r->alloc_failures + 1);
		return 0;
	}
	m->serial = (unsigned long)kslab_atomic_add_return(&mark_serial, 1);
	m->older = r->marks;
	m->cur = r->cur;
	m->newest = r->newest;
	m->requested = r->requested;
	m->large = r->large;
	m->nr_large = r->nr_large;
	m->large_bytes = r->large_bytes;
	r->marks = m;
	return m->serial;
}

int kslab_region_reset_to(struct kslab_region *r, unsigned long mark)
{
	struct region_mark *m;

	for (m = r->marks; m; m = m->older)
		if (m->serial == mark)
			break;
	if (!m) {
		kslab_report(KSLAB_LOG_ERR,
			     "region %s: reset to mark %lu it does not hold (stale, another region's or never made); nothing changed",
			     r->name, mark);
		return -1;
	}
	note_peak(r);
	pop_large(r, m->large);
	pop_blocks(r, m->newest);
	REGION_SET(r->end, (char *)m->newest + block_size(m->newest));
	rewind_to(r, m->cur);
	REGION_SET(r->requested, m->requested);
	REGION_SET(r->nr_large, m->nr_large);
	REGION_SET(r->large_bytes, m->large_bytes);
	REGION_SET(r->resets, r->resets + 1);
	r->marks = m;
	return 0;
}

void kslab_region_reset(struct kslab_region *r)
{
	struct region_block *keep = r->newest;

	note_peak(r);
	pop_large(r, NULL);
	REGION_SET(r->nr_large, 0);
	REGION_SET(r->large_bytes, 0);
	r->marks = NULL;
	REGION_SET(r->requested, 0);
	REGION_SET(r->resets, r->resets + 1);
	if (!keep)
		return;
	/* Blocks grow, so the newest is the largest: keep it alone. */
	r->newest = keep->older;
	pop_blocks(r, NULL);
	keep->older = NULL;
	r->newest = keep;
	REGION_SET(r->nr_blocks, 1);
	REGION_SET(r->block_bytes, block_size(keep));
	rewind_to(r, (char *)(keep + 1));
}

void kslab_region_destroy(struct kslab_region *r)
{
	if (!r)
		return;
	kslab_spin_lock(&regions_lock);
	kslab_list_del(&r->node);
	kslab_spin_unlock(&regions_lock);
	pop_large(r, NULL);
	pop_blocks(r, NULL);
	kslab_env_meta_free(r, sizeof(*r));
}

/* The figures, read as another thread may read them. */
static void region_read(struct kslab_region *r, struct kslab_region_stats *st)
{
	char *cur = KSLAB_READ_ONCE(r->cur), *end = KSLAB_READ_ONCE(r->end);
	unsigned long used = KSLAB_READ_ONCE(r->requested);
	unsigned long bytes = KSLAB_READ_ONCE(r->block_bytes);
	unsigned long consumed = 0;

	st->blocks = KSLAB_READ_ONCE(r->nr_blocks);
	st->block_bytes = bytes;
	st->free_bytes = cur && end > cur ? (unsigned long)(end - cur) : 0;
	/* Without the owner's help, figures caught mid-change must not wrap. */
	if (bytes >= st->free_bytes)
		consumed = bytes - st->free_bytes;
	st->used_bytes = used;
	st->wasted_bytes = consumed > used ? consumed - used : 0;
	st->large_objects = KSLAB_READ_ONCE(r->nr_large);
	st->large_bytes = KSLAB_READ_ONCE(r->large_bytes);
	st->peak_used = KSLAB_READ_ONCE(r->peak_used);
	if (used + st->large_bytes > st->peak_used)
		st->peak_used = used + st->large_bytes;
	st->peak_block_bytes = KSLAB_READ_ONCE(r->peak_block_bytes);
	st->allocs = KSLAB_READ_ONCE(r->allocs);
	st->grows = KSLAB_READ_ONCE(r->grows);
	st->resets = KSLAB_READ_ONCE(r->resets);
	st->alloc_failures = KSLAB_READ_ONCE(r->alloc_failures);
}

void kslab_region_stats(struct kslab_region *r,
			struct kslab_region_stats *stats)
{
	note_peak(r);
	region_read(r, stats);
}

static size_t region_header(char *buf, size_t size, size_t len)
{
	len = kslab_append(buf, size, len, "regioninfo - version: 1.0\n");
	return kslab_append(buf, size, len,
			    "# name            <blocks> <block_bytes> <used> <wasted> <free> : large <objects> <bytes> : peak <used> <block_bytes> : events <allocs> <grows> <resets> <failures>\n");
}

static size_t region_line(struct kslab_region *r, char *buf, size_t size,
			  size_t len)
{
	struct kslab_region_stats st;

	region_read(r, &st);
	return kslab_append(buf, size, len,
			    "%-17s %6lu %10lu %10lu %8lu %8lu : large %6lu %10lu : peak %10lu %10lu : events %lu %lu %lu %lu\n",
			    r->name, st.blocks, st.block_bytes, st.used_bytes,
			    st.wasted_bytes, st.free_bytes, st.large_objects,
			    st.large_bytes, st.peak_used, st.peak_block_bytes,
			    st.allocs, st.grows, st.resets, st.alloc_failures);
}

size_t kslab_region_format(struct kslab_region *r, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	note_peak(r);
	return region_line(r, buf, size, region_header(buf, size, 0));
}

size_t kslab_regioninfo_format(char *buf, size_t size)
{
	struct kslab_region *r;
	size_t len;

	if (size)
		buf[0] = '\0';
	len = region_header(buf, size, 0);
	kslab_spin_lock(&regions_lock);
	kslab_list_for_each_entry(r, &regions, node)
		len = region_line(r, buf, size, len);
	kslab_spin_unlock(&regions_lock);
	return len;
}

/**
 * kslab_regions_exit() - report and destroy every region still alive
 *
 * For kslab_shutdown(), before kmalloc's classes go: a region left at
 * the module's unload is its user's bug, but its memory is kslab's to
 * give back. Nothing may use kslab meanwhile.
 * Return: the number of regions reported.
 */
unsigned long kslab_regions_exit(void)
{
	unsigned long left = 0;

	for (;;) {
		struct kslab_region *r = NULL;

		kslab_spin_lock(&regions_lock);
		if (!kslab_list_empty(&regions))
			r = kslab_container_of(regions.next, struct kslab_region,
					       node);
		kslab_spin_unlock(&regions_lock);
		if (!r)
			return left;
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: region still exists at unload, %lu blocks and %lu kmalloc objects given back",
			     r->name, r->nr_blocks, r->nr_large);
		kslab_region_destroy(r);
		left++;
	}
}

/**
 * kslab_regions_lock() - hold the list of regions, for fork()
 *
 * For kslab_lock_inner(); kslab_regions_unlock() releases it.
 */
void kslab_regions_lock(void)
{
	kslab_spin_lock(&regions_lock);
}

void kslab_regions_unlock(void)
{
	kslab_spin_unlock(&regions_lock);
}
