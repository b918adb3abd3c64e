// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace background reaper: it reaps on its own, trims an idle
 * cache's depot and slabs within a few intervals, and starts, retunes and
 * stops cleanly.
 */
#include <kslab/reaper.h>
#include <kslab/slab.h>

#include <time.h>

#include "../ktap.h"

#define OBJS		4000
#define WAIT_LIMIT_MS	3000

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait, within a bound, for the reaper to complete @passes more passes. */
static bool wait_passes(unsigned long passes)
{
	unsigned long target = kslab_reaper_passes() + passes;
	unsigned int waited;

	for (waited = 0; waited < WAIT_LIMIT_MS; waited += 5) {
		if (kslab_reaper_passes() >= target)
			return true;
		sleep_ms(5);
	}
	return false;
}

static void test_reaper_trims_idle_cache(struct ktap_test *t)
{
	struct kslab_cache *cache = kslab_cache_create("reaper-idle", 128, NULL, 0);
	static void *objs[OBJS];
	struct kslab_cache_stats before, after;
	unsigned int i;

	KTAP_ASSERT(t, cache);
	for (i = 0; i < OBJS; i++)
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
	for (i = 0; i < OBJS; i++)
		kslab_cache_free(cache, objs[i]);
	kslab_cache_stats(cache, &before);
	KTAP_EXPECT(t, before.depot_full > 0);

	KTAP_EXPECT_EQ(t, kslab_reaper_start(10), 0);
	/* The first pass sets the working set, the next frees what sat idle. */
	KTAP_EXPECT(t, wait_passes(3));
	kslab_reaper_stop();

	kslab_cache_stats(cache, &after);
	ktap_diag("depot full magazines %lu -> %lu, slabs %lu -> %lu",
		  before.depot_full, after.depot_full, before.num_slabs,
		  after.num_slabs);
	KTAP_EXPECT_EQ(t, after.depot_full, 0);
	KTAP_EXPECT(t, after.num_slabs < before.num_slabs);
	KTAP_EXPECT(t, after.slab_frees > before.slab_frees);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	kslab_cache_destroy(cache);
}

static void test_reaper_restart_and_retune(struct ktap_test *t)
{
	KTAP_EXPECT_EQ(t, kslab_reaper_start(50), 0);
	KTAP_EXPECT_EQ(t, kslab_reaper_start(5), 0);	/* retune while running */
	KTAP_EXPECT(t, wait_passes(2));
	kslab_reaper_stop();
	kslab_reaper_stop();	/* a second stop does nothing */
	KTAP_EXPECT_EQ(t, kslab_reaper_start(5), 0);
	KTAP_EXPECT(t, wait_passes(1));
	kslab_reaper_stop();
}

static void test_reaper_stopped_stays_quiet(struct ktap_test *t)
{
	unsigned long passes;

	kslab_reaper_stop();
	passes = kslab_reaper_passes();
	sleep_ms(50);
	KTAP_EXPECT_EQ(t, kslab_reaper_passes(), passes);
}

static const struct ktap_case reaper_cases[] = {
	{ "reaper_trims_idle_cache", test_reaper_trims_idle_cache },
	{ "reaper_restart_and_retune", test_reaper_restart_and_retune },
	{ "reaper_stopped_stays_quiet", test_reaper_stopped_stays_quiet },
};

int main(void)
{
	const struct ktap_suite suites[] = { KTAP_SUITE("reaper", reaper_cases) };

	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
