// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent huge pages for the arena's chunks (userspace/hugepages.c,
 * KSLAB_THP), seen from outside as the kernel reports them: the
 * AnonHugePages lines of /proc/self/smaps over the arena.
 *
 * Each test runs this program again as a probe with KSLAB_THP set, since
 * the mode is read once per process. The probe fills THP_CHUNKS chunks of
 * a zone of its own; then, in a second zone, it fills one chunk, frees it
 * all but its first page and discards the free blocks.
 *
 * With "on" the chunks are backed by huge pages, and the discard gives
 * back exactly the free half (2048 KiB, one huge page) and leaves the half
 * with the page whole; with "off" none is, and the discard gives back all
 * but the blocks under 64 KiB (kslab_zone_discard_free()) and the page:
 * 4032 KiB. "auto" leaves the first chunks alone and advises those mapped
 * once the process holds 64 MiB.
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
#include <kslab/slab.h>

#include "port_tests.h"

#define THP_CHUNKS		20
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

/*
 * The probe: "mode=M first=O last=O huge=K rss_drop=K huge_drop=K
 * huge_left=K", the discard orders of the first and last chunk, the
 * huge KiB with all chunks filled, and the discard's effect.
 */
int thp_probe_main(void)
{
	struct kslab_zone *zone = kslab_zone_create("thp", NULL);
	struct kslab_zone *pin_zone = kslab_zone_create("thp-pin", NULL);
	unsigned long rss, huge, rss_after, huge_after, filled_huge;
	void *chunks[THP_CHUNKS], *page;
	unsigned int i, first, last;

	if (!zone || !pin_zone)
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

	/* The whole chunk touched, then all of it free but its first page. */
	page = fill(pin_zone, KSLAB_MAX_ORDER);
	if (!page)
		return 1;
	kslab_free_pages(page, KSLAB_MAX_ORDER);
	page = kslab_zone_alloc_pages(pin_zone, GFP_KERNEL, 0);
	if (!page || !arena_huge(&rss, &huge))
		return 1;
	kslab_zone_discard_free(pin_zone);
	if (!arena_huge(&rss_after, &huge_after))
		return 1;
	printf("mode=%s first=%u last=%u huge=%lu rss_drop=%lu huge_drop=%lu huge_left=%lu\n",
	       kslab_env_thp_mode(), first, last, filled_huge,
	       rss - rss_after, huge - huge_after, huge_after);

	kslab_free_pages(page, 0);
	for (i = 0; i < THP_CHUNKS; i++)
		kslab_free_pages(chunks[i], KSLAB_MAX_ORDER);
	kslab_zone_destroy(pin_zone);
	kslab_zone_destroy(zone);
	return 0;
}

struct thp_result {
	char mode[16];
	unsigned int first, last;
	unsigned long huge, rss_drop, huge_drop, huge_left;
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
	return ktap_check(t, sscanf(c.out, "mode=%15s first=%u last=%u huge=%lu rss_drop=%lu huge_drop=%lu huge_left=%lu",
				    r->mode, &r->first, &r->last, &r->huge,
				    &r->rss_drop, &r->huge_drop,
				    &r->huge_left) == 7,
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

static void test_thp_on(struct ktap_test *t)
{
	struct thp_result r;

	if (!run_huge_probe(t, "on", &r))
		return;
	KTAP_EXPECT_EQ(t, r.first, 21 - KSLAB_PAGE_SHIFT);
	KTAP_EXPECT_EQ(t, r.last, 21 - KSLAB_PAGE_SHIFT);
	KTAP_EXPECT(t, r.huge > 0);
	/* The free half went as one huge page; the pinned half stayed whole. */
	KTAP_EXPECT_EQ(t, r.rss_drop, 2048);
	KTAP_EXPECT_EQ(t, r.huge_drop, 2048);
	KTAP_EXPECT(t, r.huge_left >= 2048);
}

static void test_thp_off(struct ktap_test *t)
{
	struct thp_result r;

	if (!run_thp_probe(t, "off", &r))
		return;
	/* "none" is as good as off here: no huge page either way. */
	if (strcmp(r.mode, "none"))
		KTAP_EXPECT(t, !strcmp(r.mode, "off"));
	KTAP_EXPECT_EQ(t, r.first, 0);
	KTAP_EXPECT_EQ(t, r.last, 0);
	KTAP_EXPECT_EQ(t, r.huge, 0);
	KTAP_EXPECT_EQ(t, r.huge_left, 0);
	/* All but the page and the free blocks of 4 to 32 KiB. */
	KTAP_EXPECT_EQ(t, r.rss_drop, 4096 - 64);
}

static void test_thp_auto(struct ktap_test *t)
{
	struct thp_result r;

	if (!run_huge_probe(t, "auto", &r))
		return;
	KTAP_EXPECT_EQ(t, r.first, 0);
	KTAP_EXPECT_EQ(t, r.last, 21 - KSLAB_PAGE_SHIFT);
	KTAP_EXPECT(t, r.huge > 0);
	KTAP_EXPECT(t, r.huge < THP_CHUNKS * (KSLAB_CHUNK_SIZE >> 10));
}

static const struct ktap_case port_thp_cases[] = {
	{ "thp_on", test_thp_on },
	{ "thp_off", test_thp_off },
	{ "thp_auto", test_thp_auto },
};

const struct ktap_suite port_thp_suite = KTAP_SUITE("port_thp", port_thp_cases);
