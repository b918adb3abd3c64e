// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection in userspace (suite fault_user): the KSLAB_FAIL
 * variable, read by a fresh process before its first allocation and
 * announced; bad values refused with a message, fault injection left off;
 * and the malloc with each allocation failed in turn, every failure NULL
 * with errno ENOMEM (or posix_memalign's ENOMEM), the old block kept by a
 * failed realloc. Also main() for the fault test program, which runs
 * itself as the probe of the KSLAB_FAIL tests.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/malloc.h>
#include <kslab/slab.h>

#include "../capture.h"
#include "../process.h"
#include "fault_tests.h"

#define PROBE_ARG	"--fault-probe"
#define PROBE_CALLS	6

/*
 * The probe, in a fresh process: kmalloc calls first, kslab's very first
 * calls, each saying whether it failed; one cache creation, one page;
 * then the points armed.
 */
static int probe_main(void)
{
	struct kslab_fault_counts c;
	struct kslab_cache *cache;
	unsigned int i;
	void *page;

	printf("kmalloc=");
	for (i = 0; i < PROBE_CALLS; i++) {
		void *p = kslab_kmalloc(100, GFP_KERNEL);

		putchar(p ? '.' : 'x');
		kslab_kfree(p);
	}
	cache = kslab_cache_create("probe", 64, NULL, 0);
	page = kslab_alloc_pages(GFP_KERNEL, 0);
	printf(" cache=%d page=%d armed=", cache != NULL, page != NULL);
	for (i = 0; i < KSLAB_FAULT_POINTS; i++) {
		kslab_fault_read(i, &c);
		putchar(c.armed ? '1' : '0');
	}
	printf(" check=%lu\n", kslab_check_all());
	kslab_free_pages(page, 0);
	kslab_cache_destroy(cache);
	return 0;
}

/* Run the probe with KSLAB_FAIL=@value; Return: whether it ran. */
static bool run_probe(struct ktap_test *t, struct capture *c, const char *value)
{
	char **env, *var;
	bool ran;

	env = env_with("KSLAB_FAIL", value, &var);
	if (!KTAP_EXPECT(t, env != NULL))
		return false;
	ran = capture_self(c, PROBE_ARG, env);
	free(var);
	free(env);
	return KTAP_EXPECT(t, ran) &&
	       KTAP_EXPECT(t, WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0);
}

/* Occurrences of @needle in @haystack. */
static unsigned int count_of(const char *haystack, const char *needle)
{
	unsigned int n = 0;

	for (; (haystack = strstr(haystack, needle)); haystack++)
		n++;
	return n;
}

/*
 * The variable arms its points from the start and says so once; a cache
 * it keeps from being made is the only other report.
 */
static void test_env(struct ktap_test *t)
{
	static const struct {
		const char *value;
		const char *out;
		unsigned int reports;
	} runs[] = {
		{ "kmalloc:every=3", "kmalloc=..x..x cache=1 page=1 armed=0100 check=0\n", 1 },
		{ "kmalloc:nth=1", "kmalloc=x..... cache=1 page=1 armed=0100 check=0\n", 1 },
		{ "kmalloc:every=1;", "kmalloc=xxxxxx cache=1 page=1 armed=0100 check=0\n", 1 },
		/*
		 * Classes are made as first asked for: the failed metadata is
		 * kmalloc-104's, whose first kmalloc fails; the next makes it.
		 */
		{ "meta:nth=1", "kmalloc=x..... cache=1 page=1 armed=0001 check=0\n", 2 },
		{ "meta:nth=3", "kmalloc=x..... cache=1 page=1 armed=0001 check=0\n", 2 },
		/* the refill's failure is absorbed: the slab layer is tried again */
		{ "pages:nth=1", "kmalloc=...... cache=1 page=1 armed=0010 check=0\n", 1 },
		{ "pages:every=1", "kmalloc=xxxxxx cache=1 page=0 armed=0010 check=0\n", 1 },
		{ "cache/probe:every=1;pages:probability=0.0001,seed=5",
		  "kmalloc=...... cache=1 page=1 armed=1010 check=0\n", 1 },
	};
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(runs); i++) {
		char notice[128];
		struct capture c;

		if (!run_probe(t, &c, runs[i].value))
			continue;
		ktap_check(t, !strcmp(c.out, runs[i].out), __FILE__, __LINE__,
			   "KSLAB_FAIL=%s: %s", runs[i].value, c.out);
		snprintf(notice, sizeof(notice),
			 "kslab: KSLAB_FAIL=\"%s\": fault injection armed\n",
			 runs[i].value);
		EXPECT_CONTAINS(t, c.err, notice);
		ktap_check(t, count_of(c.err, "kslab: ") == runs[i].reports,
			   __FILE__, __LINE__, "KSLAB_FAIL=%s: %u reports: %s",
			   runs[i].value, runs[i].reports, c.err);
	}
}

/* A bad value is refused with a message; nothing is armed. */
static void test_env_bad(struct ktap_test *t)
{
	static const struct {
		const char *value;
		const char *why;
	} bad[] = {
		{ "kmalloc", "expected point:options" },
		{ "kmalloc:every=x", "bad value" },
		{ "disk:every=1", "unknown point" },
		{ "cache/x:every=1,nth=1", "give exactly one" },
	};
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(bad); i++) {
		char msg[128];
		struct capture c;

		if (!run_probe(t, &c, bad[i].value))
			continue;
		ktap_check(t, !strcmp(c.out, "kmalloc=...... cache=1 page=1 armed=0000 check=0\n"),
			   __FILE__, __LINE__, "KSLAB_FAIL=%s: %s", bad[i].value, c.out);
		snprintf(msg, sizeof(msg), "kslab: KSLAB_FAIL=\"%s\": %s",
			 bad[i].value, bad[i].why);
		EXPECT_CONTAINS(t, c.err, msg);
		EXPECT_CONTAINS(t, c.err, "; fault injection unchanged\n");
		KTAP_EXPECT_EQ(t, count_of(c.err, "kslab: "), 1);
	}
}

/*
 * The malloc functions with each allocation failed: NULL and ENOMEM, or
 * the block as asked; a failed realloc keeps the old block and contents.
 */
static void run_malloc(struct fault_outcome *o)
{
	unsigned char *p, *q, *z;
	void *m = &o, *a;
	int rc;

	errno = 0;
	p = kslab_malloc(100);
	FAULT_CHECK(o, p || errno == ENOMEM);
	z = kslab_calloc(10, 48);
	FAULT_CHECK(o, z || errno == ENOMEM);
	FAULT_CHECK(o, !z || (z[0] == 0 && z[479] == 0));
	if (p) {
		pattern(p, 100, 3, false);
		errno = 0;
		q = kslab_realloc(p, 5000);
		FAULT_CHECK(o, q || errno == ENOMEM);
		FAULT_CHECK(o, !pattern(q ? q : p, 100, 3, true));
		o->failed += !q;
		if (q)
			p = q;
	}
	rc = kslab_posix_memalign(&m, 64, 256);
	FAULT_CHECK(o, rc == 0 || (rc == ENOMEM && m == &o));
	FAULT_CHECK(o, rc || (uintptr_t)m % 64 == 0);
	errno = 0;
	a = kslab_aligned_alloc(4096, 8192);
	FAULT_CHECK(o, a || errno == ENOMEM);
	FAULT_CHECK(o, (uintptr_t)a % 4096 == 0);
	o->failed += !p + !z + (rc != 0) + !a;
	kslab_free(p);
	kslab_free(z);
	if (!rc)
		kslab_free(m);
	kslab_free(a);
}

static const struct fault_scenario malloc_scenario = {
	.name = "malloc",
	.run = run_malloc,
	.must_reach = 1U << FAULT_INJECT_PAGES | 1U << FAULT_INJECT_CACHES |
		      1U << FAULT_INJECT_KMALLOC,
	.sizes = { 112, 480, 5008, 256, 8192 },
};

static void test_malloc(struct ktap_test *t)
{
	kslab_free(kslab_malloc(1));	/* set the malloc up first */
	fault_drive(t, &malloc_scenario);
}

static const struct ktap_case fault_user_cases[] = {
	{ "env", test_env },
	{ "env_bad", test_env_bad },
	{ "malloc", test_malloc },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		fault_api_suite,
		fault_scenarios_suite,
		KTAP_SUITE("fault_user", fault_user_cases),
	};

	if (argc > 1 && !strcmp(argv[1], PROBE_ARG))
		return probe_main();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
