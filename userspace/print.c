// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: printing and panics, with write(2) only. stdio would
 * allocate and lock, and these run inside the allocator and inside malloc.
 */
#include <kslab/port.h>

#include <errno.h>
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
