// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of RCU (suite port-rcu): kslab_rcu_barrier() runs every queued
 * callback exactly once, kslab_synchronize_rcu() waits for a reader that
 * began before it, and a callback never runs while such a reader is still
 * inside its critical section; and liburcu is loaded at the first RCU call,
 * not before.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kslab/kmalloc.h>

#include "port_tests.h"

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

#define RCU_PROBE_MAGIC	0x7c0de
#define NR_RCU_PROBES	64

/*
 * A reader that stays inside its critical section until released. Its
 * first kslab_rcu_read_lock() registers the thread with liburcu.
 */
struct rcu_reader {
	pthread_t tid;
	unsigned int hold_ms;	/* leave after this long even if not released */
	int inside;
	int release;
	/*
	 * Set just before the read-side unlock, with a plain store: a grace
	 * period orders it before what follows, and under ThreadSanitizer
	 * the port must say so (userspace/rcu.c) or it reports a race.
	 */
	int left;
};

struct rcu_probe {
	int magic;
	struct kslab_rcu_head head;
	int ran;
	const struct rcu_reader *reader;	/* one to look at, or NULL */
	int reader_left;			/* what the callback saw of it */
};

static unsigned long rcu_bad_heads;

static void rcu_probe_cb(struct kslab_rcu_head *head)
{
	struct rcu_probe *p = kslab_container_of(head, struct rcu_probe, head);

	if (p->magic != RCU_PROBE_MAGIC) {
		__atomic_add_fetch(&rcu_bad_heads, 1, __ATOMIC_RELAXED);
		return;
	}
	if (p->reader)
		p->reader_left = p->reader->left;
	__atomic_add_fetch(&p->ran, 1, __ATOMIC_RELEASE);
}

static int rcu_probe_ran(struct rcu_probe *p)
{
	return __atomic_load_n(&p->ran, __ATOMIC_ACQUIRE);
}

static void test_rcu_barrier(struct ktap_test *t)
{
	struct rcu_probe *probes = calloc(NR_RCU_PROBES, sizeof(*probes));
	unsigned int i, not_once = 0;

	KTAP_ASSERT(t, probes != NULL);
	rcu_bad_heads = 0;
	for (i = 0; i < NR_RCU_PROBES; i++) {
		probes[i].magic = RCU_PROBE_MAGIC;
		kslab_call_rcu(&probes[i].head, rcu_probe_cb);
	}
	kslab_rcu_barrier();
	for (i = 0; i < NR_RCU_PROBES; i++)
		not_once += rcu_probe_ran(&probes[i]) != 1;
	KTAP_EXPECT_EQ(t, not_once, 0);
	KTAP_EXPECT_EQ(t, rcu_bad_heads, 0);
	free(probes);
}

#define RCU_READER_MAX_MS	10000

static void *rcu_reader_thread(void *arg)
{
	struct rcu_reader *r = arg;
	unsigned int waited;

	kslab_rcu_read_lock();
	__atomic_store_n(&r->inside, 1, __ATOMIC_RELEASE);
	for (waited = 0; waited < r->hold_ms; waited++) {
		if (__atomic_load_n(&r->release, __ATOMIC_ACQUIRE))
			break;
		sleep_ms(1);
	}
	r->left = 1;
	kslab_rcu_read_unlock();
	return NULL;
}

static bool rcu_reader_start(struct rcu_reader *r, unsigned int hold_ms)
{
	memset(r, 0, sizeof(*r));
	r->hold_ms = hold_ms;
	if (pthread_create(&r->tid, NULL, rcu_reader_thread, r))
		return false;
	while (!__atomic_load_n(&r->inside, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	return true;
}

static void rcu_reader_stop(struct rcu_reader *r)
{
	__atomic_store_n(&r->release, 1, __ATOMIC_RELEASE);
	pthread_join(r->tid, NULL);
}

static void test_rcu_synchronize(struct ktap_test *t)
{
	struct rcu_reader r;

	KTAP_ASSERT(t, rcu_reader_start(&r, 50));
	/* A reader that began before the grace period must have left it. */
	kslab_synchronize_rcu();
	KTAP_EXPECT(t, r.left);
	rcu_reader_stop(&r);
	/* And with no reader at all it simply returns. */
	kslab_synchronize_rcu();
}

static void test_rcu_reader_delays_callback(struct ktap_test *t)
{
	struct rcu_reader r;
	struct rcu_probe probe = { .magic = RCU_PROBE_MAGIC, .reader = &r };
	unsigned int ms, early = 0;

	rcu_bad_heads = 0;
	KTAP_ASSERT(t, rcu_reader_start(&r, RCU_READER_MAX_MS));
	kslab_call_rcu(&probe.head, rcu_probe_cb);
	/* The callback may not run while the reader is inside: give it time. */
	for (ms = 0; ms < 100; ms += 5) {
		early += rcu_probe_ran(&probe) != 0;
		sleep_ms(5);
	}
	early += rcu_probe_ran(&probe) != 0;
	KTAP_EXPECT_EQ(t, early, 0);
	/* Not racy: the reader stays until told to, below. */
	KTAP_EXPECT(t, !r.left);
	rcu_reader_stop(&r);
	kslab_rcu_barrier();
	KTAP_EXPECT_EQ(t, rcu_probe_ran(&probe), 1);
	KTAP_EXPECT_EQ(t, probe.reader_left, 1);
	KTAP_EXPECT_EQ(t, rcu_bad_heads, 0);
}

static bool urcu_loaded(void)
{
	void *handle = dlopen("liburcu-memb.so.8", RTLD_NOW | RTLD_NOLOAD);

	if (handle)
		dlclose(handle);
	return handle != NULL;
}

/*
 * Run as "port --rcu-load-probe", a program that links no liburcu: say
 * whether liburcu is loaded at start, after kmalloc and a cache's use and
 * a barrier with nothing queued (none of which needs it), and after a
 * callback queued and waited for.
 */
int rcu_load_probe_main(void)
{
	struct rcu_probe probe = { .magic = RCU_PROBE_MAGIC };
	struct kslab_cache *cache;
	bool at_start, after_alloc;
	void *obj;

	at_start = urcu_loaded();
	kslab_kfree(kslab_kmalloc(100, GFP_KERNEL));
	cache = kslab_cache_create("rcu-load", 64, NULL, 0);
	obj = cache ? kslab_cache_alloc(cache, GFP_KERNEL) : NULL;
	if (obj)
		kslab_cache_free(cache, obj);
	if (cache)
		kslab_cache_destroy(cache);
	kslab_rcu_barrier();
	after_alloc = urcu_loaded();
	kslab_call_rcu(&probe.head, rcu_probe_cb);
	kslab_rcu_barrier();
	printf("start=%d alloc=%d call=%d ran=%d\n", at_start, after_alloc,
	       urcu_loaded(), rcu_probe_ran(&probe));
	return obj ? 0 : 1;
}

static void test_urcu_loaded_at_first_use(struct ktap_test *t)
{
	int at_start, after_alloc, after_call, ran;
	struct capture c;

	/* This environment: a ThreadSanitizer build needs its suppressions. */
	KTAP_ASSERT(t, capture_self(&c, RCU_LOAD_PROBE_ARG, environ));
	if (!PROBE_ANSWER(t, &c, 4, "start=%d alloc=%d call=%d ran=%d",
			  &at_start, &after_alloc, &after_call, &ran))
		return;
	KTAP_EXPECT_EQ(t, c.status, 0);
	KTAP_EXPECT_EQ(t, at_start, 0);
	KTAP_EXPECT_EQ(t, after_alloc, 0);
	KTAP_EXPECT_EQ(t, after_call, 1);
	KTAP_EXPECT_EQ(t, ran, 1);
}

static const struct ktap_case rcu_cases[] = {
	{ "urcu_loaded_at_first_use", test_urcu_loaded_at_first_use },
	{ "rcu_barrier", test_rcu_barrier },
	{ "rcu_synchronize", test_rcu_synchronize },
	{ "rcu_reader_delays_callback", test_rcu_reader_delays_callback },
};

const struct ktap_suite port_rcu_suite = KTAP_SUITE("port-rcu", rcu_cases);
