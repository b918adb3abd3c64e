// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: the page source, page words and metadata memory.
 *
 * Chunks come from one arena of address space reserved at the first grant
 * (PROT_NONE, so it costs no memory): KSLAB_ARENA_SIZE bytes, or half that
 * and so on down to ARENA_MIN_SIZE when the system refuses a reservation
 * that large (ulimit -v, valgrind). Granting a chunk maps fresh memory over
 * one free slot of it; taking it back maps PROT_NONE over the slot again,
 * which returns the memory to the system and keeps the slot reserved.
 *
 * One arena is what makes the page words cheap: beside it lies a flat
 * array of one word per page (mapped MAP_NORESERVE, so only the words of
 * pages in use cost memory), and a page's word is found by arithmetic
 * alone. Taking a chunk back also discards its words' memory.
 *
 * Large allocations (kslab_env_large_alloc(), beyond the buddy allocator's
 * largest block) are runs of slots: the first slot of a run records its
 * length, so a run is found from its address alone. A run freed with
 * @keep leaves its slots kept: free, but still mapped with their memory,
 * so the next claims, which look for the run with the most kept slots
 * first and move kept slots' pages from elsewhere under the rest, get
 * that memory back without a page fault. Kept slots go back to the
 * system when kslab_env_large_release() says so.
 *
 * Every slot mapped is advised for transparent huge pages or against
 * them (userspace/hugepages.c, KSLAB_THP), and remembers which for each
 * of its two huge pages' places, so that kslab_env_discard_order() keeps
 * discards of a huge one to whole huge pages, and a discard mm/ makes
 * inside one anyway (most of it free) splits it first.
 *
 * Populating (MADV_POPULATE_WRITE) makes a run about to be written
 * resident in one step: a small block's group of pages or first page, a
 * page of metadata as carving reaches it, the part of larger metadata
 * mm/ asks for (a chunk descriptor's head), and at load the shared
 * objects' .bss.
 *
 * Slots are handed out under arena_lock; grants are rare (one per 4 MiB).
 * Small metadata shares pages, under the same lock.
 * Nothing here calls malloc: this code runs inside the allocator.
 */
#include <errno.h>
#include <sys/mman.h>

#include "../mm/port.h"
#include "port-internal.h"

#define ARENA_MIN_SIZE		(64UL << 20)
#define ARENA_MAX_CHUNKS	(KSLAB_ARENA_SIZE / KSLAB_CHUNK_SIZE)
#define BITS_PER_WORD		(8 * sizeof(unsigned long))
#define CHUNK_WORD_BYTES	(KSLAB_CHUNK_PAGES * sizeof(unsigned long))
/* Huge pages are 2 MiB (userspace/hugepages.c): two places a slot. */
#define HUGE_PER_SLOT		2
#define HUGE_PLACE_SIZE		(KSLAB_CHUNK_SIZE / HUGE_PER_SLOT)

unsigned long kslab_arena_base;
unsigned long kslab_arena_pages;
unsigned long *kslab_page_words;

/*
 * The slot maps, side by side: a word of each for every BITS_PER_WORD
 * slots (SLOT_HUGE's words hold a bit for each huge page's place,
 * HUGE_PER_SLOT a slot). The slots a process uses then have their bits
 * in a few lines of one page, where a page a map cost a short program a
 * page fault each.
 */
enum slot_map {
	SLOT_USED,		/* claimed */
	SLOT_KEPT,		/* free, still mapped */
	SLOT_AGED,		/* kept at the last release */
	SLOT_HUGE,		/* the place was advised, not split since */
	SLOT_MAP_WORDS = SLOT_HUGE + HUGE_PER_SLOT,
};

static unsigned long slot_maps[ARENA_MAX_CHUNKS / BITS_PER_WORD][SLOT_MAP_WORDS]
	kslab_env_table;
static unsigned long kept_slots;	/* changed under arena_lock, read without */
static unsigned long used_slots;	/* likewise */
/* A large run's length, at its first slot. */
static unsigned int slot_run[ARENA_MAX_CHUNKS] kslab_env_table;
/* The search for a free run starts below it; 0 for the top. */
static unsigned long chunk_below;
static KSLAB_DEFINE_SPINLOCK(arena_lock);

static void *map_anonymous(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Replace [addr, addr + size) with fresh memory, or with a reservation. */
static bool map_fixed(void *addr, size_t size, bool usable)
{
	int prot = usable ? PROT_READ | PROT_WRITE : PROT_NONE;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
		    (usable ? 0 : MAP_NORESERVE);

	return mmap(addr, size, prot, flags, -1, 0) != MAP_FAILED;
}

/* Slots in the arena: 0 until it is reserved. */
static unsigned long arena_slots(void)
{
	return kslab_arena_pages / KSLAB_CHUNK_PAGES;
}

/* The word of @map that holds bit @bit (a slot, or a huge page's place). */
static unsigned long *map_word(enum slot_map map, unsigned long bit)
{
	if (map == SLOT_HUGE)
		return &slot_maps[bit / (BITS_PER_WORD * HUGE_PER_SLOT)]
				 [SLOT_HUGE + bit / BITS_PER_WORD % HUGE_PER_SLOT];
	return &slot_maps[bit / BITS_PER_WORD][map];
}

/*
 * Bits change under arena_lock, but slots_map() reads a claimed run's
 * kept bits without it while others change their neighbours in the same
 * word: so every access is atomic.
 */
static bool bit_test(enum slot_map map, unsigned long bit)
{
	return __atomic_load_n(map_word(map, bit), __ATOMIC_RELAXED) &
	       (1UL << (bit % BITS_PER_WORD));
}

static void bit_set(enum slot_map map, unsigned long bit, bool on)
{
	unsigned long mask = 1UL << (bit % BITS_PER_WORD);

	if (on)
		__atomic_fetch_or(map_word(map, bit), mask, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(map_word(map, bit), ~mask, __ATOMIC_RELAXED);
}

/*
 * Reserve the arena and its words. Under arena_lock.
 *
 * The words are mapped first. The kernel places mappings top-down, each
 * just below the last, so the arena lands below the words and their end
 * lies next to the mappings made before them (the libraries, kslab's
 * per-CPU region). Slots are handed out from the top (slots_claim()),
 * so the first chunk's words share a page table with those mappings, and
 * the chunk itself lies within the same gigabyte: each new page table
 * costs a page fault several times a plain one's on a virtual machine
 * (the first chunk at the arena's bottom, 64 GiB away, took two new
 * tables and its words one more).
 */
static bool arena_reserve(void)
{
	unsigned long size, raw = 0, pages;
	void *words = MAP_FAILED;

	for (size = KSLAB_ARENA_SIZE; size >= ARENA_MIN_SIZE; size /= 2) {
		void *p;

		pages = size >> KSLAB_PAGE_SHIFT;
		words = mmap(NULL, pages * sizeof(unsigned long),
			     PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (words == MAP_FAILED)
			continue;
		p = mmap(NULL, size + KSLAB_CHUNK_SIZE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED) {
			raw = (unsigned long)p;
			break;
		}
		munmap(words, pages * sizeof(unsigned long));
	}
	if (!raw)
		return false;
	/*
	 * The aligned part is the arena. The slack on either side of it (a
	 * chunk's size in all) stays reserved: it is address space alone,
	 * and trimming it took two munmap() calls in every process's first
	 * malloc.
	 */
	kslab_arena_base = KSLAB_ALIGN_UP(raw, KSLAB_CHUNK_SIZE);
	kslab_page_words = words;
	kslab_store_release(&kslab_arena_pages, pages);
	/*
	 * The first search reads the top slots' map word, on a page nothing
	 * has touched: a read there maps the zero page and the claim's write
	 * faults again. Written first, the page faults once.
	 */
	bit_set(SLOT_USED, arena_slots() - 1, false);
	return true;
}

static void huge_mark(unsigned long slot, bool huge)
{
	unsigned int i;

	for (i = 0; i < HUGE_PER_SLOT; i++)
		bit_set(SLOT_HUGE, slot * HUGE_PER_SLOT + i, huge);
}

static bool slot_test(unsigned long slot)
{
	return bit_test(SLOT_USED, slot);
}

static void slot_mark(unsigned long slot, bool used)
{
	if (bit_test(SLOT_USED, slot) != used)
		__atomic_fetch_add(&used_slots, used ? 1 : -1UL, __ATOMIC_RELAXED);
	bit_set(SLOT_USED, slot, used);
}

/* The first slot at or after @slot whose address is a multiple of @align. */
static unsigned long slot_aligned(unsigned long slot, unsigned long align)
{
	unsigned long addr = kslab_arena_base + slot * KSLAB_CHUNK_SIZE;

	return (KSLAB_ALIGN_UP(addr, align) - kslab_arena_base) / KSLAB_CHUNK_SIZE;
}

/*
 * The last slot at or before @slot whose address is a multiple of @align,
 * or -1 if there is none.
 */
static long slot_aligned_down(long slot, unsigned long align)
{
	unsigned long addr;

	if (slot < 0)
		return -1;
	addr = KSLAB_ALIGN_DOWN(kslab_arena_base + slot * KSLAB_CHUNK_SIZE,
				align);
	if (addr < kslab_arena_base)
		return -1;
	return (long)((addr - kslab_arena_base) / KSLAB_CHUNK_SIZE);
}

/* How many of @count slots from @start are kept; -1 if one is in use. */
static long run_kept(unsigned long start, unsigned long count)
{
	unsigned long i;
	long kept = 0;

	for (i = 0; i < count; i++) {
		if (slot_test(start + i))
			return -1;
		kept += bit_test(SLOT_KEPT, start + i);
	}
	return kept;
}

/*
 * The first kept slot at @slot or after it, or arena_slots() if there is
 * none; a word of the map with no kept slot is passed whole. Under
 * arena_lock.
 */
static unsigned long kept_next(unsigned long slot)
{
	for (; kept_slots && slot < arena_slots(); slot++) {
		if (!__atomic_load_n(map_word(SLOT_KEPT, slot), __ATOMIC_RELAXED)) {
			slot |= BITS_PER_WORD - 1;
			continue;
		}
		if (bit_test(SLOT_KEPT, slot))
			return slot;
	}
	return arena_slots();
}

/*
 * The free run of @count slots at @align with the most kept slots, or
 * arena_slots() if none has any. Under arena_lock.
 */
static unsigned long kept_run(unsigned long count, unsigned long align)
{
	unsigned long step = align / KSLAB_CHUNK_SIZE, best = arena_slots();
	unsigned long slot, start;
	long kept, best_kept = 0;

	for (slot = kept_next(0); slot < arena_slots(); slot = kept_next(slot + 1)) {
		start = slot_aligned(slot + 1 > count ? slot + 1 - count : 0, align);
		for (; start <= slot && start + count <= arena_slots(); start += step) {
			kept = run_kept(start, count);
			if (kept > best_kept) {
				best = start;
				best_kept = kept;
			}
		}
		if (best_kept == (long)count)
			break;
	}
	return best;
}

/*
 * Claim @count free slots in a row, the first at an address aligned to
 * @align (a power of two, KSLAB_CHUNK_SIZE at least): the run with the
 * most kept slots, else the first searching down from the last claim,
 * from the arena's top at first (arena_reserve() says why). Kept slots
 * stay marked kept until slots_map() has taken their memory. Under
 * arena_lock. Return: false if the arena has no such run.
 */
static bool slots_claim(unsigned long count, unsigned long align,
			unsigned long *first)
{
	unsigned long step = align / KSLAB_CHUNK_SIZE, tried, i;
	long start, top;

	if (!arena_slots() && !arena_reserve())
		return false;
	start = (long)kept_run(count, align);
	if ((unsigned long)start >= arena_slots()) {
		top = slot_aligned_down((long)arena_slots() - (long)count, align);
		start = chunk_below ?
			slot_aligned_down((long)chunk_below - (long)count, align) :
			top;
		for (tried = 0; tried < arena_slots(); tried += step,
		     start -= (long)step) {
			if (start < 0)
				start = top;
			if (start < 0)
				return false;
			for (i = 0; i < count && !slot_test(start + i); i++)
				;
			if (i == count)
				break;
		}
		if (tried >= arena_slots())
			return false;
		chunk_below = (unsigned long)start;
	}
	for (i = 0; i < count; i++)
		slot_mark(start + i, true);
	*first = (unsigned long)start;
	return true;
}

static void slots_release(unsigned long first, unsigned long count)
{
	unsigned long i;

	kslab_spin_lock(&arena_lock);
	for (i = 0; i < count; i++) {
		huge_mark(first + i, false);
		slot_mark(first + i, false);
	}
	kslab_spin_unlock(&arena_lock);
}

static void *slot_address(unsigned long slot)
{
	return (void *)(kslab_arena_base + slot * KSLAB_CHUNK_SIZE);
}

/* The slot of a chunk or run start, or arena_slots() if @addr is none. */
static unsigned long slot_of(const void *addr)
{
	unsigned long slot = ((unsigned long)addr - kslab_arena_base) /
			     KSLAB_CHUNK_SIZE;

	if (slot >= arena_slots() || addr != slot_address(slot))
		return arena_slots();
	return slot;
}

/*
 * Give @count slots from @first back: PROT_NONE again, so their memory
 * goes back and their address space stays reserved, and their words'
 * memory with them. If the reservation cannot be restored the slots stay
 * claimed and mapped: lost to kslab, but never handed out twice.
 */
static void slots_unmap(unsigned long first, unsigned long count)
{
	if (!map_fixed(slot_address(first), count * KSLAB_CHUNK_SIZE, false))
		return;
	kslab_env_mem_forget(slot_address(first), count * KSLAB_CHUNK_SIZE);
	madvise(&kslab_page_words[first * KSLAB_CHUNK_PAGES],
		count * CHUNK_WORD_BYTES, MADV_DONTNEED);
	slots_release(first, count);
}

/*
 * Claimed slot @slot, still mapped, becomes kept: free, its memory left
 * in place. Under arena_lock.
 */
static void kept_put(unsigned long slot)
{
	bit_set(SLOT_KEPT, slot, true);
	__atomic_fetch_add(&kept_slots, 1, __ATOMIC_RELAXED);
	slot_mark(slot, false);
}

/*
 * Claim kept slot @slot, no claim's yet, for its memory: to lend it to a
 * claim or give it back. Under arena_lock.
 */
static void kept_take(unsigned long slot)
{
	bit_set(SLOT_KEPT, slot, false);
	bit_set(SLOT_AGED, slot, false);
	__atomic_fetch_sub(&kept_slots, 1, __ATOMIC_RELAXED);
	slot_mark(slot, true);
}

/*
 * A kept slot outside every claimed run, claimed itself, to lend its
 * memory to one; arena_slots() if none is left. Under arena_lock.
 */
static unsigned long kept_donor_claim(void)
{
	unsigned long slot;

	for (slot = kept_next(0); slot < arena_slots(); slot = kept_next(slot + 1)) {
		if (!slot_test(slot)) {
			kept_take(slot);
			return slot;
		}
	}
	return arena_slots();
}

/* Set once the kernel refuses to move pages (before Linux 5.7, valgrind). */
static bool move_refused;

/*
 * Kept memory elsewhere for claimed slot @slot: a large claim whose run is
 * not all kept slots takes a kept slot's pages from outside the run
 * (mremap() moves them, page tables and all, without a fault), rather than
 * faulting fresh pages in while the kept ones stay resident beside it. So
 * a churn of large blocks of varying sizes holds its live peak and no
 * more, where kept runs too short for the next block each stayed
 * resident until the reaper gave them back. MREMAP_DONTUNMAP leaves the
 * donor mapped, empty, so no other mmap() can take its place before
 * slots_unmap() reserves it again. Return: false if nothing was moved.
 */
static bool slot_borrow(unsigned long slot)
{
	int saved = errno;
	unsigned long donor;
	void *moved;

	if (KSLAB_READ_ONCE(move_refused) || !KSLAB_READ_ONCE(kept_slots))
		return false;
	kslab_spin_lock(&arena_lock);
	donor = kept_donor_claim();
	kslab_spin_unlock(&arena_lock);
	if (donor >= arena_slots())
		return false;
	moved = mremap(slot_address(donor), KSLAB_CHUNK_SIZE, KSLAB_CHUNK_SIZE,
		       MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		       slot_address(slot));
	if (moved == MAP_FAILED) {
		errno = saved;	/* fresh memory it is, as before */
		KSLAB_WRITE_ONCE(move_refused, true);
		kslab_spin_lock(&arena_lock);
		kept_put(donor);
		kslab_spin_unlock(&arena_lock);
		return false;
	}
	slots_unmap(donor, 1);
	return true;
}

/*
 * A block of @used bytes in a run of @size whose last slot came
 * @resident (kept or moved) gives back that slot's memory past its end,
 * to the end of the huge page holding it where there are huge pages
 * (kslab_env_discard_order()). Splitting that huge page to give back
 * more (half a huge page a block on average) costs more than it saves:
 * when a later block has the place whole, its pages fault in again one
 * by one (on a churn of 5 to 25 MiB blocks, 20 MiB less peak RSS for 3.6
 * times the page faults and 2.6 times the time).
 */
static void run_trim(char *run, size_t size, size_t used, bool resident)
{
	size_t end;

	if (!resident)
		return;
	end = KSLAB_ALIGN_UP(used, KSLAB_PAGE_SIZE <<
			     kslab_env_discard_order(run + used - 1));
	if (end < size)
		kslab_env_chunk_discard(run + end, size - end);
}

/*
 * Memory for @count claimed slots from @first, for a block of @used bytes,
 * zeroed if @zero: a kept slot's own, or one moved from a kept slot
 * elsewhere, else fresh (zero) memory; release them all if that fails.
 * @large: for a large block, not a chunk (kslab_thp_advise()).
 */
static void *slots_map(unsigned long first, unsigned long count, size_t used,
		       bool zero, bool large)
{
	unsigned long i, kept = 0;
	bool mapped = true, resident = false, huge;
	size_t off;

	for (i = 0; i < count; i++) {
		off = i * KSLAB_CHUNK_SIZE;
		resident = true;
		if (bit_test(SLOT_KEPT, first + i)) {
			kept++;
		} else if (!mapped || !slot_borrow(first + i)) {
			resident = false;
			if (mapped)
				mapped = map_fixed(slot_address(first + i),
						   KSLAB_CHUNK_SIZE, true);
			continue;
		}
		if (zero && used > off)
			kslab_memset(slot_address(first + i), 0,
				     used - off < KSLAB_CHUNK_SIZE ?
				     used - off : KSLAB_CHUNK_SIZE);
	}
	huge = mapped && kslab_thp_advise(slot_address(first),
					  count * KSLAB_CHUNK_SIZE,
					  KSLAB_READ_ONCE(used_slots), large);
	kslab_spin_lock(&arena_lock);
	for (i = 0; i < count; i++) {
		bit_set(SLOT_KEPT, first + i, false);
		bit_set(SLOT_AGED, first + i, false);
		huge_mark(first + i, huge);
	}
	__atomic_fetch_sub(&kept_slots, kept, __ATOMIC_RELAXED);
	kslab_spin_unlock(&arena_lock);
	if (!mapped) {
		slots_unmap(first, count);
		return NULL;
	}
	run_trim(slot_address(first), count * KSLAB_CHUNK_SIZE, used, resident);
	return slot_address(first);
}

void *kslab_env_chunk_grant(gfp_t gfp, unsigned int node)
{
	unsigned long slot;
	bool claimed;
	void *chunk;

	(void)gfp;
	kslab_spin_lock(&arena_lock);
	claimed = slots_claim(1, KSLAB_CHUNK_SIZE, &slot);
	kslab_spin_unlock(&arena_lock);
	/* Zeroed as fresh memory is, if it is a kept slot's. */
	chunk = claimed ? slots_map(slot, 1, KSLAB_CHUNK_SIZE, true, false) :
			  NULL;
	if (chunk)
		kslab_env_node_bind(chunk, KSLAB_CHUNK_SIZE, node);
	return chunk;
}

void kslab_env_chunk_take_back(void *chunk)
{
	unsigned long slot = slot_of(chunk);

	KSLAB_BUG_ON(slot >= arena_slots());
	slots_unmap(slot, 1);
}

void *kslab_env_large_alloc(size_t size, size_t align, gfp_t gfp)
{
	unsigned long count, first;
	bool claimed;
	void *p;

	if (!size || size > KSLAB_ARENA_SIZE || align > KSLAB_ARENA_SIZE)
		return NULL;
	count = KSLAB_ALIGN_UP(size, KSLAB_CHUNK_SIZE) / KSLAB_CHUNK_SIZE;
	if (align < KSLAB_CHUNK_SIZE)
		align = KSLAB_CHUNK_SIZE;
	kslab_spin_lock(&arena_lock);
	claimed = slots_claim(count, align, &first);
	kslab_spin_unlock(&arena_lock);
	if (!claimed)
		return NULL;
	p = slots_map(first, count, size, gfp & __GFP_ZERO, true);
	if (p)
		kslab_store_release(&slot_run[first], (unsigned int)count);
	return p;
}

size_t kslab_env_large_size(const void *p)
{
	unsigned long slot = slot_of(p);

	if (slot >= arena_slots())
		return 0;
	return (size_t)kslab_load_acquire(&slot_run[slot]) * KSLAB_CHUNK_SIZE;
}

void kslab_env_large_free(void *p, bool keep)
{
	unsigned long slot = slot_of(p), count, i;

	KSLAB_BUG_ON(slot >= arena_slots() || !slot_run[slot]);
	count = slot_run[slot];
	kslab_store_release(&slot_run[slot], 0);
	if (!keep) {
		slots_unmap(slot, count);
		return;
	}
	kslab_spin_lock(&arena_lock);
	for (i = slot; i < slot + count; i++)
		kept_put(i);
	kslab_spin_unlock(&arena_lock);
}

size_t kslab_env_large_kept(void)
{
	return KSLAB_READ_ONCE(kept_slots) * KSLAB_CHUNK_SIZE;
}

/*
 * One kept slot to give back (@all, or kept at the last pass), claimed;
 * the others it passes are marked as seen by this pass. A kept slot a
 * claim holds already (slots_claim()) is that claim's: slots_map() takes
 * its memory outside the lock. Under arena_lock.
 * Return: the slot, or arena_slots() when none is left.
 */
static unsigned long kept_release_next(unsigned long *from, bool all)
{
	unsigned long slot;

	for (slot = kept_next(*from); slot < arena_slots();
	     slot = kept_next(slot + 1)) {
		if (slot_test(slot))
			continue;
		if (all || bit_test(SLOT_AGED, slot)) {
			kept_take(slot);
			*from = slot + 1;
			return slot;
		}
		bit_set(SLOT_AGED, slot, true);
	}
	*from = arena_slots();
	return arena_slots();
}

size_t kslab_env_large_release(bool all)
{
	unsigned long from = 0, slot;
	size_t bytes = 0;

	for (;;) {
		kslab_spin_lock(&arena_lock);
		slot = kept_release_next(&from, all);
		kslab_spin_unlock(&arena_lock);
		if (slot >= arena_slots())
			return bytes;
		slots_unmap(slot, 1);
		bytes += KSLAB_CHUNK_SIZE;
	}
}

/* The huge page place holding @p, or -1 outside the arena. */
static long huge_place(const void *p)
{
	unsigned long off = (unsigned long)p - kslab_arena_base;

	if (off / KSLAB_CHUNK_SIZE >= arena_slots())
		return -1;
	return (long)(off / HUGE_PLACE_SIZE);
}

/*
 * The order discards at @p are rounded to: a huge page's where its slot
 * was advised for them and the page not split since, since MADV_DONTNEED
 * of part of one splits it and leaves its memory taken until the
 * kernel's deferred split.
 */
unsigned int kslab_env_discard_order(const void *p)
{
	long place = huge_place(p);

	if (place < 0 || !bit_test(SLOT_HUGE, (unsigned long)place))
		return 0;
	return kslab_thp_order();
}

/*
 * mm/ discards part of a huge page only where most of it is free
 * (mm/buddy.c): split it so that the discard frees memory now. MADV_COLD
 * over part of a huge page splits it at once (a plain MADV_DONTNEED
 * there leaves the split, and the freeing, to the kernel's deferred
 * split, under memory pressure), and MADV_NOHUGEPAGE over its place
 * keeps khugepaged from collapsing it again, which would fill the
 * discarded part with zeroes. The place discards at 4 KiB from then on.
 */
static void huge_split(void *p, size_t size)
{
	long place = huge_place(p);
	void *start;

	if (place < 0 || !bit_test(SLOT_HUGE, (unsigned long)place) ||
	    size >= (KSLAB_PAGE_SIZE << kslab_thp_order()))
		return;
	start = (void *)((unsigned long)p & ~(HUGE_PLACE_SIZE - 1));
	bit_set(SLOT_HUGE, (unsigned long)place, false);
	madvise(start, HUGE_PLACE_SIZE, MADV_NOHUGEPAGE);
	madvise(p, size, MADV_COLD);
}

/*
 * MADV_DONTNEED frees the pages now and maps zeroes on the next touch, so
 * free memory kept mapped costs nothing until it is used again.
 */
void kslab_env_chunk_discard(void *p, size_t size)
{
	huge_split(p, size);
	madvise(p, size, MADV_DONTNEED);
	kslab_env_mem_forget(p, size);
}

/*
 * A first write to a page costs a page fault: about 14 microseconds on
 * the 2-vCPU VM of Documentation/buddy.rst, against 1.3 for the page's
 * share of MADV_POPULATE_WRITE over a run and 5 for the first write after
 * it. Within a huge page's place advised for them the first write maps
 * the whole huge page, so there is nothing to save. Kernels before 5.14
 * refuse the advice (EINVAL), as does a seccomp filter that does not know
 * it (EPERM, ENOSYS), and it is not asked again; other errors (a guard's
 * PROT_NONE in the run, no memory) leave the rest to page faults.
 */
static bool populate_refused;

static void populate_now(void *p, size_t size)
{
	int saved = errno;	/* a malloc that succeeds leaves errno alone */

	if (madvise(p, size, MADV_POPULATE_WRITE) &&
	    (errno == EINVAL || errno == EPERM || errno == ENOSYS))
		KSLAB_WRITE_ONCE(populate_refused, true);
	errno = saved;
}

static void populate_write(void *p, size_t size)
{
	if (!KSLAB_READ_ONCE(populate_refused))
		populate_now(p, size);
}

void kslab_env_chunk_populate(void *p, size_t size)
{
	long place = huge_place(p);

	if (place < 0 || !bit_test(SLOT_HUGE, (unsigned long)place))
		populate_write(p, size);
}

void kslab_env_meta_populate(void *p, size_t size)
{
	unsigned long start = KSLAB_ALIGN_DOWN((unsigned long)p, KSLAB_PAGE_SIZE);

	populate_write((void *)start,
			     KSLAB_ALIGN_UP((unsigned long)p + size,
					    KSLAB_PAGE_SIZE) - start);
}

/*
 * The shared objects' .bss, kslab's small globals (the large tables are
 * in .lbss: kslab_env_table), between two symbols their link defines
 * (Makefile); a static link has neither. A first malloc reads several of
 * them before it writes them (the fast table, whether malloc is set up,
 * the fault-injection settings), and a fresh page read first maps the
 * zero page and faults again at the write: two faults a page, on each of
 * the few pages, where one populate at load takes none. Asked without a
 * look at populate_refused, which lives there too.
 */
extern char kslab_bss_start[] __attribute__((weak)) kslab_hidden;
extern char kslab_bss_end[] __attribute__((weak)) kslab_hidden;

static void __attribute__((constructor)) bss_populate(void)
{
	unsigned long start = (unsigned long)kslab_bss_start;
	unsigned long end = (unsigned long)kslab_bss_end;

	if (!start || end <= start)
		return;
	start = KSLAB_ALIGN_DOWN(start, KSLAB_PAGE_SIZE);
	populate_now((void *)start, KSLAB_ALIGN_UP(end, KSLAB_PAGE_SIZE) - start);
}

/*
 * A guard: PROT_NONE mapped over the pages, which also gives their memory
 * back; opening maps fresh zeroed pages. Each closed run is a mapping of
 * its own, so a process has room for about vm.max_map_count / 3 guarded
 * blocks.
 */
bool kslab_env_pages_close(void *p, size_t size)
{
	if (!map_fixed(p, size, false))
		return false;
	kslab_env_mem_forget(p, size);
	return true;
}

bool kslab_env_pages_open(void *p, size_t size)
{
	return map_fixed(p, size, true);
}

/*
 * Small metadata shares pages: a cache descriptor is under 1 KiB, and
 * a page of its own for each would cost a short program a page fault and
 * a system call per cache. Sizes up to META_SMALL_MAX, rounded up to a
 * power of two from META_SMALL_MIN (so each is aligned to its size, and
 * none straddles a page), are carved in turn from runs of META_CARVE_PAGES
 * pages mapped at once, which cost memory only as they are carved; each
 * page is populated as carving enters it, since it is written at once
 * (kslab_env_chunk_populate() says what that saves). A freed one waits on
 * its size's list for the next, and those pages are never given back.
 * Larger metadata is mapped on its own. Under arena_lock, which fork()
 * already takes.
 */
#define META_SMALL_MIN		64UL
#define META_SMALL_MAX		1024UL
#define META_CLASSES		5
#define META_CARVE_PAGES	16

static void *meta_free_lists[META_CLASSES];
static char *meta_carve;
static size_t meta_carve_left;

static unsigned int meta_class(size_t size)
{
	unsigned int class = 0;

	while ((META_SMALL_MIN << class) < size)
		class++;
	return class;
}

void *kslab_env_meta_alloc(size_t size, gfp_t gfp)
{
	unsigned int class = meta_class(size);
	size_t bytes = META_SMALL_MIN << class;
	void *p;

	(void)gfp;
	if (size > META_SMALL_MAX)
		return map_anonymous(KSLAB_ALIGN_UP(size, KSLAB_PAGE_SIZE));
	kslab_spin_lock(&arena_lock);
	p = meta_free_lists[class];
	if (p) {
		meta_free_lists[class] = *(void **)p;
	} else {
		if (meta_carve_left < bytes) {
			meta_carve = map_anonymous(META_CARVE_PAGES *
						   KSLAB_PAGE_SIZE);
			meta_carve_left = meta_carve ?
					  META_CARVE_PAGES * KSLAB_PAGE_SIZE : 0;
		}
		if (meta_carve_left >= bytes) {
			p = meta_carve;
			meta_carve += bytes;
			meta_carve_left -= bytes;
		}
	}
	kslab_spin_unlock(&arena_lock);
	if (!p)
		return NULL;
	if (!((unsigned long)p & (KSLAB_PAGE_SIZE - 1)))
		populate_write(p, KSLAB_PAGE_SIZE);
	kslab_memset(p, 0, bytes);
	return p;
}

void kslab_env_meta_free(void *ptr, size_t size)
{
	unsigned int class = meta_class(size);

	if (!ptr)
		return;
	if (size > META_SMALL_MAX) {
		munmap(ptr, KSLAB_ALIGN_UP(size, KSLAB_PAGE_SIZE));
		return;
	}
	kslab_spin_lock(&arena_lock);
	*(void **)ptr = meta_free_lists[class];
	meta_free_lists[class] = ptr;
	kslab_spin_unlock(&arena_lock);
}

void kslab_arena_lock(void)
{
	kslab_spin_lock(&arena_lock);
}

void kslab_arena_unlock(void)
{
	kslab_spin_unlock(&arena_lock);
}
