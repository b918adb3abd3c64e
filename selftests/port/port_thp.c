// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent huge pages for the arena's chunks (userspace/hugepages.c,
 * KSLAB_THP), seen from outside as the kernel reports them: the
 * AnonHugePages lines of /proc/self/smaps over the arena.
 *
 * Each test runs this program again as a probe with KSLAB_THP set, since
 * the mode is read once per process. The probe fills THP_CHUNKS chunks of
 * a zone of its own; then, in a zone each, it fills a chunk, frees it but
 * for one page, or for 1.5 MiB in one half, and discards the free blocks.
 *
 * With "on" the chunks are backed by huge pages; a discard gives back a
 * free half whole, splits a half holding one page and gives back its
 * free blocks of 64 KiB or more, and leaves a half holding 1.5 MiB whole,
 * its free 512 KiB resident; what the blocks kept hold survives. With
 * "off" no chunk has a huge page, and the discard gives back every free
 * block of 64 KiB or more (kslab_zone_discard_free()). "auto" keeps the
 * first chunks and a large block's slots on 4 KiB pages (a large block
 * written whole gets huge pages with "on" alone) and leaves those mapped
 * once the process holds 64 MiB, the pinned ones among them, to the
 * system: huge pages where its setting is "always", none where it is
 * "madvise", as "off". Any other value is reported, and auto used.
 *
 * A system that gives no huge pages (THP "never", none in the kernel,
 * disabled for the process) fails the tests of "on" and "auto", saying
 * so: such an environment cannot show the feature, and a skip would hide
 * that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#include "../capture.h"
#include "port_tests.h"

#define THP_CHUNKS		20
#define THP_LARGE		(2 * KSLAB_CHUNK_SIZE)	/* a large block */
#define THP_SYSFS_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* The arena's resident and huge-page-backed KiB, from smaps. */
static bool arena_huge(unsigned long *rss_kib, unsigned long *huge_kib)
{
	return arena_smaps_kib("Rss", rss_kib) &&
	       arena_smaps_kib("AnonHugePages", huge_kib);
}

static void *fill(struct kslab_zone *zone, unsigned int order)
{
	void *p = kslab_zone_alloc_pages(zone, GFP_KERNEL, order);

	if (p)
		memset(p, 0x5a, KSLAB_PAGE_SIZE << order);
	return p;
}

#define PIN_MAX		2

/*
 * In a zone of its own, one chunk filled whole, then freed but for
 * blocks of @orders (all from the half the first one takes), and the
 * zone's free blocks discarded: the resident and huge KiB the discard
 * gave back, and whether the blocks kept still hold what was written.
 */
static bool pinned_discard(const char *name, const unsigned int *orders,
			   unsigned int n, unsigned long *rss_drop,
			   unsigned long *huge_drop, bool *intact)
{
	struct kslab_zone *zone = kslab_zone_create(name, NULL);
	unsigned long rss, huge, rss_after, huge_after, off;
	void *kept[PIN_MAX], *chunk;
	unsigned int i;
	bool ok;

	if (!zone || n > PIN_MAX)
		return false;
	chunk = fill(zone, KSLAB_MAX_ORDER);
	if (!chunk)
		return false;
	kslab_free_pages(chunk, KSLAB_MAX_ORDER);
	for (i = 0; i < n; i++)
		kept[i] = fill(zone, orders[i]);
	ok = kept[n - 1] && arena_huge(&rss, &huge);
	if (ok) {
		kslab_zone_discard_free(zone);
		ok = arena_huge(&rss_after, &huge_after);
		*rss_drop = rss - rss_after;
		*huge_drop = huge - huge_after;
	}
	*intact = true;
	for (i = 0; i < n && kept[i]; i++) {
		for (off = 0; off < KSLAB_PAGE_SIZE << orders[i]; off++)
			*intact &= ((unsigned char *)kept[i])[off] == 0x5a;
		kslab_free_pages(kept[i], orders[i]);
	}
	kslab_zone_destroy(zone);
	return ok;
}

/*
 * The probe: "mode=M first=O last=O huge=K large=O,K sparse=R,H
 * dense=R,H intact=B": the discard orders of the first and last of
 * THP_CHUNKS chunks, the huge KiB with all of them filled; the discard
 * order of a large block allocated then, and the huge KiB of the
 * mappings it lies in once written (a mapping merged with the block's
 * counts whole: with "on" its neighbours have huge pages too, but with
 * "auto" and "off" no neighbour it can merge with has any); the resident
 * and huge KiB a discard gave back from a chunk
 * holding one page (sparse) and from one holding 1.5 MiB in one half
 * (dense); whether what they hold survived.
 */
int thp_probe_main(void)
{
	static const unsigned int sparse[] = { 0 }, dense[] = { 8, 7 };
	struct kslab_zone *zone = kslab_zone_create("thp", NULL);
	unsigned long filled_huge, rss, sparse_rss, sparse_huge, dense_rss,
		      dense_huge, large_huge;
	bool sparse_intact, dense_intact;
	void *chunks[THP_CHUNKS], *large;
	unsigned int i, first, last, large_order;

	if (!zone)
		return 1;
	for (i = 0; i < THP_CHUNKS; i++) {
		chunks[i] = fill(zone, KSLAB_MAX_ORDER);
		if (!chunks[i])
			return 1;
	}
	first = kslab_env_discard_order(chunks[0]);
	last = kslab_env_discard_order(chunks[THP_CHUNKS - 1]);
	if (!arena_huge(&rss, &filled_huge))
		return 1;
	large = kslab_kmalloc(THP_LARGE, GFP_KERNEL);
	if (!large)
		return 1;
	memset(large, 0x5a, THP_LARGE);
	large_order = kslab_env_discard_order(large);
	if (!range_smaps_kib("AnonHugePages", (unsigned long)large,
			     (unsigned long)large + THP_LARGE, &large_huge))
		return 1;
	if (!pinned_discard("thp-sparse", sparse, 1, &sparse_rss,
			    &sparse_huge, &sparse_intact) ||
	    !pinned_discard("thp-dense", dense, 2, &dense_rss, &dense_huge,
			    &dense_intact))
		return 1;
	printf("mode=%s first=%u last=%u huge=%lu large=%u,%lu sparse=%lu,%lu dense=%lu,%lu intact=%d\n",
	       kslab_env_thp_mode(), first, last, filled_huge, large_order,
	       large_huge, sparse_rss, sparse_huge, dense_rss, dense_huge,
	       sparse_intact && dense_intact);
	kslab_kfree(large);
	for (i = 0; i < THP_CHUNKS; i++)
		kslab_free_pages(chunks[i], KSLAB_MAX_ORDER);
	kslab_zone_destroy(zone);
	return 0;
}

struct thp_result {
	char mode[16];
	unsigned int first, last, large_order;
	unsigned long huge, large_huge, sparse_rss, sparse_huge, dense_rss,
		      dense_huge;
	int intact;
};

/* Run the probe with KSLAB_THP=@value; false, said why, if it failed. */
static bool run_thp_probe(struct ktap_test *t, const char *value,
			  struct thp_result *r)
{
	struct capture c;
	char **env, *var;
	bool ran;

	env = env_with("KSLAB_THP", value, &var);
	if (!KTAP_EXPECT(t, env != NULL))
		return false;
	ran = capture_self(&c, THP_PROBE_ARG, env);
	free(var);
	free(env);
	if (!KTAP_EXPECT(t, ran))
		return false;
	return ktap_check(t, sscanf(c.out, "mode=%15s first=%u last=%u huge=%lu large=%u,%lu sparse=%lu,%lu dense=%lu,%lu intact=%d",
				    r->mode, &r->first, &r->last, &r->huge,
				    &r->large_order, &r->large_huge,
				    &r->sparse_rss, &r->sparse_huge,
				    &r->dense_rss, &r->dense_huge,
				    &r->intact) == 11,
			  __FILE__, __LINE__,
			  "KSLAB_THP=%s probe: status %d, out \"%s\", err \"%s\"",
			  value, c.status, c.out, c.err);
}

/* The mode the probe read; where it is "none", what the system says. */
static bool expect_mode(struct ktap_test *t, const struct thp_result *r,
			const char *want)
{
	char sys[128] = "unreadable";
	FILE *f;

	if (!strcmp(r->mode, want))
		return true;
	f = fopen(THP_SYSFS_ENABLED, "r");
	if (f) {
		if (!fgets(sys, sizeof(sys), f))
			snprintf(sys, sizeof(sys), "empty");
		sys[strcspn(sys, "\n")] = '\0';
		fclose(f);
	}
	return ktap_check(t, false, __FILE__, __LINE__,
			  "mode %s, expected %s: this environment gives no transparent huge pages (%s: %s), so they cannot be shown",
			  r->mode, want, THP_SYSFS_ENABLED, sys);
}

/* A probe whose setting should give huge pages: it ran and got them. */
static bool run_huge_probe(struct ktap_test *t, const char *value,
			   struct thp_result *r)
{
	if (!run_thp_probe(t, value, r) || !expect_mode(t, r, value))
		return false;
	ktap_diag("%s: %lu KiB of huge pages over %u chunks", value, r->huge,
		  THP_CHUNKS);
	return true;
}

/*
 * Discards from huge pages, in KiB: a half holding one page is split and
 * goes but for the page and the blocks under 64 KiB, 4032 KiB with the
 * free half, and both huge pages with it; a half holding 1.5 MiB keeps its
 * huge page and its free 512 KiB, and only the free half goes.
 */
static void expect_huge_discards(struct ktap_test *t,
				 const struct thp_result *r)
{
	KTAP_EXPECT_EQ(t, r->sparse_rss, 4096 - 64);
	KTAP_EXPECT_EQ(t, r->sparse_huge, 4096);
	KTAP_EXPECT_EQ(t, r->dense_rss, 2048);
	KTAP_EXPECT_EQ(t, r->dense_huge, 2048);
	KTAP_EXPECT_EQ(t, r->intact, 1);
}

static void test_thp_on(struct ktap_test *t)
{
	struct thp_result r;

	if (!run_huge_probe(t, "on", &r))
		return;
	KTAP_EXPECT_EQ(t, r.first, 21 - KSLAB_PAGE_SHIFT);
	KTAP_EXPECT_EQ(t, r.last, 21 - KSLAB_PAGE_SHIFT);
	KTAP_EXPECT(t, r.huge > 0);
	KTAP_EXPECT_EQ(t, r.large_order, 21 - KSLAB_PAGE_SHIFT);
	KTAP_EXPECT(t, r.large_huge > 0);
	expect_huge_discards(t, &r);
}

/*
 * No huge page anywhere, and discards of every free block of 64 KiB or
 * more: the 512 KiB beside 1.5 MiB too.
 */
static void expect_no_huge(struct ktap_test *t, const struct thp_result *r)
{
	KTAP_EXPECT_EQ(t, r->first, 0);
	KTAP_EXPECT_EQ(t, r->last, 0);
	KTAP_EXPECT_EQ(t, r->huge, 0);
	KTAP_EXPECT_EQ(t, r->large_order, 0);
	KTAP_EXPECT_EQ(t, r->large_huge, 0);
	KTAP_EXPECT_EQ(t, r->sparse_huge, 0);
	KTAP_EXPECT_EQ(t, r->dense_huge, 0);
	KTAP_EXPECT_EQ(t, r->sparse_rss, 4096 - 64);
	KTAP_EXPECT_EQ(t, r->dense_rss, 2048 + 512);
	KTAP_EXPECT_EQ(t, r->intact, 1);
}

static void test_thp_off(struct ktap_test *t)
{
	struct thp_result r;

	if (!run_thp_probe(t, "off", &r))
		return;
	/* "none" is as good as off here: no huge page either way. */
	if (strcmp(r.mode, "none"))
		KTAP_EXPECT(t, !strcmp(r.mode, "off"));
	expect_no_huge(t, &r);
}

/* Whether the system gives huge pages to every program, unasked. */
static bool system_thp_always(void)
{
	char sys[128] = "";
	FILE *f = fopen(THP_SYSFS_ENABLED, "r");

	if (f) {
		if (!fgets(sys, sizeof(sys), f))
			sys[0] = '\0';
		fclose(f);
	}
	return strstr(sys, "[always]") != NULL;
}

/*
 * The first chunks stay small. Those past 64 MiB, the probe's last, get
 * huge pages where the system gives them to every program, and none
 * where it gives them only to those that ask: then all is as with "off".
 * A large block stays small past them either way.
 */
static void test_thp_auto(struct ktap_test *t)
{
	bool always = system_thp_always();
	struct thp_result r;

	if (!run_huge_probe(t, "auto", &r))
		return;
	ktap_diag("the system's setting: %s", always ? "always" : "madvise");
	if (!always) {
		expect_no_huge(t, &r);
		return;
	}
	KTAP_EXPECT_EQ(t, r.first, 0);
	KTAP_EXPECT_EQ(t, r.last, 21 - KSLAB_PAGE_SHIFT);
	KTAP_EXPECT(t, r.huge > 0);
	KTAP_EXPECT(t, r.huge < THP_CHUNKS * (KSLAB_CHUNK_SIZE >> 10));
	KTAP_EXPECT_EQ(t, r.large_order, 0);
	KTAP_EXPECT_EQ(t, r.large_huge, 0);
	expect_huge_discards(t, &r);
}

/* A value that is none of the three is reported, and auto used. */
static void test_thp_bad_setting(struct ktap_test *t)
{
	struct capture c;
	char **env, *var;
	bool ran;

	env = env_with("KSLAB_THP", "huge", &var);
	if (!KTAP_EXPECT(t, env != NULL))
		return;
	ran = capture_self(&c, THP_PROBE_ARG, env);
	free(var);
	free(env);
	if (!KTAP_EXPECT(t, ran))
		return;
	EXPECT_CONTAINS(t, c.err,
			"KSLAB_THP must be \"on\", \"off\" or \"auto\"; using auto");
	KTAP_EXPECT(t, str_starts_with(c.out, "mode=auto ") ||
		       str_starts_with(c.out, "mode=none "));
}

static const struct ktap_case port_thp_cases[] = {
	{ "thp_on", test_thp_on },
	{ "thp_off", test_thp_off },
	{ "thp_auto", test_thp_auto },
	{ "thp_bad_setting", test_thp_bad_setting },
};

const struct ktap_suite port_thp_suite = KTAP_SUITE("port_thp", port_thp_cases);
