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
 * Slots are handed out under arena_lock; grants are rare (one per 4 MiB).
 * Nothing here calls malloc: this code runs inside the allocator.
 */
#include <kslab/port.h>

#include <sys/mman.h>

#define ARENA_MIN_SIZE		(64UL << 20)
#define ARENA_MAX_CHUNKS	(KSLAB_ARENA_SIZE / KSLAB_CHUNK_SIZE)
#define BITS_PER_WORD		(8 * sizeof(unsigned long))
#define CHUNK_WORD_BYTES	(KSLAB_CHUNK_PAGES * sizeof(unsigned long))

unsigned long kslab_arena_base;
unsigned long kslab_arena_pages;
unsigned long *kslab_page_words;

static unsigned long arena_chunks;
static unsigned long chunk_used[ARENA_MAX_CHUNKS / BITS_PER_WORD];
static unsigned long chunk_next;	/* where the search for a free slot starts */
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

/* Reserve the arena and its words. Under arena_lock. */
static bool arena_reserve(void)
{
	unsigned long size, raw = 0, pages;
	void *words = MAP_FAILED;

	for (size = KSLAB_ARENA_SIZE; size >= ARENA_MIN_SIZE; size /= 2) {
		void *p = mmap(NULL, size + KSLAB_CHUNK_SIZE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		if (p == MAP_FAILED)
			continue;
		pages = size >> KSLAB_PAGE_SHIFT;
		words = mmap(NULL, pages * sizeof(unsigned long),
			     PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (words != MAP_FAILED) {
			raw = (unsigned long)p;
			break;
		}
		munmap(p, size + KSLAB_CHUNK_SIZE);
	}
	if (!raw)
		return false;
	/* Keep the aligned part; the slack was never more than address space. */
	kslab_arena_base = KSLAB_ALIGN_UP(raw, KSLAB_CHUNK_SIZE);
	if (kslab_arena_base > raw)
		munmap((void *)raw, kslab_arena_base - raw);
	if (raw + KSLAB_CHUNK_SIZE > kslab_arena_base)
		munmap((void *)(kslab_arena_base + size),
		       raw + KSLAB_CHUNK_SIZE - kslab_arena_base);
	kslab_page_words = words;
	arena_chunks = size / KSLAB_CHUNK_SIZE;
	kslab_store_release(&kslab_arena_pages, pages);
	return true;
}

static bool chunk_test(unsigned long slot)
{
	return chunk_used[slot / BITS_PER_WORD] & (1UL << (slot % BITS_PER_WORD));
}

static void chunk_mark(unsigned long slot, bool used)
{
	unsigned long bit = 1UL << (slot % BITS_PER_WORD);

	if (used)
		chunk_used[slot / BITS_PER_WORD] |= bit;
	else
		chunk_used[slot / BITS_PER_WORD] &= ~bit;
}

/* Claim a free slot, searching on from the last one claimed. */
static bool chunk_claim(unsigned long *slot)
{
	unsigned long i;

	if (!arena_chunks && !arena_reserve())
		return false;
	for (i = 0; i < arena_chunks; i++) {
		unsigned long s = (chunk_next + i) % arena_chunks;

		if (!chunk_test(s)) {
			chunk_mark(s, true);
			chunk_next = s + 1;
			*slot = s;
			return true;
		}
	}
	return false;
}

static void *slot_address(unsigned long slot)
{
	return (void *)(kslab_arena_base + slot * KSLAB_CHUNK_SIZE);
}

void *kslab_env_chunk_grant(gfp_t gfp)
{
	unsigned long slot;
	bool claimed;

	(void)gfp;
	kslab_spin_lock(&arena_lock);
	claimed = chunk_claim(&slot);
	kslab_spin_unlock(&arena_lock);
	if (!claimed)
		return NULL;
	if (map_fixed(slot_address(slot), KSLAB_CHUNK_SIZE, true))
		return slot_address(slot);
	kslab_spin_lock(&arena_lock);
	chunk_mark(slot, false);
	kslab_spin_unlock(&arena_lock);
	return NULL;
}

void kslab_env_chunk_take_back(void *chunk)
{
	unsigned long slot = ((unsigned long)chunk - kslab_arena_base) /
			     KSLAB_CHUNK_SIZE;

	KSLAB_BUG_ON(slot >= arena_chunks || chunk != slot_address(slot));
	/*
	 * If the reservation cannot be restored the slot stays claimed and
	 * its memory mapped: lost to kslab, but never handed out twice.
	 */
	if (!map_fixed(chunk, KSLAB_CHUNK_SIZE, false))
		return;
	madvise(&kslab_page_words[slot * KSLAB_CHUNK_PAGES], CHUNK_WORD_BYTES,
		MADV_DONTNEED);
	kslab_spin_lock(&arena_lock);
	chunk_mark(slot, false);
	kslab_spin_unlock(&arena_lock);
}

/*
 * MADV_DONTNEED frees the pages now and maps zeroes on the next touch, so
 * a kept chunk costs no memory until it is used again.
 */
void kslab_env_chunk_discard(void *chunk)
{
	madvise(chunk, KSLAB_CHUNK_SIZE, MADV_DONTNEED);
}

void *kslab_env_meta_alloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return map_anonymous(KSLAB_ALIGN_UP(size, KSLAB_PAGE_SIZE));
}

void kslab_env_meta_free(void *ptr, size_t size)
{
	munmap(ptr, KSLAB_ALIGN_UP(size, KSLAB_PAGE_SIZE));
}
