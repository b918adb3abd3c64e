/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error reports. Every problem kslab detects (a bad free, a broken
 * invariant) is reported through kslab_report(): one line that starts with
 * "kslab: ", counted, offered to the report hook, then printed.
 */
#ifndef KSLAB_REPORT_H
#define KSLAB_REPORT_H

#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/* How serious a report or a printed line is. */
enum kslab_log_level {
	KSLAB_LOG_OUT,		/* the program's output (test results) */
	KSLAB_LOG_ERR,		/* a bug found */
	KSLAB_LOG_WARN,
	KSLAB_LOG_INFO,
};

/**
 * typedef kslab_report_hook_fn - receives each report before it is printed
 * @level: how serious it is
 * @msg:   the whole line, without newline
 * @arg:   the pointer given to kslab_set_report_hook()
 *
 * Return: true if the hook consumed the report and it must not be printed.
 */
typedef bool (*kslab_report_hook_fn)(enum kslab_log_level level,
				     const char *msg, void *arg);

/**
 * kslab_set_report_hook() - see reports before they are printed
 * @hook: the new hook, or NULL for none
 * @arg:  handed to @hook
 *
 * Meant for tests and for programs that route diagnostics elsewhere. Not
 * synchronised against concurrent reports: install it while quiet.
 */
KSLAB_API
void kslab_set_report_hook(kslab_report_hook_fn hook, void *arg);

/**
 * kslab_report_count() - how many reports were made since start
 *
 * Return: the count.
 */
KSLAB_API
unsigned long kslab_report_count(void);

/**
 * kslab_report() - report a problem kslab found
 * @level: KSLAB_LOG_ERR for a bug found, KSLAB_LOG_WARN, KSLAB_LOG_INFO
 * @fmt:   printf format of the message, without the "kslab: " prefix
 */
__attribute__((__format__(__printf__, 2, 3)))
KSLAB_API
void kslab_report(enum kslab_log_level level, const char *fmt, ...);

KSLAB_END_DECLS

#endif /* KSLAB_REPORT_H */
