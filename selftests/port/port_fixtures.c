// SPDX-License-Identifier: GPL-2.0
/*
 * Fixtures shared by the port tests (declared in port_tests.h): stress
 * threads that start together, a racy increment and a byte check.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
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

/*
 * Read a probe's answer: @fields conversions of @fmt from its output, or
 * a failed check, at @file:@line, that shows all the probe said.
 */
bool probe_answer(struct ktap_test *t, const struct capture *c,
		  const char *file, int line, int fields, const char *fmt, ...)
{
	va_list ap;
	int got;

	va_start(ap, fmt);
	got = vsscanf(c->out, fmt, ap);
	va_end(ap);
	return ktap_check(t, got == fields, file, line,
			  "probe: status %d, out \"%s\", err \"%s\"",
			  c->status, c->out, c->err);
}
