/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side of the port contract (see mm/port.h): the parts
 * that must be inline, for Linux 6.1 and later. The rest is in kernel/.
 *
 * Owns the mapping of every inline contract item onto a kernel primitive.
 * Each is a thin wrapper; the few places where the kernel's semantics differ
 * from what the contract promises (irqsave locks, ordering of void atomics,
 * the __percpu address space) are explained where they are bridged.
 */
#ifndef KSLAB_KERNEL_PORT_H
#define KSLAB_KERNEL_PORT_H

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/stdarg.h>
#include <linux/topology.h>

#if BITS_PER_LONG != 64
#error "kslab needs a 64-bit kernel: the page map keys on KSLAB_VA_BITS bits"
#endif

/*
 * kslab_cpu_enter() turns hard interrupts off and then takes kslab
 * spinlocks. On PREEMPT_RT a spinlock_t is a sleeping lock, which must not
 * be taken with interrupts off; supporting RT would mean raw_spinlock_t
 * here and a local_lock for the per-CPU section.
 */
#ifdef CONFIG_PREEMPT_RT
#error "kslab does not support PREEMPT_RT"
#endif

/*
 * How a kernel address maps into the page map.
 *
 * mm/pagemap.c keys its table on bits KSLAB_CHUNK_SHIFT..KSLAB_VA_BITS-1
 * of an address and ignores the bits above. Kernel chunks are direct-map
 * addresses (page_address() of an alloc_pages() block), which sit in the
 * upper half of the address space and so all have their top bits set:
 * dropping those bits loses nothing as long as the kernel half spans no
 * more than 2^47 bytes. That holds for x86-64 with 4-level paging (the
 * kernel half is exactly 2^47 bytes, so the masking is one-to-one) and for
 * the arm64 linear map with 48-bit VAs (it fills the lower 2^47 bytes of
 * the kernel half).
 *
 * With x86-64 5-level paging the direct map can reach 2^55 bytes, so two
 * chunks whose physical addresses differ by a multiple of 128 TiB would
 * share a slot. The page map stores each chunk's full base and compares it
 * on every lookup, and refuses to insert into a taken slot, so such
 * aliasing costs one refused chunk (the grant is handed back and the
 * allocation tries again or fails), never a wrong answer. It needs more
 * than 128 TiB of physical address space to happen at all.
 *
 * 47 bits keep the static root of the table at 32 KiB of module .bss;
 * every further bit doubles it.
 */
#define KSLAB_VA_BITS		47

/* ---- spinlock ---- */

/*
 * The contract's lock/unlock take only the lock, so the interrupt state
 * saved by spin_lock_irqsave() lives in the lock. That is safe because only
 * the holder writes @flags, after acquiring, and reads it back before
 * releasing. It does require kslab spinlocks to be released in the reverse
 * order of acquisition, which mm/ does: releasing an outer lock first would
 * restore interrupts while the inner one is still held.
 */
struct kslab_spinlock {
	spinlock_t lock;
	unsigned long flags;
};

/* Define a static spinlock that lockdep reports under its own name. */
#define KSLAB_DEFINE_SPINLOCK(name) \
	struct kslab_spinlock name = { .lock = __SPIN_LOCK_UNLOCKED(name.lock) }

/*
 * A macro, not an inline function, so that each call site gets its own
 * lockdep class, as spin_lock_init() gives the kernel's own locks.
 */
#define kslab_spin_init(l)	spin_lock_init(&(l)->lock)

static inline void kslab_spin_lock(struct kslab_spinlock *lock)
{
	unsigned long flags;

	spin_lock_irqsave(&lock->lock, flags);
	lock->flags = flags;
}

static inline bool kslab_spin_trylock(struct kslab_spinlock *lock)
{
	unsigned long flags;

	if (!spin_trylock_irqsave(&lock->lock, flags))
		return false;
	lock->flags = flags;
	return true;
}

static inline void kslab_spin_unlock(struct kslab_spinlock *lock)
{
	spin_unlock_irqrestore(&lock->lock, lock->flags);
}

/* ---- sleeping lock ---- */
struct kslab_mutex {
	struct mutex mutex;
};

/*
 * There is no KSLAB_MUTEX_INIT here: a kernel mutex's wait list points at
 * itself, so its static initializer must name the variable being defined.
 * Define static mutexes with KSLAB_DEFINE_MUTEX() or initialise them at run
 * time with kslab_mutex_init().
 */
#define KSLAB_DEFINE_MUTEX(name) \
	struct kslab_mutex name = { __MUTEX_INITIALIZER(name.mutex) }

/* A macro for the same lockdep reason as kslab_spin_init(). */
#define kslab_mutex_init(m)	mutex_init(&(m)->mutex)

static inline void kslab_mutex_lock(struct kslab_mutex *m)
{
	mutex_lock(&m->mutex);
}

/* Return: true if the mutex was free and is now held; never sleeps. */
static inline bool kslab_mutex_trylock(struct kslab_mutex *m)
{
	return mutex_trylock(&m->mutex);
}

static inline void kslab_mutex_unlock(struct kslab_mutex *m)
{
	mutex_unlock(&m->mutex);
}

/* ---- atomics ---- */
struct kslab_atomic {
	atomic_long_t counter;
};

#define KSLAB_ATOMIC_INIT(v)	{ ATOMIC_LONG_INIT(v) }

static inline long kslab_atomic_read(const struct kslab_atomic *a)
{
	return atomic_long_read(&a->counter);
}

static inline void kslab_atomic_set(struct kslab_atomic *a, long v)
{
	atomic_long_set(&a->counter, v);
}

static inline long kslab_atomic_add_return(struct kslab_atomic *a, long v)
{
	return atomic_long_add_return(v, &a->counter);
}

/*
 * The kernel's void atomics are unordered, but the contract promises a
 * full barrier, so one is placed on each side. On x86 both are compiler
 * barriers only, since a locked instruction is already fully ordered.
 */
static inline void kslab_atomic_add(struct kslab_atomic *a, long v)
{
	/* Fully ordered: no earlier access may pass the add... */
	smp_mb__before_atomic();
	atomic_long_add(v, &a->counter);
	/* ...and no later access may come before it. */
	smp_mb__after_atomic();
}

/* Returns the value found; the swap happened if it equals @old. */
static inline long kslab_atomic_cmpxchg(struct kslab_atomic *a, long old,
					long new)
{
	return atomic_long_cmpxchg(&a->counter, old, new);
}

/* The kernel's cmpxchg() is fully ordered and returns the value found. */
#define kslab_cmpxchg(ptr, old, new)	cmpxchg((ptr), (old), (new))

/* Reads through a published pointer see what was written before it. */
#define kslab_load_acquire(p)		smp_load_acquire(p)
/* Publishes: writes before it are seen by whoever loads with acquire. */
#define kslab_store_release(p, v)	smp_store_release((p), (v))
/* The contract's full barrier: orders earlier stores before later loads. */
#define kslab_smp_mb()			smp_mb()
/* The asymmetric halves: both a full barrier here. */
#define kslab_fence_light()		smp_mb()
#define kslab_fence_heavy()		smp_mb()

/* ---- CPUs ---- */

/*
 * raw_, not smp_processor_id(): the contract calls this a hint that may be
 * stale at once, so it is legal from preemptible code, where the checked
 * variant would warn under CONFIG_DEBUG_PREEMPT.
 */
static inline unsigned int kslab_cpu_id(void)
{
	return (unsigned int)raw_smp_processor_id();
}

/*
 * The node a CPU's memory comes from: cpu_to_mem(), the nearest node with
 * memory, so a CPU of a memoryless node is served from its neighbour
 * rather than failing every grant. Node ids past KSLAB_MAX_NODES fold
 * onto the ones below (kslab_nr_nodes() is nr_node_ids, capped).
 */
static inline unsigned int kslab_cpu_node(unsigned int cpu)
{
	int nid = cpu_to_mem(cpu);

	return nid < 0 ? 0 : (unsigned int)nid % KSLAB_MAX_NODES;
}

/*
 * Per-CPU pointers cross the contract as plain pointers.
 *
 * kslab_percpu_alloc() returns void * in both environments, so mm/ can keep
 * per-CPU objects in ordinary typed pointers and never mentions the
 * kernel's __percpu address space. Such a pointer is a handle: mm/ only
 * passes it to kslab_percpu_ptr() and kslab_percpu_free(), never
 * dereferences it. The kernel side converts at the boundary with __force
 * casts, in kernel/port.c for alloc/free and here for the lookup, so sparse
 * accepts both directions and a W=1 build sees ordinary pointer casts.
 */
#define kslab_percpu_ptr(ptr, cpu)					\
	((__typeof__(ptr))per_cpu_ptr((void __percpu __force *)(ptr),	\
				       (cpu)))

/* ---- RCU ---- */
struct kslab_rcu_head {
	struct rcu_head rcu;
	kslab_rcu_fn fn;
};

static inline void kslab_rcu_read_lock(void)
{
	rcu_read_lock();
}

static inline void kslab_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

/* Out of line in kernel/port.c: they keep state in a per-CPU variable. */
unsigned int kslab_cpu_enter(void);
void kslab_cpu_exit(unsigned int cpu);

/* Out of line in kernel/port.c: it asks mm/'s page map first. */
unsigned long *kslab_env_page_word(const void *addr);

/* ---- tracing: tracepoints kslab:kslab_<event>, off until enabled ---- */
#include "trace.h"
#define KSLAB_TRACE(event, a, b)					\
	trace_kslab_##event((unsigned long)(a), (unsigned long)(b))

/* ---- stopping ---- */

/*
 * Inline rather than in kernel/port.c so that the call the compiler sees
 * is to panic() itself. objtool checks each object file on its own and
 * knows panic() never returns, but not an external kslab_env_panic(): the
 * noreturn call ending kslab_bug() would otherwise read as falling off the
 * end of the function. port.h's later plain declaration of the function is
 * legal C and keeps this definition's internal linkage.
 */
static inline kslab_noreturn void kslab_env_panic(const char *msg)
{
	panic("%s", msg);
}

/* objtool knows BUG() ends a path; it cannot know that of kslab_bug(). */
#define KSLAB_BUG_ON(cond)	BUG_ON(cond)

/* ---- formatting ---- */

/*
 * The kernel's vsnprintf() returns the untruncated length as C99 does, but
 * it formats no floating point and prints %p hashed; %px gives the raw
 * address (userspace has no %px, so mm/ sticks to %p).
 */
#define KSLAB_KTAP_VERSION_LINE	"KTAP version 1"
#define kslab_vsnprintf	vsnprintf
#define kslab_snprintf	snprintf

#endif /* KSLAB_KERNEL_PORT_H */
