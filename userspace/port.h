/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace side of the port contract (see mm/port.h): the parts
 * that must be inline. The rest is in userspace/.
 *
 * Spinlocks are futex locks that spin briefly before sleeping: userspace
 * cannot stop preemption, so a pure spinlock would burn a whole time slice
 * whenever its holder is descheduled. The CPU id comes from the rseq area
 * glibc registers for each thread (one load); where rseq is unavailable
 * (glibc.pthread.rseq=0, old kernels) sched_getcpu() answers instead.
 */
#ifndef KSLAB_USERSPACE_PORT_H
#define KSLAB_USERSPACE_PORT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/rseq.h>

#define KSLAB_VA_BITS		47
/* Address space reserved for chunks (userspace/pages.c): 16384 chunks. */
#define KSLAB_ARENA_SIZE	(64UL << 30)

/* Tell the CPU we are spinning: it saves power and yields to a sibling. */
static inline void kslab_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* ---- spinlock: 0 unlocked, 1 locked, 2 locked with sleepers ---- */
struct kslab_spinlock {
	int state;
};

#define KSLAB_DEFINE_SPINLOCK(name)	struct kslab_spinlock name = { 0 }

void kslab_spin_lock_contended(struct kslab_spinlock *lock);
void kslab_spin_wake(struct kslab_spinlock *lock);

static inline void kslab_spin_init(struct kslab_spinlock *lock)
{
	lock->state = 0;
}

static inline void kslab_spin_lock(struct kslab_spinlock *lock)
{
	int unlocked = 0;

	if (kslab_likely(__atomic_compare_exchange_n(&lock->state, &unlocked, 1,
						     false, __ATOMIC_ACQUIRE,
						     __ATOMIC_RELAXED)))
		return;
	kslab_spin_lock_contended(lock);
}

/* Return: true if the lock was free and is now held. */
static inline bool kslab_spin_trylock(struct kslab_spinlock *lock)
{
	int unlocked = 0;

	return __atomic_compare_exchange_n(&lock->state, &unlocked, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void kslab_spin_unlock(struct kslab_spinlock *lock)
{
	if (kslab_unlikely(__atomic_exchange_n(&lock->state, 0,
					       __ATOMIC_RELEASE) == 2))
		kslab_spin_wake(lock);
}

/* ---- sleeping lock ---- */
struct kslab_mutex {
	pthread_mutex_t mutex;
};

#define KSLAB_DEFINE_MUTEX(name) \
	struct kslab_mutex name = { PTHREAD_MUTEX_INITIALIZER }

static inline void kslab_mutex_init(struct kslab_mutex *m)
{
	pthread_mutex_init(&m->mutex, NULL);
}

static inline void kslab_mutex_lock(struct kslab_mutex *m)
{
	pthread_mutex_lock(&m->mutex);
}

/* Return: true if the mutex was free and is now held; never blocks. */
static inline bool kslab_mutex_trylock(struct kslab_mutex *m)
{
	return pthread_mutex_trylock(&m->mutex) == 0;
}

static inline void kslab_mutex_unlock(struct kslab_mutex *m)
{
	pthread_mutex_unlock(&m->mutex);
}

/* ---- atomics ---- */
struct kslab_atomic {
	long counter;
};

#define KSLAB_ATOMIC_INIT(v)	{ (v) }

static inline long kslab_atomic_read(const struct kslab_atomic *a)
{
	return __atomic_load_n(&a->counter, __ATOMIC_RELAXED);
}

static inline void kslab_atomic_set(struct kslab_atomic *a, long v)
{
	__atomic_store_n(&a->counter, v, __ATOMIC_RELAXED);
}

static inline long kslab_atomic_add_return(struct kslab_atomic *a, long v)
{
	return __atomic_add_fetch(&a->counter, v, __ATOMIC_SEQ_CST);
}

static inline void kslab_atomic_add(struct kslab_atomic *a, long v)
{
	__atomic_add_fetch(&a->counter, v, __ATOMIC_SEQ_CST);
}

/* Returns the value found; the swap happened if it equals @old. */
static inline long kslab_atomic_cmpxchg(struct kslab_atomic *a, long old,
					long new)
{
	__atomic_compare_exchange_n(&a->counter, &old, new, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return old;
}

/* Compare-and-swap on any word; evaluates to the value found. */
#define kslab_cmpxchg(ptr, old, new)					\
	({								\
		__typeof__(*(ptr)) __found = (old);			\
		__atomic_compare_exchange_n((ptr), &__found, (new), false,\
					    __ATOMIC_SEQ_CST,		\
					    __ATOMIC_SEQ_CST);		\
		__found;						\
	})

#define kslab_load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define kslab_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/*
 * ---- ThreadSanitizer (SANITIZE=thread, Documentation/sanitizers.rst) ----
 * It sees atomics, pthreads and memory accesses of instrumented code, and
 * nothing else: not liburcu's grace periods, which kslab_tsan_release()
 * and kslab_tsan_acquire() stand for (userspace/rcu.c), and not fences,
 * which it refuses to compile. There kslab_smp_mb() is a fully ordered
 * read-modify-write of one shared word instead: on x86 as full a barrier
 * (the kernel's own smp_mb() is one), and to ThreadSanitizer a release
 * and an acquire, so each such barrier is ordered after the previous one.
 */
#ifdef __SANITIZE_THREAD__
#include <sanitizer/tsan_interface.h>

#define kslab_tsan_acquire(addr)	__tsan_acquire(addr)
#define kslab_tsan_release(addr)	__tsan_release(addr)

extern int kslab_tsan_fence kslab_hidden;
#define kslab_smp_mb()	\
	((void)__atomic_fetch_add(&kslab_tsan_fence, 0, __ATOMIC_SEQ_CST))
#else
#define kslab_tsan_acquire(addr)	((void)(addr))
#define kslab_tsan_release(addr)	((void)(addr))
#define kslab_smp_mb()			__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/*
 * kslab_env_table: large tables go to .lbss, which the linker puts after
 * .bss, so kslab's small globals share a few pages instead of lying
 * between the tables, a page each (and each page two faults when it is
 * read before it is written). GCC on x86-64 knows .lbss as no-bits;
 * elsewhere the tables stay in .bss.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define kslab_env_table	__attribute__((__section__(".lbss")))
#endif

/* ---- CPU id ---- */
unsigned int kslab_cpu_id_fallback(void);
/* userspace/numa.c: a byte of a map read once from sysfs. */
unsigned int kslab_cpu_node(unsigned int cpu);
const char *kslab_env_cpu_id_source(void);

/* This thread's rseq cpu_id_start: always a valid CPU once registered. */
#define kslab_rseq_area_cpu()						\
	(((const struct rseq *)((char *)__builtin_thread_pointer() +	\
				__rseq_offset))->cpu_id_start)

/* The CPU id the kernel keeps in this thread's rseq area, or -1. */
static inline int kslab_rseq_cpu_id(void)
{
	if (kslab_likely(__rseq_size > 0)) {
		const struct rseq *rs = (const struct rseq *)
			((char *)__builtin_thread_pointer() + __rseq_offset);

		return (int)KSLAB_READ_ONCE(rs->cpu_id);
	}
	return -1;
}

static inline unsigned int kslab_cpu_id(void)
{
	int cpu = kslab_rseq_cpu_id();

	return kslab_likely(cpu >= 0) ? (unsigned int)cpu :
					kslab_cpu_id_fallback();
}

/*
 * Per-CPU storage lives in one reserved region: CPU n's copy of every
 * per-CPU object sits KSLAB_PERCPU_UNIT * n bytes after CPU 0's, so the
 * address of any copy is one multiply-add, as with the kernel's percpu areas.
 */
#define KSLAB_PERCPU_UNIT	(256UL << 10)

#define kslab_percpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((char *)(ptr) + (size_t)(cpu) * KSLAB_PERCPU_UNIT))

/* ---- exclusive per-CPU sections: a lock per CPU ---- */

/*
 * A section's lock is held for a handful of instructions, and is contended
 * only when its holder was preempted or two threads share a CPU. So it is
 * a plain word, released with an exchange (which tells whether anyone
 * sleeps on it), whose value says who took it:
 *
 *   KSLAB_CPU_HELD_RSEQ    a thread on that CPU, by a restartable sequence
 *                          that found it 0 and committed by storing this:
 *                          no atomic instruction at all (rseq mode);
 *   KSLAB_CPU_HELD_LOCAL   a thread by compare-and-swap, for its own CPU:
 *                          the fallback, and every lock in lock and single
 *                          mode;
 *   KSLAB_CPU_HELD_REMOTE  a thread by compare-and-swap for another CPU
 *                          (kslab_each_cpu_exclusive(), fork).
 *
 * A sequence may read 0, lose the CPU to nobody, and commit just after an
 * atomic taker on another CPU wrote its own value; so an atomic taker in
 * rseq mode owns the lock only once it has checked, after fencing that CPU
 * (remote) or from that CPU (local), that the word still holds its value.
 * Atomic takers compare-and-swap from 0, never exchange: a failed taker
 * must not overwrite the value its holder may be checking. userspace/cpu.c
 * has the slow halves.
 */
#define KSLAB_CPU_HELD_RSEQ	1
#define KSLAB_CPU_HELD_LOCAL	2
#define KSLAB_CPU_HELD_REMOTE	3
/*
 * Added to a held value by a thread that goes to sleep on the lock
 * (futex) rather than wait for a holder that may be off the CPU; the
 * release then wakes the sleepers.
 */
#define KSLAB_CPU_SLEEPERS	4

struct kslab_cpu_lock {
	int held;
	int closed;	/* 1 in lock mode: the gate of userspace/port-rseq.h */
};

/*
 * The per-CPU lock array, a per-CPU handle. It is set up with the per-CPU
 * region, so it exists once any kslab_percpu_alloc() has succeeded, and a
 * section only ever guards per-CPU data.
 */
extern struct kslab_cpu_lock *kslab_cpu_locks kslab_hidden;

/*
 * Without rseq, asking for the CPU is a call into the kernel or the vDSO.
 * The lock, not the CPU number, makes a section exclusive, so a stale
 * number costs locality only: threads keep a hint and refresh it every
 * KSLAB_CPU_HINT_USES sections.
 */
#define KSLAB_CPU_HINT_USES	64
extern __thread unsigned int kslab_cpu_hint
	__attribute__((tls_model("initial-exec")));
extern __thread unsigned int kslab_cpu_hint_left
	__attribute__((tls_model("initial-exec")));
unsigned int kslab_cpu_hint_refresh(void);

/* Single mode (userspace/cpu.c): one thread, and the sequences use CPU 0. */
extern bool kslab_percpu_single kslab_hidden;
unsigned int kslab_cpu_single_check(void);

static inline unsigned int kslab_cpu_section_cpu(void)
{
	int cpu;

	if (kslab_unlikely(kslab_percpu_single))
		return kslab_cpu_single_check();
	cpu = kslab_rseq_cpu_id();
	if (kslab_likely(cpu >= 0))
		return (unsigned int)cpu;
	if (kslab_likely(kslab_cpu_hint_left)) {
		kslab_cpu_hint_left--;
		return kslab_cpu_hint;
	}
	return kslab_cpu_hint_refresh();
}

extern bool kslab_percpu_rseq kslab_hidden;
unsigned int kslab_cpu_enter_slow(void);

/*
 * The asymmetric barrier's light half: where kslab_fence_heavy() fences
 * every running thread with membarrier(2) (rseq mode registered it; one
 * thread in single mode), the compiler's barrier is all it takes.
 */
static inline void kslab_fence_light(void)
{
	if (kslab_likely(kslab_percpu_rseq || kslab_percpu_single))
		__asm__ __volatile__("" ::: "memory");
	else
		kslab_smp_mb();
}

void kslab_fence_heavy(void) kslab_hidden;

#include "port-rseq.h"
#include "port-tools.h"

/*
 * Probes at slow-path events: USDT probes (provider kslab) where
 * <sys/sdt.h> is installed (Debian's systemtap-sdt-dev), for perf probe
 * sdt_kslab:*; a nop and a note each, nothing until traced.
 */
#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h>
#define KSLAB_TRACE(event, a, b)					\
	DTRACE_PROBE2(kslab, event, (unsigned long)(a), (unsigned long)(b))
#else
#define KSLAB_TRACE(event, a, b)	do { (void)(a); (void)(b); } while (0)
#endif

static inline unsigned int kslab_cpu_enter(void)
{
	if (kslab_likely(kslab_percpu_rseq)) {
		int cpu = kslab_rseq_cpu_trylock();

		if (kslab_likely(cpu >= 0))
			return (unsigned int)cpu;
	}
	return kslab_cpu_enter_slow();
}

void kslab_cpu_wake(struct kslab_cpu_lock *lock);

static inline void kslab_cpu_lock_release(struct kslab_cpu_lock *lock)
{
	if (kslab_unlikely(__atomic_exchange_n(&lock->held, 0, __ATOMIC_RELEASE) &
			   KSLAB_CPU_SLEEPERS))
		kslab_cpu_wake(lock);
}

static inline void kslab_cpu_exit(unsigned int cpu)
{
	kslab_cpu_lock_release(kslab_percpu_ptr(kslab_cpu_locks, cpu));
}

/*
 * ---- page words ----
 * Chunks are carved from one reserved arena (userspace/pages.c), so the
 * word of a page is an index into a flat array: a subtract, a shift and a
 * bounds check. Before the arena exists no page is in bounds.
 */
extern unsigned long kslab_arena_base kslab_hidden;
extern unsigned long kslab_arena_pages kslab_hidden;
extern unsigned long *kslab_page_words kslab_hidden;

static inline unsigned long *kslab_env_page_word(const void *addr)
{
	unsigned long page = ((unsigned long)addr - kslab_arena_base) >>
			     KSLAB_PAGE_SHIFT;
	unsigned long *word;

	if (kslab_unlikely(page >= kslab_arena_pages))
		return NULL;
	word = &kslab_page_words[page];
	if (!word)	/* pages in bounds mean the array exists */
		__builtin_unreachable();
	return word;
}

/* MADV_DONTNEED leaves private anonymous pages reading as zeroes. */
#define KSLAB_ENV_DISCARD_ZEROES	1

/* A page fault costs more than its share of one madvise over a run. */
#define KSLAB_ENV_POPULATE	1
void kslab_env_chunk_populate(void *p, size_t size);
void kslab_env_meta_populate(void *p, size_t size);

/* Slots advised for huge pages are discarded in whole huge pages. */
#define KSLAB_ENV_DISCARD_ORDER		1
unsigned int kslab_env_discard_order(const void *p);

/*
 * ---- guard pages ----
 * Closed pages are PROT_NONE (userspace/pages.c); a SIGSEGV or SIGBUS on
 * one reaches kslab_guard_fault() first (userspace/faults.c).
 */
#define KSLAB_ENV_GUARDS	1
bool kslab_env_pages_close(void *p, size_t size);
bool kslab_env_pages_open(void *p, size_t size);
void kslab_env_watch_faults(void);

/* ---- RCU: liburcu's rcu_head is two words; the callback rides beside ---- */
#include <kslab/rcu.h>

kslab_noreturn void kslab_env_panic(const char *msg);

/* ---- formatting ---- */
#define KSLAB_KTAP_VERSION_LINE	"TAP version 13"
#define kslab_vsnprintf	vsnprintf
#define kslab_snprintf	snprintf

#endif /* KSLAB_USERSPACE_PORT_H */
