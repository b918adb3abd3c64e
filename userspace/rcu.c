// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: RCU deferral through liburcu's memb flavour.
 *
 * memb needs no signals and keeps readers to a few instructions: the
 * writer side fences readers with membarrier(2). liburcu wants every
 * thread that reads or queues callbacks registered (call_rcu takes a read
 * lock to find its per-CPU queue), so kslab_rcu_read_lock() and
 * kslab_call_rcu() register a thread on its first use and a thread-exit
 * destructor undoes it. Users never call liburcu's registration themselves.
 *
 * liburcu is not built for ThreadSanitizer, which therefore sees none of
 * the orderings RCU promises; the kslab_tsan_* calls state them (they are
 * nothing in other builds): kslab_call_rcu() happens before its callback,
 * and every read-side section that ended happens before a grace period
 * that ends later, so before kslab_synchronize_rcu() returns and before
 * the callbacks it lets run; and every callback that ran happens before
 * kslab_rcu_barrier() returns. Claiming every section that ended, not only
 * those that began before the grace period, is more order than RCU gives;
 * it can hide a race, never invent one.
 */
#include <urcu/urcu-memb.h>

#include "../mm/port.h"

_Static_assert(sizeof(struct rcu_head) <= sizeof(((struct kslab_rcu_head *)0)->urcu_head),
	       "kslab_rcu_head must hold liburcu's rcu_head");

/* What ThreadSanitizer's read-side releases and grace periods meet on. */
static int rcu_readers_done;
/* ... and callbacks that ran, and kslab_rcu_barrier(), which waits for them. */
static int rcu_callbacks_done;

static pthread_key_t rcu_exit_key;
static pthread_once_t rcu_exit_once = PTHREAD_ONCE_INIT;
static __thread bool rcu_registered;

static void rcu_thread_exit(void *unused)
{
	(void)unused;
	urcu_memb_unregister_thread();
	rcu_registered = false;
}

static void rcu_exit_key_create(void)
{
	pthread_key_create(&rcu_exit_key, rcu_thread_exit);
}

static void rcu_register_self(void)
{
	pthread_once(&rcu_exit_once, rcu_exit_key_create);
	urcu_memb_register_thread();
	/* Any non-NULL value makes the destructor run at thread exit. */
	pthread_setspecific(rcu_exit_key, &rcu_registered);
	rcu_registered = true;
}

static inline void rcu_ensure_registered(void)
{
	if (kslab_unlikely(!rcu_registered))
		rcu_register_self();
}

void kslab_rcu_read_lock(void)
{
	rcu_ensure_registered();
	urcu_memb_read_lock();
}

void kslab_rcu_read_unlock(void)
{
	kslab_tsan_release(&rcu_readers_done);
	urcu_memb_read_unlock();
}

static void rcu_trampoline(struct rcu_head *urcu_head)
{
	struct kslab_rcu_head *head = (struct kslab_rcu_head *)urcu_head;

	kslab_tsan_acquire(head);
	kslab_tsan_acquire(&rcu_readers_done);
	head->fn(head);
	kslab_tsan_release(&rcu_callbacks_done);
}

void kslab_call_rcu(struct kslab_rcu_head *head, kslab_rcu_fn fn)
{
	rcu_ensure_registered();
	head->fn = fn;
	kslab_tsan_release(head);
	urcu_memb_call_rcu((struct rcu_head *)head->urcu_head, rcu_trampoline);
}

void kslab_rcu_barrier(void)
{
	urcu_memb_barrier();
	kslab_tsan_acquire(&rcu_callbacks_done);
}

void kslab_synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
	kslab_tsan_acquire(&rcu_readers_done);
}
