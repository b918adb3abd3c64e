// SPDX-License-Identifier: GPL-2.0
/*
 * build/libkslab-malloc.so and .a: the C library's allocation functions,
 * under their own names, served by kslab (userspace/malloc.c has the
 * work). Preloaded (LD_PRELOAD) or linked ahead of the C library, these
 * definitions are the ones every malloc call in the process binds to,
 * the C library's own calls included.
 *
 * The shared object is linked -Bsymbolic-functions, so the forwarding
 * calls below bind to kslab_* inside it and cost one jump each.
 *
 * A process whose malloc is this one stops at heap corruption, as it
 * would with the C library's: KSLAB_ON_CORRUPTION=continue carries on
 * (kslab_malloc_option_default(), which userspace/env.c asks).
 */
#include <string.h>

#include <kslab/malloc.h>

const char *kslab_malloc_option_default(const char *name);

const char *kslab_malloc_option_default(const char *name)
{
	return strcmp(name, "KSLAB_ON_CORRUPTION") ? NULL : "abort";
}

void *malloc(size_t size)
{
	return kslab_malloc(size);
}

void free(void *p)
{
	kslab_free(p);
}

void *calloc(size_t n, size_t size)
{
	return kslab_calloc(n, size);
}

/* C23 */
void free_sized(void *p, size_t size)
{
	kslab_free_sized(p, size);
}

void free_aligned_sized(void *p, size_t align, size_t size)
{
	kslab_free_aligned_sized(p, align, size);
}

void *realloc(void *p, size_t size)
{
	return kslab_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	return kslab_reallocarray(p, n, size);
}

int posix_memalign(void **p, size_t align, size_t size)
{
	return kslab_posix_memalign(p, align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	return kslab_aligned_alloc(align, size);
}

void *memalign(size_t align, size_t size)
{
	return kslab_memalign(align, size);
}

void *valloc(size_t size)
{
	return kslab_valloc(size);
}

void *pvalloc(size_t size)
{
	return kslab_pvalloc(size);
}

size_t malloc_usable_size(void *p)
{
	return kslab_malloc_usable_size(p);
}
