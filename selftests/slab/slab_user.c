// SPDX-License-Identifier: GPL-2.0
/*
 * Object-cache tests that only make sense in userspace, the environment
 * hooks the portable suites use, and the test program's main().
 *
 * Covered: KSLAB_PANIC stopping the program (in a forked child); 4 and 8
 * threads allocating and freeing at random, handing objects to each other
 * through a locked exchange so most frees happen on another CPU than the
 * allocation: plain, with a constructor whose state every object must
 * carry, and without magazines; depot contention growing the
 * magazines at the next reap; and a cache's internal fragmentation in
 * kslab_memory_stats()'s totals.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../mm/slab.h"
#include "../stress.h"
#include "slab_tests.h"

/* ------------------------------------------------------------------ */
/* Pinning to one CPU                                                  */
/* ------------------------------------------------------------------ */

#define PIN_SETTLE_TRIES	1000

static cpu_set_t saved_affinity;

bool test_cpu_pin(struct ktap_test *t, unsigned int *cpu)
{
	int now = sched_getcpu();
	unsigned int seen = ~0U, i;
	cpu_set_t one;

	if (now < 0 || sched_getaffinity(0, sizeof(saved_affinity),
					 &saved_affinity)) {
		ktap_skip(t, "this thread's CPU cannot be read");
		return false;
	}
	CPU_ZERO(&one);
	CPU_SET(now, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		ktap_skip(t, "cannot pin to CPU %d", now);
		return false;
	}
	/* Without rseq kslab reuses a CPU hint for a while: wait for it. */
	for (i = 0; i < PIN_SETTLE_TRIES && seen != (unsigned int)now; i++) {
		seen = kslab_cpu_enter();
		kslab_cpu_exit(seen);
	}
	if (seen != (unsigned int)now) {
		test_cpu_unpin();
		ktap_skip(t, "kslab does not see the pin to CPU %d", now);
		return false;
	}
	*cpu = (unsigned int)now;
	return true;
}

void test_cpu_unpin(void)
{
	sched_setaffinity(0, sizeof(saved_affinity), &saved_affinity);
}

/* ------------------------------------------------------------------ */
/* KSLAB_PANIC                                                         */
/* ------------------------------------------------------------------ */

#define PANIC_OUT_MAX	1024

/* Create with bad arguments and KSLAB_PANIC in a child; read its stderr. */
static int panic_child(const struct kslab_cache_args *args, unsigned int size,
		       char *out, size_t out_size)
{
	size_t len = 0;
	int fds[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		kslab_cache_create("t-panic", size, args, KSLAB_PANIC);
		_exit(0);	/* it returned: the test fails on the status */
	}
	close(fds[1]);
	while (pid > 0 && len < out_size - 1 &&
	       (n = read(fds[0], out + len, out_size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void test_create_panic_aborts(struct ktap_test *t)
{
	struct kslab_cache_args bad_align = { .align = 3 };
	char out[PANIC_OUT_MAX];
	int status;

	status = panic_child(NULL, 0, out, sizeof(out));
	ktap_check(t, status != -1 && WIFSIGNALED(status) &&
		   WTERMSIG(status) == SIGABRT, __FILE__, __LINE__,
		   "size 0 with KSLAB_PANIC: status %#x", status);
	EXPECT_CONTAINS(t, out, "kslab: cache t-panic not created");
	EXPECT_CONTAINS(t, out, "size out of range");

	status = panic_child(&bad_align, 64, out, sizeof(out));
	ktap_check(t, status != -1 && WIFSIGNALED(status) &&
		   WTERMSIG(status) == SIGABRT, __FILE__, __LINE__,
		   "align 3 with KSLAB_PANIC: status %#x", status);
	EXPECT_CONTAINS(t, out, "power of two");
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define STRESS_OPS		200000
#define STRESS_YIELD_EVERY	64

/* The cache the threads share: the stress driver's context. */
struct stress_cache {
	struct kslab_cache *cache;
	bool constructed;	/* the cache has test_ctor() */
};

/*
 * While held, an object carries its tag in its user state and, without a
 * constructor, in its first word too; the constructed part must survive.
 */
static void stress_mark(const struct stress_cache *sc, struct ctor_obj *o,
			unsigned long tag)
{
	if (!sc->constructed)
		o->magic = ~tag;
	o->state = tag;
}

static bool stress_marked(const struct stress_cache *sc,
			  const struct ctor_obj *o, unsigned long tag)
{
	if (!sc->constructed)
		return o->magic == ~tag && o->state == tag;
	if (o->state != tag)
		return false;
	/* What the constructor set, the holder never touched. */
	return o->magic == CTOR_MAGIC && o->self == o &&
	       o->fill[0] == CTOR_FILL && o->fill[CTOR_FILL_LEN - 1] == CTOR_FILL;
}

static bool stress_obj_alloc(struct stress_thread *th,
			     struct stress_item *item)
{
	const struct stress_cache *sc = th->ctx;
	struct ctor_obj *o;
	bool intact;

	o = kslab_cache_alloc(sc->cache, ktap_rng_below(&th->rng, 2) ?
					 GFP_KERNEL : GFP_ATOMIC);
	if (!o)
		return true;
	/* Check before marking: the mark overwrites the user state. */
	intact = !sc->constructed || ctor_obj_constructed(o);
	item->addr = o;
	stress_mark(sc, o, item->tag);
	return intact;
}

static bool stress_obj_release(struct stress_thread *th,
			       const struct stress_item *item)
{
	const struct stress_cache *sc = th->ctx;
	struct ctor_obj *o = item->addr;
	bool intact = stress_marked(sc, o, item->tag);

	o->state = 0;	/* back to constructed state */
	kslab_cache_free(sc->cache, o);
	return intact;
}

static const struct stress_ops stress_obj_ops = {
	.alloc = stress_obj_alloc,
	.release = stress_obj_release,
};

/* Everything went home: consistent, nothing held, and all of it freeable. */
static void stress_expect_drained(struct ktap_test *t,
				  struct kslab_cache *cache)
{
	struct kslab_cache_stats st = cache_stats(cache);

	KTAP_EXPECT_EQ(t, st.bad_frees, 0);
	KTAP_EXPECT_EQ(t, st.active_objs, st.magazine_objs);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	KTAP_EXPECT_EQ(t, kslab_zone_check(kslab_default_zone()), 0);
	kslab_cache_shrink(cache);
	st = cache_stats(cache);
	KTAP_EXPECT_EQ(t, st.active_objs, 0);
	KTAP_EXPECT_EQ(t, st.num_slabs, 0);
}

static void run_stress(struct ktap_test *t, const char *name,
		       unsigned int n, bool constructed, unsigned long flags)
{
	struct stress_cache sc = { .constructed = constructed };
	struct stress_config cfg = {
		.ops = &stress_obj_ops,
		.ctx = &sc,
		.nr_threads = n,
		.nr_ops = STRESS_OPS,
		.yield_every = STRESS_YIELD_EVERY,
		.seed = 0x51ab,
	};

	ctor_counts_reset();
	sc.cache = test_cache(t, name, sizeof(struct ctor_obj),
			      constructed ? &ctor_args : NULL, flags);
	if (!sc.cache)
		return;
	/* Caches feed on the default zone, uncapped here: none may fail. */
	KTAP_EXPECT_EQ(t, stress_run(t, &cfg).failures, 0);
	stress_expect_drained(t, sc.cache);
	test_cache_destroy(t, sc.cache);
	if (constructed) {
		KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctor_counts.dtors),
			       kslab_atomic_read(&ctor_counts.ctors));
		KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctor_counts.bad_dtors), 0);
	}
}

static void test_threads_4(struct ktap_test *t)
{
	run_stress(t, "t-threads-4", 4, false, 0);
}

static void test_threads_8(struct ktap_test *t)
{
	run_stress(t, "t-threads-8", 8, false, 0);
}

static void test_threads_ctor_state(struct ktap_test *t)
{
	run_stress(t, "t-threads-ctor", 4, true, 0);
}

/* Every allocation and free meets the others at the slab layer's lock. */
static void test_threads_no_magazine(struct ktap_test *t)
{
	run_stress(t, "t-threads-nomag", 4, true, KSLAB_NO_MAGAZINE);
}

/* ------------------------------------------------------------------ */
/* Depot contention                                                    */
/* ------------------------------------------------------------------ */

/* One more than the contended depot acquisitions that make reap grow. */
#define CONTENDED_ROUNDS	17
#define WAIT_LIMIT_NS		(2 * 1000 * 1000 * 1000L)

struct contender {
	struct kslab_cache *cache;
	int round_go;
	int round_done;
};

/* Each shrink visits the depot, and finds it held by the test. */
static void *contender_fn(void *arg)
{
	struct contender *c = arg;
	int round;

	for (round = 1; round <= CONTENDED_ROUNDS; round++) {
		while (__atomic_load_n(&c->round_go, __ATOMIC_ACQUIRE) < round)
			sched_yield();
		kslab_cache_shrink(c->cache);
		__atomic_store_n(&c->round_done, round, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Wait until someone sleeps on @lock (state 2). Return: false on timeout. */
static bool wait_for_sleeper(struct kslab_spinlock *lock)
{
	struct timespec nap = { 0, 100 * 1000 };
	long waited;

	for (waited = 0; waited < WAIT_LIMIT_NS; waited += nap.tv_nsec) {
		if (__atomic_load_n(&lock->state, __ATOMIC_ACQUIRE) == 2)
			return true;
		nanosleep(&nap, NULL);
	}
	return false;
}

static void test_contention_grows_magazines(struct ktap_test *t)
{
	struct kslab_cache_args args = { .magazine_size = RIG_MAGAZINE };
	struct contender c = { 0 };
	struct kslab_cache_stats st;
	pthread_t tid;
	int round, blocked = 0;

	c.cache = test_cache(t, "t-contention", 64, &args, 0);
	if (!c.cache || !KTAP_EXPECT(t, !pthread_create(&tid, NULL,
							contender_fn, &c)))
		goto out;
	for (round = 1; round <= CONTENDED_ROUNDS; round++) {
		bool slept;

		kslab_spin_lock(&c.cache->depot.lock);
		__atomic_store_n(&c.round_go, round, __ATOMIC_RELEASE);
		slept = wait_for_sleeper(&c.cache->depot.lock);
		kslab_spin_unlock(&c.cache->depot.lock);
		if (!slept)
			break;	/* it never blocks: waiting on is futile */
		blocked++;
		while (__atomic_load_n(&c.round_done, __ATOMIC_ACQUIRE) < round)
			sched_yield();
	}
	__atomic_store_n(&c.round_go, CONTENDED_ROUNDS, __ATOMIC_RELEASE);
	pthread_join(tid, NULL);
	KTAP_EXPECT_EQ(t, blocked, CONTENDED_ROUNDS);
	st = cache_stats(c.cache);
	KTAP_EXPECT_EQ(t, st.depot_contended, CONTENDED_ROUNDS);
	KTAP_EXPECT_EQ(t, st.magazine_size, RIG_MAGAZINE);
	kslab_cache_reap(c.cache);
	st = cache_stats(c.cache);
	KTAP_EXPECT_EQ(t, st.magazine_resizes, 1);
	KTAP_EXPECT_EQ(t, st.magazine_size, 30);
	/* The count starts again: a quiet interval grows nothing. */
	kslab_cache_reap(c.cache);
	KTAP_EXPECT_EQ(t, cache_stats(c.cache).magazine_resizes, 1);
out:
	test_cache_destroy(t, c.cache);
}

/* ------------------------------------------------------------------ */
/* Internal fragmentation of all caches together                       */
/* ------------------------------------------------------------------ */

/*
 * A new cache's figures show in kslab_memory_stats()'s totals: 32
 * objects of 100 bytes aligned to 64 ask for 3200 bytes, pad them with
 * 896 and leave 128 bytes at the end of each of the two pages (see
 * frag_hand_computed). Userspace only: no other thread allocates here,
 * so the totals move by exactly that.
 */
static void test_memory_stats_frag_totals(struct ktap_test *t)
{
	struct kslab_cache_args args = { .align = 64 };
	struct kslab_memory_stats before, after;
	struct kslab_cache *cache;
	void *objs[32];

	cache = test_cache(t, "t-frag-totals", 100, &args, KSLAB_NO_MAGAZINE);
	if (!cache)
		return;
	kslab_memory_stats(&before);
	if (alloc_objs(t, cache, objs, 32)) {
		kslab_memory_stats(&after);
		KTAP_EXPECT_EQ(t, after.requested_bytes - before.requested_bytes,
			       3200);
		KTAP_EXPECT_EQ(t, after.padding_waste - before.padding_waste,
			       896);
		KTAP_EXPECT_EQ(t, after.tail_waste - before.tail_waste, 256);
		KTAP_EXPECT_EQ(t, after.slab_bytes - before.slab_bytes, 8192);
		free_objs(cache, objs, 32);
	}
	test_cache_destroy(t, cache);
}

/*
 * A flush finds an on-slab header from its object's address: the start of
 * the slab's block, aligned to its size (mm/slab.c, flushed_slab()). It
 * reads there only once the page word proves the address one of the
 * cache's objects. So a magazine overwritten in memory, handing its flush
 * an address in a page whose block start is unmapped, an object of
 * another cache and a pointer inside one of its own, gets each reported,
 * once, and nothing read at a block start it made up (without the proof,
 * the first stray's block start faults); the batch's real object goes
 * back as ever. Userspace only: it maps the unmapped block start.
 */
static void test_flush_strays(struct ktap_test *t)
{
	struct kslab_cache *cache, *other;
	struct kslab_cache_stats before, after;
	struct report_capture cap;
	void *keep, *obj, *foreign, *batch[4];
	unsigned long block;
	char *area;

	/* 1400 bytes: 8-page slabs, so a block start lies pages below. */
	cache = test_cache(t, "t-flush-stray", 1400, NULL, KSLAB_NO_MAGAZINE);
	other = test_cache(t, "t-flush-other", 1400, NULL, KSLAB_NO_MAGAZINE);
	if (!cache || !other)
		goto out;
	KTAP_EXPECT(t, !cache_stats(cache).off_slab &&
		       cache_stats(cache).pages_per_slab > 1);
	block = KSLAB_PAGE_SIZE * cache_stats(cache).pages_per_slab;
	area = mmap(NULL, 2 * block, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (!KTAP_EXPECT(t, area != MAP_FAILED))
		goto out;
	/* A page past an aligned block start that stays PROT_NONE. */
	batch[0] = (char *)KSLAB_ALIGN_UP((unsigned long)area, block) +
		   KSLAB_PAGE_SIZE;
	KTAP_EXPECT(t, !mprotect(batch[0], KSLAB_PAGE_SIZE,
				 PROT_READ | PROT_WRITE));
	keep = kslab_cache_alloc(cache, GFP_KERNEL);
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	foreign = kslab_cache_alloc(other, GFP_KERNEL);
	if (KTAP_EXPECT(t, keep && obj && foreign)) {
		batch[1] = foreign;
		batch[2] = (char *)keep + 8;
		batch[3] = obj;
		before = cache_stats(cache);
		capture_start(&cap);
		kslab_slab_free_batch(cache, batch, 4, 0);
		capture_stop(&cap);
		after = cache_stats(cache);
		KTAP_EXPECT_EQ(t, cap.seen, 3);
		KTAP_EXPECT_EQ(t, after.bad_frees, before.bad_frees + 3);
		KTAP_EXPECT_EQ(t, after.active_objs, before.active_objs - 1);
		KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
		KTAP_EXPECT_EQ(t, kslab_cache_check(other), 0);
	}
	kslab_cache_free(cache, keep);
	kslab_cache_free(other, foreign);
	munmap(area, 2 * block);
out:
	test_cache_destroy(t, other);
	test_cache_destroy(t, cache);
}

static const struct ktap_case slab_user_cases[] = {
	{ "create_panic_aborts", test_create_panic_aborts },
	{ "threads_4", test_threads_4 },
	{ "threads_8", test_threads_8 },
	{ "threads_ctor_state", test_threads_ctor_state },
	{ "threads_no_magazine", test_threads_no_magazine },
	{ "contention_grows_magazines", test_contention_grows_magazines },
	{ "memory_stats_frag_totals", test_memory_stats_frag_totals },
	{ "flush_strays", test_flush_strays },
};

static const struct ktap_suite slab_user_suite =
	KTAP_SUITE("slab_user", slab_user_cases);

int main(void)
{
	const struct ktap_suite suites[] = {
		slab_create_suite, slab_layout_suite, slab_ctor_suite,
		slab_bad_free_suite, slab_magazine_suite, slab_reclaim_suite,
		slab_stats_suite, slab_words_suite, slab_sheaf_suite,
		slab_user_suite,
		slab_migrate_suite,
	};

	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
