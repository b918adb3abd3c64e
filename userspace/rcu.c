// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: RCU deferral through liburcu's memb flavour.
 *
 * memb needs no signals and keeps readers to a few instructions: the
 * writer side fences readers with membarrier(2). liburcu wants a thread
 * registered while it reads or queues callbacks (call_rcu takes a read
 * lock to find its queue), and registering a thread twice is an error it
 * stops the program for. Programs that use liburcu register their own
 * threads, before or after kslab first runs on them, so kslab never keeps
 * a thread registered: it uses a thread as it finds it, and one nobody
 * registered it registers only for the duration of its own use, a
 * read-side section (outermost lock to outermost unlock) or one
 * call_rcu. Queuing costs that on kslab's internal paths once a batch
 * of deferred frees (mm/rcu_free.c); a thread that reads often should be
 * registered by its program, as liburcu asks.
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
#include <urcu/static/urcu-memb.h>	/* the registration flag */

#include "../mm/port.h"

_Static_assert(sizeof(struct rcu_head) <= sizeof(((struct kslab_rcu_head *)0)->urcu_head),
	       "kslab_rcu_head must hold liburcu's rcu_head");

/* What ThreadSanitizer's read-side releases and grace periods meet on. */
static int rcu_readers_done;
/* ... and callbacks that ran, and kslab_rcu_barrier(), which waits for them. */
static int rcu_callbacks_done;

/* Read-side sections open on a thread kslab registered for them. */
static __thread unsigned int rcu_borrowed_depth;

/*
 * Register this thread for kslab's own use if nobody has. Return: whether
 * kslab did, and so must unregister it when done.
 */
static bool rcu_borrow_thread(void)
{
	if (URCU_TLS(urcu_memb_reader).registered)
		return false;
	urcu_memb_register_thread();
	return true;
}

void kslab_rcu_read_lock(void)
{
	if (rcu_borrowed_depth)
		rcu_borrowed_depth++;
	else if (rcu_borrow_thread())
		rcu_borrowed_depth = 1;
	urcu_memb_read_lock();
}

void kslab_rcu_read_unlock(void)
{
	kslab_tsan_release(&rcu_readers_done);
	urcu_memb_read_unlock();
	if (rcu_borrowed_depth && !--rcu_borrowed_depth)
		urcu_memb_unregister_thread();
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
	bool borrowed = rcu_borrow_thread();

	head->fn = fn;
	kslab_tsan_release(head);
	urcu_memb_call_rcu((struct rcu_head *)head->urcu_head, rcu_trampoline);
	if (borrowed)
		urcu_memb_unregister_thread();
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
