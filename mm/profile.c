// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation profiling (Documentation/profiling.rst): live bytes and live
 * calls per allocation site, for caches, kmalloc and the malloc built on
 * it. A site is the code address an allocation returns to, its caller.
 *
 * Owns the site table, the per-CPU counts and the slabs' site vectors.
 * - Sites: an open-addressed table of callers, filled without a lock by a
 *   compare-and-swap on each slot; a site's number is its slot. Slot 0 is
 *   no site (an object allocated while profiling was off), slot 1 stands
 *   for every caller once the table is full.
 * - Counts: per CPU and per site, bytes and calls, each the port's
 *   per-CPU add on the CPU's own line (a restartable sequence with no
 *   lock prefix in userspace, an atomic add elsewhere: a thread may move
 *   between reading its CPU and adding, so a plain add could lose one).
 *   A free subtracts on its CPU: only the sum over CPUs means anything.
 * - Which site each object came from: each slab has a vector of site
 *   numbers, one per object, made at the slab's first attributed
 *   allocation and freed with the slab; kmalloc's memory beyond the
 *   classes is looked up by address in a small table of its own.
 * The fast paths call nothing: while the profile is on they are diverted
 * to the slow halves (mm/magazine.c), which pop or push as they would
 * and call the hooks of
 * mm/profile.h, as the bulk calls, sheaves and kmalloc's large blocks do.
 *
 * Lock order: the tables are made under kslab_caches_lock; large_lock
 * alone, never held while anything else is taken (but by fork(), through
 * kslab_profile_lock()).
 */
#include <kslab/kmalloc.h>
#include <kslab/profile.h>

#include "check.h"
#include "fault.h"
#include "magazine.h"
#include "profile.h"
#include "slab.h"

#define SITE_SLOTS		8192U	/* a power of two */
#define SITE_NONE		0U
#define SITE_FULL		1U
#define LARGE_SLOTS		4096U	/* a power of two */
#define LARGE_EMPTY		0UL
#define LARGE_GONE		1UL	/* a removed entry: probes go on past it */
/* The setting that turns profiling on from the start (a module parameter). */
#define OPTION_NAME		"KSLAB_PROFILE"
/* Bytes between samples when a heap profile is asked for without a rate. */
#define SAMPLE_RATE_DEFAULT	(512UL << 10)

struct site_count {
	struct kslab_atomic bytes;
	struct kslab_atomic calls;
};

struct large_entry {
	unsigned long addr;
	unsigned long bytes;
	unsigned int site;
};

bool kslab_profiling;
bool kslab_profile_tables;

static unsigned long *site_callers;	/* SITE_SLOTS callers, 0: free slot */
static struct site_count *site_counts;	/* per CPU, SITE_SLOTS each */
static struct large_entry *large;	/* LARGE_SLOTS, under large_lock */
static KSLAB_DEFINE_SPINLOCK(large_lock);
/* Allocations not attributed for want of memory or room. */
static struct kslab_atomic unattributed = KSLAB_ATOMIC_INIT(0);

static unsigned int site_hash(unsigned long caller)
{
	return (unsigned int)((caller * 0x9e3779b97f4a7c15UL) >> 40) &
	       (SITE_SLOTS - 1);
}

/* The site number of @caller, made if new. Return: SITE_FULL if no room. */
static unsigned int site_of(unsigned long caller)
{
	unsigned int slot = site_hash(caller), probes;
	unsigned long found;

	for (probes = 0; probes < SITE_SLOTS; probes++,
	     slot = (slot + 1) & (SITE_SLOTS - 1)) {
		if (slot <= SITE_FULL)
			continue;
		found = KSLAB_READ_ONCE(site_callers[slot]);
		if (found == caller)
			return slot;
		if (found)
			continue;
		found = kslab_cmpxchg(&site_callers[slot], 0UL, caller);
		if (!found || found == caller)
			return slot;
	}
	return SITE_FULL;
}

/* What an object's vector entry holds: its site, or its sample's record. */
static unsigned int entry_of(unsigned int site, size_t bytes,
			     unsigned long caller)
{
	if (kslab_unlikely(kslab_load_acquire(&kslab_sample_rate)) &&
	    kslab_sample_due(bytes))
		return kslab_sample_take(site, bytes, caller);
	return site;
}

/* The site of an entry, its sample's record given back. */
static unsigned int site_from(unsigned int entry)
{
	return entry & KSLAB_SAMPLED ? kslab_sample_free(entry) : entry;
}

static void count(unsigned int site, long bytes, long calls)
{
	const size_t stride = SITE_SLOTS * sizeof(*site_counts);

	kslab_cpu_add(&site_counts[site].bytes, stride, bytes);
	kslab_cpu_add(&site_counts[site].calls, stride, calls);
}

/* The tables, made or not, given back. Under kslab_caches_lock. */
static void tables_free(void)
{
	kslab_env_meta_free(large, LARGE_SLOTS * sizeof(*large));
	kslab_env_meta_free(site_counts, (size_t)kslab_nr_cpus() * SITE_SLOTS *
					 sizeof(*site_counts));
	kslab_env_meta_free(site_callers, SITE_SLOTS * sizeof(*site_callers));
	site_callers = NULL;
	site_counts = NULL;
	large = NULL;
}

/* Under kslab_caches_lock, which orders every start. */
static int tables_make(void)
{
	size_t counts = (size_t)kslab_nr_cpus() * SITE_SLOTS *
			sizeof(*site_counts);

	if (kslab_profile_tables)
		return 0;
	site_callers = kslab_meta_alloc(SITE_SLOTS * sizeof(*site_callers),
					GFP_KERNEL);
	site_counts = kslab_meta_alloc(counts, GFP_KERNEL);
	large = kslab_meta_alloc(LARGE_SLOTS * sizeof(*large), GFP_KERNEL);
	if (!site_callers || !site_counts || !large)
		goto fail;
	site_callers[SITE_FULL] = 1;	/* never a code address */
	kslab_store_release(&kslab_profile_tables, true);
	return 0;
fail:
	tables_free();
	return -1;
}

/*
 * Every fast path diverted to the slow halves (mm/magazine.c) before the
 * first allocation is attributed, so no counted object is ever freed by
 * a fast path. Under kslab_caches_lock.
 */
int kslab_profile_start_locked(void)
{
	if (tables_make())
		return -1;
	kslab_magazine_divert_all(true);
	KSLAB_WRITE_ONCE(kslab_profiling, true);
	return 0;
}

int kslab_profile_start(void)
{
	int ret;

	kslab_mutex_lock(&kslab_caches_lock);
	ret = kslab_profile_start_locked();
	kslab_mutex_unlock(&kslab_caches_lock);
	return ret;
}

/* Attributed allocations still live, over every site and CPU. */
static long live_calls(void)
{
	size_t i, n = (size_t)kslab_nr_cpus() * SITE_SLOTS;
	long calls = 0;

	for (i = 0; i < n; i++)
		calls += kslab_atomic_read(&site_counts[i].calls);
	return calls;
}

/*
 * Once no attributed object is left, the fast paths go back to work: no
 * free can then miss a site. An allocation that saw the profile on just
 * before this has counted itself by then, or will find it off and take
 * its count back (kslab_profile_note_alloc()): the barriers pair, the
 * heavy half here, where it is rare, and the light one on every
 * attributed allocation.
 */
void kslab_profile_stop(void)
{
	kslab_mutex_lock(&kslab_caches_lock);
	KSLAB_WRITE_ONCE(kslab_profiling, false);
	kslab_fence_heavy();
	if (kslab_profile_tables && !live_calls())
		kslab_magazine_divert_all(false);
	kslab_mutex_unlock(&kslab_caches_lock);
}

/*
 * The sampling rate the setting's words ask for: "sample=BYTES", or the
 * default where a heap profile is asked for ("heap=PATH") without one;
 * 0 for none, or if a rate is no number.
 */
static unsigned long setting_rate(const char *value)
{
	unsigned long rate = 0;
	const char *word;

	for (word = value; *word; word++) {
		if (word != value && word[-1] != ',')
			continue;
		if (!__builtin_strncmp(word, "heap=", 5) && !rate)
			rate = SAMPLE_RATE_DEFAULT;
		if (!__builtin_strncmp(word, "sample=", 7)) {
			for (word += 7, rate = 0; *word >= '0' && *word <= '9';
			     word++)
				rate = rate * 10 + (unsigned long)(*word - '0');
			if (*word && *word != ',')
				return 0;
			word--;
		}
	}
	return rate;
}

/*
 * The KSLAB_PROFILE setting, read as the first cache is made, under
 * kslab_caches_lock: any value but "0" starts profiling, and sampling
 * where its words ask for it (userspace/profile.c reads the words that
 * say what to write).
 */
void kslab_profile_init(void)
{
	const char *value = kslab_env_option(OPTION_NAME);
	unsigned long rate;

	if (!value || !*value || !__builtin_strcmp(value, "0"))
		return;
	rate = setting_rate(value);
	if ((rate && kslab_sample_tables(rate)) || kslab_profile_start_locked())
		kslab_report(KSLAB_LOG_WARN,
			     "%s=\"%s\": no memory for the profile's tables, or a rate over %lu; not profiling",
			     OPTION_NAME, value, KSLAB_SAMPLE_RATE_MAX);
	else if (rate)
		kslab_store_release(&kslab_sample_rate, rate);
}

/*
 * The site vector of @slab, made if it has none. A slab may be handed out
 * on two CPUs at once: the loser of the race frees its vector.
 */
static unsigned short *slab_sites(const struct kslab_cache *cache,
				  struct kslab_slab *slab)
{
	size_t bytes = cache->objs_per_slab * sizeof(unsigned short);
	unsigned short *sites = kslab_load_acquire(&slab->sites), *found;

	if (kslab_likely(sites))
		return sites;
	sites = kslab_env_meta_alloc(bytes, GFP_NOWAIT | __GFP_NOWARN);
	if (!sites)
		return NULL;
	found = kslab_cmpxchg(&slab->sites, (unsigned short *)NULL, sites);
	if (!found)
		return sites;
	kslab_env_meta_free(sites, bytes);
	return found;
}

/*
 * The slab of @obj, a live object of @cache its caller holds or has just
 * proven to be one (so the page's marks need no second look), and its
 * place in the slab's vector; NULL if the slab is not @cache's. Its index
 * comes from @cache, already at hand, not from a load through the slab.
 */
static struct kslab_slab *object_slot(const struct kslab_cache *cache,
				      const void *obj, unsigned long *index)
{
	struct kslab_page *page = kslab_virt_to_page(obj);
	struct kslab_slab *slab;

	if (kslab_unlikely(!page))
		return NULL;
	slab = kslab_page_head(page)->owner;
	*index = kslab_obj_index(cache,
				 (unsigned long)obj - (unsigned long)slab->s_mem);
	return kslab_likely(slab->cache == cache) ? slab : NULL;
}

void *kslab_profile_note_alloc(struct kslab_cache *cache, void *obj,
			       unsigned long caller)
{
	struct kslab_slab *slab;
	unsigned short *sites;
	unsigned long index;
	unsigned int site;

	/* kslab's own metadata is slabinfo's to show. */
	if (!kslab_load_acquire(&kslab_profile_tables) ||
	    (cache->flags & KSLAB_CACHE_INTERNAL))
		return obj;
	slab = object_slot(cache, obj, &index);
	if (!slab)
		return obj;
	sites = slab_sites(cache, slab);
	if (!sites) {
		kslab_atomic_add(&unattributed, 1);
		return obj;
	}
	site = site_of(caller);
	sites[index] = (unsigned short)entry_of(site, cache->object_size,
						caller);
	count(site, (long)cache->object_size, 1);
	/* Stopped meanwhile: the fast paths may be back (kslab_profile_stop()). */
	kslab_fence_light();
	if (kslab_unlikely(!KSLAB_READ_ONCE(kslab_profiling)))
		kslab_profile_note_free(cache, obj);
	return obj;
}

void kslab_profile_note_free(struct kslab_cache *cache, const void *obj)
{
	struct kslab_slab *slab;
	unsigned short *sites;
	unsigned long index;
	unsigned int site;

	if (!kslab_load_acquire(&kslab_profile_tables))
		return;
	slab = object_slot(cache, obj, &index);
	if (!slab)
		return;
	sites = kslab_load_acquire(&slab->sites);
	if (!sites || sites[index] == SITE_NONE)
		return;
	site = site_from(sites[index]);
	sites[index] = SITE_NONE;
	count(site, -(long)cache->object_size, -1);
}

void kslab_profile_slab_release(struct kslab_cache *cache,
				struct kslab_slab *slab)
{
	if (slab->sites)
		kslab_env_meta_free(slab->sites, cache->objs_per_slab *
						 sizeof(unsigned short));
	slab->sites = NULL;
}

/* The slot of @p in the large table, or of the first free one on its way. */
static struct large_entry *large_slot(unsigned long p, bool insert)
{
	unsigned int slot = site_hash(p) & (LARGE_SLOTS - 1), probes;
	struct large_entry *gone = NULL;

	for (probes = 0; probes < LARGE_SLOTS; probes++,
	     slot = (slot + 1) & (LARGE_SLOTS - 1)) {
		struct large_entry *e = &large[slot];

		if (e->addr == p)
			return e;
		if (e->addr == LARGE_GONE && !gone)
			gone = e;
		if (e->addr == LARGE_EMPTY)
			return insert ? (gone ? gone : e) : NULL;
	}
	return insert ? gone : NULL;
}

void kslab_profile_note_large(const void *p, unsigned long caller)
{
	size_t bytes = kslab_ksize(p);
	unsigned int site, entry;
	struct large_entry *e;

	if (!kslab_load_acquire(&kslab_profile_tables))
		return;
	site = site_of(caller);
	entry = entry_of(site, bytes, caller);
	kslab_spin_lock(&large_lock);
	e = large_slot((unsigned long)p, true);
	if (e) {
		e->addr = (unsigned long)p;
		e->bytes = bytes;
		e->site = entry;
	}
	kslab_spin_unlock(&large_lock);
	if (e) {
		count(site, (long)bytes, 1);
		return;
	}
	site_from(entry);	/* a sample it took goes back */
	kslab_atomic_add(&unattributed, 1);
}

void kslab_profile_note_large_free(const void *p)
{
	struct large_entry *e, found = { 0 };

	if (!kslab_load_acquire(&kslab_profile_tables))
		return;
	kslab_spin_lock(&large_lock);
	e = large_slot((unsigned long)p, false);
	if (e) {
		found = *e;
		e->addr = LARGE_GONE;
	}
	kslab_spin_unlock(&large_lock);
	if (e)
		count(site_from(found.site), -(long)found.bytes, -1);
}

/* The live figures of @site, summed over the CPUs. */
static void site_sum(unsigned int site, struct kslab_site_stats *st)
{
	unsigned int cpu;

	st->caller = KSLAB_READ_ONCE(site_callers[site]);
	st->bytes = 0;
	st->calls = 0;
	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		struct site_count *c = &site_counts[cpu * SITE_SLOTS + site];

		st->bytes += kslab_atomic_read(&c->bytes);
		st->calls += kslab_atomic_read(&c->calls);
	}
}

/* Larger live bytes first; the caller breaks ties, so the order is fixed. */
static bool site_before(const struct kslab_site_stats *a,
			const struct kslab_site_stats *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	return a->caller < b->caller;
}

/* Shell sort: no recursion, no memory, and few sites are live. */
static void sites_sort(struct kslab_site_stats *v, size_t n)
{
	static const size_t gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };
	struct kslab_site_stats t;
	size_t g, i, j;

	for (g = 0; g < KSLAB_ARRAY_SIZE(gaps); g++)
		for (i = gaps[g]; i < n; i++) {
			t = v[i];
			for (j = i; j >= gaps[g] && site_before(&t, &v[j - gaps[g]]);
			     j -= gaps[g])
				v[j] = v[j - gaps[g]];
			v[j] = t;
		}
}

/*
 * Every site with live allocations, sorted, in memory of its own.
 * Return: the array (NULL if none or no memory), its length in *@n.
 */
static struct kslab_site_stats *live_sites(size_t *n)
{
	struct kslab_site_stats *v, st;
	unsigned int site;

	*n = 0;
	if (!kslab_load_acquire(&kslab_profile_tables))
		return NULL;
	v = kslab_env_meta_alloc(SITE_SLOTS * sizeof(*v), GFP_KERNEL);
	if (!v)
		return NULL;
	for (site = SITE_FULL; site < SITE_SLOTS; site++) {
		site_sum(site, &st);
		if (st.caller && st.calls > 0)
			v[(*n)++] = st;
	}
	sites_sort(v, *n);
	return v;
}

size_t kslab_profile_sites(struct kslab_site_stats *sites, size_t max)
{
	struct kslab_site_stats *v;
	size_t n, i;

	v = live_sites(&n);
	for (i = 0; i < n && i < max; i++)
		sites[i] = v[i];
	if (v)
		kslab_env_meta_free(v, SITE_SLOTS * sizeof(*v));
	return n;
}

/* One site's line: bytes, calls, and where. */
static size_t site_line(char *buf, size_t size, size_t len,
			const struct kslab_site_stats *st)
{
	char name[160];

	if (st->caller == 1)
		kslab_snprintf(name, sizeof(name), "(sites beyond the table's %u)",
			       SITE_SLOTS - 2);
	else
		kslab_env_caller_name(name, sizeof(name), st->caller);
	return kslab_append(buf, size, len, "%12ld %8ld %s\n", st->bytes,
			    st->calls, name);
}

size_t kslab_allocinfo_format(char *buf, size_t size)
{
	struct kslab_site_stats st;
	unsigned int site;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	len = kslab_append(buf, size, len, "allocinfo - version: 1.0\n");
	len = kslab_append(buf, size, len, "#     <size>  <calls> <tag info>\n");
	if (!kslab_load_acquire(&kslab_profile_tables))
		return len;
	for (site = SITE_FULL; site < SITE_SLOTS; site++) {
		site_sum(site, &st);
		/* The overflow line only once the table has overflowed. */
		if (st.caller && (site != SITE_FULL || st.calls))
			len = site_line(buf, size, len, &st);
	}
	return len;
}

size_t kslab_leaks_format(char *buf, size_t size)
{
	struct kslab_site_stats *v;
	long bytes = 0, calls = 0;
	size_t len = 0, n, i;

	if (size)
		buf[0] = '\0';
	v = live_sites(&n);
	for (i = 0; i < n; i++) {
		bytes += v[i].bytes;
		calls += v[i].calls;
	}
	len = kslab_append(buf, size, len,
			   "kslab: %ld bytes in %ld allocations from %zu sites still allocated%s\n",
			   bytes, calls, n,
			   kslab_atomic_read(&unattributed) ?
				   " (some allocations could not be attributed)" : "");
	for (i = 0; i < n; i++)
		len = site_line(buf, size, len, &v[i]);
	if (v)
		kslab_env_meta_free(v, SITE_SLOTS * sizeof(*v));
	return len;
}

/**
 * kslab_profile_lock() - hold the profile's spinlocks, for fork()
 *
 * Last of mm/'s locks: kslab_lock_inner() takes it after the others.
 */
void kslab_profile_lock(void)
{
	kslab_spin_lock(&large_lock);
	kslab_sample_lock();
}

/**
 * kslab_profile_unlock() - release what kslab_profile_lock() took
 */
void kslab_profile_unlock(void)
{
	kslab_sample_unlock();
	kslab_spin_unlock(&large_lock);
}

/**
 * kslab_profile_exit() - give the profile's tables back
 *
 * At kslab_shutdown(), every cache gone (and with them the slabs' site
 * vectors), under kslab_caches_lock; a later start makes them anew.
 */
void kslab_profile_exit(void)
{
	KSLAB_WRITE_ONCE(kslab_profiling, false);
	kslab_sample_exit();
	if (!kslab_profile_tables)
		return;
	KSLAB_WRITE_ONCE(kslab_profile_tables, false);
	KSLAB_WRITE_ONCE(kslab_mag_diverted, false);
	tables_free();
	kslab_atomic_set(&unattributed, 0);
}
