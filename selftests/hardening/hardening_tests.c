// SPDX-License-Identifier: GPL-2.0
/*
 * Heap corruption under the drop-in malloc (suite hardening): a small
 * program commits one bug of a class (a double free with other frees
 * between, a free of a stack address, of an address inside a block, of a
 * small bogus value, a realloc of one or of a freed block (to another
 * class, to its own, and to a class already made, which realloc's hit
 * would serve), a large block
 * freed twice, C23's free_sized and free_aligned_sized told a size or
 * alignment the block does not have, and the same through C++'s sized and
 * aligned delete),
 * run with build/libkslab-malloc.so preloaded, linked with
 * libkslab-malloc.a, and with the hardened build/libkslab-malloc-hardened.so
 * preloaded, which also catches a write into a block's canary and zeroes
 * freed blocks. By default kslab reports the bug and stops the
 * process (SIGABRT), as the C library's malloc does; with
 * KSLAB_ON_CORRUPTION=continue it reports, refuses the operation and the
 * program carries on, never handing one block out twice. Asking the size
 * of a freed or foreign block is reported and carries on in both. A clean
 * program sees neither. The library API keeps the kernel's way,
 * report and carry on, unless told to abort. Under KSLAB_DEBUG=FZPU the
 * bugs only debug mode catches (a large block's overflow, underflow,
 * use after free and double free; a small block written after its free)
 * are each reported with their sites and stop the program.
 *
 * Only in the plain build, as suite preload: an ASan build cannot preload
 * a malloc that is not ASan's. Needs gcc (scripts/install-deps.sh).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kslab/kmalloc.h>
#include <kslab/report.h>

#include "../ktap.h"
#include "../process.h"

static char build_dir[PATH_MAX];
static char work_dir[] = "/tmp/kslab-hardening-XXXXXX";

/* Each bug after "case", then "done": what a program that went on prints. */
static const char victim_source[] =
	"#include <dlfcn.h>\n#include <malloc.h>\n#include <stdio.h>\n"
	"#include <stdlib.h>\n#include <string.h>\n"
	"int main(int argc, char **argv)\n{\n"
	"\tconst char *bug = argc > 1 ? argv[1] : \"clean\";\n"
	"\tchar on_stack[64], *p = malloc(16), *q = malloc(16), *a, *b, *c;\n"
	"\tsetvbuf(stdout, NULL, _IONBF, 0);\n"
	"\tif (!strcmp(bug, \"double_free\")) {\n"
	"\t\tfree(p);\n\t\tfree(q);\n\t\tfree(p);\n"
	"\t\ta = malloc(16);\n\t\tb = malloc(16);\n\t\tc = malloc(16);\n"
	"\t\tprintf(\"%s\\n\", a != b && b != c && a != c ? \"distinct\" : \"twice\");\n"
	"\t} else if (!strcmp(bug, \"stack_free\")) {\n"
	"\t\tfree(on_stack + 16);\n"
	"\t} else if (!strcmp(bug, \"inside_free\")) {\n"
	"\t\tchar *r = malloc(100);\n\t\tfree(r + 16);\n"
	"\t} else if (!strcmp(bug, \"small_free\")) {\n"
	"\t\tfree((void *)8);\n"
	"\t} else if (!strcmp(bug, \"small_realloc\")) {\n"
	"\t\tprintf(\"%p\\n\", realloc((void *)16, 100));\n"
	"\t} else if (!strcmp(bug, \"freed_realloc\")) {\n"
	"\t\tfree(p);\n\t\tprintf(\"%p\\n\", realloc(p, 100));\n"
	"\t\tp = malloc(16);\n"
	"\t} else if (!strcmp(bug, \"freed_realloc_same_class\")) {\n"
	"\t\tfree(p);\n\t\tprintf(\"%p\\n\", realloc(p, 10));\n"
	"\t\tp = malloc(16);\n"
	"\t} else if (!strcmp(bug, \"freed_realloc_class_made\")) {\n"
	"\t\tfree(malloc(100));\n"
	"\t\tfree(p);\n\t\tprintf(\"%p\\n\", realloc(p, 100));\n"
	"\t\tp = malloc(16);\n"
	"\t} else if (!strcmp(bug, \"large_double_free\")) {\n"
	"\t\tchar *r = malloc(1 << 20);\n\t\tfree(r);\n\t\tfree(r);\n"
	"\t} else if (!strcmp(bug, \"size_of_freed\")) {\n"
	"\t\tfree(p);\n\t\tprintf(\"%zu\\n\", malloc_usable_size(p));\n"
	"\t\tp = malloc(16);\n"
	"\t} else if (!strcmp(bug, \"canary_overflow\")) {\n"
	"\t\tchar *r = malloc(24);\n\t\tmemset(r, 'x', 32);\n\t\tfree(r);\n"
	"\t} else if (!strcmp(bug, \"zero_on_free\")) {\n"
	"\t\tchar *r = malloc(64);\n"
	"\t\tstrcpy(r, \"a secret kept in the heap\");\n\t\tfree(r);\n"
	"\t\tprintf(\"%s\\n\", r[8] ? \"readable\" : \"zeroed\");\n"
	"\t} else if (!strcmp(bug, \"large_overflow\")) {\n"
	"\t\tchar *r = malloc(100000);\n\t\tr[100000] = 1;\n\t\tfree(r);\n"
	"\t} else if (!strcmp(bug, \"large_underflow\")) {\n"
	"\t\tchar *r = malloc(100000);\n"
	"\t\tr[-(long)((unsigned long)r % 4096) - 1] = 1;\n\t\tfree(r);\n"
	"\t} else if (!strcmp(bug, \"large_slack_underflow\")) {\n"
	"\t\tchar *r = malloc(100000);\n\t\tr[-1] = 1;\n\t\tfree(r);\n"
	"\t} else if (!strcmp(bug, \"large_write_after_free\")) {\n"
	"\t\tchar *r = malloc(100000);\n\t\tfree(r);\n\t\tr[10] = 1;\n"
	"\t} else if (!strcmp(bug, \"large_read_after_free\")) {\n"
	"\t\tchar *r = malloc(100000);\n\t\tfree(r);\n"
	"\t\tprintf(\"%d\\n\", r[10]);\n"
	"\t} else if (!strcmp(bug, \"small_write_after_free\")) {\n"
	"\t\tchar *r = malloc(100), *s;\n\t\tfree(r);\n\t\tr[10] = 1;\n"
	"\t\ts = malloc(100);\n"
	"\t\tprintf(\"%s\\n\", s == r ? \"same\" : \"other\");\n"
	"\t\tfor (int i = 0; i < 300; i++)\n\t\t\tfree(malloc(100));\n"
	"\t} else if (!strcmp(bug, \"size_of_foreign\")) {\n"
	"\t\tprintf(\"%zu\\n\", malloc_usable_size(on_stack));\n"
	/* C23's, which this C library lacks: found at run time. */
	"\t} else if (!strcmp(bug, \"free_sized\")) {\n"
	"\t\tvoid (*fs)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, \"free_sized\");\n"
	"\t\tfs(malloc(100), 100);\n\t\tfs(malloc(100), 5000);\n"
	"\t} else if (!strcmp(bug, \"free_aligned_sized\")) {\n"
	"\t\tvoid (*fas)(void *, size_t, size_t) = (void (*)(void *, size_t, size_t))dlsym(RTLD_DEFAULT, \"free_aligned_sized\");\n"
	"\t\tfas(aligned_alloc(256, 300), 256, 300);\n"
	"\t\tfas(malloc(100), 4096, 100);\n"
	"\t} else {\n"
	"\t\tfor (int i = 0; i < 10000; i++) {\n"
	"\t\t\tchar *r = malloc((size_t)i % 3000 + 1);\n"
	"\t\t\tr = realloc(r, (size_t)i % 5000 + 1 + (i % 100 ? 0 : 100000));\n"
	"\t\t\tmemset(r, 1, malloc_usable_size(r));\n\t\t\tfree(r);\n\t\t}\n"
	"\t\ta = aligned_alloc(65536, 200000);\n\t\ta[199999] = 1;\n"
	"\t\tif ((unsigned long)a % 65536)\n\t\t\tprintf(\"misaligned\\n\");\n"
	"\t\tfree(a);\n"
	"\t\tfree(p);\n\t\tfree(q);\n\t\tp = q = NULL;\n\t}\n"
	"\tprintf(\"done\\n\");\n"
	"\treturn 0;\n}\n";

/* The bugs that corrupt the heap, and what kslab's report says of each. */
static const struct corruption {
	const char *bug;
	const char *report;
} corruptions[] = {
	{ "double_free", "double free" },
	{ "stack_free", "not managed by kslab" },
	{ "inside_free", "inside an object" },
	{ "small_free", "free of address not managed by kslab" },
	{ "small_realloc", "realloc of address not managed by kslab" },
	{ "freed_realloc", "realloc of freed object" },
	/* realloc's hit (userspace/malloc.c) sees the tag too */
	{ "freed_realloc_same_class", "realloc of freed object" },
	{ "freed_realloc_class_made", "realloc of freed object" },
	{ "large_double_free", "double free" },
	{ "free_sized", "free_sized of object" },
	{ "free_aligned_sized", "free_aligned_sized of object" },
	{ "cxx_sized_delete", "free_sized of object" },
	{ "cxx_aligned_delete", "free_aligned_sized of object" },
};

/*
 * C++ through the drop-in malloc's operators: a clean run says "32" (a
 * 17-byte block on kslab), "aligned" and "done"; the bugs are a sized
 * delete with the wrong size and an aligned delete with the wrong
 * alignment. Run as ./victim-cxx-plain or -linked with "cxx_<bug>".
 */
static const char victim_cxx_source[] =
	"#include <cstdio>\n#include <cstring>\n#include <malloc.h>\n"
	"#include <new>\n#include <string>\n#include <vector>\n"
	"struct alignas(128) line { char c[200]; };\n"
	"int main(int argc, char **argv)\n{\n"
	"\tconst char *bug = argc > 1 ? argv[1] : \"cxx_clean\";\n"
	"\tsetvbuf(stdout, NULL, _IONBF, 0);\n"
	"\tif (!strcmp(bug, \"cxx_sized_delete\")) {\n"
	"\t\tvoid *p = ::operator new(100);\n"
	"\t\t::operator delete(p, (size_t)5000);\n"
	"\t} else if (!strcmp(bug, \"cxx_aligned_delete\")) {\n"
	"\t\tvoid *p = ::operator new(100);\n"
	"\t\t::operator delete(p, std::align_val_t(4096));\n"
	"\t} else {\n"
	"\t\tchar *a = new char[17];\n"
	"\t\tprintf(\"%zu\\n\", malloc_usable_size(a));\n"
	"\t\tdelete[] a;\n"
	"\t\tline *l = new line;\n"
	"\t\tprintf(\"%s\\n\", (unsigned long)l % 128 ? \"misaligned\" : \"aligned\");\n"
	"\t\tdelete l;\n"
	"\t\tint *n = new (std::nothrow) int[4];\n\t\tdelete[] n;\n"
	"\t\tstd::vector<std::string> v;\n"
	"\t\tfor (int i = 0; i < 10000; i++)\n"
	"\t\t\tv.push_back(std::string(i % 300, 'k'));\n"
	"\t}\n"
	"\tprintf(\"done\\n\");\n"
	"\treturn 0;\n}\n";

/*
 * The ways a program gets the drop-in malloc: preloaded, linked, and the
 * hardened one preloaded (build/libkslab-malloc-hardened.so).
 */
enum way { PRELOADED, LINKED, HARDENED };
static const char *const way_names[] = { "preloaded", "linked", "hardened" };

/* Run "sh -c @cmd" in work_dir. */
static bool run_shell(struct capture *c, const char *cmd)
{
	return capture_shell(c, work_dir, cmd, "KSLAB_UNUSED", "");
}

/*
 * Run the victim (the C++ one for a bug named cxx_*) with @bug, @way, and
 * @setting (may be "").
 */
static bool run_victim(struct capture *c, enum way way, const char *bug,
		       const char *setting)
{
	const char *victim = strncmp(bug, "cxx_", 4) ? "victim" : "victim-cxx";
	char cmd[3 * PATH_MAX];

	if (way != LINKED)
		snprintf(cmd, sizeof(cmd),
			 "%s LD_PRELOAD=%s/libkslab-malloc%s.so ./%s-plain %s",
			 setting, build_dir, way == HARDENED ? "-hardened" : "",
			 victim, bug);
	else
		snprintf(cmd, sizeof(cmd), "%s ./%s-linked %s", setting,
			 victim, bug);
	return run_shell(c, cmd);
}

/* Stopped by abort(): directly, or as the shell's status for it. */
static bool aborted(const struct capture *c)
{
	return (WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGABRT) ||
	       (WIFEXITED(c->status) &&
		WEXITSTATUS(c->status) == 128 + SIGABRT);
}

static bool exited_ok(const struct capture *c)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

/*
 * The victims, plain (for LD_PRELOAD) and linked with libkslab-malloc.a
 * (-rdynamic: dlsym() finds its free_sized).
 */
static void test_build_victim(struct ktap_test *t)
{
	char cmd[4 * PATH_MAX];
	struct capture c;

	KTAP_ASSERT(t, write_file_in(work_dir, "victim.c", victim_source,
				      sizeof(victim_source) - 1));
	KTAP_ASSERT(t, write_file_in(work_dir, "victim.cc", victim_cxx_source,
				      sizeof(victim_cxx_source) - 1));
	snprintf(cmd, sizeof(cmd),
		 "gcc -o victim-plain victim.c && "
		 "gcc -rdynamic -o victim-linked victim.c %s/libkslab-malloc.a -pthread && "
		 "g++ -std=c++17 -o victim-cxx-plain victim.cc && "
		 "g++ -std=c++17 -o victim-cxx-linked victim.cc %s/libkslab-malloc.a -pthread",
		 build_dir, build_dir);
	KTAP_ASSERT(t, run_shell(&c, cmd));
	ktap_check(t, exited_ok(&c), __FILE__, __LINE__, "gcc: %s", c.err);
}

/*
 * Clean programs, in C and C++: no report, a normal exit, both ways; the
 * C++ one's new and delete are kslab's (a 17-byte block holds 32 bytes)
 * and honour alignment.
 */
static void test_clean(struct ktap_test *t)
{
	struct capture c;
	enum way way;

	for (way = PRELOADED; way <= LINKED; way++) {
		KTAP_ASSERT(t, run_victim(&c, way, "clean", ""));
		ktap_check(t, exited_ok(&c) && !strcmp(c.out, "done\n") &&
			      !strstr(c.err, "kslab"), __FILE__, __LINE__,
			   "%s: status %#x, out \"%s\", err \"%s\"",
			   way_names[way], c.status, c.out, c.err);
		KTAP_ASSERT(t, run_victim(&c, way, "cxx_clean", ""));
		ktap_check(t, exited_ok(&c) &&
			      !strcmp(c.out, "32\naligned\ndone\n") &&
			      !strstr(c.err, "kslab"), __FILE__, __LINE__,
			   "C++ %s: status %#x, out \"%s\", err \"%s\"",
			   way_names[way], c.status, c.out, c.err);
	}
}

/*
 * Each corruption, each way, under @setting: reported, and then the
 * process stopped (@stops) or refused the operation and went on, never
 * handing a block freed twice out twice.
 */
static void check_corruptions(struct ktap_test *t, const char *setting,
			      bool stops)
{
	const struct corruption *bug;
	struct capture c;
	enum way way;
	bool ok;

	for (bug = corruptions; bug < corruptions + KSLAB_ARRAY_SIZE(corruptions); bug++) {
		for (way = PRELOADED; way <= HARDENED; way++) {
			KTAP_ASSERT(t, run_victim(&c, way, bug->bug, setting));
			if (stops)
				ok = aborted(&c) && strstr(c.err, "stopping") &&
				     !strstr(c.out, "done");
			else
				ok = exited_ok(&c) && !strstr(c.err, "stopping") &&
				     strstr(c.out, "done") && !strstr(c.out, "twice");
			ktap_check(t, ok && strstr(c.err, bug->report), __FILE__,
				   __LINE__, "%s %s: status %#x, out \"%s\", err \"%s\"",
				   bug->bug, way_names[way], c.status, c.out,
				   c.err);
		}
	}
}

/* By default the drop-in malloc stops at heap corruption. */
static void test_corruption_aborts(struct ktap_test *t)
{
	check_corruptions(t, "", true);
}

/* KSLAB_ON_CORRUPTION=continue: reported and refused; the program goes on. */
static void test_corruption_continues(struct ktap_test *t)
{
	check_corruptions(t, "KSLAB_ON_CORRUPTION=continue", false);
}

/* The size of a freed or foreign block: 0, reported, and no stop. */
static void test_size_reported(struct ktap_test *t)
{
	static const char *const bugs[] = { "size_of_freed", "size_of_foreign" };
	static const char *const reports[] = { "malloc_usable_size of freed",
					       "malloc_usable_size of address" };
	struct capture c;
	unsigned int i;
	enum way way;

	for (i = 0; i < 2; i++) {
		for (way = PRELOADED; way <= LINKED; way++) {
			KTAP_ASSERT(t, run_victim(&c, way, bugs[i], ""));
			ktap_check(t, exited_ok(&c) && !strcmp(c.out, "0\ndone\n") &&
				      strstr(c.err, reports[i]), __FILE__, __LINE__,
				   "%s %s: status %#x, out \"%s\", err \"%s\"",
				   bugs[i], way_names[way], c.status, c.out,
				   c.err);
		}
	}
	/* A bad setting is reported, and kslab carries on. */
	KTAP_ASSERT(t, run_victim(&c, PRELOADED, "double_free",
				  "KSLAB_ON_CORRUPTION=bogus"));
	ktap_check(t, exited_ok(&c) && strstr(c.err, "bad value"), __FILE__,
		   __LINE__, "a bad setting: status %#x, err \"%s\"",
		   c.status, c.err);
}

/*
 * The hardened malloc: a clean program runs clean; a write past a
 * block's usable bytes into its canary is caught on free (by default it
 * lands in the class's slack, unseen); a freed block is zeroed.
 */
static void test_hardened_mode(struct ktap_test *t)
{
	struct capture c;

	KTAP_ASSERT(t, run_victim(&c, HARDENED, "clean", ""));
	ktap_check(t, exited_ok(&c) && !strcmp(c.out, "done\n") &&
		      !strstr(c.err, "kslab"), __FILE__, __LINE__,
		   "clean: status %#x, out \"%s\", err \"%s\"", c.status,
		   c.out, c.err);
	KTAP_ASSERT(t, run_victim(&c, HARDENED, "canary_overflow", ""));
	ktap_check(t, aborted(&c) &&
		      strstr(c.err, "canary after the block overwritten (overflow)") &&
		      strstr(c.err, "offset=24"), __FILE__, __LINE__,
		   "canary: status %#x, out \"%s\", err \"%s\"", c.status,
		   c.out, c.err);
	KTAP_ASSERT(t, run_victim(&c, PRELOADED, "canary_overflow", ""));
	ktap_check(t, exited_ok(&c) && !strstr(c.err, "kslab"), __FILE__,
		   __LINE__, "default: status %#x, err \"%s\"", c.status, c.err);
	KTAP_ASSERT(t, run_victim(&c, HARDENED, "zero_on_free", ""));
	ktap_check(t, exited_ok(&c) && !strcmp(c.out, "zeroed\ndone\n"),
		   __FILE__, __LINE__, "zeroed: status %#x, out \"%s\"",
		   c.status, c.out);
	KTAP_ASSERT(t, run_victim(&c, PRELOADED, "zero_on_free", ""));
	ktap_check(t, exited_ok(&c) && !strcmp(c.out, "readable\ndone\n"),
		   __FILE__, __LINE__, "default: status %#x, out \"%s\"",
		   c.status, c.out);
}

/* The bugs only debug mode catches, and what its report says of each. */
static const struct corruption debug_bugs[] = {
	{ "large_overflow", "overflow: access at" },
	{ "large_underflow", "underflow: access at" },
	{ "large_slack_underflow", "slack before the block overwritten (underflow)" },
	{ "large_write_after_free", "use after free: access at" },
	{ "large_read_after_free", "use after free: access at" },
	{ "large_double_free", "free of freed block" },
	{ "small_write_after_free", "poison overwritten (use after free)" },
};

/*
 * Debug mode (KSLAB_DEBUG=FZPU), both ways: a clean program runs clean;
 * each bug is reported with the block's allocation site, and its free
 * site once freed, and stops the program. A fault cannot be carried
 * out, so a fault on a guard or freed block stops it even under
 * KSLAB_ON_CORRUPTION=continue; a bug found by a check carries on there.
 * The quarantine keeps a small block just freed from coming back at
 * once.
 */
static void test_debug_mode(struct ktap_test *t)
{
	const char *debug = "KSLAB_DEBUG=FZPU";
	const struct corruption *bug;
	struct capture c;
	enum way way;

	for (way = PRELOADED; way <= LINKED; way++) {
		KTAP_ASSERT(t, run_victim(&c, way, "clean", debug));
		ktap_check(t, exited_ok(&c) && !strcmp(c.out, "done\n") &&
			      !strstr(c.err, "kslab"), __FILE__, __LINE__,
			   "clean %s: status %#x, out \"%s\", err \"%s\"",
			   way_names[way], c.status, c.out, c.err);
		for (bug = debug_bugs; bug < debug_bugs + KSLAB_ARRAY_SIZE(debug_bugs); bug++) {
			KTAP_ASSERT(t, run_victim(&c, way, bug->bug, debug));
			ktap_check(t, aborted(&c) && !strstr(c.out, "done") &&
				      !strstr(c.out, "same") &&
				      strstr(c.err, bug->report) &&
				      strstr(c.err, "allocated by") &&
				      (!strstr(bug->bug, "after_free") ||
				       strstr(c.err, "freed by")) &&
				      strstr(c.err, "stopping"), __FILE__, __LINE__,
				   "%s %s: status %#x, out \"%s\", err \"%s\"",
				   bug->bug, way_names[way], c.status, c.out,
				   c.err);
		}
	}
	KTAP_ASSERT(t, run_victim(&c, PRELOADED, "large_write_after_free",
				  "KSLAB_ON_CORRUPTION=continue KSLAB_DEBUG=FZPU"));
	ktap_check(t, aborted(&c) && strstr(c.err, "use after free"), __FILE__,
		   __LINE__, "fault, continue: status %#x, err \"%s\"",
		   c.status, c.err);
	KTAP_ASSERT(t, run_victim(&c, PRELOADED, "large_slack_underflow",
				  "KSLAB_ON_CORRUPTION=continue KSLAB_DEBUG=FZPU"));
	ktap_check(t, exited_ok(&c) && strstr(c.out, "done") &&
		      strstr(c.err, "underflow"), __FILE__, __LINE__,
		   "check, continue: status %#x, err \"%s\"", c.status, c.err);
}

static void bad_kfree(void *arg)
{
	unsigned long on_stack[4] = { 0 };

	(void)arg;
	kslab_kfree(on_stack);
	printf("carried on\n");
}

static void bad_kfree_abort(void *arg)
{
	kslab_set_corruption_action(KSLAB_CORRUPTION_ABORT);
	bad_kfree(arg);
}

/*
 * The library API: report and carry on by default, even under the
 * setting's default for the malloc; abort when told to.
 */
static void test_library_default(struct ktap_test *t)
{
	struct capture c;

	KTAP_EXPECT_EQ(t, kslab_corruption_action(), KSLAB_CORRUPTION_CONTINUE);
	KTAP_ASSERT(t, capture_fork(&c, bad_kfree, NULL));
	ktap_check(t, exited_ok(&c) && !strcmp(c.out, "carried on\n") &&
		      strstr(c.err, "not managed by kslab"), __FILE__, __LINE__,
		   "default: status %#x, out \"%s\", err \"%s\"", c.status,
		   c.out, c.err);
	KTAP_ASSERT(t, capture_fork(&c, bad_kfree_abort, NULL));
	ktap_check(t, aborted(&c) && !strstr(c.out, "carried on") &&
		      strstr(c.err, "stopping"), __FILE__, __LINE__,
		   "abort: status %#x, out \"%s\", err \"%s\"", c.status,
		   c.out, c.err);
}

static const struct ktap_case hardening_cases[] = {
	{ "build_victim", test_build_victim },
	{ "clean", test_clean },
	{ "corruption_aborts", test_corruption_aborts },
	{ "corruption_continues", test_corruption_continues },
	{ "size_reported", test_size_reported },
	{ "hardened_mode", test_hardened_mode },
	{ "debug_mode", test_debug_mode },
	{ "library_default", test_library_default },
};

int main(void)
{
	const struct ktap_suite suites[] = {
		KTAP_SUITE("hardening", hardening_cases),
	};
	int rc;

	if (!build_dir_of_self(build_dir, sizeof(build_dir)) ||
	    !work_dir_make(work_dir)) {
		fprintf(stderr, "hardening: no build folder or no work folder: %s\n",
			strerror(errno));
		return 1;
	}
	rc = ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
	work_dir_remove(work_dir);
	return rc;
}
