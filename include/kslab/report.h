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
 * The hook may run with kslab's locks held and in any context a report
 * comes from (a debugged cache's check, a bad free, fault injection's
 * messages; a fault in a guarded block, in a signal handler): it must
 * not allocate from kslab, which may be the program's malloc, nor call
 * into kslab, nor wait.
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

/**
 * enum kslab_corruption_action - what follows a report of heap corruption
 * @KSLAB_CORRUPTION_CONTINUE: carry on, the bad operation refused (the
 *                             kernel's way; the default of the library
 *                             and the module)
 * @KSLAB_CORRUPTION_ABORT:    stop: abort() in userspace, panic() in the
 *                             kernel (the default of the drop-in malloc)
 *
 * Heap corruption is what a report says the program did to kslab's
 * memory: a double, invalid or wrong-cache free, a free or krealloc of an
 * address kslab did not hand out, a red zone or poison found overwritten.
 * The setting KSLAB_ON_CORRUPTION (userspace environment: "continue" or
 * "abort"; module parameter on_corruption=: "continue" or "panic") picks
 * the action, read at the first such report; this call overrides it.
 */
enum kslab_corruption_action {
	KSLAB_CORRUPTION_CONTINUE,
	KSLAB_CORRUPTION_ABORT,
};

/**
 * kslab_set_corruption_action() - choose what follows heap corruption
 * @action: KSLAB_CORRUPTION_CONTINUE or KSLAB_CORRUPTION_ABORT
 */
KSLAB_API
void kslab_set_corruption_action(enum kslab_corruption_action action);

/**
 * kslab_corruption_action() - what follows heap corruption now
 *
 * Return: the action, from the setting or kslab_set_corruption_action().
 */
KSLAB_API
enum kslab_corruption_action kslab_corruption_action(void);

KSLAB_END_DECLS

#endif /* KSLAB_REPORT_H */
