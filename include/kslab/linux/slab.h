/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's <linux/slab.h> over userspace kslab, for kernel code that
 * runs in userspace (a data structure's test harness, a ported library):
 * compile with -I<kslab>/include/kslab and -I<kslab>/include, link with
 * libkslab. Written against the slab API of 6.1 to 6.18 and the typed
 * allocators that followed; code of any of them builds unchanged.
 *
 *   - struct kmem_cache is struct kslab_cache, struct slab_sheaf is
 *     struct kslab_sheaf (a magazine lent whole, mm/sheaf.c);
 *   - kmem_cache_create() takes both forms: (name, size, align, flags,
 *     ctor) and 6.12's (name, size, &args, flags) or (name, size, NULL,
 *     flags), chosen by the third argument's type as the kernel does;
 *   - the SLAB_* flags are kslab's (KSLAB_CACHE_FLAGS); the ones kslab
 *     has no use for are 0, as the kernel defines those its configuration
 *     leaves out, and kslab_cache_create() refuses any other bit;
 *   - struct rcu_head is not defined here, as the kernel's is not: the
 *     kernel's comes from <linux/types.h>, a userspace program's from its
 *     RCU library (liburcu's <urcu/call-rcu.h>). kfree_rcu() needs none:
 *     kslab batches the frees itself (Documentation/rcu.rst).
 *
 * Every function is a static inline call of kslab's public API, so the
 * header adds no symbol. Never seen by the kernel build.
 */
#ifndef KSLAB_COMPAT_LINUX_SLAB_H
#define KSLAB_COMPAT_LINUX_SLAB_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/gfp.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#define kmem_cache		kslab_cache
#define slab_sheaf		kslab_sheaf
typedef unsigned int slab_flags_t;

#define SLAB_CONSISTENCY_CHECKS	KSLAB_CONSISTENCY_CHECKS
#define SLAB_RED_ZONE		KSLAB_RED_ZONE
#define SLAB_POISON		KSLAB_POISON
#define SLAB_HWCACHE_ALIGN	KSLAB_HWCACHE_ALIGN
#define SLAB_STORE_USER		KSLAB_STORE_USER
#define SLAB_PANIC		KSLAB_PANIC
#define SLAB_TYPESAFE_BY_RCU	KSLAB_TYPESAFE_BY_RCU
#define SLAB_ACCOUNT		KSLAB_ACCOUNT
#define SLAB_RECLAIM_ACCOUNT	KSLAB_RECLAIM_ACCOUNT
/* Zones, cache merging, kmemleak, KASAN, KFENCE: none here. */
#define SLAB_CACHE_DMA		0u
#define SLAB_CACHE_DMA32	0u
#define SLAB_MEM_SPREAD		0u
#define SLAB_NO_MERGE		0u
#define SLAB_NOLEAKTRACE	0u
#define SLAB_NO_USER_FLAGS	0u
#define SLAB_SKIP_KFENCE	0u
#define SLAB_DEBUG_OBJECTS	0u
#define SLAB_FAILSLAB		0u

#define ZERO_SIZE_PTR		KSLAB_ZERO_SIZE_PTR
#define ZERO_OR_NULL_PTR(p)	KSLAB_ZERO_OR_NULL_PTR(p)
#define KMALLOC_MAX_CACHE_SIZE	KSLAB_KMALLOC_MAX_CACHE_SIZE
#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE		(-1)
#endif

/* The memory-cgroup LRU kmem_cache_alloc_lru() names; unused here. */
struct list_lru;

/**
 * struct kmem_cache_args - 6.12's optional cache properties
 * @align:              object alignment; 0 for the natural one
 * @useroffset:         usercopy window: start
 * @usersize:           usercopy window: length; 0 for none
 * @freeptr_offset:     where a free object may hold the free pointer
 * @use_freeptr_offset: whether @freeptr_offset is given
 * @ctor:               constructor
 * @sheaf_capacity:     objects per per-CPU sheaf (6.18): kslab's magazine
 *                      size, at most KSLAB_MAGAZINE_MAX; 0 to choose
 */
struct kmem_cache_args {
	unsigned int align;
	unsigned int useroffset;
	unsigned int usersize;
	unsigned int freeptr_offset;
	bool use_freeptr_offset;
	void (*ctor)(void *obj);
	unsigned int sheaf_capacity;
};

static inline struct kmem_cache *
__kmem_cache_create_args(const char *name, unsigned int size,
			 struct kmem_cache_args *args, slab_flags_t flags)
{
	struct kslab_cache_args a = { 0, 0, 0, 0, 0, 0, 0, false };

	if (args) {
		a.align = args->align;
		a.ctor = args->ctor;
		a.magazine_size = args->sheaf_capacity < KSLAB_MAGAZINE_MAX ?
				  args->sheaf_capacity : KSLAB_MAGAZINE_MAX;
		a.useroffset = args->useroffset;
		a.usersize = args->usersize;
		a.freeptr_offset = args->freeptr_offset;
		a.use_freeptr_offset = args->use_freeptr_offset;
	}
	return kslab_cache_create(name, size, &a, flags);
}

static inline struct kmem_cache *
kmem_cache_create_usercopy(const char *name, unsigned int size,
			   unsigned int align, slab_flags_t flags,
			   unsigned int useroffset, unsigned int usersize,
			   void (*ctor)(void *))
{
	struct kmem_cache_args args = { align, useroffset, usersize, 0, false,
					ctor, 0 };

	return __kmem_cache_create_args(name, size, &args, flags);
}

/* (name, size, align, flags, ctor): the form of 6.1 to 6.11. */
static inline struct kmem_cache *
__kmem_cache_create(const char *name, unsigned int size, unsigned int align,
		    slab_flags_t flags, void (*ctor)(void *))
{
	return kmem_cache_create_usercopy(name, size, align, flags, 0, 0, ctor);
}

#ifdef __cplusplus
static inline struct kmem_cache *
kmem_cache_create(const char *name, unsigned int size,
		  struct kmem_cache_args *args, slab_flags_t flags)
{
	return __kmem_cache_create_args(name, size, args, flags);
}

static inline struct kmem_cache *
kmem_cache_create(const char *name, unsigned int size, unsigned int align,
		  slab_flags_t flags, void (*ctor)(void *))
{
	return __kmem_cache_create(name, size, align, flags, ctor);
}
#else
#define kmem_cache_create(name, size, args, ...)			\
	_Generic((args),						\
		 struct kmem_cache_args *: __kmem_cache_create_args,	\
		 void *: __kmem_cache_create_args,	/* NULL */	\
		 default: __kmem_cache_create)((name), (size), (args), __VA_ARGS__)
#endif

#define KMEM_CACHE(type, flags)						\
	__kmem_cache_create(#type, sizeof(struct type),			\
			    __alignof__(struct type), (flags), NULL)

#define KMEM_CACHE_USERCOPY(type, flags, field)				\
	kmem_cache_create_usercopy(#type, sizeof(struct type),		\
				   __alignof__(struct type), (flags),	\
				   offsetof(struct type, field),		\
				   sizeof(((struct type *)0)->field), NULL)

static inline void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp)
{
	return kslab_cache_alloc(cache, gfp);
}

static inline void *kmem_cache_alloc_lru(struct kmem_cache *cache,
					 struct list_lru *lru, gfp_t gfp)
{
	(void)lru;
	return kslab_cache_alloc(cache, gfp);
}

static inline void *kmem_cache_alloc_node(struct kmem_cache *cache, gfp_t gfp,
					  int node)
{
	return kslab_cache_alloc_node(cache, gfp, node);
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
	if (cache)
		kslab_cache_destroy(cache);
}

static inline int kmem_cache_shrink(struct kmem_cache *cache)
{
	return kslab_cache_shrink(cache);
}

static inline unsigned int kmem_cache_size(struct kmem_cache *cache)
{
	return kslab_cache_size(cache);
}

/* All or nothing, as kslab's: @size, or 0 with nothing allocated. */
static inline int kmem_cache_alloc_bulk(struct kmem_cache *cache, gfp_t gfp,
					size_t size, void **p)
{
	return kslab_cache_alloc_bulk(cache, gfp, size, p);
}

/* A NULL @cache frees kmalloc blocks, as kfree_bulk() does. */
static inline void kmem_cache_free_bulk(struct kmem_cache *cache, size_t size,
					void **p)
{
	size_t i;

	if (cache) {
		kslab_cache_free_bulk(cache, size, p);
		return;
	}
	for (i = 0; i < size; i++)
		kslab_kfree(p[i]);
}

static inline void kfree_bulk(size_t size, void **p)
{
	kmem_cache_free_bulk(NULL, size, p);
}

/* 6.18's sheaves, which are kslab's magazines lent whole. */
static inline struct slab_sheaf *
kmem_cache_prefill_sheaf(struct kmem_cache *cache, gfp_t gfp,
			 unsigned int size)
{
	return kslab_sheaf_prefill(cache, gfp, size);
}

/* Return: 0, or -ENOMEM (Linux's 12, without <errno.h>). */
static inline int kmem_cache_refill_sheaf(struct kmem_cache *cache, gfp_t gfp,
					  struct slab_sheaf **sheafp,
					  unsigned int size)
{
	return kslab_sheaf_refill(cache, gfp, sheafp, size) ? -12 : 0;
}

static inline void *kmem_cache_alloc_from_sheaf(struct kmem_cache *cache,
						gfp_t gfp,
						struct slab_sheaf *sheaf)
{
	return kslab_sheaf_alloc(cache, gfp, sheaf);
}

static inline void kmem_cache_return_sheaf(struct kmem_cache *cache,
					   gfp_t gfp, struct slab_sheaf *sheaf)
{
	kslab_sheaf_return(cache, gfp, sheaf);
}

static inline unsigned int kmem_cache_sheaf_size(struct slab_sheaf *sheaf)
{
	return kslab_sheaf_size(sheaf);
}

/* ---- kmalloc and its family ---- */

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return kslab_kmalloc(size, gfp);
}

static inline void *kmalloc_node(size_t size, gfp_t gfp, int node)
{
	return kslab_kmalloc_node(size, gfp, node);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kslab_kzalloc(size, gfp);
}

static inline void *kzalloc_node(size_t size, gfp_t gfp, int node)
{
	return kslab_kmalloc_node(size, gfp | __GFP_ZERO, node);
}

/* NULL if @n * @size overflows. */
static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kslab_kmalloc(bytes, gfp);
}

static inline void *kmalloc_array_node(size_t n, size_t size, gfp_t gfp,
				       int node)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kslab_kmalloc_node(bytes, gfp, node);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kslab_kcalloc(n, size, gfp);
}

static inline void *kcalloc_node(size_t n, size_t size, gfp_t gfp, int node)
{
	return kmalloc_array_node(n, size, gfp | __GFP_ZERO, node);
}

static inline void *krealloc(const void *p, size_t size, gfp_t gfp)
{
	return kslab_krealloc((void *)p, size, gfp);
}

static inline void *krealloc_array(void *p, size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kslab_krealloc(p, bytes, gfp);
}

static inline void kfree(const void *p)
{
	kslab_kfree(p);
}

static inline size_t ksize(const void *p)
{
	return kslab_ksize(p);
}

/* Zeroed to its last usable byte before it goes, where no store is elided. */
static inline void kfree_sensitive(const void *p)
{
	size_t n = ZERO_OR_NULL_PTR(p) ? 0 : kslab_ksize(p);

	if (n) {
		__builtin_memset((void *)p, 0, n);
		__asm__ __volatile__("" : : "r"(p) : "memory");
	}
	kslab_kfree(p);
}

/*
 * kvmalloc: the kernel falls back to vmalloc when contiguous pages run
 * short; kslab's kmalloc takes any size from its own pages or straight
 * from the environment, so these are kmalloc's.
 */
#define kvmalloc		kmalloc
#define kvmalloc_node		kmalloc_node
#define kvzalloc		kzalloc
#define kvmalloc_array		kmalloc_array
#define kvcalloc		kcalloc

/* 6.12's kvrealloc(p, size, gfp) and 6.1's kvrealloc(p, oldsize, size, gfp). */
static inline void *__kvrealloc(const void *p, size_t size, gfp_t gfp)
{
	return kslab_krealloc((void *)p, size, gfp);
}

static inline void *__kvrealloc_sized(const void *p, size_t oldsize,
				      size_t size, gfp_t gfp)
{
	(void)oldsize;	/* kslab knows the block's size */
	return kslab_krealloc((void *)p, size, gfp);
}

#define __kslab_fifth(a, b, c, d, e, ...)	e
#define kvrealloc(...)							\
	__kslab_fifth(__VA_ARGS__, __kvrealloc_sized, __kvrealloc, 0)(__VA_ARGS__)

#define kvfree			kfree

static inline void kvfree_sensitive(const void *p, size_t len)
{
	(void)len;
	kfree_sensitive(p);
}

static inline void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = kslab_kmalloc(len, gfp);

	if (p && len)
		__builtin_memcpy(p, src, len);
	return p;
}

static inline void *kmemdup_array(const void *src, size_t count,
				  size_t element_size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(count, element_size, &bytes))
		return NULL;
	return kmemdup(src, bytes, gfp);
}

/* @len bytes of @s and a NUL after them. */
static inline char *kmemdup_nul(const char *s, size_t len, gfp_t gfp)
{
	char *p;

	if (!s || len + 1 == 0)
		return NULL;
	p = (char *)kslab_kmalloc(len + 1, gfp);
	if (p) {
		__builtin_memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static inline char *kstrdup(const char *s, gfp_t gfp)
{
	return s ? kmemdup_nul(s, __builtin_strlen(s), gfp) : NULL;
}

static inline char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	size_t len = 0;

	if (!s)
		return NULL;
	while (len < max && s[len])
		len++;
	return kmemdup_nul(s, len, gfp);
}

/* The kernel shares strings in its read-only data; here each is a copy. */
static inline const char *kstrdup_const(const char *s, gfp_t gfp)
{
	return kstrdup(s, gfp);
}

#define kfree_const		kfree

/*
 * kfree_rcu(ptr, field) (the field checked to exist, and unused) and
 * kfree_rcu(ptr); kvfree_rcu() likewise; the _mightsleep names of 6.2 on.
 * Freed once a grace period has passed, batched as kslab does.
 */
#define __kslab_third(a, b, c, ...)	c
#define __kslab_kfree_rcu_field(ptr, field)				\
	kslab_kfree_rcu((ptr) + 0 * sizeof((ptr)->field))
#define __kslab_kfree_rcu_one(ptr)		kslab_kfree_rcu(ptr)
#define kfree_rcu(...)							\
	__kslab_third(__VA_ARGS__, __kslab_kfree_rcu_field,		\
		      __kslab_kfree_rcu_one, 0)(__VA_ARGS__)
#define kvfree_rcu(...)			kfree_rcu(__VA_ARGS__)
#define kfree_rcu_mightsleep(ptr)	kslab_kfree_rcu(ptr)
#define kvfree_rcu_mightsleep(ptr)	kslab_kfree_rcu(ptr)

/*
 * The typed allocators that followed 6.18: kmalloc_obj(*p) returns a
 * pointer of p's type, sized by its type; kmalloc_objs(*p, n) an array,
 * NULL if n times the size overflows; kmalloc_flex(*p, fam, n) the type
 * with n elements of its flexible array member @fam. The flags are
 * optional, GFP_KERNEL if left out (a GNU C comma rule picks them).
 */
#define __kslab_second(a, b, ...)	b
#define __kslab_default_gfp(...)					\
	__kslab_second(0, ##__VA_ARGS__, GFP_KERNEL, 0)

/* Bytes of @base plus @count elements of @element: SIZE_MAX on overflow. */
static inline size_t __kslab_flex_size(size_t base, size_t element,
				       size_t count)
{
	size_t bytes;

	if (__builtin_mul_overflow(element, count, &bytes) ||
	    __builtin_add_overflow(bytes, base, &bytes))
		return (size_t)-1;
	return bytes;
}

#define __kslab_alloc_objs(alloc, type, count, gfp)			\
	((__typeof__(type) *)alloc((count), sizeof(type), (gfp)))
#define __kslab_alloc_flex(alloc, type, fam, count, gfp)		\
	((__typeof__(type) *)alloc(__kslab_flex_size(sizeof(type),	\
			sizeof(((__typeof__(type) *)0)->fam[0]), (count)), \
			(gfp)))

#define kmalloc_obj(type, ...)						\
	__kslab_alloc_objs(kmalloc_array, type, 1, __kslab_default_gfp(__VA_ARGS__))
#define kzalloc_obj(type, ...)						\
	__kslab_alloc_objs(kcalloc, type, 1, __kslab_default_gfp(__VA_ARGS__))
#define kvmalloc_obj(type, ...)		kmalloc_obj(type, ##__VA_ARGS__)
#define kvzalloc_obj(type, ...)		kzalloc_obj(type, ##__VA_ARGS__)
#define kmalloc_objs(type, count, ...)					\
	__kslab_alloc_objs(kmalloc_array, type, count,			\
			   __kslab_default_gfp(__VA_ARGS__))
#define kzalloc_objs(type, count, ...)					\
	__kslab_alloc_objs(kcalloc, type, count, __kslab_default_gfp(__VA_ARGS__))
#define kvmalloc_objs(type, count, ...)	kmalloc_objs(type, count, ##__VA_ARGS__)
#define kvzalloc_objs(type, count, ...)	kzalloc_objs(type, count, ##__VA_ARGS__)
#define kmalloc_flex(type, fam, count, ...)				\
	__kslab_alloc_flex(kmalloc, type, fam, count,			\
			   __kslab_default_gfp(__VA_ARGS__))
#define kzalloc_flex(type, fam, count, ...)				\
	__kslab_alloc_flex(kzalloc, type, fam, count,			\
			   __kslab_default_gfp(__VA_ARGS__))
#define kvmalloc_flex(type, fam, count, ...)				\
	kmalloc_flex(type, fam, count, ##__VA_ARGS__)
#define kvzalloc_flex(type, fam, count, ...)				\
	kzalloc_flex(type, fam, count, ##__VA_ARGS__)

#endif /* KSLAB_COMPAT_LINUX_SLAB_H */
