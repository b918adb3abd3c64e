// SPDX-License-Identifier: GPL-2.0
/*
 * Reports: the one way mm/ tells anyone that something is wrong.
 *
 * Owns the report counter and the report hook. No locks: the counter is
 * atomic, and the hook is meant to be installed while nothing reports.
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
