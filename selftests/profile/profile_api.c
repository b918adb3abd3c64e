// SPDX-License-Identifier: GPL-2.0
/*
 * The allocation profile (suite profile_api): allocations made from known
 * functions show under those sites with their exact live calls and bytes
 * (a cache's object size, kmalloc's usable size, large blocks too), which
 * fall as they are freed and leave no site behind; bulk calls count each
 * object, a sheaf's objects count when it hands them out; stopping leaves
 * frees counting; the allocinfo and leak texts. Portable: runs in the
 * kernel module's tests too.
 */
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#include "profile_tests.h"

#define CACHE_OBJS	50
#define KMALLOC_OBJS	40
#define LARGE_OBJS	3
#define BULK_OBJS	32
#define SITES_MAX	256

/* Sites: never inlined, folded or cloned, each alone in its 1 KiB. */
#define site_fn		__attribute__((__noipa__, __aligned__(1024)))

/* Tests run one at a time: their arrays stay off kernel stacks. */
static void *objs[2 * CACHE_OBJS];
static struct kslab_site_stats sites[SITES_MAX];

bool site_in(unsigned long fn, struct kslab_site_stats *st)
{
	size_t n = kslab_profile_sites(sites, SITES_MAX), i;

	st->caller = 0;
	st->bytes = 0;
	st->calls = 0;
	if (n > SITES_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (sites[i].caller - fn < SITE_SPAN)
			*st = sites[i];
	return true;
}

/* Each site fills @v in a loop, so no call is a tail call. */
static site_fn void cache_site(struct kslab_cache *c, void **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = kslab_cache_alloc(c, GFP_KERNEL);
}

static site_fn void kmalloc_site(size_t size, void **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = kslab_kmalloc(size, GFP_KERNEL);
}

static site_fn void large_site(size_t size, void **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = kslab_kmalloc(size, GFP_KERNEL);
}

static site_fn void bulk_site(struct kslab_cache *c, void **v, unsigned int n,
			      int *got)
{
	*got = kslab_cache_alloc_bulk(c, GFP_KERNEL, n, v);
}

static site_fn void sheaf_site(struct kslab_cache *c, struct kslab_sheaf *s,
			       void **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = kslab_sheaf_alloc(c, GFP_KERNEL, s);
}

static bool all_got(void *const *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!v[i])
			return false;
	return true;
}

#define SITE(fn)	((unsigned long)&(fn))

static bool start(struct ktap_test *t)
{
	return KTAP_EXPECT_EQ(t, kslab_profile_start(), 0);
}

/* Calls and bytes of the site in @fn, as expected. */
#define EXPECT_SITE(t, fn, want_calls, want_bytes)			\
	do {								\
		struct kslab_site_stats __st;				\
									\
		KTAP_EXPECT(t, site_in(SITE(fn), &__st));		\
		KTAP_EXPECT_EQ(t, __st.calls, want_calls);		\
		KTAP_EXPECT_EQ(t, __st.bytes, want_bytes);		\
	} while (0)

/* A cache of @size bytes, the profile started. Return: NULL if either failed. */
static struct kslab_cache *profiled_cache(struct ktap_test *t, const char *name,
					  unsigned int size,
					  unsigned long *obj_size)
{
	struct kslab_cache *c = kslab_cache_create(name, size, NULL, 0);

	if (!KTAP_EXPECT(t, c != NULL))
		return NULL;
	if (!start(t)) {
		kslab_cache_destroy(c);
		return NULL;
	}
	*obj_size = kslab_cache_size(c);
	return c;
}

static void test_cache_site_exact(struct ktap_test *t)
{
	unsigned long size;
	struct kslab_cache *c = profiled_cache(t, "t-prof-cache", 200, &size);
	unsigned int i;

	if (!c)
		return;
	cache_site(c, objs, CACHE_OBJS);
	if (!KTAP_EXPECT(t, all_got(objs, CACHE_OBJS)))
		goto out;
	EXPECT_SITE(t, cache_site, CACHE_OBJS, CACHE_OBJS * size);
	for (i = 0; i < 20; i++)
		kslab_cache_free(c, objs[i]);
	EXPECT_SITE(t, cache_site, CACHE_OBJS - 20, (CACHE_OBJS - 20) * size);
	for (; i < CACHE_OBJS; i++)
		kslab_cache_free(c, objs[i]);
	EXPECT_SITE(t, cache_site, 0, 0);
out:
	kslab_profile_stop();
	kslab_cache_destroy(c);
}

static void test_kmalloc_sites_exact(struct ktap_test *t)
{
	size_t large = 3 * 4096 + 1;
	unsigned int i;

	if (!start(t))
		return;
	kmalloc_site(100, objs, KMALLOC_OBJS);
	large_site(large, objs + KMALLOC_OBJS, LARGE_OBJS);
	if (KTAP_EXPECT(t, all_got(objs, KMALLOC_OBJS + LARGE_OBJS))) {
		EXPECT_SITE(t, kmalloc_site, KMALLOC_OBJS,
			    KMALLOC_OBJS * kslab_ksize(objs[0]));
		EXPECT_SITE(t, large_site, LARGE_OBJS,
			    LARGE_OBJS * kslab_ksize(objs[KMALLOC_OBJS]));
	}
	for (i = 0; i < KMALLOC_OBJS + LARGE_OBJS; i++)
		kslab_kfree(objs[i]);
	EXPECT_SITE(t, kmalloc_site, 0, 0);
	EXPECT_SITE(t, large_site, 0, 0);
	kslab_profile_stop();
}

static void test_bulk_and_sheaf(struct ktap_test *t)
{
	unsigned long size;
	struct kslab_cache *c = profiled_cache(t, "t-prof-bulk", 96, &size);
	struct kslab_sheaf *sheaf = NULL;
	unsigned int i;
	int got;

	if (!c)
		return;
	bulk_site(c, objs, BULK_OBJS, &got);
	if (KTAP_EXPECT_EQ(t, got, BULK_OBJS)) {
		EXPECT_SITE(t, bulk_site, BULK_OBJS, BULK_OBJS * size);
		kslab_cache_free_bulk(c, BULK_OBJS, objs);
	}
	EXPECT_SITE(t, bulk_site, 0, 0);

	/* A sheaf's objects are nobody's until it hands them out. */
	sheaf = kslab_sheaf_prefill(c, GFP_KERNEL, 20);
	if (!KTAP_EXPECT(t, sheaf != NULL))
		goto out;
	sheaf_site(c, sheaf, objs, 5);
	if (KTAP_EXPECT(t, all_got(objs, 5)))
		EXPECT_SITE(t, sheaf_site, 5, 5 * size);
	kslab_sheaf_return(c, GFP_KERNEL, sheaf);
	EXPECT_SITE(t, sheaf_site, 5, 5 * size);
	for (i = 0; i < 5; i++)
		kslab_cache_free(c, objs[i]);
	EXPECT_SITE(t, sheaf_site, 0, 0);
out:
	kslab_profile_stop();
	kslab_cache_destroy(c);
}

/* Stopped, new allocations go uncounted; the counted ones still count down. */
static void test_stop_keeps_frees(struct ktap_test *t)
{
	unsigned long size;
	struct kslab_cache *c = profiled_cache(t, "t-prof-stop", 64, &size);
	unsigned int i;

	if (!c)
		return;
	cache_site(c, objs, CACHE_OBJS);
	kslab_profile_stop();
	cache_site(c, objs + CACHE_OBJS, CACHE_OBJS);
	if (!KTAP_EXPECT(t, all_got(objs, 2 * CACHE_OBJS)))
		goto out;
	EXPECT_SITE(t, cache_site, CACHE_OBJS, CACHE_OBJS * size);
	for (i = 0; i < 2 * CACHE_OBJS; i += 2)
		kslab_cache_free(c, objs[i]);
	EXPECT_SITE(t, cache_site, CACHE_OBJS / 2, CACHE_OBJS / 2 * size);
	for (i = 1; i < 2 * CACHE_OBJS; i += 2)
		kslab_cache_free(c, objs[i]);
	EXPECT_SITE(t, cache_site, 0, 0);
out:
	kslab_profile_stop();
	kslab_cache_destroy(c);
}

static bool contains(const char *text, const char *part)
{
	size_t n = 0;

	while (part[n])
		n++;
	for (; *text; text++)
		if (!__builtin_memcmp(text, part, n))
			return true;
	return false;
}

/* The line of @text that starts after @skip newlines. */
static const char *line_after(const char *text, unsigned int skip)
{
	for (; *text && skip; text++)
		if (*text == '\n')
			skip--;
	return text;
}

static long leading_number(const char *s)
{
	long v = 0;

	while (*s == ' ')
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

static char text[8192];

static void test_texts(struct ktap_test *t)
{
	struct kslab_site_stats big;
	unsigned int i;

	if (!start(t))
		return;
	/* 16 KiB from one site, far more than anything else live now. */
	kmalloc_site(2000, objs, 8);
	large_site(100, objs + 8, 4);
	if (!KTAP_EXPECT(t, all_got(objs, 12)))
		goto out;
	kslab_allocinfo_format(text, sizeof(text));
	KTAP_EXPECT(t, contains(text, "allocinfo - version: 1.0\n"));
	KTAP_EXPECT(t, contains(text, "#     <size>  <calls> <tag info>\n"));
	/* The largest live site leads the leak report, after its summary. */
	KTAP_EXPECT(t, site_in(SITE(kmalloc_site), &big));
	KTAP_EXPECT_EQ(t, big.calls, 8);
	KTAP_EXPECT(t, kslab_leaks_format(text, sizeof(text)) < sizeof(text));
	KTAP_EXPECT(t, contains(text, "still allocated"));
	KTAP_EXPECT_EQ(t, leading_number(line_after(text, 1)), big.bytes);
	KTAP_EXPECT(t, big.bytes == sites[0].bytes &&
		       big.caller == sites[0].caller);
	/* A measure alone (size 0) counts what it would write. */
	KTAP_EXPECT(t, kslab_allocinfo_format(text, 0) > 0);
out:
	for (i = 0; i < 12; i++)
		kslab_kfree(objs[i]);
	kslab_profile_stop();
}

static const struct ktap_case profile_api_cases[] = {
	{ "cache_site_exact", test_cache_site_exact },
	{ "kmalloc_sites_exact", test_kmalloc_sites_exact },
	{ "bulk_and_sheaf", test_bulk_and_sheaf },
	{ "stop_keeps_frees", test_stop_keeps_frees },
	{ "texts", test_texts },
};

const struct ktap_suite profile_api_suite =
	KTAP_SUITE("profile_api", profile_api_cases);
