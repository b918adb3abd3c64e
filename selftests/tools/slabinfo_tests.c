// SPDX-License-Identifier: GPL-2.0
/*
 * The slabinfo tool (suite tools), run as a program the way a user runs
 * it: on dump files written here (kslab's layout and a kernel's plain 2.1
 * text), sorted each way, with bad lines, and as a refreshing view over
 * the built-in demo, over a file that changes between screens, and on a
 * terminal; with no FILE, the module's /proc/kslabinfo, which the qemu run
 * (scripts/check-kernel.sh) reads with the tool inside the guest.
 */
#include <limits.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../mm/compiler.h"
#include "../../userspace/tools/common/stats_read.h"
#include "../capture.h"
#include "../ktap.h"
#include "../process.h"

static char tool[PATH_MAX + 32];

struct run {
	char *out;		/* stdout and stderr together */
	int status;		/* exit status, or -1 */
};

/* Run the tool with @args (shell words) and take all it prints. */
static bool run_tool(struct ktap_test *t, const char *args, struct run *r)
{
	char cmd[PATH_MAX * 2 + 256];
	size_t len = 0, cap = 4096, got;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", tool, args);
	r->out = malloc(cap);
	p = popen(cmd, "r");
	if (!KTAP_EXPECT(t, r->out && p)) {
		free(r->out);
		r->out = NULL;
		return false;
	}
	while ((got = fread(r->out + len, 1, cap - len - 1, p)) > 0) {
		len += got;
		if (len + 1 == cap) {
			char *more = realloc(r->out, cap * 2);

			if (!more)
				break;
			r->out = more;
			cap *= 2;
		}
	}
	r->out[len] = '\0';
	status = pclose(p);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return true;
}

static void run_free(struct run *r)
{
	free(r->out);
	r->out = NULL;
}

/* The first line of @text that starts with the cache name @name. */
static const char *row_of(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *line = text;

	while (line) {
		if (!strncmp(line, name, n) && line[n] == ' ')
			return line;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

/* The last blank-separated field of @line: the Allocs column when refreshing. */
static long last_field(const char *line)
{
	const char *end = strchr(line, '\n'), *p;

	if (!end)
		end = line + strlen(line);
	for (p = end; p > line && p[-1] == ' '; p--)
		;
	end = p;
	while (p > line && p[-1] != ' ')
		p--;
	return p < end ? strtol(p, NULL, 10) : -1;
}

/* Whether the rows named appear in @text in this order. */
static bool in_order(const char *text, const char *const *names, size_t n)
{
	const char *prev = text, *at;
	size_t i;

	for (i = 0; i < n; i++) {
		at = row_of(text, names[i]);
		if (!at || at < prev)
			return false;
		prev = at;
	}
	return true;
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(text, f) >= 0;
	return !fclose(f) && ok;
}

#define HEAD	"slabinfo - version: 2.1\n" \
		"# name <active_objs> <num_objs> ...\n"

/*
 * Three caches: "wide" uses most memory, "busy" has most allocations
 * (hits + misses), "alpha" comes first by name.
 */
#define SORT_DUMP HEAD \
	"wide 100 128 512 8 1 : tunables 0 0 0 : slabdata 16 16 0 : magazine 10 5 10 5 : depot 0 0 0 : slab 16 0 1\n" \
	"busy 60 64 64 64 1 : tunables 0 0 0 : slabdata 1 1 0 : magazine 9000 1000 9000 1000 : depot 4 4 0 : slab 1 0 1\n" \
	"alpha 10 32 128 32 1 : tunables 0 0 0 : slabdata 1 1 0 : magazine 50 50 50 50 : depot 0 0 0 : slab 1 0 1\n"

static char dump[] = "/tmp/kslab-slabinfo-XXXXXX";

/*
 * The table of the three caches, by name: 16 + 1 + 1 slabs of one page
 * make 72 KiB, and 90% of busy's 60 allocations hit.
 */
static void expect_three_caches(struct ktap_test *t, const struct run *r)
{
	static const char *const by_name[] = { "alpha", "busy", "wide" };
	const char *busy = row_of(r->out, "busy");

	KTAP_EXPECT_EQ(t, r->status, 0);
	KTAP_EXPECT(t, in_order(r->out, by_name, 3));
	EXPECT_CONTAINS(t, r->out, "sorted by name");
	KTAP_EXPECT(t, row_of(r->out, "total (3)") &&
		       strstr(row_of(r->out, "total (3)"), " 72 "));
	KTAP_EXPECT(t, busy && strstr(busy, "60/64") && strstr(busy, "90.0%"));
}

static void test_sorts(struct ktap_test *t)
{
	static const char *const by_size[] = { "wide", "alpha", "busy" };
	static const char *const by_activity[] = { "busy", "alpha", "wide" };
	char args[PATH_MAX + 16];
	struct run r;

	KTAP_ASSERT(t, write_file(dump, SORT_DUMP));
	snprintf(args, sizeof(args), "'%s'", dump);
	if (run_tool(t, args, &r)) {
		expect_three_caches(t, &r);
		run_free(&r);
	}
	snprintf(args, sizeof(args), "-s '%s'", dump);
	if (run_tool(t, args, &r)) {
		KTAP_EXPECT(t, r.status == 0 && in_order(r.out, by_size, 3));
		run_free(&r);
	}
	snprintf(args, sizeof(args), "--activity '%s'", dump);
	if (run_tool(t, args, &r)) {
		KTAP_EXPECT(t, r.status == 0 && in_order(r.out, by_activity, 3));
		run_free(&r);
	}
	/* Standard input reads the same. */
	snprintf(args, sizeof(args), "-a - < '%s'", dump);
	if (run_tool(t, args, &r)) {
		KTAP_EXPECT(t, r.status == 0 && in_order(r.out, by_activity, 3));
		EXPECT_CONTAINS(t, r.out, "from standard input");
		run_free(&r);
	}
}

/*
 * The same three caches as a JSON statistics document (kslab_stats_json()):
 * laid out otherwise, keys in another order, fields the tool does not
 * show, per-CPU entries; it reads the same table. Then a document cut
 * short is refused, saying where.
 */
#define JSON_CACHE(name, active, num, size, per, hit, miss, slabs, gets) \
	"  {\"cpus\": [{\"cpu\": 0, \"alloc_hit\": 1}], \"name\": \"" name "\",\n" \
	"   \"active_objs\": " #active ", \"num_objs\": " #num ", \"size\": " #size "," \
	" \"object_size\": " #size ", \"objs_per_slab\": " #per ", \"pages_per_slab\": 1,\n" \
	"   \"magazine_size\": 0, \"active_slabs\": " #slabs ", \"num_slabs\": " #slabs "," \
	" \"colours\": 1, \"slab_grows\": " #slabs ", \"slab_frees\": 0, \"off_slab\": false,\n" \
	"   \"magazine\": {\"alloc_hit\": " #hit ", \"alloc_swap\": 0, \"alloc_miss\": " #miss "," \
	" \"free_hit\": " #hit ", \"free_swap\": 0, \"free_miss\": " #miss "},\n" \
	"   \"depot\": {\"objs\": 0, \"full_gets\": " #gets ", \"full_puts\": " #gets "," \
	" \"contended\": 0}}"

#define JSON_DUMP "{\"kslab_stats_version\": 1, \"memory\": {\"zone_bytes\": 0},\n" \
	" \"caches\": [\n" \
	JSON_CACHE("wide", 100, 128, 512, 8, 10, 5, 16, 0) ",\n" \
	JSON_CACHE("busy", 60, 64, 64, 64, 9000, 1000, 1, 4) ",\n" \
	JSON_CACHE("alpha", 10, 32, 128, 32, 50, 50, 1, 0) "\n ],\n" \
	" \"rcu\": {\"queued\": 0, \"pending\": 0, \"batches\": 0}}\n"

static void test_json(struct ktap_test *t)
{
	static const char json[] = JSON_DUMP;
	char args[PATH_MAX + 16], cut[sizeof(json)];
	struct run r;

	KTAP_ASSERT(t, write_file(dump, json));
	snprintf(args, sizeof(args), "'%s'", dump);
	if (run_tool(t, args, &r)) {
		expect_three_caches(t, &r);
		EXPECT_CONTAINS(t, r.out, "3 caches from");
		run_free(&r);
	}
	memcpy(cut, json, 200);
	cut[200] = '\0';
	KTAP_ASSERT(t, write_file(dump, cut));
	if (run_tool(t, args, &r)) {
		KTAP_EXPECT_EQ(t, r.status, 1);
		EXPECT_CONTAINS(t, r.out, "not a kslab statistics document");
		EXPECT_CONTAINS(t, r.out, ": byte ");
		run_free(&r);
	}
}

static void count_cache(const struct stats_cache *cache, void *arg)
{
	(void)cache;
	++*(unsigned int *)arg;
}

/*
 * The tool's JSON reader on what a file may hold instead of a document:
 * every prefix of one is refused, the whole read; a thousand documents
 * with a byte changed are read or refused, never read past their end
 * (the sanitizer builds run this too).
 */
static void test_json_reader_robust(struct ktap_test *t)
{
	static const char json[] = JSON_DUMP;
	size_t len = sizeof(json) - 1, cut, where, refused = 0;
	struct ktap_rng rng;
	unsigned int caches = 0, i;
	char *text;

	KTAP_ASSERT(t, !stats_read(json, count_cache, &caches, &where));
	KTAP_EXPECT_EQ(t, caches, 3);
	for (cut = 0; cut < len; cut++) {
		/* A buffer of exactly the prefix, so a read past it is caught. */
		text = malloc(cut + 1);
		KTAP_ASSERT(t, text != NULL);
		memcpy(text, json, cut);
		text[cut] = '\0';
		refused += stats_read(text, count_cache, &caches, &where) != NULL &&
			   where <= cut;
		free(text);
	}
	/* Only blanks after the closing brace may go unnoticed. */
	KTAP_EXPECT_EQ(t, refused, len - 1);
	ktap_rng_seed(&rng, 20261206);
	text = malloc(len + 1);
	KTAP_ASSERT(t, text != NULL);
	for (i = 0; i < 1000; i++) {
		memcpy(text, json, len + 1);
		text[ktap_rng_below(&rng, len)] =
			(char)(1 + ktap_rng_below(&rng, 255));
		if (stats_read(text, count_cache, &caches, &where))
			KTAP_EXPECT(t, where <= len);
	}
	free(text);
}

/* A kernel's /proc/slabinfo: no kslab columns, shown as "-". */
static void test_kernel_format(struct ktap_test *t)
{
	char args[PATH_MAX + 16];
	const char *row;
	struct run r;

	KTAP_ASSERT(t, write_file(dump, HEAD
		"kmalloc-64 2048 2048 64 64 1 : tunables 0 0 0 : slabdata 32 32 0\n"));
	snprintf(args, sizeof(args), "'%s'", dump);
	if (run_tool(t, args, &r)) {
		KTAP_EXPECT_EQ(t, r.status, 0);
		row = row_of(r.out, "kmalloc-64");
		KTAP_EXPECT(t, row && strstr(row, "2048/2048") && strstr(row, " - "));
		run_free(&r);
	}
}

/* A bad line is named, the other caches shown, and the exit status is 1. */
static void test_malformed(struct ktap_test *t)
{
	char args[PATH_MAX + 16];
	struct run r;

	KTAP_ASSERT(t, write_file(dump, HEAD
		"good 1 2 64 64 1 : tunables 0 0 0 : slabdata 1 1 0\n"
		"bad 1 x 64 64 1 : tunables 0 0 0 : slabdata 1 1 0\n"));
	snprintf(args, sizeof(args), "'%s'", dump);
	if (run_tool(t, args, &r)) {
		KTAP_EXPECT_EQ(t, r.status, 1);
		EXPECT_CONTAINS(t, r.out, ":4: malformed cache line: field 3, 'x', is not a number");
		KTAP_EXPECT(t, row_of(r.out, "good") != NULL);
		KTAP_EXPECT(t, row_of(r.out, "bad") == NULL);
		run_free(&r);
	}
}

static void test_usage_errors(struct ktap_test *t)
{
	static const char *const bad[] = {
		"-d -1 --demo", "-d soon --demo", "-n 0 --demo",
		"-d 1 -", "-s -a --demo", "--demo somefile",
	};
	unsigned int i, refused = 0;
	struct run r;

	for (i = 0; i < KSLAB_ARRAY_SIZE(bad); i++) {
		if (!run_tool(t, bad[i], &r))
			return;
		if (r.status == 1 && strstr(r.out, "usage: slabinfo"))
			refused++;
		else
			ktap_diag("'%s' was not refused: %s", bad[i], r.out);
		run_free(&r);
	}
	KTAP_EXPECT_EQ(t, refused, KSLAB_ARRAY_SIZE(bad));
}

/*
 * With neither FILE nor --demo the tool reads the module's /proc/kslabinfo;
 * where the module is not loaded, it says so.
 */
static void test_default_proc(struct ktap_test *t)
{
	bool loaded = !access("/proc/kslabinfo", R_OK);
	struct run r;

	if (!run_tool(t, "-s", &r))
		return;
	if (loaded) {
		KTAP_EXPECT_EQ(t, r.status, 0);
		EXPECT_CONTAINS(t, r.out, "from /proc/kslabinfo, sorted by memory");
	} else {
		KTAP_EXPECT_EQ(t, r.status, 1);
		EXPECT_CONTAINS(t, r.out, "slabinfo: /proc/kslabinfo: No such file or directory: the kslab module is not loaded; give a FILE or --demo");
	}
	run_free(&r);
}

/* The start of screen @n of the tool's output, or NULL. */
static const char *screen(const char *out, unsigned int n)
{
	char mark[32];

	snprintf(mark, sizeof(mark), ", screen %u of", n);
	return strstr(out, mark);
}

/*
 * The demo frees and allocates a quarter of each cache again between
 * screens: 5000, 1000, 150 and 10 allocations, the last in a cache
 * without magazines, whose allocations count as misses.
 */
static void test_refresh_demo(struct ktap_test *t)
{
	static const char *const names[] = {
		"demo-small", "demo-medium", "demo-large", "demo-huge"
	};
	static const long allocs[] = { 5000, 1000, 150, 10 };
	unsigned int s, i, right = 0;
	struct run r;

	if (!run_tool(t, "--demo -a -d 0 -n 3", &r))
		return;
	KTAP_EXPECT_EQ(t, r.status, 0);
	KTAP_EXPECT(t, screen(r.out, 1) && !screen(r.out, 4));
	KTAP_EXPECT(t, !strchr(r.out, '\033'));	/* not a terminal */
	for (s = 2; s <= 3; s++) {
		const char *text = screen(r.out, s);

		if (!KTAP_EXPECT(t, text != NULL))
			break;
		/* Sorted by the allocations since the previous screen. */
		KTAP_EXPECT(t, in_order(text, names, 4));
		for (i = 0; i < 4; i++) {
			const char *row = row_of(text, names[i]);
			long got = row ? last_field(row) : -1;

			if (got == allocs[i])
				right++;
			else
				ktap_diag("screen %u %s: %ld allocations, expected %ld",
					 s, names[i], got, allocs[i]);
		}
	}
	KTAP_EXPECT_EQ(t, right, 8);
	run_free(&r);
}

/*
 * A file read again for each screen: "grows" gains 700 allocations and
 * 4 objects between the two reads, which the second screen shows.
 */
#define GROWS_BEFORE HEAD \
	"grows 10 64 64 64 1 : tunables 0 0 0 : slabdata 1 1 0 : magazine 200 100 200 100 : depot 0 0 0 : slab 1 0 1\n"
#define GROWS_AFTER HEAD \
	"grows 14 64 64 64 1 : tunables 0 0 0 : slabdata 1 1 0 : magazine 800 200 796 200 : depot 0 0 0 : slab 1 0 1\n"

static void test_refresh_file(struct ktap_test *t)
{
	char cmd[PATH_MAX * 2 + 64], line[512], next[PATH_MAX + 8];
	char screens[2][512] = { "", "" };
	unsigned int seen = 0;
	bool changed = false;
	FILE *p;

	snprintf(next, sizeof(next), "%s.new", dump);
	KTAP_ASSERT(t, write_file(dump, GROWS_BEFORE));
	KTAP_ASSERT(t, write_file(next, GROWS_AFTER));
	snprintf(cmd, sizeof(cmd), "'%s' -d 2 -n 2 '%s'", tool, dump);
	p = popen(cmd, "r");
	KTAP_ASSERT(t, p != NULL);
	while (fgets(line, sizeof(line), p)) {
		if (strncmp(line, "grows ", 6) || seen == 2)
			continue;
		snprintf(screens[seen++], sizeof(screens[0]), "%s", line);
		/* Two seconds before the tool reads it again. */
		if (seen == 1)
			changed = !rename(next, dump);
	}
	KTAP_EXPECT_EQ(t, pclose(p), 0);
	KTAP_EXPECT(t, changed);
	KTAP_EXPECT_EQ(t, seen, 2);
	/* First screen: everything since the start; then the difference. */
	KTAP_EXPECT_EQ(t, last_field(screens[0]), 300);
	KTAP_EXPECT_EQ(t, last_field(screens[1]), 700);
	KTAP_EXPECT(t, strstr(screens[0], " 10/64 ") && strstr(screens[1], " 14/64 "));
	unlink(next);
}

/* On a terminal each screen starts by clearing it. */
static void test_refresh_terminal(struct ktap_test *t)
{
	char out[65536];
	size_t len = 0;
	ssize_t got;
	int fd, status, clears = 0;
	const char *at;
	pid_t pid;

	pid = forkpty(&fd, NULL, NULL, NULL);
	KTAP_ASSERT(t, pid >= 0);
	if (!pid) {
		execl(tool, tool, "--demo", "-d", "0", "-n", "2", (char *)NULL);
		_exit(127);
	}
	while (len < sizeof(out) - 1 &&
	       (got = read(fd, out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)got;
	out[len] = '\0';
	close(fd);
	KTAP_EXPECT(t, waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		       WEXITSTATUS(status) == 0);
	for (at = out; (at = strstr(at, "\033[H\033[J")); at++)
		clears++;
	KTAP_EXPECT_EQ(t, clears, 2);
	KTAP_EXPECT(t, strstr(out, "screen 2 of 2") != NULL);
}

static const struct ktap_case tool_cases[] = {
	{ "slabinfo_sorts", test_sorts },
	{ "slabinfo_json", test_json },
	{ "slabinfo_json_reader_robust", test_json_reader_robust },
	{ "slabinfo_kernel_format", test_kernel_format },
	{ "slabinfo_malformed", test_malformed },
	{ "slabinfo_usage_errors", test_usage_errors },
	{ "slabinfo_default_proc", test_default_proc },
	{ "slabinfo_refresh_demo", test_refresh_demo },
	{ "slabinfo_refresh_file", test_refresh_file },
	{ "slabinfo_refresh_terminal", test_refresh_terminal },
};

int main(void)
{
	const struct ktap_suite suites[] = {
		KTAP_SUITE("tools", tool_cases),
	};
	char dir[PATH_MAX];
	int fd, ret;

	if (!build_dir_of_self(dir, sizeof(dir)))
		return KTAP_EXIT_FAIL;
	snprintf(tool, sizeof(tool), "%s/tools/slabinfo", dir);
	fd = mkstemp(dump);
	if (fd < 0)
		return KTAP_EXIT_FAIL;
	close(fd);
	ret = ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
	unlink(dump);
	return ret;
}
