// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: CPU ids, per-CPU storage and exclusive per-CPU sections.
 *
 * Per-CPU storage is one region reserved at first use: KSLAB_PERCPU_UNIT
 * bytes for each CPU id the kernel's CPU mask has room for, mapped
 * MAP_NORESERVE so only what is touched costs memory. An allocation is a
 * run of 64-byte granules at the same offset in every CPU's unit, found
 * first-fit in a bitmap under a mutex; allocations are rare (one per
 * cache), lookups are a multiply-add. Granules never handed out before
 * are still the mapping's zeroes on every CPU, so an allocation writes
 * none of them: a CPU's copy is touched only by what runs on that CPU.
 *
 * Userspace cannot turn preemption off, so an exclusive per-CPU section is
 * a per-CPU lock: a thread that migrates inside the section still holds the
 * lock of the CPU it started on, and that CPU's data stays its own. The
 * fast half (enter and exit) is inline in userspace/port.h.
 *
 * Nothing here calls malloc: this code runs inside the allocator.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../mm/port.h"
#include "port-internal.h"

#define PERCPU_GRANULE		KSLAB_CACHE_LINE
#define PERCPU_GRANULES		(KSLAB_PERCPU_UNIT / PERCPU_GRANULE)
#define BITS_PER_WORD		(8 * sizeof(unsigned long))
#define CPUS_FALLBACK		256
/* The largest CPU mask asked of the kernel: Debian's NR_CPUS. */
#define CPUS_MASK_MAX		8192
/*
 * Spins on a held section lock before sleeping on it: its holder may be
 * off the CPU, and yielding in a loop to every other runnable thread
 * would keep it off longer. The sleep's timeout bounds a wake-up lost to
 * a restartable sequence's commit overwriting the sleepers' mark.
 */
#define CPU_LOCK_SPINS		256
#define CPU_LOCK_SLEEP_NS	1000000L

static unsigned int nr_cpus;

static char *percpu_base;
/*
 * Which granules are in use, and each run's length at its first granule:
 * one table, so that the first allocations touch one page of it.
 */
static struct {
	unsigned long used[PERCPU_GRANULES / BITS_PER_WORD];
	unsigned short len[PERCPU_GRANULES];
} percpu_map kslab_env_table;
/*
 * Granules from this one on were never handed out: their copies are the
 * mapping's zeroes on every CPU, and an allocation among them writes
 * nothing (a cache's creation once zeroed, and populated, its granules
 * on every CPU of the machine, whether or not a thread ever ran there).
 */
static unsigned long percpu_fresh_from;
/*
 * No granule below this one is free: the search starts there, as a
 * process makes a few dozen caches in its first malloc, and a search from
 * the region's start each time took their creation 12,000 instructions.
 */
static unsigned long percpu_free_from;
static KSLAB_DEFINE_MUTEX(percpu_lock);

struct kslab_cpu_lock *kslab_cpu_locks;
int *kslab_cpu_gates;
long kslab_rseq_offset;
bool kslab_percpu_rseq;
bool kslab_percpu_single;
static pid_t single_thread;
static __thread struct rseq single_area __attribute__((tls_model("initial-exec")));
__thread unsigned int kslab_cpu_hint __attribute__((tls_model("initial-exec")));
__thread unsigned int kslab_cpu_hint_left
	__attribute__((tls_model("initial-exec")));

unsigned int kslab_cpu_id_fallback(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : (unsigned int)cpu;
}

/**
 * kslab_env_cpu_id_source() - how this process learns its CPU
 *
 * Return: "rseq" when glibc registered an rseq area (one load per query),
 * or "getcpu" when kslab falls back to sched_getcpu().
 */
const char *kslab_env_cpu_id_source(void)
{
	return __rseq_size > 0 ? "rseq" : "getcpu";
}

/* The highest id in a list such as "0-3,8-11", plus one; 0 if unreadable. */
static unsigned int parse_cpulist_end(const char *s)
{
	unsigned int value = 0, end = 0;
	bool digits = false;

	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			value = value * 10 + (unsigned int)(*s - '0');
			digits = true;
			continue;
		}
		if (digits && value + 1 > end)
			end = value + 1;
		value = 0;
		digits = false;
		if (*s != ',' && *s != '-')
			return end;
	}
}

/*
 * Read with open/read: sysconf() and get_nprocs_conf() may allocate, and
 * parsed by hand: strtoul() would fault in the C library's locale tables
 * during a program's first malloc.
 */
unsigned int kslab_sysfs_list_end(const char *path)
{
	char buf[256];
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return parse_cpulist_end(buf);
}

/*
 * The CPU ids the kernel's CPU mask has room for, a multiple of 64 at
 * least as large as any possible id: sched_getaffinity()'s raw return is
 * the mask's size in bytes. One system call, where sysfs's list of
 * possible CPUs costs a process's first malloc an open, a read and a
 * close (about 15 microseconds); 0 if the kernel's mask is larger than
 * ours or the call is refused.
 */
static unsigned int cpu_mask_room(void)
{
	unsigned long mask[CPUS_MASK_MAX / BITS_PER_WORD];
	int saved = errno;	/* a malloc that succeeds leaves errno alone */
	long bytes = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);

	errno = saved;
	return bytes > 0 ? (unsigned int)bytes * 8 : 0;
}

static unsigned int possible_cpus(void)
{
	unsigned int n = kslab_sysfs_list_end("/sys/devices/system/cpu/possible");

	if (!n)
		n = cpu_mask_room();
	return n ? n : CPUS_FALLBACK;
}

unsigned int kslab_nr_cpus(void)
{
	unsigned int n = kslab_load_acquire(&nr_cpus);

	if (kslab_unlikely(!n)) {
		n = possible_cpus();
		kslab_store_release(&nr_cpus, n);
	}
	return n;
}

static bool percpu_test(unsigned long granule)
{
	return percpu_map.used[granule / BITS_PER_WORD] &
	       (1UL << (granule % BITS_PER_WORD));
}

static void percpu_mark(unsigned long first, unsigned long count, bool used)
{
	unsigned long g;

	for (g = first; g < first + count; g++) {
		unsigned long bit = 1UL << (g % BITS_PER_WORD);

		if (used)
			percpu_map.used[g / BITS_PER_WORD] |= bit;
		else
			percpu_map.used[g / BITS_PER_WORD] &= ~bit;
	}
}

/* First run of @count free granules, or PERCPU_GRANULES if none. */
static unsigned long percpu_find(unsigned long count)
{
	unsigned long g, run = 0;

	for (g = percpu_free_from; g < PERCPU_GRANULES; g++) {
		run = percpu_test(g) ? 0 : run + 1;
		if (run == count)
			return g + 1 - count;
	}
	return PERCPU_GRANULES;
}

static long membarrier(int cmd, unsigned int flags, int cpu)
{
	return syscall(SYS_membarrier, cmd, flags, cpu);
}

/* A child of fork() has a new address space: register it again. */
static void rseq_fence_register_child(void)
{
	membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0);
}

enum percpu_mode { PERCPU_LOCK, PERCPU_RSEQ, PERCPU_SINGLE };

#ifdef __SANITIZE_THREAD__
#define RSEQ_MISSING	"unavailable in a ThreadSanitizer build"
#else
#define RSEQ_MISSING	"rseq or membarrier unavailable"
#endif

/*
 * rseq mode needs the kernel's per-thread CPU id (glibc registers rseq),
 * sequences written for this architecture, and membarrier's rseq fence
 * for sections entered from other CPUs. KSLAB_PERCPU=lock or =rseq forces
 * a choice; rseq is refused if unavailable.
 *
 * ThreadSanitizer sees neither the sequences' loads and stores (inline
 * asm) nor the restarts that order them, and would report races on every
 * object they hand from one thread to another: a build for it takes lock
 * mode, whose sections it sees whole (Documentation/sanitizers.rst).
 *
 * KSLAB_PERCPU=single is for counting instructions under valgrind, which
 * has no rseq: the sequences run on an area of kslab's own that the kernel
 * never sees, so nothing restarts them, and its CPU id is always 0. That
 * is safe for one thread only; a second one that reaches a slow path stops
 * the process. scripts/bench.sh uses it to count the single-threaded loops.
 */
static enum percpu_mode percpu_choose(void)
{
	const char *want = getenv("KSLAB_PERCPU");
	bool available;

	if (want && !strcmp(want, "lock"))
		return PERCPU_LOCK;
	if (want && !strcmp(want, "single"))
		return PERCPU_SINGLE;
	if (want && strcmp(want, "rseq"))
		kslab_env_puts(KSLAB_LOG_WARN,
			       "kslab: KSLAB_PERCPU must be \"rseq\", \"lock\" or \"single\"; ignored");
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	available = kslab_rseq_cpu_id() >= 0 &&
		!membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0);
#else
	available = false;
#endif
	if (!available) {
		if (want && !strcmp(want, "rseq"))
			kslab_env_puts(KSLAB_LOG_WARN,
				       "kslab: KSLAB_PERCPU=rseq: " RSEQ_MISSING "; using lock");
		return PERCPU_LOCK;
	}
	pthread_atfork(NULL, NULL, rseq_fence_register_child);
	return PERCPU_RSEQ;
}

unsigned int kslab_cpu_single_check(void)
{
	if (kslab_unlikely(gettid() != single_thread))
		kslab_env_panic("kslab: KSLAB_PERCPU=single, but a second thread uses kslab");
	return 0;
}

const char *kslab_env_percpu_mode(void)
{
	if (kslab_percpu_single)
		return "single";
	return kslab_percpu_rseq ? "rseq" : "lock";
}

/*
 * Open the sequences' gates (the section locks) or close them (a word that
 * stays 1 on every CPU). Under percpu_lock, before any per-CPU data exists.
 */
static void percpu_set_mode(struct kslab_cpu_lock *locks)
{
	enum percpu_mode mode = percpu_choose();
	unsigned int cpu;

	kslab_rseq_offset = mode == PERCPU_SINGLE ?
		(char *)&single_area - (char *)__builtin_thread_pointer() :
		__rseq_offset;
	kslab_percpu_rseq = mode == PERCPU_RSEQ;
	kslab_percpu_single = mode == PERCPU_SINGLE;
	single_thread = gettid();
	if (mode != PERCPU_LOCK) {
		kslab_cpu_gates = &locks->held;
		return;
	}
	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++)
		kslab_percpu_ptr(locks, cpu)->closed = 1;
	kslab_cpu_gates = &locks->closed;
}

/*
 * Reserve the region. Its first granule holds the per-CPU section locks
 * (zeroed memory is an unlocked kslab_cpu_lock) and gates, so sections and
 * sequences work from the moment any per-CPU data exists. Under percpu_lock.
 */
static bool percpu_reserve(void)
{
	unsigned int room;
	void *p;

	if (percpu_base)
		return true;
	/*
	 * Room for every id the kernel's mask can hold, so that the first
	 * malloc need not count the possible CPUs. kslab_nr_cpus(), which
	 * loops over the CPUs ask, is never above it: the possible CPUs are
	 * what the kernel sizes its mask by, and it counts by the mask where
	 * sysfs cannot be read.
	 */
	room = cpu_mask_room();
	if (!room)
		room = kslab_nr_cpus();
	p = mmap(NULL, (size_t)room * KSLAB_PERCPU_UNIT,
		 PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	percpu_base = p;
	percpu_mark(0, 1, true);
	percpu_map.len[0] = 1;
	percpu_free_from = 1;
	percpu_fresh_from = 1;
	percpu_set_mode(p);
	kslab_fork_handlers_register();
	kslab_store_release(&kslab_cpu_locks, (struct kslab_cpu_lock *)p);
	return true;
}

void *kslab_percpu_alloc(size_t size)
{
	unsigned long count = KSLAB_ALIGN_UP(size ? size : 1, PERCPU_GRANULE) /
			      PERCPU_GRANULE;
	unsigned long first = PERCPU_GRANULES, used = 0;
	unsigned int cpu;
	char *ptr;

	if (size > KSLAB_PERCPU_MAX)
		return NULL;
	kslab_mutex_lock(&percpu_lock);
	if (percpu_reserve())
		first = percpu_find(count);
	if (first < PERCPU_GRANULES) {
		percpu_mark(first, count, true);
		percpu_map.len[first] = (unsigned short)count;
		if (first == percpu_free_from)
			percpu_free_from = first + count;
		/* Only granules handed out before hold anything to clear. */
		if (first < percpu_fresh_from)
			used = percpu_fresh_from - first < count ?
			       percpu_fresh_from - first : count;
		if (first + count > percpu_fresh_from)
			percpu_fresh_from = first + count;
	}
	kslab_mutex_unlock(&percpu_lock);
	if (first >= PERCPU_GRANULES)
		return NULL;

	ptr = percpu_base + first * PERCPU_GRANULE;
	for (cpu = 0; used && cpu < kslab_nr_cpus(); cpu++)
		kslab_memset(kslab_percpu_ptr(ptr, cpu), 0,
			     used * PERCPU_GRANULE);
	return ptr;
}

void kslab_percpu_free(void *ptr)
{
	unsigned long first;

	if (!ptr)
		return;
	first = (unsigned long)((char *)ptr - percpu_base) / PERCPU_GRANULE;
	KSLAB_BUG_ON(first >= PERCPU_GRANULES ||
		     (char *)ptr != percpu_base + first * PERCPU_GRANULE);
	kslab_mutex_lock(&percpu_lock);
	KSLAB_BUG_ON(!percpu_map.len[first]);
	percpu_mark(first, percpu_map.len[first], false);
	percpu_map.len[first] = 0;
	if (first < percpu_free_from)
		percpu_free_from = first;
	kslab_mutex_unlock(&percpu_lock);
}

/* Wait, spinning then sleeping, until @lock is free. */
static void cpu_lock_wait(struct kslab_cpu_lock *lock, unsigned int *spins)
{
	static const struct timespec nap = { .tv_nsec = CPU_LOCK_SLEEP_NS };
	int held;

	while ((held = __atomic_load_n(&lock->held, __ATOMIC_RELAXED))) {
		if (++*spins < CPU_LOCK_SPINS) {
			kslab_cpu_relax();
			continue;
		}
		if (!(held & KSLAB_CPU_SLEEPERS) &&
		    !__atomic_compare_exchange_n(&lock->held, &held,
						 held | KSLAB_CPU_SLEEPERS, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue;
		syscall(SYS_futex, &lock->held, FUTEX_WAIT_PRIVATE,
			held | KSLAB_CPU_SLEEPERS, &nap, NULL, 0);
	}
}

/**
 * kslab_cpu_wake() - wake every thread asleep on a section lock
 * @lock: the lock, just released
 */
void kslab_cpu_wake(struct kslab_cpu_lock *lock)
{
	syscall(SYS_futex, &lock->held, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
		NULL, 0);
}

/* Whether @lock holds @value, sleepers aside. */
static bool cpu_lock_is(struct kslab_cpu_lock *lock, int value)
{
	return (__atomic_load_n(&lock->held, __ATOMIC_ACQUIRE) &
		~KSLAB_CPU_SLEEPERS) == value;
}

/* Release @lock if it holds @value, sleepers aside, waking them. */
static void cpu_unlock_if(struct kslab_cpu_lock *lock, int value)
{
	int held = __atomic_load_n(&lock->held, __ATOMIC_RELAXED);

	while ((held & ~KSLAB_CPU_SLEEPERS) == value) {
		if (__atomic_compare_exchange_n(&lock->held, &held, 0, false,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			if (held & KSLAB_CPU_SLEEPERS)
				kslab_cpu_wake(lock);
			return;
		}
	}
}

/*
 * The section lock of the CPU this thread runs on, taken atomically; in
 * rseq mode, owned only if it is still ours once we know we run there
 * (see userspace/port.h).
 */
unsigned int kslab_cpu_enter_slow(void)
{
	unsigned int spins = 0;

	for (;;) {
		unsigned int cpu = kslab_cpu_section_cpu();
		struct kslab_cpu_lock *lock = kslab_percpu_ptr(kslab_cpu_locks, cpu);
		int mine = KSLAB_CPU_HELD_LOCAL, free_word = 0;

		/* Never overwrite a holder's value: it may be checking it. */
		if (!__atomic_compare_exchange_n(&lock->held, &free_word, mine,
						 false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED)) {
			cpu_lock_wait(lock, &spins);
			continue;
		}
		if (!kslab_percpu_rseq)
			return cpu;
		if (cpu == KSLAB_READ_ONCE(kslab_rseq_area_cpu()) &&
		    cpu_lock_is(lock, mine))
			return cpu;
		/* Moved away, or a sequence took it: let go only if ours. */
		cpu_unlock_if(lock, mine);
	}
}

/*
 * Take CPU @cpu's section lock from wherever this thread runs. In rseq
 * mode fence @cpu with membarrier(2) first: a sequence in flight there
 * restarts, and one that committed before the fence left its own value,
 * which means it, not us, holds the lock.
 */
static void cpu_lock_remote(struct kslab_cpu_lock *locks, unsigned int cpu)
{
	struct kslab_cpu_lock *lock = kslab_percpu_ptr(locks, cpu);
	unsigned int spins = 0;

	for (;;) {
		int free_word = 0;

		if (!__atomic_compare_exchange_n(&lock->held, &free_word,
						 KSLAB_CPU_HELD_REMOTE, false,
						 __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED)) {
			cpu_lock_wait(lock, &spins);
			continue;
		}
		if (!kslab_percpu_rseq)
			return;
		/* Offline CPUs run no sequence: the fence fails harmlessly. */
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
			   MEMBARRIER_CMD_FLAG_CPU, (int)cpu);
		if (cpu_lock_is(lock, KSLAB_CPU_HELD_REMOTE))
			return;
		cpu_lock_wait(lock, &spins);
	}
}

static void cpu_unlock(struct kslab_cpu_lock *locks, unsigned int cpu)
{
	kslab_cpu_lock_release(kslab_percpu_ptr(locks, cpu));
}

unsigned int kslab_cpu_hint_refresh(void)
{
	kslab_cpu_hint = kslab_cpu_id_fallback();
	kslab_cpu_hint_left = KSLAB_CPU_HINT_USES - 1;
	return kslab_cpu_hint;
}

/* The asymmetric barrier's heavy half (userspace/port.h, the light one). */
void kslab_fence_heavy(void)
{
	kslab_smp_mb();
	if (kslab_percpu_rseq)
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0);
}

void kslab_each_cpu_exclusive(void (*fn)(unsigned int cpu, void *arg),
			      void *arg)
{
	struct kslab_cpu_lock *locks = kslab_load_acquire(&kslab_cpu_locks);
	unsigned int cpu;

	if (!locks)	/* no per-CPU data exists yet: nothing to visit */
		return;
	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		cpu_lock_remote(locks, cpu);
		fn(cpu, arg);
		cpu_unlock(locks, cpu);
	}
}

void kslab_percpu_lock_all(void)
{
	struct kslab_cpu_lock *locks;
	unsigned int cpu;

	kslab_mutex_lock(&percpu_lock);
	locks = kslab_load_acquire(&kslab_cpu_locks);
	for (cpu = 0; locks && cpu < kslab_nr_cpus(); cpu++)
		cpu_lock_remote(locks, cpu);
}

void kslab_percpu_unlock_all(void)
{
	struct kslab_cpu_lock *locks = kslab_load_acquire(&kslab_cpu_locks);
	unsigned int cpu;

	for (cpu = 0; locks && cpu < kslab_nr_cpus(); cpu++)
		cpu_unlock(locks, cpu);
	kslab_mutex_unlock(&percpu_lock);
}
