/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's <linux/slab.h> names over userspace kslab, for code ported
 * from the kernel (the way the kernel's own userspace test harnesses shim
 * them): compile with -I<kslab>/include/kslab and -I<kslab>/include, link
 * with libkslab. struct kmem_cache is struct kslab_cache, the flags are
 * kslab's, and each function is kslab's under the kernel's name and
 * argument order. Never seen by the kernel build.
 */
#ifndef KSLAB_COMPAT_LINUX_SLAB_H
#define KSLAB_COMPAT_LINUX_SLAB_H

#include <linux/gfp.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#define kmem_cache		kslab_cache
typedef unsigned long slab_flags_t;

#define SLAB_HWCACHE_ALIGN	KSLAB_HWCACHE_ALIGN
#define SLAB_PANIC		KSLAB_PANIC
#define SLAB_POISON		KSLAB_POISON
#define SLAB_RED_ZONE		KSLAB_RED_ZONE
#define SLAB_STORE_USER		KSLAB_STORE_USER
#define SLAB_CONSISTENCY_CHECKS	KSLAB_CONSISTENCY_CHECKS
#define SLAB_TYPESAFE_BY_RCU	KSLAB_TYPESAFE_BY_RCU

/* What kfree_rcu()'s second argument names in the kernel; unused here. */
struct rcu_head {
	void *next;
	void (*func)(struct rcu_head *head);
};

static inline struct kmem_cache *kmem_cache_create(const char *name,
						   unsigned int size,
						   unsigned int align,
						   slab_flags_t flags,
						   void (*ctor)(void *))
{
	/* Positional: C++17 has no designated initializers. */
	struct kslab_cache_args args = { align, ctor, 0, 0 };

	return kslab_cache_create(name, size, &args, flags);
}

static inline void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp)
{
	return kslab_cache_alloc(cache, gfp);
}

static inline void *kmem_cache_zalloc(struct kmem_cache *cache, gfp_t gfp)
{
	return kslab_cache_alloc(cache, gfp | __GFP_ZERO);
}

static inline void kmem_cache_free(struct kmem_cache *cache, void *obj)
{
	kslab_cache_free(cache, obj);
}

static inline void kmem_cache_destroy(struct kmem_cache *cache)
{
	kslab_cache_destroy(cache);
}

static inline int kmem_cache_shrink(struct kmem_cache *cache)
{
	return kslab_cache_shrink(cache);
}

#define ZERO_SIZE_PTR		KSLAB_ZERO_SIZE_PTR
#define ZERO_OR_NULL_PTR(p)	KSLAB_ZERO_OR_NULL_PTR(p)

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return kslab_kmalloc(size, gfp);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kslab_kzalloc(size, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kslab_kcalloc(n, size, gfp);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kslab_kmalloc(bytes, gfp);
}

static inline void *krealloc(const void *p, size_t size, gfp_t gfp)
{
	return kslab_krealloc((void *)p, size, gfp);
}

static inline void kfree(const void *p)
{
	kslab_kfree(p);
}

static inline size_t ksize(const void *p)
{
	return kslab_ksize(p);
}

/*
 * kfree_rcu(ptr, field) and kfree_rcu(ptr): freed once a grace period has
 * passed, batched as kslab does (Documentation/rcu.rst); the rcu_head
 * field is not needed for that.
 */
#define kfree_rcu(ptr, ...)	kslab_kfree_rcu(ptr)

#endif /* KSLAB_COMPAT_LINUX_SLAB_H */
