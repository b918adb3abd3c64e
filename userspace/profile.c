// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace: what the KSLAB_PROFILE setting asks beyond turning the
 * profile on, which mm/profile.c does as the first cache is made. Its
 * value is a comma-separated list of words (Documentation/profiling.rst):
 *
 *   1, on             profile; write nothing
 *   leaks             at exit, the sites still holding memory, largest
 *                     first (kslab_leaks_format())
 *   allocinfo         at exit, every site (kslab_allocinfo_format())
 *   signal=N          on signal N, the allocinfo text, at once
 *   file=PATH         where the texts go, appended ("%p": the process
 *                     ID), instead of stderr
 *   sample=BYTES      sample about one allocation in BYTES allocated,
 *                     with its stack (mm/profile.c reads it)
 *   heap=PATH         at exit, the samples as a pprof heap profile, with
 *                     the process's mappings, written anew to PATH
 *                     (sampling every 512 KiB unless sample= says)
 *
 * Owns the parsed setting. No lock: it is read once, before main(), and
 * only read after.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kslab/profile.h>
#include <kslab/report.h>

#include "../mm/port.h"
#include "port-internal.h"

#define OPTION_NAME	"KSLAB_PROFILE"
#define PATH_BYTES	4096

static bool want_leaks;
static bool want_allocinfo;
static char out_path[PATH_BYTES] kslab_env_table;
static char heap_path[PATH_BYTES] kslab_env_table;

/* Where the texts go: the file asked for, else stderr. -1 if it won't open. */
static int output_open(void)
{
	if (!out_path[0])
		return STDERR_FILENO;
	return kslab_output_open(OPTION_NAME, out_path, true);
}

static void output_close(int fd)
{
	if (fd != STDERR_FILENO)
		close(fd);
}

/*
 * The dump a signal asks for. Formatting needs no lock and no malloc, and
 * the file is opened and written with system calls; naming each site asks
 * the dynamic loader (dladdr()), which a signal that lands inside the
 * loader itself could find half-way through a change.
 */
static void dump_on_signal(int sig)
{
	int saved = errno, fd = output_open();

	(void)sig;
	if (fd >= 0) {
		kslab_write_text(fd, kslab_allocinfo_format);
		output_close(fd);
	}
	errno = saved;
}

static bool signal_install(const char *number)
{
	struct sigaction sa;
	char *end;
	long sig = strtol(number, &end, 10);

	if (*end || end == number || sig <= 0 || sig >= NSIG)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dump_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return !sigaction((int)sig, &sa, NULL);
}

/* One word of the setting. Return: false if it means nothing. */
static bool word_apply(const char *word, size_t len)
{
	char value[PATH_BYTES];

	if (len >= sizeof(value))
		return false;
	memcpy(value, word, len);
	value[len] = '\0';
	if (!strcmp(value, "1") || !strcmp(value, "on"))
		return true;
	if (!strcmp(value, "leaks"))
		return want_leaks = true;
	if (!strcmp(value, "allocinfo"))
		return want_allocinfo = true;
	if (!strncmp(value, "signal=", 7))
		return signal_install(value + 7);
	if (!strncmp(value, "file=", 5) && value[5] == '/') {
		strcpy(out_path, value + 5);
		return true;
	}
	if (!strncmp(value, "heap=", 5) && value[5] == '/') {
		strcpy(heap_path, value + 5);
		return true;
	}
	if (!strncmp(value, "sample=", 7))
		return value[7] && strspn(value + 7, "0123456789") == len - 7;
	return false;
}

/* Copy /proc/self/maps to @fd: what pprof needs to find each address's file. */
static void maps_copy(int fd)
{
	int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char buf[4096];
	ssize_t n;

	if (in < 0)
		return;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	close(in);
}

/* heap=PATH: the samples, then the mappings, as gperftools writes them. */
static void heap_write(void)
{
	static const char maps_head[] = "\nMAPPED_LIBRARIES:\n";
	int fd = kslab_output_open(OPTION_NAME, heap_path, false);

	if (fd < 0)
		return;
	kslab_write_text(fd, kslab_heap_profile_format);
	if (write(fd, maps_head, sizeof(maps_head) - 1) ==
	    (ssize_t)sizeof(maps_head) - 1)
		maps_copy(fd);
	close(fd);
}

static void __attribute__((constructor)) profile_setting_read(void)
{
	const char *value = kslab_env_option(OPTION_NAME), *word, *comma;
	unsigned long primer;
	bool sampling = false;

	if (!value || !strcmp(value, "0"))
		return;
	for (word = value; *word; word = *comma ? comma + 1 : comma) {
		comma = strchrnul(word, ',');
		if (!strncmp(word, "sample=", 7) || !strncmp(word, "heap=", 5))
			sampling = true;
		if (!word_apply(word, (size_t)(comma - word)))
			kslab_report(KSLAB_LOG_WARN,
				     "%s: \"%.*s\" is none of 1, on, leaks, allocinfo, signal=N, file=/path, sample=BYTES, heap=/path",
				     OPTION_NAME, (int)(comma - word), word);
	}
	/* The unwinder's first call loads its library: now, not in a malloc. */
	if (sampling)
		kslab_env_stack(&primer, 1);
}

/*
 * The texts asked for at exit: called by the destructor of print.c, so a
 * program linked with the static library has this file too.
 */
void kslab_profile_at_exit(void)
{
	int fd;

	if (heap_path[0])
		heap_write();
	if (!want_leaks && !want_allocinfo)
		return;
	fd = output_open();
	if (fd < 0)
		return;
	if (want_allocinfo)
		kslab_write_text(fd, kslab_allocinfo_format);
	if (want_leaks)
		kslab_write_text(fd, kslab_leaks_format);
	output_close(fd);
}
