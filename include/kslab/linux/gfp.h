/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's <linux/gfp.h> for code ported from the kernel to userspace
 * kslab: compile with -I<kslab>/include/kslab (and -I<kslab>/include).
 * The flags and gfp_t are <kslab/gfp.h>'s, which has the kernel's names
 * and values; this adds what <linux/gfp.h> itself declares and kernel
 * code asks of a mask. Never seen by the kernel build, whose include
 * path does not have include/kslab.
 */
#ifndef KSLAB_COMPAT_LINUX_GFP_H
#define KSLAB_COMPAT_LINUX_GFP_H

#include <stdbool.h>

#include <kslab/gfp.h>

/* May an allocation with @gfp sleep? */
static inline bool gfpflags_allow_blocking(const gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

#endif /* KSLAB_COMPAT_LINUX_GFP_H */
