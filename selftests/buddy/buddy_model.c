// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy tests that run long seeded random sequences of allocations and
 * frees against a model of what is live, checking every block's place,
 * shape and contents, the counters after each step and the checker now
 * and then.
 */
#include <kslab/buddy.h>

#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* Random operations against a model                                   */
/* ------------------------------------------------------------------ */

#define MODEL_OPS		100000
#define MODEL_CHUNKS		8
#define MODEL_KEEP		1
#define MODEL_CHECK_EVERY	4096
#define MODEL_PHASE_OPS		8192

struct model_block {
	void *addr;
	unsigned long tag;
	unsigned int order;
};

struct model {
	struct ktap_test *t;
	struct test_zone *tz;
	struct ktap_rng rng;
	struct model_block *live;
	unsigned long nr_live;
	unsigned long cap;
	unsigned long live_pages;
	unsigned long next_tag;
	unsigned long failures;
};

/* A NULL is only right when no chunk may be added and nothing fits. */
static bool model_expect_exhausted(struct model *m, unsigned int order)
{
	struct kslab_buddy_stats stats = zone_stats(m->tz->zone);
	unsigned int o;

	m->failures++;
	if (!KTAP_EXPECT_EQ(m->t, stats.nr_chunks, MODEL_CHUNKS))
		return false;
	for (o = order; o <= KSLAB_MAX_ORDER; o++)
		if (!ktap_check(m->t, !stats.free_blocks[o], __FILE__,
				__LINE__, "order %u refused with %lu free of order %u",
				order, stats.free_blocks[o], o))
			return false;
	return true;
}

static bool model_alloc(struct model *m)
{
	unsigned int order = random_order(&m->rng);
	gfp_t gfp = ktap_rng_below(&m->rng, 4) ? GFP_KERNEL : GFP_ATOMIC;
	struct model_block *b;
	void *addr;

	addr = kslab_zone_alloc_pages(m->tz->zone, gfp, order);
	if (!addr)
		return model_expect_exhausted(m, order);
	if (!KTAP_EXPECT(m->t, m->nr_live < m->cap) ||
	    !ktap_check(m->t, aligned_to_order(addr, order) &&
			resolves_to_block(addr, addr, order) &&
			resolves_to_block(byte_at(addr, order_bytes(order) - 1),
					  addr, order),
			__FILE__, __LINE__, "block %p order %u well formed",
			addr, order))
		return false;
	b = &m->live[m->nr_live++];
	b->addr = addr;
	b->order = order;
	b->tag = ++m->next_tag;
	block_fill(addr, order, b->tag);
	m->live_pages += 1UL << order;
	return true;
}

static bool model_verify(struct model *m, unsigned long i)
{
	const struct model_block *b = &m->live[i];

	return ktap_check(m->t, block_verify(b->addr, b->order, b->tag),
			  __FILE__, __LINE__, "block %p order %u intact",
			  b->addr, b->order);
}

static void model_drop(struct model *m, unsigned long i)
{
	struct model_block b = m->live[i];

	kslab_free_pages(b.addr, b.order);
	m->live[i] = m->live[--m->nr_live];
	m->live_pages -= 1UL << b.order;
}

static bool model_expect_counts(struct model *m)
{
	struct kslab_buddy_stats stats = zone_stats(m->tz->zone);

	return KTAP_EXPECT_EQ(m->t, stats.free_pages,
			      stats.managed_pages - m->live_pages) &&
	       KTAP_EXPECT_EQ(m->t, stats.managed_pages,
			      stats.nr_chunks * KSLAB_CHUNK_PAGES) &&
	       KTAP_EXPECT(m->t, stats.nr_chunks <= MODEL_CHUNKS) &&
	       KTAP_EXPECT(m->t, stats.free_blocks[KSLAB_MAX_ORDER] <=
				 MODEL_KEEP);
}

static bool model_step(struct model *m, unsigned long op)
{
	/* Alternate filling and draining so the zone reaches both ends. */
	unsigned long alloc_pct = (op / MODEL_PHASE_OPS) % 2 ? 25 : 75;
	bool ok;

	if (!m->nr_live || ktap_rng_below(&m->rng, 100) < alloc_pct) {
		ok = model_alloc(m);
	} else {
		unsigned long i = ktap_rng_below(&m->rng, m->nr_live);

		ok = model_verify(m, i);
		model_drop(m, i);
	}
	ok = ok && model_expect_counts(m);
	if (ok && op % MODEL_CHECK_EVERY == 0)
		ok = KTAP_EXPECT_EQ(m->t, kslab_zone_check(m->tz->zone), 0);
	return ok;
}

/* The run must have reached the limit, emptied chunks and given some back. */
static void model_expect_coverage(struct model *m)
{
	struct kslab_buddy_stats stats = zone_stats(m->tz->zone);

	ktap_diag("%lu blocks allocated, %lu refusals, %lu chunks given back",
		  m->next_tag, m->failures, stats.events.chunks_released);
	KTAP_EXPECT_EQ(m->t, stats.events.alloc_failures, m->failures);
	KTAP_EXPECT(m->t, m->failures > 0);
	KTAP_EXPECT(m->t, stats.events.chunks_released > 0);
	KTAP_EXPECT(m->t, stats.events.splits > 0 && stats.events.merges > 0);
	KTAP_EXPECT_EQ(m->t, stats.events.bad_frees, 0);
}

static void run_model(struct ktap_test *t, unsigned long long seed)
{
	struct model m = { .t = t, .cap = MODEL_CHUNKS * KSLAB_CHUNK_PAGES };
	unsigned long op;
	bool ok = true;

	ktap_rng_seed(&m.rng, seed);
	m.tz = test_zone_create(t, "model", MODEL_CHUNKS, MODEL_KEEP);
	if (!m.tz)
		return;
	m.live = kslab_env_meta_alloc(m.cap * sizeof(*m.live), GFP_KERNEL);
	if (KTAP_EXPECT(t, m.live != NULL)) {
		for (op = 0; op < MODEL_OPS && ok; op++)
			ok = model_step(&m, op);
		/* After a failure, only clean up: one report is enough. */
		while (m.nr_live) {
			if (ok)
				ok = model_verify(&m, m.nr_live - 1);
			model_drop(&m, m.nr_live - 1);
		}
		KTAP_EXPECT_EQ(t, zone_used_pages(m.tz->zone), 0);
		if (ok)
			model_expect_coverage(&m);
		kslab_env_meta_free(m.live, m.cap * sizeof(*m.live));
	}
	test_zone_destroy(t, m.tz);
}

static void test_model_seed_1(struct ktap_test *t)
{
	run_model(t, 1);
}

static void test_model_seed_2(struct ktap_test *t)
{
	run_model(t, 0x5eed0002ULL);
}

static void test_model_seed_3(struct ktap_test *t)
{
	run_model(t, 0xdeadbeefcafe0003ULL);
}

static const struct ktap_case buddy_model_cases[] = {
	{ "model_seed_1", test_model_seed_1 },
	{ "model_seed_2", test_model_seed_2 },
	{ "model_seed_3", test_model_seed_3 },
};

const struct ktap_suite buddy_model_suite =
	KTAP_SUITE("buddy_model", buddy_model_cases);
