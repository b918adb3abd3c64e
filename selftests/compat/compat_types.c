// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel code that brings the kernel's own type headers (suite
 * compat_types): kernel_types.h, with the kernel's gfp_t and GFP flags,
 * comes before <linux/slab.h>. kslab's headers take the kernel's flags as
 * they find them, with no clash, and kslab reads their bits as the
 * kernel means them: __GFP_ZERO zeroes, a mask without
 * __GFP_DIRECT_RECLAIM is one that may not sleep.
 */
#include "kernel_types.h"

#include <linux/gfp.h>
#include <linux/slab.h>
#include <kslab/fault.h>

#include "compat_tests.h"

static void test_kernel_flags_read_as_meant(struct ktap_test *t)
{
	unsigned char *zeroed;
	void *p;
	unsigned int i, nonzero = 0;

	p = kmalloc(300, GFP_KERNEL);
	KTAP_ASSERT(t, p != NULL);
	kslab_memset(p, 0xff, 300);
	kfree(p);
	zeroed = kmalloc(300, GFP_KERNEL | __GFP_ZERO);
	KTAP_ASSERT(t, zeroed != NULL);
	for (i = 0; i < 300; i++)
		nonzero += zeroed[i] != 0;
	KTAP_EXPECT_EQ(t, nonzero, 0);
	kfree(zeroed);

	KTAP_EXPECT(t, gfpflags_allow_blocking(GFP_KERNEL));
	KTAP_EXPECT(t, !gfpflags_allow_blocking(GFP_NOWAIT));
	KTAP_ASSERT(t, kslab_fault_configure("kmalloc:every=1,nonblocking") == 0);
	p = kmalloc(64, GFP_KERNEL);
	KTAP_EXPECT(t, p != NULL);
	KTAP_EXPECT(t, kmalloc(64, GFP_NOWAIT) == NULL);
	KTAP_EXPECT(t, kmalloc(64, GFP_ATOMIC) == NULL);
	KTAP_ASSERT(t, kslab_fault_configure("") == 0);
	kfree(p);
}

static const struct ktap_case compat_types_cases[] = {
	{ "kernel_flags_read_as_meant", test_kernel_flags_read_as_meant },
};

const struct ktap_suite compat_types_suite =
	KTAP_SUITE("compat_types", compat_types_cases);
