/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation profiling: live bytes and calls per allocation site, for
 * every cache, kmalloc and (so) the userspace malloc, in both builds
 * (Documentation/profiling.rst). A site is the code address an allocation
 * returns to: its caller. Off unless the KSLAB_PROFILE setting (the
 * module's profile= parameter) or kslab_profile_start() turns it on.
 */
#ifndef KSLAB_PROFILE_H
#define KSLAB_PROFILE_H

#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/* What kslab_profile_sites() says of one site. */
struct kslab_site_stats {
	unsigned long caller;	/* the address the allocation returned to */
	long bytes;		/* live bytes allocated there */
	long calls;		/* live allocations made there */
};

/**
 * kslab_profile_start() - count allocations by site from now on
 *
 * Allocations made before are not attributed (nor their frees). The
 * tables are made on the first start and kept.
 * Context: process context; may sleep.
 * Return: 0, or -1 if the tables could not be made.
 */
KSLAB_API
int kslab_profile_start(void);

/**
 * kslab_profile_stop() - stop attributing new allocations
 *
 * Frees of blocks allocated while profiling was on still count down
 * their sites, so the figures stay true for what they cover. Once none
 * of those is left, allocations and frees take kslab's fast paths again
 * (while it counts objects they all take the slow paths).
 * Context: process context; may sleep.
 */
KSLAB_API
void kslab_profile_stop(void);

/**
 * kslab_profile_sites() - the sites with live allocations, largest first
 * @sites: receives up to @max sites, by live bytes, largest first
 * @max:   room in @sites
 *
 * Context: process context; may sleep (the sort's memory).
 * Return: how many sites have live allocations (may exceed @max).
 */
KSLAB_API
size_t kslab_profile_sites(struct kslab_site_stats *sites, size_t max);

/**
 * kslab_allocinfo_format() - every site, as the kernel's /proc/allocinfo
 * @buf:  receives the text, NUL-terminated, truncated to @size
 * @size: room in @buf (0: only measure)
 *
 * A header line, a column line, then one line per site ever seen:
 * live bytes, live calls, and the site as the environment names a code
 * address.
 * Return: the length of the whole text, as snprintf() counts it.
 */
KSLAB_API
size_t kslab_allocinfo_format(char *buf, size_t size);

/**
 * kslab_leaks_format() - the sites still holding memory, largest first
 * @buf:  receives the text, NUL-terminated, truncated to @size
 * @size: room in @buf (0: only measure)
 *
 * What a program still holds at exit is its leaks: a summary line, then
 * one line per site with live allocations, by live bytes.
 * Context: process context; may sleep (the sort's memory).
 * Return: the length of the whole text, as snprintf() counts it.
 */
KSLAB_API
size_t kslab_leaks_format(char *buf, size_t size);

/**
 * kslab_profile_sample() - sample allocations with their stacks
 * @rate: bytes allocated, on average, between two samples; 0 stops
 *        sampling (samples still live are kept until freed)
 *
 * Starts the profile too (kslab_profile_start()). Each sample keeps its
 * allocation's stack while it lives; kslab_heap_profile_format() writes
 * them for pprof. The gaps between samples are drawn at random, so
 * every byte has the same chance, whatever the sizes.
 * Context: process context; may sleep.
 * Return: 0, -1 if the tables could not be made or @rate is over 64 MiB.
 */
KSLAB_API
int kslab_profile_sample(unsigned long rate);

/**
 * kslab_heap_profile_format() - the samples as a pprof heap profile
 * @buf:  receives the text, NUL-terminated, truncated to @size
 * @size: room in @buf (0: only measure)
 *
 * gperftools' text format, "heap_v2" with the sampling rate, which
 * pprof scales back up: one line per stack, its samples live now and
 * those allocated since sampling started. A userspace reader of it also
 * needs the program's mappings, which the writer appends (the
 * KSLAB_PROFILE setting's heap= does: Documentation/profiling.rst).
 * Return: the length of the whole text, as snprintf() counts it.
 */
KSLAB_API
size_t kslab_heap_profile_format(char *buf, size_t size);

KSLAB_END_DECLS

#endif /* KSLAB_PROFILE_H */
