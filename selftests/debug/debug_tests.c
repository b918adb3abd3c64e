// SPDX-License-Identifier: GPL-2.0
/*
 * Debugged caches (suite debug): the KSLAB_DEBUG syntax; each kind of bug
 * caught and reported in the one documented shape, the bad object
 * quarantined, the cache consistent and usable after; leaks named at
 * destroy; the checker and shrink finding damage; KSLAB_DEBUG from the
 * environment, for caches and for malloc. Also main() for the program.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kslab/malloc.h>
#include <kslab/slab.h>

#include "../capture.h"
#include "../ktap.h"
#include "../process.h"

#define LINES		32
#define LINE_LEN	256
#define CHILD_ARG	"--debug-child"
#define QUARANTINE_ARG	"--quarantine-child"
#define QUARANTINE	4

/* Every line of every report, and how many were BUG lines. */
struct lines {
	unsigned int nr;
	unsigned int bugs;
	char line[LINES][LINE_LEN];
};

static bool lines_hook(enum kslab_log_level level, const char *msg, void *arg)
{
	struct lines *l = arg;

	if (l->nr < LINES)
		snprintf(l->line[l->nr++], LINE_LEN, "%s", msg);
	l->bugs += level == KSLAB_LOG_ERR;
	return true;
}

static void lines_start(struct lines *l)
{
	memset(l, 0, sizeof(*l));
	kslab_set_report_hook(lines_hook, l);
}

static void lines_stop(void)
{
	kslab_set_report_hook(NULL, NULL);
}

/* The line holding @needle, or "" (so checks on it fail readably). */
static const char *line_with(const struct lines *l, const char *needle)
{
	unsigned int i;

	for (i = 0; i < l->nr; i++)
		if (strstr(l->line[i], needle))
			return l->line[i];
	return "";
}

#define EXPECT_LINE(t, l, needle)					\
	ktap_check((t), *line_with((l), (needle)) != '\0', __FILE__,	\
		   __LINE__, "a report line says \"%s\" (%u lines, first \"%s\")", \
		   (needle), (l)->nr, (l)->line[0])

/*
 * The bugs these tests commit on purpose: a byte written where a program
 * may not write. Behind ASan's back, which would stop the program first
 * (kslab marks free objects and red zones for it): kslab must find them.
 */
__attribute__((no_sanitize_address, noinline))
static void scribble(unsigned char *p, long offset, unsigned char value)
{
	p[offset] = value;
}

static struct kslab_cache_stats stats_of(struct kslab_cache *cache)
{
	struct kslab_cache_stats st;

	kslab_cache_stats(cache, &st);
	return st;
}

/* A cache debugged as @option says, made after configuring it. */
static struct kslab_cache *debug_cache(struct ktap_test *t, const char *option,
				       const char *name, unsigned int size)
{
	struct kslab_cache *cache;

	KTAP_EXPECT_EQ(t, kslab_debug_configure(option), 0);
	cache = kslab_cache_create(name, size, NULL, 0);
	KTAP_EXPECT(t, cache != NULL);
	kslab_debug_configure(NULL);
	return cache;
}

/* The BUG line: cache, what, the object's address, the offset. */
static void expect_bug_line(struct ktap_test *t, const struct lines *l,
			    const char *cache, const char *what, void *obj,
			    long offset)
{
	char want[LINE_LEN];

	snprintf(want, sizeof(want), "kslab: BUG %s: %s object=%p offset=%ld",
		 cache, what, obj, offset);
	ktap_check(t, l->bugs == 1 && !strcmp(l->line[0], want), __FILE__,
		   __LINE__, "one BUG line \"%s\", got %u: \"%s\"", want,
		   l->bugs, l->line[0]);
}

static unsigned long flags_of(const char *name)
{
	struct kslab_cache *cache = kslab_cache_create(name, 64, NULL, 0);
	unsigned long flags = cache ? stats_of(cache).flags : ~0UL;

	kslab_cache_destroy(cache);
	return flags & (KSLAB_CONSISTENCY_CHECKS | KSLAB_RED_ZONE |
			KSLAB_POISON | KSLAB_STORE_USER);
}

#define FZPU	(KSLAB_CONSISTENCY_CHECKS | KSLAB_RED_ZONE | KSLAB_POISON | \
		 KSLAB_STORE_USER)

/* The slab_debug syntax: defaults, named caches, prefixes, bad letters. */
static void test_option_syntax(struct ktap_test *t)
{
	struct lines l;

	KTAP_EXPECT_EQ(t, kslab_debug_configure("FZPU"), 0);
	KTAP_EXPECT_EQ(t, flags_of("t-any"), FZPU);
	KTAP_EXPECT_EQ(t, kslab_debug_configure("Z,t-a,t-b*"), 0);
	KTAP_EXPECT_EQ(t, flags_of("t-a"), KSLAB_RED_ZONE);
	KTAP_EXPECT_EQ(t, flags_of("t-bcd"), KSLAB_RED_ZONE);
	KTAP_EXPECT_EQ(t, flags_of("t-ab"), 0);
	KTAP_EXPECT_EQ(t, kslab_debug_configure("p;U,t-u"), 0);
	KTAP_EXPECT_EQ(t, flags_of("t-u"), KSLAB_STORE_USER);
	KTAP_EXPECT_EQ(t, flags_of("t-other"), KSLAB_POISON);
	KTAP_EXPECT_EQ(t, kslab_debug_configure(",t-all"), 0);
	KTAP_EXPECT_EQ(t, flags_of("t-all"), FZPU);
	KTAP_EXPECT_EQ(t, flags_of("t-none"), 0);
	KTAP_EXPECT_EQ(t, kslab_debug_configure("F"), 0);
	lines_start(&l);
	KTAP_EXPECT_EQ(t, kslab_debug_configure("FX,t-x"), -1);
	lines_stop();
	EXPECT_LINE(t, &l, "KSLAB_DEBUG=\"FX,t-x\": unknown flag 'X'");
	/* A bad option changes nothing: F still applies. */
	KTAP_EXPECT_EQ(t, flags_of("t-x"), KSLAB_CONSISTENCY_CHECKS);
	KTAP_EXPECT_EQ(t, kslab_debug_configure("-"), 0);
	KTAP_EXPECT_EQ(t, flags_of("t-x"), 0);
	KTAP_EXPECT_EQ(t, kslab_debug_configure(NULL), 0);
	KTAP_EXPECT_EQ(t, flags_of("t-any"), 0);
}

/* Ordinary use of a fully debugged cache: no report, contents kept. */
static void test_clean_use(struct ktap_test *t)
{
	struct kslab_cache *cache = debug_cache(t, "FZPU", "t-clean", 40);
	unsigned long before = kslab_report_count();
	unsigned char *objs[300];
	unsigned int i, j;
	size_t bad = 0;

	if (!cache)
		return;
	KTAP_EXPECT(t, stats_of(cache).size > 40);
	for (i = 0; i < 300; i++) {
		objs[i] = kslab_cache_alloc(cache, i % 2 ? GFP_KERNEL :
					    GFP_KERNEL | __GFP_ZERO);
		if (!KTAP_EXPECT(t, objs[i] != NULL))
			return;
		for (j = 0; !(i % 2) && j < 40; j++)
			bad += objs[i][j] != 0;
		pattern(objs[i], 40, i, false);
	}
	for (i = 0; i < 300; i++) {
		bad += pattern(objs[i], 40, i, true);
		kslab_cache_free(cache, objs[i]);
	}
	KTAP_EXPECT_EQ(t, bad, 0);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	KTAP_EXPECT_EQ(t, kslab_report_count(), before);
	kslab_cache_destroy(cache);
	KTAP_EXPECT_EQ(t, kslab_report_count(), before);
}

/* F: a second free is reported with both tracks and changes nothing. */
static void test_double_free(struct ktap_test *t)
{
	struct kslab_cache *cache = debug_cache(t, "FU", "t-dfree", 64);
	char tid[32];
	struct lines l;
	void *obj;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	kslab_cache_free(cache, obj);
	lines_start(&l);
	kslab_cache_free(cache, obj);
	lines_stop();
	expect_bug_line(t, &l, "t-dfree", "double free", obj, 0);
	EXPECT_LINE(t, &l, "  allocated by ");
	EXPECT_LINE(t, &l, "  freed by ");
	snprintf(tid, sizeof(tid), "thread %d", kslab_env_thread_id());
	EXPECT_LINE(t, &l, tid);
	EXPECT_LINE(t, &l, "  free ignored");
	KTAP_EXPECT_EQ(t, stats_of(cache).bad_frees, 1);
	/* Freed once: held back (KSLAB_QUARANTINE), and nothing else out. */
	KTAP_EXPECT_EQ(t, stats_of(cache).active_objs, 1);
	KTAP_EXPECT_EQ(t, stats_of(cache).delayed_objs, 1);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	kslab_cache_destroy(cache);
}

/*
 * The object kslab refused is out of use for good: the next allocations
 * never return it, the checker is content, destroy gives everything back.
 */
static void expect_quarantined(struct ktap_test *t, struct kslab_cache *cache,
			       void *bad)
{
	unsigned long pages = buddy_used_pages();
	void *objs[8];
	unsigned int i, seen = 0;

	KTAP_EXPECT_EQ(t, stats_of(cache).quarantined, 1);
	for (i = 0; i < 8; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		seen += objs[i] == bad;
	}
	KTAP_EXPECT_EQ(t, seen, 0);
	for (i = 0; i < 8; i++)
		kslab_cache_free(cache, objs[i]);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	kslab_cache_destroy(cache);
	KTAP_EXPECT(t, buddy_used_pages() <= pages);
}

/*
 * P: a write after free is found when the object leaves the quarantine,
 * and meanwhile the next allocation gets another object.
 */
static void test_use_after_free(struct ktap_test *t)
{
	struct kslab_cache *cache = debug_cache(t, "PU", "t-uaf", 64);
	unsigned char *obj, *next;
	struct lines l;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	kslab_cache_free(cache, obj);
	scribble(obj, 5, 0x41);
	/* The freed object is held back: the next allocation is another. */
	lines_start(&l);
	next = kslab_cache_alloc(cache, GFP_KERNEL);
	lines_stop();
	KTAP_EXPECT_EQ(t, l.nr, 0);
	KTAP_EXPECT(t, next && next != obj);
	kslab_cache_free(cache, next);
	/* Its poison is checked as it leaves: here, shrink lets all go. */
	lines_start(&l);
	kslab_cache_shrink(cache);
	lines_stop();
	expect_bug_line(t, &l, "t-uaf", "poison overwritten (use after free)",
			obj, 5);
	EXPECT_LINE(t, &l, "  bytes at offset 5: 41 6b 6b");
	EXPECT_LINE(t, &l, "(expected 6b)");
	EXPECT_LINE(t, &l, "  freed by ");
	EXPECT_LINE(t, &l, "  object quarantined");
	expect_quarantined(t, cache, obj);
}

/* Z: writes just past the end and just before the start, found on free. */
static void test_red_zones(struct ktap_test *t)
{
	static const struct {
		long offset;
		const char *what;
	} cases[] = {
		{ 24, "red zone after the object overwritten (overflow)" },
		{ -1, "red zone before the object overwritten (underflow)" },
	};
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(cases); i++) {
		struct kslab_cache *cache = debug_cache(t, "FZ", "t-redzone", 24);
		unsigned char *obj;
		struct lines l;

		if (!cache)
			return;
		obj = kslab_cache_alloc(cache, GFP_KERNEL);
		scribble(obj, cases[i].offset, 0x58);
		lines_start(&l);
		kslab_cache_free(cache, obj);
		lines_stop();
		expect_bug_line(t, &l, "t-redzone", cases[i].what, obj,
				cases[i].offset);
		EXPECT_LINE(t, &l, "(expected cc)");
		EXPECT_LINE(t, &l, ": 58");
		EXPECT_LINE(t, &l, "  object quarantined");
		expect_quarantined(t, cache, obj);
	}
}

/* U: a destroy with objects out names each one and where it was made. */
static void test_leak_at_destroy(struct ktap_test *t)
{
	struct kslab_cache *cache = debug_cache(t, "U", "t-leak", 32);
	struct lines l;
	void *a, *b;

	if (!cache)
		return;
	a = kslab_cache_alloc(cache, GFP_KERNEL);
	b = kslab_cache_alloc(cache, GFP_KERNEL);
	lines_start(&l);
	kslab_cache_destroy(cache);
	lines_stop();
	KTAP_EXPECT_EQ(t, l.bugs, 3);
	EXPECT_LINE(t, &l, "BUG t-leak: destroyed with objects still allocated: 2");
	EXPECT_LINE(t, &l, "leaked: still allocated at destroy");
	EXPECT_LINE(t, &l, "  allocated by ");
	kslab_cache_free(cache, a);
	kslab_cache_free(cache, b);
	lines_start(&l);
	kslab_cache_destroy(cache);
	lines_stop();
	KTAP_EXPECT_EQ(t, l.nr, 0);
}

/* The checker and shrink find a write to a free object on their own. */
static void test_check_and_shrink_find_damage(struct ktap_test *t)
{
	struct kslab_cache *cache = debug_cache(t, "P", "t-scan", 48);
	unsigned char *obj;
	struct lines l;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	kslab_cache_free(cache, obj);
	scribble(obj, 47, 0);
	lines_start(&l);
	KTAP_EXPECT(t, kslab_cache_check(cache) >= 1);
	lines_stop();
	EXPECT_LINE(t, &l, "poison overwritten (use after free)");
	EXPECT_LINE(t, &l, "(expected a5)");
	EXPECT_LINE(t, &l, "  found by a check");
	lines_start(&l);
	kslab_cache_shrink(cache);
	lines_stop();
	EXPECT_LINE(t, &l, "BUG t-scan: poison overwritten (use after free)");
	/* The damaged object is kept out of use, and its slab with it. */
	KTAP_EXPECT_EQ(t, stats_of(cache).quarantined, 1);
	KTAP_EXPECT_EQ(t, stats_of(cache).num_slabs, 1);
	kslab_cache_destroy(cache);
}

static unsigned int ctor_runs;

static void stamp_ctor(void *obj)
{
	memset(obj, 0x77, 32);
	ctor_runs++;
}

/* A constructed cache keeps its objects' state: red zones, no poison. */
static void test_ctor_not_poisoned(struct ktap_test *t)
{
	struct kslab_cache_args args = { .ctor = stamp_ctor };
	struct kslab_cache *cache;
	unsigned char *obj;
	unsigned int i, wrong = 0;

	KTAP_EXPECT_EQ(t, kslab_debug_configure("FZPU"), 0);
	cache = kslab_cache_create("t-ctor", 32, &args, 0);
	kslab_debug_configure(NULL);
	if (!KTAP_EXPECT(t, cache != NULL))
		return;
	KTAP_EXPECT_EQ(t, stats_of(cache).flags & FZPU, FZPU & ~KSLAB_POISON);
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	kslab_cache_free(cache, obj);
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	for (i = 0; i < 32; i++)
		wrong += obj[i] != 0x77;
	KTAP_EXPECT_EQ(t, wrong, 0);
	KTAP_EXPECT(t, ctor_runs > 0);
	kslab_cache_free(cache, obj);
	kslab_cache_destroy(cache);
}

/*
 * The child: KSLAB_DEBUG comes from its environment. A use after free in
 * t-env, and a one-byte overflow of malloc(24), which lands in
 * kmalloc-32's red zone.
 */
static int child_main(void)
{
	struct kslab_cache *cache = kslab_cache_create("t-env", 64, NULL, 0);
	unsigned char *obj, *p;

	if (!cache)
		return 1;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	kslab_cache_free(cache, obj);
	scribble(obj, 0, 1);
	kslab_cache_free(cache, kslab_cache_alloc(cache, GFP_KERNEL));
	kslab_cache_shrink(cache);	/* the freed objects leave, checked */
	p = kslab_malloc(24);
	if (!p)
		return 1;
	scribble(p, 32, 1);
	kslab_free(p);
	printf("malloc after: %s\n", kslab_malloc(100) ? "ok" : "NULL");
	return 0;
}

static void run_child(struct ktap_test *t, const char *option,
		      struct capture *c)
{
	char **env, *var;

	env = env_with("KSLAB_DEBUG", option, &var);
	KTAP_ASSERT(t, env != NULL);
	KTAP_EXPECT(t, capture_self(c, CHILD_ARG, env));
	free(var);
	free(env);
	KTAP_EXPECT(t, WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0);
	KTAP_EXPECT(t, strstr(c->out, "malloc after: ok") != NULL);
}

/* KSLAB_DEBUG from the environment: named caches, kmalloc-*, bad syntax. */
static void test_environment(struct ktap_test *t)
{
	struct capture c;

	run_child(t, "P,t-env;FZU,kmalloc-*", &c);
	ktap_check(t, strstr(c.err, "kslab: BUG t-env: poison overwritten (use after free)") &&
		      strstr(c.err, "kslab: BUG kmalloc-32: red zone after the object overwritten (overflow)") &&
		      strstr(c.err, "offset=32") && strstr(c.err, "  allocated by "),
		   __FILE__, __LINE__, "child reported both bugs: %s", c.err);
	run_child(t, "PQ", &c);
	ktap_check(t, strstr(c.err, "KSLAB_DEBUG=\"PQ\": unknown flag 'Q'") &&
		      !strstr(c.err, "kslab: BUG"), __FILE__, __LINE__,
		   "bad option refused, nothing debugged: %s", c.err);
}

/*
 * A poisoned cache, KSLAB_QUARANTINE as the parent set it: free an
 * object, allocate QUARANTINE more, write through the stale pointer, then
 * free those QUARANTINE objects, the last of which pushes the first out.
 */
static int quarantine_child(void)
{
	struct kslab_cache *cache = kslab_cache_create("t-quar", 64, NULL, 0);
	unsigned char *obj, *objs[QUARANTINE];
	unsigned int i, reused = 0;

	if (!cache)
		return 1;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	kslab_cache_free(cache, obj);
	for (i = 0; i < QUARANTINE; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		reused += objs[i] == obj;
	}
	printf("reused %u\n", reused);
	if (!reused)
		scribble(obj, 3, 0x41);
	for (i = 0; i < QUARANTINE; i++)
		kslab_cache_free(cache, objs[i]);
	printf("check %lu\n", kslab_cache_check(cache));
	return 0;
}

static void run_quarantine_child(struct ktap_test *t, const char *size,
				 struct capture *c)
{
	char **env, *var;

	KTAP_ASSERT(t, !setenv("KSLAB_DEBUG", "P,t-quar", 1));
	env = env_with("KSLAB_QUARANTINE", size, &var);
	unsetenv("KSLAB_DEBUG");
	KTAP_ASSERT(t, env != NULL);
	KTAP_EXPECT(t, capture_self(c, QUARANTINE_ARG, env));
	free(var);
	free(env);
	KTAP_EXPECT(t, WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0);
}

/*
 * KSLAB_QUARANTINE: a freed object is not handed out again at once, so a
 * write through a stale pointer lands in freed memory, and is found when
 * the object leaves the FIFO; with 0, the next allocation gets the same
 * object back, where the write would be the new owner's.
 */
static void test_quarantine(struct ktap_test *t)
{
	struct capture c;

	run_quarantine_child(t, "4", &c);
	ktap_check(t, strstr(c.out, "reused 0\ncheck 0\n") &&
		      strstr(c.err, "kslab: BUG t-quar: poison overwritten (use after free)") &&
		      strstr(c.err, "offset=3") && strstr(c.err, "object quarantined"),
		   __FILE__, __LINE__, "quarantine 4: out \"%s\", err \"%s\"",
		   c.out, c.err);
	run_quarantine_child(t, "0", &c);
	ktap_check(t, strstr(c.out, "reused 1\ncheck 0\n") && !strstr(c.err, "BUG"),
		   __FILE__, __LINE__, "no quarantine: out \"%s\", err \"%s\"",
		   c.out, c.err);
	/* A bad value keeps the default, 128: the object is held back. */
	run_quarantine_child(t, "lots", &c);
	ktap_check(t, strstr(c.err, "KSLAB_QUARANTINE=\"lots\": bad value") &&
		      strstr(c.out, "reused 0"), __FILE__, __LINE__,
		   "bad value: out \"%s\", err \"%s\"", c.out, c.err);
}

/* The slabinfo tool's -v validates its demo's caches, debugged or not. */
static void test_slabinfo_validate(struct ktap_test *t)
{
	const char *argv[] = { NULL, "-v", "--demo", NULL };
	char dir[PATH_MAX], tool[PATH_MAX + 32];
	struct capture c;
	char **env, *var;

	KTAP_ASSERT(t, build_dir_of_self(dir, sizeof(dir)));
	snprintf(tool, sizeof(tool), "%s/tools/slabinfo", dir);
	argv[0] = tool;
	env = env_with("KSLAB_DEBUG", "FZPU", &var);
	KTAP_ASSERT(t, env != NULL);
	KTAP_EXPECT(t, capture_exec(&c, argv, env));
	free(var);
	free(env);
	KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	ktap_check(t, strstr(c.out, "validate: 0 problems") != NULL, __FILE__,
		   __LINE__, "slabinfo -v --demo: %s %s", c.out, c.err);
}

static const struct ktap_case debug_cases[] = {
	{ "option_syntax", test_option_syntax },
	{ "clean_use", test_clean_use },
	{ "double_free", test_double_free },
	{ "use_after_free", test_use_after_free },
	{ "red_zones", test_red_zones },
	{ "leak_at_destroy", test_leak_at_destroy },
	{ "check_and_shrink_find_damage", test_check_and_shrink_find_damage },
	{ "ctor_not_poisoned", test_ctor_not_poisoned },
	{ "environment", test_environment },
	{ "quarantine", test_quarantine },
	{ "slabinfo_validate", test_slabinfo_validate },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		KTAP_SUITE("debug", debug_cases),
	};

	if (argc > 1 && !strcmp(argv[1], CHILD_ARG))
		return child_main();
	if (argc > 1 && !strcmp(argv[1], QUARANTINE_ARG))
		return quarantine_child();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
