// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace: the C library's allocation functions over kmalloc (see
 * <kslab/malloc.h>); userspace/malloc/preload.c gives them the C
 * library's names.
 *
 * Sizes are rounded up to 16 bytes, so every class used is a multiple of
 * 16 and 16-aligned. Memory goes back to the system on the way: every
 * MALLOC_TICK_FREES frees a thread looks at the clock, and once
 * KSLAB_MALLOC_REAP_MS have passed since the last reap one thread reaps
 * every cache and discards the free chunks the zone keeps. No thread of
 * our own: a helper thread would change what programs see.
 *
 * Start-up: the first call makes the size classes and reads the
 * environment. Should anything it calls allocate (the C library may,
 * under it), that nested call is served from a small static buffer that
 * is never freed, so the set-up never recurses into itself.
 *
 * Owns the set-up flag, the bootstrap buffer and the reap clock. No lock
 * but reap_busy, which one reaping thread holds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <kslab/buddy.h>
#include <kslab/malloc.h>
#include <kslab/report.h>

#include "../mm/kmalloc.h"

/*
 * The hardened malloc (build/libkslab-malloc-hardened.so: this file built
 * with -DKSLAB_MALLOC_HARDENED): the last word of every class block is a
 * canary, its address XORed with a secret drawn at set-up, checked when
 * the block is freed, where an overflow into it is reported as heap
 * corruption; and a freed block is zeroed, so what it held cannot be
 * read after the free. Blocks beyond the classes (over 32 KiB) have
 * neither. In the default build MALLOC_CANARY is 0 and none of it exists.
 */
#ifdef KSLAB_MALLOC_HARDENED
#define MALLOC_CANARY		sizeof(unsigned long)
#else
#define MALLOC_CANARY		0UL
#endif

/* Frees between two looks at the clock, per thread. */
#define MALLOC_TICK_FREES	1024
#define REAP_MS_DEFAULT		1000UL
#define REAP_MS_MAX		(24UL * 3600 * 1000)
#define BOOTSTRAP_BYTES		(64UL << 10)

static bool malloc_ready;
static __thread bool setting_up __attribute__((tls_model("initial-exec")));
static __thread int free_countdown __attribute__((tls_model("initial-exec")));
static unsigned long reap_ms = REAP_MS_DEFAULT;
static unsigned long last_reap_ms;
static int reap_busy;

static unsigned long canary_secret;

static _Alignas(KSLAB_MALLOC_ALIGN) unsigned char bootstrap[BOOTSTRAP_BYTES]
	kslab_env_table;
static unsigned long bootstrap_used;

static bool in_bootstrap(const void *p)
{
	return (uintptr_t)p - (uintptr_t)bootstrap < sizeof(bootstrap);
}

/* The usable size of a bootstrap block sits in the 16 bytes before it. */
static size_t bootstrap_size(const void *p)
{
	return *(const size_t *)((const unsigned char *)p - KSLAB_MALLOC_ALIGN);
}

/*
 * A block from the static buffer, zeroed (it never held anything), for
 * calls made while the set-up runs. Return: NULL once it is used up.
 */
static void *bootstrap_alloc(size_t size, size_t align)
{
	unsigned long start, next, old;

	if (align < KSLAB_MALLOC_ALIGN)
		align = KSLAB_MALLOC_ALIGN;
	if (size > BOOTSTRAP_BYTES || align > BOOTSTRAP_BYTES / 4)
		return NULL;
	old = __atomic_load_n(&bootstrap_used, __ATOMIC_RELAXED);
	do {
		start = KSLAB_ALIGN_UP(old + KSLAB_MALLOC_ALIGN, align);
		next = KSLAB_ALIGN_UP(start + size, KSLAB_MALLOC_ALIGN);
		if (next > BOOTSTRAP_BYTES)
			return NULL;
	} while (!__atomic_compare_exchange_n(&bootstrap_used, &old, next, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	*(size_t *)(bootstrap + start - KSLAB_MALLOC_ALIGN) = next - start;
	return bootstrap + start;
}

/* KSLAB_MALLOC_REAP_MS: milliseconds, 0 to turn reaping off. */
static void read_reap_ms(void)
{
	const char *value = getenv("KSLAB_MALLOC_REAP_MS"), *s = value;
	unsigned long v = 0;

	if (!value)
		return;
	for (; *s >= '0' && *s <= '9' && v <= REAP_MS_MAX; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	if (*s || s == value || v > REAP_MS_MAX) {
		kslab_report(KSLAB_LOG_WARN,
			     "KSLAB_MALLOC_REAP_MS must be milliseconds, 0 to %lu (0: never reap); using %lu",
			     REAP_MS_MAX, REAP_MS_DEFAULT);
		return;
	}
	reap_ms = v;
}

static unsigned long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (unsigned long)ts.tv_sec * 1000 + (unsigned long)ts.tv_nsec / 1000000;
}

static kslab_cold kslab_noinline void malloc_setup(void)
{
	setting_up = true;
	read_reap_ms();
	last_reap_ms = now_ms();
	/*
	 * The first class, and with it what kslab sets up once (the per-CPU
	 * region, the fork handlers), while calls of the C library's into
	 * malloc go to the bootstrap. The other classes come as their sizes
	 * are first asked for, so a short program makes only those it uses;
	 * a class that cannot be made is tried again.
	 */
	kslab_kmalloc_cache(KSLAB_MALLOC_ALIGN);
	canary_secret = kslab_env_random();
	setting_up = false;
	kslab_store_release(&malloc_ready, true);
}

/*
 * Round a malloc size, and the canary's room, to its 16-byte multiple;
 * SIZE_MAX if it cannot be.
 */
static size_t malloc_size(size_t size)
{
	if (kslab_unlikely(size > SIZE_MAX - KSLAB_MALLOC_ALIGN - MALLOC_CANARY))
		return SIZE_MAX;
	size += MALLOC_CANARY;
	return size ? KSLAB_ALIGN_UP(size, KSLAB_MALLOC_ALIGN) : KSLAB_MALLOC_ALIGN;
}

/* The canary of a block of @usable bytes at @p: its last word. */
static unsigned long *canary_of(void *p, size_t usable)
{
	return (unsigned long *)((char *)p + usable - MALLOC_CANARY);
}

/* A class block's usable size to the program; 0 for a larger one. */
static size_t class_usable(size_t usable)
{
	return usable <= KSLAB_KMALLOC_MAX_CACHE_SIZE ? usable - MALLOC_CANARY :
							 usable;
}

/* Arm the canary of class block @p (the hardened build). Return: @p. */
static void *canary_arm(void *p, size_t usable)
{
	if (MALLOC_CANARY && p && usable <= KSLAB_KMALLOC_MAX_CACHE_SIZE)
		*canary_of(p, usable) = (uintptr_t)p ^ canary_secret;
	return p;
}

/* A block the slow paths made: its size looked up, its canary armed. */
static void *canary_arm_slow(void *p)
{
	if (MALLOC_CANARY && p && !in_bootstrap(p))
		canary_arm(p, kslab_kmalloc_usable(p, "malloc"));
	return p;
}

/*
 * Before a class block goes back (kslab_kmalloc_free_hit()'s check):
 * its canary, then zeroes over all of it.
 */
static void canary_check(struct kslab_cache *cache, void *obj)
{
	size_t usable = cache->object_size;

	if (kslab_unlikely(*canary_of(obj, usable) !=
			   ((uintptr_t)obj ^ canary_secret)))
		kslab_kmalloc_overflow(cache, obj, usable - MALLOC_CANARY);
	kslab_memset(obj, 0, usable);
}

/* The hardened build's check on free, and none in the default one. */
#define FREE_CHECK	(MALLOC_CANARY ? canary_check : NULL)

/*
 * Every allocating entry point ends here. @align is a power of two;
 * @caller is the program's call site, for debugged caches.
 */
static void *malloc_aligned(size_t size, size_t align, gfp_t gfp,
			    unsigned long caller)
{
	void *p;

	if (kslab_unlikely(!kslab_load_acquire(&malloc_ready))) {
		if (setting_up)
			return bootstrap_alloc(size, align);
		malloc_setup();
	}
	p = kslab_kmalloc_caller(malloc_size(size),
			       align <= KSLAB_MALLOC_ALIGN ? 0 : align, gfp, caller);
	if (kslab_unlikely(!p))
		errno = ENOMEM;
	return canary_arm_slow(p);
}

/*
 * The fast path: kmalloc's hit (mm/kmalloc.h) for the size rounded up to
 * 16 bytes. Return: NULL for 0 or a size beyond the fast table, before the
 * set-up, or if the magazine has none: malloc_aligned() then does it all.
 */
static kslab_always_inline void *malloc_hit(size_t size)
{
	size_t rounded;

	if (kslab_unlikely(size > KSLAB_KMALLOC_FAST_MAX - MALLOC_CANARY))
		return NULL;
	rounded = KSLAB_ALIGN_UP(size + MALLOC_CANARY, KSLAB_MALLOC_ALIGN);
	return canary_arm(kslab_kmalloc_rounded_hit(rounded),
			  kslab_kmalloc_fast_size[rounded / 8]);
}

void *kslab_malloc(size_t size)
{
	void *p = malloc_hit(size);

	if (kslab_likely(p))
		return p;
	return malloc_aligned(size, KSLAB_MALLOC_ALIGN, GFP_KERNEL, KSLAB_RET_IP);
}

void *kslab_calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc_hit(bytes);
	if (kslab_likely(p))
		return kslab_memset(p, 0, bytes);
	return malloc_aligned(bytes, KSLAB_MALLOC_ALIGN, GFP_KERNEL | __GFP_ZERO,
			      KSLAB_RET_IP);
}

/* Reap if it is time and nobody else is at it. */
static kslab_cold kslab_noinline void malloc_tick(void)
{
	unsigned long now;

	free_countdown = MALLOC_TICK_FREES - 1;
	if (!reap_ms || !kslab_load_acquire(&malloc_ready))
		return;
	now = now_ms();
	if (now - KSLAB_READ_ONCE(last_reap_ms) < reap_ms ||
	    __atomic_exchange_n(&reap_busy, 1, __ATOMIC_ACQUIRE))
		return;
	kslab_reap_all();
	kslab_zone_discard_free(kslab_default_zone());
	KSLAB_WRITE_ONCE(last_reap_ms, now);
	__atomic_store_n(&reap_busy, 0, __ATOMIC_RELEASE);
}

/*
 * kmalloc's small values (KSLAB_ZERO_SIZE_PTR and below) are no malloc
 * block: malloc(0) hands out a real one. NULL is not one of them.
 */
static bool small_bogus(const void *p)
{
	return (uintptr_t)p - 1 < KSLAB_MALLOC_ALIGN;
}

/*
 * What the hit leaves: a bootstrap block never leaves, a small value is
 * reported, the rest is kfree's slow path. @caller: free()'s caller, or 0
 * when tail-called from free(), whose caller is then this function's
 * return address.
 */
static kslab_cold kslab_noinline void free_slow(void *p, unsigned long caller)
{
	if (in_bootstrap(p))
		return;
	if (small_bogus(p)) {
		kslab_kmalloc_bad_pointer("free", p, true);
		return;
	}
	kslab_kfree_slow(p, caller ? caller : KSLAB_RET_IP);
}

/* Every MALLOC_TICK_FREES-th free of a thread: reap if due, then free. */
static kslab_cold kslab_noinline void free_tick(void *p)
{
	unsigned long caller = KSLAB_RET_IP;

	malloc_tick();
	if (!kslab_kmalloc_free_hit(p, caller, FREE_CHECK))
		free_slow(p, caller);
}

/*
 * Every call here is a tail call, free()'s caller the return address of
 * each slow half, so the hit needs no stack frame.
 */
void kslab_free(void *p)
{
	/* A countdown: one decrement sets the flag the branch tests. */
	if (kslab_unlikely(--free_countdown < 0)) {
		free_tick(p);
		return;
	}
	if (kslab_unlikely(!kslab_kmalloc_free_hit(p, 0, FREE_CHECK)))
		free_slow(p, 0);
}

/* Sizes as the malloc asked kmalloc for them (malloc_size()). */
void kslab_free_sized(void *p, size_t size)
{
	if (p && !in_bootstrap(p) && !small_bogus(p))
		kslab_kmalloc_check_size("free_sized", p, malloc_size(size), 0);
	kslab_free(p);
}

void kslab_free_aligned_sized(void *p, size_t align, size_t size)
{
	if (p && !in_bootstrap(p) && !small_bogus(p))
		kslab_kmalloc_check_size("free_aligned_sized", p,
					 malloc_size(size), align);
	kslab_free(p);
}

/*
 * realloc()'s hit, for a class block: it stays where its new size's class
 * is its own, or moves to a block of malloc's hit and is freed, with no
 * lookup but the free's proof (kslab_kmalloc_class_at()); @size is not 0.
 * Return: NULL where the full path decides (kslab_krealloc_op()): any
 * other block, a size beyond the fast table, a class not made yet or an
 * empty magazine, and a block freed already, which it reports.
 */
static inline void *realloc_hit(void *p, size_t size)
{
	struct kslab_kmalloc_class *class = kslab_kmalloc_class_at(p);
	size_t usable, rounded;
	void *q;

	if (!class || size > KSLAB_KMALLOC_FAST_MAX - MALLOC_CANARY)
		return NULL;
	/* A freed block's first word is its tag (mm/kmalloc.h). */
	if (KSLAB_HARDENING &&
	    kslab_env_mem_peek_word(p) ==
	    (unsigned long)KSLAB_DATA_RACE(class->cpu))
		return NULL;
	usable = KSLAB_DATA_RACE(class->cache)->object_size;
	rounded = KSLAB_ALIGN_UP(size + MALLOC_CANARY, KSLAB_MALLOC_ALIGN);
	if (kslab_kmalloc_fast_size[rounded / 8] == usable)
		return p;
	usable -= MALLOC_CANARY;
	q = malloc_hit(size);
	if (q) {
		kslab_memcpy(q, p, size < usable ? size : usable);
		kslab_free(p);
	}
	return q;
}

void *kslab_realloc(void *p, size_t size)
{
	void *q;

	if (!p)
		return kslab_malloc(size);
	if (!size) {
		kslab_free(p);
		return NULL;
	}
	q = realloc_hit(p, size);
	if (q)
		return q;
	if (kslab_unlikely(in_bootstrap(p))) {
		size_t old = bootstrap_size(p);

		q = kslab_malloc(size);
		if (q)
			kslab_memcpy(q, p, old < size ? old : size);
		return q;
	}
	if (kslab_unlikely(small_bogus(p))) {
		kslab_kmalloc_bad_pointer("realloc", p, true);
		errno = EINVAL;
		return NULL;
	}
	q = canary_arm_slow(kslab_krealloc_op(p, malloc_size(size), GFP_KERNEL,
					      "realloc", KSLAB_RET_IP));
	if (!q)
		errno = ENOMEM;
	return q;
}

void *kslab_reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return kslab_realloc(p, bytes);
}

static bool power_of_two(size_t x)
{
	return x && !(x & (x - 1));
}

int kslab_posix_memalign(void **p, size_t align, size_t size)
{
	int saved = errno;
	void *q;

	if (!power_of_two(align) || align % sizeof(void *))
		return EINVAL;
	q = malloc_aligned(size, align, GFP_KERNEL, KSLAB_RET_IP);
	errno = saved;
	if (!q)
		return ENOMEM;
	*p = q;
	return 0;
}

void *kslab_aligned_alloc(size_t align, size_t size)
{
	if (!power_of_two(align)) {
		errno = EINVAL;
		return NULL;
	}
	return malloc_aligned(size, align, GFP_KERNEL, KSLAB_RET_IP);
}

void *kslab_memalign(size_t align, size_t size)
{
	size_t rounded = KSLAB_MALLOC_ALIGN;

	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	while (rounded < align)
		rounded *= 2;
	return malloc_aligned(size, rounded, GFP_KERNEL, KSLAB_RET_IP);
}

void *kslab_valloc(size_t size)
{
	return kslab_memalign(KSLAB_PAGE_SIZE, size);
}

void *kslab_pvalloc(size_t size)
{
	if (size > SIZE_MAX - KSLAB_PAGE_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	return kslab_memalign(KSLAB_PAGE_SIZE,
			      size ? KSLAB_ALIGN_UP(size, KSLAB_PAGE_SIZE) :
				     KSLAB_PAGE_SIZE);
}

size_t kslab_malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (in_bootstrap(p))
		return bootstrap_size(p);
	if (small_bogus(p)) {
		kslab_kmalloc_bad_pointer("malloc_usable_size", p, false);
		return 0;
	}
	return class_usable(kslab_kmalloc_usable(p, "malloc_usable_size"));
}
