// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel code of 6.1 on userspace kslab (suite compat): this file
 * includes the kernel's <linux/slab.h> and <linux/gfp.h>, found in
 * include/kslab/ (the Makefile adds -Iinclude/kslab for this folder), and
 * uses only the kernel's names as 6.1 had them: kmem_cache_create(name,
 * size, align, flags, ctor)/alloc/zalloc/free/shrink/destroy, kmalloc,
 * kzalloc, kcalloc, kmalloc_array, krealloc, ksize, kfree and kfree_rcu.
 * struct rcu_head is liburcu's, as in the kernel's own userspace test
 * harnesses. The folder's other files hold the code of 6.12 to 6.18 and
 * after (compat_new.c), the kernel's own flag headers (compat_types.c)
 * and threads registered with liburcu (compat_urcu.c). Also main().
 */
#include <string.h>
#include <urcu/call-rcu.h>

#include <linux/gfp.h>
#include <linux/slab.h>

#include "compat_tests.h"

#define MAGIC	0x6b6d656dUL

struct inode_like {
	unsigned long magic;
	unsigned long ino;
	struct rcu_head rcu;
};

static void inode_ctor(void *p)
{
	((struct inode_like *)p)->magic = MAGIC;
}

static void test_kmem_cache(struct ktap_test *t)
{
	struct kmem_cache *cache;
	struct inode_like *objs[100], *zeroed;
	unsigned int i, unconstructed = 0, misaligned = 0;

	cache = kmem_cache_create("compat_inode", sizeof(struct inode_like), 64,
				  SLAB_HWCACHE_ALIGN, inode_ctor);
	KTAP_ASSERT(t, cache != NULL);
	for (i = 0; i < 100; i++) {
		objs[i] = kmem_cache_alloc(cache, GFP_KERNEL);
		if (!KTAP_EXPECT(t, objs[i] != NULL))
			return;
		unconstructed += objs[i]->magic != MAGIC;
		misaligned += (unsigned long)objs[i] % 64 != 0;
		objs[i]->ino = i;
	}
	KTAP_EXPECT_EQ(t, unconstructed, 0);
	KTAP_EXPECT_EQ(t, misaligned, 0);
	zeroed = kmem_cache_zalloc(cache, GFP_KERNEL);
	KTAP_EXPECT(t, zeroed && !zeroed->magic && !zeroed->ino);
	kmem_cache_free(cache, zeroed);
	for (i = 0; i < 100; i++)
		kmem_cache_free(cache, objs[i]);
	KTAP_EXPECT(t, kmem_cache_shrink(cache) >= 0);
	kmem_cache_destroy(cache);
}

static void test_kmalloc_family(struct ktap_test *t)
{
	char *p = kmalloc(100, GFP_KERNEL), *q;
	unsigned long *z = kzalloc(64, GFP_KERNEL);
	unsigned int *a = kcalloc(16, sizeof(unsigned int), GFP_ATOMIC);

	KTAP_EXPECT(t, p && z && a);
	KTAP_EXPECT(t, ksize(p) >= 100);
	KTAP_EXPECT(t, z && !z[0] && !z[7]);
	KTAP_EXPECT(t, a && !a[0] && !a[15]);
	if (p) {
		p[0] = 'k';
		p[99] = 'm';
	}
	q = krealloc(p, 5000, GFP_KERNEL);
	KTAP_EXPECT(t, q && q[0] == 'k' && q[99] == 'm' && ksize(q) >= 5000);
	KTAP_EXPECT(t, kmalloc_array((size_t)-1 / 2, 4, GFP_KERNEL) == NULL);
	KTAP_EXPECT(t, kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	kfree(q);
	kfree(z);
	kfree(a);
	kfree(NULL);
	kfree(ZERO_SIZE_PTR);
}

/* kfree_rcu(ptr, field) and kfree_rcu(ptr): free after a grace period. */
static void test_kfree_rcu(struct ktap_test *t)
{
	struct inode_like *one = kmalloc(sizeof(*one), GFP_KERNEL);
	char *two = kmalloc(32, GFP_KERNEL);
	struct kslab_rcu_stats before;

	KTAP_ASSERT(t, one && two);
	kslab_rcu_stats(&before);
	kfree_rcu(one, rcu);
	kfree_rcu(two);
	expect_rcu_frees(t, &before, 2);
}

void expect_rcu_frees(struct ktap_test *t, const struct kslab_rcu_stats *before,
		      unsigned long n)
{
	struct kslab_rcu_stats after;

	kslab_rcu_stats(&after);
	KTAP_EXPECT_EQ(t, after.queued, before->queued + n);
	kslab_rcu_flush();
	kslab_rcu_barrier();
	kslab_rcu_stats(&after);
	KTAP_EXPECT_EQ(t, after.pending, 0);
}

static const struct ktap_case compat_cases[] = {
	{ "kmem_cache", test_kmem_cache },
	{ "kmalloc_family", test_kmalloc_family },
	{ "kfree_rcu", test_kfree_rcu },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		KTAP_SUITE("compat", compat_cases),
		compat_new_suite,
		compat_types_suite,
		compat_urcu_suite,
	};

	if (argc > 1 && !strcmp(argv[1], COMPAT_URCU_ARG))
		return compat_urcu_child();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
