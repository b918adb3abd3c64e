/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace port's per-CPU magazine primitives (see <kslab/port.h>):
 * restartable sequences where the kernel and glibc provide rseq, the
 * per-CPU lock elsewhere. Included by <kslab/port-user.h>.
 *
 * In rseq mode a pop or push runs as a restartable sequence on the
 * current CPU: it reads that CPU's section lock and gives up if it is
 * held, finds the loaded magazine, and commits with a single store to its
 * round count. If the thread is preempted, migrated or signalled before
 * that store, the kernel sends it to the abort handler and nothing was
 * changed. Slow paths still take the per-CPU lock: kslab_cpu_enter() takes
 * it and then checks it runs on that CPU, so any sequence that read the
 * lock as free was preempted and will restart; kslab_each_cpu_exclusive()
 * takes it from afar and fences the CPU with membarrier(2), which restarts
 * sequences in flight there. Either way, once the holder goes on, every
 * sequence on that CPU sees the lock held.
 *
 * The hit counts ride in the same word as the round count (see
 * <kslab/magazine.h>), so the one commit store also counts the hit.
 */
#ifndef KSLAB_PORT_USER_RSEQ_H
#define KSLAB_PORT_USER_RSEQ_H

#include <kslab/magazine_section.h>

/* Chosen before the first per-CPU allocation returns; see userspace/cpu.c. */
extern bool kslab_percpu_rseq;

/**
 * kslab_env_percpu_mode() - how per-CPU magazines are protected
 *
 * Return: "rseq" (restartable sequences, no atomic on the fast path) or
 * "lock" (a per-CPU lock; without rseq, or with KSLAB_PERCPU=lock).
 */
const char *kslab_env_percpu_mode(void);

_Static_assert(KSLAB_PERCPU_UNIT == 1UL << 18, "rseq sequences shift by 18");

static inline struct rseq *kslab_rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() +
			       __rseq_offset);
}

#ifdef __x86_64__
/*
 * The descriptor of a sequence from label 1 to its commit (label 2), with
 * the abort handler at label 4 behind the signature glibc registered, and
 * the store that arms it.
 */
#define KSLAB_RSEQ_START(area)						\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n\t"						\
	"3:\n\t"							\
	".long 0, 0\n\t"						\
	".quad 1f, (2f - 1f), 4f\n\t"					\
	".popsection\n\t"						\
	"leaq 3b(%%rip), %%rax\n\t"					\
	"movq %%rax, 8(%[" area "])\n\t"				\
	"1:\n\t"

#define KSLAB_RSEQ_END(abort)						\
	"2:\n\t"							\
	".pushsection __rseq_failure, \"ax\"\n\t"			\
	".long 0x53053053\n\t"						\
	"4:\n\t"							\
	"jmp %l[" abort "]\n\t"						\
	".popsection\n\t"

/* Offset of this CPU's copies: cpu_id_start * KSLAB_PERCPU_UNIT; lock free? */
#define KSLAB_RSEQ_THIS_CPU(busy)					\
	"movl 0(%[rs]), %k[off]\n\t"					\
	"shlq $18, %[off]\n\t"						\
	"cmpl $0, (%[locks], %[off])\n\t"				\
	"jnz %l[" busy "]\n\t"

/*
 * Pop: take objs[rounds - 1] and commit state + KSLAB_MAG_POP (one round
 * less, one pop more). Gives up on an empty magazine or a count due for
 * harvest.
 */
static inline void *kslab_rseq_mag_pop(struct kslab_cpu_cache *pcpu)
{
	unsigned long off, mag, state, rounds;
	void *obj;

	__asm__ __volatile__ goto(KSLAB_RSEQ_START("rs")
		     KSLAB_RSEQ_THIS_CPU("miss")
		     "movq (%[pcpu], %[off]), %[mag]\n\t"
		     "movq 8(%[mag]), %[state]\n\t"
		     "movzbl %b[state], %k[rounds]\n\t"
		     "testl %k[rounds], %k[rounds]\n\t"
		     "jz %l[miss]\n\t"
		     "testq %[harvest], %[state]\n\t"
		     "jnz %l[miss]\n\t"
		     "movq 8(%[mag], %[rounds], 8), %[obj]\n\t"
		     "addq %[pop], %[state]\n\t"
		     "movq %[state], 8(%[mag])\n\t"
		     KSLAB_RSEQ_END("miss")
		     : [off] "=&r"(off), [mag] "=&r"(mag), [state] "=&q"(state),
		       [rounds] "=&r"(rounds), [obj] "=&r"(obj)
		     : [rs] "r"(kslab_rseq_area()), [pcpu] "r"(pcpu),
		       [locks] "r"(kslab_cpu_locks),
		       [harvest] "i"(KSLAB_MAG_HARVEST),
		       [pop] "i"(KSLAB_MAG_POP)
		     : "rax", "memory", "cc"
		     : miss);
	return obj;
miss:
	return NULL;
}

/*
 * Push: store objs[rounds] and commit state + KSLAB_MAG_PUSH. Gives up on
 * a full magazine or a count due for harvest.
 */
static inline bool kslab_rseq_mag_push(struct kslab_cpu_cache *pcpu,
				       void *obj)
{
	unsigned long off, mag, state, rounds, capacity;

	__asm__ __volatile__ goto(KSLAB_RSEQ_START("rs")
		     KSLAB_RSEQ_THIS_CPU("miss")
		     "movq (%[pcpu], %[off]), %[mag]\n\t"
		     "movq 8(%[mag]), %[state]\n\t"
		     "movzbl %b[state], %k[rounds]\n\t"
		     "movq %[state], %[capacity]\n\t"
		     "shrq $32, %[capacity]\n\t"
		     "cmpl %k[capacity], %k[rounds]\n\t"
		     "jae %l[miss]\n\t"
		     "testq %[harvest], %[state]\n\t"
		     "jnz %l[miss]\n\t"
		     "movq %[obj], 16(%[mag], %[rounds], 8)\n\t"
		     "addq %[push], %[state]\n\t"
		     "movq %[state], 8(%[mag])\n\t"
		     KSLAB_RSEQ_END("miss")
		     : [off] "=&r"(off), [mag] "=&r"(mag), [state] "=&q"(state),
		       [rounds] "=&r"(rounds), [capacity] "=&q"(capacity)
		     : [rs] "r"(kslab_rseq_area()), [pcpu] "r"(pcpu),
		       [locks] "r"(kslab_cpu_locks), [obj] "r"(obj),
		       [harvest] "i"(KSLAB_MAG_HARVEST),
		       [push] "i"(KSLAB_MAG_PUSH)
		     : "rax", "memory", "cc"
		     : miss);
	return true;
miss:
	return false;
}
#else
/* No sequences written for this architecture: userspace/cpu.c picks "lock". */
static inline void *kslab_rseq_mag_pop(struct kslab_cpu_cache *pcpu)
{
	(void)pcpu;
	return NULL;
}

static inline bool kslab_rseq_mag_push(struct kslab_cpu_cache *pcpu,
				       void *obj)
{
	(void)pcpu;
	(void)obj;
	return false;
}

#endif

/**
 * kslab_cpu_mag_pop() - pop a round from this CPU's loaded magazine
 * @pcpu: the cache's per-CPU handle
 *
 * Counts an alloc_hit on success. Return: the object, or NULL if the
 * magazine is empty or the CPU's section is held.
 */
static inline void *kslab_cpu_mag_pop(struct kslab_cpu_cache *pcpu)
{
	if (kslab_unlikely(!kslab_percpu_rseq))
		return kslab_section_mag_pop(pcpu);
	return kslab_rseq_mag_pop(pcpu);
}

/**
 * kslab_cpu_mag_push() - push a round onto this CPU's loaded magazine
 * @pcpu: the cache's per-CPU handle
 * @obj:  the object
 *
 * Counts a free_hit on success. Return: false if the magazine is full or
 * the CPU's section is held.
 */
static inline bool kslab_cpu_mag_push(struct kslab_cpu_cache *pcpu, void *obj)
{
	if (kslab_unlikely(!kslab_percpu_rseq))
		return kslab_section_mag_push(pcpu, obj);
	return kslab_rseq_mag_push(pcpu, obj);
}

#endif /* KSLAB_PORT_USER_RSEQ_H */
