// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the userspace side of the port contract (<kslab/port.h>,
 * <kslab/port-user.h>, userspace/): CPU ids and their sched_getcpu()
 * fallback, exclusive per-CPU sections, per-CPU storage, locks, atomics, the
 * page source, metadata memory, line output, reports, assertions and RCU.
 *
 * mm/ trusts these items blindly, so each test tries to catch the item
 * breaking its promise under stress: lost updates behind a lock, overlapping
 * per-CPU copies, memory still mapped after it was given back, a callback
 * run while a reader could still see its object.
 *
 * Output is captured by pointing fd 1 and fd 2 at pipes, in this process or
 * in a forked child for what must kill its process (KSLAB_BUG_ON). The CPU id
 * fallback is tested by running this program again with rseq disabled.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kslab/port.h>
#include <kslab/report.h>

#include "../ktap.h"

#define CPU_PROBE_ARG		"--cpu-probe"
#define CAPTURE_MAX		8192
#define STRESS_THREADS		8

/* ---------------------------------------------------------------------
 * Helpers: threads, timing, output capture
 * --------------------------------------------------------------------- */

/* What every stress thread gets: a common start signal and its workload. */
struct stress {
	int go;
	unsigned long iterations;
	void *ctx;
};

/* Hold a thread until all have been created, so that they really overlap. */
static void stress_wait_start(struct stress *s)
{
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

/* Run @nr copies of @fn together; false if not all of them could start. */
static bool run_threads(unsigned int nr, void *(*fn)(void *), struct stress *s)
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

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * A read-modify-write that loses updates unless the caller excludes every
 * other writer. The gap between load and store is widened, and now and then
 * the thread gives up its CPU inside it, so that broken exclusion shows up
 * as a wrong total on any machine, not only by luck.
 */
static void racy_increment(unsigned long *counter, unsigned long i)
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

/* Text a piece of code wrote to fd 1 and fd 2, and how its process ended. */
struct capture {
	char out[CAPTURE_MAX];
	char err[CAPTURE_MAX];
	int status;
};

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
static bool capture_call(struct capture *c, void (*fn)(void *), void *arg)
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
static bool capture_fork(struct capture *c, void (*fn)(void *), void *arg)
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

/* ---------------------------------------------------------------------
 * CPU ids
 * --------------------------------------------------------------------- */

struct cpu_scan {
	unsigned int tried;
	unsigned int mismatches;
	unsigned int last_bad_cpu;
	unsigned int last_bad_id;
};

/*
 * Pin this thread to each CPU it may run on in turn and ask kslab_cpu_id()
 * there, several times with a yield between: a stale or wrong answer shows.
 * The thread's original affinity is restored.
 */
static bool scan_cpu_ids(struct cpu_scan *scan)
{
	cpu_set_t saved, one;
	unsigned int cpu, k;

	memset(scan, 0, sizeof(*scan));
	if (sched_getaffinity(0, sizeof(saved), &saved))
		return false;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &saved))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		scan->tried++;
		for (k = 0; k < 16; k++) {
			unsigned int id = kslab_cpu_id();

			if (id != cpu) {
				scan->mismatches++;
				scan->last_bad_cpu = cpu;
				scan->last_bad_id = id;
			}
			sched_yield();
		}
	}
	sched_setaffinity(0, sizeof(saved), &saved);
	return true;
}

static unsigned int highest_allowed_cpu(void)
{
	cpu_set_t set;
	unsigned int cpu, highest = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			highest = cpu;
	return highest;
}

static void test_nr_cpus(struct ktap_test *t)
{
	unsigned int nr = kslab_nr_cpus();
	unsigned int i, out_of_range = 0;

	KTAP_EXPECT(t, nr >= 1);
	KTAP_EXPECT(t, nr >= (unsigned int)get_nprocs_conf());
	KTAP_EXPECT(t, highest_allowed_cpu() < nr);
	KTAP_EXPECT_EQ(t, kslab_nr_cpus(), nr);
	for (i = 0; i < 10000; i++)
		if (kslab_cpu_id() >= nr)
			out_of_range++;
	KTAP_EXPECT_EQ(t, out_of_range, 0);
}

static void test_cpu_id_pinned(struct ktap_test *t)
{
	struct cpu_scan scan;

	KTAP_ASSERT(t, scan_cpu_ids(&scan));
	KTAP_EXPECT(t, scan.tried >= 1);
	if (!KTAP_EXPECT_EQ(t, scan.mismatches, 0))
		ktap_diag("pinned to CPU %u, kslab_cpu_id() said %u",
			  scan.last_bad_cpu, scan.last_bad_id);
	ktap_diag("cpu id source: %s, %u CPUs pinned", kslab_env_cpu_id_source(),
		  scan.tried);
}

/* The re-executed program: pin to each CPU, print what was seen. */
static int cpu_probe_main(void)
{
	struct cpu_scan scan;
	bool ok = scan_cpu_ids(&scan);

	printf("source=%s rseq_size=%u tried=%u mismatches=%u\n",
	       kslab_env_cpu_id_source(), __rseq_size, scan.tried,
	       scan.mismatches);
	return ok && scan.tried && !scan.mismatches ? 0 : 1;
}

/*
 * Our environment plus glibc.pthread.rseq=0, other tunables kept. The new
 * variable is returned in @var for the caller to free with the array.
 */
static char **env_without_rseq(char **var)
{
	static const char name[] = "GLIBC_TUNABLES=";
	static const char tunable[] = "glibc.pthread.rseq=0";
	const char *old = getenv("GLIBC_TUNABLES");
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], name, sizeof(name) - 1))
			env[j++] = environ[i];
	if (asprintf(var, "%s%s%s%s", name, old ? old : "", old ? ":" : "",
		     tunable) < 0) {
		free(env);
		return NULL;
	}
	env[j] = *var;
	return env;
}

static void exec_cpu_probe(void *arg)
{
	char *argv[] = { "/proc/self/exe", CPU_PROBE_ARG, NULL };

	execve(argv[0], argv, arg);
	_exit(127);
}

static void test_cpu_id_fallback(struct ktap_test *t)
{
	struct capture c;
	char **env, *var;
	bool ran;

	if (__rseq_size == 0) {
		ktap_skip(t, "no rseq in this process: nothing to fall back from");
		return;
	}
	KTAP_EXPECT(t, !strcmp(kslab_env_cpu_id_source(), "rseq"));
	env = env_without_rseq(&var);
	KTAP_ASSERT(t, env != NULL);
	ran = capture_fork(&c, exec_cpu_probe, env);
	free(var);
	free(env);
	KTAP_ASSERT(t, ran);
	ktap_diag("probe said: %.*s", (int)strcspn(c.out, "\n"), c.out);
	if (!KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0))
		ktap_diag("probe status %#x, stderr: %s", c.status, c.err);
	KTAP_EXPECT(t, strstr(c.out, "source=getcpu ") != NULL);
	KTAP_EXPECT(t, strstr(c.out, " rseq_size=0 ") != NULL);
}

/* ---------------------------------------------------------------------
 * Exclusive per-CPU sections
 * --------------------------------------------------------------------- */

struct section_state {
	unsigned long count;
	int busy;
};

struct section_ctx {
	struct section_state *states;	/* per-CPU */
	unsigned long overlaps;
	unsigned long bad_cpus;
};

static void *section_worker(void *arg)
{
	struct stress *s = arg;
	struct section_ctx *ctx = s->ctx;
	unsigned int nr = kslab_nr_cpus();
	unsigned long i, overlaps = 0, bad_cpus = 0;

	stress_wait_start(s);
	for (i = 0; i < s->iterations; i++) {
		unsigned int cpu = kslab_cpu_enter();
		struct section_state *st;

		if (cpu >= nr) {
			bad_cpus++;
			kslab_cpu_exit(cpu);
			continue;
		}
		st = kslab_percpu_ptr(ctx->states, cpu);
		if (KSLAB_READ_ONCE(st->busy))
			overlaps++;
		KSLAB_WRITE_ONCE(st->busy, 1);
		racy_increment(&st->count, i);
		KSLAB_WRITE_ONCE(st->busy, 0);
		kslab_cpu_exit(cpu);
	}
	__atomic_add_fetch(&ctx->overlaps, overlaps, __ATOMIC_RELAXED);
	__atomic_add_fetch(&ctx->bad_cpus, bad_cpus, __ATOMIC_RELAXED);
	return NULL;
}

static void test_cpu_section_exclusive(struct ktap_test *t)
{
	struct section_ctx ctx = { 0 };
	struct stress s = { .iterations = 40000, .ctx = &ctx };
	unsigned long total = 0, used = 0;
	unsigned int cpu;

	ctx.states = kslab_percpu_alloc(sizeof(*ctx.states));
	KTAP_ASSERT(t, ctx.states != NULL);
	KTAP_ASSERT(t, run_threads(STRESS_THREADS, section_worker, &s));
	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		unsigned long n = kslab_percpu_ptr(ctx.states, cpu)->count;

		total += n;
		used += n != 0;
	}
	KTAP_EXPECT_EQ(t, ctx.bad_cpus, 0);
	KTAP_EXPECT_EQ(t, ctx.overlaps, 0);
	KTAP_EXPECT_EQ(t, total, STRESS_THREADS * s.iterations);
	KTAP_EXPECT(t, used >= 1);
	kslab_percpu_free(ctx.states);
}

/* ---------------------------------------------------------------------
 * Per-CPU storage
 * --------------------------------------------------------------------- */

static bool percpu_aligned(const void *p)
{
	return ((uintptr_t)p & (KSLAB_CACHE_LINE - 1)) == 0;
}

static bool bytes_are(const void *p, unsigned char v, size_t size)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != v)
			return false;
	return true;
}

static unsigned char percpu_pattern(unsigned int obj, unsigned int cpu)
{
	return (unsigned char)(obj * 31 + cpu * 7 + 1) | 1;
}

/* Fill every CPU's copy with its own pattern; with @check, verify instead. */
static unsigned long percpu_fill(void *p, size_t size, unsigned int obj,
				 bool check)
{
	unsigned long bad = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		void *copy = kslab_percpu_ptr(p, cpu);
		unsigned char v = percpu_pattern(obj, cpu);

		if (!check)
			memset(copy, v, size);
		else if (!bytes_are(copy, v, size))
			bad++;
	}
	return bad;
}

static unsigned long percpu_nonzero_copies(void *p, size_t size)
{
	unsigned long bad = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++)
		if (!bytes_are(kslab_percpu_ptr(p, cpu), 0, size))
			bad++;
	return bad;
}

static void test_percpu_layout(struct ktap_test *t)
{
	static const size_t sizes[] = { 1, 8, 8, 64, 100, 4096 };
	void *objs[KSLAB_ARRAY_SIZE(sizes)];
	unsigned int i, nr = kslab_nr_cpus();

	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		objs[i] = kslab_percpu_alloc(sizes[i]);
		KTAP_ASSERT(t, objs[i] != NULL);
		KTAP_EXPECT(t, percpu_aligned(objs[i]));
		KTAP_EXPECT_EQ(t, percpu_nonzero_copies(objs[i], sizes[i]), 0);
		KTAP_EXPECT_EQ(t, (char *)kslab_percpu_ptr(objs[i], nr - 1) -
			       (char *)objs[i], (nr - 1) * KSLAB_PERCPU_UNIT);
		percpu_fill(objs[i], sizes[i], i, false);
	}
	/* Every copy of every object kept its own bytes: nothing overlaps. */
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++)
		KTAP_EXPECT_EQ(t, percpu_fill(objs[i], sizes[i], i, true), 0);
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++)
		kslab_percpu_free(objs[i]);
}

static void test_percpu_reuse(struct ktap_test *t)
{
	void *p, *q;

	p = kslab_percpu_alloc(200);
	KTAP_ASSERT(t, p != NULL);
	percpu_fill(p, 200, 0, false);
	kslab_percpu_free(p);
	q = kslab_percpu_alloc(200);
	KTAP_ASSERT(t, q != NULL);
	KTAP_EXPECT_PTR_EQ(t, q, p);
	/* Reused space must come back zeroed on every CPU, not as we left it. */
	KTAP_EXPECT_EQ(t, percpu_nonzero_copies(q, 200), 0);
	kslab_percpu_free(q);
}

#define PERCPU_PROBE_SIZE	4096
#define PERCPU_PROBE_MAX	(KSLAB_PERCPU_UNIT / PERCPU_PROBE_SIZE + 1)

/* Allocate probes until the region is full. Return: how many fitted. */
static unsigned int percpu_exhaust(void **objs)
{
	unsigned int n;

	for (n = 0; n < PERCPU_PROBE_MAX; n++) {
		objs[n] = kslab_percpu_alloc(PERCPU_PROBE_SIZE);
		if (!objs[n])
			break;
		percpu_fill(objs[n], PERCPU_PROBE_SIZE, n, false);
	}
	return n;
}

static void percpu_free_all(void **objs, unsigned int n)
{
	while (n)
		kslab_percpu_free(objs[--n]);
}

static void test_percpu_limits(struct ktap_test *t)
{
	static void *objs[PERCPU_PROBE_MAX];
	unsigned int first, second, i;
	unsigned long bad = 0;

	void *largest;

	/* Nothing above the kernel's limit, even while there is room. */
	KTAP_EXPECT(t, kslab_percpu_alloc(KSLAB_PERCPU_MAX + 1) == NULL);
	KTAP_EXPECT(t, kslab_percpu_alloc(KSLAB_PERCPU_UNIT + 1) == NULL);
	largest = kslab_percpu_alloc(KSLAB_PERCPU_MAX);
	KTAP_EXPECT(t, largest != NULL);
	kslab_percpu_free(largest);

	first = percpu_exhaust(objs);
	KTAP_EXPECT(t, first >= 1);
	KTAP_EXPECT(t, first < PERCPU_PROBE_MAX);
	for (i = 0; i < first; i++)
		bad += !percpu_aligned(objs[i]) ||
		       percpu_fill(objs[i], PERCPU_PROBE_SIZE, i, true);
	KTAP_EXPECT_EQ(t, bad, 0);
	percpu_free_all(objs, first);

	/* Freeing gave all of it back: the same number fits again. */
	second = percpu_exhaust(objs);
	KTAP_EXPECT_EQ(t, second, first);
	percpu_free_all(objs, second);
	ktap_diag("%u per-CPU objects of %u bytes fitted", first,
		  PERCPU_PROBE_SIZE);
}

/* ---------------------------------------------------------------------
 * Locks
 * --------------------------------------------------------------------- */

struct lock_ops {
	void (*lock)(void *lock);
	void (*unlock)(void *lock);
	void *obj;
	unsigned long counter;
};

static void spin_lock_op(void *lock)
{
	kslab_spin_lock(lock);
}

static void spin_unlock_op(void *lock)
{
	kslab_spin_unlock(lock);
}

static void mutex_lock_op(void *lock)
{
	kslab_mutex_lock(lock);
}

static void mutex_unlock_op(void *lock)
{
	kslab_mutex_unlock(lock);
}

static void *lock_worker(void *arg)
{
	struct stress *s = arg;
	struct lock_ops *ops = s->ctx;
	unsigned long i;

	stress_wait_start(s);
	for (i = 0; i < s->iterations; i++) {
		ops->lock(ops->obj);
		racy_increment(&ops->counter, i);
		ops->unlock(ops->obj);
	}
	return NULL;
}

/* More threads than CPUs fight over @ops; no increment may be lost. */
static void contend(struct ktap_test *t, struct lock_ops *ops)
{
	struct stress s = { .iterations = 30000, .ctx = ops };

	ops->counter = 0;
	KTAP_ASSERT(t, run_threads(STRESS_THREADS, lock_worker, &s));
	KTAP_EXPECT_EQ(t, ops->counter, STRESS_THREADS * s.iterations);
}

static void test_spinlock(struct ktap_test *t)
{
	static KSLAB_DEFINE_SPINLOCK(static_lock);
	struct kslab_spinlock *dyn = malloc(sizeof(*dyn));
	struct lock_ops ops = { spin_lock_op, spin_unlock_op, &static_lock, 0 };

	contend(t, &ops);
	KTAP_ASSERT(t, dyn != NULL);
	memset(dyn, 0xa5, sizeof(*dyn));
	kslab_spin_init(dyn);
	ops.obj = dyn;
	contend(t, &ops);
	free(dyn);
}

static void test_mutex(struct ktap_test *t)
{
	static KSLAB_DEFINE_MUTEX(static_mutex);
	struct kslab_mutex *dyn = malloc(sizeof(*dyn));
	struct lock_ops ops = { mutex_lock_op, mutex_unlock_op, &static_mutex, 0 };

	contend(t, &ops);
	KTAP_ASSERT(t, dyn != NULL);
	memset(dyn, 0xa5, sizeof(*dyn));
	kslab_mutex_init(dyn);
	ops.obj = dyn;
	contend(t, &ops);
	free(dyn);
}

/* ---------------------------------------------------------------------
 * Atomics and ordering
 * --------------------------------------------------------------------- */

static void test_atomic_values(struct ktap_test *t)
{
	struct kslab_atomic a = KSLAB_ATOMIC_INIT(5);

	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 5);
	KTAP_EXPECT_EQ(t, kslab_atomic_add_return(&a, 3), 8);
	KTAP_EXPECT_EQ(t, kslab_atomic_add_return(&a, -10), (unsigned long)-2L);
	kslab_atomic_add(&a, 2);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 0);
	kslab_atomic_set(&a, 1L << 40);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 1UL << 40);

	/* Success: the old value comes back and the new one is stored. */
	KTAP_EXPECT_EQ(t, kslab_atomic_cmpxchg(&a, 1L << 40, 7), 1UL << 40);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 7);
	/* Failure: the current value comes back and nothing is stored. */
	KTAP_EXPECT_EQ(t, kslab_atomic_cmpxchg(&a, 6, 99), 7);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), 7);
	KTAP_EXPECT_EQ(t, kslab_atomic_cmpxchg(&a, 7, -1), 7);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&a), (unsigned long)-1L);
}

/* kslab_cmpxchg() on words of other types: pointers and unsigned ints. */
static void test_cmpxchg_words(struct ktap_test *t)
{
	static int x, y;
	int *ptr = &x;
	unsigned int word = 3;

	KTAP_EXPECT_PTR_EQ(t, kslab_cmpxchg(&ptr, &x, &y), &x);
	KTAP_EXPECT_PTR_EQ(t, ptr, &y);
	KTAP_EXPECT_PTR_EQ(t, kslab_cmpxchg(&ptr, &x, NULL), &y);
	KTAP_EXPECT_PTR_EQ(t, ptr, &y);
	KTAP_EXPECT_EQ(t, kslab_cmpxchg(&word, 3u, 0xffffffffu), 3);
	KTAP_EXPECT_EQ(t, word, 0xffffffffu);
	KTAP_EXPECT_EQ(t, kslab_cmpxchg(&word, 3u, 5u), 0xffffffffu);
	KTAP_EXPECT_EQ(t, word, 0xffffffffu);
}

#define ATOMIC_ITERS	20000

struct atomic_ctx {
	struct kslab_atomic ticket;	/* add_return hands out tickets */
	struct kslab_atomic cas;	/* incremented by cmpxchg loops */
	struct kslab_atomic sum;	/* plain adds */
	unsigned char *seen;		/* how often each ticket came out */
};

static void *atomic_worker(void *arg)
{
	struct stress *s = arg;
	struct atomic_ctx *ctx = s->ctx;
	unsigned long i;

	stress_wait_start(s);
	for (i = 0; i < s->iterations; i++) {
		long ticket = kslab_atomic_add_return(&ctx->ticket, 1);
		long old = kslab_atomic_read(&ctx->cas), found;

		__atomic_add_fetch(&ctx->seen[ticket - 1], 1, __ATOMIC_RELAXED);
		while ((found = kslab_atomic_cmpxchg(&ctx->cas, old, old + 1)) != old)
			old = found;
		kslab_atomic_add(&ctx->sum, 3);
		kslab_atomic_add(&ctx->sum, -1);
	}
	return NULL;
}

static void test_atomic_concurrent(struct ktap_test *t)
{
	struct atomic_ctx ctx = { 0 };
	struct stress s = { .iterations = ATOMIC_ITERS, .ctx = &ctx };
	unsigned long total = STRESS_THREADS * ATOMIC_ITERS, i, not_once = 0;

	ctx.seen = calloc(total, 1);
	KTAP_ASSERT(t, ctx.seen != NULL);
	KTAP_ASSERT(t, run_threads(STRESS_THREADS, atomic_worker, &s));
	/* Every ticket went to exactly one thread. */
	for (i = 0; i < total; i++)
		not_once += ctx.seen[i] != 1;
	KTAP_EXPECT_EQ(t, not_once, 0);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctx.ticket), total);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctx.cas), total);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctx.sum), 2 * total);
	free(ctx.seen);
}

#define PUBLISH_MESSAGES	20000

/*
 * Message passing: a consumer that sees a pointer published with
 * kslab_store_release() must see the fields written before it. The
 * producer fills a row of mailboxes as fast as it can, the consumer
 * follows, so the two race on every message without waiting for each other.
 */
struct publish_ctx {
	struct message {
		unsigned long a, b;
	} slots[PUBLISH_MESSAGES];
	struct message *mailbox[PUBLISH_MESSAGES];
	unsigned long torn;
	unsigned int next_role;
};

static void publish_produce(struct publish_ctx *ctx)
{
	unsigned long i;

	for (i = 0; i < PUBLISH_MESSAGES; i++) {
		struct message *m = &ctx->slots[i];

		m->a = i;
		m->b = ~i;
		kslab_store_release(&ctx->mailbox[i], m);
	}
}

static void publish_consume(struct publish_ctx *ctx)
{
	unsigned long i;

	for (i = 0; i < PUBLISH_MESSAGES; i++) {
		unsigned int spins = 0;
		struct message *m;

		while (!(m = kslab_load_acquire(&ctx->mailbox[i])))
			if (++spins % 1024 == 0)
				sched_yield();
		if (m->a != i || m->b != ~i)
			ctx->torn++;
	}
}

static void *publish_worker(void *arg)
{
	struct stress *s = arg;
	struct publish_ctx *ctx = s->ctx;
	bool producer = __atomic_fetch_add(&ctx->next_role, 1, __ATOMIC_RELAXED);

	stress_wait_start(s);
	if (producer)
		publish_produce(ctx);
	else
		publish_consume(ctx);
	return NULL;
}

static void test_acquire_release(struct ktap_test *t)
{
	struct publish_ctx *ctx = calloc(1, sizeof(*ctx));
	struct stress s = { .ctx = ctx };

	KTAP_ASSERT(t, ctx != NULL);
	KTAP_EXPECT(t, run_threads(2, publish_worker, &s));
	KTAP_EXPECT_EQ(t, ctx->torn, 0);
	free(ctx);
}

/*
 * Peterson's lock, which is only correct if each thread's stores are
 * visible before its following loads: exactly what kslab_smp_mb() must
 * ensure and what x86's store buffer breaks without it. Two threads hammer
 * a non-atomic counter through it; any lost update is a missing barrier.
 */
struct peterson {
	int flag[2];
	int turn;
	unsigned long counter;
	unsigned int next_role;
};

#define PETERSON_ITERS	400000

static void peterson_lock(struct peterson *p, int me)
{
	unsigned int spins = 0;

	KSLAB_WRITE_ONCE(p->flag[me], 1);
	KSLAB_WRITE_ONCE(p->turn, !me);
	kslab_smp_mb();
	while (KSLAB_READ_ONCE(p->flag[!me]) && KSLAB_READ_ONCE(p->turn) == !me)
		if (++spins % 1024 == 0)
			sched_yield();
}

static void *peterson_worker(void *arg)
{
	struct stress *s = arg;
	struct peterson *p = s->ctx;
	int me = (int)__atomic_fetch_add(&p->next_role, 1, __ATOMIC_RELAXED);
	unsigned long i;

	stress_wait_start(s);
	for (i = 0; i < PETERSON_ITERS; i++) {
		peterson_lock(p, me);
		KSLAB_WRITE_ONCE(p->counter, KSLAB_READ_ONCE(p->counter) + 1);
		kslab_store_release(&p->flag[me], 0);
	}
	return NULL;
}

static void test_smp_mb(struct ktap_test *t)
{
	struct peterson p = { 0 };
	struct stress s = { .ctx = &p };

	KTAP_EXPECT(t, run_threads(2, peterson_worker, &s));
	KTAP_EXPECT_EQ(t, p.counter, 2 * PETERSON_ITERS);
}

/* ---------------------------------------------------------------------
 * Page source and metadata memory
 * --------------------------------------------------------------------- */

static bool chunk_aligned(const void *p)
{
	return ((uintptr_t)p & (KSLAB_CHUNK_SIZE - 1)) == 0;
}

/* Pages of [p, p + size) that are still mapped, asked page by page. */
static unsigned long mapped_pages(void *p, size_t size)
{
	unsigned long mapped = 0;
	unsigned char vec;
	size_t off;

	for (off = 0; off < size; off += KSLAB_PAGE_SIZE)
		if (mincore((char *)p + off, KSLAB_PAGE_SIZE, &vec) == 0 ||
		    errno != ENOMEM)
			mapped++;
	return mapped;
}

static bool words_are_zero(const void *p, size_t size)
{
	const unsigned long *w = p;
	size_t i;

	for (i = 0; i < size / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* Write a tag into every page of a chunk; with @check, verify it instead. */
static unsigned long chunk_tag(void *chunk, unsigned long tag, bool check)
{
	unsigned long bad = 0, page;

	for (page = 0; page < KSLAB_CHUNK_PAGES; page++) {
		unsigned long *first = (unsigned long *)
			((char *)chunk + page * KSLAB_PAGE_SIZE);
		unsigned long *last = first + KSLAB_PAGE_SIZE / sizeof(*first) - 1;
		unsigned long v = tag ^ (page << 20);

		if (!check) {
			*first = v;
			*last = ~v;
		} else if (*first != v || *last != ~v) {
			bad++;
		}
	}
	return bad;
}

static void test_chunk_grant(struct ktap_test *t)
{
	void *chunk = kslab_env_chunk_grant(GFP_KERNEL);

	KTAP_ASSERT(t, chunk != NULL);
	KTAP_EXPECT(t, chunk_aligned(chunk));
	KTAP_EXPECT(t, words_are_zero(chunk, KSLAB_CHUNK_SIZE));
	chunk_tag(chunk, 0x5eed, false);
	KTAP_EXPECT_EQ(t, chunk_tag(chunk, 0x5eed, true), 0);
	KTAP_EXPECT_EQ(t, mapped_pages(chunk, KSLAB_CHUNK_SIZE),
		       KSLAB_CHUNK_PAGES);
	kslab_env_chunk_take_back(chunk);
	/* Given back means unmapped: no page of it may linger in our RSS. */
	KTAP_EXPECT_EQ(t, mapped_pages(chunk, KSLAB_CHUNK_SIZE), 0);
}

#define NR_GRANTS	4

static void test_chunk_grants_distinct(struct ktap_test *t)
{
	void *chunks[NR_GRANTS];
	unsigned int i, j, got = 0;
	unsigned long bad = 0;

	for (i = 0; i < NR_GRANTS; i++) {
		chunks[i] = kslab_env_chunk_grant(i & 1 ? GFP_ATOMIC : GFP_KERNEL);
		if (!KTAP_EXPECT(t, chunks[i] != NULL))
			break;
		got++;
		KTAP_EXPECT(t, chunk_aligned(chunks[i]));
		chunk_tag(chunks[i], i + 1, false);
	}
	/* Aligned and distinct means disjoint; the tags prove it too. */
	for (i = 0; i < got; i++) {
		for (j = 0; j < i; j++)
			KTAP_EXPECT(t, chunks[i] != chunks[j]);
		bad += chunk_tag(chunks[i], i + 1, true);
	}
	KTAP_EXPECT_EQ(t, bad, 0);
	for (i = 0; i < got; i++)
		kslab_env_chunk_take_back(chunks[i]);
}

static void test_meta_alloc(struct ktap_test *t)
{
	static const size_t sizes[] = { 1, 24, 64, 4096, 65536, 1 << 20 };
	void *objs[KSLAB_ARRAY_SIZE(sizes)];
	unsigned int i, n;

	for (n = 0; n < KSLAB_ARRAY_SIZE(sizes); n++) {
		objs[n] = kslab_env_meta_alloc(sizes[n],
					       n & 1 ? GFP_ATOMIC : GFP_KERNEL);
		if (!KTAP_EXPECT(t, objs[n] != NULL))
			break;
		KTAP_EXPECT(t, bytes_are(objs[n], 0, sizes[n]));
		memset(objs[n], (int)n + 1, sizes[n]);
	}
	for (i = 0; i < n; i++)
		KTAP_EXPECT(t, bytes_are(objs[i], (unsigned char)(i + 1), sizes[i]));
	for (i = 0; i < n; i++)
		kslab_env_meta_free(objs[i], sizes[i]);
}

/* ---------------------------------------------------------------------
 * Output, reports and assertions
 * --------------------------------------------------------------------- */

static void puts_each_level(void *arg)
{
	(void)arg;
	kslab_env_puts(KSLAB_LOG_OUT, "port-test out line");
	kslab_env_puts(KSLAB_LOG_ERR, "port-test err line");
	kslab_env_puts(KSLAB_LOG_WARN, "port-test warn line");
	kslab_env_puts(KSLAB_LOG_INFO, "port-test info line");
}

static void test_puts_routing(struct ktap_test *t)
{
	struct capture c;

	KTAP_ASSERT(t, capture_call(&c, puts_each_level, NULL));
	/* The program's output gets exactly the OUT line, newline added. */
	KTAP_EXPECT(t, !strcmp(c.out, "port-test out line\n"));
	KTAP_EXPECT(t, strstr(c.err, "port-test err line\n") != NULL);
	KTAP_EXPECT(t, strstr(c.err, "port-test warn line\n") != NULL);
	KTAP_EXPECT(t, strstr(c.err, "port-test out line") == NULL);
	if (t->failures)
		ktap_diag("stdout [%s] stderr [%s]", c.out, c.err);
}

struct hook_record {
	bool consume;
	unsigned int calls;
	enum kslab_log_level level;
	char msg[256];
};

static bool record_hook(enum kslab_log_level level, const char *msg, void *arg)
{
	struct hook_record *rec = arg;

	rec->calls++;
	rec->level = level;
	snprintf(rec->msg, sizeof(rec->msg), "%s", msg);
	return rec->consume;
}

static void report_something(void *arg)
{
	const enum kslab_log_level *level = arg;

	kslab_report(*level, "port test report %d of %s", 42, "many");
}

#define REPORTED_LINE	"kslab: port test report 42 of many"

/* Report once at @level through @rec; check what the hook saw and the count. */
static void report_through_hook(struct ktap_test *t, struct hook_record *rec,
				enum kslab_log_level level, struct capture *c)
{
	unsigned long before = kslab_report_count();

	kslab_set_report_hook(record_hook, rec);
	KTAP_EXPECT(t, capture_call(c, report_something, &level));
	kslab_set_report_hook(NULL, NULL);
	KTAP_EXPECT_EQ(t, kslab_report_count(), before + 1);
	KTAP_EXPECT_EQ(t, rec->calls, 1);
	KTAP_EXPECT_EQ(t, rec->level, level);
	if (!KTAP_EXPECT(t, !strcmp(rec->msg, REPORTED_LINE)))
		ktap_diag("hook got [%s]", rec->msg);
}

static void test_report_hook_consumes(struct ktap_test *t)
{
	struct hook_record rec = { .consume = true };
	struct capture c;

	report_through_hook(t, &rec, KSLAB_LOG_ERR, &c);
	KTAP_EXPECT(t, c.out[0] == '\0');
	if (!KTAP_EXPECT(t, c.err[0] == '\0'))
		ktap_diag("printed anyway: %s", c.err);
}

static void test_report_hook_declines(struct ktap_test *t)
{
	struct hook_record rec = { .consume = false };
	enum kslab_log_level level = KSLAB_LOG_WARN;
	unsigned long before;
	struct capture c;

	report_through_hook(t, &rec, level, &c);
	KTAP_EXPECT(t, strstr(c.err, REPORTED_LINE "\n") != NULL);
	KTAP_EXPECT(t, c.out[0] == '\0');

	/* With no hook at all the report is printed and counted as well. */
	before = kslab_report_count();
	KTAP_EXPECT(t, capture_call(&c, report_something, &level));
	KTAP_EXPECT_EQ(t, kslab_report_count(), before + 1);
	KTAP_EXPECT(t, strstr(c.err, REPORTED_LINE "\n") != NULL);
	KTAP_EXPECT_EQ(t, rec.calls, 1);
}

/* Return the line of the assertion; it fires only when asked to. */
static int trigger_bug(bool fire)
{
	int line = __LINE__ + 2;

	KSLAB_BUG_ON(fire);
	return line;
}

static void bug_child(void *arg)
{
	struct rlimit no_core = { 0, 0 };

	(void)arg;
	setrlimit(RLIMIT_CORE, &no_core);
	trigger_bug(true);
	printf("survived KSLAB_BUG_ON\n");
}

static void test_bug_on(struct ktap_test *t)
{
	char where[256];
	struct capture c;

	snprintf(where, sizeof(where), "%s:%d", __FILE__, trigger_bug(false));
	KTAP_ASSERT(t, capture_fork(&c, bug_child, NULL));
	KTAP_EXPECT(t, WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
	KTAP_EXPECT(t, strstr(c.out, "survived") == NULL);
	KTAP_EXPECT(t, strstr(c.err, where) != NULL);
	KTAP_EXPECT(t, strstr(c.err, "fire") != NULL);
	if (t->failures)
		ktap_diag("status %#x, stderr [%s]", c.status, c.err);
}

/* ---------------------------------------------------------------------
 * RCU
 * --------------------------------------------------------------------- */

#define RCU_PROBE_MAGIC	0x7c0de
#define NR_RCU_PROBES	64

struct rcu_probe {
	int magic;
	struct kslab_rcu_head head;
	int ran;
};

static unsigned long rcu_bad_heads;

static void rcu_probe_cb(struct kslab_rcu_head *head)
{
	struct rcu_probe *p = kslab_container_of(head, struct rcu_probe, head);

	if (p->magic != RCU_PROBE_MAGIC)
		__atomic_add_fetch(&rcu_bad_heads, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&p->ran, 1, __ATOMIC_RELEASE);
}

static int rcu_probe_ran(struct rcu_probe *p)
{
	return __atomic_load_n(&p->ran, __ATOMIC_ACQUIRE);
}

static void test_rcu_barrier(struct ktap_test *t)
{
	struct rcu_probe *probes = calloc(NR_RCU_PROBES, sizeof(*probes));
	unsigned int i, not_once = 0;

	KTAP_ASSERT(t, probes != NULL);
	rcu_bad_heads = 0;
	for (i = 0; i < NR_RCU_PROBES; i++) {
		probes[i].magic = RCU_PROBE_MAGIC;
		kslab_call_rcu(&probes[i].head, rcu_probe_cb);
	}
	kslab_rcu_barrier();
	for (i = 0; i < NR_RCU_PROBES; i++)
		not_once += rcu_probe_ran(&probes[i]) != 1;
	KTAP_EXPECT_EQ(t, not_once, 0);
	KTAP_EXPECT_EQ(t, rcu_bad_heads, 0);
	free(probes);
}

/*
 * A reader that stays inside its critical section until released. Its
 * first kslab_rcu_read_lock() registers the thread with liburcu.
 */
struct rcu_reader {
	pthread_t tid;
	unsigned int hold_ms;	/* leave after this long even if not released */
	int inside;
	int release;
	int left;		/* set just before the read-side unlock */
};

#define RCU_READER_MAX_MS	10000

static void *rcu_reader_thread(void *arg)
{
	struct rcu_reader *r = arg;
	unsigned int waited;

	kslab_rcu_read_lock();
	__atomic_store_n(&r->inside, 1, __ATOMIC_RELEASE);
	for (waited = 0; waited < r->hold_ms; waited++) {
		if (__atomic_load_n(&r->release, __ATOMIC_ACQUIRE))
			break;
		sleep_ms(1);
	}
	__atomic_store_n(&r->left, 1, __ATOMIC_RELEASE);
	kslab_rcu_read_unlock();
	return NULL;
}

static bool rcu_reader_start(struct rcu_reader *r, unsigned int hold_ms)
{
	memset(r, 0, sizeof(*r));
	r->hold_ms = hold_ms;
	if (pthread_create(&r->tid, NULL, rcu_reader_thread, r))
		return false;
	while (!__atomic_load_n(&r->inside, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	return true;
}

static void rcu_reader_stop(struct rcu_reader *r)
{
	__atomic_store_n(&r->release, 1, __ATOMIC_RELEASE);
	pthread_join(r->tid, NULL);
}

static void test_rcu_synchronize(struct ktap_test *t)
{
	struct rcu_reader r;

	KTAP_ASSERT(t, rcu_reader_start(&r, 50));
	/* A reader that began before the grace period must have left it. */
	kslab_synchronize_rcu();
	KTAP_EXPECT(t, __atomic_load_n(&r.left, __ATOMIC_ACQUIRE));
	rcu_reader_stop(&r);
	/* And with no reader at all it simply returns. */
	kslab_synchronize_rcu();
}

static void test_rcu_reader_delays_callback(struct ktap_test *t)
{
	struct rcu_probe probe = { .magic = RCU_PROBE_MAGIC };
	struct rcu_reader r;
	unsigned int ms, early = 0;

	rcu_bad_heads = 0;
	KTAP_ASSERT(t, rcu_reader_start(&r, RCU_READER_MAX_MS));
	kslab_call_rcu(&probe.head, rcu_probe_cb);
	/* The callback may not run while the reader is inside: give it time. */
	for (ms = 0; ms < 100; ms += 5) {
		early += rcu_probe_ran(&probe) != 0;
		sleep_ms(5);
	}
	early += rcu_probe_ran(&probe) != 0;
	KTAP_EXPECT_EQ(t, early, 0);
	KTAP_EXPECT(t, !__atomic_load_n(&r.left, __ATOMIC_ACQUIRE));
	rcu_reader_stop(&r);
	kslab_rcu_barrier();
	KTAP_EXPECT_EQ(t, rcu_probe_ran(&probe), 1);
	KTAP_EXPECT_EQ(t, rcu_bad_heads, 0);
}

/* ---------------------------------------------------------------------
 * The suites
 * --------------------------------------------------------------------- */

static const struct ktap_case cpu_cases[] = {
	{ "nr_cpus", test_nr_cpus },
	{ "cpu_id_pinned", test_cpu_id_pinned },
	{ "cpu_id_fallback", test_cpu_id_fallback },
	{ "cpu_section_exclusive", test_cpu_section_exclusive },
	{ "percpu_layout", test_percpu_layout },
	{ "percpu_reuse", test_percpu_reuse },
	{ "percpu_limits", test_percpu_limits },
};

static const struct ktap_case sync_cases[] = {
	{ "spinlock", test_spinlock },
	{ "mutex", test_mutex },
	{ "atomic_values", test_atomic_values },
	{ "cmpxchg_words", test_cmpxchg_words },
	{ "atomic_concurrent", test_atomic_concurrent },
	{ "acquire_release", test_acquire_release },
	{ "smp_mb", test_smp_mb },
};

static const struct ktap_case memory_cases[] = {
	{ "chunk_grant", test_chunk_grant },
	{ "chunk_grants_distinct", test_chunk_grants_distinct },
	{ "meta_alloc", test_meta_alloc },
};

static const struct ktap_case report_cases[] = {
	{ "puts_routing", test_puts_routing },
	{ "report_hook_consumes", test_report_hook_consumes },
	{ "report_hook_declines", test_report_hook_declines },
	{ "bug_on", test_bug_on },
};

/* Last: liburcu's helper threads should not exist yet when we fork. */
static const struct ktap_case rcu_cases[] = {
	{ "rcu_barrier", test_rcu_barrier },
	{ "rcu_synchronize", test_rcu_synchronize },
	{ "rcu_reader_delays_callback", test_rcu_reader_delays_callback },
};

static const struct ktap_suite suites[] = {
	KTAP_SUITE("port-cpu", cpu_cases),
	KTAP_SUITE("port-sync", sync_cases),
	KTAP_SUITE("port-memory", memory_cases),
	KTAP_SUITE("port-report", report_cases),
	KTAP_SUITE("port-rcu", rcu_cases),
};

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], CPU_PROBE_ARG))
		return cpu_probe_main();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
