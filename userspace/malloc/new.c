// SPDX-License-Identifier: GPL-2.0
/*
 * C++'s operator new and delete, every standard form, for the drop-in
 * malloc: a C++ program preloaded with, or linked to, libkslab-malloc
 * allocates through kslab, and its sized and aligned deletes reach kslab
 * with the size and alignment, which are checked against the block
 * (kslab_free_sized(), kslab_free_aligned_sized()): a mismatch is heap
 * corruption, reported.
 *
 * Written in C under the names the Itanium C++ ABI gives them, so that
 * the library needs no C++ runtime: a C++ program brings libstdc++, whose
 * std::get_new_handler() and bad_alloc the throwing forms use through
 * weak references. Built with -fexceptions, so an exception a new-handler
 * throws passes through. The nothrow forms return NULL on failure without
 * calling the new-handler.
 */
#include <stdbool.h>
#include <stdlib.h>

#include <kslab/malloc.h>

/* libstdc++: std::get_new_handler() and std::__throw_bad_alloc(). */
typedef void (*new_handler)(void);
new_handler _ZSt15get_new_handlerv(void) __attribute__((weak));
void _ZSt17__throw_bad_allocv(void) __attribute__((weak, noreturn));

/* @align: 0 for the plain forms, else std::align_val_t's value. */
static void *allocate(size_t size, size_t align)
{
	return align > KSLAB_MALLOC_ALIGN ? kslab_memalign(align, size) :
					    kslab_malloc(size);
}

/* The throwing forms: ask the new-handler until it gives up, then throw. */
static void *new_throwing(size_t size, size_t align)
{
	new_handler handler;
	void *p;

	while (!(p = allocate(size, align))) {
		handler = _ZSt15get_new_handlerv ? _ZSt15get_new_handlerv() : NULL;
		if (!handler) {
			if (_ZSt17__throw_bad_allocv)
				_ZSt17__throw_bad_allocv();
			abort();
		}
		handler();
	}
	return p;
}

/* The declarations the definitions below want; nobody else calls them. */
void *_Znwm(size_t size);
void *_Znam(size_t size);
void *_ZnwmRKSt9nothrow_t(size_t size, const void *nothrow);
void *_ZnamRKSt9nothrow_t(size_t size, const void *nothrow);
void *_ZnwmSt11align_val_t(size_t size, size_t align);
void *_ZnamSt11align_val_t(size_t size, size_t align);
void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t size, size_t align,
					 const void *nothrow);
void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t size, size_t align,
					 const void *nothrow);
void _ZdlPv(void *p);
void _ZdaPv(void *p);
void _ZdlPvm(void *p, size_t size);
void _ZdaPvm(void *p, size_t size);
void _ZdlPvSt11align_val_t(void *p, size_t align);
void _ZdaPvSt11align_val_t(void *p, size_t align);
void _ZdlPvmSt11align_val_t(void *p, size_t size, size_t align);
void _ZdaPvmSt11align_val_t(void *p, size_t size, size_t align);
void _ZdlPvRKSt9nothrow_t(void *p, const void *nothrow);
void _ZdaPvRKSt9nothrow_t(void *p, const void *nothrow);
void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t align,
					 const void *nothrow);
void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t align,
					 const void *nothrow);

/* operator new(size_t) and new[](size_t) */
void *_Znwm(size_t size)
{
	return new_throwing(size, 0);
}

void *_Znam(size_t size)
{
	return new_throwing(size, 0);
}

/* operator new(size_t, const std::nothrow_t &), and new[] */
void *_ZnwmRKSt9nothrow_t(size_t size, const void *nothrow)
{
	(void)nothrow;
	return allocate(size, 0);
}

void *_ZnamRKSt9nothrow_t(size_t size, const void *nothrow)
{
	(void)nothrow;
	return allocate(size, 0);
}

/* operator new(size_t, std::align_val_t), and new[] */
void *_ZnwmSt11align_val_t(size_t size, size_t align)
{
	return new_throwing(size, align);
}

void *_ZnamSt11align_val_t(size_t size, size_t align)
{
	return new_throwing(size, align);
}

/* operator new(size_t, std::align_val_t, const std::nothrow_t &), new[] */
void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t size, size_t align,
					 const void *nothrow)
{
	(void)nothrow;
	return allocate(size, align);
}

void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t size, size_t align,
					 const void *nothrow)
{
	(void)nothrow;
	return allocate(size, align);
}

/* operator delete(void *) and delete[](void *) */
void _ZdlPv(void *p)
{
	kslab_free(p);
}

void _ZdaPv(void *p)
{
	kslab_free(p);
}

/* operator delete(void *, size_t), and delete[]: the size checked */
void _ZdlPvm(void *p, size_t size)
{
	kslab_free_sized(p, size);
}

void _ZdaPvm(void *p, size_t size)
{
	kslab_free_sized(p, size);
}

/* operator delete(void *, std::align_val_t), and delete[]: the alignment */
void _ZdlPvSt11align_val_t(void *p, size_t align)
{
	kslab_free_aligned_sized(p, align, 0);
}

void _ZdaPvSt11align_val_t(void *p, size_t align)
{
	kslab_free_aligned_sized(p, align, 0);
}

/* operator delete(void *, size_t, std::align_val_t), and delete[] */
void _ZdlPvmSt11align_val_t(void *p, size_t size, size_t align)
{
	kslab_free_aligned_sized(p, align, size);
}

void _ZdaPvmSt11align_val_t(void *p, size_t size, size_t align)
{
	kslab_free_aligned_sized(p, align, size);
}

/* operator delete(void *, const std::nothrow_t &), and delete[] */
void _ZdlPvRKSt9nothrow_t(void *p, const void *nothrow)
{
	(void)nothrow;
	kslab_free(p);
}

void _ZdaPvRKSt9nothrow_t(void *p, const void *nothrow)
{
	(void)nothrow;
	kslab_free(p);
}

/* operator delete(void *, std::align_val_t, const std::nothrow_t &), [] */
void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t align,
					 const void *nothrow)
{
	(void)nothrow;
	kslab_free_aligned_sized(p, align, 0);
}

void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t align,
					 const void *nothrow)
{
	(void)nothrow;
	kslab_free_aligned_sized(p, align, 0);
}
