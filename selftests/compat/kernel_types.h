/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kernel code brings with it when it carries the kernel's own type
 * headers into userspace: gfp_t as the kernel defines it, and the GFP
 * flags under the include guard of the kernel's gfp_types.h, with the
 * kernel's values (written here for the test, not taken from the
 * kernel). compat_types.c includes it before <linux/slab.h>.
 */
#ifndef KSLAB_SELFTESTS_KERNEL_TYPES_H
#define KSLAB_SELFTESTS_KERNEL_TYPES_H

typedef unsigned int gfp_t;

#define __LINUX_GFP_TYPES_H
#define __GFP_ZERO		((gfp_t)0x100u)
#define __GFP_DIRECT_RECLAIM	((gfp_t)0x400u)
#define __GFP_KSWAPD_RECLAIM	((gfp_t)0x800u)
#define __GFP_HIGH		((gfp_t)0x20u)
#define __GFP_IO		((gfp_t)0x40u)
#define __GFP_FS		((gfp_t)0x80u)
#define __GFP_NOWARN		((gfp_t)0x2000u)
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)

#endif /* KSLAB_SELFTESTS_KERNEL_TYPES_H */
