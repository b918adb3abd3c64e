// SPDX-License-Identifier: GPL-2.0
/*
 * Running code and programs with their output captured, and reading the
 * resident size, for the userspace test programs (see process.h).
 *
 * Output is captured by pointing fd 1 and fd 2 at pipes, in this process,
 * in a forked child for what must kill its process, or in a child that
 * runs this program again or another program.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../mm/port.h"
#include "process.h"

static bool capture_pipes(int out[2], int err[2])
{
	if (pipe2(out, O_CLOEXEC))
		return false;
	if (pipe2(err, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return false;
	}
	return true;
}

static void capture_read(int fd, char *buf, size_t *len, bool *open)
{
	char scratch[512];
	ssize_t n = read(fd, scratch, sizeof(scratch));
	size_t room = CAPTURE_MAX - 1 - *len;

	if (n <= 0) {
		if (n == 0 || errno != EINTR)
			*open = false;
		return;
	}
	/* Keep reading past a full buffer so the writer never blocks. */
	if ((size_t)n < room)
		room = (size_t)n;
	memcpy(buf + *len, scratch, room);
	*len += room;
}

/* Read both pipes until every writer has closed them. Closes @out, @err. */
static void capture_drain(struct capture *c, int out, int err)
{
	size_t out_len = 0, err_len = 0;
	bool out_open = true, err_open = true;

	while (out_open || err_open) {
		struct pollfd fds[2] = {
			{ .fd = out_open ? out : -1, .events = POLLIN },
			{ .fd = err_open ? err : -1, .events = POLLIN },
		};

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents)
			capture_read(out, c->out, &out_len, &out_open);
		if (fds[1].revents)
			capture_read(err, c->err, &err_len, &err_open);
	}
	c->out[out_len] = '\0';
	c->err[err_len] = '\0';
	close(out);
	close(err);
}

/* Point fd 1 and fd 2 at the write ends, which are then closed. */
static void capture_redirect(int out[2], int err[2])
{
	fflush(stdout);
	fflush(stderr);
	dup2(out[1], STDOUT_FILENO);
	dup2(err[1], STDERR_FILENO);
	close(out[1]);
	close(err[1]);
}

bool capture_call(struct capture *c, void (*fn)(void *), void *arg)
{
	int out[2], err[2], saved_out, saved_err;

	if (!capture_pipes(out, err))
		return false;
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	capture_redirect(out, err);
	fn(arg);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	capture_drain(c, out[0], err[0]);
	c->status = 0;
	c->pid = 0;
	return true;
}

bool capture_fork(struct capture *c, void (*fn)(void *), void *arg)
{
	int out[2], err[2];
	pid_t pid;

	if (!capture_pipes(out, err))
		return false;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		return false;
	}
	if (pid == 0) {
		close(out[0]);
		close(err[0]);
		capture_redirect(out, err);
		fn(arg);
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	close(out[1]);
	close(err[1]);
	capture_drain(c, out[0], err[0]);
	c->pid = (int)pid;
	return waitpid(pid, &c->status, 0) == pid;
}

/* This program's command line and environment, to run it again with. */
struct self_exec {
	const char *arg;
	char **envp;
};

static void exec_self(void *arg)
{
	const struct self_exec *x = arg;
	const char *const argv[] = { "/proc/self/exe", x->arg, NULL };

	execve(argv[0], (char *const *)argv, x->envp);
	_exit(127);
}

bool capture_self(struct capture *c, const char *arg, char **envp)
{
	struct self_exec x = { .arg = arg, .envp = envp };

	return capture_fork(c, exec_self, &x);
}

/* A program and its arguments, and the environment to run it in. */
struct program_exec {
	const char *const *argv;
	char **envp;
};

static void exec_program(void *arg)
{
	const struct program_exec *x = arg;

	execve(x->argv[0], (char *const *)x->argv, x->envp);
	_exit(127);
}

bool capture_exec(struct capture *c, const char *const *argv, char **envp)
{
	struct program_exec x = { .argv = argv, .envp = envp };

	return capture_fork(c, exec_program, &x);
}

char **env_with(const char *name, const char *value, char **var)
{
	size_t n = 0, i, j = 0, len = strlen(name);
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], name, len) || environ[i][len] != '=')
			env[j++] = environ[i];
	if (asprintf(var, "%s=%s", name, value) < 0) {
		free(env);
		return NULL;
	}
	env[j] = *var;
	return env;
}

bool capture_shell(struct capture *c, const char *dir, const char *cmd,
		   const char *name, const char *value)
{
	const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	char **env, *var = NULL, *full;
	bool ran;

	if (asprintf(&full, "cd %s && %s", dir, cmd) < 0)
		return false;
	argv[2] = full;
	env = env_with(name, value, &var);
	ran = env && capture_exec(c, argv, env);
	free(var);
	free(env);
	free(full);
	return ran;
}

bool write_file_in(const char *dir, const char *name, const void *data,
		   size_t len)
{
	char *path;
	FILE *f;
	bool ok;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return false;
	f = fopen(path, "w");
	free(path);
	if (!f)
		return false;
	ok = fwrite(data, 1, len, f) == len;
	return !fclose(f) && ok;
}

bool work_dir_make(char *tmpl)
{
	return mkdtemp(tmpl) != NULL;
}

void work_dir_remove(const char *dir)
{
	char *cmd;

	if (asprintf(&cmd, "rm -rf %s", dir) < 0 || system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
}

bool build_dir_of_self(char *dir, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return false;
	self[n] = '\0';
	snprintf(dir, size, "%s", dirname(dirname(self)));
	return true;
}

bool range_smaps_kib(const char *field, unsigned long from,
		     unsigned long to, unsigned long *kib)
{
	unsigned long start, end, n;
	FILE *f = fopen("/proc/self/smaps", "r");
	size_t len = strlen(field);
	bool in_range = false;
	char line[256];

	if (!f)
		return false;
	*kib = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in_range = start < to && end > from;
		else if (in_range && !strncmp(line, field, len) &&
			 line[len] == ':' && sscanf(line + len + 1, "%lu kB", &n) == 1)
			*kib += n;
	}
	fclose(f);
	return true;
}

bool arena_smaps_kib(const char *field, unsigned long *kib)
{
	return range_smaps_kib(field, kslab_arena_base,
			       kslab_arena_base +
			       kslab_arena_pages * KSLAB_PAGE_SIZE, kib);
}

bool arena_rss(unsigned long *bytes)
{
	unsigned long kib;

	if (!arena_smaps_kib("Rss", &kib))
		return false;
	*bytes = kib << 10;
	return true;
}

unsigned long resident_pages(void *p, size_t size)
{
	unsigned long resident = 0;
	unsigned char vec;
	size_t off;

	for (off = 0; off < size; off += KSLAB_PAGE_SIZE)
		if (mincore((char *)p + off, KSLAB_PAGE_SIZE, &vec) == 0 &&
		    (vec & 1))
			resident++;
	return resident;
}
