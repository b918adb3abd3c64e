// SPDX-License-Identifier: GPL-2.0
/*
 * The multi-thread stress driver of stress.h: the threads, their random
 * mix of operations, the exchange they hand items through, and the
 * summing and checking of what they counted. Userspace only (pthreads).
 */
#include <pthread.h>
#include <sched.h>

#include "stress.h"

/* Out of ten operations: allocate below 5, hand over below 7, else free. */
#define STRESS_ALLOC_BELOW	5
#define STRESS_EXCHANGE_BELOW	7

struct stress_shared {
	const struct stress_config *cfg;
	bool go;		/* every thread is created: start */
	pthread_mutex_t lock;	/* slot[] */
	struct stress_item slot[STRESS_SLOTS];
};

/* Free an item this thread holds, whoever allocated it. */
static void stress_release(struct stress_thread *th,
			   const struct stress_item *item)
{
	if (!th->sh->cfg->ops->release(th, item))
		th->counts.corrupt++;
	if (item->owner != th->id)
		th->counts.cross_frees++;
}

static void stress_alloc(struct stress_thread *th)
{
	struct stress_item *item = &th->live[th->nr_live];

	*item = (struct stress_item){
		.tag = (th->seq + 1) * STRESS_MAX_THREADS + th->id,
		.owner = th->id,
	};
	if (!th->sh->cfg->ops->alloc(th, item))
		th->counts.corrupt++;
	if (!item->addr) {
		th->counts.failures++;
		return;
	}
	th->nr_live++;
	th->seq++;
	th->counts.allocs++;
}

/* Take live[i] out of this thread's hands, keeping live[] dense. */
static struct stress_item stress_take(struct stress_thread *th, unsigned int i)
{
	struct stress_item item = th->live[i];

	th->live[i] = th->live[--th->nr_live];
	return item;
}

/* Put live[i] in a random slot; free what was there, from any thread. */
static void stress_exchange(struct stress_thread *th, unsigned int i)
{
	struct stress_shared *sh = th->sh;
	unsigned int s = ktap_rng_below(&th->rng, STRESS_SLOTS);
	struct stress_item mine = stress_take(th, i), theirs;

	pthread_mutex_lock(&sh->lock);
	theirs = sh->slot[s];
	sh->slot[s] = mine;
	pthread_mutex_unlock(&sh->lock);
	if (theirs.addr)
		stress_release(th, &theirs);
}

static void *stress_thread_fn(void *arg)
{
	struct stress_thread *th = arg;
	const struct stress_config *cfg = th->sh->cfg;
	unsigned long op;

	/* Start together, or early threads finish before late ones begin. */
	while (!__atomic_load_n(&th->sh->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (op = 0; op < cfg->nr_ops; op++) {
		unsigned long r = ktap_rng_below(&th->rng, 10);
		struct stress_item item;
		unsigned int i;

		/*
		 * A thread's whole run may fit in one time slice; yielding
		 * now and then makes the threads interleave, so they really
		 * free each other's items while the others allocate.
		 */
		if (op % cfg->yield_every == 0)
			sched_yield();
		if (!th->nr_live ||
		    (r < STRESS_ALLOC_BELOW && th->nr_live < STRESS_LOCAL)) {
			stress_alloc(th);
			continue;
		}
		i = ktap_rng_below(&th->rng, th->nr_live);
		if (r < STRESS_EXCHANGE_BELOW) {
			stress_exchange(th, i);
		} else {
			item = stress_take(th, i);
			stress_release(th, &item);
		}
	}
	while (th->nr_live)
		stress_release(th, &th->live[--th->nr_live]);
	return NULL;
}

/* Sum the counts of th[0] to th[n], where th[n] is the drain of the slots. */
static struct stress_counts stress_sum(const struct stress_thread *th,
				       unsigned int n)
{
	struct stress_counts sum = th[n].counts;
	unsigned int i;

	/*
	 * The drain frees what every thread left behind, so its cross
	 * frees would pass the check even if no thread ever took an item
	 * from another: count only the threads' own.
	 */
	sum.cross_frees = 0;
	for (i = 0; i < n; i++) {
		sum.allocs += th[i].counts.allocs;
		sum.failures += th[i].counts.failures;
		sum.cross_frees += th[i].counts.cross_frees;
		sum.corrupt += th[i].counts.corrupt;
	}
	return sum;
}

struct stress_counts stress_run(struct ktap_test *t,
				const struct stress_config *cfg)
{
	struct stress_shared sh = {
		.cfg = cfg,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	/* th[n] is no thread: it frees what the others left in the slots. */
	struct stress_thread th[STRESS_MAX_THREADS + 1] = { 0 };
	pthread_t tid[STRESS_MAX_THREADS];
	unsigned int n = cfg->nr_threads, i, started = 0;
	struct stress_counts sum = { 0 };

	if (!KTAP_EXPECT(t, n >= 1 && n <= STRESS_MAX_THREADS))
		return sum;
	for (i = 0; i <= n; i++) {
		th[i].id = i;
		th[i].ctx = cfg->ctx;
		th[i].sh = &sh;
		ktap_rng_seed(&th[i].rng, cfg->seed * (n + 1) + i);
	}
	for (i = 0; i < n; i++)
		if (KTAP_EXPECT(t, !pthread_create(&tid[started], NULL,
						   stress_thread_fn, &th[i])))
			started++;
	__atomic_store_n(&sh.go, true, __ATOMIC_RELEASE);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < STRESS_SLOTS; i++)
		if (sh.slot[i].addr)
			stress_release(&th[n], &sh.slot[i]);

	sum = stress_sum(th, n);
	ktap_diag("%u threads: %lu allocations, %lu cross-thread frees",
		  n, sum.allocs, sum.cross_frees);
	KTAP_EXPECT_EQ(t, sum.corrupt, 0);
	KTAP_EXPECT(t, sum.allocs > n * cfg->nr_ops / 4);
	KTAP_EXPECT(t, sum.cross_frees > 0);
	return sum;
}
