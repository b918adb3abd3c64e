/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace only: the C library's allocation functions over kmalloc, with
 * their exact contracts (errno, alignment, realloc and size-0 rules).
 * build/libkslab-malloc.so exports them under the C library's names
 * (malloc, free, ...) for LD_PRELOAD or linking; programs that want both
 * allocators call them by these names. Documentation/kmalloc.rst describes
 * them and the environment variables they read.
 */
#ifndef KSLAB_MALLOC_H
#define KSLAB_MALLOC_H

#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/* Every pointer returned is aligned to this at least. */
#define KSLAB_MALLOC_ALIGN	16

/**
 * kslab_malloc() - malloc(3)
 * @size: bytes wanted; 0 gives a unique pointer to 16 usable bytes
 *
 * Return: the memory, or NULL with errno ENOMEM.
 */
KSLAB_USER_API
void *kslab_malloc(size_t size);

/**
 * kslab_free() - free(3)
 * @p: memory from these functions, or NULL (nothing happens)
 *
 * A pointer that is no allocation is reported and ignored. Every few
 * thousand frees also reaps idle memory if KSLAB_MALLOC_REAP_MS passed.
 */
KSLAB_USER_API
void kslab_free(void *p);

/**
 * kslab_free_sized() - C23's free_sized(): free(3) told the size
 * @p:    memory from kslab_malloc(), kslab_calloc() or kslab_realloc(),
 *        or NULL
 * @size: the size it was asked for with
 *
 * A @size the block could not have been given for is reported as heap
 * corruption (type confusion, a wrong length), then @p is freed.
 */
KSLAB_USER_API
void kslab_free_sized(void *p, size_t size);

/**
 * kslab_free_aligned_sized() - C23's free_aligned_sized()
 * @p:     memory from kslab_aligned_alloc(), or NULL
 * @align: the alignment it was asked for with
 * @size:  the size it was asked for with
 *
 * As kslab_free_sized(), and @p must be aligned to @align.
 */
KSLAB_USER_API
void kslab_free_aligned_sized(void *p, size_t align, size_t size);

/**
 * kslab_calloc() - calloc(3)
 * @n:    elements
 * @size: bytes each
 *
 * Return: zeroed memory, or NULL with errno ENOMEM (also if @n * @size
 * overflows).
 */
KSLAB_USER_API
void *kslab_calloc(size_t n, size_t size);

/**
 * kslab_realloc() - realloc(3), as glibc's
 * @p:    memory from these functions, or NULL (then it is kslab_malloc())
 * @size: the new size; 0 frees @p and returns NULL
 *
 * Return: the memory, moved or not, or NULL with errno ENOMEM and @p kept.
 */
KSLAB_USER_API
void *kslab_realloc(void *p, size_t size);

/**
 * kslab_reallocarray() - reallocarray(3)
 * @p:    as for kslab_realloc()
 * @n:    elements
 * @size: bytes each
 *
 * Return: as kslab_realloc(); NULL with errno ENOMEM if @n * @size overflows.
 */
KSLAB_USER_API
void *kslab_reallocarray(void *p, size_t n, size_t size);

/**
 * kslab_posix_memalign() - posix_memalign(3)
 * @p:     receives the memory
 * @align: a power of two, a multiple of sizeof(void *)
 * @size:  bytes wanted
 *
 * Return: 0, EINVAL for a bad @align, or ENOMEM; errno is left alone.
 */
KSLAB_USER_API
int kslab_posix_memalign(void **p, size_t align, size_t size);

/**
 * kslab_aligned_alloc() - aligned_alloc(3)
 * @align: a power of two
 * @size:  bytes wanted
 *
 * Return: the memory, or NULL with errno EINVAL (bad @align) or ENOMEM.
 */
KSLAB_USER_API
void *kslab_aligned_alloc(size_t align, size_t size);

/**
 * kslab_memalign() - memalign(3), as glibc's
 * @align: rounded up to a power of two if it is not one
 * @size:  bytes wanted
 *
 * Return: the memory, or NULL with errno EINVAL (@align too large to round
 * up) or ENOMEM.
 */
KSLAB_USER_API
void *kslab_memalign(size_t align, size_t size);

/**
 * kslab_valloc() - valloc(3): page-aligned memory
 * @size: bytes wanted
 *
 * Return: as kslab_memalign().
 */
KSLAB_USER_API
void *kslab_valloc(size_t size);

/**
 * kslab_pvalloc() - pvalloc(3): page-aligned, the size rounded up to pages
 * @size: bytes wanted; 0 gives one page
 *
 * Return: as kslab_memalign().
 */
KSLAB_USER_API
void *kslab_pvalloc(size_t size);

/**
 * kslab_malloc_usable_size() - malloc_usable_size(3)
 * @p: memory from these functions, or NULL
 *
 * Return: the bytes usable at @p (its size class), 0 for NULL.
 */
KSLAB_USER_API
size_t kslab_malloc_usable_size(void *p);

/**
 * kslab_malloc_trim() - malloc_trim(3): give memory back now
 * @pad: ignored: kslab gives back chunks and blocks, not a heap's top
 *
 * kslab_shrink_all(), then the free blocks of chunks still in use
 * discarded (kslab_zone_discard_free()), so resident memory falls to what
 * is allocated. Return: 1 if any memory went back, else 0.
 */
KSLAB_USER_API
int kslab_malloc_trim(size_t pad);

/**
 * kslab_malloc_stats_format() - malloc_stats(3)'s text
 * @buf:  where it goes, NUL-terminated if @size allows
 * @size: bytes at @buf
 *
 * glibc's lines: arena 0 is kslab's zone, the mmapped part kmalloc's
 * large allocations (kslab_memory_stats()).
 * Return: the length of the whole text, as snprintf() counts.
 */
KSLAB_USER_API
size_t kslab_malloc_stats_format(char *buf, size_t size);

/**
 * kslab_malloc_info_format() - malloc_info(3)'s XML, in glibc's shape
 * @buf:  where it goes, NUL-terminated if @size allows
 * @size: bytes at @buf
 *
 * One heap; its sizes are kmalloc's classes with the free blocks of each.
 * Return: the length of the whole text, as snprintf() counts.
 */
KSLAB_USER_API
size_t kslab_malloc_info_format(char *buf, size_t size);

KSLAB_END_DECLS

#endif /* KSLAB_MALLOC_H */
