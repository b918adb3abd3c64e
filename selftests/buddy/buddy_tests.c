// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy allocator tests that need nothing but the port contract, so they
 * can run in userspace and inside the kernel test module alike.
 *
 * Covered: the exact free lists after scripted splits and merges, LIFO
 * order, chunk limits and give-back hysteresis, failing page sources,
 * __GFP_ZERO, page descriptors, a randomised run against a model, every
 * kind of bad free, the consistency checker catching corruption,
 * buddyinfo text, leak reports on destroy and the default zone.
 *
 * Most tests use a private zone fed by a recording page source (see
 * buddy_tests.h): a block's expected address is then known exactly, as
 * page numbers within the chunk the source handed out.
 */
#include <kslab/buddy.h>
#include <kslab/page.h>
#include <kslab/report.h>
#include <kslab/zone.h>

#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

static unsigned long order_bytes(unsigned int order)
{
	return KSLAB_PAGE_SIZE << order;
}

static unsigned long chunk_base(const void *addr)
{
	return KSLAB_ALIGN_DOWN((unsigned long)addr, KSLAB_CHUNK_SIZE);
}

/* Page @page of the chunk at @base. */
static void *page_at(unsigned long base, unsigned long page)
{
	return (void *)(base + (page << KSLAB_PAGE_SHIFT));
}

static void *byte_at(void *block, unsigned long offset)
{
	return (char *)block + offset;
}

static bool aligned_to_order(const void *addr, unsigned int order)
{
	return !((unsigned long)addr & (order_bytes(order) - 1));
}

/* Does @addr resolve to the allocated block @block of @order? */
static bool resolves_to_block(const void *addr, const void *block,
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
/* Strings, without libc                                               */
/* ------------------------------------------------------------------ */

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* Does @s begin with @prefix? Stops at the first difference, NUL included. */
static bool str_at(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

static const char *str_find(const char *from, const char *needle)
{
	for (; *from; from++)
		if (str_at(from, needle))
			return from;
	return NULL;
}

bool str_contains(const char *haystack, const char *needle)
{
	return str_find(haystack, needle) != NULL;
}

static bool is_word_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '_';
}

/*
 * Does @needle occur in @haystack as a whole word? An address or count must
 * not match merely as the prefix of a longer one.
 */
static bool str_contains_word(const char *haystack, const char *needle)
{
	size_t n = str_len(needle);
	const char *at = haystack;

	while ((at = str_find(at, needle))) {
		bool start = at == haystack || !is_word_char(at[-1]);

		if (start && !is_word_char(at[n]))
			return true;
		at++;
	}
	return false;
}

/* Is @line (newline included) one whole line of @text? */
static bool text_has_line(const char *text, const char *line)
{
	const char *at = text;

	while ((at = str_find(at, line))) {
		if (at == text || at[-1] == '\n')
			return true;
		at++;
	}
	return false;
}

#define EXPECT_CONTAINS(t, haystack, needle)				\
	ktap_check((t), str_contains((haystack), (needle)), __FILE__,	\
		   __LINE__, "\"%s\" contains \"%s\"", (haystack), (needle))

#define EXPECT_CONTAINS_WORD(t, haystack, needle)			\
	ktap_check((t), str_contains_word((haystack), (needle)),	\
		   __FILE__, __LINE__, "\"%s\" contains word \"%s\"",	\
		   (haystack), (needle))

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
	chunk = kslab_env_chunk_grant(gfp);
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
static void *first_block(struct ktap_test *t, struct test_zone *tz,
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

static void free_all(void **blocks, unsigned long n, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		kslab_free_pages(blocks[i], order);
}

/*
 * Allocate order-0 pages 0 to @n - 1 of a fresh zone's first chunk, in
 * that order, as a scripted sequence must.
 */
static bool alloc_first_pages(struct ktap_test *t, struct test_zone *tz,
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

/* ------------------------------------------------------------------ */
/* Page tags: each page's first word names the block it belongs to     */
/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */
/* Report capture                                                      */
/* ------------------------------------------------------------------ */

static bool capture_hook(enum kslab_log_level level, const char *msg,
			 void *arg)
{
	struct report_capture *cap = arg;

	if (cap->count < CAPTURE_MSGS) {
		cap->level[cap->count] = level;
		kslab_snprintf(cap->msg[cap->count], CAPTURE_LEN, "%s", msg);
	}
	cap->count++;
	return true;
}

void capture_start(struct report_capture *cap)
{
	kslab_memset(cap, 0, sizeof(*cap));
	cap->reported = kslab_report_count();
	kslab_set_report_hook(capture_hook, cap);
}

void capture_stop(struct report_capture *cap)
{
	kslab_set_report_hook(NULL, NULL);
	cap->reported = kslab_report_count() - cap->reported;
}

/*
 * Exactly one error report naming @addr and @reason, and the zone when
 * the address is one kslab could attribute to a zone.
 */
static void expect_one_report(struct ktap_test *t,
			      const struct report_capture *cap,
			      const char *reason, const void *addr,
			      const char *zone_name)
{
	char addr_text[32];

	KTAP_EXPECT_EQ(t, cap->count, 1);
	KTAP_EXPECT_EQ(t, cap->reported, 1);
	if (!cap->count)
		return;
	KTAP_EXPECT_EQ(t, cap->level[0], KSLAB_LOG_ERR);
	ktap_check(t, str_at(cap->msg[0], "kslab: "), __FILE__, __LINE__,
		   "\"%s\" starts with \"kslab: \"", cap->msg[0]);
	EXPECT_CONTAINS(t, cap->msg[0], reason);
	kslab_snprintf(addr_text, sizeof(addr_text), "%p", addr);
	EXPECT_CONTAINS_WORD(t, cap->msg[0], addr_text);
	if (zone_name)
		EXPECT_CONTAINS_WORD(t, cap->msg[0], zone_name);
}

/* ------------------------------------------------------------------ */
/* Expected free lists                                                 */
/* ------------------------------------------------------------------ */

#define FREE_STATE_DEPTH	4

/* Free blocks per order, as page numbers in their chunk, in list order. */
struct free_state {
	unsigned int nr[KSLAB_MAX_ORDER + 1];
	unsigned long page[KSLAB_MAX_ORDER + 1][FREE_STATE_DEPTH];
};

static void free_state_add(struct free_state *s, unsigned int order,
			   unsigned long page)
{
	if (s->nr[order] < FREE_STATE_DEPTH)
		s->page[order][s->nr[order]] = page;
	s->nr[order]++;
}

/*
 * What splitting the block of order @from at @page down to order @to
 * leaves free: one upper half of each order from @to to @from - 1.
 */
static void free_state_split(struct free_state *s, unsigned long page,
			     unsigned int from, unsigned int to)
{
	unsigned int order;

	for (order = to; order < from; order++)
		free_state_add(s, order, page + (1UL << order));
}

/* The free list of @order holds exactly @expected, first to last. */
static void expect_free_list(struct ktap_test *t, struct kslab_zone *zone,
			     unsigned int order, void *const *expected,
			     size_t nr)
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

/*
 * The zone's free lists are exactly @s (pages of the chunk at @base), the
 * counters agree with them and the checker finds nothing wrong.
 */
static void expect_free_state(struct ktap_test *t, struct kslab_zone *zone,
			      unsigned long base, const struct free_state *s)
{
	struct kslab_buddy_stats stats = zone_stats(zone);
	void *expected[FREE_STATE_DEPTH];
	unsigned long free_pages = 0;
	unsigned int order, i;

	for (order = 0; order <= KSLAB_MAX_ORDER; order++) {
		for (i = 0; i < s->nr[order] && i < FREE_STATE_DEPTH; i++)
			expected[i] = page_at(base, s->page[order][i]);
		expect_free_list(t, zone, order, expected, s->nr[order]);
		KTAP_EXPECT_EQ(t, stats.free_blocks[order], s->nr[order]);
		free_pages += (unsigned long)s->nr[order] << order;
	}
	KTAP_EXPECT_EQ(t, stats.free_pages, free_pages);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
}

static void expect_whole_chunk_free(struct ktap_test *t,
				    struct kslab_zone *zone, unsigned long base)
{
	struct free_state s = {};

	free_state_add(&s, KSLAB_MAX_ORDER, 0);
	expect_free_state(t, zone, base, &s);
}

static void expect_split_merge(struct ktap_test *t, struct kslab_zone *zone,
			       unsigned long splits, unsigned long merges)
{
	struct kslab_buddy_stats stats = zone_stats(zone);

	KTAP_EXPECT_EQ(t, stats.splits, splits);
	KTAP_EXPECT_EQ(t, stats.merges, merges);
}

/* ------------------------------------------------------------------ */
/* Scripted splits and merges                                          */
/* ------------------------------------------------------------------ */

static void test_split_first_order0(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "split0", 1, 1);
	struct free_state s = {};
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		free_state_split(&s, 0, KSLAB_MAX_ORDER, 0);
		expect_free_state(t, tz->zone, chunk_base(a), &s);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, 0);
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).nr_chunks, 1);
		kslab_free_pages(a, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_free_coalesces_whole_chunk(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "merge0", 1, 1);
	unsigned long base;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		base = chunk_base(a);
		kslab_free_pages(a, 0);
		expect_whole_chunk_free(t, tz->zone, base);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER,
				   KSLAB_MAX_ORDER);

		/* The kept chunk serves again, split and merged alike. */
		a = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		KTAP_EXPECT_PTR_EQ(t, a, page_at(base, 0));
		kslab_free_pages(a, 0);
		expect_whole_chunk_free(t, tz->zone, base);
		expect_split_merge(t, tz->zone, 2 * KSLAB_MAX_ORDER,
				   2 * KSLAB_MAX_ORDER);
		KTAP_EXPECT_EQ(t, tz->src.grants, 1);
	}
	test_zone_destroy(t, tz);
}

static void test_second_order0_is_buddy(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "buddy0", 1, 1);
	struct free_state s = {};
	void *pages[2];

	if (!tz)
		return;
	if (alloc_first_pages(t, tz, pages, 2)) {
		unsigned long base = chunk_base(pages[0]);

		/* The buddy came off the order-0 list: no new split. */
		free_state_split(&s, 0, KSLAB_MAX_ORDER, 1);
		expect_free_state(t, tz->zone, base, &s);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, 0);

		kslab_free_pages(pages[0], 0);
		free_state_add(&s, 0, 0);
		expect_free_state(t, tz->zone, base, &s);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, 0);

		kslab_free_pages(pages[1], 0);
		expect_whole_chunk_free(t, tz->zone, base);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER,
				   KSLAB_MAX_ORDER);
	}
	test_zone_destroy(t, tz);
}

static void test_non_buddies_stay_apart(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "apart", 1, 1);
	struct free_state s = {};
	void *pages[4];

	if (!tz)
		return;
	if (alloc_first_pages(t, tz, pages, 4)) {
		unsigned long base = chunk_base(pages[0]);

		/* Pages 1 and 2 touch but are not buddies (1 ^ 1 == 0). */
		kslab_free_pages(pages[1], 0);
		kslab_free_pages(pages[2], 0);
		free_state_add(&s, 0, 2);
		free_state_add(&s, 0, 1);
		free_state_split(&s, 0, KSLAB_MAX_ORDER, 2);
		expect_free_state(t, tz->zone, base, &s);
		/* Pages 2-3 came from splitting the order-1 block at 2. */
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER + 1, 0);

		/* Page 0 merges with 1; the pair's buddy (2-3) is half used. */
		kslab_free_pages(pages[0], 0);
		kslab_memset(&s, 0, sizeof(s));
		free_state_add(&s, 0, 2);
		free_state_add(&s, 1, 0);
		free_state_split(&s, 0, KSLAB_MAX_ORDER, 2);
		expect_free_state(t, tz->zone, base, &s);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER + 1, 1);

		/* Page 3 completes everything: one merge per order. */
		kslab_free_pages(pages[3], 0);
		expect_whole_chunk_free(t, tz->zone, base);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER + 1,
				   KSLAB_MAX_ORDER + 1);
	}
	test_zone_destroy(t, tz);
}

static void test_order3_after_order0(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "ord3", 1, 1);
	struct free_state s = {};
	unsigned long base;
	void *a, *b;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		base = chunk_base(a);
		b = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 3);
		KTAP_EXPECT_PTR_EQ(t, b, page_at(base, 8));
		free_state_split(&s, 0, 3, 0);
		free_state_split(&s, 0, KSLAB_MAX_ORDER, 4);
		expect_free_state(t, tz->zone, base, &s);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, 0);

		/* Its buddy (pages 0-7) is split, so it goes back unmerged. */
		kslab_free_pages(b, 3);
		kslab_memset(&s, 0, sizeof(s));
		free_state_split(&s, 0, KSLAB_MAX_ORDER, 0);
		expect_free_state(t, tz->zone, base, &s);
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, 0);
		kslab_free_pages(a, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_smallest_fitting_order(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "fit", 1, 1);
	struct free_state s = {};
	void *blk[5];
	unsigned long base;

	if (!tz)
		return;
	blk[0] = first_block(t, tz, 0);
	if (blk[0]) {
		base = chunk_base(blk[0]);
		/* An exact fit is taken as is. */
		blk[1] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 4);
		KTAP_EXPECT_PTR_EQ(t, blk[1], page_at(base, 16));
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, 0);
		/* None left: the next order up is split, not a larger one. */
		blk[2] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 4);
		KTAP_EXPECT_PTR_EQ(t, blk[2], page_at(base, 32));
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER + 1, 0);
		blk[3] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 2);
		KTAP_EXPECT_PTR_EQ(t, blk[3], page_at(base, 4));
		/* Order 5 was used up by blk[2]: order 6 gets split. */
		blk[4] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 5);
		KTAP_EXPECT_PTR_EQ(t, blk[4], page_at(base, 64));
		expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER + 2, 0);

		free_state_add(&s, 0, 1);
		free_state_add(&s, 1, 2);
		free_state_add(&s, 3, 8);
		free_state_add(&s, 4, 48);
		free_state_add(&s, 5, 96);
		free_state_split(&s, 0, KSLAB_MAX_ORDER, 7);
		expect_free_state(t, tz->zone, base, &s);

		kslab_free_pages(blk[4], 5);
		kslab_free_pages(blk[3], 2);
		kslab_free_pages(blk[2], 4);
		kslab_free_pages(blk[1], 4);
		kslab_free_pages(blk[0], 0);
		expect_whole_chunk_free(t, tz->zone, base);
	}
	test_zone_destroy(t, tz);
}

static void test_max_order_takes_whole_chunk(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "maxord", 2, 2);
	struct free_state none = {};
	void *a, *b, *lifo[2];

	if (!tz)
		return;
	a = first_block(t, tz, KSLAB_MAX_ORDER);
	if (a) {
		expect_free_state(t, tz->zone, chunk_base(a), &none);
		b = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
					   KSLAB_MAX_ORDER);
		KTAP_EXPECT(t, b != NULL);
		KTAP_EXPECT_EQ(t, tz->src.nr_held, 2);
		KTAP_EXPECT_PTR_EQ(t, b, tz->src.held[1]);
		/* Both chunks are wholly used and the limit is reached. */
		KTAP_EXPECT(t, !kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
						       0));
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).alloc_failures, 1);
		KTAP_EXPECT_EQ(t, tz->src.grants, 2);

		kslab_free_pages(a, KSLAB_MAX_ORDER);
		kslab_free_pages(b, KSLAB_MAX_ORDER);
		lifo[0] = b;
		lifo[1] = a;
		expect_free_list(t, tz->zone, KSLAB_MAX_ORDER, lifo, 2);
		expect_split_merge(t, tz->zone, 0, 0);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_free_lists_are_lifo(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "lifo", 1, 1);
	void *pages[8], *expected[3];
	unsigned long base;

	if (!tz)
		return;
	if (alloc_first_pages(t, tz, pages, 8)) {
		base = chunk_base(pages[0]);
		/* Odd pages: their buddies stay allocated, so none merges. */
		kslab_free_pages(pages[5], 0);
		kslab_free_pages(pages[1], 0);
		kslab_free_pages(pages[3], 0);
		expected[0] = pages[3];
		expected[1] = pages[1];
		expected[2] = pages[5];
		expect_free_list(t, tz->zone, 0, expected, 3);

		pages[3] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		pages[1] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		pages[5] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		KTAP_EXPECT_PTR_EQ(t, pages[3], page_at(base, 3));
		KTAP_EXPECT_PTR_EQ(t, pages[1], page_at(base, 1));
		KTAP_EXPECT_PTR_EQ(t, pages[5], page_at(base, 5));
		free_all(pages, 8, 0);
		expect_whole_chunk_free(t, tz->zone, base);
	}
	test_zone_destroy(t, tz);
}

static void test_free_blocks_listing_truncates(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "listing", 1, 1);
	void *pages[8], *got[3];
	void *sentinel = &got;

	if (!tz)
		return;
	if (alloc_first_pages(t, tz, pages, 8)) {
		kslab_free_pages(pages[1], 0);
		kslab_free_pages(pages[3], 0);
		kslab_free_pages(pages[5], 0);
		got[0] = got[1] = got[2] = sentinel;
		/* The count is the whole list's, however little room. */
		KTAP_EXPECT_EQ(t, kslab_zone_free_blocks(tz->zone, 0, got, 2),
			       3);
		KTAP_EXPECT_PTR_EQ(t, got[0], pages[5]);
		KTAP_EXPECT_PTR_EQ(t, got[1], pages[3]);
		KTAP_EXPECT_PTR_EQ(t, got[2], sentinel);
		got[0] = sentinel;
		KTAP_EXPECT_EQ(t, kslab_zone_free_blocks(tz->zone, 0, got, 0),
			       3);
		KTAP_EXPECT_PTR_EQ(t, got[0], sentinel);
		KTAP_EXPECT_EQ(t, kslab_zone_free_blocks(tz->zone, 1, got, 3),
			       0);
		kslab_free_pages(pages[0], 0);
		kslab_free_pages(pages[2], 0);
		kslab_free_pages(pages[4], 0);
		kslab_free_pages(pages[6], 0);
		kslab_free_pages(pages[7], 0);
	}
	test_zone_destroy(t, tz);
}

/* ------------------------------------------------------------------ */
/* Limits, give-back and page sources                                  */
/* ------------------------------------------------------------------ */

/* Order-0 pages allocated up to a cap, with a bitmap to prove them distinct. */
struct page_set {
	void **pages;
	unsigned long nr;
	unsigned long cap;
	unsigned char *seen;	/* a bit per (granted chunk, page) */
};

static bool page_set_init(struct ktap_test *t, struct page_set *set,
			  unsigned long cap)
{
	set->nr = 0;
	set->cap = cap;
	set->pages = kslab_env_meta_alloc(cap * sizeof(void *), GFP_KERNEL);
	set->seen = kslab_env_meta_alloc(TEST_SOURCE_MAX_CHUNKS *
					 KSLAB_CHUNK_PAGES / 8, GFP_KERNEL);
	return KTAP_EXPECT(t, set->pages && set->seen);
}

static void page_set_exit(struct page_set *set)
{
	if (set->pages)
		kslab_env_meta_free(set->pages, set->cap * sizeof(void *));
	if (set->seen)
		kslab_env_meta_free(set->seen, TEST_SOURCE_MAX_CHUNKS *
				    KSLAB_CHUNK_PAGES / 8);
}

/* Mark @page seen. Return: false if it is foreign or was seen before. */
static bool page_set_mark(struct page_set *set, struct test_source *src,
			  void *page)
{
	unsigned long base = chunk_base(page), bit, i;

	for (i = 0; i < src->nr_held; i++)
		if ((unsigned long)src->held[i] == base)
			break;
	if (i == src->nr_held)
		return false;
	bit = i * KSLAB_CHUNK_PAGES +
	      (((unsigned long)page - base) >> KSLAB_PAGE_SHIFT);
	if (set->seen[bit / 8] & (1u << (bit % 8)))
		return false;
	set->seen[bit / 8] |= 1u << (bit % 8);
	return true;
}

/* Allocate order-0 pages until the zone refuses or the set is full. */
static bool page_set_fill(struct ktap_test *t, struct page_set *set,
			  struct test_zone *tz)
{
	while (set->nr < set->cap) {
		void *page = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);

		if (!page)
			break;
		set->pages[set->nr++] = page;
		if (!ktap_check(t, aligned_to_order(page, 0) &&
				page_set_mark(set, &tz->src, page), __FILE__,
				__LINE__, "page %p is new and page-aligned",
				page))
			return false;
	}
	return true;
}

static void page_set_free(struct page_set *set)
{
	free_all(set->pages, set->nr, 0);
	set->nr = 0;
}

/* After filling and freeing, only whole free chunks remain. */
static void expect_only_free_chunks(struct ktap_test *t,
				    struct kslab_zone *zone,
				    unsigned long nr_chunks)
{
	struct kslab_buddy_stats stats = zone_stats(zone);
	unsigned int order;

	for (order = 0; order < KSLAB_MAX_ORDER; order++)
		KTAP_EXPECT_EQ(t, stats.free_blocks[order], 0);
	KTAP_EXPECT_EQ(t, stats.free_blocks[KSLAB_MAX_ORDER], nr_chunks);
	KTAP_EXPECT_EQ(t, stats.nr_chunks, nr_chunks);
	KTAP_EXPECT_EQ(t, stats.free_pages, nr_chunks * KSLAB_CHUNK_PAGES);
	KTAP_EXPECT_EQ(t, stats.managed_pages, nr_chunks * KSLAB_CHUNK_PAGES);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
}

static void test_exhaust_max_chunks(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "exhaust", 3, 3);
	struct kslab_buddy_stats stats;
	struct page_set set;
	void *order_chunks[3];

	if (!tz)
		return;
	if (page_set_init(t, &set, 3 * KSLAB_CHUNK_PAGES + 1) &&
	    page_set_fill(t, &set, tz)) {
		KTAP_EXPECT_EQ(t, set.nr, 3 * KSLAB_CHUNK_PAGES);
		stats = zone_stats(tz->zone);
		KTAP_EXPECT_EQ(t, stats.nr_chunks, 3);
		KTAP_EXPECT_EQ(t, stats.free_pages, 0);
		KTAP_EXPECT_EQ(t, stats.alloc_failures, 1);
		/* The zone's own limit stopped it, not the source. */
		KTAP_EXPECT_EQ(t, tz->src.grants, 3);
		KTAP_EXPECT_EQ(t, tz->src.refusals, 0);

		/* Chunks fill in grant order, so they empty in it too. */
		order_chunks[0] = tz->src.held[2];
		order_chunks[1] = tz->src.held[1];
		order_chunks[2] = tz->src.held[0];
		page_set_free(&set);
		expect_only_free_chunks(t, tz->zone, 3);
		expect_free_list(t, tz->zone, KSLAB_MAX_ORDER, order_chunks, 3);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 0);
	}
	page_set_free(&set);
	page_set_exit(&set);
	test_zone_destroy(t, tz);
}

static void test_set_keep_free_gives_back(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "giveback", 3, 3);
	struct kslab_buddy_stats stats;
	struct page_set set;

	if (!tz)
		return;
	if (page_set_init(t, &set, 3 * KSLAB_CHUNK_PAGES) &&
	    page_set_fill(t, &set, tz)) {
		page_set_free(&set);
		expect_only_free_chunks(t, tz->zone, 3);

		KTAP_EXPECT_EQ(t, kslab_zone_set_keep_free(tz->zone, 2), 1);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 1);
		expect_only_free_chunks(t, tz->zone, 2);
		KTAP_EXPECT_EQ(t, kslab_zone_set_keep_free(tz->zone, 0), 2);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 3);
		expect_only_free_chunks(t, tz->zone, 0);
		stats = zone_stats(tz->zone);
		KTAP_EXPECT_EQ(t, stats.chunks_granted, 3);
		KTAP_EXPECT_EQ(t, stats.chunks_released, 3);
		KTAP_EXPECT_EQ(t, kslab_zone_set_keep_free(tz->zone, 5), 0);
		expect_source_drained(t, &tz->src);
	}
	page_set_free(&set);
	page_set_exit(&set);
	test_zone_destroy(t, tz);
}

static void test_keep_free_hysteresis(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "keep1", 0, 1);
	struct page_set set;
	void *kept, *again;

	if (!tz)
		return;
	if (page_set_init(t, &set, 4 * KSLAB_CHUNK_PAGES) &&
	    page_set_fill(t, &set, tz)) {
		KTAP_EXPECT_EQ(t, tz->src.grants, 4);
		page_set_free(&set);
		expect_only_free_chunks(t, tz->zone, 1);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 3);
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).chunks_released, 3);

		/* The kept chunk serves the next request without a grant. */
		kept = tz->src.held[0];
		again = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
					       KSLAB_MAX_ORDER);
		KTAP_EXPECT_PTR_EQ(t, again, kept);
		KTAP_EXPECT_EQ(t, tz->src.grants, 4);
		kslab_free_pages(again, KSLAB_MAX_ORDER);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 3);
		expect_only_free_chunks(t, tz->zone, 1);
	}
	page_set_free(&set);
	page_set_exit(&set);
	test_zone_destroy(t, tz);
}

static void expect_no_chunks(struct ktap_test *t, struct test_zone *tz)
{
	struct kslab_buddy_stats stats = zone_stats(tz->zone);

	KTAP_EXPECT_EQ(t, stats.nr_chunks, 0);
	KTAP_EXPECT_EQ(t, stats.managed_pages, 0);
	KTAP_EXPECT_EQ(t, stats.free_pages, 0);
	KTAP_EXPECT_EQ(t, tz->src.nr_held, 0);
	KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);
}

static void test_failing_source(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "nosrc", 0, 1);
	void *a;

	if (!tz)
		return;
	test_source_set_budget(&tz->src, 0);
	KTAP_EXPECT(t, !kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0));
	KTAP_EXPECT(t, !kslab_zone_alloc_pages(tz->zone, GFP_ATOMIC,
					       KSLAB_MAX_ORDER));
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).alloc_failures, 2);
	KTAP_EXPECT_EQ(t, tz->src.refusals, 2);
	KTAP_EXPECT_EQ(t, tz->src.grants, 0);
	expect_no_chunks(t, tz);

	/* Once the source recovers, so does the zone. */
	test_source_set_budget(&tz->src, TEST_SOURCE_UNLIMITED);
	a = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT(t, a != NULL);
	kslab_free_pages(a, 0);
	test_zone_destroy(t, tz);
}

static void test_source_runs_dry(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "dry", 0, 1);
	void *a, *b;

	if (!tz)
		return;
	test_source_set_budget(&tz->src, 1);
	a = first_block(t, tz, KSLAB_MAX_ORDER);
	if (a) {
		KTAP_EXPECT(t, !kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
						       0));
		KTAP_EXPECT_EQ(t, tz->src.refusals, 1);
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).alloc_failures, 1);
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).nr_chunks, 1);
		KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);

		/* Memory already held still serves after the source dried. */
		kslab_free_pages(a, KSLAB_MAX_ORDER);
		b = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		KTAP_EXPECT_PTR_EQ(t, b, a);
		KTAP_EXPECT_EQ(t, tz->src.grants, 1);
		kslab_free_pages(b, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_alloc_order_above_max(struct ktap_test *t)
{
	static const unsigned int orders[] = {
		KSLAB_MAX_ORDER + 1, 31, 32, 63, 64, ~0u,
	};
	/* One chunk at most: a missing order check fails, not hangs. */
	struct test_zone *tz = test_zone_create(t, "toobig", 1, 1);
	struct kslab_buddy_stats before, after;
	unsigned int i;

	if (!tz)
		return;
	for (i = 0; i < KSLAB_ARRAY_SIZE(orders); i++)
		ktap_check(t, !kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
						      orders[i]),
			   __FILE__, __LINE__, "order %u refused", orders[i]);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).alloc_failures,
		       KSLAB_ARRAY_SIZE(orders));
	/* Refused up front: the zone did not grow trying. */
	if (!KTAP_EXPECT_EQ(t, tz->src.grants + tz->src.refusals, 0)) {
		/* The default zone has no limit: it would grow forever. */
		test_zone_destroy(t, tz);
		return;
	}
	expect_no_chunks(t, tz);

	kslab_buddy_stats(&before);
	KTAP_EXPECT(t, !kslab_alloc_pages(GFP_KERNEL, KSLAB_MAX_ORDER + 1));
	kslab_buddy_stats(&after);
	KTAP_EXPECT_EQ(t, after.managed_pages, before.managed_pages);
	KTAP_EXPECT_EQ(t, after.alloc_failures, before.alloc_failures + 1);
	test_zone_destroy(t, tz);
}

/* ------------------------------------------------------------------ */
/* Contents and page descriptors                                       */
/* ------------------------------------------------------------------ */

static bool block_is_zero(const void *block, unsigned int order)
{
	const unsigned long *word = block;
	unsigned long i;

	for (i = 0; i < order_bytes(order) / sizeof(*word); i++)
		if (word[i])
			return false;
	return true;
}

static void test_gfp_zero(struct ktap_test *t)
{
	static const unsigned int orders[] = { 0, 3, KSLAB_MAX_ORDER };
	struct test_zone *tz = test_zone_create(t, "zero", 1, 1);
	unsigned int i;

	if (!tz)
		return;
	for (i = 0; i < KSLAB_ARRAY_SIZE(orders); i++) {
		unsigned int order = orders[i];
		void *dirty, *clean;

		dirty = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, order);
		if (!KTAP_EXPECT(t, dirty != NULL))
			break;
		kslab_memset(dirty, 0xa5, order_bytes(order));
		kslab_free_pages(dirty, order);
		clean = kslab_zone_alloc_pages(tz->zone,
					       GFP_KERNEL | __GFP_ZERO, order);
		/* The same block, or the test proves nothing. */
		KTAP_EXPECT_PTR_EQ(t, clean, dirty);
		if (clean) {
			ktap_check(t, block_is_zero(clean, order), __FILE__,
				   __LINE__, "order %u block zeroed", order);
			kslab_free_pages(clean, order);
		}
	}
	test_zone_destroy(t, tz);
}

/* First, middle and last byte of @block all lead to its head. */
static void expect_block_descriptors(struct ktap_test *t, void *block,
				     unsigned int order)
{
	unsigned long offsets[] = {
		0, order_bytes(order) / 2 + 123, order_bytes(order) - 1,
	};
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(offsets); i++) {
		void *addr = byte_at(block, offsets[i]);
		struct kslab_page *page = kslab_virt_to_page(addr);
		unsigned int state = offsets[i] < KSLAB_PAGE_SIZE ?
				     KSLAB_PAGE_HEAD : KSLAB_PAGE_TAIL;

		if (!ktap_check(t, page != NULL, __FILE__, __LINE__,
				"%p has a descriptor", addr))
			continue;
		KTAP_EXPECT_EQ(t, page->state, state);
		ktap_check(t, resolves_to_block(addr, block, order), __FILE__,
			   __LINE__, "%p resolves to block %p order %u", addr,
			   block, order);
	}
}

static void test_page_desc_allocated(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "desc", 2, 2);
	void *blocks[KSLAB_MAX_ORDER + 1];
	unsigned int order;

	if (!tz)
		return;
	/* All live at once, so neighbours of every size surround each. */
	for (order = 0; order <= KSLAB_MAX_ORDER; order++) {
		blocks[order] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
						       order);
		KTAP_EXPECT(t, blocks[order] &&
			       aligned_to_order(blocks[order], order));
	}
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		if (blocks[order])
			expect_block_descriptors(t, blocks[order], order);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		kslab_free_pages(blocks[order], order);
	test_zone_destroy(t, tz);
}

static void expect_free_head(struct ktap_test *t, void *addr,
			     unsigned int order)
{
	struct kslab_page *page = kslab_virt_to_page(addr);

	if (!ktap_check(t, page != NULL, __FILE__, __LINE__,
			"free block %p has a descriptor", addr))
		return;
	KTAP_EXPECT_EQ(t, page->state, KSLAB_PAGE_FREE);
	KTAP_EXPECT_EQ(t, page->order, order);
	KTAP_EXPECT_PTR_EQ(t, kslab_page_address(page), addr);
}

static void test_page_desc_free_blocks(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "descfree", 1, 1);
	unsigned int order;
	unsigned long base;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		base = chunk_base(a);
		for (order = 0; order < KSLAB_MAX_ORDER; order++)
			expect_free_head(t, page_at(base, 1UL << order), order);
		kslab_free_pages(a, 0);
		expect_free_head(t, a, KSLAB_MAX_ORDER);
	}
	test_zone_destroy(t, tz);
}

static int foreign_static_var;

static void test_page_desc_foreign(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "descforeign", 1, 0);
	int foreign_stack_var = 0;
	void *a;

	KTAP_EXPECT(t, !kslab_virt_to_page(&foreign_stack_var));
	KTAP_EXPECT(t, !kslab_virt_to_page(&foreign_static_var));
	KTAP_EXPECT(t, !kslab_virt_to_page(NULL));
	if (!tz)
		return;
	/* A chunk given back stops being kslab's at once. */
	a = first_block(t, tz, 0);
	if (a) {
		KTAP_EXPECT(t, kslab_virt_to_page(a) != NULL);
		kslab_free_pages(a, 0);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 1);
		KTAP_EXPECT(t, !kslab_virt_to_page(a));
		KTAP_EXPECT(t, !kslab_virt_to_page(byte_at(a,
						   KSLAB_CHUNK_SIZE / 2)));
	}
	test_zone_destroy(t, tz);
}

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

unsigned int random_order(struct ktap_rng *rng)
{
	return __builtin_ctzll(ktap_rng_next(rng) | (1ULL << KSLAB_MAX_ORDER));
}

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
		  m->next_tag, m->failures, stats.chunks_released);
	KTAP_EXPECT_EQ(m->t, stats.alloc_failures, m->failures);
	KTAP_EXPECT(m->t, m->failures > 0);
	KTAP_EXPECT(m->t, stats.chunks_released > 0);
	KTAP_EXPECT(m->t, stats.splits > 0 && stats.merges > 0);
	KTAP_EXPECT_EQ(m->t, stats.bad_frees, 0);
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

/* ------------------------------------------------------------------ */
/* Bad frees                                                           */
/* ------------------------------------------------------------------ */

static void expect_same_free_state(struct ktap_test *t,
				   const struct kslab_buddy_stats *before,
				   const struct kslab_buddy_stats *after)
{
	unsigned int order;

	KTAP_EXPECT_EQ(t, after->managed_pages, before->managed_pages);
	KTAP_EXPECT_EQ(t, after->free_pages, before->free_pages);
	KTAP_EXPECT_EQ(t, after->nr_chunks, before->nr_chunks);
	KTAP_EXPECT_EQ(t, after->merges, before->merges);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		KTAP_EXPECT_EQ(t, after->free_blocks[order],
			       before->free_blocks[order]);
}

static void expect_zone_still_works(struct ktap_test *t,
				    struct kslab_zone *zone)
{
	unsigned long used = zone_used_pages(zone);
	void *page = kslab_zone_alloc_pages(zone, GFP_KERNEL, 0);

	if (!KTAP_EXPECT(t, page != NULL))
		return;
	KTAP_EXPECT_EQ(t, zone_used_pages(zone), used + 1);
	kslab_free_pages(page, 0);
	KTAP_EXPECT_EQ(t, zone_used_pages(zone), used);
}

/*
 * Free @addr with @order, which is wrong for @reason: exactly one report
 * and nothing else may change. A managed address is blamed on its zone;
 * one kslab does not manage cannot be, so no zone counts it.
 */
void expect_bad_free(struct ktap_test *t, struct test_zone *tz, void *addr,
		     unsigned int order, const char *reason)
{
	struct kslab_zone *zone = tz->zone;
	bool managed = kslab_virt_to_page(addr) != NULL;
	struct kslab_buddy_stats before, after;
	struct report_capture cap;

	before = zone_stats(zone);
	capture_start(&cap);
	kslab_free_pages(addr, order);
	capture_stop(&cap);
	after = zone_stats(zone);

	expect_one_report(t, &cap, reason, addr, managed ? zone->name : NULL);
	KTAP_EXPECT_EQ(t, after.bad_frees, before.bad_frees + managed);
	expect_same_free_state(t, &before, &after);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
	expect_zone_still_works(t, zone);
}

#define REASON_FOREIGN		"not managed by kslab"
#define REASON_MISALIGNED	"misaligned"
#define REASON_WRONG_ORDER	"wrong order"
#define REASON_DOUBLE		"double free"
#define REASON_INSIDE		"inside"
#define REASON_ABOVE_MAX	"above max"

static int bad_free_static_var;

static void test_bad_free_stack_and_static(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-stack", 1, 1);
	int bad_free_stack_var = 0;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		expect_bad_free(t, tz, &bad_free_stack_var, 0, REASON_FOREIGN);
		expect_bad_free(t, tz, &bad_free_static_var, 0, REASON_FOREIGN);
		kslab_free_pages(a, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_bad_free_given_back_chunk(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-gone", 0, 0);
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		kslab_free_pages(a, 0);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 1);
		expect_bad_free(t, tz, a, 0, REASON_FOREIGN);
	}
	test_zone_destroy(t, tz);
}

static void test_bad_free_misaligned(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-align", 1, 1);
	void *b;

	if (!tz)
		return;
	b = first_block(t, tz, 2);
	if (b) {
		expect_bad_free(t, tz, byte_at(b, KSLAB_PAGE_SIZE), 1,
				REASON_MISALIGNED);
		expect_bad_free(t, tz, byte_at(b, 2 * KSLAB_PAGE_SIZE), 2,
				REASON_MISALIGNED);
		expect_bad_free(t, tz, byte_at(b, KSLAB_PAGE_SIZE / 2), 0,
				REASON_MISALIGNED);
		expect_bad_free(t, tz, byte_at(b, 1), 2, REASON_MISALIGNED);
		kslab_free_pages(b, 2);
	}
	test_zone_destroy(t, tz);
}

static void test_bad_free_wrong_order_smaller(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-small", 1, 1);
	void *b;

	if (!tz)
		return;
	b = first_block(t, tz, 2);
	if (b) {
		expect_bad_free(t, tz, b, 1, REASON_WRONG_ORDER);
		expect_bad_free(t, tz, b, 0, REASON_WRONG_ORDER);
		kslab_free_pages(b, 2);
	}
	test_zone_destroy(t, tz);
}

static void test_bad_free_wrong_order_larger(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-large", 1, 1);
	void *b;

	if (!tz)
		return;
	/* At its chunk's start, so aligned for any order: only size is off. */
	b = first_block(t, tz, 2);
	if (b) {
		expect_bad_free(t, tz, b, 3, REASON_WRONG_ORDER);
		expect_bad_free(t, tz, b, KSLAB_MAX_ORDER, REASON_WRONG_ORDER);
		kslab_free_pages(b, 2);
	}
	test_zone_destroy(t, tz);
}

static void test_bad_free_double_order0(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-twice", 1, 1);
	void *pages[2];

	if (!tz)
		return;
	/* pages[1] stays allocated, so pages[0] stays a free order-0 block. */
	if (alloc_first_pages(t, tz, pages, 2)) {
		kslab_free_pages(pages[0], 0);
		expect_bad_free(t, tz, pages[0], 0, REASON_DOUBLE);
		kslab_free_pages(pages[1], 0);
		expect_bad_free(t, tz, pages[1], 0, REASON_DOUBLE);
	}
	test_zone_destroy(t, tz);
}

static void test_bad_free_double_after_merge(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-merged", 1, 1);
	void *pages[4];

	if (!tz)
		return;
	if (alloc_first_pages(t, tz, pages, 4)) {
		/* Pages 0 and 1 merge into one order-1 block; 2-3 stay used. */
		kslab_free_pages(pages[0], 0);
		kslab_free_pages(pages[1], 0);
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).free_blocks[1], 1);
		/* The second half is no block's start any more. */
		expect_bad_free(t, tz, pages[1], 0, REASON_DOUBLE);
		/* The first starts a free block, of another order. */
		expect_bad_free(t, tz, pages[0], 0, REASON_DOUBLE);
		kslab_free_pages(pages[2], 0);
		kslab_free_pages(pages[3], 0);
		/* And once all merged into the chunk's single block. */
		expect_bad_free(t, tz, pages[3], 0, REASON_DOUBLE);
	}
	test_zone_destroy(t, tz);
}

static void test_bad_free_inside_block(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-interior", 1, 1);
	void *b;

	if (!tz)
		return;
	b = first_block(t, tz, 2);
	if (b) {
		expect_bad_free(t, tz, byte_at(b, KSLAB_PAGE_SIZE), 0,
				REASON_INSIDE);
		expect_bad_free(t, tz, byte_at(b, 2 * KSLAB_PAGE_SIZE), 1,
				REASON_INSIDE);
		expect_bad_free(t, tz, byte_at(b, 3 * KSLAB_PAGE_SIZE), 0,
				REASON_INSIDE);
		kslab_free_pages(b, 2);
	}
	test_zone_destroy(t, tz);
}

static void test_bad_free_order_above_max(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-order", 1, 1);
	void *b;

	if (!tz)
		return;
	b = first_block(t, tz, 0);
	if (b) {
		expect_bad_free(t, tz, b, KSLAB_MAX_ORDER + 1,
				REASON_ABOVE_MAX);
		expect_bad_free(t, tz, b, 64, REASON_ABOVE_MAX);
		expect_bad_free(t, tz, b, ~0u, REASON_ABOVE_MAX);
		kslab_free_pages(b, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_free_null_is_noop(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-null", 1, 1);
	struct kslab_buddy_stats before, after, dbefore, dafter;
	struct report_capture cap;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	before = zone_stats(tz->zone);
	kslab_buddy_stats(&dbefore);
	capture_start(&cap);
	kslab_free_pages(NULL, 0);
	kslab_free_pages(NULL, KSLAB_MAX_ORDER);
	kslab_free_pages(NULL, KSLAB_MAX_ORDER + 1);
	capture_stop(&cap);
	after = zone_stats(tz->zone);
	kslab_buddy_stats(&dafter);

	KTAP_EXPECT_EQ(t, cap.count, 0);
	KTAP_EXPECT_EQ(t, cap.reported, 0);
	expect_same_free_state(t, &before, &after);
	KTAP_EXPECT_EQ(t, after.bad_frees, before.bad_frees);
	expect_same_free_state(t, &dbefore, &dafter);
	KTAP_EXPECT_EQ(t, dafter.bad_frees, dbefore.bad_frees);
	kslab_free_pages(a, 0);
	test_zone_destroy(t, tz);
}

/* ------------------------------------------------------------------ */
/* The consistency checker                                             */
/* ------------------------------------------------------------------ */

/* The zone is broken on purpose: the checker must say so, in reports. */
static void expect_check_fails(struct ktap_test *t, struct kslab_zone *zone)
{
	struct report_capture cap;
	unsigned long found;

	capture_start(&cap);
	found = kslab_zone_check(zone);
	capture_stop(&cap);
	KTAP_EXPECT(t, found > 0);
	/* Past a cap the checker summarises: not one report per problem. */
	KTAP_EXPECT(t, cap.count >= 1);
	KTAP_EXPECT_EQ(t, cap.count, cap.reported);
	if (cap.count) {
		KTAP_EXPECT_EQ(t, cap.level[0], KSLAB_LOG_ERR);
		EXPECT_CONTAINS(t, cap.msg[0], "kslab: ");
		EXPECT_CONTAINS_WORD(t, cap.msg[0], zone->name);
	}
}

/*
 * Set *@field to @bad, check that the checker notices, then restore it and
 * check that the checker is satisfied again.
 */
static void expect_check_catches_byte(struct ktap_test *t,
				      struct kslab_zone *zone,
				      unsigned char *field, unsigned char bad)
{
	unsigned char good = *field;

	*field = bad;
	expect_check_fails(t, zone);
	*field = good;
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
}

static void test_check_catches_free_order(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "ck-order", 1, 1);
	struct kslab_page *page;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		/* The free order-3 block at page 8 claims to be order 2. */
		page = kslab_virt_to_page(page_at(chunk_base(a), 8));
		KTAP_EXPECT_EQ(t, page->order, 3);
		expect_check_catches_byte(t, tz->zone, &page->order, 2);
		kslab_free_pages(a, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_check_catches_tail(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "ck-tail", 1, 1);
	struct kslab_page *page;
	void *a, *b;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		b = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 2);
		if (KTAP_EXPECT(t, b != NULL)) {
			page = kslab_virt_to_page(byte_at(b, KSLAB_PAGE_SIZE));
			KTAP_EXPECT_EQ(t, page->state, KSLAB_PAGE_TAIL);
			expect_check_catches_byte(t, tz->zone, &page->state,
						  KSLAB_PAGE_UNUSED);
			kslab_free_pages(b, 2);
		}
		kslab_free_pages(a, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_check_catches_unlisted_free(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "ck-unlisted", 1, 1);
	struct kslab_page *page;
	void *a;

	if (!tz)
		return;
	/* An allocated block marked free, but on no free list. */
	a = first_block(t, tz, 0);
	if (a) {
		page = kslab_virt_to_page(a);
		KTAP_EXPECT_EQ(t, page->state, KSLAB_PAGE_HEAD);
		expect_check_catches_byte(t, tz->zone, &page->state,
					  KSLAB_PAGE_FREE);
		kslab_free_pages(a, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_check_catches_unlisted_block(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "ck-list", 1, 1);
	struct kslab_list_head *list;
	struct kslab_page *page;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		/*
		 * The free order-3 block at page 8 drops off its list while
		 * its descriptor and the count still say free: only a walk
		 * of the list itself can tell.
		 */
		page = kslab_virt_to_page(page_at(chunk_base(a), 8));
		list = &tz->zone->free_area[3].blocks;
		KTAP_EXPECT(t, list->next == &page->buddy_node &&
			       list->prev == &page->buddy_node);
		kslab_list_del(&page->buddy_node);
		expect_check_fails(t, tz->zone);
		kslab_list_add(&page->buddy_node, list);
		KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);
		kslab_free_pages(a, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_check_catches_counter(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "ck-count", 1, 1);
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		/* Single-threaded: nothing else touches the zone meanwhile. */
		tz->zone->free_pages++;
		expect_check_fails(t, tz->zone);
		tz->zone->free_pages--;
		KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);
		kslab_free_pages(a, 0);
	}
	test_zone_destroy(t, tz);
}

/* ------------------------------------------------------------------ */
/* buddyinfo                                                           */
/* ------------------------------------------------------------------ */

/* The whole buddyinfo text, in memory the caller frees with its size. */
static char *buddyinfo_text(struct ktap_test *t, size_t *size)
{
	size_t len = kslab_buddyinfo_format(NULL, 0);
	char *text;

	*size = len + 1;
	text = kslab_env_meta_alloc(*size, GFP_KERNEL);
	if (!KTAP_EXPECT(t, text != NULL))
		return NULL;
	KTAP_EXPECT_EQ(t, kslab_buddyinfo_format(text, *size), len);
	return text;
}

/* The line buddyinfo must show for zone @name with @counts free blocks. */
static void buddyinfo_line(char *line, size_t size, const char *name,
			   const unsigned long *counts)
{
	size_t len = kslab_snprintf(line, size, "Node 0, zone %8s", name);
	unsigned int order;

	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		len += kslab_snprintf(line + len, size - len, " %6lu",
				      counts[order]);
	kslab_snprintf(line + len, size - len, "\n");
}

static void expect_buddyinfo_line(struct ktap_test *t, const char *name,
				  const unsigned long *counts, bool present)
{
	char line[160];
	size_t size;
	char *text = buddyinfo_text(t, &size);

	if (!text)
		return;
	buddyinfo_line(line, sizeof(line), name, counts);
	ktap_check(t, text_has_line(text, line) == present, __FILE__, __LINE__,
		   "buddyinfo %s line \"%s\" in:\n%s",
		   present ? "has" : "lacks", line, text);
	kslab_env_meta_free(text, size);
}

static void test_buddyinfo_snprintf(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bi-fmt", 1, 1);
	char small[16];
	size_t size, len;
	char *full;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	full = buddyinfo_text(t, &size);
	if (full) {
		len = size - 1;
		KTAP_EXPECT(t, len > 0);
		KTAP_EXPECT_EQ(t, str_len(full), len);
		KTAP_EXPECT_EQ(t, full[len - 1], '\n');
		/* Truncation keeps a terminated prefix and the full length. */
		kslab_memset(small, 'X', sizeof(small));
		KTAP_EXPECT_EQ(t, kslab_buddyinfo_format(small, 10), len);
		KTAP_EXPECT_EQ(t, small[9], '\0');
		KTAP_EXPECT(t, !kslab_memcmp(small, full, 9));
		KTAP_EXPECT_EQ(t, small[10], 'X');
		kslab_memset(small, 'X', sizeof(small));
		KTAP_EXPECT_EQ(t, kslab_buddyinfo_format(small, 1), len);
		KTAP_EXPECT_EQ(t, small[0], '\0');
		KTAP_EXPECT_EQ(t, small[1], 'X');
		/* Exactly its length: the last character gives way to NUL. */
		full[len - 1] = 'X';
		KTAP_EXPECT_EQ(t, kslab_buddyinfo_format(full, len), len);
		KTAP_EXPECT_EQ(t, full[len - 1], '\0');
		KTAP_EXPECT_EQ(t, full[len], '\0');
		kslab_env_meta_free(full, size);
	}
	kslab_free_pages(a, 0);
	test_zone_destroy(t, tz);
}

static void test_buddyinfo_zone_line(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bi-line", 1, 1);
	unsigned long counts[KSLAB_MAX_ORDER + 1] = {};
	unsigned int order;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		for (order = 0; order < KSLAB_MAX_ORDER; order++)
			counts[order] = 1;
		expect_buddyinfo_line(t, "bi-line", counts, true);
		kslab_free_pages(a, 0);
		kslab_memset(counts, 0, sizeof(counts));
		counts[KSLAB_MAX_ORDER] = 1;
		expect_buddyinfo_line(t, "bi-line", counts, true);
	}
	test_zone_destroy(t, tz);
	expect_buddyinfo_line(t, "bi-line", counts, false);
}

static void test_zone_name_truncated(struct ktap_test *t)
{
	static const char long_name[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char short_name[KSLAB_ZONE_NAME_LEN];
	unsigned long counts[KSLAB_MAX_ORDER + 1] = {};
	/* Room for a second chunk: the first is used whole. */
	struct test_zone *tz = test_zone_create(t, long_name, 2, 2);
	void *a;

	if (!tz)
		return;
	kslab_memcpy(short_name, long_name, sizeof(short_name) - 1);
	short_name[sizeof(short_name) - 1] = '\0';
	a = first_block(t, tz, KSLAB_MAX_ORDER);
	if (a) {
		expect_buddyinfo_line(t, short_name, counts, true);
		/* Reports name the zone by the same 31 characters. */
		expect_bad_free(t, tz, a, 0, REASON_WRONG_ORDER);
		kslab_free_pages(a, KSLAB_MAX_ORDER);
	}
	test_zone_destroy(t, tz);
}

/* ------------------------------------------------------------------ */
/* Destroy and the default zone                                        */
/* ------------------------------------------------------------------ */

static void test_destroy_reports_leaks(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "leaky", 0, 1);
	struct report_capture cap;
	void *blocks[3];
	unsigned long leaked;
	char count[16];

	if (!tz)
		return;
	blocks[0] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	blocks[1] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 3);
	blocks[2] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
					   KSLAB_MAX_ORDER);
	KTAP_EXPECT(t, blocks[0] && blocks[1] && blocks[2]);
	KTAP_EXPECT_EQ(t, tz->src.grants, 2);

	capture_start(&cap);
	leaked = test_zone_release(tz);
	capture_stop(&cap);
	KTAP_EXPECT_EQ(t, leaked, 1 + 8 + KSLAB_CHUNK_PAGES);
	KTAP_EXPECT_EQ(t, cap.count, 1);
	if (cap.count) {
		KTAP_EXPECT_EQ(t, cap.level[0], KSLAB_LOG_ERR);
		EXPECT_CONTAINS_WORD(t, cap.msg[0], "leaky");
		kslab_snprintf(count, sizeof(count), "%lu", leaked);
		EXPECT_CONTAINS_WORD(t, cap.msg[0], count);
	}
	/* Leaked or not, every chunk went back, and kslab forgot them. */
	expect_source_drained(t, &tz->src);
	KTAP_EXPECT(t, !kslab_virt_to_page(blocks[0]));
	KTAP_EXPECT(t, !kslab_virt_to_page(blocks[2]));
	test_zone_free(tz);
}

static unsigned long default_used_pages(void)
{
	struct kslab_buddy_stats stats;

	kslab_buddy_stats(&stats);
	return stats.managed_pages - stats.free_pages;
}

static void test_default_zone_round_trip(struct ktap_test *t)
{
	static const unsigned int orders[] = { 0, 3, KSLAB_MAX_ORDER };
	struct kslab_zone *zone = kslab_default_zone();
	unsigned long used = default_used_pages();
	unsigned int i;

	KTAP_EXPECT(t, zone != NULL);
	KTAP_EXPECT_EQ(t, zone_used_pages(zone), used);
	for (i = 0; i < KSLAB_ARRAY_SIZE(orders); i++) {
		unsigned int order = orders[i];
		void *a = kslab_alloc_pages(GFP_KERNEL | __GFP_ZERO, order);

		if (!KTAP_EXPECT(t, a != NULL))
			continue;
		KTAP_EXPECT(t, aligned_to_order(a, order));
		KTAP_EXPECT(t, block_is_zero(a, order));
		if (KTAP_EXPECT(t, resolves_to_block(a, a, order)))
			KTAP_EXPECT_PTR_EQ(t, kslab_page_chunk(
					   kslab_virt_to_page(a))->zone, zone);
		KTAP_EXPECT_EQ(t, default_used_pages(), used + (1UL << order));
		kslab_free_pages(a, order);
		KTAP_EXPECT_EQ(t, default_used_pages(), used);
	}
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
}

static const struct ktap_case buddy_core_cases[] = {
	{ "split_first_order0", test_split_first_order0 },
	{ "free_coalesces_whole_chunk", test_free_coalesces_whole_chunk },
	{ "second_order0_is_buddy", test_second_order0_is_buddy },
	{ "non_buddies_stay_apart", test_non_buddies_stay_apart },
	{ "order3_after_order0", test_order3_after_order0 },
	{ "smallest_fitting_order", test_smallest_fitting_order },
	{ "max_order_takes_whole_chunk", test_max_order_takes_whole_chunk },
	{ "free_lists_are_lifo", test_free_lists_are_lifo },
	{ "free_blocks_listing_truncates", test_free_blocks_listing_truncates },
	{ "exhaust_max_chunks", test_exhaust_max_chunks },
	{ "set_keep_free_gives_back", test_set_keep_free_gives_back },
	{ "keep_free_hysteresis", test_keep_free_hysteresis },
	{ "failing_source", test_failing_source },
	{ "source_runs_dry", test_source_runs_dry },
	{ "alloc_order_above_max", test_alloc_order_above_max },
	{ "gfp_zero", test_gfp_zero },
	{ "page_desc_allocated", test_page_desc_allocated },
	{ "page_desc_free_blocks", test_page_desc_free_blocks },
	{ "page_desc_foreign", test_page_desc_foreign },
	{ "model_seed_1", test_model_seed_1 },
	{ "model_seed_2", test_model_seed_2 },
	{ "model_seed_3", test_model_seed_3 },
	{ "bad_free_stack_and_static", test_bad_free_stack_and_static },
	{ "bad_free_given_back_chunk", test_bad_free_given_back_chunk },
	{ "bad_free_misaligned", test_bad_free_misaligned },
	{ "bad_free_wrong_order_smaller", test_bad_free_wrong_order_smaller },
	{ "bad_free_wrong_order_larger", test_bad_free_wrong_order_larger },
	{ "bad_free_double_order0", test_bad_free_double_order0 },
	{ "bad_free_double_after_merge", test_bad_free_double_after_merge },
	{ "bad_free_inside_block", test_bad_free_inside_block },
	{ "bad_free_order_above_max", test_bad_free_order_above_max },
	{ "free_null_is_noop", test_free_null_is_noop },
	{ "check_catches_free_order", test_check_catches_free_order },
	{ "check_catches_tail", test_check_catches_tail },
	{ "check_catches_unlisted_free", test_check_catches_unlisted_free },
	{ "check_catches_unlisted_block", test_check_catches_unlisted_block },
	{ "check_catches_counter", test_check_catches_counter },
	{ "buddyinfo_snprintf", test_buddyinfo_snprintf },
	{ "buddyinfo_zone_line", test_buddyinfo_zone_line },
	{ "zone_name_truncated", test_zone_name_truncated },
	{ "destroy_reports_leaks", test_destroy_reports_leaks },
	{ "default_zone_round_trip", test_default_zone_round_trip },
};

const struct ktap_suite buddy_core_suite =
	KTAP_SUITE("buddy_core", buddy_core_cases);
