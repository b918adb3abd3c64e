// SPDX-License-Identifier: GPL-2.0
/*
 * Guarded large blocks: kmalloc's debug mode beyond the size classes
 * (Documentation/debugging.rst, "Large blocks").
 *
 * When KSLAB_DEBUG debugs kmalloc-large (any letters for every cache, or
 * a rule naming kmalloc-large or kmalloc-*) and the environment has guard
 * pages (KSLAB_ENV_GUARDS), every kmalloc beyond the classes gets a region
 * of its own, a buddy block or, beyond the largest, the environment's:
 *
 *   | record | front guard ... | slack | block ........ | rear guard |
 *
 * The record page holds what a report names: the block, its size, where
 * it was allocated and freed. The guards are closed pages, so an access
 * across either end of the block faults. The block ends where the rear
 * guard starts unless its alignment forbids; the slack on either side
 * holds a pattern checked on free, for an overflow or underflow too short
 * to reach a guard. Its alignment is what was asked, or else the largest
 * power of two dividing its size, up to a page: the kernel's natural
 * alignment, and 16 bytes or more for every malloc size.
 *
 * A freed block's pages are closed as well, which also gives their memory
 * back, and its region waits in a FIFO quarantine of KSLAB_QUARANTINE
 * regions before it is reused, so a read or write through a stale pointer
 * faults for as long as it waits. A fault on a guard or a freed block
 * comes to kslab_guard_fault() (kslab_env_watch_faults()), which reports
 * it with the block's sites and stops the program: the access cannot be
 * carried out.
 *
 * Every page of a region has the page word KSLAB_GUARD_TAG | its record,
 * so kfree, ksize and the fault handler find the record from any address
 * in it in O(1).
 *
 * Lock order: guard_lock comes last of mm/'s (kslab_lock_inner()) and is
 * never held across a call out of this file.
 */
#include <kslab/buddy.h>
#include <kslab/report.h>

#include "check.h"
#include "kmalloc_guard.h"
#include "slab_debug.h"

#define GUARD_NAME		"kmalloc-large"
#define SLACK_BYTE		0xbb
#define REGION_FROM_ENV		0xffU	/* order of an environment region */
#define GUARD_UNREAD		(-1)

struct guard_record {
	unsigned char *region;
	size_t region_size;
	unsigned int order;		/* buddy order, or REGION_FROM_ENV */
	bool freed;
	unsigned char *block;
	size_t size;
	struct kslab_track alloc;
	struct kslab_track free;
	struct guard_record *next;	/* in the quarantine */
};

static int guard_mode = GUARD_UNREAD;
static unsigned int quarantine_cap;
static unsigned int quarantine_len;
static struct guard_record *quarantine_oldest, *quarantine_newest;
static KSLAB_DEFINE_SPINLOCK(guard_lock);

/**
 * kslab_guard_on() - whether kmalloc guards its large blocks
 *
 * Reads KSLAB_DEBUG and KSLAB_QUARANTINE the first time, and then has
 * faults on closed pages watched.
 */
bool kslab_guard_on(void)
{
	int mode = kslab_load_acquire(&guard_mode);

	if (kslab_likely(mode != GUARD_UNREAD) || !KSLAB_ENV_GUARDS)
		return mode > 0;
	kslab_mutex_lock(&kslab_caches_lock);
	if (guard_mode == GUARD_UNREAD) {
		quarantine_cap = kslab_debug_quarantine_size();
		kslab_store_release(&guard_mode,
				    kslab_debug_flags_for(GUARD_NAME) != 0);
	}
	kslab_mutex_unlock(&kslab_caches_lock);
	if (guard_mode > 0)
		kslab_env_watch_faults();
	return guard_mode > 0;
}

static struct guard_record *record_of(unsigned long word)
{
	return (struct guard_record *)(word & KSLAB_GUARD_RECORD);
}

static void region_set_words(unsigned char *region, size_t size,
			     unsigned long word)
{
	size_t off;

	for (off = 0; off < size; off += KSLAB_PAGE_SIZE)
		*kslab_env_page_word(region + off) = word;
}

/* Give a region back: open, its words cleared, to where it came from. */
static void region_release(unsigned char *region, size_t size,
			   unsigned int order)
{
	if (!kslab_env_pages_open(region + KSLAB_PAGE_SIZE,
				  size - KSLAB_PAGE_SIZE)) {
		kslab_report(KSLAB_LOG_WARN,
			     "%s: cannot reopen the region at %p; keeping it",
			     GUARD_NAME, region);
		return;
	}
	region_set_words(region, size, 0);
	if (order == REGION_FROM_ENV)
		kslab_env_large_free(region, false);
	else
		kslab_free_pages(region, order);
}

/**
 * kslab_guard_alloc() - a guarded block
 * @size:   bytes, more than the classes serve
 * @align:  the alignment asked for; 0 for the natural one
 * @gfp:    allocation flags
 * @caller: the allocation's site
 *
 * Return: the block, or NULL.
 */
void *kslab_guard_alloc(size_t size, size_t align, gfp_t gfp,
			unsigned long caller)
{
	size_t natural = size & -size, need, region_size;
	unsigned char *region, *block, *data_end, *front_end;
	struct guard_record *record;
	unsigned int order;

	if (natural > KSLAB_PAGE_SIZE)
		natural = KSLAB_PAGE_SIZE;
	if (align < natural)
		align = natural;
	if (size > (size_t)-1 / 4 || align > (size_t)-1 / 4)
		return NULL;
	/* Record, front guard, the block's pages, room to align, rear guard. */
	need = 3 * KSLAB_PAGE_SIZE + KSLAB_ALIGN_UP(size, KSLAB_PAGE_SIZE) +
	       (align > KSLAB_PAGE_SIZE ? align : 0);
	if (need <= KSLAB_CHUNK_SIZE) {
		order = kslab_kmalloc_block_order(need);
		region = kslab_alloc_pages(gfp, order);
		region_size = KSLAB_PAGE_SIZE << order;
	} else {
		order = REGION_FROM_ENV;
		region = kslab_env_large_alloc(need, KSLAB_PAGE_SIZE, gfp);
		region_size = region ? kslab_env_large_size(region) : 0;
	}
	if (!region)
		return NULL;
	data_end = region + region_size - KSLAB_PAGE_SIZE;
	block = (unsigned char *)KSLAB_ALIGN_DOWN((unsigned long)(data_end - size),
						  align);
	front_end = (unsigned char *)KSLAB_ALIGN_DOWN((unsigned long)block,
						      KSLAB_PAGE_SIZE);
	if (!kslab_env_pages_close(region + KSLAB_PAGE_SIZE,
				   front_end - region - KSLAB_PAGE_SIZE) ||
	    !kslab_env_pages_close(data_end, KSLAB_PAGE_SIZE)) {
		region_release(region, region_size, order);
		return NULL;
	}
	record = (struct guard_record *)region;
	*record = (struct guard_record){ .region = region,
					 .region_size = region_size,
					 .order = order, .block = block,
					 .size = size };
	kslab_debug_track(&record->alloc, caller);
	kslab_memset(front_end, SLACK_BYTE, (size_t)(block - front_end));
	kslab_memset(block + size, SLACK_BYTE, (size_t)(data_end - block - size));
	region_set_words(region, region_size,
			 KSLAB_GUARD_TAG | (unsigned long)record);
	return block;
}

/**
 * kslab_guard_size() - the size of a live guarded block
 * @word: the page word of @p, a guarded region's
 * @p:    an address in the region
 *
 * Return: the block's size, or 0 if @p is not the start of a live block.
 */
size_t kslab_guard_size(unsigned long word, const void *p)
{
	const struct guard_record *record = record_of(word);

	if (p != record->block || KSLAB_READ_ONCE(record->freed))
		return 0;
	return record->size;
}

static void report_sites(const struct guard_record *record)
{
	kslab_debug_report_track("allocated", &record->alloc);
	kslab_debug_report_track("freed", &record->free);
}

/**
 * kslab_guard_bad() - report an address in a guarded region that is no
 * live block's start
 * @word:     its page word
 * @p:        the address
 * @op:       what was done with it: "free", "ksize", ...
 * @corrupts: whether @op would have changed memory (heap corruption)
 */
void kslab_guard_bad(unsigned long word, const void *p, const char *op,
		     bool corrupts)
{
	const struct guard_record *record = record_of(word);

	if (p == record->block)
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: %s of freed block object=%p size=%zu%s",
			     GUARD_NAME, op, p, record->size,
			     !corrupts ? "" : __builtin_strcmp(op, "free") ?
			     " (use after free)" : " (double free)");
	else
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: %s of address %p, offset %ld in block object=%p size=%zu",
			     GUARD_NAME, op, p,
			     (long)((const unsigned char *)p - record->block),
			     record->block, record->size);
	report_sites(record);
	if (corrupts)
		kslab_corrupted();
}

/* The slack around a block holds its pattern; else report the first wrong byte. */
static void slack_check(const struct guard_record *record)
{
	const unsigned char *p = (const unsigned char *)KSLAB_ALIGN_DOWN(
		(unsigned long)record->block, KSLAB_PAGE_SIZE);
	const unsigned char *end = record->region + record->region_size -
				   KSLAB_PAGE_SIZE;

	for (; p < end; p++) {
		if (p == record->block)
			p += record->size;
		if (p < end && *p != SLACK_BYTE)
			break;
	}
	if (p >= end)
		return;
	kslab_report(KSLAB_LOG_ERR,
		     "BUG %s: slack %s the block overwritten (%s) object=%p size=%zu offset=%ld",
		     GUARD_NAME, p < record->block ? "before" : "after",
		     p < record->block ? "underflow" : "overflow",
		     record->block, record->size, (long)(p - record->block));
	report_sites(record);
	kslab_corrupted();
}

/*
 * Add a freed block's region; take the oldest out if that makes one too
 * many. Under guard_lock. Return: the region to give back, or NULL.
 */
static struct guard_record *quarantine_add(struct guard_record *record)
{
	struct guard_record *oldest;

	record->next = NULL;
	if (quarantine_newest)
		quarantine_newest->next = record;
	else
		quarantine_oldest = record;
	quarantine_newest = record;
	if (++quarantine_len <= quarantine_cap)
		return NULL;
	oldest = quarantine_oldest;
	quarantine_oldest = oldest->next;
	if (!quarantine_oldest)
		quarantine_newest = NULL;
	quarantine_len--;
	return oldest;
}

static void record_release(struct guard_record *record)
{
	region_release(record->region, record->region_size, record->order);
}

/**
 * kslab_guard_free() - free a guarded block, into the quarantine
 * @word:   the page word of @p, a guarded region's
 * @p:      the address freed
 * @caller: the free's site
 *
 * A freed block, or an address that starts none, is reported instead.
 */
void kslab_guard_free(unsigned long word, const void *p, unsigned long caller)
{
	struct guard_record *record = record_of(word), *oldest;
	bool freed;

	kslab_spin_lock(&guard_lock);
	freed = record->freed || p != record->block;
	if (!freed)
		KSLAB_WRITE_ONCE(record->freed, true);
	kslab_spin_unlock(&guard_lock);
	if (freed) {
		kslab_guard_bad(word, p, "free", true);
		return;
	}
	slack_check(record);
	kslab_debug_track(&record->free, caller);
	kslab_env_pages_close(record->region + KSLAB_PAGE_SIZE,
			      record->region_size - KSLAB_PAGE_SIZE);
	kslab_spin_lock(&guard_lock);
	oldest = quarantine_add(record);
	kslab_spin_unlock(&guard_lock);
	if (oldest)
		record_release(oldest);
}

/**
 * kslab_guard_drain() - give back every region in the quarantine
 *
 * Return: how many there were.
 */
unsigned int kslab_guard_drain(void)
{
	struct guard_record *record, *next;
	unsigned int n = 0;

	kslab_spin_lock(&guard_lock);
	record = quarantine_oldest;
	quarantine_oldest = quarantine_newest = NULL;
	quarantine_len = 0;
	kslab_spin_unlock(&guard_lock);
	for (; record; record = next, n++) {
		next = record->next;
		record_release(record);
	}
	return n;
}

/**
 * kslab_guard_fault() - a fault at @addr: a guarded block's, or not
 * @addr: the address the program could not access
 *
 * On a guard or a freed guarded block: report it, with the block's size
 * and sites, and stop the program. Called by the environment's fault
 * handler (kslab_env_watch_faults()).
 * Return: false: @addr is no guarded region's.
 */
bool kslab_guard_fault(const void *addr)
{
	const unsigned char *at = addr;
	const struct guard_record *record;
	unsigned long *word = kslab_env_page_word(addr);
	bool freed;

	if (!word || !kslab_guard_word(*word))
		return false;
	record = record_of(*word);
	freed = KSLAB_READ_ONCE(record->freed);
	kslab_report(KSLAB_LOG_ERR,
		     "BUG %s: %s: access at %p, offset %ld from %sobject=%p size=%zu",
		     GUARD_NAME, freed ? "use after free" :
		     at < record->block ? "underflow" : "overflow", addr,
		     (long)(at - record->block), freed ? "freed " : "",
		     record->block, record->size);
	report_sites(record);
	kslab_env_panic("kslab: access to a guard page or a freed block: stopping");
}

void kslab_guard_lock(void)
{
	kslab_spin_lock(&guard_lock);
}

void kslab_guard_unlock(void)
{
	kslab_spin_unlock(&guard_lock);
}
