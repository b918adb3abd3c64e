// SPDX-License-Identifier: GPL-2.0
/*
 * The TAP harness: formats through the port contract only, so the output
 * lands on stdout in userspace and in the kernel log in the module.
 */
#include "../mm/port.h"
#include "ktap.h"

#define KTAP_LINE_MAX	512

kslab_printf_fmt(2, 0)
static void ktap_vprint(const char *prefix, const char *fmt, va_list ap)
{
	char line[KTAP_LINE_MAX];
	size_t n = (size_t)kslab_snprintf(line, sizeof(line), "%s", prefix);

	if (n < sizeof(line))
		kslab_vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	kslab_env_puts(KSLAB_LOG_OUT, line);
}

kslab_printf_fmt(1, 2) static void ktap_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vprint("", fmt, ap);
	va_end(ap);
}

void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vprint("# ", fmt, ap);
	va_end(ap);
}

void ktap_skip(struct ktap_test *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kslab_vsnprintf(t->skip_reason, sizeof(t->skip_reason), fmt, ap);
	va_end(ap);
	t->skipped = true;
}

bool ktap_check(struct ktap_test *t, bool ok, const char *file, int line,
		const char *fmt, ...)
{
	char what[KTAP_LINE_MAX];
	va_list ap;

	t->checks++;
	if (ok)
		return true;
	t->failures++;
	va_start(ap, fmt);
	kslab_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ktap_diag("%s:%d: check failed: %s", file, line, what);
	return false;
}

/* Run one test and print its result line. Return: 1 pass, 0 fail, -1 skip. */
static int ktap_run_case(const struct ktap_case *c, unsigned int number)
{
	struct ktap_test t = { .name = c->name };

	c->run(&t);
	if (t.failures) {
		ktap_print("not ok %u %s", number, c->name);
		return 0;
	}
	if (t.skipped) {
		ktap_print("ok %u %s # SKIP %s", number, c->name, t.skip_reason);
		return -1;
	}
	if (!t.checks) {
		ktap_diag("%s made no check", c->name);
		ktap_print("not ok %u %s", number, c->name);
		return 0;
	}
	ktap_print("ok %u %s", number, c->name);
	return 1;
}

int ktap_run(const struct ktap_suite *suites, unsigned int nr)
{
	unsigned int i, j, total = 0, number = 0;
	unsigned int passed = 0, failed = 0, skipped = 0;

	for (i = 0; i < nr; i++)
		total += suites[i].nr_cases;
	ktap_print("%s", KSLAB_KTAP_VERSION_LINE);
	ktap_print("1..%u", total);
	for (i = 0; i < nr; i++) {
		ktap_diag("suite %s: %u tests", suites[i].name, suites[i].nr_cases);
		for (j = 0; j < suites[i].nr_cases; j++) {
			int r = ktap_run_case(&suites[i].cases[j], ++number);

			if (r > 0)
				passed++;
			else if (r == 0)
				failed++;
			else
				skipped++;
		}
	}
	ktap_diag("Totals: pass:%u fail:%u skip:%u", passed, failed, skipped);
	if (failed)
		return KTAP_EXIT_FAIL;
	if (skipped == total)
		return KTAP_EXIT_SKIP;
	return KTAP_EXIT_PASS;
}
