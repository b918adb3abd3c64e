/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The port contract: everything mm/ may use of the environment it runs in.
 *
 * mm/ includes this header and, from outside mm/, only the public headers
 * of include/kslab/. Each environment supplies the items below once: the
 * kernel in kernel/port.h plus the files of kernel/, userspace in
 * userspace/port.h plus the files of userspace/. This file is the only
 * place that chooses between them. The items are primitives; the
 * allocator's logic is all in mm/.
 * Documentation/port.rst gives the reasoning and the per-environment notes.
 *
 * Constants
 *   KSLAB_PAGE_SHIFT, KSLAB_PAGE_SIZE  the page size kslab manages (4 KiB).
 *   KSLAB_CACHE_LINE                   the coherence unit, for padding;
 *                                      kslab_line_aligned starts a
 *                                      variable on a line of its own.
 *   KSLAB_VA_BITS                      significant bits of a kslab address.
 *
 * Locks (lock order is documented per file in mm/)
 *   struct kslab_spinlock, KSLAB_DEFINE_SPINLOCK(name), kslab_spin_init,
 *   kslab_spin_lock/trylock/unlock
 *	A short critical section that never sleeps. In the kernel it also
 *	disables interrupts, so it may be taken from any context.
 *   struct kslab_mutex, KSLAB_DEFINE_MUTEX(name),
 *   kslab_mutex_init/lock/trylock/unlock
 *	A sleeping lock for slow, process-context work (cache lists, tuning).
 *	trylock never sleeps: for work that must not wait (memory reclaim).
 *   Spinlocks are released in the reverse order they were taken: the
 *   kernel keeps the saved interrupt state in the lock itself.
 *
 * Atomics and ordering
 *   struct kslab_atomic: a long; kslab_atomic_read/set/add/add_return/
 *	cmpxchg, all fully ordered except read and set (relaxed).
 *   kslab_cmpxchg(p, old, new): compare-and-swap on any word, fully
 *	ordered; evaluates to the value found (the swap happened if == old).
 *   kslab_load_acquire(p), kslab_store_release(p, v): publish a pointer.
 *   kslab_smp_mb(): full barrier.
 *   kslab_env_table: optional attribute of a large zero-initialised
 *	table (tens of KiB, touched sparsely), for the environment to put
 *	apart from the small globals (userspace: .lbss, after .bss), so
 *	that those share a page or two; nothing elsewhere.
 *   kslab_fence_light(), kslab_fence_heavy(): a full barrier in two
 *	unequal halves, for a side that runs on every operation against
 *	one that runs rarely: light orders as kslab_smp_mb() does, but only
 *	against a heavy one on another thread, which makes every running
 *	thread of the process fence (userspace in rseq mode: a compiler
 *	barrier, and membarrier(2); elsewhere both are kslab_smp_mb()).
 *
 * CPUs and per-CPU data
 *   kslab_nr_cpus()     number of CPU ids: every id is below it.
 *   kslab_cpu_id()      the CPU this thread runs on now; only a hint, the
 *                       thread may move at once.
 *   kslab_cpu_enter()   start an exclusive per-CPU section and return its
 *                       CPU: until kslab_cpu_exit(cpu), nothing else touches
 *                       that CPU's per-CPU data (kernel: preemption and
 *                       interrupts off; userspace: a per-CPU lock, and the
 *                       CPU returned is the one run on or was recently).
 *                       Valid once a kslab_percpu_alloc() has succeeded.
 *                       Declared by the environment header: userspace
 *                       makes both inline, they are the fast path.
 *   KSLAB_ENV_MAG_COMMIT, kslab_env_mag_pop(pcpu, tagged, refuse),
 *   kslab_env_mag_push(pcpu, obj, refuse)
 *	optional, the restartable commit: where the environment can pop a
 *	round from, or push one onto, the current CPU's loaded magazine
 *	without entering a section (userspace: rseq, one plain store
 *	commits), it defines KSLAB_ENV_MAG_COMMIT as 1 and these two, which
 *	give up (NULL, false) whenever the state word's sum has a bit of
 *	@refuse (a constant: the magazine empty or full, a harvest due, the
 *	profile's detour), or the CPU's section is held; a pop with
 *	@tagged (a constant) gives up
 *	too when the round's first word is not @pcpu's address (kmalloc's
 *	free tag, mm/kmalloc.h). They know the magazine by
 *	mm/magazine_layout.h alone, the one meeting point of port and core.
 *	Elsewhere (the kernel) KSLAB_ENV_MAG_COMMIT is 0 and mm/magazine.h
 *	does both inside kslab_cpu_enter()/exit().
 *   KSLAB_ENV_CPU_ADD, kslab_env_cpu_add(counter, stride, delta)
 *	optional: add @delta to this CPU's copy of a counter whose copies
 *	lie @stride bytes apart, losing no update (userspace: a restartable
 *	sequence whose commit is the add itself), and return true; false
 *	where it cannot (userspace in lock mode, and where it is left
 *	undefined), and kslab_cpu_add() makes an atomic add instead.
 *   kslab_each_cpu_exclusive(fn, arg)  call fn(cpu, arg) once for every
 *                       CPU id, each inside that CPU's exclusive section,
 *                       so fn may touch that CPU's per-CPU data (kernel: an
 *                       IPI to each online CPU, a direct call for offline
 *                       ones), one call at a time, so fn may add into arg
 *                       without a lock. Process context; fn must not sleep.
 *   kslab_percpu_alloc(size) / kslab_percpu_free(p) / kslab_percpu_ptr(p, cpu)
 *	zeroed per-CPU storage, one cache-line-aligned copy per CPU id, at
 *	most KSLAB_PERCPU_MAX bytes per allocation. Sections do not nest.
 *
 * NUMA nodes (Documentation/port.rst, "NUMA nodes")
 *   KSLAB_MAX_NODES     the most nodes mm/ keeps apart.
 *   kslab_nr_nodes()    how many node ids mm/ uses, 1 to KSLAB_MAX_NODES:
 *                       every node id is below it. 1 where the system has
 *                       one node, or where the environment cannot place
 *                       memory. Fixed once asked.
 *   kslab_cpu_node(cpu) the node of CPU id @cpu: where memory for what
 *                       runs on it should come from. Cheap: the free
 *                       path of a machine with more than one node asks it.
 *
 * Page source
 *   kslab_env_chunk_grant(gfp, node)  one KSLAB_CHUNK_SIZE block of
 *                                  memory, aligned to its size, on node
 *                                  @node (below kslab_nr_nodes()), or
 *                                  NULL: never another node's memory.
 *   kslab_env_chunk_take_back(p)   return such a block to the environment.
 *   kslab_env_chunk_discard(p, size)  the contents of @size bytes at
 *                                  @p, inside a granted chunk, are not
 *                                  needed: the environment may reclaim
 *                                  the memory and keep it mapped
 *                                  (userspace: madvise); may do nothing
 *                                  (kernel).
 *   kslab_env_chunk_populate(p, size)  @size bytes at @p, inside a
 *                                  granted chunk, are about to be
 *                                  written: make them resident in one
 *                                  step (userspace: madvise), where a
 *                                  page fault a page costs more; a hint
 *                                  (KSLAB_ENV_POPULATE; nothing by
 *                                  default, and in the kernel).
 *   kslab_env_meta_populate(p, size)  the same for @size bytes at @p
 *                                  inside metadata from
 *                                  kslab_env_meta_alloc().
 *   KSLAB_ENV_DISCARD_ZEROES       1 where discarded memory reads back as
 *                                  zeroes, touching no page until it is
 *                                  written (userspace); 0 by default.
 *   kslab_env_discard_order(p)     the smallest order of block at @p
 *                                  worth a discard: larger where a
 *                                  smaller discard would split a huge
 *                                  page (userspace, KSLAB_THP); 0 by
 *                                  default (KSLAB_ENV_DISCARD_ORDER).
 *   kslab_env_meta_alloc(size, gfp) / kslab_env_meta_free(p, size)
 *	zeroed memory for kslab's own descriptors, never from the chunks;
 *	freeing NULL does nothing, so an unwinding path frees all it tried.
 *   kslab_env_large_alloc(size, align, gfp)  memory for one allocation
 *	too large for the buddy allocator, at least @size bytes aligned to
 *	@align (a power of two; KSLAB_PAGE_SIZE at least), zero-filled if
 *	gfp has __GFP_ZERO, or NULL.
 *   kslab_env_large_size(p)        the usable size of such an allocation
 *	starting at p, 0 for any other address: O(1), any address.
 *   kslab_env_large_free(p, keep)  free one; p must be one. With @keep
 *	the environment may keep its memory mapped for later large
 *	allocations and chunk grants (which then skip the page faults), until
 *	kslab_env_large_release(); without, it goes back at once.
 *   kslab_env_large_kept()         the bytes kept so.
 *   kslab_env_large_release(all)   give kept memory back: all of it, or
 *	what was kept already at the previous call. Return: the bytes.
 *   kslab_env_page_word(addr)      the word the environment keeps for the
 *	page of a granted chunk holding addr, for mm/ to use; NULL for an
 *	address no granted chunk holds. Any address may be asked, answered
 *	in O(1) without a lock: it is the free fast path's first step. The
 *	words of a chunk are 0 when it is granted, and mm/ leaves them 0
 *	before it gives the chunk back. Declared by the environment header.
 *
 * What mm/ asks of its surroundings
 *   kslab_env_option(name)        the setting called @name (KSLAB_DEBUG,
 *                                 KSLAB_FAIL, KSLAB_QUARANTINE,
 *                                 KSLAB_ON_CORRUPTION), a
 *                                 string, or NULL: userspace reads the
 *                                 environment (the drop-in malloc has
 *                                 defaults of its own), the kernel its
 *                                 module parameters.
 *   kslab_env_random()            a random word, for per-cache secrets.
 *   kslab_env_thread_id()         the calling thread's id, for reports.
 *   kslab_env_caller_name(buf, size, addr)  a code address as a reader
 *                                 wants it: symbol+offset where known.
 *   kslab_env_stack(addrs, max)   the calling thread's stack, return
 *                                 addresses innermost first, at most
 *                                 @max; returns how many (0 if it cannot
 *                                 be read, or if asked again from inside
 *                                 itself). Called outside every kslab
 *                                 lock: it may allocate, and fault pages in.
 *
 * Tracing
 *   KSLAB_TRACE(event, a, b)      a probe at a slow-path event (magazine
 *                                 swaps and misses, depot traffic, slab
 *                                 grow and free, buddy split and merge,
 *                                 chunk map and unmap, reap) with two
 *                                 unsigned long arguments: userspace USDT
 *                                 probes, kernel tracepoints. Never on a
 *                                 magazine hit. Documentation/perf.rst.
 *
 * Marks for memory checkers (nothing unless the environment has one)
 *   kslab_env_obj_alloc(obj, size, defined)  an object handed out
 *   kslab_env_obj_free(obj, size)  an object taken back: closed
 *   kslab_env_mem_open(p, size), kslab_env_mem_close(p, size)  kslab's
 *                                 own access to closed bytes
 *   kslab_env_mem_peek_word(p)    read one word of an object, open or
 *                                 closed, leaving its marks as they were
 *   kslab_env_mem_forget(p, size) memory going back to the system
 *   KSLAB_ENV_MARKS_OBJECTS       1 where the marks do something.
 *
 * Guard pages (optional: an environment that has them defines
 * KSLAB_ENV_GUARDS as 1 and the three; elsewhere they do nothing, and
 * kmalloc's debug mode has no guarded blocks, mm/kmalloc_guard.c)
 *   kslab_env_pages_close(p, size) make whole pages inside a granted
 *	chunk or large allocation fault on any access; their contents may
 *	be dropped. Return: false if they could not be closed.
 *   kslab_env_pages_open(p, size)  make closed pages usable again, with
 *	contents undefined. Return: false if they stay closed.
 *   kslab_env_watch_faults()       from now on, a fault on a closed page
 *	calls kslab_guard_fault() with its address before anything else;
 *	a fault it declines goes where it went before. Idempotent.
 *
 * Reporting and assertions
 *   kslab_env_puts(level, line)   print one line (no trailing newline);
 *                                 KSLAB_LOG_OUT is the program's output
 *                                 (test results), the others diagnostics.
 *   kslab_vsnprintf, kslab_snprintf   C99 semantics.
 *   KSLAB_KTAP_VERSION_LINE       first line of a test stream: "TAP
 *                                 version 13" (userspace) or "KTAP version 1".
 *   kslab_env_panic(msg)          stop everything; never returns. Declared
 *                                 by the environment header, which may make
 *                                 it inline (objtool must see panic()).
 *   KSLAB_BUG_ON(cond)            an internal invariant: panic if false
 *                                 (kernel: BUG_ON(), an oops).
 *
 * RCU deferral
 *   struct kslab_rcu_head, kslab_call_rcu(head, fn), kslab_rcu_barrier(),
 *   kslab_synchronize_rcu(), kslab_rcu_read_lock/unlock().
 *   kslab_rcu_prepare(): make kslab_call_rcu() safe to call on this
 *	thread under mm/'s locks, where it must not allocate through a
 *	malloc that may be kslab's nor take the loader's lock; mm/ calls it,
 *	outside its locks, before each deferred free and before each
 *	TYPESAFE_BY_RCU cache's creation, shrink, reap or destroy (userspace:
 *	liburcu loaded and its callback thread started once, this thread's
 *	reader found; kernel: nothing). The waits allocate in userspace at
 *	every call: mm/ makes them outside its locks.
 *
 * Memory primitives
 *   kslab_memset, kslab_memcpy, kslab_memcmp: compiler builtins.
 *
 * What mm/ offers its environment (declared at the end of this file)
 *   kslab_lock_outer(), kslab_lock_inner() and their unlocks: every lock
 *	of mm/ in lock order, in two halves around the per-CPU sections
 *	(userspace: for fork()).
 *   kslab_shutdown(): give everything back (the module's unload).
 *   kslab_reclaimable_bytes(), kslab_reclaim(nr_pages): an estimate,
 *	read without a lock, of what reclaim could give back, and reclaim
 *	itself, which never sleeps or waits for a lock held across an
 *	allocation (the kernel's shrinker).
 *   kslab_cpu_dead(cpu): a CPU went away; its magazines go to the
 *	depots. The environment calls it once the CPU runs nothing of
 *	kslab's, excluding kslab_each_cpu_exclusive() meanwhile (the
 *	kernel's CPU hotplug callback; userspace has no CPU going away).
 *   kslab_chunk_holds(addr): whether a granted chunk holds @addr, from
 *	mm/'s page map (the kernel's kslab_env_page_word()).
 *   kslab_guard_fault(addr): a fault at @addr, given by
 *	kslab_env_watch_faults(): if it hit a guarded block's guard or a
 *	freed one, report it and stop the program; else return false.
 */
#ifndef KSLAB_MM_PORT_H
#define KSLAB_MM_PORT_H

#include <kslab/gfp.h>
#include <kslab/report.h>	/* enum kslab_log_level */
#include <kslab/types.h>	/* KSLAB_PAGE_SIZE, KSLAB_MAX_ORDER */

#include "compiler.h"

#define KSLAB_CACHE_LINE	64
/*
 * For data every CPU writes often (a lock and what it guards): it starts
 * a line, so that read-mostly data placed before it is not invalidated
 * with each write. On variables only: a type so aligned would make the
 * list walks' end test, which forms an element pointer from the list
 * head, a misaligned access.
 */
#define kslab_line_aligned	__attribute__((aligned(KSLAB_CACHE_LINE)))
#define KSLAB_CHUNK_SHIFT	(KSLAB_PAGE_SHIFT + KSLAB_MAX_ORDER)
#define KSLAB_CHUNK_SIZE	(1UL << KSLAB_CHUNK_SHIFT)
#define KSLAB_CHUNK_PAGES	(1UL << KSLAB_MAX_ORDER)
/* Nodes beyond share these ids (each environment folds them). */
#define KSLAB_MAX_NODES		8
/* The kernel's per-CPU allocator refuses more; userspace holds to it too. */
#define KSLAB_PERCPU_MAX	(32UL << 10)

struct kslab_rcu_head;
typedef void (*kslab_rcu_fn)(struct kslab_rcu_head *head);

#ifdef __KERNEL__
#include "../kernel/port.h"
#else
#include "../userspace/port.h"
#endif

#ifndef KSLAB_ENV_MAG_COMMIT
#define KSLAB_ENV_MAG_COMMIT	0
#endif

/* Large tables sit with the other zero-initialised data elsewhere. */
#ifndef kslab_env_table
#define kslab_env_table
#endif

#ifndef KSLAB_ENV_CPU_ADD
#define KSLAB_ENV_CPU_ADD	0

static inline bool kslab_env_cpu_add(struct kslab_atomic *counter,
				     size_t stride, long delta)
{
	(void)counter;
	(void)stride;
	(void)delta;
	return false;
}
#endif

/*
 * Add @delta to this CPU's copy of a counter whose copies lie @stride
 * bytes apart: the port's per-CPU add where it has one that can run
 * now, else an atomic add on the copy of the CPU it runs on (it may move
 * meanwhile, so the add must be atomic).
 */
static inline void kslab_cpu_add(struct kslab_atomic *counter, size_t stride,
				 long delta)
{
	if (!kslab_env_cpu_add(counter, stride, delta))
		kslab_atomic_add((struct kslab_atomic *)((char *)counter +
							 kslab_cpu_id() * stride),
				 delta);
}

/*
 * Marks for memory checkers: an environment that tells one (userspace
 * under ASan or memcheck, userspace/port-tools.h) defines
 * KSLAB_ENV_MARKS_OBJECTS as 1 and the four marks; for the others they
 * are nothing.
 */
#ifndef KSLAB_ENV_MARKS_OBJECTS
#define KSLAB_ENV_MARKS_OBJECTS	0

static inline void kslab_env_obj_alloc(void *obj, size_t size, bool defined)
{
	(void)obj;
	(void)size;
	(void)defined;
}

static inline void kslab_env_obj_free(void *obj, size_t size)
{
	(void)obj;
	(void)size;
}

static inline void kslab_env_mem_open(void *p, size_t size)
{
	(void)p;
	(void)size;
}

static inline void kslab_env_mem_close(void *p, size_t size)
{
	(void)p;
	(void)size;
}

static inline void kslab_env_mem_forget(void *p, size_t size)
{
	(void)p;
	(void)size;
}

static inline unsigned long kslab_env_mem_peek_word(const void *p)
{
	return *(const unsigned long *)p;
}
#endif

#ifndef KSLAB_ENV_DISCARD_ZEROES
#define KSLAB_ENV_DISCARD_ZEROES	0
#endif

/* Any free block may be discarded unless the environment says otherwise. */
#ifndef KSLAB_ENV_DISCARD_ORDER
#define KSLAB_ENV_DISCARD_ORDER		0

static inline unsigned int kslab_env_discard_order(const void *p)
{
	(void)p;
	return 0;
}
#endif

/* Chunk memory is resident when written unless the environment says. */
#ifndef KSLAB_ENV_POPULATE
#define KSLAB_ENV_POPULATE	0

static inline void kslab_env_chunk_populate(void *p, size_t size)
{
	(void)p;
	(void)size;
}

static inline void kslab_env_meta_populate(void *p, size_t size)
{
	(void)p;
	(void)size;
}
#endif

/* Guard pages: nothing unless the environment has them. */
#ifndef KSLAB_ENV_GUARDS
#define KSLAB_ENV_GUARDS	0

static inline bool kslab_env_pages_close(void *p, size_t size)
{
	(void)p;
	(void)size;
	return false;
}

static inline bool kslab_env_pages_open(void *p, size_t size)
{
	(void)p;
	(void)size;
	return false;
}

static inline void kslab_env_watch_faults(void)
{
}
#endif

/* Items implemented out of line by every environment. */
unsigned int kslab_nr_cpus(void);
void *kslab_percpu_alloc(size_t size);
void kslab_percpu_free(void *ptr);
void kslab_each_cpu_exclusive(void (*fn)(unsigned int cpu, void *arg),
			      void *arg);

unsigned int kslab_nr_nodes(void);
void *kslab_env_chunk_grant(gfp_t gfp, unsigned int node);
void kslab_env_chunk_take_back(void *chunk);
void kslab_env_chunk_discard(void *p, size_t size);
void *kslab_env_large_alloc(size_t size, size_t align, gfp_t gfp);
size_t kslab_env_large_size(const void *p);
void kslab_env_large_free(void *p, bool keep);
size_t kslab_env_large_kept(void);
size_t kslab_env_large_release(bool all);
void *kslab_env_meta_alloc(size_t size, gfp_t gfp);
void kslab_env_meta_free(void *ptr, size_t size);

void kslab_env_puts(enum kslab_log_level level, const char *line);
const char *kslab_env_option(const char *name);
unsigned long kslab_env_random(void);
int kslab_env_thread_id(void);
void kslab_env_caller_name(char *buf, size_t size, unsigned long addr);
unsigned int kslab_env_stack(unsigned long *addrs, unsigned int max);

void kslab_call_rcu(struct kslab_rcu_head *head, kslab_rcu_fn fn);
void kslab_rcu_barrier(void);
void kslab_synchronize_rcu(void);
void kslab_rcu_prepare(void);

#define kslab_memset	__builtin_memset
#define kslab_memcpy	__builtin_memcpy
#define kslab_memcmp	__builtin_memcmp

kslab_noreturn kslab_cold void kslab_bug(const char *file, int line,
					  const char *cond);

/* An environment may supply its own, as the kernel does with BUG_ON(). */
#ifndef KSLAB_BUG_ON
#define KSLAB_BUG_ON(cond)						\
	do {								\
		if (kslab_unlikely(cond))				\
			kslab_bug(__FILE__, __LINE__, #cond);		\
	} while (0)
#endif

/* What mm/ offers its environment (see the top of this file). */
void kslab_lock_outer(void);
void kslab_unlock_outer(void);
void kslab_lock_inner(void);
void kslab_unlock_inner(void);
unsigned long kslab_shutdown(void);
size_t kslab_reclaimable_bytes(void);
long kslab_reclaim(unsigned long nr_pages);
unsigned long kslab_cpu_dead(unsigned int cpu);
bool kslab_chunk_holds(const void *addr);
bool kslab_guard_fault(const void *addr);

#endif /* KSLAB_MM_PORT_H */
