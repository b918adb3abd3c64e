/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error reports. Every problem kslab detects (a bad free, a broken
 * invariant) is reported through kslab_report(): one line that starts with
 * "kslab: ", counted, offered to the report hook, then printed.
 */
#ifndef KSLAB_REPORT_H
#define KSLAB_REPORT_H

#include <kslab/port.h>

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
void kslab_set_report_hook(kslab_report_hook_fn hook, void *arg);

/**
 * kslab_report_count() - how many reports were made since start
 *
 * Return: the count.
 */
unsigned long kslab_report_count(void);

/**
 * kslab_report() - report a problem kslab found
 * @level: KSLAB_LOG_ERR for a bug found, KSLAB_LOG_WARN, KSLAB_LOG_INFO
 * @fmt:   printf format of the message, without the "kslab: " prefix
 */
kslab_printf_fmt(2, 3)
void kslab_report(enum kslab_log_level level, const char *fmt, ...);

/**
 * kslab_check_problem() - report one violation a consistency check found
 * @owner:    the zone or cache checked, named in the report
 * @problems: the check's running count, incremented
 * @fmt:      what is wrong
 *
 * Only the first few violations of a check are printed; the count goes on,
 * and kslab_check_done() says how many were held back.
 */
kslab_printf_fmt(3, 4)
void kslab_check_problem(const char *owner, unsigned long *problems,
			 const char *fmt, ...);

/**
 * kslab_check_done() - close a check: report violations held back, if any
 * @owner:    the zone or cache checked
 * @problems: the check's final count
 */
void kslab_check_done(const char *owner, unsigned long problems);

/**
 * kslab_append() - snprintf() at an offset, for texts built piece by piece
 * @buf:  the whole buffer; may be NULL if @size is 0
 * @size: its size
 * @len:  the length of the text so far, which may already exceed @size
 * @fmt:  what to add
 *
 * Writes what fits, always NUL-terminated when @size > 0. Return: the
 * length the whole text would have, so the final value tells the caller
 * the size it needs, as snprintf() does.
 */
kslab_printf_fmt(4, 5)
size_t kslab_append(char *buf, size_t size, size_t len, const char *fmt, ...);

#endif /* KSLAB_REPORT_H */
