/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names of zones, caches and regions, made without the environment's
 * snprintf(). A program's first malloc names a zone and several caches;
 * in userspace, formatted output there would fault in and bind the C
 * library's printf machinery for a program that may never print (about
 * 70 of the first malloc's 500 microseconds on the 2-vCPU VM of
 * Documentation/buddy.rst). Internal to mm/.
 */
#ifndef KSLAB_MM_NAME_H
#define KSLAB_MM_NAME_H

#include "port.h"

/*
 * Copy @name into @buf of @size bytes (at least 1), cut to fit and
 * terminated. Return: the length copied.
 */
static inline size_t kslab_name_copy(char *buf, size_t size, const char *name)
{
	size_t len = 0;

	while (name[len] && len + 1 < size) {
		buf[len] = name[len];
		len++;
	}
	buf[len] = '\0';
	return len;
}

/* @prefix and @n in decimal, such as "kmalloc-96", into @buf as above. */
static inline void kslab_name_number(char *buf, size_t size,
				     const char *prefix, unsigned long n)
{
	char digits[24];
	size_t first = sizeof(digits) - 1, len;

	digits[first] = '\0';
	do {
		digits[--first] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	len = kslab_name_copy(buf, size, prefix);
	kslab_name_copy(buf + len, size - len, digits + first);
}

#endif /* KSLAB_MM_NAME_H */
