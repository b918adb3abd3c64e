/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace only: the RCU that kslab's deferred frees wait for, over
 * liburcu's memb flavour, for programs whose readers must see objects
 * freed with kslab_kfree_rcu() or cached with KSLAB_TYPESAFE_BY_RCU stay
 * valid (Documentation/rcu.rst). A kernel module uses the kernel's RCU.
 */
#ifndef KSLAB_RCU_H
#define KSLAB_RCU_H

#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/**
 * struct kslab_rcu_head - a callback waiting for a grace period
 * @urcu_head: liburcu's own head (two pointers), first
 * @fn:        what kslab_call_rcu() was given
 *
 * Embed it in the object the callback frees.
 */
struct kslab_rcu_head {
	void *urcu_head[2];
	void (*fn)(struct kslab_rcu_head *head);
};

/**
 * kslab_rcu_read_lock() - enter a read-side critical section
 *
 * Sections nest. A thread the program registered with liburcu is used as
 * it is; one nobody registered is registered until the outermost section
 * ends (Documentation/rcu.rst), so the program may register its threads
 * itself, before or after.
 */
KSLAB_USER_API
void kslab_rcu_read_lock(void);

/**
 * kslab_rcu_read_unlock() - leave a read-side critical section
 */
KSLAB_USER_API
void kslab_rcu_read_unlock(void);

/**
 * kslab_call_rcu() - call @fn(@head) once a grace period has passed
 * @head: embedded in the object concerned
 * @fn:   the callback; it runs on liburcu's callback thread
 */
KSLAB_USER_API
void kslab_call_rcu(struct kslab_rcu_head *head,
				   void (*fn)(struct kslab_rcu_head *head));

/**
 * kslab_rcu_barrier() - wait until every callback queued so far has run
 */
KSLAB_USER_API
void kslab_rcu_barrier(void);

/**
 * kslab_synchronize_rcu() - wait for a grace period
 *
 * Every read-side section begun before the call has ended on return.
 */
KSLAB_USER_API
void kslab_synchronize_rcu(void);

KSLAB_END_DECLS

#endif /* KSLAB_RCU_H */
