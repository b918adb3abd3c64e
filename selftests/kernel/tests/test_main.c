// SPDX-License-Identifier: GPL-2.0
/*
 * kslab_test: the portable selftest suites, the same sources as the
 * userspace test programs, run inside the kernel on load. ktap.c prints
 * KTAP ("KTAP version 1") to the kernel log; this file is their main()
 * and the kernel's side of the environment hooks the slab tests need.
 *
 * The suites run on node 0's CPUs: what they say of "the default zone"
 * is of node 0's, where on a machine of several NUMA nodes the calling
 * CPU's node's zone serves (kslab_client tests the placement itself).
 *
 * Left out: the userspace-only suites (threads through pthreads, RSS,
 * fork, LD_PRELOAD, the KSLAB_FAIL variable), which have kernel
 * counterparts in kslab_client and scripts/check-kernel.sh.
 */
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/topology.h>

#include "../../buddy/buddy_tests.h"
#include "../../fault/fault_tests.h"
#include "../../kmalloc/kmalloc_tests.h"
#include "../../port/port_each_cpu.h"
#include "../../profile/profile_tests.h"
#include "../../rcu/rcu_tests.h"
#include "../../region/region_tests.h"
#include "../../slab/slab_tests.h"

/*
 * Magazine counters are per CPU: keep this thread on its CPU while a test
 * predicts them. It may still sleep, so no preempt_disable().
 */
bool test_cpu_pin(struct ktap_test *t, unsigned int *cpu)
{
	(void)t;
	migrate_disable();
	*cpu = raw_smp_processor_id();
	return true;
}

void test_cpu_unpin(void)
{
	migrate_enable();
}

static int __init kslab_test_init(void)
{
	const struct ktap_suite suites[] = {
		buddy_split_suite, buddy_limits_suite, buddy_model_suite,
		buddy_bad_free_suite, buddy_checker_suite, buddy_populate_suite,
		slab_create_suite, slab_layout_suite, slab_ctor_suite,
		slab_bad_free_suite, slab_magazine_suite, slab_reclaim_suite,
		slab_stats_suite, slab_words_suite, slab_sheaf_suite,
		kmalloc_suite,
		fault_api_suite, fault_scenarios_suite, rcu_api_suite,
		region_suite, profile_api_suite, port_each_cpu_suite,
	};

	cpumask_var_t saved;

	if (!alloc_cpumask_var(&saved, GFP_KERNEL))
		return -ENOMEM;
	cpumask_copy(saved, current->cpus_ptr);
	set_cpus_allowed_ptr(current, cpumask_of_node(0));
	ktap_run(suites, ARRAY_SIZE(suites));
	set_cpus_allowed_ptr(current, saved);
	free_cpumask_var(saved);
	return 0;
}
module_init(kslab_test_init);

static void __exit kslab_test_exit(void)
{
}
module_exit(kslab_test_exit);

MODULE_IMPORT_NS(KSLAB_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kslab_test: kslab's portable selftests, run in the kernel");
