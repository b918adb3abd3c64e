// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of locks, atomics and ordering (suite port-sync): spinlocks and
 * mutexes, static and set up at run time, under contention; the values
 * atomics and kslab_cmpxchg() return, with and without contention; and
 * the ordering promised by acquire/release and by kslab_smp_mb().
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "port_tests.h"

/* ------------------------------------------------------------------ */
/* Locks                                                               */
/* ------------------------------------------------------------------ */

/* A kind of lock, as the tests drive it through void pointers. */
struct lock_kind {
	size_t size;
	void (*init)(void *lock);
	void (*lock)(void *lock);
	void (*unlock)(void *lock);
};

struct lock_ctx {
	const struct lock_kind *kind;
	void *obj;
	unsigned long counter;
};

static void *lock_worker(void *arg)
{
	struct stress *s = arg;
	struct lock_ctx *ctx = s->ctx;
	const struct lock_kind *kind = ctx->kind;
	unsigned long i;

	stress_wait_start(s);
	for (i = 0; i < s->iterations; i++) {
		kind->lock(ctx->obj);
		racy_increment(&ctx->counter, i);
		kind->unlock(ctx->obj);
	}
	return NULL;
}

/* More threads than CPUs fight over @ctx; no increment may be lost. */
static void contend(struct ktap_test *t, struct lock_ctx *ctx)
{
	struct stress s = { .iterations = 30000, .ctx = ctx };

	ctx->counter = 0;
	KTAP_ASSERT(t, run_threads(STRESS_THREADS, lock_worker, &s));
	KTAP_EXPECT_EQ(t, ctx->counter, STRESS_THREADS * s.iterations);
}

/*
 * Contend on @static_lock, defined by its DEFINE macro, then on a lock of
 * the same kind set up by its init function in memory full of garbage.
 */
static void test_lock_kind(struct ktap_test *t, const struct lock_kind *kind,
			   void *static_lock)
{
	struct lock_ctx ctx = { .kind = kind, .obj = static_lock };
	void *dyn = malloc(kind->size);

	contend(t, &ctx);
	KTAP_ASSERT(t, dyn != NULL);
	memset(dyn, 0xa5, kind->size);
	kind->init(dyn);
	ctx.obj = dyn;
	contend(t, &ctx);
	free(dyn);
}

/*
 * Define test_@name(): test_lock_kind() on locks of type struct @type,
 * defined by @define or set up by @prefix##_init(), and locked by
 * @prefix##_lock() and @prefix##_unlock().
 */
#define DEFINE_LOCK_TEST(name, type, prefix, define)			\
	static void name##_init_op(void *lock)				\
	{								\
		prefix##_init(lock);					\
	}								\
	static void name##_lock_op(void *lock)				\
	{								\
		prefix##_lock(lock);					\
	}								\
	static void name##_unlock_op(void *lock)			\
	{								\
		prefix##_unlock(lock);					\
	}								\
	static void test_##name(struct ktap_test *t)			\
	{								\
		static define(static_lock);				\
		static const struct lock_kind kind = {			\
			.size = sizeof(struct type),			\
			.init = name##_init_op,				\
			.lock = name##_lock_op,				\
			.unlock = name##_unlock_op,			\
		};							\
									\
		test_lock_kind(t, &kind, &static_lock);			\
	}

DEFINE_LOCK_TEST(spinlock, kslab_spinlock, kslab_spin, KSLAB_DEFINE_SPINLOCK)
DEFINE_LOCK_TEST(mutex, kslab_mutex, kslab_mutex, KSLAB_DEFINE_MUTEX)

/* ------------------------------------------------------------------ */
/* Atomics and ordering                                                */
/* ------------------------------------------------------------------ */

static void test_atomic_values(struct ktap_test *t)
{
	struct kslab_atomic a = KSLAB_ATOMIC_INIT(5);

	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 5);
	KTAP_EXPECT_EQ(t, kslab_atomic_add_return(&a, 3), 8);
	KTAP_EXPECT_EQ(t, kslab_atomic_add_return(&a, -10), (unsigned long)-2L);
	kslab_atomic_add(&a, 2);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 0);
	kslab_atomic_set(&a, 1L << 40);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 1UL << 40);

	/* Success: the old value comes back and the new one is stored. */
	KTAP_EXPECT_EQ(t, kslab_atomic_cmpxchg(&a, 1L << 40, 7), 1UL << 40);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 7);
	/* Failure: the current value comes back and nothing is stored. */
	KTAP_EXPECT_EQ(t, kslab_atomic_cmpxchg(&a, 6, 99), 7);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 7);
	KTAP_EXPECT_EQ(t, kslab_atomic_cmpxchg(&a, 7, -1), 7);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), (unsigned long)-1L);
}

/* kslab_cmpxchg() on words of other types: pointers and unsigned ints. */
static void test_cmpxchg_words(struct ktap_test *t)
{
	static int x, y;
	int *ptr = &x;
	unsigned int word = 3;

	KTAP_EXPECT_PTR_EQ(t, kslab_cmpxchg(&ptr, &x, &y), &x);
	KTAP_EXPECT_PTR_EQ(t, ptr, &y);
	KTAP_EXPECT_PTR_EQ(t, kslab_cmpxchg(&ptr, &x, NULL), &y);
	KTAP_EXPECT_PTR_EQ(t, ptr, &y);
	KTAP_EXPECT_EQ(t, kslab_cmpxchg(&word, 3u, 0xffffffffu), 3);
	KTAP_EXPECT_EQ(t, word, 0xffffffffu);
	KTAP_EXPECT_EQ(t, kslab_cmpxchg(&word, 3u, 5u), 0xffffffffu);
	KTAP_EXPECT_EQ(t, word, 0xffffffffu);
}

#define ATOMIC_ITERS	20000

struct atomic_ctx {
	struct kslab_atomic ticket;	/* add_return hands out tickets */
	struct kslab_atomic cas;	/* incremented by cmpxchg loops */
	struct kslab_atomic sum;	/* plain adds */
	unsigned char *seen;		/* how often each ticket came out */
};

static void *atomic_worker(void *arg)
{
	struct stress *s = arg;
	struct atomic_ctx *ctx = s->ctx;
	unsigned long i;

	stress_wait_start(s);
	for (i = 0; i < s->iterations; i++) {
		long ticket = kslab_atomic_add_return(&ctx->ticket, 1);
		long old = kslab_atomic_read(&ctx->cas), found;

		__atomic_add_fetch(&ctx->seen[ticket - 1], 1, __ATOMIC_RELAXED);
		while ((found = kslab_atomic_cmpxchg(&ctx->cas, old, old + 1)) != old)
			old = found;
		kslab_atomic_add(&ctx->sum, 3);
		kslab_atomic_add(&ctx->sum, -1);
	}
	return NULL;
}

static void test_atomic_concurrent(struct ktap_test *t)
{
	struct atomic_ctx ctx = { 0 };
	struct stress s = { .iterations = ATOMIC_ITERS, .ctx = &ctx };
	unsigned long total = STRESS_THREADS * ATOMIC_ITERS, i, not_once = 0;

	ctx.seen = calloc(total, 1);
	KTAP_ASSERT(t, ctx.seen != NULL);
	KTAP_ASSERT(t, run_threads(STRESS_THREADS, atomic_worker, &s));
	/* Every ticket went to exactly one thread. */
	for (i = 0; i < total; i++)
		not_once += ctx.seen[i] != 1;
	KTAP_EXPECT_EQ(t, not_once, 0);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctx.ticket), total);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctx.cas), total);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctx.sum), 2 * total);
	free(ctx.seen);
}

#define PUBLISH_MESSAGES	20000

/*
 * Message passing: a consumer that sees a pointer published with
 * kslab_store_release() must see the fields written before it. The
 * producer fills a row of mailboxes as fast as it can, the consumer
 * follows, so the two race on every message without waiting for each other.
 */
struct publish_ctx {
	struct message {
		unsigned long a, b;
	} slots[PUBLISH_MESSAGES];
	struct message *mailbox[PUBLISH_MESSAGES];
	unsigned long torn;
	unsigned int next_role;
};

static void publish_produce(struct publish_ctx *ctx)
{
	unsigned long i;

	for (i = 0; i < PUBLISH_MESSAGES; i++) {
		struct message *m = &ctx->slots[i];

		m->a = i;
		m->b = ~i;
		kslab_store_release(&ctx->mailbox[i], m);
	}
}

static void publish_consume(struct publish_ctx *ctx)
{
	unsigned long i;

	for (i = 0; i < PUBLISH_MESSAGES; i++) {
		unsigned int spins = 0;
		struct message *m;

		while (!(m = kslab_load_acquire(&ctx->mailbox[i])))
			if (++spins % 1024 == 0)
				sched_yield();
		if (m->a != i || m->b != ~i)
			ctx->torn++;
	}
}

static void *publish_worker(void *arg)
{
	struct stress *s = arg;
	struct publish_ctx *ctx = s->ctx;
	bool producer = __atomic_fetch_add(&ctx->next_role, 1, __ATOMIC_RELAXED);

	stress_wait_start(s);
	if (producer)
		publish_produce(ctx);
	else
		publish_consume(ctx);
	return NULL;
}

static void test_acquire_release(struct ktap_test *t)
{
	struct publish_ctx *ctx = calloc(1, sizeof(*ctx));
	struct stress s = { .ctx = ctx };

	KTAP_ASSERT(t, ctx != NULL);
	KTAP_EXPECT(t, run_threads(2, publish_worker, &s));
	KTAP_EXPECT_EQ(t, ctx->torn, 0);
	free(ctx);
}

/*
 * Peterson's lock, which is only correct if each thread's stores are
 * visible before its following loads: exactly what kslab_smp_mb() must
 * ensure and what x86's store buffer breaks without it. Two threads hammer
 * a non-atomic counter through it; any lost update is a missing barrier.
 */
struct peterson {
	int flag[2];
	int turn;
	unsigned long counter;
	unsigned int next_role;
};

#define PETERSON_ITERS	400000

static void peterson_lock(struct peterson *p, int me)
{
	unsigned int spins = 0;

	KSLAB_WRITE_ONCE(p->flag[me], 1);
	KSLAB_WRITE_ONCE(p->turn, !me);
	kslab_smp_mb();
	while (KSLAB_READ_ONCE(p->flag[!me]) && KSLAB_READ_ONCE(p->turn) == !me)
		if (++spins % 1024 == 0)
			sched_yield();
}

static void *peterson_worker(void *arg)
{
	struct stress *s = arg;
	struct peterson *p = s->ctx;
	int me = (int)__atomic_fetch_add(&p->next_role, 1, __ATOMIC_RELAXED);
	unsigned long i;

	stress_wait_start(s);
	for (i = 0; i < PETERSON_ITERS; i++) {
		peterson_lock(p, me);
		KSLAB_WRITE_ONCE(p->counter, KSLAB_READ_ONCE(p->counter) + 1);
		kslab_store_release(&p->flag[me], 0);
	}
	return NULL;
}

static void test_smp_mb(struct ktap_test *t)
{
	struct peterson p = { 0 };
	struct stress s = { .ctx = &p };

	KTAP_EXPECT(t, run_threads(2, peterson_worker, &s));
	KTAP_EXPECT_EQ(t, p.counter, 2 * PETERSON_ITERS);
}

static const struct ktap_case sync_cases[] = {
	{ "spinlock", test_spinlock },
	{ "mutex", test_mutex },
	{ "atomic_values", test_atomic_values },
	{ "cmpxchg_words", test_cmpxchg_words },
	{ "atomic_concurrent", test_atomic_concurrent },
	{ "acquire_release", test_acquire_release },
	{ "smp_mb", test_smp_mb },
};

const struct ktap_suite port_sync_suite = KTAP_SUITE("port-sync", sync_cases);
