/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace port's marks for memory checkers (see mm/port.h and
 * Documentation/debugging.rst): which bytes a program may touch, told to
 * AddressSanitizer in a -fsanitize=address build and to valgrind's
 * memcheck in a -DKSLAB_VALGRIND build. Otherwise mm/port.h gives
 * the marks that compile to nothing. Included by userspace/port.h.
 *
 * kslab's objects are the checker's blocks: kslab_env_obj_alloc() as one
 * is handed out, kslab_env_obj_free() as it comes back. Everything else in
 * a slab (free objects, red zones, padding) stays closed, and kslab opens
 * it around its own accesses with kslab_env_mem_open()/_close().
 */
#ifndef KSLAB_USERSPACE_PORT_TOOLS_H
#define KSLAB_USERSPACE_PORT_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sys/mman.h>

#define KSLAB_ENV_MARKS_OBJECTS	1

static inline void kslab_env_obj_alloc(void *obj, size_t size, bool defined)
{
	(void)defined;
	ASAN_UNPOISON_MEMORY_REGION(obj, size);
}

static inline void kslab_env_obj_free(void *obj, size_t size)
{
	ASAN_POISON_MEMORY_REGION(obj, size);
}

static inline void kslab_env_mem_open(void *p, size_t size)
{
	ASAN_UNPOISON_MEMORY_REGION(p, size);
}

static inline void kslab_env_mem_close(void *p, size_t size)
{
	ASAN_POISON_MEMORY_REGION(p, size);
}

/* A read ASan does not check: the shadow stays as it is. */
__attribute__((__no_sanitize_address__))
static inline unsigned long kslab_env_mem_peek_word(const void *p)
{
	return *(const volatile unsigned long *)p;
}

/*
 * Memory going back to the system leaves its shadow poisoned and
 * resident: give the shadow's pages back too, which reads as all open.
 */
static inline void kslab_env_mem_forget(void *p, size_t size)
{
	size_t scale, offset;
	unsigned long first, last;

	__asan_get_shadow_mapping(&scale, &offset);
	first = KSLAB_ALIGN_UP(((unsigned long)p >> scale) + offset, 4096UL);
	last = KSLAB_ALIGN_DOWN((((unsigned long)p + size) >> scale) + offset,
				4096UL);
	if (last > first)
		madvise((void *)first, last - first, MADV_DONTNEED);
}

#elif defined(KSLAB_VALGRIND)
#include <valgrind/memcheck.h>

#define KSLAB_ENV_MARKS_OBJECTS	1

/* @defined: the object holds a constructor's work, or zeroes. */
static inline void kslab_env_obj_alloc(void *obj, size_t size, bool defined)
{
	VALGRIND_MALLOCLIKE_BLOCK(obj, size, 0, defined);
}

static inline void kslab_env_obj_free(void *obj, size_t size)
{
	(void)size;
	VALGRIND_FREELIKE_BLOCK(obj, 0);
}

static inline void kslab_env_mem_open(void *p, size_t size)
{
	VALGRIND_MAKE_MEM_DEFINED(p, size);
}

static inline void kslab_env_mem_close(void *p, size_t size)
{
	VALGRIND_MAKE_MEM_NOACCESS(p, size);
}

/*
 * Read a word whatever memcheck thinks of it, then put back what it
 * thought: no access (GET_VBITS says 3), or the definedness it had.
 */
static inline unsigned long kslab_env_mem_peek_word(const void *p)
{
	unsigned long value, vbits;
	unsigned int state;

	state = VALGRIND_GET_VBITS(p, &vbits, sizeof(value));
	VALGRIND_MAKE_MEM_DEFINED(p, sizeof(value));
	value = *(const volatile unsigned long *)p;
	if (state == 3)
		VALGRIND_MAKE_MEM_NOACCESS(p, sizeof(value));
	else if (state == 1)
		VALGRIND_SET_VBITS(p, &vbits, sizeof(value));
	return value;
}

/* Back to the system: fresh zeroes when it comes again, as memcheck says. */
static inline void kslab_env_mem_forget(void *p, size_t size)
{
	VALGRIND_MAKE_MEM_DEFINED(p, size);
}

#endif

#endif /* KSLAB_USERSPACE_PORT_TOOLS_H */
