// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel code whose RCU is liburcu, as in the kernel's own userspace test
 * harnesses (suite compat_urcu): its objects embed liburcu's struct
 * rcu_head, its threads register with liburcu themselves, and it frees
 * with kfree_rcu(ptr, field) from <linux/slab.h> and with liburcu's
 * call_rcu() side by side. Registering a thread twice makes liburcu stop
 * the program, so each order of registration and kslab use runs in a
 * fresh process (forked, it would lack liburcu's worker thread).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <urcu/urcu-memb.h>

#include <linux/slab.h>

#include "../process.h"
#include "compat_tests.h"

/* Enough deferred frees to queue several of kslab's batches. */
#define DEFERRED_FREES	5000

struct entry {
	unsigned long key;
	struct rcu_head rcu;	/* liburcu's */
};

static unsigned long urcu_freed;

/*
 * liburcu's worker thread runs this after the call_rcu() that queued it;
 * liburcu is not built for ThreadSanitizer, so that order is stated to it
 * here too: the key is stored with release before the call_rcu() and
 * loaded with acquire before the free.
 */
static void entry_free_cb(struct rcu_head *head)
{
	struct entry *e = caa_container_of(head, struct entry, rcu);

	(void)__atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
	kfree(e);
	__atomic_fetch_add(&urcu_freed, 1, __ATOMIC_RELAXED);
}

static void free_both_ways(void)
{
	unsigned int i;

	for (i = 0; i < DEFERRED_FREES; i++) {
		struct entry *e = kmalloc(sizeof(*e), GFP_KERNEL);

		if (!e)
			continue;
		__atomic_store_n(&e->key, i, __ATOMIC_RELEASE);
		if (i % 8)
			kfree_rcu(e, rcu);
		else
			urcu_memb_call_rcu(&e->rcu, entry_free_cb);
	}
}

/*
 * A kernel-style thread: it registers with liburcu before kslab's first
 * deferred free on it (@register_first) or after, then frees both ways.
 */
static void *kernel_style_thread(void *register_first)
{
	if (register_first)
		urcu_memb_register_thread();
	kvfree_rcu(kvmalloc(100, GFP_KERNEL));
	if (!register_first)
		urcu_memb_register_thread();
	urcu_memb_read_lock();
	kfree_rcu(kmalloc(48, GFP_KERNEL));
	urcu_memb_read_unlock();
	free_both_ways();
	urcu_memb_unregister_thread();
	return NULL;
}

int compat_urcu_child(void)
{
	static int yes;
	void *const orders[] = { &yes, NULL };
	unsigned int i;
	pthread_t th;

	for (i = 0; i < KSLAB_ARRAY_SIZE(orders); i++) {
		if (pthread_create(&th, NULL, kernel_style_thread, orders[i]))
			return 1;
		pthread_join(th, NULL);
	}
	urcu_memb_barrier();
	kslab_rcu_barrier();
	printf("liburcu freed %lu\n", __atomic_load_n(&urcu_freed, __ATOMIC_RELAXED));
	return 0;
}

static void test_registered_threads_free(struct ktap_test *t)
{
	unsigned long freed = 0;
	struct capture c;
	const char *line;

	KTAP_ASSERT(t, capture_self(&c, COMPAT_URCU_ARG, environ));
	line = strstr(c.out, "liburcu freed ");
	if (line)
		freed = strtoul(line + strlen("liburcu freed "), NULL, 10);
	ktap_check(t, WIFEXITED(c.status) && !WEXITSTATUS(c.status) &&
		      freed == 2 * DEFERRED_FREES / 8, __FILE__, __LINE__,
		   "status %d, out \"%s\", err \"%.200s\"", c.status,
		   c.out, c.err);
}

static const struct ktap_case compat_urcu_cases[] = {
	{ "registered_threads_free", test_registered_threads_free },
};

const struct ktap_suite compat_urcu_suite =
	KTAP_SUITE("compat_urcu", compat_urcu_cases);
