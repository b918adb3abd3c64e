// SPDX-License-Identifier: GPL-2.0
/*
 * Fixtures shared by the port tests (declared in port_tests.h): stress
 * threads that start together, a racy increment, a byte check and a
 * page fault sampler.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
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

#define FAULT_RING_PAGES	8

/*
 * Sample each page fault the calling thread takes in user mode, with its
 * address: perf's software event, raised by the fault itself, so that
 * pages a system call populates are not counted (getrusage()'s minor
 * faults count those too). False if perf refused (errno says why).
 */
bool fault_sampler_open(struct fault_sampler *s)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_PAGE_FAULTS,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_ADDR,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	s->fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1,
			     PERF_FLAG_FD_CLOEXEC);
	if (s->fd < 0)
		return false;
	s->ring = mmap(NULL, (1 + FAULT_RING_PAGES) * KSLAB_PAGE_SIZE,
		       PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->ring == MAP_FAILED) {
		close(s->fd);
		return false;
	}
	ioctl(s->fd, PERF_EVENT_IOC_ENABLE, 0);
	return true;
}

/* @size bytes of the ring's data from position @pos, which may wrap. */
static void ring_read(const unsigned char *data, uint64_t pos, void *out,
		      size_t size)
{
	const size_t ring = FAULT_RING_PAGES * KSLAB_PAGE_SIZE;
	size_t i;

	for (i = 0; i < size; i++)
		((unsigned char *)out)[i] = data[(pos + i) % ring];
}

/*
 * Stop sampling and close. Return: the faults sampled at addresses in
 * [@lo, @hi), or ~0UL if the ring lost any.
 */
unsigned long fault_sampler_close(struct fault_sampler *s, unsigned long lo,
				  unsigned long hi)
{
	const struct perf_event_mmap_page *meta = s->ring;
	const unsigned char *data = (unsigned char *)s->ring + KSLAB_PAGE_SIZE;
	uint64_t pos = meta->data_tail, head, addr;
	struct perf_event_header header;
	unsigned long n = 0;

	ioctl(s->fd, PERF_EVENT_IOC_DISABLE, 0);
	head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	for (; pos < head && n != ~0UL; pos += header.size) {
		ring_read(data, pos, &header, sizeof(header));
		if (header.type == PERF_RECORD_LOST || !header.size) {
			n = ~0UL;
			break;
		}
		if (header.type != PERF_RECORD_SAMPLE)
			continue;
		ring_read(data, pos + sizeof(header), &addr, sizeof(addr));
		n += addr >= lo && addr < hi;
	}
	munmap(s->ring, (1 + FAULT_RING_PAGES) * KSLAB_PAGE_SIZE);
	close(s->fd);
	return n;
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
