// SPDX-License-Identifier: GPL-2.0
/*
 * Frees deferred past an RCU grace period: kslab_kfree_rcu() and
 * kslab_cache_free_rcu() (Documentation/rcu.rst).
 *
 * Each CPU fills a batch of pointers; a full batch takes one call_rcu for
 * all of its objects, and its callback frees them with kslab_kfree(),
 * which finds any object's cache from its address. A partial batch goes
 * when kslab_rcu_flush() says so: on reap, on destroy and on shutdown, so
 * no object waits for ever.
 *
 * Owns the per-CPU batch pointers and the count of objects queued. A
 * batch is 512 bytes from the internal cache of that size. Lock order:
 * a CPU's section only, never held across an allocation or call_rcu.
 */
#include <kslab/kmalloc.h>

#include "slab.h"

#define RCU_BATCH_BYTES		512

struct kslab_rcu_batch {
	struct kslab_rcu_head rcu;
	struct kslab_rcu_batch *next;	/* on a flush's list */
	unsigned int nr;
	void *objs[];
};

#define RCU_BATCH_OBJS	((RCU_BATCH_BYTES - sizeof(struct kslab_rcu_batch)) / \
			 sizeof(void *))

/* Per CPU: the batch being filled, or NULL. */
static struct kslab_rcu_batch **rcu_batches;
/* Objects queued and not yet freed, for destroy and shutdown to wait on. */
static struct kslab_atomic rcu_queued;
/* Objects and batches ever queued, for kslab_rcu_stats(). */
static struct kslab_atomic rcu_objects_total;
static struct kslab_atomic rcu_batches_total;

/**
 * kslab_rcu_init() - the per-CPU batch pointers
 *
 * With the internal caches, before any object can be freed.
 * Return: 0, or -1 without memory.
 */
int kslab_rcu_init(void)
{
	if (!rcu_batches)
		rcu_batches = kslab_percpu_alloc(sizeof(*rcu_batches));
	return rcu_batches ? 0 : -1;
}

/**
 * kslab_rcu_exit() - give the per-CPU batch pointers back, at shutdown
 *
 * After kslab_rcu_wait_frees(), with nothing allocating any more.
 */
void kslab_rcu_exit(void)
{
	kslab_percpu_free(rcu_batches);
	rcu_batches = NULL;
}

static void batch_free_rcu(struct kslab_rcu_head *head)
{
	struct kslab_rcu_batch *batch = kslab_container_of(head,
							   struct kslab_rcu_batch,
							   rcu);
	unsigned int i, nr = batch->nr;

	for (i = 0; i < nr; i++)
		kslab_kfree(batch->objs[i]);
	kslab_cache_free(kslab_header_cache(RCU_BATCH_BYTES), batch);
	kslab_atomic_add(&rcu_queued, -(long)nr);
}

static void batch_queue(struct kslab_rcu_batch *batch)
{
	kslab_atomic_add(&rcu_batches_total, 1);
	kslab_call_rcu(&batch->rcu, batch_free_rcu);
}

/*
 * Put @obj in this CPU's batch. Return: the batch if @obj filled it (the
 * caller queues it), else NULL; *@placed says whether @obj found room.
 */
static struct kslab_rcu_batch *batch_add(const void *obj,
					 struct kslab_rcu_batch **spare,
					 bool *placed)
{
	unsigned int cpu = kslab_cpu_enter();
	struct kslab_rcu_batch **slot = kslab_percpu_ptr(rcu_batches, cpu);
	struct kslab_rcu_batch *full = NULL, *batch = *slot;

	if (!batch && *spare) {
		batch = *spare;
		*spare = NULL;
		batch->nr = 0;
		*slot = batch;
	}
	*placed = batch != NULL;
	if (batch) {
		batch->objs[batch->nr++] = (void *)obj;
		if (batch->nr == RCU_BATCH_OBJS) {
			full = batch;
			*slot = NULL;
		}
	}
	kslab_cpu_exit(cpu);
	return full;
}

/* Free @obj, any cache's object, once every reader now running is done. */
static void free_rcu(const void *obj)
{
	struct kslab_cache *header = kslab_header_cache(RCU_BATCH_BYTES);
	struct kslab_rcu_batch *spare = NULL, *full;
	bool placed;

	/* The batch is queued, maybe under a lock of mm/'s: RCU made ready. */
	kslab_rcu_prepare();
	kslab_atomic_add(&rcu_queued, 1);
	kslab_atomic_add(&rcu_objects_total, 1);
	full = batch_add(obj, &spare, &placed);
	if (!placed) {
		/* A new batch is made outside the section: it may allocate. */
		spare = kslab_cache_alloc(header, GFP_ATOMIC);
		full = spare ? batch_add(obj, &spare, &placed) : NULL;
	}
	if (spare)	/* another thread on this CPU made one meanwhile */
		kslab_cache_free(header, spare);
	if (full)
		batch_queue(full);
	if (!placed) {
		/* No memory for a batch: wait for the grace period here. */
		kslab_synchronize_rcu();
		kslab_kfree(obj);
		kslab_atomic_add(&rcu_queued, -1);
	}
}

/**
 * kslab_kfree_rcu() - kslab_kfree() once an RCU grace period has passed
 * @p: anything kslab_kfree() takes; NULL and KSLAB_ZERO_SIZE_PTR do nothing
 *
 * Readers inside kslab_rcu_read_lock() when this is called may go on
 * using @p. Batched per CPU: one grace period's callback frees a batch of
 * 60. Context: process context, outside read-side sections, as the
 * kernel's kvfree_rcu_mightsleep(): a batch is taken with GFP_ATOMIC, and
 * should none be had, the call waits for the grace period itself.
 */
void kslab_kfree_rcu(const void *p)
{
	if (KSLAB_ZERO_OR_NULL_PTR(p))
		return;
	free_rcu(p);
}

/**
 * kslab_cache_free_rcu() - kslab_cache_free() after an RCU grace period
 * @cache: the cache @obj belongs to
 * @obj:   the object; checked now, as kslab_cache_free() checks it
 *
 * As kslab_kfree_rcu(). A bad pointer is reported now and not queued.
 */
void kslab_cache_free_rcu(struct kslab_cache *cache, void *obj)
{
	if (kslab_unlikely(!kslab_obj_valid(cache, obj))) {
		kslab_cache_free(cache, obj);	/* which reports it */
		return;
	}
	free_rcu(obj);
}

static void take_partial(unsigned int cpu, void *arg)
{
	struct kslab_rcu_batch **list = arg;
	struct kslab_rcu_batch **slot = kslab_percpu_ptr(rcu_batches, cpu);

	if (*slot) {
		(*slot)->next = *list;
		*list = *slot;
		*slot = NULL;
	}
}

/**
 * kslab_rcu_flush() - queue every CPU's partial batch for its grace period
 *
 * Afterwards kslab_rcu_barrier() waits until every object given to
 * kslab_kfree_rcu() before the flush is free. Process context.
 * Return: whether any object was waiting.
 */
bool kslab_rcu_flush(void)
{
	struct kslab_rcu_batch *list = NULL, *next;

	if (!rcu_batches || !kslab_atomic_read(&rcu_queued))
		return false;
	kslab_each_cpu_exclusive(take_partial, &list);
	for (; list; list = next) {
		next = list->next;
		batch_queue(list);
	}
	return true;
}

/**
 * kslab_rcu_stats() - how many frees were deferred, and in how many batches
 * @stats: filled in
 */
void kslab_rcu_stats(struct kslab_rcu_stats *stats)
{
	stats->queued = (unsigned long)kslab_atomic_read(&rcu_objects_total);
	stats->pending = (unsigned long)kslab_atomic_read(&rcu_queued);
	stats->batches = (unsigned long)kslab_atomic_read(&rcu_batches_total);
}

/**
 * kslab_rcu_wait_frees() - wait until every deferred free is done
 *
 * For destroy and shutdown. Process context, no read-side section held.
 */
void kslab_rcu_wait_frees(void)
{
	if (kslab_rcu_flush())
		kslab_rcu_barrier();
}

_Static_assert(RCU_BATCH_OBJS >= 32, "an RCU batch must be worth its grace period");
