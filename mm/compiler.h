/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compiler helpers shared by every kslab file, in either environment.
 *
 * Only GCC/Clang builtins are used here, so this header is safe to include
 * from kernel code and from userspace alike.
 */
#ifndef KSLAB_COMPILER_H
#define KSLAB_COMPILER_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#define kslab_likely(x)		__builtin_expect(!!(x), 1)
#define kslab_unlikely(x)	__builtin_expect(!!(x), 0)

/* A hint that @p's line is wanted soon; never faults, whatever @p is. */
#define kslab_prefetch(p)	__builtin_prefetch(p)

#define kslab_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define KSLAB_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Round @x up or down to a multiple of @a, which must be a power of two. */
#define KSLAB_ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define KSLAB_ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))

/*
 * Marked accesses: meant to race, never torn or merged. ThreadSanitizer
 * takes a volatile access for a plain one and would report each race;
 * relaxed atomics tell it they are meant.
 * Userspace only: KCSAN builds the kernel with -fsanitize=thread too, and
 * treats volatile as marked there.
 */
#if defined(__SANITIZE_THREAD__) && !defined(__KERNEL__)
#define KSLAB_READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define KSLAB_WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#else
#define KSLAB_READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define KSLAB_WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#endif

/*
 * A racy read of one aligned word, used once, that may be stale: a plain
 * load, so the compiler keeps its best addressing (a volatile access
 * makes it compute the address apart), and to ThreadSanitizer a relaxed
 * atomic, as the kernel's data_race() says a race is meant.
 */
#ifdef __SANITIZE_THREAD__
#define KSLAB_DATA_RACE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#else
#define KSLAB_DATA_RACE(x)	(x)
#endif

/* The __x__ spellings: the kernel defines noinline, cold and others as macros. */
#define kslab_printf_fmt(f, a)	__attribute__((__format__(__printf__, f, a)))
#define kslab_noreturn		__attribute__((__noreturn__))
#define kslab_cold		__attribute__((__cold__))
#define kslab_noinline		__attribute__((__noinline__))
/* For the fast paths, which the compiler may not judge worth inlining. */
#define kslab_always_inline	inline __attribute__((__always_inline__))
/* Not exported from a shared object, so code in it reaches it without a GOT. */
#define kslab_hidden		__attribute__((__visibility__("hidden")))
/* The caller's address, for the alloc and free tracks of debugged caches. */
#define KSLAB_RET_IP		((unsigned long)__builtin_return_address(0))
/*
 * What an entry point passes as its caller to a fast path whose slow half
 * it reaches by a tail call: 0, the slow half's own return address then
 * being the entry's caller, at no cost to the fast path. ThreadSanitizer
 * instruments every function's exit, so its builds make no tail calls:
 * there the entry names its caller itself, as the allocation profile
 * (mm/profile.c) must be told who allocated.
 */
#ifdef __SANITIZE_THREAD__
#define KSLAB_TAIL_CALLER	KSLAB_RET_IP
#else
#define KSLAB_TAIL_CALLER	0UL
#endif

/*
 * Hardening (Documentation/debugging.rst): shuffled slabs, keyed free
 * lists, the double-free check on every push. On unless a build says
 * -DKSLAB_HARDENING=0, which exists to measure what it costs.
 */
#ifndef KSLAB_HARDENING
#define KSLAB_HARDENING		1
#endif

#endif /* KSLAB_COMPILER_H */
