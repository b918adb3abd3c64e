// SPDX-License-Identifier: GPL-2.0
/*
 * kslab's USDT probes under perf (suite probes): the probes are in the
 * binary; perf probe registers them; a scripted workload recorded with
 * perf fires sdt_kslab:alloc_miss and sdt_kslab:free_miss exactly as
 * often, per CPU, as kslab's own per-CPU counters say (the probes carry
 * the CPU kslab counted on, so migrations cannot blur it).
 *
 * perf needs root, the tracefs and uprobes: where one is missing, the
 * perf tests say so and skip, never pass. Built in the plain build only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../mm/slab.h"
#include "../ktap.h"
#include "../process.h"

#define WORKLOAD_ARG	"--probe-workload"
#define CACHE_NAME	"t-probed"
#define OBJECTS		20000
#define MAX_CPUS	64
#define PERF		"/usr/bin/perf"
#define TRACEFS		"/sys/kernel/tracing"

static char self[4096];
static char data_path[64];

/*
 * The workload, in its own process under perf record: allocate and free
 * OBJECTS objects in a cache of 6-round magazines, so the magazines miss
 * often, then print the cache's number and each CPU's misses.
 */
static int workload_main(void)
{
	struct kslab_cache_args args = { .magazine_size = 6 };
	struct kslab_cache *cache = kslab_cache_create(CACHE_NAME, 64, &args, 0);
	static void *objs[OBJECTS];
	struct kslab_cache_stats st;
	unsigned int i, cpu;

	if (!cache)
		return 1;
	for (i = 0; i < OBJECTS; i++)
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
	for (i = 0; i < OBJECTS; i++)
		kslab_cache_free(cache, objs[i]);
	printf("cache %lu\n", kslab_cache_id(cache));
	for (cpu = 0; cpu < kslab_nr_cpus() && cpu < MAX_CPUS; cpu++) {
		kslab_cache_cpu_stats(cache, cpu, &st);
		printf("cpu %u alloc_miss %lu free_miss %lu\n", cpu,
		       st.magazine.alloc_miss, st.magazine.free_miss);
	}
	return 0;
}

/* Run @argv quietly. Return: its exit status, or -1. */
static int run(const char *const *argv, struct capture *c)
{
	if (!capture_exec(c, argv, environ))
		return -1;
	return WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
}

/* Why perf cannot be used here, or NULL when it can. */
static const char *perf_unusable(void)
{
	const char *version[] = { PERF, "--version", NULL };
	struct capture c;
	struct stat st;

	if (geteuid())
		return "not root: uprobes need it";
	if (access(PERF, X_OK))
		return "no " PERF " (Debian: linux-perf)";
	if (run(version, &c))
		return "perf does not run for this kernel";
	if (stat(TRACEFS "/uprobe_events", &st) &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return "no tracefs at " TRACEFS;
	if (stat(TRACEFS "/uprobe_events", &st))
		return "the kernel has no uprobes";
	return NULL;
}

static void remove_probes(void)
{
	const char *del[] = { PERF, "probe", "-q", "-d", "sdt_kslab:*", NULL };
	struct capture c;

	run(del, &c);
}

/* perf probe sdt_kslab:alloc_miss and :free_miss in this very binary. */
static bool add_probes(struct ktap_test *t)
{
	const char *cache[] = { PERF, "buildid-cache", "--add", self, NULL };
	const char *add[] = { PERF, "probe", "-x", self, "-a",
			      "sdt_kslab:alloc_miss", "-a", "sdt_kslab:free_miss",
			      NULL };
	struct capture c;

	remove_probes();
	if (run(cache, &c))
		ktap_diag("perf buildid-cache: %s", c.err);
	if (run(add, &c)) {
		ktap_check(t, false, __FILE__, __LINE__, "perf probe: %s", c.err);
		return false;
	}
	return true;
}

struct counts {
	unsigned long alloc_miss[MAX_CPUS];
	unsigned long free_miss[MAX_CPUS];
};

/* The workload's own account: its cache's number and per-CPU misses. */
static bool parse_workload(const char *out, unsigned long *id,
			   struct counts *kslab)
{
	const char *line = strstr(out, "cache ");
	unsigned int cpu;
	unsigned long a, f;

	if (!line || sscanf(line, "cache %lu", id) != 1)
		return false;
	for (line = strstr(line, "\ncpu "); line; line = strstr(line + 1, "\ncpu "))
		if (sscanf(line, "\ncpu %u alloc_miss %lu free_miss %lu",
			   &cpu, &a, &f) == 3 && cpu < MAX_CPUS) {
			kslab->alloc_miss[cpu] = a;
			kslab->free_miss[cpu] = f;
		}
	return true;
}

/*
 * perf script's lines for the probes, in file @path, "sdt_kslab:EVENT:
 * (addr) arg1=ID arg2=CPU": counted per event and CPU for cache @id.
 */
static bool parse_script(const char *path, unsigned long id,
			 struct counts *perf, unsigned long *lines)
{
	unsigned long cache, cpu;
	FILE *f = fopen(path, "r");
	char line[256];
	bool ok = true;

	*lines = 0;
	if (!f)
		return false;
	while (ok && fgets(line, sizeof(line), f)) {
		const char *args = strstr(line, "arg1=");

		ok = args && sscanf(args, "arg1=%lu arg2=%lu", &cache, &cpu) == 2;
		(*lines)++;
		if (!ok || cache != id || cpu >= MAX_CPUS)
			continue;
		if (strstr(line, "sdt_kslab:alloc_miss"))
			perf->alloc_miss[cpu]++;
		else
			perf->free_miss[cpu]++;
	}
	fclose(f);
	return ok;
}

static void test_probes_in_binary(struct ktap_test *t)
{
	const char *readelf[] = { "/usr/bin/readelf", "-n", self, NULL };
	static const char *const names[] = {
		"alloc_miss", "free_miss", "magazine_swap", "depot_get",
		"depot_put", "slab_grow", "slab_free", "buddy_split",
		"buddy_merge", "chunk_map", "chunk_unmap", "reap",
	};
	struct capture c;
	unsigned int i, found = 0;
	char want[64];

	KTAP_ASSERT(t, run(readelf, &c) == 0);
	for (i = 0; i < KSLAB_ARRAY_SIZE(names); i++) {
		snprintf(want, sizeof(want), "Name: %s\n", names[i]);
		found += strstr(c.out, want) != NULL;
	}
	KTAP_EXPECT(t, strstr(c.out, "Provider: kslab") != NULL);
	KTAP_EXPECT_EQ(t, found, KSLAB_ARRAY_SIZE(names));
}

static void test_perf_counts_match_kslab(struct ktap_test *t)
{
	/* A buffer far larger than the run's events: none may be lost. */
	const char *record[] = { PERF, "record", "-q", "-m", "4096",
				 "-o", data_path,
				 "-e", "sdt_kslab:alloc_miss",
				 "-e", "sdt_kslab:free_miss", "--", self,
				 WORKLOAD_ARG, NULL };
	char cmd[256];
	const char *script[] = { "/bin/sh", "-c", cmd, NULL };
	static struct counts kslab, perf;
	unsigned long id, lines, sum = 0, cpu;
	const char *why = perf_unusable();
	struct capture rec, scr;
	unsigned int wrong = 0;
	char text_path[80];
	bool parsed;

	if (why) {
		ktap_skip(t, why);
		return;
	}
	if (!add_probes(t))
		return;
	/* Thousands of lines: through a file, not the capture buffer. */
	snprintf(cmd, sizeof(cmd), PERF " script -F event,trace -i %s > %s.txt",
		 data_path, data_path);
	snprintf(text_path, sizeof(text_path), "%s.txt", data_path);
	if (!KTAP_EXPECT_EQ(t, run(record, &rec), 0))
		ktap_diag("perf record: %s", rec.err);
	KTAP_EXPECT_EQ(t, run(script, &scr), 0);
	remove_probes();
	parsed = KTAP_EXPECT(t, parse_workload(rec.out, &id, &kslab)) &&
		 KTAP_EXPECT(t, parse_script(text_path, id, &perf, &lines));
	unlink(data_path);
	unlink(text_path);
	if (!parsed)
		return;
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (kslab.alloc_miss[cpu] != perf.alloc_miss[cpu] ||
		    kslab.free_miss[cpu] != perf.free_miss[cpu]) {
			ktap_diag("cpu %lu: kslab %lu/%lu misses, perf %lu/%lu",
				  cpu, kslab.alloc_miss[cpu], kslab.free_miss[cpu],
				  perf.alloc_miss[cpu], perf.free_miss[cpu]);
			wrong++;
		}
		sum += perf.alloc_miss[cpu] + perf.free_miss[cpu];
	}
	ktap_diag("%lu probe hits recorded, %lu of them for cache %lu",
		  lines, sum, id);
	KTAP_EXPECT(t, sum > 0);
	KTAP_EXPECT_EQ(t, wrong, 0);
}

static const struct ktap_case probe_cases[] = {
	{ "probes_in_binary", test_probes_in_binary },
	{ "perf_counts_match_kslab", test_perf_counts_match_kslab },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		KTAP_SUITE("probes", probe_cases),
	};
	ssize_t n;

	if (argc > 1 && !strcmp(argv[1], WORKLOAD_ARG))
		return workload_main();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(data_path, sizeof(data_path), "/tmp/kslab-probes-%d.data",
		 (int)getpid());
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
