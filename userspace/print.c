// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: printing and panics, with write(2) only. stdio would
 * allocate and lock, and these run inside the allocator and inside malloc.
 * Also KSLAB_STATS=1: slabinfo and buddyinfo on stderr as the program
 * exits (like MIMALLOC_SHOW_STATS), the LD_PRELOAD malloc's programs too.
 */
#include <kslab/buddy.h>
#include <kslab/slab.h>

#include <errno.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES	1024

void kslab_env_puts(enum kslab_log_level level, const char *line)
{
	int fd = level == KSLAB_LOG_OUT ? STDOUT_FILENO : STDERR_FILENO;
	char buf[LINE_MAX_BYTES];
	size_t len = strnlen(line, sizeof(buf) - 1);
	size_t done = 0;

	memcpy(buf, line, len);
	buf[len++] = '\n';
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		done += (size_t)n;
	}
}

void kslab_env_panic(const char *msg)
{
	kslab_env_puts(KSLAB_LOG_ERR, msg);
	abort();
}

/* Format with @format into memory of its own (not malloc's) and write it. */
static void write_text(size_t (*format)(char *buf, size_t size))
{
	size_t len = format(NULL, 0), done = 0;
	char *buf = mmap(NULL, len + 1, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return;
	len = format(buf, len + 1);
	while (done < len) {
		ssize_t n = write(STDERR_FILENO, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	munmap(buf, len + 1);
}

static void __attribute__((destructor)) stats_at_exit(void)
{
	const char *value = kslab_env_option("KSLAB_STATS");

	if (!value || !strcmp(value, "0"))
		return;
	if (strcmp(value, "1")) {
		kslab_env_puts(KSLAB_LOG_WARN,
			       "kslab: KSLAB_STATS must be 0 or 1; no statistics");
		return;
	}
	write_text(kslab_slabinfo_format);
	write_text(kslab_buddyinfo_format);
}
