// SPDX-License-Identifier: GPL-2.0
/*
 * The malloc at process level (suite malloc_process): memory freed goes
 * back to the system while the program runs on; threads allocating and
 * freeing across each other, and one checking kslab (holding its locks),
 * while another thread forks, each child allocating at once and finding
 * kslab consistent; a bad setting refused with a message; an allocation
 * made while the malloc sets itself up served without recursion. Also
 * main(), and the probes run as child processes.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kslab/malloc.h>
#include <kslab/slab.h>

#include "../process.h"
#include "../stress.h"
#include "malloc_tests.h"

#define RSS_PROBE_ARG		"--rss-probe"
#define SETTING_PROBE_ARG	"--setting-probe"
#define BOOTSTRAP_PROBE_ARG	"--bootstrap-probe"
#define RSS_OBJECTS		200000
#define RSS_OBJECT_SIZE		1000
#define RSS_WAIT_MS		3000
#define FORK_THREADS		4
#define FORK_OPS		40000
#define CHILD_OBJECTS		2000
#define CHILD_SECONDS		10

static unsigned long ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long)(now.tv_sec - start->tv_sec) * 1000 +
	       (unsigned long)((now.tv_nsec - start->tv_nsec) / 1000000);
}

/*
 * In a child with KSLAB_MALLOC_REAP_MS set low: allocate and touch 200 MB,
 * free it all, then keep allocating and freeing a little, as a program
 * does, until the memory is back or time is up. Prints what it saw.
 */
static int rss_probe_main(void)
{
	static void *objs[RSS_OBJECTS];
	unsigned long before, peak, after;
	struct timespec start;
	unsigned int i;

	if (!arena_rss(&before))
		return 2;
	for (i = 0; i < RSS_OBJECTS; i++) {
		objs[i] = kslab_malloc(RSS_OBJECT_SIZE);
		if (!objs[i])
			return 1;
		memset(objs[i], (int)i, RSS_OBJECT_SIZE);
	}
	arena_rss(&peak);
	for (i = 0; i < RSS_OBJECTS; i++)
		kslab_free(objs[i]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (i = 0; i < 4096; i++)
			kslab_free(kslab_malloc(64));
		arena_rss(&after);
	} while (after - before > (peak - before) / 10 &&
		 ms_since(&start) < RSS_WAIT_MS);
	printf("before=%lu peak=%lu after=%lu ms=%lu\n", before, peak, after,
	       ms_since(&start));
	return 0;
}

static void test_memory_given_back(struct ktap_test *t)
{
	unsigned long before = 0, peak = 0, after = 0, ms = 0;
	struct capture c;
	char **env, *var;
	bool ran;

	env = env_with("KSLAB_MALLOC_REAP_MS", "20", &var);
	KTAP_ASSERT(t, env != NULL);
	ran = capture_self(&c, RSS_PROBE_ARG, env);
	free(var);
	free(env);
	KTAP_ASSERT(t, ran);
	KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	KTAP_EXPECT_EQ(t, sscanf(c.out, "before=%lu peak=%lu after=%lu ms=%lu",
				 &before, &peak, &after, &ms), 4);
	ktap_diag("RSS %lu MiB, %lu MiB after 200 MB of 1000-byte blocks, %lu MiB %lu ms after freeing them",
		  before >> 20, peak >> 20, after >> 20, ms);
	KTAP_EXPECT(t, peak - before >= RSS_OBJECTS * (unsigned long)RSS_OBJECT_SIZE);
	/* At most a tenth of what was used stays. */
	KTAP_EXPECT(t, after - before <= (peak - before) / 10);
}

/* ---- threads, and fork in the middle ---- */

/*
 * A cache with the smallest magazines: its threads trade with the depot
 * and the slabs every few operations, so a fork often finds one of them
 * holding a lock.
 */
static struct kslab_cache *busy_cache;

static bool mark_alloc(struct stress_thread *th, struct stress_item *item)
{
	size_t size = 1 + ktap_rng_below(&th->rng, 3000);
	bool from_cache = item->tag & 1;
	unsigned char *p = from_cache ? kslab_cache_alloc(busy_cache, GFP_KERNEL) :
					kslab_malloc(size);

	item->addr = p;
	if (!p)
		return true;
	item->order = from_cache ? 64 : (unsigned int)size;
	memset(p, (unsigned char)item->tag, item->order);
	return true;
}

static bool mark_release(struct stress_thread *th,
			 const struct stress_item *item)
{
	const unsigned char *p = item->addr;
	size_t i;
	bool intact = true;

	(void)th;
	for (i = 0; i < item->order; i++)
		intact &= p[i] == (unsigned char)item->tag;
	if (item->tag & 1)
		kslab_cache_free(busy_cache, item->addr);
	else
		kslab_free(item->addr);
	return intact;
}

static const struct stress_ops mark_ops = {
	.alloc = mark_alloc,
	.release = mark_release,
};

struct forker {
	bool stop;
	unsigned long forks;
	unsigned long bad_children;
	unsigned long checks;
	unsigned long problems;
};

/*
 * In a child: allocate, write, check, free, from the busy cache and
 * malloc; then kslab must be consistent. A lock inherited held would hang
 * it: the alarm ends it instead, and the parent counts that.
 */
static int child_main(void)
{
	static unsigned char *objs[CHILD_OBJECTS];
	unsigned int i, bad = 0;

	alarm(CHILD_SECONDS);
	for (i = 0; i < CHILD_OBJECTS; i++) {
		objs[i] = i % 2 ? kslab_cache_alloc(busy_cache, GFP_KERNEL) :
				  kslab_malloc(1 + i % 4000);
		if (!objs[i])
			return 2;
		objs[i][0] = (unsigned char)i;
	}
	for (i = 0; i < CHILD_OBJECTS; i++) {
		bad += objs[i][0] != (unsigned char)i;
		if (i % 2)
			kslab_cache_free(busy_cache, objs[i]);
		else
			kslab_free(objs[i]);
	}
	return bad || kslab_check_all() ? 3 : 0;
}

static void *forker_main(void *arg)
{
	struct forker *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		int status;
		pid_t pid = fork();

		if (pid == 0)
			_exit(child_main());
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			f->bad_children++;
		f->forks++;
	}
	return NULL;
}

/*
 * Check kslab over and over: that holds kslab_caches_lock and each cache's
 * lock in turn much of the time, so forks find them held.
 */
static void *checker_main(void *arg)
{
	struct forker *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		f->problems += kslab_check_all();
		f->checks++;
	}
	return NULL;
}

static void test_threads_and_fork(struct ktap_test *t)
{
	struct kslab_cache_args args = { .magazine_size = 1 };
	struct stress_config cfg = {
		.ops = &mark_ops,
		.nr_threads = FORK_THREADS,
		.nr_ops = FORK_OPS,
		.yield_every = 32,
		.seed = 0xf04cULL,
	};
	struct forker f = { 0 };
	pthread_t forker, checker;

	busy_cache = kslab_cache_create("t-fork-busy", 64, &args, 0);
	KTAP_ASSERT(t, busy_cache != NULL);
	KTAP_ASSERT(t, !pthread_create(&checker, NULL, checker_main, &f));
	KTAP_ASSERT(t, !pthread_create(&forker, NULL, forker_main, &f));
	stress_run(t, &cfg);
	__atomic_store_n(&f.stop, true, __ATOMIC_RELEASE);
	pthread_join(forker, NULL);
	pthread_join(checker, NULL);
	ktap_diag("%lu forks while %u threads allocated and %lu checks ran",
		  f.forks, FORK_THREADS, f.checks);
	KTAP_EXPECT(t, f.forks > 0);
	KTAP_EXPECT_EQ(t, f.bad_children, 0);
	KTAP_EXPECT_EQ(t, f.problems, 0);
	KTAP_EXPECT_EQ(t, kslab_check_all(), 0);
	kslab_cache_destroy(busy_cache);
}

/* ---- settings ---- */

static int setting_probe_main(void)
{
	void *p = kslab_malloc(10);

	kslab_free(p);
	return p ? 0 : 1;
}

/* A bad KSLAB_MALLOC_REAP_MS is refused with a message; malloc works on. */
static void test_bad_setting(struct ktap_test *t)
{
	static const char *const bad[] = { "soon", "", "-5", "99999999999" };
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(bad); i++) {
		struct capture c;
		char **env, *var;
		bool ran;

		env = env_with("KSLAB_MALLOC_REAP_MS", bad[i], &var);
		if (!KTAP_EXPECT(t, env != NULL))
			continue;
		ran = capture_self(&c, SETTING_PROBE_ARG, env);
		free(var);
		free(env);
		if (!KTAP_EXPECT(t, ran))
			continue;
		KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
		ktap_check(t, strstr(c.err, "KSLAB_MALLOC_REAP_MS must be milliseconds") != NULL,
			   __FILE__, __LINE__, "\"%s\" refused: %s", bad[i], c.err);
	}
}

/*
 * Allocation while the malloc sets itself up: a report hook runs inside
 * the set-up (a bad setting is reported there) and allocates, as code the
 * C library calls under kslab might. That nested block comes from the
 * bootstrap buffer: usable, reallocated with its contents, and its free
 * ignored, with no recursion into the set-up.
 */
static void *nested;

static bool allocating_hook(enum kslab_log_level level, const char *msg,
			    void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
	if (!nested) {
		nested = kslab_malloc(100);
		if (nested)
			memset(nested, 0x6b, 100);
	}
	return true;
}

static int bootstrap_probe_main(void)
{
	unsigned char *p, *q;
	unsigned long before;

	kslab_set_report_hook(allocating_hook, NULL);
	p = kslab_malloc(10);		/* sets up: reads the bad setting */
	kslab_set_report_hook(NULL, NULL);
	if (!p || !nested)
		return 1;
	printf("aligned=%d usable=%zu", (int)((uintptr_t)nested % 16 == 0),
	       kslab_malloc_usable_size(nested));
	q = kslab_realloc(nested, 200);	/* moves out of the buffer */
	printf(" moved=%d kept=%d", q && q != nested, q && q[0] == 0x6b && q[99] == 0x6b);
	before = kslab_report_count();
	kslab_free(nested);		/* a bootstrap block: ignored */
	printf(" reports=%lu\n", kslab_report_count() - before);
	kslab_free(q);
	kslab_free(p);
	return 0;
}

static void test_bootstrap_during_setup(struct ktap_test *t)
{
	struct capture c;
	char **env, *var;
	bool ran;

	env = env_with("KSLAB_MALLOC_REAP_MS", "soon", &var);
	KTAP_ASSERT(t, env != NULL);
	ran = capture_self(&c, BOOTSTRAP_PROBE_ARG, env);
	free(var);
	free(env);
	KTAP_ASSERT(t, ran);
	KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	ktap_check(t, !strcmp(c.out, "aligned=1 usable=112 moved=1 kept=1 reports=0\n"),
		   __FILE__, __LINE__, "nested allocation served: %s %s", c.out, c.err);
}

/*
 * KSLAB_STATS=1: slabinfo and buddyinfo on stderr at exit, the malloc's
 * class among them; another value is refused with a message; 0 is quiet.
 * (A file's path: test_stats_to_file(); json: scripts/check-stats-json.sh.)
 */
static void test_stats_at_exit(struct ktap_test *t)
{
	static const struct {
		const char *value;
		bool stats;
		bool message;
	} cases[] = { { "1", true, false }, { "yes", false, true },
		      { "jsonx", false, true }, { "0", false, false } };
	/* The whole text is larger than a capture: keep the lines that tell. */
	const char *argv[] = {
		"/bin/sh", "-c",
		"\"$0\" " SETTING_PROBE_ARG " 2>&1 | grep -E "
		"'^(slabinfo - version: 2.1|kmalloc-16 |Node 0, zone|kslab: KSLAB_STATS)'",
		"/proc/self/exe", NULL,
	};
	char self[PATH_MAX];
	unsigned int i;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	KTAP_ASSERT(t, n > 0);
	self[n] = '\0';
	argv[3] = self;
	for (i = 0; i < KSLAB_ARRAY_SIZE(cases); i++) {
		struct capture c;
		char **env, *var;
		bool ran;

		env = env_with("KSLAB_STATS", cases[i].value, &var);
		KTAP_ASSERT(t, env != NULL);
		ran = capture_exec(&c, argv, env);
		free(var);
		free(env);
		KTAP_ASSERT(t, ran);
		ktap_check(t, cases[i].stats ==
			      (strstr(c.out, "slabinfo - version: 2.1") &&
			       strstr(c.out, "kmalloc-16 ") &&
			       strstr(c.out, "Node 0, zone")), __FILE__, __LINE__,
			   "KSLAB_STATS=%s: %s", cases[i].value, c.out);
		KTAP_EXPECT(t, cases[i].message ==
			       !!strstr(c.out, "KSLAB_STATS must be 0, 1, a file's absolute path, json or json:path"));
	}
}

/* The one file in @dir whose name starts with @prefix, read into @text. */
static bool read_only_file(const char *dir, const char *prefix, char *name,
			   size_t name_size, char *text, size_t text_size)
{
	char path[PATH_MAX + 256];
	unsigned int found = 0;
	struct dirent *e;
	size_t got = 0;
	DIR *d = opendir(dir);
	FILE *f;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && !found++)
			snprintf(name, name_size, "%s", e->d_name);
	closedir(d);
	if (found != 1)
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		got = fread(text, 1, text_size - 1, f);
		fclose(f);
	}
	text[got] = '\0';
	return unlink(path) == 0 && got > 0;
}

/*
 * KSLAB_STATS=/path/stats-%p: the same text appended to a file named for
 * the process (for programs that close stderr themselves), nothing on
 * stderr; a file that cannot be opened is said so.
 */
static void test_stats_to_file(struct ktap_test *t)
{
	char dir[] = "/tmp/kslab-stats-XXXXXX", value[64], name[256];
	const char *argv[] = { NULL, SETTING_PROBE_ARG, NULL };
	static char text[1 << 16];
	char self[PATH_MAX], pid[32];
	struct capture c;
	char **env, *var;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	bool ran;

	KTAP_ASSERT(t, n > 0 && mkdtemp(dir));
	self[n] = '\0';
	argv[0] = self;
	snprintf(value, sizeof(value), "%s/stats-%%p", dir);
	env = env_with("KSLAB_STATS", value, &var);
	KTAP_ASSERT(t, env != NULL);
	ran = capture_exec(&c, argv, env);
	free(var);
	free(env);
	if (KTAP_EXPECT(t, ran && WIFEXITED(c.status))) {
		KTAP_EXPECT(t, !strstr(c.err, "slabinfo - version"));
		if (KTAP_EXPECT(t, read_only_file(dir, "stats-", name, sizeof(name),
						  text, sizeof(text)))) {
			snprintf(pid, sizeof(pid), "stats-%d", (int)c.pid);
			ktap_check(t, !strcmp(name, pid), __FILE__, __LINE__,
				   "file %s, expected %s", name, pid);
			KTAP_EXPECT(t, str_starts_with(text, "slabinfo - version: 2.1\n") &&
				       strstr(text, "\nkmalloc-16 ") &&
				       strstr(text, "Node 0, zone"));
		}
	}
	KTAP_EXPECT(t, rmdir(dir) == 0);

	env = env_with("KSLAB_STATS", "/nonexistent-kslab-dir/stats", &var);
	KTAP_ASSERT(t, env != NULL);
	ran = capture_exec(&c, argv, env);
	free(var);
	free(env);
	KTAP_EXPECT(t, ran && strstr(c.err, "kslab: KSLAB_STATS: /nonexistent-kslab-dir/stats: No such file or directory; not written"));
}

static const struct ktap_case process_cases[] = {
	{ "stats_at_exit", test_stats_at_exit },
	{ "stats_to_file", test_stats_to_file },
	{ "memory_given_back", test_memory_given_back },
	{ "threads_and_fork", test_threads_and_fork },
	{ "bad_setting", test_bad_setting },
	{ "bootstrap_during_setup", test_bootstrap_during_setup },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		malloc_suite,
		KTAP_SUITE("malloc_process", process_cases),
	};

	if (argc > 1 && !strcmp(argv[1], RSS_PROBE_ARG))
		return rss_probe_main();
	if (argc > 1 && !strcmp(argv[1], SETTING_PROBE_ARG))
		return setting_probe_main();
	if (argc > 1 && !strcmp(argv[1], BOOTSTRAP_PROBE_ARG))
		return bootstrap_probe_main();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
