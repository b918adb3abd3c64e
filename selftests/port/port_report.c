// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of line output, reports and assertions (suite port-report): which
 * fd each log level reaches, a report hook that consumes or declines a
 * report, the report count, and KSLAB_BUG_ON killing its process (in a
 * forked child) with the place and the condition on stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <kslab/report.h>

#include "port_tests.h"

static void puts_each_level(void *arg)
{
	(void)arg;
	kslab_env_puts(KSLAB_LOG_OUT, "port-test out line");
	kslab_env_puts(KSLAB_LOG_ERR, "port-test err line");
	kslab_env_puts(KSLAB_LOG_WARN, "port-test warn line");
	kslab_env_puts(KSLAB_LOG_INFO, "port-test info line");
}

static void test_puts_routing(struct ktap_test *t)
{
	struct capture c;

	KTAP_ASSERT(t, capture_call(&c, puts_each_level, NULL));
	/* The program's output gets exactly the OUT line, newline added. */
	KTAP_EXPECT(t, !strcmp(c.out, "port-test out line\n"));
	KTAP_EXPECT(t, strstr(c.err, "port-test err line\n") != NULL);
	KTAP_EXPECT(t, strstr(c.err, "port-test warn line\n") != NULL);
	KTAP_EXPECT(t, strstr(c.err, "port-test out line") == NULL);
	if (t->failures)
		ktap_diag("stdout [%s] stderr [%s]", c.out, c.err);
}

struct hook_record {
	bool consume;
	unsigned int calls;
	enum kslab_log_level level;
	char msg[256];
};

static bool record_hook(enum kslab_log_level level, const char *msg, void *arg)
{
	struct hook_record *rec = arg;

	rec->calls++;
	rec->level = level;
	snprintf(rec->msg, sizeof(rec->msg), "%s", msg);
	return rec->consume;
}

static void report_something(void *arg)
{
	const enum kslab_log_level *level = arg;

	kslab_report(*level, "port test report %d of %s", 42, "many");
}

#define REPORTED_LINE	"kslab: port test report 42 of many"

/* Report once at @level through @rec; check what the hook saw and the count. */
static void report_through_hook(struct ktap_test *t, struct hook_record *rec,
				enum kslab_log_level level, struct capture *c)
{
	unsigned long before = kslab_report_count();

	kslab_set_report_hook(record_hook, rec);
	KTAP_EXPECT(t, capture_call(c, report_something, &level));
	kslab_set_report_hook(NULL, NULL);
	KTAP_EXPECT_EQ(t, kslab_report_count(), before + 1);
	KTAP_EXPECT_EQ(t, rec->calls, 1);
	KTAP_EXPECT_EQ(t, rec->level, level);
	if (!KTAP_EXPECT(t, !strcmp(rec->msg, REPORTED_LINE)))
		ktap_diag("hook got [%s]", rec->msg);
}

static void test_report_hook_consumes(struct ktap_test *t)
{
	struct hook_record rec = { .consume = true };
	struct capture c;

	report_through_hook(t, &rec, KSLAB_LOG_ERR, &c);
	KTAP_EXPECT(t, c.out[0] == '\0');
	if (!KTAP_EXPECT(t, c.err[0] == '\0'))
		ktap_diag("printed anyway: %s", c.err);
}

static void test_report_hook_declines(struct ktap_test *t)
{
	struct hook_record rec = { .consume = false };
	enum kslab_log_level level = KSLAB_LOG_WARN;
	unsigned long before;
	struct capture c;

	report_through_hook(t, &rec, level, &c);
	KTAP_EXPECT(t, strstr(c.err, REPORTED_LINE "\n") != NULL);
	KTAP_EXPECT(t, c.out[0] == '\0');

	/* With no hook at all the report is printed and counted as well. */
	before = kslab_report_count();
	KTAP_EXPECT(t, capture_call(&c, report_something, &level));
	KTAP_EXPECT_EQ(t, kslab_report_count(), before + 1);
	KTAP_EXPECT(t, strstr(c.err, REPORTED_LINE "\n") != NULL);
	KTAP_EXPECT_EQ(t, rec.calls, 1);
}

/* Return the line of the assertion; it fires only when asked to. */
static int trigger_bug(bool fire)
{
	int line = __LINE__ + 2;

	KSLAB_BUG_ON(fire);
	return line;
}

static void bug_child(void *arg)
{
	struct rlimit no_core = { 0, 0 };

	(void)arg;
	setrlimit(RLIMIT_CORE, &no_core);
	trigger_bug(true);
	printf("survived KSLAB_BUG_ON\n");
}

static void test_bug_on(struct ktap_test *t)
{
	char where[256];
	struct capture c;

	snprintf(where, sizeof(where), "%s:%d", __FILE__, trigger_bug(false));
	KTAP_ASSERT(t, capture_fork(&c, bug_child, NULL));
	KTAP_EXPECT(t, WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
	KTAP_EXPECT(t, strstr(c.out, "survived") == NULL);
	KTAP_EXPECT(t, strstr(c.err, where) != NULL);
	KTAP_EXPECT(t, strstr(c.err, "fire") != NULL);
	if (t->failures)
		ktap_diag("status %#x, stderr [%s]", c.status, c.err);
}

static const struct ktap_case report_cases[] = {
	{ "puts_routing", test_puts_routing },
	{ "report_hook_consumes", test_report_hook_consumes },
	{ "report_hook_declines", test_report_hook_declines },
	{ "bug_on", test_bug_on },
};

const struct ktap_suite port_report_suite =
	KTAP_SUITE("port-report", report_cases);
