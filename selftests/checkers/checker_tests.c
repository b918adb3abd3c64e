// SPDX-License-Identifier: GPL-2.0
/*
 * Memory checkers see kslab's objects (suite checkers): built only in the
 * ASan build and the memcheck build (-DKSLAB_VALGRIND), where kslab marks
 * its objects for the checker (userspace/port-tools.h). Each bug is
 * committed in a child, run directly under ASan and under valgrind
 * otherwise; the checker must stop it and name the right kind of access,
 * and the clean child must run through without a word from either. A
 * region's objects are checked too: one read after the region's reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kslab/malloc.h>
#include <kslab/region.h>
#include <kslab/slab.h>

#include "../ktap.h"
#include "../process.h"

#define CHILD_ARG	"--checker-child"
#ifdef __SANITIZE_ADDRESS__
#define UNDER_ASAN	true	/* else under memcheck */
#else
#define UNDER_ASAN	false
#endif
/* 20 bytes in a stride of 24: the last 4 are padding, closed. */
#define OBJECT_SIZE	20

struct scenario {
	const char *name;
	const char *asan;	/* what ASan must say */
	const char *memcheck[2];	/* what memcheck must say */
};

static const struct scenario scenarios[] = {
	{ "use_after_free", "use-after-poison",
	  { "Invalid read of size 1", "inside a block of size 20 free'd" } },
	{ "overflow", "use-after-poison",
	  { "Invalid write of size 1", "0 bytes after a block of size 20 alloc'd" } },
	{ "malloc_use_after_free", "use-after-poison",
	  { "Invalid read of size 1", "inside a block of size 112 free'd" } },
	{ "region_use_after_reset", "use-after-poison",
	  { "Invalid read of size 1", "is in a rw- anonymous segment" } },
	{ "clean", NULL, { NULL, NULL } },
};

/*
 * A region's objects, over more than one block and a reset; with
 * @after_reset, one read after the reset.
 */
static int region_use(bool after_reset)
{
	struct kslab_region *r = kslab_region_create("t-checked", 4096, 0);
	unsigned char *p = NULL;
	int i;

	if (!r)
		return 1;
	for (i = 0; i < 100; i++) {
		p = kslab_region_alloc(r, 100, 0, GFP_KERNEL);
		if (!p)
			return 1;
		memset(p, i, 100);
	}
	kslab_region_reset(r);
	if (after_reset)
		return ((volatile unsigned char *)p)[3];
	p = kslab_region_alloc(r, 100, 0, GFP_KERNEL);
	if (!p)
		return 1;
	memset(p, 1, 100);
	kslab_region_destroy(r);
	return 0;
}

/* The child: commit scenario @name's bug, or none for "clean". */
static int child_main(const char *name)
{
	struct kslab_cache *cache = kslab_cache_create("t-checked", OBJECT_SIZE,
						       NULL, 0);
	volatile unsigned char *obj;
	unsigned char *p;

	if (!cache)
		return 1;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (!obj)
		return 1;
	obj[0] = 1;
	obj[OBJECT_SIZE - 1] = 2;
	if (!strcmp(name, "use_after_free")) {
		kslab_cache_free(cache, (void *)obj);
		return obj[3];
	}
	if (!strcmp(name, "overflow")) {
		obj[OBJECT_SIZE] = 3;
		return 0;
	}
	if (!strcmp(name, "malloc_use_after_free")) {
		p = kslab_malloc(100);
		kslab_free(p);
		return ((volatile unsigned char *)p)[3];
	}
	if (!strcmp(name, "region_use_after_reset"))
		return region_use(true);
	if (region_use(false))
		return 1;
	p = kslab_malloc(100);
	memset(p, 7, 100);
	kslab_free(p);
	kslab_cache_free(cache, (void *)obj);
	kslab_cache_destroy(cache);
	return 0;
}

/* Run the child for @s: directly under ASan, else under memcheck. */
static bool run_child(struct capture *c, const struct scenario *s)
{
	char self[64];
	const char *argv[] = {
		"/usr/bin/valgrind", "--tool=memcheck", "--error-exitcode=99",
		"--leak-check=no", self, CHILD_ARG, s->name, NULL,
	};

	snprintf(self, sizeof(self), "/proc/%d/exe", (int)getpid());
	return capture_exec(c, UNDER_ASAN ? argv + 4 : argv, environ);
}

static void check_scenario(struct ktap_test *t, const struct scenario *s)
{
	bool asan = UNDER_ASAN, stopped, said = true;
	struct capture c;
	unsigned int i;

	KTAP_ASSERT(t, run_child(&c, s));
	stopped = !WIFEXITED(c.status) || WEXITSTATUS(c.status) == 99 ||
		  (asan && WEXITSTATUS(c.status) != 0 && s->asan);
	if (asan && s->asan)
		said = strstr(c.err, s->asan) != NULL;
	for (i = 0; !asan && i < 2; i++)
		if (s->memcheck[i])
			said &= strstr(c.err, s->memcheck[i]) != NULL;
	if (s->asan) {
		ktap_check(t, stopped && said, __FILE__, __LINE__,
			   "%s: the checker stopped it and said so: %s",
			   s->name, c.err);
	} else {
		ktap_check(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0 &&
			      !strstr(c.err, "AddressSanitizer") &&
			      !strstr(c.err, "Invalid") &&
			      (asan || strstr(c.err, "ERROR SUMMARY: 0 errors")),
			   __FILE__, __LINE__, "%s: clean run: status %d, %s",
			   s->name, c.status, c.err);
	}
}

#define SCENARIO_TEST(n, i)						\
	static void test_##n(struct ktap_test *t)			\
	{								\
		check_scenario(t, &scenarios[i]);			\
	}

SCENARIO_TEST(use_after_free, 0)
SCENARIO_TEST(overflow, 1)
SCENARIO_TEST(malloc_use_after_free, 2)
SCENARIO_TEST(region_use_after_reset, 3)
SCENARIO_TEST(clean, 4)

static const struct ktap_case checker_cases[] = {
	{ "use_after_free", test_use_after_free },
	{ "overflow", test_overflow },
	{ "malloc_use_after_free", test_malloc_use_after_free },
	{ "region_use_after_reset", test_region_use_after_reset },
	{ "clean", test_clean },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		KTAP_SUITE("checkers", checker_cases),
	};

	if (argc > 2 && !strcmp(argv[1], CHILD_ARG))
		return child_main(argv[2]);
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
