// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: printing and panics, with write(2) only. stdio would
 * allocate and lock, and these run inside the allocator and inside malloc.
 * Also KSLAB_STATS: slabinfo, buddyinfo and regioninfo as the program
 * exits (like MIMALLOC_SHOW_STATS), the LD_PRELOAD malloc's programs too:
 * on stderr with 1, appended to a file with an absolute path ("%p" in it
 * stands for the process ID), for programs that close stderr before they
 * exit;
 * "json" and "json:" with a path give kslab_stats_json()'s document.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kslab/buddy.h>
#include <kslab/region.h>
#include <kslab/slab.h>

#include "../mm/port.h"
#include "port-internal.h"

#define LINE_MAX_BYTES	1024
#define STATS_PATH_MAX	4096

/* Write all of @buf, as far as @fd takes it. */
static void write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		done += (size_t)n;
	}
}

void kslab_env_puts(enum kslab_log_level level, const char *line)
{
	int fd = level == KSLAB_LOG_OUT ? STDOUT_FILENO : STDERR_FILENO;
	char buf[LINE_MAX_BYTES];
	size_t len = strnlen(line, sizeof(buf) - 1);

	memcpy(buf, line, len);
	buf[len++] = '\n';
	write_all(fd, buf, len);
}

void kslab_env_panic(const char *msg)
{
	kslab_env_puts(KSLAB_LOG_ERR, msg);
	abort();
}

/* Format with @format into memory of its own (not malloc's) and write it. */
void kslab_write_text(int fd, size_t (*format)(char *buf, size_t size))
{
	size_t len = format(NULL, 0);
	char *buf = mmap(NULL, len + 1, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return;
	write_all(fd, buf, format(buf, len + 1));
	munmap(buf, len + 1);
}

/*
 * Open the file a setting (@setting, say KSLAB_STATS) names, @pattern with
 * each "%p" replaced by the process ID, to append to (or, not @append,
 * to write anew).
 * Return: its descriptor, or -1, said why.
 */
int kslab_output_open(const char *setting, const char *pattern, bool append)
{
	char path[STATS_PATH_MAX], msg[LINE_MAX_BYTES];
	size_t len = 0;
	int fd = -1;

	for (; *pattern && len < sizeof(path) - 24; pattern++) {
		if (pattern[0] == '%' && pattern[1] == 'p') {
			len += (size_t)snprintf(path + len, sizeof(path) - len,
						"%d", (int)getpid());
			pattern++;
		} else {
			path[len++] = *pattern;
		}
	}
	path[len] = '\0';
	if (!*pattern)
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
			  (append ? O_APPEND : O_TRUNC), 0644);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "kslab: %s: %s: %s; not written",
			 setting, path, *pattern ? "path too long" : strerror(errno));
		kslab_env_puts(KSLAB_LOG_WARN, msg);
	}
	return fd;
}

/*
 * KSLAB_STATS: 1 or a file's absolute path, slabinfo, buddyinfo and
 * regioninfo; "json" or "json:" and a path, kslab_stats_json()'s
 * document. First, what KSLAB_PROFILE asks for (userspace/profile.c).
 */
static void __attribute__((destructor)) stats_at_exit(void)
{
	const char *value = kslab_env_option("KSLAB_STATS");
	int fd = STDERR_FILENO;
	bool json = false;

	kslab_profile_at_exit();

	if (!value || !strcmp(value, "0"))
		return;
	if (!strncmp(value, "json", 4) && (!value[4] || value[4] == ':')) {
		json = true;
		value += value[4] ? 5 : 4;
	}
	if (value[0] == '/') {
		fd = kslab_output_open("KSLAB_STATS", value, true);
		if (fd < 0)
			return;
	} else if (json ? value[0] != '\0' : strcmp(value, "1") != 0) {
		kslab_env_puts(KSLAB_LOG_WARN,
			       "kslab: KSLAB_STATS must be 0, 1, a file's absolute path, json or json:path; no statistics");
		return;
	}
	if (json) {
		kslab_write_text(fd, kslab_stats_json);
	} else {
		kslab_write_text(fd, kslab_slabinfo_format);
		kslab_write_text(fd, kslab_buddyinfo_format);
		kslab_write_text(fd, kslab_regioninfo_format);
	}
	if (fd != STDERR_FILENO)
		close(fd);
}
