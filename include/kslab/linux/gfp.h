/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's <linux/gfp.h> names for code ported from the kernel to
 * userspace kslab: compile with -I<kslab>/include/kslab (and
 * -I<kslab>/include). GFP_KERNEL, GFP_ATOMIC and __GFP_ZERO come from
 * <kslab/gfp.h> under the same names; GFP_NOWAIT is an allocation that
 * may neither sleep nor dip into reserves. Never seen by the kernel build,
 * whose include path does not have include/kslab.
 */
#ifndef KSLAB_COMPAT_LINUX_GFP_H
#define KSLAB_COMPAT_LINUX_GFP_H

#include <kslab/gfp.h>

#define GFP_NOWAIT	0u

#endif /* KSLAB_COMPAT_LINUX_GFP_H */
