// SPDX-License-Identifier: GPL-2.0
/*
 * Fixtures shared by the buddy tests (declared in buddy_tests.h): the
 * address helpers, the recording page source behind every test zone
 * (grants, take-backs, discards and populates),
 * allocating a zone's first blocks at known places, the free-list
 * expectation, random orders, and page tags that catch overlapping or
 * overwritten blocks.
 *
 * Most tests use a private zone fed by the recording page source: a
 * block's expected address is then known exactly, as page numbers within
 * the chunk the source handed out.
 */
#include <kslab/buddy.h>

#include "../../mm/page.h"
#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

unsigned long order_bytes(unsigned int order)
{
	return KSLAB_PAGE_SIZE << order;
}

unsigned long chunk_base(const void *addr)
{
	return KSLAB_ALIGN_DOWN((unsigned long)addr, KSLAB_CHUNK_SIZE);
}

/* Page @page of the chunk at @base. */
void *page_at(unsigned long base, unsigned long page)
{
	return (void *)(base + (page << KSLAB_PAGE_SHIFT));
}

void *byte_at(void *block, unsigned long offset)
{
	return (char *)block + offset;
}

bool aligned_to_order(const void *addr, unsigned int order)
{
	return !((unsigned long)addr & (order_bytes(order) - 1));
}

/* Does @addr resolve to the allocated block @block of @order? */
bool resolves_to_block(const void *addr, const void *block,
		       unsigned int order)
{
	struct kslab_page *page = kslab_virt_to_page(addr);
	struct kslab_page *head;

	if (!page)
		return false;
	head = kslab_page_head(page);
	return head->state == KSLAB_PAGE_HEAD && head->order == order &&
	       kslab_page_address(head) == block;
}

/* ------------------------------------------------------------------ */
/* The recording page source and test zones                            */
/* ------------------------------------------------------------------ */

static struct test_source *to_test_source(struct kslab_page_source *source)
{
	return kslab_container_of(source, struct test_source, source);
}

/* Spend one grant of the budget. Return: false if the source must refuse. */
static bool test_source_spend(struct test_source *src)
{
	bool allowed;

	kslab_spin_lock(&src->lock);
	allowed = src->grant_budget != 0;
	if (src->grant_budget > 0)
		src->grant_budget--;
	if (!allowed)
		src->refusals++;
	kslab_spin_unlock(&src->lock);
	return allowed;
}

static void *test_source_grant(struct kslab_page_source *source, gfp_t gfp)
{
	struct test_source *src = to_test_source(source);
	void *chunk;

	if (!test_source_spend(src))
		return NULL;
	/* The environment may sleep: never call it under our spinlock. */
	chunk = kslab_env_chunk_grant(gfp, 0);
	kslab_spin_lock(&src->lock);
	if (!chunk)
		src->refusals++;
	else if (src->nr_held == TEST_SOURCE_MAX_CHUNKS)
		src->overflows++;
	else
		src->held[src->nr_held++] = chunk;
	if (chunk)
		src->grants++;
	kslab_spin_unlock(&src->lock);
	return chunk;
}

/* Forget @chunk, keeping held[] in grant order. Return: was it held? */
static bool test_source_forget(struct test_source *src, void *chunk)
{
	bool found = false;
	unsigned long i;

	for (i = 0; i < src->nr_held; i++) {
		if (found)
			src->held[i - 1] = src->held[i];
		else if (src->held[i] == chunk)
			found = true;
	}
	if (found)
		src->nr_held--;
	return found;
}

static void test_source_take_back(struct kslab_page_source *source,
				  void *chunk)
{
	struct test_source *src = to_test_source(source);
	bool known;

	kslab_spin_lock(&src->lock);
	known = test_source_forget(src, chunk);
	if (known)
		src->take_backs++;
	else
		src->strays++;
	kslab_spin_unlock(&src->lock);
	/* Never hand the environment memory it did not give us. */
	if (known)
		kslab_env_chunk_take_back(chunk);
}

/* Discards are counted; the memory stays, as a discard allows. */
static void test_source_discard(struct kslab_page_source *source, void *p,
				size_t size)
{
	struct test_source *src = to_test_source(source);

	(void)p;
	(void)size;
	kslab_spin_lock(&src->lock);
	src->discards++;
	kslab_spin_unlock(&src->lock);
}

/* Populates are recorded, the first TEST_POPULATE_LOG of them in full. */
static void test_source_populate(struct kslab_page_source *source, void *p,
				 size_t size)
{
	struct test_source *src = to_test_source(source);

	kslab_spin_lock(&src->lock);
	if (src->populates < TEST_POPULATE_LOG)
		src->populated[src->populates] = (struct test_range){ p, size };
	src->populates++;
	kslab_spin_unlock(&src->lock);
}

void test_source_set_budget(struct test_source *src, long budget)
{
	kslab_spin_lock(&src->lock);
	src->grant_budget = budget;
	kslab_spin_unlock(&src->lock);
}

struct test_zone *test_zone_create(struct ktap_test *t, const char *name,
				   unsigned long max_chunks,
				   unsigned long keep_free_chunks)
{
	struct kslab_zone_params params = {
		.max_chunks = max_chunks,
		.keep_free_chunks = keep_free_chunks,
	};
	struct test_zone *tz;

	tz = kslab_env_meta_alloc(sizeof(*tz), GFP_KERNEL);
	if (!KTAP_EXPECT(t, tz != NULL))
		return NULL;
	tz->src.source.grant = test_source_grant;
	tz->src.source.take_back = test_source_take_back;
	tz->src.source.discard = test_source_discard;
	tz->src.source.populate = test_source_populate;
	kslab_spin_init(&tz->src.lock);
	tz->src.grant_budget = TEST_SOURCE_UNLIMITED;
	params.source = &tz->src.source;
	tz->zone = kslab_zone_create(name, &params);
	if (!KTAP_EXPECT(t, tz->zone != NULL)) {
		kslab_env_meta_free(tz, sizeof(*tz));
		return NULL;
	}
	return tz;
}

/* Destroy the zone but keep the fixture, to inspect its source. */
unsigned long test_zone_release(struct test_zone *tz)
{
	unsigned long leaked = kslab_zone_destroy(tz->zone);

	tz->zone = NULL;
	return leaked;
}

void test_zone_free(struct test_zone *tz)
{
	kslab_env_meta_free(tz, sizeof(*tz));
}

/* Every chunk granted came back, and nothing else did. */
void expect_source_drained(struct ktap_test *t, struct test_source *src)
{
	KTAP_EXPECT_EQ(t, src->nr_held, 0);
	KTAP_EXPECT_EQ(t, src->take_backs, src->grants);
	KTAP_EXPECT_EQ(t, src->strays, 0);
	KTAP_EXPECT_EQ(t, src->overflows, 0);
}

/* Tear down a zone the test emptied: no leak, every chunk back. */
void test_zone_destroy(struct ktap_test *t, struct test_zone *tz)
{
	KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);
	KTAP_EXPECT_EQ(t, test_zone_release(tz), 0);
	expect_source_drained(t, &tz->src);
	test_zone_free(tz);
}

struct kslab_buddy_stats zone_stats(struct kslab_zone *zone)
{
	struct kslab_buddy_stats stats;

	kslab_zone_stats(zone, &stats);
	return stats;
}

unsigned long zone_used_pages(struct kslab_zone *zone)
{
	struct kslab_buddy_stats stats = zone_stats(zone);

	return stats.managed_pages - stats.free_pages;
}

/*
 * Allocate the zone's first block, which must be the start of the first
 * chunk its source granted: the lower half is kept at every split.
 */
void *first_block(struct ktap_test *t, struct test_zone *tz,
		  unsigned int order)
{
	void *block = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, order);

	if (!KTAP_EXPECT(t, block != NULL))
		return NULL;
	if (!KTAP_EXPECT_EQ(t, tz->src.nr_held, 1) ||
	    !KTAP_EXPECT_PTR_EQ(t, block, tz->src.held[0])) {
		kslab_free_pages(block, order);
		return NULL;
	}
	return block;
}

void free_all(void **blocks, unsigned long n, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		kslab_free_pages(blocks[i], order);
}

/*
 * Allocate order-0 pages 0 to @n - 1 of a fresh zone's first chunk, in
 * that order, as a scripted sequence must.
 */
bool alloc_first_pages(struct ktap_test *t, struct test_zone *tz,
		       void **pages, unsigned long n)
{
	unsigned long i;

	pages[0] = first_block(t, tz, 0);
	if (!pages[0])
		return false;
	for (i = 1; i < n; i++) {
		unsigned long base = chunk_base(pages[0]);

		pages[i] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		if (!KTAP_EXPECT_PTR_EQ(t, pages[i], page_at(base, i))) {
			kslab_free_pages(pages[i], 0);
			free_all(pages, i, 0);
			return false;
		}
	}
	return true;
}

/*
 * The frame of a test inside one chunk: create zone @name of one chunk,
 * kept when free, allocate its first block, of @order, and hand it to
 * @body, which frees it; then destroy the zone, which must be empty.
 */
void with_first_block(struct ktap_test *t, const char *name,
		      unsigned int order,
		      void (*body)(struct ktap_test *t, struct test_zone *tz,
				   void *block))
{
	struct test_zone *tz = test_zone_create(t, name, 1, 1);
	void *block;

	if (!tz)
		return;
	block = first_block(t, tz, order);
	if (block)
		body(t, tz, block);
	test_zone_destroy(t, tz);
}

/*
 * The same with order-0 pages 0 to @n - 1 of the first chunk, allocated in
 * that order (see alloc_first_pages()), for @body to free.
 */
void with_first_pages(struct ktap_test *t, const char *name, unsigned long n,
		      void (*body)(struct ktap_test *t, struct test_zone *tz,
				   void **pages))
{
	struct test_zone *tz = test_zone_create(t, name, 1, 1);
	void *pages[FIRST_PAGES_MAX];

	if (!tz)
		return;
	if (KTAP_EXPECT(t, n <= FIRST_PAGES_MAX) &&
	    alloc_first_pages(t, tz, pages, n))
		body(t, tz, pages);
	test_zone_destroy(t, tz);
}

/* The free list of @order holds exactly @expected, first to last. */
void expect_free_list(struct ktap_test *t, struct kslab_zone *zone,
		      unsigned int order, void *const *expected, size_t nr)
{
	void *got[FREE_STATE_DEPTH];
	size_t n, i;

	n = kslab_zone_free_blocks(zone, order, got, FREE_STATE_DEPTH);
	ktap_check(t, n == nr, __FILE__, __LINE__,
		   "order %u: %zu free blocks, expected %zu", order, n, nr);
	for (i = 0; i < n && i < nr && i < FREE_STATE_DEPTH; i++)
		ktap_check(t, got[i] == expected[i], __FILE__, __LINE__,
			   "order %u entry %zu: %p, expected %p", order, i,
			   got[i], expected[i]);
}

/* ------------------------------------------------------------------ */
/* Blocks: random orders and page tags                                 */
/* ------------------------------------------------------------------ */

unsigned int random_order(struct ktap_rng *rng)
{
	return __builtin_ctzll(ktap_rng_next(rng) | (1ULL << KSLAB_MAX_ORDER));
}

/* Each page's first word names the block it belongs to. */
static unsigned long page_tag(unsigned long tag, unsigned long page)
{
	/* Distinct for distinct tags, whatever the page number. */
	return tag * KSLAB_CHUNK_PAGES + page;
}

void block_fill(void *block, unsigned int order, unsigned long tag)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		*(unsigned long *)byte_at(block, i << KSLAB_PAGE_SHIFT) =
			page_tag(tag, i);
}

bool block_verify(const void *block, unsigned int order, unsigned long tag)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		if (*(const unsigned long *)((const char *)block +
					     (i << KSLAB_PAGE_SHIFT)) !=
		    page_tag(tag, i))
			return false;
	return true;
}

bool block_is_zero(const void *block, unsigned int order)
{
	const unsigned long *word = block;
	unsigned long i;

	for (i = 0; i < order_bytes(order) / sizeof(*word); i++)
		if (word[i])
			return false;
	return true;
}
