// SPDX-License-Identifier: GPL-2.0
/*
 * Regions in userspace (suite region_user): alignments beyond a chunk,
 * which the kernel's large memory cannot give; the listing read by
 * another thread while the owner allocates, marks and resets, which is
 * what the marked accesses of mm/region.c are for (ThreadSanitizer runs
 * this too); KSLAB_STATS's listing at exit; regions left at shutdown.
 * Also main() for the region test program.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <kslab/buddy.h>
#include <kslab/region.h>

#include "../capture.h"
#include "../process.h"
#include "region_tests.h"

#define TEXT_BYTES	(64UL << 10)
#define ROUNDS		200

struct reader {
	struct kslab_atomic stop;
	unsigned long reads;
	unsigned long found;	/* reads whose text named the region */
	char *text;
};

static void *read_listing(void *arg)
{
	struct reader *rd = arg;

	while (!kslab_atomic_read(&rd->stop) || !rd->reads) {
		kslab_regioninfo_format(rd->text, TEXT_BYTES);
		rd->reads++;
		rd->found += str_has_word(rd->text, "t-listed");
	}
	return NULL;
}

static void test_listing_while_owner_works(struct ktap_test *t)
{
	struct reader rd = { .stop = KSLAB_ATOMIC_INIT(0) };
	struct kslab_region *r = kslab_region_create("t-listed", 4096, 0);
	unsigned long failed = 0, refused = 0;
	pthread_t thread;
	int round, i;

	rd.text = malloc(TEXT_BYTES);
	KTAP_ASSERT(t, r && rd.text);
	KTAP_ASSERT(t, pthread_create(&thread, NULL, read_listing, &rd) == 0);
	for (round = 0; round < ROUNDS; round++) {
		unsigned long m = kslab_region_mark(r, GFP_KERNEL);

		for (i = 0; i < 300; i++)
			failed += !kslab_region_alloc(r, 1 + (size_t)(i * 37 % 500),
						      0, GFP_KERNEL);
		refused += kslab_region_reset_to(r, m) != 0;
		if (round % 10 == 9)
			kslab_region_reset(r);
	}
	kslab_atomic_set(&rd.stop, 1);
	pthread_join(thread, NULL);
	KTAP_EXPECT_EQ(t, failed, 0);
	KTAP_EXPECT_EQ(t, refused, 0);
	KTAP_EXPECT(t, rd.reads > 0);
	KTAP_EXPECT_EQ(t, rd.found, rd.reads);
	kslab_region_destroy(r);
	kslab_regioninfo_format(rd.text, TEXT_BYTES);
	KTAP_EXPECT(t, !str_has_word(rd.text, "t-listed"));
	free(rd.text);
}

/*
 * Alignments beyond a max-order block: the environment's large memory,
 * which userspace aligns as asked, through KSLAB_REGION_KMALLOC_LARGE.
 */
static void test_alignment_beyond_chunks(struct ktap_test *t)
{
	struct kslab_region *r = kslab_region_create("t-huge-align", 4096,
						     KSLAB_REGION_KMALLOC_LARGE);
	size_t align;

	KTAP_ASSERT(t, r != NULL);
	for (align = 2 * KSLAB_CHUNK_SIZE; align <= 8 * KSLAB_CHUNK_SIZE; align *= 2) {
		unsigned char *p = kslab_region_alloc(r, 100, align, GFP_KERNEL);

		ktap_check(t, p && !((unsigned long)p & (align - 1)), __FILE__,
			   __LINE__, "alignment %zu: %p", align, (void *)p);
		if (p)
			p[99] = 1;
	}
	kslab_region_destroy(r);
}

#define AT_EXIT_ARG	"--region-at-exit"

/* A region still holding 1000 bytes when the program exits. */
static int region_at_exit(void)
{
	struct kslab_region *r = kslab_region_create("t-at-exit", 4096, 0);

	return r && kslab_region_alloc(r, 1000, 0, GFP_KERNEL) ? 0 : 1;
}

/* KSLAB_STATS=1: the regions' listing follows slabinfo and buddyinfo. */
static void test_stats_at_exit(struct ktap_test *t)
{
	struct capture c;
	char **env, *var;
	bool ran;

	env = env_with("KSLAB_STATS", "1", &var);
	KTAP_ASSERT(t, env != NULL);
	ran = capture_self(&c, AT_EXIT_ARG, env);
	free(var);
	free(env);
	KTAP_ASSERT(t, ran);
	KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	EXPECT_CONTAINS(t, c.err, "regioninfo - version: 1.0\n");
	EXPECT_CONTAINS(t, c.err, "\nt-at-exit ");
	KTAP_EXPECT(t, str_find(c.err, "Node 0, zone") &&
		       str_find(c.err, "Node 0, zone") < str_find(c.err, "regioninfo"));
}

/*
 * Shutdown, as the kernel module unloads, with two regions left: each
 * reported by name and destroyed, its blocks and kmalloc objects given
 * back, so every chunk still goes. In a child, as it ends kslab.
 */
static void shutdown_with_regions(void *unused)
{
	struct kslab_region *r = kslab_region_create("t-left", 4096, 0);
	struct kslab_region *l = kslab_region_create("t-left-large", 4096,
						     KSLAB_REGION_KMALLOC_LARGE);
	struct kslab_buddy_stats bs;

	(void)unused;
	if (!r || !l || !kslab_region_alloc(r, 1000, 0, GFP_KERNEL) ||
	    !kslab_region_alloc(l, 100000, 0, GFP_KERNEL))
		return;
	printf("problems=%lu", kslab_shutdown());
	kslab_buddy_stats(&bs);
	printf(" pages=%lu\n", bs.managed_pages);
}

static void test_shutdown_reports_regions(struct ktap_test *t)
{
	struct capture c;

	KTAP_ASSERT(t, capture_fork(&c, shutdown_with_regions, NULL));
	KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	ktap_check(t, !strcmp(c.out, "problems=2 pages=0\n"), __FILE__, __LINE__,
		   "both regions reported, every chunk back: %s %s", c.out, c.err);
	EXPECT_CONTAINS(t, c.err, "BUG t-left: region still exists at unload, 1 blocks and 0 kmalloc objects given back");
	EXPECT_CONTAINS(t, c.err, "BUG t-left-large: region still exists at unload, 1 blocks and 1 kmalloc objects given back");
}

static const struct ktap_case region_user_cases[] = {
	{ "shutdown_reports_regions", test_shutdown_reports_regions },
	{ "stats_at_exit", test_stats_at_exit },
	{ "alignment_beyond_chunks", test_alignment_beyond_chunks },
	{ "listing_while_owner_works", test_listing_while_owner_works },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		region_suite,
		KTAP_SUITE("region_user", region_user_cases),
	};

	if (argc > 1 && !strcmp(argv[1], AT_EXIT_ARG))
		return region_at_exit();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
