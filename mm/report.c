// SPDX-License-Identifier: GPL-2.0
/*
 * Reports: the one way mm/ tells anyone that something is wrong.
 *
 * Owns the report counter, the report hook and the action that follows a
 * report of heap corruption (kslab_corrupted()). No locks: the counter is
 * atomic, the action a word read and written whole, and the hook is meant
 * to be installed while nothing reports.
 * Reports format into a stack buffer, so they work under any kslab lock and
 * never allocate.
 */
#include <kslab/report.h>

#include "check.h"

#define KSLAB_REPORT_MAX	320

static struct kslab_atomic report_count;
static kslab_report_hook_fn report_hook;
static void *report_hook_arg;

void kslab_set_report_hook(kslab_report_hook_fn hook, void *arg)
{
	report_hook_arg = arg;
	KSLAB_WRITE_ONCE(report_hook, hook);
}

unsigned long kslab_report_count(void)
{
	return (unsigned long)kslab_atomic_read(&report_count);
}

void kslab_report(enum kslab_log_level level, const char *fmt, ...)
{
	char msg[KSLAB_REPORT_MAX] = "kslab: ";
	kslab_report_hook_fn hook;
	size_t prefix = sizeof("kslab: ") - 1;
	va_list ap;

	va_start(ap, fmt);
	kslab_vsnprintf(msg + prefix, sizeof(msg) - prefix, fmt, ap);
	va_end(ap);
	kslab_atomic_add(&report_count, 1);
	hook = KSLAB_READ_ONCE(report_hook);
	if (hook && hook(level, msg, report_hook_arg))
		return;
	kslab_env_puts(level, msg);
}

/* The setting's name, and -1 in corruption_action until it is read. */
#define CORRUPTION_OPTION	"KSLAB_ON_CORRUPTION"
#define CORRUPTION_UNREAD	(-1)

static int corruption_action = CORRUPTION_UNREAD;

void kslab_set_corruption_action(enum kslab_corruption_action action)
{
	KSLAB_WRITE_ONCE(corruption_action, (int)action);
}

/* The setting: "continue", or "abort" ("panic" in the kernel's words). */
static int corruption_option(void)
{
	const char *value = kslab_env_option(CORRUPTION_OPTION);

	if (!value || !__builtin_strcmp(value, "continue"))
		return KSLAB_CORRUPTION_CONTINUE;
	if (!__builtin_strcmp(value, "abort") || !__builtin_strcmp(value, "panic"))
		return KSLAB_CORRUPTION_ABORT;
	kslab_report(KSLAB_LOG_WARN,
		     "%s=\"%s\": bad value (continue, abort or panic); carrying on",
		     CORRUPTION_OPTION, value);
	return KSLAB_CORRUPTION_CONTINUE;
}

enum kslab_corruption_action kslab_corruption_action(void)
{
	int action = KSLAB_READ_ONCE(corruption_action);

	if (action == CORRUPTION_UNREAD) {
		action = corruption_option();
		/* Unless a call set it meanwhile. */
		kslab_cmpxchg(&corruption_action, CORRUPTION_UNREAD, action);
		action = KSLAB_READ_ONCE(corruption_action);
	}
	return (enum kslab_corruption_action)action;
}

/**
 * kslab_corrupted() - act on heap corruption just reported
 *
 * Called once a report of heap corruption is complete: the program goes
 * on, or stops, as kslab_corruption_action() says.
 */
void kslab_corrupted(void)
{
	if (kslab_corruption_action() == KSLAB_CORRUPTION_ABORT)
		kslab_env_panic("kslab: heap corruption reported above: stopping ("
				CORRUPTION_OPTION "=continue, or the module's on_corruption=continue, carries on)");
}

/* Reports beyond this many per check are counted but not printed. */
#define KSLAB_CHECK_REPORT_MAX	16

void kslab_check_problem(const char *owner, unsigned long *problems,
			 const char *fmt, ...)
{
	char what[192];
	va_list ap;

	if (++*problems > KSLAB_CHECK_REPORT_MAX)
		return;
	va_start(ap, fmt);
	kslab_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	kslab_report(KSLAB_LOG_ERR, "BUG %s: check: %s", owner, what);
}

void kslab_check_done(const char *owner, unsigned long problems)
{
	if (problems > KSLAB_CHECK_REPORT_MAX)
		kslab_report(KSLAB_LOG_ERR, "BUG %s: check: %lu more problems not shown",
			     owner, problems - KSLAB_CHECK_REPORT_MAX);
}

size_t kslab_append(char *buf, size_t size, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kslab_vsnprintf(len < size ? buf + len : NULL,
			    len < size ? size - len : 0, fmt, ap);
	va_end(ap);
	return len + (n > 0 ? (size_t)n : 0);
}

void kslab_bug(const char *file, int line, const char *cond)
{
	char msg[KSLAB_REPORT_MAX];

	kslab_snprintf(msg, sizeof(msg), "kslab: BUG at %s:%d: %s", file, line,
		       cond);
	kslab_env_panic(msg);
}
