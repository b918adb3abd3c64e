// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the userspace side of the port contract (mm/port.h,
 * userspace/port.h, userspace/): CPU ids and their sched_getcpu()
 * fallback, exclusive per-CPU sections, per-CPU storage, locks, atomics, the
 * page source, metadata memory, transparent huge pages, line output,
 * reports, assertions and RCU, and the each-CPU walk (port_each_cpu.c,
 * which the kernel test module runs too).
 * One file a suite; this one holds main(), the fixtures they share are in
 * port_fixtures.c.
 *
 * mm/ trusts these items blindly, so each test tries to catch the item
 * breaking its promise under stress: lost updates behind a lock, overlapping
 * per-CPU copies, memory still mapped after it was given back, a callback
 * run while a reader could still see its object.
 */
#include <string.h>

#include "port_tests.h"

int main(int argc, char **argv)
{
	/* RCU last: no liburcu helper thread may exist yet when we fork. */
	const struct ktap_suite suites[] = {
		port_cpu_suite, port_sync_suite, port_memory_suite,
		port_report_suite, port_thp_suite, port_numa_suite,
		port_rcu_suite, port_each_cpu_suite,
	};

	if (argc > 1 && !strcmp(argv[1], CPU_PROBE_ARG))
		return cpu_probe_main();
	if (argc > 1 && !strcmp(argv[1], MODE_PROBE_ARG))
		return mode_probe_main(false);
	if (argc > 1 && !strcmp(argv[1], MODE_THREADS_PROBE_ARG))
		return mode_probe_main(true);
	if (argc > 1 && !strcmp(argv[1], THP_PROBE_ARG))
		return thp_probe_main();
	if (argc > 1 && !strcmp(argv[1], NUMA_PROBE_ARG))
		return numa_probe_main();
	if (argc > 1 && !strcmp(argv[1], NUMA_REFUSED_ARG))
		return numa_refused_main();
	if (argc > 1 && !strcmp(argv[1], RCU_LOAD_PROBE_ARG))
		return rcu_load_probe_main();
	if (argc > 1 && !strcmp(argv[1], PERCPU_FAULT_PROBE_ARG))
		return percpu_fault_probe_main();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
