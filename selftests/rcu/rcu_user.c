// SPDX-License-Identifier: GPL-2.0
/*
 * RCU with threads (suite rcu_user): readers look objects up in a shared
 * table under kslab_rcu_read_lock() while writers free and reallocate
 * them, shrink the cache, and fill another cache with foreign bytes. In a
 * TYPESAFE_BY_RCU cache a reader may meet a freed or reused object, never
 * memory of another type, and finds reuse by revalidating; a deferred
 * free waits for a reader that can still see the object. Threads the
 * program registers with liburcu itself, before or after kslab first uses
 * them. Also main().
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#include <kslab/kmalloc.h>

#include "../../mm/slab.h"
#include "../capture.h"
#include "../process.h"
#include "rcu_tests.h"

#define ITEM_MAGIC	0x17e3c0deUL
#define SLOTS		64
#define READERS		3
#define WRITER_OPS	200000
#define LOOKUPS_MIN	100000
/* Loads of an item between its lookup and its revalidation. */
#define USE_LOADS	512
#define FOREIGN_SIZE	64
#define FOREIGN_OBJS	512
#define FOREIGN_BYTE	0xee
#define PURGE_EVERY	256

struct item {
	unsigned long magic;	/* set by the constructor, never changed */
	unsigned long id;	/* 0 while free; a new one on each reuse */
	unsigned char payload[48];
};

struct lookup_test {
	struct kslab_cache *items;
	struct item *slots[SLOTS];
	pthread_barrier_t start;	/* readers and the writer */
	bool done;
	unsigned long wrong_type;	/* readers' findings, summed */
	unsigned long reuse_seen;
	unsigned long lookups;
	unsigned long progress;		/* lookups so far, roughly */
};

static void item_ctor(void *obj)
{
	struct item *item = obj;

	item->magic = ITEM_MAGIC;
	item->id = 0;
}

static void *reader(void *arg)
{
	struct lookup_test *lt = arg;
	unsigned long wrong = 0, reuse = 0, lookups = 0, slot = 0;

	/* Registered with RCU (the first lock does it) before the writer goes. */
	kslab_rcu_read_lock();
	kslab_rcu_read_unlock();
	pthread_barrier_wait(&lt->start);
	while (!__atomic_load_n(&lt->done, __ATOMIC_ACQUIRE)) {
		struct item *item;

		kslab_rcu_read_lock();
		item = __atomic_load_n(&lt->slots[slot], __ATOMIC_ACQUIRE);
		if (item) {
			unsigned long id = __atomic_load_n(&item->id,
							   __ATOMIC_ACQUIRE);
			unsigned int i;

			/* Use it a while, as a lookup would: reuse can strike. */
			for (i = 0; i < USE_LOADS; i++)
				wrong += __atomic_load_n(&item->magic,
							 __ATOMIC_RELAXED) != ITEM_MAGIC;
			/* Revalidate: still in its slot, still the same one. */
			reuse += __atomic_load_n(&lt->slots[slot],
						 __ATOMIC_ACQUIRE) != item ||
				 __atomic_load_n(&item->id, __ATOMIC_ACQUIRE) != id ||
				 !id;
			if (!(++lookups % 256))
				__atomic_add_fetch(&lt->progress, 256,
						   __ATOMIC_RELAXED);
		}
		kslab_rcu_read_unlock();
		slot = (slot + 7) % SLOTS;
	}
	__atomic_add_fetch(&lt->wrong_type, wrong, __ATOMIC_RELAXED);
	__atomic_add_fetch(&lt->reuse_seen, reuse, __ATOMIC_RELAXED);
	__atomic_add_fetch(&lt->lookups, lookups, __ATOMIC_RELAXED);
	return NULL;
}

/* Take item @slot out of the table and free it. */
static void retire(struct lookup_test *lt, unsigned long slot)
{
	struct item *old = __atomic_exchange_n(&lt->slots[slot], NULL,
					       __ATOMIC_ACQ_REL);

	if (old) {
		__atomic_store_n(&old->id, 0, __ATOMIC_RELEASE);
		kslab_cache_free(lt->items, old);
	}
}

/*
 * Every PURGE_EVERY ops: every item freed, the emptied slabs released,
 * and another cache given as many pages as it can take, written with
 * FOREIGN_BYTE. Without the grace period before slab pages go back, a
 * reader still holding an item would find those bytes in it.
 */
static void purge(struct lookup_test *lt, struct kslab_cache *foreign,
		  void **held)
{
	unsigned long slot;
	unsigned int i;

	for (slot = 0; slot < SLOTS; slot++)
		retire(lt, slot);
	kslab_cache_shrink(lt->items);
	if (!kslab_cache_alloc_bulk(foreign, GFP_KERNEL, FOREIGN_OBJS, held))
		return;
	for (i = 0; i < FOREIGN_OBJS; i++)
		memset(held[i], FOREIGN_BYTE, FOREIGN_SIZE);
	kslab_cache_free_bulk(foreign, FOREIGN_OBJS, held);
	kslab_cache_shrink(foreign);
}

/*
 * Replace items at random, purging now and then; WRITER_OPS times at
 * least, and on until the readers made LOOKUPS_MIN lookups, so they meet
 * the writer whatever the scheduler does.
 */
static void writer(struct lookup_test *lt, struct kslab_cache *foreign)
{
	static void *held[FOREIGN_OBJS];
	unsigned long long rng = 0x2545f4914f6cdd1dULL;
	unsigned long op, next_id = 1, slot;
	struct item *item;

	for (op = 0; op < WRITER_OPS ||
		     __atomic_load_n(&lt->progress, __ATOMIC_RELAXED) < LOOKUPS_MIN;
	     op++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		slot = (unsigned long)(rng % SLOTS);
		retire(lt, slot);
		if (op % PURGE_EVERY == PURGE_EVERY - 1)
			purge(lt, foreign, held);
		if (rng & 8)
			continue;	/* leave some slots empty */
		item = kslab_cache_alloc(lt->items, GFP_KERNEL);
		if (!item)
			continue;
		__atomic_store_n(&item->id, next_id++, __ATOMIC_RELEASE);
		__atomic_store_n(&lt->slots[slot], item, __ATOMIC_RELEASE);
	}
}

/*
 * Readers only ever see items (the constructor's magic), though writers
 * free, shrink and let another cache take the pages; and they see reuse.
 */
static void test_typesafe_lookups(struct ktap_test *t)
{
	struct kslab_cache_args args = { .ctor = item_ctor };
	static struct lookup_test lt;
	pthread_t readers[READERS];
	struct kslab_cache *foreign;
	unsigned int i;

	memset(&lt, 0, sizeof(lt));
	lt.items = kslab_cache_create("t-rcu-items", sizeof(struct item), &args,
				      KSLAB_TYPESAFE_BY_RCU | KSLAB_NO_MAGAZINE);
	foreign = kslab_cache_create("t-rcu-foreign", FOREIGN_SIZE, NULL,
				     KSLAB_NO_MAGAZINE);
	KTAP_ASSERT(t, lt.items && foreign);
	pthread_barrier_init(&lt.start, NULL, READERS + 1);
	for (i = 0; i < READERS; i++)
		KTAP_ASSERT(t, !pthread_create(&readers[i], NULL, reader, &lt));
	pthread_barrier_wait(&lt.start);
	writer(&lt, foreign);
	__atomic_store_n(&lt.done, true, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);
	pthread_barrier_destroy(&lt.start);
	ktap_diag("%lu lookups, %lu saw a reused or freed item",
		  lt.lookups, lt.reuse_seen);
	KTAP_EXPECT_EQ(t, lt.wrong_type, 0);
	KTAP_EXPECT(t, lt.lookups > 0);
	KTAP_EXPECT(t, lt.reuse_seen > 0);
	for (i = 0; i < SLOTS; i++)
		if (lt.slots[i])
			kslab_cache_free(lt.items, lt.slots[i]);
	KTAP_EXPECT_EQ(t, kslab_cache_check(lt.items), 0);
	kslab_cache_destroy(lt.items);
	kslab_cache_destroy(foreign);
}

struct holder {
	unsigned long *obj;
	int inside;		/* set once in the read-side section */
	int release;		/* set to let it leave */
	unsigned long seen;
};

static void *hold_reader(void *arg)
{
	struct holder *h = arg;

	kslab_rcu_read_lock();
	__atomic_store_n(&h->inside, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE))
		usleep(1000);
	h->seen = *h->obj;
	kslab_rcu_read_unlock();
	return NULL;
}

/*
 * A reader in its section when the object is freed keeps it: flushed and
 * given time, the free still waits; the reader reads it whole; once the
 * reader leaves, the grace period ends and the object goes back.
 */
static void test_free_waits_for_reader(struct ktap_test *t)
{
	struct kslab_cache *cache = kslab_cache_create("t-rcu-hold", 64, NULL,
						       KSLAB_NO_MAGAZINE);
	struct kslab_cache_stats st;
	struct holder h = { 0 };
	pthread_t thread;

	KTAP_ASSERT(t, cache);
	h.obj = kslab_cache_alloc(cache, GFP_KERNEL);
	KTAP_ASSERT(t, h.obj);
	*h.obj = ITEM_MAGIC;
	KTAP_ASSERT(t, !pthread_create(&thread, NULL, hold_reader, &h));
	while (!__atomic_load_n(&h.inside, __ATOMIC_ACQUIRE))
		usleep(1000);
	kslab_cache_free_rcu(cache, h.obj);
	kslab_rcu_flush();
	usleep(50000);		/* time for a grace period the reader must block */
	kslab_cache_stats(cache, &st);
	KTAP_EXPECT_EQ(t, st.active_objs, 1);
	__atomic_store_n(&h.release, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	KTAP_EXPECT_EQ(t, h.seen, ITEM_MAGIC);
	kslab_rcu_barrier();
	kslab_cache_stats(cache, &st);
	KTAP_EXPECT_EQ(t, st.active_objs, 0);
	kslab_cache_destroy(cache);
}

/*
 * A TYPESAFE_BY_RCU slab emptied and released while a reader is inside
 * its section keeps its pages, and its objects their type, until the
 * reader leaves and the grace period ends.
 */
static void test_typesafe_slab_outlives_reader(struct ktap_test *t)
{
	struct kslab_cache_args args = { .ctor = item_ctor };
	struct kslab_cache *cache;
	struct item *objs[64];
	unsigned long n, i, typed = 0;
	struct kslab_cache_stats st;

	cache = kslab_cache_create("t-rcu-typesafe", sizeof(struct item), &args,
				   KSLAB_TYPESAFE_BY_RCU | KSLAB_NO_MAGAZINE);
	KTAP_ASSERT(t, cache);
	kslab_cache_stats(cache, &st);
	n = st.objs_per_slab < 64 ? st.objs_per_slab : 64;
	for (i = 0; i < n; i++)
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
	kslab_rcu_read_lock();
	for (i = 0; i < n; i++)
		kslab_cache_free(cache, objs[i]);
	kslab_cache_shrink(cache);
	kslab_cache_stats(cache, &st);
	KTAP_EXPECT_EQ(t, st.num_slabs, 0);
	/* Gone from the cache, not from memory: this reader may hold one. */
	KTAP_EXPECT(t, kslab_obj_to_slab(objs[0]) != NULL);
	for (i = 0; i < n; i++)
		typed += objs[i]->magic == ITEM_MAGIC;
	kslab_rcu_read_unlock();
	KTAP_EXPECT_EQ(t, typed, n);
	kslab_rcu_barrier();
	KTAP_EXPECT(t, kslab_obj_to_slab(objs[0]) == NULL);
	kslab_cache_destroy(cache);
}

/* Enough deferred frees to queue several batches (mm/rcu_free.c). */
#define DEFERRED_FREES	5000

static void free_some_deferred(void)
{
	unsigned int i;

	for (i = 0; i < DEFERRED_FREES; i++)
		kslab_kfree_rcu(kslab_kmalloc(64, GFP_KERNEL));
}

/* The program registers the thread first and unregisters it last. */
static void *registered_first(void *unused)
{
	(void)unused;
	urcu_memb_register_thread();
	free_some_deferred();
	kslab_rcu_read_lock();
	urcu_memb_read_lock();		/* the program's own, nested */
	urcu_memb_read_unlock();
	kslab_rcu_read_unlock();
	urcu_memb_unregister_thread();
	return NULL;
}

/* kslab runs on the thread first; the program registers it afterwards. */
static void *kslab_first(void *unused)
{
	(void)unused;
	free_some_deferred();
	kslab_rcu_read_lock();
	kslab_rcu_read_lock();
	kslab_kfree_rcu(kslab_kmalloc(64, GFP_KERNEL));
	kslab_rcu_read_unlock();
	kslab_rcu_read_unlock();
	urcu_memb_register_thread();
	urcu_memb_read_lock();
	urcu_memb_read_unlock();
	urcu_memb_unregister_thread();
	return NULL;
}

#define REGISTRATION_ARG	"--registration-orders"

/* In a fresh process (a forked one would lack liburcu's worker thread). */
static int registration_orders(void)
{
	void *(*const threads[])(void *) = { registered_first, kslab_first };
	unsigned int i;
	pthread_t th;

	for (i = 0; i < KSLAB_ARRAY_SIZE(threads); i++) {
		if (pthread_create(&th, NULL, threads[i], NULL))
			return 1;
		pthread_join(th, NULL);
		printf("thread %u done\n", i);
	}
	kslab_rcu_barrier();
	printf("all done\n");
	return 0;
}

/*
 * Every liburcu user registers its threads, and registering one twice
 * stops the program. kslab uses a registered thread as it finds it and
 * registers a thread nobody did only while it uses it, so a thread the
 * program registers before kslab's deferred frees and read-side sections,
 * or after them, runs clean. In a child: the failure is an abort.
 */
static void test_program_registers_threads(struct ktap_test *t)
{
	struct capture c;

	KTAP_ASSERT(t, capture_self(&c, REGISTRATION_ARG, environ));
	ktap_check(t, WIFEXITED(c.status) && !WEXITSTATUS(c.status) &&
		      strstr(c.out, "all done"), __FILE__, __LINE__,
		   "status %d, out \"%s\", err \"%.200s\"", c.status,
		   c.out, c.err);
}

static const struct ktap_case rcu_user_cases[] = {
	{ "typesafe_slab_outlives_reader", test_typesafe_slab_outlives_reader },
	{ "typesafe_lookups", test_typesafe_lookups },
	{ "free_waits_for_reader", test_free_waits_for_reader },
	{ "program_registers_threads", test_program_registers_threads },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		rcu_api_suite,
		KTAP_SUITE("rcu_user", rcu_user_cases),
	};

	if (argc > 1 && !strcmp(argv[1], REGISTRATION_ARG))
		return registration_orders();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
