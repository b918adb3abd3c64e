/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace port's restartable commit (KSLAB_ENV_MAG_COMMIT, see
 * mm/port.h): restartable sequences where the kernel and glibc provide
 * rseq; in lock mode they give up at once, and mm/ does the work inside
 * the per-CPU lock. Included by userspace/port.h. The sequences know the
 * magazine by mm/magazine_layout.h alone.
 *
 * In rseq mode a pop or push runs as a restartable sequence on the
 * current CPU: it reads that CPU's section lock and gives up if it is
 * held, finds the loaded magazine and its state word, and commits with a
 * single store to that word. If the thread is preempted, migrated or
 * signalled before that store, the kernel sends it to the abort handler
 * and nothing was changed. Slow paths still take the per-CPU lock, itself with a sequence
 * when they can (kslab_rseq_cpu_trylock()), else atomically and then
 * checking they run on that CPU, so any sequence that read the lock as
 * free was preempted and will restart; kslab_each_cpu_exclusive() takes it
 * from afar and fences the CPU with membarrier(2), which restarts
 * sequences in flight there. Either way, once the holder goes on, every
 * sequence on that CPU sees the lock held (see userspace/port.h).
 *
 * The hit counts ride in the same word as the round count (see
 * mm/magazine_layout.h), so the one commit store also counts the hit.
 */
#ifndef KSLAB_USERSPACE_PORT_RSEQ_H
#define KSLAB_USERSPACE_PORT_RSEQ_H

#include "../mm/magazine_layout.h"

/*
 * Set before the first per-CPU allocation returns; see userspace/cpu.c.
 * kslab_rseq_offset is glibc's __rseq_offset, copied where the sequences
 * read it without a GOT load. kslab_cpu_gates is the per-CPU word the
 * sequences must find zero: the section locks in rseq mode, a word that is
 * never zero in lock mode, so there every sequence gives up at once and
 * the slow path does the work inside the section.
 */
extern long kslab_rseq_offset kslab_hidden;
extern int *kslab_cpu_gates kslab_hidden;

_Static_assert(KSLAB_PERCPU_UNIT == 1UL << 18, "rseq sequences shift by 18");

#ifdef __x86_64__
/*
 * The descriptor of a sequence from label 1 to its commit (label 2), with
 * the abort handler at label 4 behind the signature glibc registered, and
 * the store that arms it (through the register of operand mag, free until
 * the sequence loads the magazine). The rseq area is addressed through
 * %fs, the thread pointer, at kslab_rseq_offset.
 */
#define KSLAB_RSEQ_START						\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n\t"						\
	"3:\n\t"							\
	".long 0, 0\n\t"						\
	".quad 1f, (2f - 1f), 4f\n\t"					\
	".popsection\n\t"						\
	"leaq 3b(%%rip), %[mag]\n\t"					\
	"movq %[mag], %%fs:8(%[rs])\n\t"				\
	"1:\n\t"

#define KSLAB_RSEQ_END(abort)						\
	"2:\n\t"							\
	".pushsection __rseq_failure, \"ax\"\n\t"			\
	".long 0x53053053\n\t"						\
	"4:\n\t"							\
	"jmp %l[" abort "]\n\t"						\
	".popsection\n\t"

/* Hardening: refuse a push of the object on top (see the push). */
#if KSLAB_HARDENING
#define KSLAB_RSEQ_TOP_CHECK(refuse)					\
	"cmpq %[obj], (%[mag], %[off], 8)\n\t"				\
	"je %l[" refuse "]\n\t"
#else
#define KSLAB_RSEQ_TOP_CHECK(refuse)	""
#endif

/*
 * This CPU's cache, if its gate is open: the offset of its per-CPU copies
 * is cpu_id_start * KSLAB_PERCPU_UNIT. Its loaded magazine and that
 * magazine's state word come from the same line, side by side.
 */
#define KSLAB_RSEQ_LOADED(busy)						\
	"movl %%fs:(%[rs]), %k[cpu_off]\n\t"				\
	"shlq $18, %[cpu_off]\n\t"					\
	"cmpl $0, (%[gates], %[cpu_off])\n\t"				\
	"jnz %l[" busy "]\n\t"						\
	"movq (%[pcpu], %[cpu_off]), %[mag]\n\t"			\
	"movq 8(%[pcpu], %[cpu_off]), %[state]\n\t"

/*
 * Pop: commit state + KSLAB_MAG_POP unless the sum has a bit of @refuse
 * (a constant: KSLAB_MAG_REFUSE, an immediate, on the fast paths); the
 * rounds left after it index the object taken, which comes back in off. With
 * @tagged (a constant), the object's first word must be @pcpu's address
 * (kmalloc's free tag), or nothing is committed: the slow path takes
 * that round and reports it.
 */
#define KSLAB_RSEQ_POP(check)						\
	__asm__ __volatile__ goto(KSLAB_RSEQ_START			\
		     KSLAB_RSEQ_LOADED("miss")				\
		     "addq %[pop], %[state]\n\t"				\
		     "testq %[refuse], %[state]\n\t"			\
		     "jnz %l[miss]\n\t"					\
		     "movzbl %b[state], %k[off]\n\t"			\
		     "movq 16(%[mag], %[off], 8), %[off]\n\t"		\
		     check						\
		     "movq %[state], 8(%[pcpu], %[cpu_off])\n\t"		\
		     KSLAB_RSEQ_END("miss")				\
		     : [cpu_off] "=&r"(cpu_off), [off] "=&r"(off),	\
		       [mag] "=&r"(mag), [state] "=&r"(state)		\
		     : [rs] "r"(kslab_rseq_offset), [pcpu] "r"(pcpu),	\
		       [gates] "r"(kslab_cpu_gates),			\
		       [refuse] "er"(refuse),				\
		       [pop] "i"(KSLAB_MAG_POP)				\
		     : "memory", "cc"					\
		     : miss)

static inline void *kslab_rseq_mag_pop(struct kslab_cpu_cache *pcpu,
				       bool tagged, long refuse)
{
	unsigned long cpu_off, off, mag, state;

	if (tagged)
		KSLAB_RSEQ_POP("cmpq %[pcpu], (%[off])\n\t"
			       "jne %l[miss]\n\t");
	else
		KSLAB_RSEQ_POP("");
	/* Magazines hold objects, never NULL: callers' tests fold away. */
	if (!off)
		__builtin_unreachable();
	return (void *)off;
miss:
	return NULL;
}

/*
 * Push: commit state + KSLAB_MAG_PUSH unless the sum has a bit of @refuse
 * (as for the pop) or @obj is the round on top already (a double free:
 * the slow path reports it); the object goes below the new round count.
 * With the new count r in off,
 * (mag + 8 * r) is the top round objs[r - 2], or for r = 1 the magazine's
 * own state word, stale while it is loaded but always below 2^32, a
 * small number no object's address equals.
 */
static inline bool kslab_rseq_mag_push(struct kslab_cpu_cache *pcpu,
				       void *obj, long refuse)
{
	unsigned long cpu_off, off, mag, state;

	__asm__ __volatile__ goto(KSLAB_RSEQ_START
		     KSLAB_RSEQ_LOADED("miss")
		     "addq %[push], %[state]\n\t"
		     "testq %[refuse], %[state]\n\t"
		     "jnz %l[miss]\n\t"
		     "movzbl %b[state], %k[off]\n\t"
		     KSLAB_RSEQ_TOP_CHECK("miss")
		     "movq %[obj], 8(%[mag], %[off], 8)\n\t"
		     "movq %[state], 8(%[pcpu], %[cpu_off])\n\t"
		     KSLAB_RSEQ_END("miss")
		     : [cpu_off] "=&r"(cpu_off), [off] "=&r"(off),
		       [mag] "=&r"(mag), [state] "=&r"(state)
		     : [rs] "r"(kslab_rseq_offset), [pcpu] "r"(pcpu),
		       [gates] "r"(kslab_cpu_gates), [obj] "r"(obj),
		       [refuse] "er"(refuse),
		       [push] "i"(KSLAB_MAG_PUSH)
		     : "memory", "cc"
		     : miss);
	return true;
miss:
	return false;
}

/*
 * Take this CPU's section lock: read it, and commit KSLAB_CPU_HELD_RSEQ
 * if it is free. Only a thread on this CPU can run here at a time, so no
 * atomic is needed; a preempted attempt restarts from scratch.
 */
static inline int kslab_rseq_cpu_trylock(void)
{
	unsigned long cpu, off, mag;

	__asm__ __volatile__ goto(KSLAB_RSEQ_START
		     "movl %%fs:(%[rs]), %k[cpu]\n\t"
		     "movq %[cpu], %[off]\n\t"
		     "shlq $18, %[off]\n\t"
		     "cmpl $0, (%[locks], %[off])\n\t"
		     "jnz %l[busy]\n\t"
		     "movl %[held], (%[locks], %[off])\n\t"
		     KSLAB_RSEQ_END("busy")
		     : [cpu] "=&r"(cpu), [off] "=&r"(off), [mag] "=&r"(mag)
		     : [rs] "r"(kslab_rseq_offset),
		       [locks] "r"(kslab_cpu_locks),
		       [held] "i"(KSLAB_CPU_HELD_RSEQ)
		     : "memory", "cc"
		     : busy);
	(void)mag;
	return (int)cpu;
busy:
	return -1;
}

/*
 * Add @delta to this CPU's copy of a counter whose copies lie @stride
 * bytes apart: the add to memory is the commit, one instruction, so no
 * lock prefix is needed, and a preempted or migrated attempt starts again
 * from the CPU id. False where no sequence may run (lock mode).
 */
static inline bool kslab_rseq_cpu_add(struct kslab_atomic *counter,
				      size_t stride, long delta)
{
	unsigned long off, mag;

	if (kslab_unlikely(!kslab_percpu_rseq && !kslab_percpu_single))
		return false;
	for (;;) {
		__asm__ __volatile__ goto(KSLAB_RSEQ_START
			     "movl %%fs:(%[rs]), %k[off]\n\t"
			     "imulq %[stride], %[off]\n\t"
			     "addq %[delta], (%[counter], %[off])\n\t"
			     KSLAB_RSEQ_END("restart")
			     : [off] "=&r"(off), [mag] "=&r"(mag)
			     : [rs] "r"(kslab_rseq_offset),
			       [counter] "r"(counter), [stride] "er"(stride),
			       [delta] "er"(delta)
			     : "memory", "cc"
			     : restart);
		return true;
restart:
		;
	}
}

/* The contract's per-CPU add: the sequence; in lock mode, none. */
#define KSLAB_ENV_CPU_ADD	1
#define kslab_env_cpu_add	kslab_rseq_cpu_add
#else
/* No sequences written for this architecture: userspace/cpu.c picks "lock". */
static inline void *kslab_rseq_mag_pop(struct kslab_cpu_cache *pcpu,
				       bool tagged, long refuse)
{
	(void)pcpu;
	(void)tagged;
	(void)refuse;
	return NULL;
}

static inline bool kslab_rseq_mag_push(struct kslab_cpu_cache *pcpu,
				       void *obj, long refuse)
{
	(void)pcpu;
	(void)obj;
	(void)refuse;
	return false;
}

static inline int kslab_rseq_cpu_trylock(void)
{
	return -1;
}

#endif

/* The contract's restartable commit: the sequences above. */
#define KSLAB_ENV_MAG_COMMIT	1
#define kslab_env_mag_pop	kslab_rseq_mag_pop
#define kslab_env_mag_push	kslab_rseq_mag_push

#endif /* KSLAB_USERSPACE_PORT_RSEQ_H */
