// SPDX-License-Identifier: GPL-2.0
/*
 * Real programs on kslab's malloc (suite preload): python3, gcc, sort
 * (also with threads) and a threaded python that forks, each run with
 * build/libkslab-malloc.so preloaded and again without; their outputs
 * must match and kslab must say nothing. A fingerprint shows kslab really
 * served them (a 17-byte block is 32 usable bytes on kslab, 24 on glibc),
 * and small programs linked with libkslab-malloc.a and .so get kslab too.
 * With KSLAB_FAIL set, a preloaded program's mallocs fail as it says,
 * each with errno ENOMEM, and the program carries on. glibc's
 * introspection calls (mallinfo2, malloc_trim, malloc_stats,
 * malloc_info) report kslab's memory.
 *
 * Only in the plain build: an ASan build cannot preload a library whose
 * malloc is not ASan's. Needs python3 and gcc (scripts/install-deps.sh
 * installs them); a missing one fails its test, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ktap.h"
#include "../process.h"

#define SORT_LINES	400000	/* about 8 MB */

static char build_dir[PATH_MAX];
static char malloc_so[PATH_MAX + 32];
static char work_dir[] = "/tmp/kslab-preload-XXXXXX";

/* The absolute path of @name found on PATH, or NULL. */
static const char *find_program(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char dirs[4096], *dir, *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, size, "%s/%s", dir, name);
		if (!access(buf, X_OK))
			return buf;
	}
	return NULL;
}

/* Run "sh -c @cmd" in @work_dir, with kslab preloaded if @preload. */
static bool run_shell(struct capture *c, const char *cmd, bool preload)
{
	return capture_shell(c, work_dir, cmd,
			     preload ? "LD_PRELOAD" : "KSLAB_UNUSED",
			     preload ? malloc_so : "");
}

static bool exited_ok(const struct capture *c)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

/*
 * Write @name.c in the work folder and build the program @name from it,
 * its functions exported, so that a function it defines also takes the
 * preloaded library's calls (test_first_malloc_prints_nothing).
 */
static bool build_c(struct capture *c, const char *name, const char *source,
		    size_t len)
{
	char file[64], cmd[160];

	snprintf(file, sizeof(file), "%s.c", name);
	snprintf(cmd, sizeof(cmd), "gcc -rdynamic -o %s %s", name, file);
	return write_file_in(work_dir, file, source, len) &&
	       run_shell(c, cmd, false) && exited_ok(c);
}

/* The whole of file @name in @work_dir, malloc'ed; *@len set. */
static char *slurp(const char *name, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", work_dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st))
		buf = malloc((size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = buf ? (size_t)st.st_size : 0;
	return buf;
}

/* Two files of @work_dir are the same bytes, and not empty. */
static bool same_files(const char *a, const char *b)
{
	size_t la, lb;
	char *x = slurp(a, &la), *y = slurp(b, &lb);
	bool same = x && y && la && la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

/*
 * Run @program's command @cmd twice, its output to a file: plainly, and
 * with kslab preloaded. Both succeed, kslab reports nothing, and the two
 * files are the same.
 */
static void expect_same_run(struct ktap_test *t, const char *program,
			    const char *cmd)
{
	char glibc_cmd[4096], kslab_cmd[4096], where[PATH_MAX];
	struct capture c;

	if (!find_program(program, where, sizeof(where))) {
		ktap_check(t, false, __FILE__, __LINE__,
			   "%s is not installed (scripts/install-deps.sh installs it)",
			   program);
		return;
	}
	snprintf(glibc_cmd, sizeof(glibc_cmd), "%s > out.glibc", cmd);
	snprintf(kslab_cmd, sizeof(kslab_cmd), "%s > out.kslab", cmd);
	KTAP_ASSERT(t, run_shell(&c, glibc_cmd, false));
	KTAP_EXPECT(t, exited_ok(&c));
	KTAP_ASSERT(t, run_shell(&c, kslab_cmd, true));
	if (!KTAP_EXPECT(t, exited_ok(&c)))
		ktap_diag("%s under kslab: status %#x, stderr: %.300s", program,
			  c.status, c.err);
	ktap_check(t, !strstr(c.err, "kslab: "), __FILE__, __LINE__,
		   "kslab said nothing: %.300s", c.err);
	ktap_check(t, same_files("out.glibc", "out.kslab"), __FILE__, __LINE__,
		   "%s wrote the same with glibc and with kslab", program);
}

#define FINGERPRINT_PY \
	"python3 -c 'import ctypes; c = ctypes.CDLL(None); " \
	"c.malloc.restype = ctypes.c_void_p; " \
	"c.malloc_usable_size.argtypes = [ctypes.c_void_p]; " \
	"print(c.malloc_usable_size(c.malloc(17)))'"

/* kslab really serves a preloaded program, and glibc the other run. */
static void test_fingerprint(struct ktap_test *t)
{
	struct capture c;

	KTAP_ASSERT(t, run_shell(&c, FINGERPRINT_PY, false));
	KTAP_EXPECT(t, exited_ok(&c) && !strcmp(c.out, "24\n"));
	KTAP_ASSERT(t, run_shell(&c, FINGERPRINT_PY, true));
	KTAP_EXPECT(t, exited_ok(&c));
	ktap_check(t, !strcmp(c.out, "32\n"), __FILE__, __LINE__,
		   "a 17-byte block has 32 usable bytes on kslab: \"%s\" %s",
		   c.out, c.err);
}

static const char python_script[] =
	"import hashlib, json, re, collections\n"
	"words = [('w%d' % (i * 7919 % 100003)) * (1 + i % 5) for i in range(200000)]\n"
	"counts = collections.Counter(w[:4] for w in words)\n"
	"tree = {i: {'k': str(i), 'v': [i] * (i % 17)} for i in range(50000)}\n"
	"blob = json.dumps(tree, sort_keys=True)\n"
	"back = json.loads(blob)\n"
	"found = len(re.findall(r'w1[0-9]+', ' '.join(words[:50000])))\n"
	"big = 1\n"
	"for i in range(1, 1000): big *= i\n"
	"h = hashlib.sha256(blob.encode() + str(big).encode()).hexdigest()\n"
	"print(len(words), counts.most_common(3), len(back), found, h)\n"
	"print(sorted(words)[:5], sorted(set(words))[-3:])\n";

/* Write @script to @name and run it with python3, as expect_same_run(). */
static void expect_same_python(struct ktap_test *t, const char *name,
			       const char *script, size_t len)
{
	char cmd[128];

	KTAP_ASSERT(t, write_file_in(work_dir, name, script, len));
	snprintf(cmd, sizeof(cmd), "python3 %s", name);
	expect_same_run(t, "python3", cmd);
}

static void test_python(struct ktap_test *t)
{
	expect_same_python(t, "script.py", python_script,
			   sizeof(python_script) - 1);
}

static const char c_source[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
	"struct node { struct node *next; char name[32]; int depth; };\n"
	"static struct node *push(struct node *head, const char *s, int d)\n"
	"{\n\tstruct node *n = malloc(sizeof(*n));\n\tif (!n) exit(1);\n"
	"\tsnprintf(n->name, sizeof(n->name), \"%s-%d\", s, d);\n"
	"\tn->depth = d; n->next = head; return n;\n}\n"
	"#define F(x) static int f##x(int a) { return a * x + (a >> (x % 7)); }\n"
	"F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12)\n"
	"int main(int argc, char **argv)\n{\n\tstruct node *h = NULL;\n"
	"\tint i, s = 0;\n\tfor (i = 0; i < argc * 1000; i++) {\n"
	"\t\th = push(h, argv[0], i);\n"
	"\t\ts += f1(i) ^ f2(s) ^ f3(i) ^ f4(s) ^ f5(i) ^ f6(s);\n"
	"\t\ts += f7(i) ^ f8(s) ^ f9(i) ^ f10(s) ^ f11(i) ^ f12(s);\n\t}\n"
	"\tprintf(\"%d %s\\n\", s, h->name);\n\treturn 0;\n}\n";

/* gcc compiles the same object file on both allocators. */
static void test_gcc(struct ktap_test *t)
{
	KTAP_ASSERT(t, write_file_in(work_dir, "prog.c", c_source,
				      sizeof(c_source) - 1));
	expect_same_run(t, "gcc", "gcc -O2 -g -c -o /dev/stdout prog.c");
}

/* A file of SORT_LINES pseudo-random lines of varied length. */
static bool write_sort_input(void)
{
	char path[PATH_MAX];
	unsigned long long x = 0x243f6a8885a308d3ULL;
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/lines.txt", work_dir);
	f = fopen(path, "w");
	if (!f)
		return false;
	for (i = 0; i < SORT_LINES; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fprintf(f, "%llx %.*s\n", x % 1000003, (int)(x % 20),
			"abcdefghijklmnopqrstuvwxyz");
	}
	return !fclose(f);
}

static void test_sort(struct ktap_test *t)
{
	KTAP_ASSERT(t, write_sort_input());
	expect_same_run(t, "sort", "LC_ALL=C sort lines.txt");
}

/* GNU sort sorts with several threads when asked. */
static void test_sort_threads(struct ktap_test *t)
{
	expect_same_run(t, "sort",
			"LC_ALL=C sort --parallel=4 -S 64M -k 2 lines.txt");
}

static const char python_threads_script[] =
	"import os, threading\n"
	"out = [None] * 4\n"
	"def work(k):\n"
	"    d = {}\n"
	"    for i in range(100000):\n"
	"        d[(k, i)] = [i] * (i % 9)\n"
	"        if i % 3 == 0: del d[(k, i)]\n"
	"    out[k] = sum(len(v) for v in d.values())\n"
	"ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]\n"
	"for t in ts: t.start()\n"
	"pid = os.fork()\n"
	"if pid == 0:\n"
	"    x = [bytes(i % 500) for i in range(100000)]\n"
	"    os._exit(0 if sum(map(len, x)) > 0 else 1)\n"
	"_, status = os.waitpid(pid, 0)\n"
	"for t in ts: t.join()\n"
	"print(out, os.waitstatus_to_exitcode(status))\n";

/* Threads allocating while the program forks; the child allocates too. */
static void test_python_threads_fork(struct ktap_test *t)
{
	expect_same_python(t, "threads.py", python_threads_script,
			   sizeof(python_threads_script) - 1);
}

static const char linked_source[] =
	"#include <malloc.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
	"int main(void)\n{\n\tvoid *p = malloc(17);\n"
	"\tprintf(\"%zu\\n\", malloc_usable_size(p));\n\tfree(p);\n"
	"\treturn 0;\n}\n";

/* A program linked with libkslab-malloc, static or shared, gets kslab. */
static void test_linked(struct ktap_test *t)
{
	char cmd[2 * PATH_MAX + 256];
	struct capture c;

	KTAP_ASSERT(t, write_file_in(work_dir, "linked.c", linked_source,
				  sizeof(linked_source) - 1));
	snprintf(cmd, sizeof(cmd),
		 "gcc -o linked-static linked.c %s/libkslab-malloc.a -pthread && ./linked-static",
		 build_dir);
	KTAP_ASSERT(t, run_shell(&c, cmd, false));
	KTAP_EXPECT(t, exited_ok(&c));
	ktap_check(t, !strcmp(c.out, "32\n"), __FILE__, __LINE__,
		   "static link: \"%s\" %s", c.out, c.err);
	snprintf(cmd, sizeof(cmd),
		 "gcc -o linked-shared linked.c -L%s -lkslab-malloc -Wl,-rpath,%s && ./linked-shared",
		 build_dir, build_dir);
	KTAP_ASSERT(t, run_shell(&c, cmd, false));
	KTAP_EXPECT(t, exited_ok(&c));
	ktap_check(t, !strcmp(c.out, "32\n"), __FILE__, __LINE__,
		   "shared link: \"%s\" %s", c.out, c.err);
}

/*
 * Write @file in the work folder from @source and run @build there: the
 * programs of the hang tests below. @build is a format given, in order,
 * KSLAB_INCLUDE_DIR, build_dir and build_dir again (for -L and the rpath).
 */
static bool build_program(struct ktap_test *t, const char *file,
			  const char *source, size_t len, const char *build)
{
	char cmd[3 * PATH_MAX + 512];
	struct capture c;

	snprintf(cmd, sizeof(cmd), build, KSLAB_INCLUDE_DIR, build_dir, build_dir);
	return KTAP_EXPECT(t, write_file_in(work_dir, file, source, len)) &&
	       KTAP_EXPECT(t, run_shell(&c, cmd, false)) &&
	       KTAP_EXPECT(t, exited_ok(&c));
}

/*
 * Run "./@prog @arg" under timeout (a hang is what these tests look for),
 * preloaded or not; its output must be @want.
 */
static void expect_finishes(struct ktap_test *t, const char *prog,
			    const char *arg, bool preload, const char *want)
{
	char cmd[256];
	struct capture c;

	snprintf(cmd, sizeof(cmd), "timeout 30 ./%s %s", prog, arg);
	if (!KTAP_EXPECT(t, run_shell(&c, cmd, preload)))
		return;
	ktap_check(t, exited_ok(&c) && !strcmp(c.out, want), __FILE__, __LINE__,
		   "%s%s: \"%s\" %s", cmd, preload ? " (preloaded)" : "",
		   c.out, c.err);
}

/*
 * A program on the drop-in malloc and kslab's API at once: a cache with an
 * object freed by kslab_cache_free_rcu(), or a TYPESAFE_BY_RCU cache,
 * destroyed, the destroy's grace periods the program's first use of RCU.
 */
static const char rcu_destroy_source[] =
	"#include <stdio.h>\n#include <string.h>\n#include <kslab/slab.h>\n"
	"int main(int argc, char **argv)\n{\n"
	"\tint typesafe = argc > 1 && !strcmp(argv[1], \"typesafe\");\n"
	"\tstruct kslab_cache *c = kslab_cache_create(\"rcu-destroy\", 64, NULL,\n"
	"\t\ttypesafe ? KSLAB_TYPESAFE_BY_RCU : 0);\n"
	"\tvoid *obj = kslab_cache_alloc(c, GFP_KERNEL);\n\n"
	"\tif (typesafe)\n\t\tkslab_cache_free(c, obj);\n"
	"\telse\n\t\tkslab_cache_free_rcu(c, obj);\n"
	"\tkslab_cache_destroy(c);\n\tputs(\"destroyed\");\n\treturn 0;\n}\n";

/*
 * Destroying such a cache calls RCU with kslab_caches_lock held; liburcu's
 * first calls allocate, and on the drop-in malloc an allocation that made
 * a size class waited for that lock, held by its own thread: the program
 * hung (kslab_rcu_prepare()). Each case in a fresh process, so RCU's first
 * use is the destroy's; timeout stops a hang.
 */
static void test_rcu_destroy_on_drop_in(struct ktap_test *t)
{
	if (!build_program(t, "rcu-destroy.c", rcu_destroy_source,
			   sizeof(rcu_destroy_source) - 1,
			   "gcc -I%s -o rcu-destroy rcu-destroy.c -L%s -lkslab-malloc -Wl,-rpath,%s"))
		return;
	expect_finishes(t, "rcu-destroy", "deferred", false, "destroyed\n");
	expect_finishes(t, "rcu-destroy", "typesafe", false, "destroyed\n");
}

/*
 * A TYPESAFE_BY_RCU cache destroyed on a second thread while the first is
 * inside dlopen(), whose library's constructor waits a little (so the
 * destroy takes kslab_caches_lock meanwhile) and then allocates a size no
 * class serves yet (which needs kslab_caches_lock).
 */
static const char dlopen_plugin_source[] =
	"#include <stdlib.h>\n#include <unistd.h>\n"
	"extern volatile int plugin_loading;\n"
	"static void __attribute__((constructor)) plugin_init(void)\n{\n"
	"\tplugin_loading = 1;\n\tusleep(200000);\n\tfree(malloc(20000));\n}\n";

static const char dlopen_destroy_source[] =
	"#include <dlfcn.h>\n#include <pthread.h>\n#include <stdio.h>\n"
	"#include <unistd.h>\n#include <kslab/slab.h>\n"
	"volatile int plugin_loading;\nstatic struct kslab_cache *cache;\n"
	"static void *destroyer(void *arg)\n{\n"
	"\twhile (!plugin_loading)\n\t\tusleep(1000);\n"
	"\tkslab_cache_destroy(cache);\n\treturn arg;\n}\n"
	"int main(void)\n{\n\tpthread_t t;\n"
	"\tcache = kslab_cache_create(\"dlopen-destroy\", 64, NULL, KSLAB_TYPESAFE_BY_RCU);\n"
	"\tkslab_cache_free(cache, kslab_cache_alloc(cache, GFP_KERNEL));\n"
	"\tpthread_create(&t, NULL, destroyer, NULL);\n"
	"\tif (!dlopen(\"./libplugin.so\", RTLD_NOW))\n\t\treturn 1;\n"
	"\tpthread_join(t, NULL);\n\tputs(\"destroyed\");\n\treturn 0;\n}\n";

/*
 * The destroy queues the cache's slabs with call_rcu under
 * kslab_caches_lock; a thread's first call_rcu looked its liburcu reader
 * up with dlsym(), which waits for the loader's lock, held by dlopen()
 * on the other thread, itself waiting, allocating, for kslab_caches_lock
 * (kslab_rcu_prepare() now finds the reader before the lock).
 */
static void test_typesafe_destroy_beside_dlopen(struct ktap_test *t)
{
	if (!build_program(t, "plugin.c", dlopen_plugin_source,
			   sizeof(dlopen_plugin_source) - 1,
			   "gcc -shared -fPIC -o libplugin.so plugin.c") ||
	    !build_program(t, "dlopen-destroy.c", dlopen_destroy_source,
			   sizeof(dlopen_destroy_source) - 1,
			   "gcc -rdynamic -I%s -o dlopen-destroy dlopen-destroy.c -L%s -lkslab-malloc -Wl,-rpath,%s -pthread"))
		return;
	expect_finishes(t, "dlopen-destroy", "", false, "destroyed\n");
}

/*
 * fork() handlers a program registers before its first malloc, which
 * allocate: a prepare half, or a child half (its own case each).
 */
static const char fork_handlers_source[] =
	"#include <pthread.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
	"#include <string.h>\n#include <sys/wait.h>\n#include <unistd.h>\n"
	"static void prepare(void) { free(malloc(48)); }\n"
	"static void child(void) { free(strdup(\"child state\")); }\n"
	"int main(int argc, char **argv)\n{\n"
	"\tint in_child = argc > 1 && !strcmp(argv[1], \"child\");\n"
	"\tvoid *p;\n\tpid_t pid;\n\n"
	"\tpthread_atfork(in_child ? NULL : prepare, NULL, in_child ? child : NULL);\n"
	"\tp = malloc(100);\n\tpid = fork();\n"
	"\tif (pid == 0)\n\t\t_exit(0);\n"
	"\twaitpid(pid, NULL, 0);\n\tfree(p);\n\tputs(\"forked\");\n\treturn 0;\n}\n";

/*
 * kslab's own handlers take every lock it has before a fork. Registered
 * at its first allocation, they came after the program's: glibc ran
 * their prepare first and the program's with kslab's locks held, and
 * the child's half before kslab's gave them back, so an allocation in
 * either waited for ever. Preloaded and linked, each under timeout.
 */
static void test_fork_handlers_allocate(struct ktap_test *t)
{
	if (!build_program(t, "fork-handlers.c", fork_handlers_source,
			   sizeof(fork_handlers_source) - 1,
			   "gcc -I%s -o fork-handlers fork-handlers.c && "
			   "gcc -o fork-handlers-linked fork-handlers.c -L%s -lkslab-malloc -Wl,-rpath,%s"))
		return;
	expect_finishes(t, "fork-handlers-linked", "prepare", false, "forked\n");
	expect_finishes(t, "fork-handlers-linked", "child", false, "forked\n");
	expect_finishes(t, "fork-handlers", "prepare", true, "forked\n");
	expect_finishes(t, "fork-handlers", "child", true, "forked\n");
}

static const char faulty_source[] =
	"#include <errno.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
	"#include <string.h>\n"
	"int main(void)\n{\n\tstatic char *keep[1000];\n"
	"\tint i, nulls = 0, enomem = 0, bad = 0;\n"
	"\tfor (i = 0; i < 1000; i++) {\n\t\terrno = 0;\n"
	"\t\tkeep[i] = malloc(100 + i);\n"
	"\t\tif (!keep[i]) {\n\t\t\tnulls++;\n"
	"\t\t\tenomem += errno == ENOMEM;\n\t\t\tcontinue;\n\t\t}\n"
	"\t\tmemset(keep[i], i, 100 + i);\n\t}\n"
	"\tfor (i = 0; i < 1000; i++) {\n"
	"\t\tbad += keep[i] && (keep[i][0] != (char)i || keep[i][99 + i] != (char)i);\n"
	"\t\tfree(keep[i]);\n\t}\n"
	"\tprintf(\"nulls=%d enomem=%d bad=%d\\n\", nulls, enomem, bad);\n"
	"\treturn 0;\n}\n";

/* Run ./faulty preloaded with KSLAB_FAIL=@value; its counts in @nulls. */
static bool run_faulty(struct ktap_test *t, struct capture *c,
		       const char *value, int *nulls)
{
	char cmd[256];
	int enomem, bad;

	snprintf(cmd, sizeof(cmd), "KSLAB_FAIL='%s' ./faulty", value);
	if (!KTAP_EXPECT(t, run_shell(c, cmd, true)) ||
	    !KTAP_EXPECT(t, exited_ok(c)))
		return false;
	if (!KTAP_EXPECT(t, sscanf(c->out, "nulls=%d enomem=%d bad=%d", nulls,
				   &enomem, &bad) == 3))
		return false;
	KTAP_EXPECT_EQ(t, enomem, *nulls);
	KTAP_EXPECT_EQ(t, bad, 0);
	return true;
}

/*
 * Every 7th malloc fails: 142 or 143 of the program's 1000, each with
 * ENOMEM, and it carries on; a seeded probability fails the same calls
 * twice over; a bad value is refused with a message and fails none.
 */
static void test_fault_injection(struct ktap_test *t)
{
	char first[CAPTURE_MAX];
	struct capture c;
	int nulls;

	KTAP_ASSERT(t, build_c(&c, "faulty", faulty_source,
			       sizeof(faulty_source) - 1));
	if (run_faulty(t, &c, "kmalloc:every=7", &nulls)) {
		ktap_check(t, nulls == 142 || nulls == 143, __FILE__, __LINE__,
			   "every 7th of 1000 failed: %d", nulls);
		ktap_check(t, !strcmp(c.err, "kslab: KSLAB_FAIL=\"kmalloc:every=7\": fault injection armed\n"),
			   __FILE__, __LINE__, "only the notice: %s", c.err);
	}
	if (run_faulty(t, &c, "kmalloc:probability=10,seed=7", &nulls)) {
		ktap_check(t, nulls > 50 && nulls < 150, __FILE__, __LINE__,
			   "10%% of 1000 failed: %d", nulls);
		snprintf(first, sizeof(first), "%s", c.out);
		if (run_faulty(t, &c, "kmalloc:probability=10,seed=7", &nulls))
			KTAP_EXPECT(t, !strcmp(c.out, first));
	}
	if (run_faulty(t, &c, "kmalloc:every=seven", &nulls)) {
		KTAP_EXPECT_EQ(t, nulls, 0);
		ktap_check(t, strstr(c.err, "kslab: KSLAB_FAIL=\"kmalloc:every=seven\": bad value") != NULL,
			   __FILE__, __LINE__, "refused: %s", c.err);
	}
}

/*
 * glibc's introspection calls, which programs make, answer from kslab
 * (userspace/malloc_info.c): mallinfo2() sees the blocks a program holds,
 * malloc_trim() gives what it freed back (resident memory falls),
 * malloc_stats() and malloc_info() print glibc's shapes with kslab's
 * figures. Under kslab the C library's own would describe its empty
 * arena.
 */
static const char introspect_source[] =
	"#include <malloc.h>\n"
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <string.h>\n"
	"#include <unistd.h>\n"
	"\n"
	"static long rss_kib(void)\n"
	"{\n"
	"\tlong pages = 0, resident = 0;\n"
	"\tFILE *f = fopen(\"/proc/self/statm\", \"r\");\n"
	"\n"
	"\tif (f) {\n"
	"\t\tif (fscanf(f, \"%ld %ld\", &pages, &resident) != 2)\n"
	"\t\t\tresident = 0;\n"
	"\t\tfclose(f);\n"
	"\t}\n"
	"\treturn resident * (sysconf(_SC_PAGESIZE) / 1024);\n"
	"}\n"
	"\n"
	"int main(void)\n"
	"{\n"
	"\tstatic char *small[4000];\n"
	"\tstruct mallinfo2 held, after;\n"
	"\tchar *big = malloc(8 << 20);\n"
	"\tlong rss_freed, rss_trimmed;\n"
	"\tint i, trimmed;\n"
	"\n"
	"\tmemset(big, 1, 8 << 20);\n"
	"\tfor (i = 0; i < 4000; i++) {\n"
	"\t\tsmall[i] = malloc(1000);\n"
	"\t\tmemset(small[i], 2, 1000);\n"
	"\t}\n"
	"\theld = mallinfo2();\n"
	"\tprintf(\"held arena=%zu uordblks=%zu hblks=%zu hblkhd=%zu\\n\", held.arena,\n"
	"\t       held.uordblks, held.hblks, held.hblkhd);\n"
	"\tfor (i = 0; i < 4000; i++)\n"
	"\t\tfree(small[i]);\n"
	"\tfree(big);\n"
	"\trss_freed = rss_kib();\n"
	"\ttrimmed = malloc_trim(0);\n"
	"\trss_trimmed = rss_kib();\n"
	"\tafter = mallinfo2();\n"
	"\tprintf(\"trim=%d rss_freed=%ld rss_trimmed=%ld uordblks=%zu hblks=%zu\\n\",\n"
	"\t       trimmed, rss_freed, rss_trimmed, after.uordblks, after.hblks);\n"
	"\tmalloc_stats();\n"
	"\treturn malloc_info(0, stdout);\n"
	"}\n";

static void test_introspection(struct ktap_test *t)
{
	size_t arena, uordblks, hblks, hblkhd, after_used, after_hblks;
	long rss_freed, rss_trimmed;
	struct capture c;
	int trimmed;

	KTAP_ASSERT(t, build_c(&c, "intro", introspect_source,
			       sizeof(introspect_source) - 1));
	KTAP_ASSERT(t, run_shell(&c, "./intro", true));
	KTAP_EXPECT(t, exited_ok(&c));
	KTAP_ASSERT(t, sscanf(c.out, "held arena=%zu uordblks=%zu hblks=%zu hblkhd=%zu\ntrim=%d rss_freed=%ld rss_trimmed=%ld uordblks=%zu hblks=%zu",
			      &arena, &uordblks, &hblks, &hblkhd, &trimmed,
			      &rss_freed, &rss_trimmed, &after_used,
			      &after_hblks) == 9);
	/* 4000 blocks of 1000 bytes in the zone, 8 MiB beside it. */
	KTAP_EXPECT(t, arena >= uordblks && uordblks >= 4000 * 1000);
	KTAP_EXPECT(t, hblks == 1 && hblkhd >= (8 << 20));
	KTAP_EXPECT(t, trimmed == 1 && after_hblks == 0);
	KTAP_EXPECT(t, after_used < uordblks / 16);
	ktap_check(t, rss_trimmed + 8 * 1024 < rss_freed, __FILE__, __LINE__,
		   "malloc_trim() gave back: %ld KiB resident before, %ld after",
		   rss_freed, rss_trimmed);
	KTAP_EXPECT(t, strstr(c.err, "Arena 0:\nsystem bytes     = ") &&
		       strstr(c.err, "max mmap regions =          1\n"));
	KTAP_EXPECT(t, strstr(c.out, "<malloc version=\"1\">\n<heap nr=\"0\">\n<sizes>\n") &&
		       strstr(c.out, "to=\"1024\"") &&
		       strstr(c.out, "</heap>\n") && strstr(c.out, "</malloc>\n"));
}

static const char maps_source[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
	"int main(void)\n{\n\tchar line[4096];\n\tint kslab = 0, urcu = 0;\n"
	"\tFILE *maps;\n\n\tfree(malloc(100));\n"
	"\tmaps = fopen(\"/proc/self/maps\", \"r\");\n"
	"\twhile (maps && fgets(line, sizeof(line), maps)) {\n"
	"\t\tkslab += strstr(line, \"libkslab-malloc\") != NULL;\n"
	"\t\turcu += strstr(line, \"liburcu\") != NULL;\n\t}\n"
	"\tprintf(\"kslab=%d urcu=%d\\n\", kslab > 0, urcu > 0);\n"
	"\treturn 0;\n}\n";

/* Build @name from @source, run it preloaded: it must print @expected. */
static void expect_preloaded_output(struct ktap_test *t, const char *name,
				    const char *source, size_t len,
				    const char *expected)
{
	char cmd[64];
	struct capture c;

	KTAP_ASSERT(t, build_c(&c, name, source, len));
	snprintf(cmd, sizeof(cmd), "./%s", name);
	KTAP_ASSERT(t, run_shell(&c, cmd, true));
	KTAP_EXPECT(t, exited_ok(&c));
	ktap_check(t, !strcmp(c.out, expected), __FILE__, __LINE__,
		   "%s: \"%s\" %s", name, c.out, c.err);
}

/* A program that uses no RCU pays nothing for liburcu: it is not loaded. */
static void test_no_liburcu(struct ktap_test *t)
{
	expect_preloaded_output(t, "maps", maps_source,
				sizeof(maps_source) - 1, "kslab=1 urcu=0\n");
}

/*
 * Before any malloc (reading the maps with system calls only): how many
 * of the first three pages of the anonymous mapping after the library's
 * writable one are resident. They hold its .bss (size checked below).
 */
static const char bss_source[] =
	"#include <fcntl.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
	"#include <string.h>\n#include <sys/mman.h>\n#include <unistd.h>\n"
	"static char maps[1 << 16];\n"
	"int main(void)\n{\n\tint fd = open(\"/proc/self/maps\", O_RDONLY);\n"
	"\tsize_t len = 0;\n\tssize_t n;\n\tunsigned long start = 0, end;\n"
	"\tunsigned char vec[3];\n\tchar *line, *next;\n\tint i, resident = 0;\n\n"
	"\twhile ((n = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)\n"
	"\t\tlen += (size_t)n;\n"
	"\tfor (line = maps; line && *line; line = next) {\n"
	"\t\tnext = strchr(line, '\\n');\n\t\tif (next)\n\t\t\t*next++ = 0;\n"
	"\t\tif (strstr(line, \"libkslab-malloc\") && strstr(line, \" rw-p \") && next) {\n"
	"\t\t\tsscanf(next, \"%lx-%lx\", &start, &end);\n\t\t\tbreak;\n\t\t}\n\t}\n"
	"\tif (!start || mincore((void *)start, 3 * 4096, vec))\n\t\treturn 1;\n"
	"\tfor (i = 0; i < 3; i++)\n\t\tresident += vec[i] & 1;\n"
	"\tprintf(\"resident=%d\\n\", resident);\n\treturn 0;\n}\n";

/*
 * The library's small globals are resident and writable before its first
 * malloc (userspace/pages.c, bss_populate), so that malloc does not fault
 * on each page twice, reading and then writing it.
 */
static void test_bss_resident_at_start(struct ktap_test *t)
{
	char cmd[PATH_MAX + 64];
	unsigned long bss_bytes;
	struct capture c;

	/* The three pages checked are .bss, not .lbss's tables. */
	snprintf(cmd, sizeof(cmd), "readelf -SW %s", malloc_so);
	KTAP_ASSERT(t, run_shell(&c, cmd, false) && exited_ok(&c));
	KTAP_ASSERT(t, strstr(c.out, " .bss ") &&
		       sscanf(strstr(c.out, " .bss "), " .bss NOBITS %*x %*x %lx",
			      &bss_bytes) == 1);
	KTAP_ASSERT(t, bss_bytes > 3 * 4096);
	expect_preloaded_output(t, "bss", bss_source, sizeof(bss_source) - 1,
				"resident=3\n");
}

/*
 * A program that counts its own calls of the C library's formatting and
 * number parsing, which then serve kslab's too: how many the first malloc
 * made.
 */
static const char quiet_source[] =
	"#include <stdarg.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
	"static int formatted, parsed;\n"
	"static int format(char *s, size_t n)\n{\n"
	"\tformatted++;\n\tif (n)\n\t\t*s = 0;\n\treturn 0;\n}\n"
	"int vsnprintf(char *s, size_t n, const char *f, va_list ap)\n{\n"
	"\t(void)f;\n\t(void)ap;\n\treturn format(s, n);\n}\n"
	"int snprintf(char *s, size_t n, const char *f, ...)\n{\n"
	"\t(void)f;\n\treturn format(s, n);\n}\n"
	"unsigned long strtoul(const char *s, char **end, int base)\n{\n"
	"\t(void)base;\n\tparsed++;\n\tif (end)\n\t\t*end = (char *)s;\n"
	"\treturn 0;\n}\n"
	"int main(void)\n{\n\tvoid *p = malloc(24);\n"
	"\tint f = formatted, s = parsed;\n\n"
	"\tprintf(\"formatted=%d parsed=%d ok=%d\\n\", f, s, p != NULL);\n"
	"\tfree(p);\n\treturn 0;\n}\n";

/*
 * A program's first malloc names a zone and its caches and reads the
 * system's CPUs and nodes without the C library's snprintf() or
 * strtoul(): their first calls fault in code and locale tables a program
 * that never prints does not need (mm/name.h).
 */
static void test_first_malloc_prints_nothing(struct ktap_test *t)
{
	expect_preloaded_output(t, "quiet", quiet_source,
				sizeof(quiet_source) - 1,
				"formatted=0 parsed=0 ok=1\n");
}

static const struct ktap_case preload_cases[] = {
	{ "fingerprint", test_fingerprint },
	{ "python", test_python },
	{ "gcc", test_gcc },
	{ "sort", test_sort },
	{ "sort_threads", test_sort_threads },
	{ "python_threads_fork", test_python_threads_fork },
	{ "linked", test_linked },
	{ "rcu_destroy_on_drop_in", test_rcu_destroy_on_drop_in },
	{ "fork_handlers_allocate", test_fork_handlers_allocate },
	{ "typesafe_destroy_beside_dlopen", test_typesafe_destroy_beside_dlopen },
	{ "no_liburcu", test_no_liburcu },
	{ "bss_resident_at_start", test_bss_resident_at_start },
	{ "first_malloc_prints_nothing", test_first_malloc_prints_nothing },
	{ "fault_injection", test_fault_injection },
	{ "introspection", test_introspection },
};

/* build_dir: the folder above this program's; malloc_so in it. */
static bool find_build(void)
{
	if (!build_dir_of_self(build_dir, sizeof(build_dir)))
		return false;
	snprintf(malloc_so, sizeof(malloc_so), "%s/libkslab-malloc.so",
		 build_dir);
	return !access(malloc_so, R_OK);
}

int main(void)
{
	const struct ktap_suite suites[] = {
		KTAP_SUITE("preload", preload_cases),
	};
	int rc;

	if (!find_build() || !work_dir_make(work_dir)) {
		fprintf(stderr, "preload: no %s or no work folder: %s\n",
			malloc_so, strerror(errno));
		return 1;
	}
	rc = ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
	work_dir_remove(work_dir);
	return rc;
}
