/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmarks share: the attribute that keeps a measured loop a
 * function of its own, a monotonic clock, a random sequence, medians, the
 * peak RSS, and the command line every benchmark takes (see
 * bench_cli_run()).
 *
 * Libc only: bench_cache includes this in its malloc builds, which are
 * compiled without kslab's headers and linked without libkslab.
 */
#ifndef KSLAB_BENCH_H
#define KSLAB_BENCH_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/*
 * A measured loop is noipa, so it keeps its name and is never merged into
 * a caller: callgrind's --toggle-collect finds it and counts exactly it.
 */
#define bench_loop		__attribute__((noipa))

#define BENCH_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * The process's peak RSS in KiB since it was exec'd: VmHWM, read with
 * open/read so that no malloc adds to it. getrusage()'s ru_maxrss also
 * counts the memory image the process replaced at exec, so a program a
 * shell forked and exec'd never reports less than that shell's copy
 * (about 2.5 MiB under make bench): it hid the small workloads' RSS.
 */
static inline long bench_peak_rss_kib(void)
{
	char buf[4096], *hwm = NULL;
	struct rusage ru;
	ssize_t n = -1;
	int fd;

	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		hwm = strstr(buf, "VmHWM:");
	}
	if (hwm)
		return atol(hwm + 6);
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* xorshift64: cheap, and from a fixed seed the same for every allocator. */
static inline unsigned long long bench_xorshift(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of @n samples; sorts them in place. */
static inline double bench_median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/**
 * struct bench_cli - what a benchmark does for each of its command lines
 * @usage:    the usage line, printed for any other command line
 * @time_all: no argument, or --tsv: time every workload and print the
 *            figures, readable or as TSV for scripts/bench.sh
 * @list:     --list: print the loops to count under callgrind, with ops
 * @info:     --info: say what the benchmark measures with; may be NULL
 * @run_loop: --loop FN OPS: run loop function FN for OPS ops, for a run
 *            under callgrind --toggle-collect=FN
 */
struct bench_cli {
	const char *usage;
	int (*time_all)(bool tsv);
	void (*list)(void);
	void (*info)(void);
	int (*run_loop)(const char *fn_name, const char *ops);
};

/* Run the command @argv asks for. Return: the exit status. */
static inline int bench_cli_run(const struct bench_cli *cli, int argc,
				char **argv)
{
	if (argc == 1)
		return cli->time_all(false);
	if (argc == 2 && !strcmp(argv[1], "--tsv"))
		return cli->time_all(true);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		cli->list();
		return EXIT_SUCCESS;
	}
	if (argc == 2 && cli->info && !strcmp(argv[1], "--info")) {
		cli->info();
		return EXIT_SUCCESS;
	}
	if (argc == 4 && !strcmp(argv[1], "--loop"))
		return cli->run_loop(argv[2], argv[3]);
	fputs(cli->usage, stderr);
	return EXIT_FAILURE;
}

#endif /* KSLAB_BENCH_H */
