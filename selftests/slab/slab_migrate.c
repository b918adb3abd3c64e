// SPDX-License-Identifier: GPL-2.0
/*
 * Magazines under preemption and migration: many more threads than CPUs
 * allocate and free while flipping their CPU affinity, hand objects to
 * each other, and a meddler thread keeps reading stats and reaping (which
 * enter every CPU's section from afar). Each object carries an in-use flag
 * set atomically on allocation and cleared on free, so an object handed
 * out twice, or freed while free, is caught the moment it happens. Run in
 * whichever per-CPU mode is active; the test runner runs both.
 *
 * Also here: hit counts stay exact past the point where the fast paths
 * hand a magazine's packed counts to the slow path for harvesting.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <kslab/slab.h>

#include "slab_tests.h"

#define MIGRATE_THREADS		12
#define MIGRATE_OPS		200000
#define MIGRATE_HELD		64
#define MIGRATE_SLOTS		32

struct tagged_obj {
	int in_use;
	unsigned int owner;
	char payload[48];
};

struct migrate_run {
	struct kslab_cache *cache;
	pthread_mutex_t lock;		/* guards slots */
	void *slots[MIGRATE_SLOTS];	/* objects in transit between threads */
	int errors;
	int stop;
};

struct migrate_thread {
	struct migrate_run *run;
	unsigned int id;
};

/* Free objects hold in_use == 0: set here, kept by every free. */
static void tagged_ctor(void *obj)
{
	((struct tagged_obj *)obj)->in_use = 0;
}

static void move_somewhere(struct ktap_rng *rng)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	if (ktap_rng_below(rng, 4) == 0 || ncpu < 2) {
		for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
	} else {
		CPU_SET(ktap_rng_below(rng, (unsigned long)ncpu), &set);
	}
	sched_setaffinity(0, sizeof(set), &set);
}

static bool take(struct tagged_obj *obj, unsigned int id)
{
	if (__atomic_exchange_n(&obj->in_use, 1, __ATOMIC_ACQ_REL))
		return false;	/* handed out while in use */
	obj->owner = id;
	return true;
}

static bool give_back(struct tagged_obj *obj)
{
	return __atomic_exchange_n(&obj->in_use, 0, __ATOMIC_ACQ_REL) == 1;
}

/* Swap an object with the transit slots: sometimes ours goes, theirs comes. */
static void *trade(struct migrate_run *run, void *mine, struct ktap_rng *rng)
{
	unsigned long i = ktap_rng_below(rng, MIGRATE_SLOTS);
	void *theirs;

	pthread_mutex_lock(&run->lock);
	theirs = run->slots[i];
	run->slots[i] = mine;
	pthread_mutex_unlock(&run->lock);
	return theirs;
}

static void release(struct migrate_run *run, void *obj)
{
	if (!give_back(obj))
		__atomic_add_fetch(&run->errors, 1, __ATOMIC_RELAXED);
	kslab_cache_free(run->cache, obj);
}

static void *migrate_worker(void *arg)
{
	struct migrate_thread *self = arg;
	struct migrate_run *run = self->run;
	void *held[MIGRATE_HELD] = { NULL };
	struct ktap_rng rng;
	unsigned long op;

	ktap_rng_seed(&rng, 0x5eed + self->id);
	for (op = 0; op < MIGRATE_OPS; op++) {
		unsigned long i = ktap_rng_below(&rng, MIGRATE_HELD);

		if (op % 1024 == 0)
			move_somewhere(&rng);
		if (held[i]) {
			void *obj = ktap_rng_below(&rng, 8) ? held[i] :
				    trade(run, held[i], &rng);

			if (obj)
				release(run, obj);
			held[i] = NULL;
			continue;
		}
		held[i] = kslab_cache_alloc(run->cache, GFP_KERNEL);
		if (!held[i] || !take(held[i], self->id))
			__atomic_add_fetch(&run->errors, 1, __ATOMIC_RELAXED);
	}
	for (op = 0; op < MIGRATE_HELD; op++)
		if (held[op])
			release(run, held[op]);
	return NULL;
}

/*
 * Enters every CPU's section from wherever it runs, again and again: stats
 * read each CPU's magazines, shrink takes them away.
 */
static void *migrate_meddler(void *arg)
{
	struct migrate_run *run = arg;
	struct kslab_cache_stats stats;

	while (!__atomic_load_n(&run->stop, __ATOMIC_ACQUIRE)) {
		kslab_cache_stats(run->cache, &stats);
		kslab_cache_reap(run->cache);
		kslab_cache_shrink(run->cache);
	}
	return NULL;
}

static void test_migrate_stress(struct ktap_test *t)
{
	struct migrate_run run = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct kslab_cache_args args = { .ctor = tagged_ctor };
	struct migrate_thread threads[MIGRATE_THREADS];
	pthread_t tids[MIGRATE_THREADS], meddler;
	struct kslab_cache_stats stats;
	unsigned int i;

	run.cache = kslab_cache_create("t-migrate", sizeof(struct tagged_obj),
				       &args, 0);
	KTAP_ASSERT(t, run.cache);
	KTAP_ASSERT(t, !pthread_create(&meddler, NULL, migrate_meddler, &run));
	for (i = 0; i < MIGRATE_THREADS; i++) {
		threads[i] = (struct migrate_thread){ .run = &run, .id = i + 1 };
		KTAP_ASSERT(t, !pthread_create(&tids[i], NULL, migrate_worker,
					       &threads[i]));
	}
	for (i = 0; i < MIGRATE_THREADS; i++)
		pthread_join(tids[i], NULL);
	__atomic_store_n(&run.stop, 1, __ATOMIC_RELEASE);
	pthread_join(meddler, NULL);
	for (i = 0; i < MIGRATE_SLOTS; i++)
		if (run.slots[i])
			release(&run, run.slots[i]);

	ktap_diag("mode %s: %d threads x %d ops, %d errors",
		  kslab_env_percpu_mode(), MIGRATE_THREADS, MIGRATE_OPS,
		  run.errors);
	KTAP_EXPECT_EQ(t, run.errors, 0);
	KTAP_EXPECT_EQ(t, kslab_cache_check(run.cache), 0);
	kslab_cache_shrink(run.cache);
	kslab_cache_stats(run.cache, &stats);
	KTAP_EXPECT_EQ(t, stats.active_objs, 0);
	KTAP_EXPECT_EQ(t, stats.num_slabs, 0);
	kslab_cache_destroy(run.cache);
}

static unsigned long allocs(const struct kslab_magazine_counters *c)
{
	return c->alloc_hit + c->alloc_swap + c->alloc_miss;
}

static unsigned long frees(const struct kslab_magazine_counters *c)
{
	return c->free_hit + c->free_swap + c->free_miss;
}

/* More fast-path pops and pushes on one magazine than its counts hold. */
#define HARVEST_PAIRS	20000000UL

static void test_counts_survive_harvest(struct ktap_test *t)
{
	struct kslab_cache *cache = kslab_cache_create("t-harvest", 64, NULL, 0);
	struct kslab_cache_stats before, after;
	unsigned long i;
	unsigned int cpu;
	void *obj;

	KTAP_ASSERT(t, cache);
	if (!test_cpu_pin(t, &cpu)) {
		kslab_cache_destroy(cache);
		return;
	}
	kslab_cache_free(cache, kslab_cache_alloc(cache, GFP_KERNEL));
	kslab_cache_stats(cache, &before);
	for (i = 0; i < HARVEST_PAIRS; i++) {
		obj = kslab_cache_alloc(cache, GFP_KERNEL);
		kslab_cache_free(cache, obj);
	}
	kslab_cache_stats(cache, &after);
	test_cpu_unpin();

	KTAP_EXPECT_EQ(t, allocs(&after.magazine) - allocs(&before.magazine),
		       HARVEST_PAIRS);
	KTAP_EXPECT_EQ(t, frees(&after.magazine) - frees(&before.magazine),
		       HARVEST_PAIRS);
	/* One magazine serves them all: every one a hit. */
	KTAP_EXPECT_EQ(t, after.magazine.alloc_hit - before.magazine.alloc_hit,
		       HARVEST_PAIRS);
	KTAP_EXPECT_EQ(t, after.magazine.free_hit - before.magazine.free_hit,
		       HARVEST_PAIRS);
	kslab_cache_destroy(cache);
}

static const struct ktap_case slab_migrate_cases[] = {
	{ "migrate_stress", test_migrate_stress },
	{ "counts_survive_harvest", test_counts_survive_harvest },
};

const struct ktap_suite slab_migrate_suite =
	KTAP_SUITE("slab_migrate", slab_migrate_cases);
