// SPDX-License-Identifier: GPL-2.0
/*
 * kslab_each_cpu_exclusive() calls its function once for every CPU id,
 * one call at a time (suite port_each_cpu). mm/'s walks add into their
 * argument from each call without a lock (the statistics sum each CPU's
 * counters, the RCU flush gathers each CPU's partial batch), so two calls
 * at once would lose updates. Each call here stays a while and notes
 * whether another call was inside meanwhile. Portable: it also runs in
 * the kernel test module, where the calls are IPIs to the online CPUs.
 */
#include "port_each_cpu.h"

/* Iterations each call spins: long enough that calls at once overlap. */
#define EACH_CPU_SPIN	200000UL

struct each_cpu_walk {
	struct kslab_atomic inside;
	struct kslab_atomic overlaps;
	unsigned long calls;		/* plain adds, as mm/'s walks make */
	unsigned long out_of_order;	/* an id not above the one before */
	long last_cpu;
};

static void each_cpu_visit(unsigned int cpu, void *arg)
{
	struct each_cpu_walk *walk = arg;
	volatile unsigned long spin;

	if (kslab_atomic_add_return(&walk->inside, 1) != 1)
		kslab_atomic_add(&walk->overlaps, 1);
	for (spin = 0; spin < EACH_CPU_SPIN; spin++)
		;
	walk->calls++;
	walk->out_of_order += (long)cpu <= walk->last_cpu ||
			      cpu >= kslab_nr_cpus();
	walk->last_cpu = cpu;
	kslab_atomic_add(&walk->inside, -1);
}

static void test_each_cpu_one_at_a_time(struct ktap_test *t)
{
	struct each_cpu_walk walk = {
		.inside = KSLAB_ATOMIC_INIT(0),
		.overlaps = KSLAB_ATOMIC_INIT(0),
		.last_cpu = -1,
	};

	kslab_each_cpu_exclusive(each_cpu_visit, &walk);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&walk.overlaps), 0);
	/*
	 * Each id at most once, below the bound: every id in userspace, the
	 * possible CPUs in the kernel, whose ids may have holes.
	 */
	KTAP_EXPECT_EQ(t, walk.out_of_order, 0);
	KTAP_EXPECT(t, walk.calls >= 1 && walk.calls <= kslab_nr_cpus());
}

static const struct ktap_case port_each_cpu_cases[] = {
	{ "each_cpu_one_at_a_time", test_each_cpu_one_at_a_time },
};

const struct ktap_suite port_each_cpu_suite =
	KTAP_SUITE("port_each_cpu", port_each_cpu_cases);
