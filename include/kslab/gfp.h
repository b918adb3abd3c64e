/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation flags.
 *
 * Inside the kernel these are the kernel's own gfp_t and GFP_* values. In
 * userspace kslab defines the subset it honours, with the same meaning:
 *
 *   GFP_KERNEL  the caller may sleep; kslab may grow from the page source.
 *   GFP_ATOMIC  the caller must not sleep; kslab still grows, but never waits
 *               on a sleeping lock on the way.
 *   __GFP_ZERO  the memory returned is zero-filled.
 */
#ifndef KSLAB_GFP_H
#define KSLAB_GFP_H

#ifdef __KERNEL__
#include <linux/gfp.h>
#else
typedef unsigned int gfp_t;

#define __GFP_ZERO	0x100u
#define __GFP_ATOMIC	0x200u
#define __GFP_DIRECT_RECLAIM 0x400u

#define GFP_KERNEL	(__GFP_DIRECT_RECLAIM)
#define GFP_ATOMIC	(__GFP_ATOMIC)

#define gfpflags_allow_blocking(gfp) (!!((gfp) & __GFP_DIRECT_RECLAIM))
#endif

#endif /* KSLAB_GFP_H */
