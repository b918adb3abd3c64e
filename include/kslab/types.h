/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every public kslab header shares: the standard types, the page
 * size kslab manages, and the marks on each public function.
 *
 * A public header includes only standard headers and other public kslab
 * headers, compiles as C11 and as C++17, and leaves kslab's structures
 * opaque. Each function it declares carries one mark, alone on the line
 * before the declaration, which says where it is exported:
 *
 *   KSLAB_API       both builds: libkslab.so and the kernel module
 *                   (EXPORT_SYMBOL_GPL in kernel/exports.c)
 *   KSLAB_USER_API  the userspace library only
 *
 * scripts/exports.sh reads the marks; the version scripts of the shared
 * objects are made from them, and the tests compare them with what the
 * libraries and the module export (Documentation/architecture.rst).
 */
#ifndef KSLAB_TYPES_H
#define KSLAB_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif
#endif

#ifdef __cplusplus
#define KSLAB_BEGIN_DECLS	extern "C" {
#define KSLAB_END_DECLS		}
#else
#define KSLAB_BEGIN_DECLS
#define KSLAB_END_DECLS
#endif

/*
 * Visible from the shared objects, whose other symbols are hidden. A
 * program built by GCC for x86-64 calls them through the GOT, not
 * through a PLT stub: one jump less on every call into libkslab.so (the
 * cache pair through the shared library lost a fifth of its time to it),
 * and where the link is static the linker makes them direct calls again.
 */
#if !defined(__KERNEL__) && defined(__GNUC__) && !defined(__clang__) && \
	defined(__x86_64__)
#define KSLAB_CALL_MARK	__attribute__((__noplt__))
#else
#define KSLAB_CALL_MARK
#endif
#define KSLAB_API	__attribute__((__visibility__("default"))) KSLAB_CALL_MARK
#define KSLAB_USER_API	__attribute__((__visibility__("default"))) KSLAB_CALL_MARK

/* Pages kslab manages are 4 KiB; buddy blocks go up to 2^KSLAB_MAX_ORDER. */
#define KSLAB_PAGE_SHIFT	12
#define KSLAB_PAGE_SIZE		(1UL << KSLAB_PAGE_SHIFT)
#ifndef KSLAB_MAX_ORDER
#define KSLAB_MAX_ORDER		10
#endif

#endif /* KSLAB_TYPES_H */
