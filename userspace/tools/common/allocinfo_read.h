/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The slabinfo tool's view of allocation profiles: the text
 * kslab_allocinfo_format() writes (KSLAB_PROFILE=allocinfo, the module's
 * /proc/kslab_allocinfo) or the kernel's own /proc/allocinfo, one site a
 * line after the header. Sites are told apart by their tag text.
 */
#ifndef KSLAB_TOOLS_ALLOCINFO_READ_H
#define KSLAB_TOOLS_ALLOCINFO_READ_H

#include <stdbool.h>
#include <stdio.h>

/**
 * allocinfo_top() - print the @top sites of @path holding most bytes
 * @path: the dump ("-": standard input)
 * @top:  how many sites to print
 * @out:  where
 *
 * Return: true if the dump was read whole.
 */
bool allocinfo_top(const char *path, unsigned long top, FILE *out);

/**
 * allocinfo_diff() - print what changed per site from @old to @new
 * @old:  the earlier dump
 * @new:  the later one
 * @top:  how many sites to print, largest change in bytes first
 * @out:  where
 *
 * Return: true if both dumps were read whole.
 */
bool allocinfo_diff(const char *old, const char *new, unsigned long top,
		    FILE *out);

#endif /* KSLAB_TOOLS_ALLOCINFO_READ_H */
