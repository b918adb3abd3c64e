/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the port tests (one file a suite, main() in port_main.c):
 * the suites, and the fixtures of port_fixtures.c that more than one suite
 * needs: stress threads that start together, a racy increment that loses
 * updates unless the caller excludes other writers, and capturing what a
 * piece of code writes to fd 1 and fd 2, here, in a forked child or in
 * this program run again.
 */
#ifndef KSLAB_SELFTESTS_PORT_TESTS_H
#define KSLAB_SELFTESTS_PORT_TESTS_H

#include "../../mm/port.h"
#include "../ktap.h"
#include "../process.h"
#include "port_each_cpu.h"	/* the portable suite */

/* The suites, in the order main() runs them. */
extern const struct ktap_suite port_cpu_suite;		/* port_cpu.c */
extern const struct ktap_suite port_sync_suite;		/* port_sync.c */
extern const struct ktap_suite port_memory_suite;	/* port_memory.c */
extern const struct ktap_suite port_report_suite;	/* port_report.c */
extern const struct ktap_suite port_rcu_suite;		/* port_rcu.c */
extern const struct ktap_suite port_thp_suite;		/* port_thp.c */
extern const struct ktap_suite port_numa_suite;		/* port_numa.c */

/* Run as "port --cpu-probe", this program is the CPU id probe instead. */
#define CPU_PROBE_ARG		"--cpu-probe"
int cpu_probe_main(void);			/* port_cpu.c */
#define MODE_PROBE_ARG		"--mode-probe"
#define MODE_THREADS_PROBE_ARG	"--mode-threads-probe"
int mode_probe_main(bool threads);		/* port_cpu.c */
#define THP_PROBE_ARG		"--thp-probe"
int thp_probe_main(void);			/* port_thp.c */
#define NUMA_PROBE_ARG		"--numa-probe"
int numa_probe_main(void);			/* port_numa.c */
#define NUMA_REFUSED_ARG	"--numa-refused"
int numa_refused_main(void);			/* port_numa.c */
#define RCU_LOAD_PROBE_ARG	"--rcu-load-probe"
int rcu_load_probe_main(void);			/* port_rcu.c */
#define PERCPU_FAULT_PROBE_ARG	"--percpu-fault-probe"
int percpu_fault_probe_main(void);		/* port_cpu.c */

/* Stress threads (port_fixtures.c) */
#define STRESS_THREADS		8

/* What every stress thread gets: a common start signal and its workload. */
struct stress {
	int go;
	unsigned long iterations;
	void *ctx;
};

void stress_wait_start(struct stress *s);
bool run_threads(unsigned int nr, void *(*fn)(void *), struct stress *s);
void racy_increment(unsigned long *counter, unsigned long i);

/* Memory (port_fixtures.c) */
bool bytes_are(const void *p, unsigned char v, size_t size);

/* Page faults the calling thread takes, by address (port_fixtures.c). */
struct fault_sampler {
	int fd;
	void *ring;
};

bool fault_sampler_open(struct fault_sampler *s);
unsigned long fault_sampler_close(struct fault_sampler *s, unsigned long lo,
				  unsigned long hi);

/* Probes (port_fixtures.c): @fields conversions of @fmt from @c's output. */
bool probe_answer(struct ktap_test *t, const struct capture *c,
		  const char *file, int line, int fields, const char *fmt, ...);
#define PROBE_ANSWER(t, c, fields, ...) \
	probe_answer(t, c, __FILE__, __LINE__, fields, __VA_ARGS__)

#endif /* KSLAB_SELFTESTS_PORT_TESTS_H */
