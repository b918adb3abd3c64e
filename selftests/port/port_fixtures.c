// SPDX-License-Identifier: GPL-2.0
/*
 * Fixtures shared by the port tests (declared in port_tests.h): stress
 * threads that start together, a racy increment, a byte check, and output
 * capture.
 *
 * Output is captured by pointing fd 1 and fd 2 at pipes, in this process,
 * in a forked child for what must kill its process (KSLAB_BUG_ON), or in
 * a child that runs this program again (the CPU id fallback probe).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "port_tests.h"

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

/* Hold a thread until all have been created, so that they really overlap. */
void stress_wait_start(struct stress *s)
{
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

/* Run @nr copies of @fn together; false if not all of them could start. */
bool run_threads(unsigned int nr, void *(*fn)(void *), struct stress *s)
{
	pthread_t tids[STRESS_THREADS];
	unsigned int i, started;

	s->go = 0;
	for (started = 0; started < nr && started < STRESS_THREADS; started++)
		if (pthread_create(&tids[started], NULL, fn, s))
			break;
	__atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return started == nr;
}

/*
 * A read-modify-write that loses updates unless the caller excludes every
 * other writer. The gap between load and store is widened, and now and then
 * the thread gives up its CPU inside it, so that broken exclusion shows up
 * as a wrong total on any machine, not only by luck.
 */
void racy_increment(unsigned long *counter, unsigned long i)
{
	unsigned long v = KSLAB_READ_ONCE(*counter);
	int k;

	if ((i & 1023) == 0)
		sched_yield();
	else
		for (k = 0; k < 16; k++)
			__asm__ __volatile__("" ::: "memory");
	KSLAB_WRITE_ONCE(*counter, v + 1);
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

/* Whether all @size bytes at @p are @v. */
bool bytes_are(const void *p, unsigned char v, size_t size)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Output capture                                                      */
/* ------------------------------------------------------------------ */

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

/*
 * Run @fn here with its output captured. It must write less than a pipe
 * holds (64 KiB): nobody reads the pipes until it returns.
 */
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
	return true;
}

/* Run @fn in a forked child with its output captured; it may kill itself. */
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

/*
 * Run this program again in a forked child, with @arg as its only argument
 * and @envp as its environment, and capture its output.
 */
bool capture_self(struct capture *c, const char *arg, char **envp)
{
	struct self_exec x = { .arg = arg, .envp = envp };

	return capture_fork(c, exec_self, &x);
}
