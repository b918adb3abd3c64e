// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the page source, page words and metadata memory (suite
 * port-memory): chunks come aligned, zeroed and disjoint, from the
 * arena's top down, and their memory goes back to the system when given
 * back; every page of a granted chunk
 * has its own word, zero at first, and no other address has one; metadata
 * allocations of every size come zeroed and keep their bytes, and freeing
 * NULL does nothing; large
 * allocations freed with keep are kept, reused (moved where no run of
 * them fits) and given back, by threads racing too; random
 * words all differ, in a fork()'s child from its parent's too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port_tests.h"

static bool chunk_aligned(const void *p)
{
	return ((uintptr_t)p & (KSLAB_CHUNK_SIZE - 1)) == 0;
}

static bool words_are_zero(const void *p, size_t size)
{
	const unsigned long *w = p;
	size_t i;

	for (i = 0; i < size / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* Write a tag into every page of a chunk; with @check, verify it instead. */
static unsigned long chunk_tag(void *chunk, unsigned long tag, bool check)
{
	unsigned long bad = 0, page;

	for (page = 0; page < KSLAB_CHUNK_PAGES; page++) {
		unsigned long *first = (unsigned long *)
			((char *)chunk + page * KSLAB_PAGE_SIZE);
		unsigned long *last = first + KSLAB_PAGE_SIZE / sizeof(*first) - 1;
		unsigned long v = tag ^ (page << 20);

		if (!check) {
			*first = v;
			*last = ~v;
		} else if (*first != v || *last != ~v) {
			bad++;
		}
	}
	return bad;
}

static void test_chunk_grant(struct ktap_test *t)
{
	void *chunk = kslab_env_chunk_grant(GFP_KERNEL, 0);

	KTAP_ASSERT(t, chunk != NULL);
	KTAP_EXPECT(t, chunk_aligned(chunk));
	KTAP_EXPECT(t, words_are_zero(chunk, KSLAB_CHUNK_SIZE));
	chunk_tag(chunk, 0x5eed, false);
	KTAP_EXPECT_EQ(t, chunk_tag(chunk, 0x5eed, true), 0);
	KTAP_EXPECT_EQ(t, resident_pages(chunk, KSLAB_CHUNK_SIZE),
		       KSLAB_CHUNK_PAGES);
	kslab_env_chunk_take_back(chunk);
	/* Given back: no page of it may linger in our RSS. */
	KTAP_EXPECT_EQ(t, resident_pages(chunk, KSLAB_CHUNK_SIZE), 0);
}

/*
 * Set each page's word of a chunk to @tag plus its page number (0 for all
 * with @tag 0); with @check, count the words that differ instead.
 */
static unsigned long chunk_words(void *chunk, unsigned long tag, bool check)
{
	unsigned long bad = 0, page;

	for (page = 0; page < KSLAB_CHUNK_PAGES; page++) {
		char *addr = (char *)chunk + page * KSLAB_PAGE_SIZE;
		unsigned long *first = kslab_env_page_word(addr);
		unsigned long *last = kslab_env_page_word(addr + KSLAB_PAGE_SIZE - 1);
		unsigned long value = tag ? tag + page : 0;

		if (!first || first != last)
			bad++;
		else if (!check)
			*first = value;
		else if (*first != value)
			bad++;
	}
	return bad;
}

/*
 * Every page of a granted chunk has one word of its own, zero when granted
 * and keeping what is written; addresses outside granted chunks have none.
 */
static void test_page_words(struct ktap_test *t)
{
	void *chunk = kslab_env_chunk_grant(GFP_KERNEL, 0);
	void *meta = kslab_env_meta_alloc(KSLAB_PAGE_SIZE, GFP_KERNEL);
	int local;

	KTAP_ASSERT(t, chunk != NULL);
	KTAP_EXPECT_EQ(t, chunk_words(chunk, 0, true), 0);
	KTAP_EXPECT(t, kslab_env_page_word(chunk) !=
		       kslab_env_page_word((char *)chunk + KSLAB_PAGE_SIZE));
	chunk_words(chunk, 0x5eed, false);
	KTAP_EXPECT_EQ(t, chunk_words(chunk, 0x5eed, true), 0);
	KTAP_EXPECT(t, kslab_env_page_word(&local) == NULL);
	KTAP_EXPECT(t, kslab_env_page_word(NULL) == NULL);
	KTAP_EXPECT(t, kslab_env_page_word((void *)-KSLAB_PAGE_SIZE) == NULL);
	if (KTAP_EXPECT(t, meta != NULL))
		KTAP_EXPECT(t, kslab_env_page_word(meta) == NULL);
	chunk_words(chunk, 0, false);	/* as mm/ leaves them */
	kslab_env_chunk_take_back(chunk);
	kslab_env_meta_free(meta, KSLAB_PAGE_SIZE);
}

#define NR_GRANTS	4

static void test_chunk_grants_distinct(struct ktap_test *t)
{
	void *chunks[NR_GRANTS];
	unsigned int i, j, got = 0;
	unsigned long bad = 0;

	for (i = 0; i < NR_GRANTS; i++) {
		chunks[i] = kslab_env_chunk_grant(i & 1 ? GFP_ATOMIC : GFP_KERNEL, 0);
		if (!KTAP_EXPECT(t, chunks[i] != NULL))
			break;
		got++;
		KTAP_EXPECT(t, chunk_aligned(chunks[i]));
		chunk_tag(chunks[i], i + 1, false);
	}
	/* Aligned and distinct means disjoint; the tags prove it too. */
	for (i = 0; i < got; i++) {
		for (j = 0; j < i; j++)
			KTAP_EXPECT(t, chunks[i] != chunks[j]);
		bad += chunk_tag(chunks[i], i + 1, true);
	}
	KTAP_EXPECT_EQ(t, bad, 0);
	for (i = 0; i < got; i++)
		kslab_env_chunk_take_back(chunks[i]);
}

/*
 * Slots go from the arena's top down: grants with none given back in
 * between come each below the last, the first chunks next to the words
 * mapped above the arena (userspace/pages.c, arena_reserve()).
 */
static void test_chunk_grants_descend(struct ktap_test *t)
{
	void *chunks[NR_GRANTS];
	unsigned int i, got;

	for (got = 0; got < NR_GRANTS; got++) {
		chunks[got] = kslab_env_chunk_grant(GFP_KERNEL, 0);
		if (!KTAP_EXPECT(t, chunks[got] != NULL))
			break;
	}
	for (i = 1; i < got; i++)
		KTAP_EXPECT(t, (uintptr_t)chunks[i] < (uintptr_t)chunks[i - 1]);
	if (got)
		KTAP_EXPECT(t, (uintptr_t)kslab_env_page_word(chunks[0]) >
			       (uintptr_t)chunks[0]);
	for (i = 0; i < got; i++)
		kslab_env_chunk_take_back(chunks[i]);
}

static void test_meta_alloc(struct ktap_test *t)
{
	static const size_t sizes[] = { 1, 24, 64, 4096, 65536, 1 << 20 };
	void *objs[KSLAB_ARRAY_SIZE(sizes)];
	unsigned int i, n;

	for (n = 0; n < KSLAB_ARRAY_SIZE(sizes); n++) {
		objs[n] = kslab_env_meta_alloc(sizes[n],
					       n & 1 ? GFP_ATOMIC : GFP_KERNEL);
		if (!KTAP_EXPECT(t, objs[n] != NULL))
			break;
		KTAP_EXPECT(t, bytes_are(objs[n], 0, sizes[n]));
		memset(objs[n], (int)n + 1, sizes[n]);
	}
	for (i = 0; i < n; i++)
		KTAP_EXPECT(t, bytes_are(objs[i], (unsigned char)(i + 1), sizes[i]));
	for (i = 0; i < n; i++)
		kslab_env_meta_free(objs[i], sizes[i]);
}

/* Freeing NULL does nothing, small or large: unwinding paths rely on it. */
static void test_meta_free_null(struct ktap_test *t)
{
	void *meta;

	kslab_env_meta_free(NULL, 24);
	kslab_env_meta_free(NULL, 65536);
	/* The small free list is whole: an allocation still comes zeroed. */
	meta = kslab_env_meta_alloc(24, GFP_KERNEL);
	if (KTAP_EXPECT(t, meta != NULL))
		KTAP_EXPECT(t, bytes_are(meta, 0, 24));
	kslab_env_meta_free(meta, 24);
}

#define LARGE_BYTES	(KSLAB_CHUNK_SIZE + KSLAB_CHUNK_SIZE / 2)
#define LARGE_SLOTS	(2 * KSLAB_CHUNK_SIZE)

/*
 * A large allocation freed with keep stays mapped and counted as kept;
 * the next one of its size gets that memory, zeroed as far as asked,
 * without a fault, and what its last slot holds past it goes back; a
 * release pass ages kept memory and the next gives it back; a release of
 * all gives everything back at once; a free without keep gives it back
 * at once.
 */
static void test_large_kept(struct ktap_test *t)
{
	char *p, *q;

	/* From nothing kept, whatever ran before in this process. */
	kslab_env_large_release(true);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), 0);
	p = kslab_env_large_alloc(LARGE_BYTES, KSLAB_PAGE_SIZE, GFP_KERNEL);
	KTAP_ASSERT(t, p != NULL);
	KTAP_EXPECT_EQ(t, kslab_env_large_size(p), LARGE_SLOTS);
	memset(p, 0x5a, LARGE_SLOTS);
	kslab_env_large_free(p, true);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), LARGE_SLOTS);
	KTAP_EXPECT_EQ(t, kslab_env_large_size(p), 0);
	q = kslab_env_large_alloc(LARGE_BYTES, KSLAB_PAGE_SIZE,
				  GFP_KERNEL | __GFP_ZERO);
	KTAP_ASSERT(t, q != NULL);
	KTAP_EXPECT(t, q == p);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), 0);
	KTAP_EXPECT_EQ(t, resident_pages(q, LARGE_SLOTS),
		       LARGE_BYTES / KSLAB_PAGE_SIZE);
	KTAP_EXPECT(t, bytes_are(q, 0, LARGE_SLOTS));

	kslab_env_large_free(q, true);
	KTAP_EXPECT_EQ(t, kslab_env_large_release(false), 0);	/* ages it */
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), LARGE_SLOTS);
	KTAP_EXPECT_EQ(t, kslab_env_large_release(false), LARGE_SLOTS);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), 0);
	KTAP_EXPECT_EQ(t, resident_pages(q, LARGE_SLOTS), 0);

	p = kslab_env_large_alloc(LARGE_BYTES, KSLAB_PAGE_SIZE, GFP_KERNEL);
	KTAP_ASSERT(t, p != NULL);
	memset(p, 1, LARGE_BYTES);
	kslab_env_large_free(p, true);
	KTAP_EXPECT_EQ(t, kslab_env_large_release(true), LARGE_SLOTS);
	KTAP_EXPECT_EQ(t, resident_pages(p, LARGE_SLOTS), 0);

	p = kslab_env_large_alloc(LARGE_BYTES, KSLAB_PAGE_SIZE, GFP_KERNEL);
	KTAP_ASSERT(t, p != NULL);
	memset(p, 1, LARGE_BYTES);
	kslab_env_large_free(p, false);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), 0);
	KTAP_EXPECT_EQ(t, resident_pages(p, LARGE_SLOTS), 0);
}

/*
 * A kept slot between two live ones, its bytes all @fill: a run of three
 * slots freed with keep, taken again a slot at a time (lowest first), the
 * middle one freed with keep. Return: the kept slot's address, NULL if
 * the slots did not come where they should (reported).
 */
static char *kept_between(struct ktap_test *t, char *live[2], int fill)
{
	char *run, *mid;

	kslab_env_large_release(true);
	run = kslab_env_large_alloc(3 * KSLAB_CHUNK_SIZE, KSLAB_PAGE_SIZE,
				    GFP_KERNEL);
	if (!KTAP_EXPECT(t, run != NULL))
		return NULL;
	memset(run, fill, 3 * KSLAB_CHUNK_SIZE);
	kslab_env_large_free(run, true);
	live[0] = kslab_env_large_alloc(KSLAB_CHUNK_SIZE, KSLAB_PAGE_SIZE,
					GFP_KERNEL);
	mid = kslab_env_large_alloc(KSLAB_CHUNK_SIZE, KSLAB_PAGE_SIZE,
				    GFP_KERNEL);
	live[1] = kslab_env_large_alloc(KSLAB_CHUNK_SIZE, KSLAB_PAGE_SIZE,
					GFP_KERNEL);
	if (!KTAP_EXPECT(t, live[0] == run && mid == run + KSLAB_CHUNK_SIZE &&
			    live[1] == run + 2 * KSLAB_CHUNK_SIZE))
		return NULL;
	kslab_env_large_free(mid, true);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), KSLAB_CHUNK_SIZE);
	return mid;
}

/*
 * A large claim no run of kept slots fits takes kept memory from
 * elsewhere, moved under its slots, before fresh memory: kept slot by
 * kept slot, the bytes and all, the slot it leaves empty.
 */
static void test_large_kept_moved(struct ktap_test *t)
{
	char *live[2], *kept, *q;

	kept = kept_between(t, live, 0x5a);
	KTAP_ASSERT(t, kept != NULL);
	q = kslab_env_large_alloc(LARGE_SLOTS, KSLAB_PAGE_SIZE, GFP_KERNEL);
	KTAP_ASSERT(t, q != NULL);
	KTAP_EXPECT(t, q != kept && q + LARGE_SLOTS != kept);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), 0);
	KTAP_EXPECT_EQ(t, resident_pages(q, LARGE_SLOTS),
		       KSLAB_CHUNK_SIZE / KSLAB_PAGE_SIZE);
	KTAP_EXPECT(t, bytes_are(q, 0x5a, KSLAB_CHUNK_SIZE));
	KTAP_EXPECT(t, bytes_are(q + KSLAB_CHUNK_SIZE, 0, KSLAB_CHUNK_SIZE));
	KTAP_EXPECT_EQ(t, resident_pages(kept, KSLAB_CHUNK_SIZE), 0);
	kslab_env_large_free(q, false);
	kslab_env_large_free(live[0], false);
	kslab_env_large_free(live[1], false);
}

/* Kept memory moved to a zeroed claim comes zeroed as far as it asks. */
static void test_large_kept_moved_zeroed(struct ktap_test *t)
{
	char *live[2], *kept, *q;

	kept = kept_between(t, live, 0x6b);
	KTAP_ASSERT(t, kept != NULL);
	q = kslab_env_large_alloc(LARGE_BYTES, KSLAB_PAGE_SIZE,
				  GFP_KERNEL | __GFP_ZERO);
	KTAP_ASSERT(t, q != NULL);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), 0);
	KTAP_EXPECT(t, bytes_are(q, 0, LARGE_BYTES));
	KTAP_EXPECT_EQ(t, resident_pages(kept, KSLAB_CHUNK_SIZE), 0);
	kslab_env_large_free(q, false);
	kslab_env_large_free(live[0], false);
	kslab_env_large_free(live[1], false);
}

#define CHURN_THREADS	4
#define CHURN_ROUNDS	60
#define CHURN_LIVE	2
/* A word is written every this many bytes of a block: its tag and place. */
#define CHURN_STRIDE	(16 * KSLAB_PAGE_SIZE)

struct churn {
	unsigned int next_id;
	unsigned long damaged;		/* blocks found changed, or not zero */
	unsigned long failed;		/* allocations that gave nothing */
};

/*
 * What block @tag holds at @off, or 0 for a zeroed block not written yet.
 * Every block starts on a slot, so a block's marks lie where the last
 * user's did: memory handed on unzeroed, or shared, shows.
 */
static unsigned long churn_mark(unsigned long tag, size_t off)
{
	return tag ? tag * 0x9e3779b97f4a7c15UL ^ off : 0;
}

/* Write @tag's marks into @p, or count the ones not there: 0 if intact. */
static unsigned long churn_marks(char *p, size_t size, unsigned long tag,
				 bool check)
{
	unsigned long bad = 0, *w;
	size_t off;

	for (off = 0; off <= size - sizeof(*w); off += CHURN_STRIDE) {
		w = (unsigned long *)(p + off);
		if (!check)
			*w = churn_mark(tag, off);
		else if (*w != churn_mark(tag, off))
			bad++;
	}
	w = (unsigned long *)(p + size - sizeof(*w));	/* the last word */
	if (!check)
		*w = churn_mark(tag, size);
	else if (*w != churn_mark(tag, size))
		bad++;
	return bad;
}

/*
 * Each thread keeps CHURN_LIVE blocks of one to three slots and a bit,
 * replacing them one at a time; half its allocations ask for zeroes, most
 * frees keep the memory, and thread 0 releases kept memory as a reaper
 * does. Claims then find kept runs, move kept slots from elsewhere and
 * race with each other, the frees and the releases.
 */
static void *churn_thread(void *arg)
{
	struct stress *s = arg;
	struct churn *c = s->ctx;
	struct ktap_rng rng;
	struct {
		char *p;
		size_t size;
		unsigned long tag;
	} live[CHURN_LIVE] = { { 0 } };
	unsigned int k, id = __atomic_fetch_add(&c->next_id, 1, __ATOMIC_RELAXED);
	unsigned long i, bad = 0, failed = 0, tag = (unsigned long)id << 32;

	ktap_rng_seed(&rng, 0x6c61726765UL + id);
	stress_wait_start(s);
	for (i = 0; i < s->iterations; i++) {
		bool zero = ktap_rng_below(&rng, 2);

		k = (unsigned int)(i % CHURN_LIVE);
		if (live[k].p) {
			bad += churn_marks(live[k].p, live[k].size, live[k].tag, true);
			kslab_env_large_free(live[k].p, ktap_rng_below(&rng, 8) != 0);
		}
		live[k].size = KSLAB_CHUNK_SIZE * (1 + ktap_rng_below(&rng, 3)) +
			       KSLAB_PAGE_SIZE * (1 + ktap_rng_below(&rng, 64));
		live[k].tag = ++tag;
		live[k].p = kslab_env_large_alloc(live[k].size, KSLAB_PAGE_SIZE,
						  GFP_KERNEL | (zero ? __GFP_ZERO : 0));
		if (!live[k].p) {
			failed++;
			continue;
		}
		if (zero)
			bad += churn_marks(live[k].p, live[k].size, 0, true);
		churn_marks(live[k].p, live[k].size, live[k].tag, false);
		if (id == 0 && i % 8 == 7)
			kslab_env_large_release(false);
	}
	for (k = 0; k < CHURN_LIVE; k++) {
		if (!live[k].p)
			continue;
		bad += churn_marks(live[k].p, live[k].size, live[k].tag, true);
		kslab_env_large_free(live[k].p, true);
	}
	__atomic_fetch_add(&c->damaged, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->failed, failed, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * Threads churning large blocks of varying sizes with kept memory: no
 * block ever shares memory with another (each finds its own marks intact
 * at its free), zeroed ones come zeroed, and everything kept goes back.
 */
static void test_large_kept_threads(struct ktap_test *t)
{
	struct churn c = { 0 };
	struct stress s = { .iterations = CHURN_ROUNDS, .ctx = &c };

	kslab_env_large_release(true);
	KTAP_ASSERT(t, run_threads(CHURN_THREADS, churn_thread, &s));
	KTAP_EXPECT_EQ(t, c.damaged, 0);
	KTAP_EXPECT_EQ(t, c.failed, 0);
	kslab_env_large_release(true);
	KTAP_EXPECT_EQ(t, kslab_env_large_kept(), 0);
}

#define RANDOM_WORDS	20

/* Words drawn from the pool, and past its refills, are all different. */
static void test_random_words_differ(struct ktap_test *t)
{
	unsigned long words[RANDOM_WORDS];
	unsigned int i, j, same = 0;

	for (i = 0; i < RANDOM_WORDS; i++)
		words[i] = kslab_env_random();
	for (i = 0; i < RANDOM_WORDS; i++)
		for (j = 0; j < i; j++)
			same += words[i] == words[j];
	KTAP_EXPECT_EQ(t, same, 0);
}

static void print_random(void *arg)
{
	(void)arg;
	printf("%lx\n", kslab_env_random());
}

/*
 * A fork()'s child does not draw the words left in its parent's pool:
 * parent and child would otherwise give their next caches one secret.
 */
static void test_random_apart_after_fork(struct ktap_test *t)
{
	void *registers = kslab_percpu_alloc(8);	/* the fork handlers */
	unsigned long parent;
	struct capture c;

	kslab_percpu_free(registers);
	kslab_env_random();		/* leaves words in the pool */
	KTAP_ASSERT(t, capture_fork(&c, print_random, NULL));
	parent = kslab_env_random();
	ktap_check(t, strtoul(c.out, NULL, 16) != parent, __FILE__, __LINE__,
		   "child drew %s, parent %lx", c.out, parent);
}

static const struct ktap_case memory_cases[] = {
	{ "chunk_grant", test_chunk_grant },
	{ "chunk_grants_distinct", test_chunk_grants_distinct },
	{ "chunk_grants_descend", test_chunk_grants_descend },
	{ "page_words", test_page_words },
	{ "meta_alloc", test_meta_alloc },
	{ "meta_free_null", test_meta_free_null },
	{ "large_kept", test_large_kept },
	{ "large_kept_moved", test_large_kept_moved },
	{ "large_kept_moved_zeroed", test_large_kept_moved_zeroed },
	{ "large_kept_threads", test_large_kept_threads },
	{ "random_words_differ", test_random_words_differ },
	{ "random_apart_after_fork", test_random_apart_after_fork },
};

const struct ktap_suite port_memory_suite =
	KTAP_SUITE("port-memory", memory_cases);
