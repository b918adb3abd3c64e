/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation flags.
 *
 * Inside the kernel these are the kernel's own gfp_t and GFP_* values. In
 * userspace kslab defines them with the kernel's names and bit values (the
 * layout of 6.3 and later: bit 9, 6.1's __GFP_ATOMIC, is otherwise
 * unused), so kernel code brings its flags along unchanged and a header of
 * the kernel's that names them too agrees with these. What userspace
 * kslab reads of them:
 *
 *   __GFP_ZERO            the memory returned is zero-filled
 *   __GFP_DIRECT_RECLAIM  the caller may sleep; without it the call is
 *                         non-blocking (GFP_ATOMIC, GFP_NOWAIT), which is
 *                         what fault injection's "nonblocking" option fails
 *                         (Documentation/fault-injection.rst)
 *
 * The others are accepted and mean nothing here: userspace has one zone,
 * no reclaim and no memory cgroups. GFP_KERNEL may sleep; GFP_ATOMIC and
 * GFP_NOWAIT may not, and kslab still grows for them, never waiting on a
 * sleeping lock on the way.
 *
 * If the kernel's own gfp_types.h came first (its include guard is
 * defined), its definitions stand and these are skipped; if it comes
 * later, it finds the guard and adds nothing. The typedef of gfp_t is the
 * kernel's own, which C11 lets a program repeat.
 */
#ifndef KSLAB_GFP_H
#define KSLAB_GFP_H

#ifdef __KERNEL__
#include <linux/gfp.h>
#else
/* The kernel's own typedef is this one; its tools' copy may differ. */
#ifndef _TOOLS_LINUX_TYPES_H_
typedef unsigned int gfp_t;
#endif

#ifndef __LINUX_GFP_TYPES_H
#define __LINUX_GFP_TYPES_H

#define __GFP_DMA		0x01u
#define __GFP_HIGHMEM		0x02u
#define __GFP_DMA32		0x04u
#define __GFP_MOVABLE		0x08u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_HIGH		0x20u
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
#define __GFP_ATOMIC		0x200u	/* 6.1 and before; means nothing here */
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_WRITE		0x1000u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NOFAIL		0x8000u
#define __GFP_NORETRY		0x10000u
#define __GFP_MEMALLOC		0x20000u
#define __GFP_COMP		0x40000u
#define __GFP_NOMEMALLOC	0x80000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u
#define __GFP_ACCOUNT		0x400000u
#define __GFP_ZEROTAGS		0x800000u
/* Bits of kernel configurations userspace is not built like: none. */
#define __GFP_SKIP_ZERO		0u
#define __GFP_SKIP_KASAN	0u
#define __GFP_NOLOCKDEP		0u
#define __GFP_NO_OBJ_EXT	0u

#define __GFP_BITS_SHIFT	24
#define __GFP_BITS_MASK		((gfp_t)((1u << __GFP_BITS_SHIFT) - 1))
#define GFP_ZONEMASK		(__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | \
				 __GFP_MOVABLE)
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)

#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER		(__GFP_RECLAIM | __GFP_IO | __GFP_FS | \
				 __GFP_HARDWALL)
#define GFP_DMA			__GFP_DMA
#define GFP_DMA32		__GFP_DMA32
#define GFP_HIGHUSER		(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE	(GFP_HIGHUSER | __GFP_MOVABLE)
#endif /* __LINUX_GFP_TYPES_H */
#endif /* __KERNEL__ */

#endif /* KSLAB_GFP_H */
