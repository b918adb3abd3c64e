/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mm/'s consistency checks, reports and text formats share
 * (mm/report.c owns them): one line per violation up to a limit, a
 * closing count, the action after heap corruption, and text built piece
 * by piece. Internal to mm/.
 */
#ifndef KSLAB_MM_CHECK_H
#define KSLAB_MM_CHECK_H

#include <kslab/report.h>

#include "port.h"

/**
 * kslab_check_problem() - report one violation a consistency check found
 * @owner:    the zone or cache checked, named in the report
 * @problems: the check's running count, incremented
 * @fmt:      what is wrong
 *
 * Only the first few violations of a check are printed; the count goes on,
 * and kslab_check_done() says how many were held back.
 */
void kslab_check_problem(const char *owner, unsigned long *problems,
			 const char *fmt, ...) kslab_printf_fmt(3, 4);

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
size_t kslab_append(char *buf, size_t size, size_t len, const char *fmt, ...)
	kslab_printf_fmt(4, 5);

void kslab_corrupted(void);

#endif /* KSLAB_MM_CHECK_H */
