// SPDX-License-Identifier: GPL-2.0
/*
 * kslab-demo: the buddy allocator and the object caches at work, for a
 * person to watch.
 *
 * Part one allocates about 200 MiB from the default zone in blocks of
 * mixed orders and writes every page, frees every other block, then frees
 * the rest. At each step it prints the free lists (like /proc/buddyinfo),
 * the zone's counters and the process RSS, so one can see the zone grow
 * chunk by chunk, fragment when freed blocks are pinned between live ones,
 * coalesce again, and hand its chunks back to the system.
 *
 * Part two builds three object caches on top (an inode-like cache with a
 * constructor and destructor, a dentry-like one and page-sized buffers),
 * allocates about 50 MiB of objects, frees most of them in random order
 * from two threads, allocates some back, and prints slabinfo and
 * buddyinfo. Freed objects stay in the per-CPU magazines and the depot,
 * so the memory stays too until kslab_cache_shrink() flushes them; the
 * demo shows the pages each shrink returns and RSS falling.
 *
 * Each part ends with the consistency checkers; the demo exits non-zero
 * if any check, count or object content is wrong.
 */
#include <kslab/buddy.h>
#include <kslab/report.h>
#include <kslab/slab.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEMO_TARGET_BYTES	(200UL << 20)
#define DEMO_MAX_ORDER		8	/* blocks of 4 KiB up to 1 MiB */
#define DEMO_SEED		0x6b736c6162ULL
#define MIB			(1024.0 * 1024.0)

struct demo_block {
	void *addr;
	unsigned int order;
};

struct demo {
	struct demo_block *blocks;
	size_t nr_blocks;
	size_t nr_live;
	unsigned long live_pages;
	unsigned long corrupt_pages;
	unsigned long failures;
	unsigned long accounting_errors;
	unsigned long long rng;
	struct timespec phase_start;
};

static double pages_mib(unsigned long pages)
{
	return (double)pages * KSLAB_PAGE_SIZE / MIB;
}

/* Resident set size from /proc/self/statm, in MiB; negative if unknown. */
static double rss_mib(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (!f)
		return -1.0;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	if (n != 2)
		return -1.0;
	return (double)resident * (double)sysconf(_SC_PAGESIZE) / MIB;
}

/* Time since *@since, in ms; *@since moves to now for the next step. */
static double lap_ms(struct timespec *since)
{
	struct timespec now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - since->tv_sec) * 1e3 +
	     (double)(now.tv_nsec - since->tv_nsec) / 1e6;
	*since = now;
	return ms;
}

/* Print what one of kslab's *info formatters writes, indented. */
static void print_info(size_t (*format)(char *buf, size_t size))
{
	size_t len = format(NULL, 0);
	char *text = malloc(len + 1);

	if (!text)
		return;
	format(text, len + 1);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		printf("    %s\n", line);
	free(text);
}

static void print_buddyinfo(void)
{
	unsigned int order;

	printf("  free blocks of each order, as in /proc/buddyinfo:\n");
	/* Line the header up with "Node 0, zone %8s" and its " %6lu" columns. */
	printf("    %21s", "order");
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		printf(" %6u", order);
	printf("\n");
	print_info(kslab_buddyinfo_format);
}

/* Print where the zone stands after a step; @why says what to look for. */
static void print_state(struct demo *d, const char *title, const char *why)
{
	struct kslab_buddy_stats s;
	double ms = lap_ms(&d->phase_start);

	kslab_buddy_stats(&s);

	printf("\n== %s (took %.1f ms) ==\n", title, ms);
	if (why)
		printf("  %s\n", why);
	printf("  in use        %zu blocks, %.1f MiB\n", d->nr_live,
	       pages_mib(d->live_pages));
	printf("  process RSS   %.1f MiB\n", rss_mib());
	printf("  zone          %lu chunk%s: %.1f MiB managed, %.1f MiB free\n",
	       s.nr_chunks, s.nr_chunks == 1 ? "" : "s",
	       pages_mib(s.managed_pages), pages_mib(s.free_pages));
	printf("  chunks        %lu granted by mmap, %lu given back\n",
	       s.events.chunks_granted, s.events.chunks_released);
	printf("  blocks        %lu splits, %lu merges\n", s.events.splits, s.events.merges);
	print_buddyinfo();
	/* We are the default zone's only user: its books must match ours. */
	if (s.managed_pages - s.free_pages != d->live_pages) {
		printf("  MISMATCH: the zone counts %lu pages in use, we hold %lu\n",
		       s.managed_pages - s.free_pages, d->live_pages);
		d->accounting_errors++;
	}
	lap_ms(&d->phase_start);
}

/* A seeded xorshift: the same choices on every run. */
static unsigned long long next_random(unsigned long long *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static unsigned int next_order(struct demo *d)
{
	return (unsigned int)(next_random(&d->rng) % (DEMO_MAX_ORDER + 1));
}

/* What page @page of block @i holds: checked before the block is freed. */
static unsigned long page_tag(size_t i, unsigned long page)
{
	return ((unsigned long)i << 16) ^ page ^ 0xd3e0UL;
}

/* Write every page of block @i, or with @check count the pages that changed. */
static unsigned long touch_block(const struct demo *d, size_t i, bool check)
{
	const struct demo_block *b = &d->blocks[i];
	unsigned long page, bad = 0;

	for (page = 0; page < 1UL << b->order; page++) {
		unsigned long *word = (unsigned long *)
			((char *)b->addr + page * KSLAB_PAGE_SIZE);

		if (!check)
			*word = page_tag(i, page);
		else if (*word != page_tag(i, page))
			bad++;
	}
	return bad;
}

/* Allocate until the target is reached; a failure is counted and ends it. */
static void allocate_all(struct demo *d)
{
	size_t max = DEMO_TARGET_BYTES / KSLAB_PAGE_SIZE;

	d->blocks = calloc(max, sizeof(*d->blocks));
	if (!d->blocks) {
		d->failures++;
		return;
	}
	while (d->live_pages * KSLAB_PAGE_SIZE < DEMO_TARGET_BYTES &&
	       d->nr_blocks < max) {
		struct demo_block *b = &d->blocks[d->nr_blocks];

		b->order = next_order(d);
		b->addr = kslab_alloc_pages(GFP_KERNEL, b->order);
		if (!b->addr) {
			d->failures++;
			break;
		}
		touch_block(d, d->nr_blocks, false);
		d->nr_blocks++;
		d->nr_live++;
		d->live_pages += 1UL << b->order;
	}
}

static void free_block(struct demo *d, size_t i)
{
	struct demo_block *b = &d->blocks[i];

	if (!b->addr)
		return;
	d->corrupt_pages += touch_block(d, i, true);
	kslab_free_pages(b->addr, b->order);
	b->addr = NULL;
	d->nr_live--;
	d->live_pages -= 1UL << b->order;
}

/* Free the blocks at @first, @first + @step, ... */
static void free_every(struct demo *d, size_t first, size_t step)
{
	size_t i;

	for (i = first; i < d->nr_blocks; i += step)
		free_block(d, i);
}

/* The end state and the checker's verdict. Return: true if all is well. */
static bool buddy_verdict(struct demo *d)
{
	struct kslab_buddy_stats s;
	unsigned long problems;
	bool ok;

	kslab_buddy_stats(&s);
	printf("\n== verdict on the buddy allocator ==\n");
	printf("  allocation failures      %lu\n", d->failures);
	printf("  pages found overwritten  %lu\n", d->corrupt_pages);
	printf("  accounting mismatches    %lu\n", d->accounting_errors);
	printf("  chunks kept for reuse    %lu (the zone keeps up to %d)\n",
	       s.nr_chunks, KSLAB_KEEP_FREE_CHUNKS_DEFAULT);
	problems = kslab_zone_check(kslab_default_zone());
	printf("  kslab_zone_check()       %lu problems\n", problems);

	ok = !d->failures && !d->corrupt_pages && !d->accounting_errors &&
	     !problems && s.free_pages == s.managed_pages &&
	     s.nr_chunks <= KSLAB_KEEP_FREE_CHUNKS_DEFAULT;
	printf("  buddy allocator          %s\n", ok ? "OK" : "FAILED");
	return ok;
}

/* ---- part two: object caches ---- */

#define SLAB_DEMO_SEED		0x6f626a65637473ULL
#define INODE_SIZE		600
#define INODE_MAGIC		0x1a0dec0deUL
#define INODE_DEAD		0xdeadUL	/* what the destructor leaves */

/*
 * What the demo-inode constructor builds, as a file system's inode cache
 * would: a magic word, an empty list (pointing at itself), a use count
 * and a busy flag. A user may change the payload and the count but hands
 * the object back with busy clear and the list empty, so the next user
 * gets it constructed without the constructor running again.
 */
struct demo_inode {
	unsigned long magic;
	struct demo_inode *list;
	unsigned long uses;		/* survives each free: proves reuse */
	unsigned long busy;
	unsigned long payload[(INODE_SIZE - 4 * sizeof(unsigned long)) /
			      sizeof(unsigned long)];
};

_Static_assert(sizeof(struct demo_inode) == INODE_SIZE,
	       "demo-inode objects are 600 bytes");

/* Slabs are made and given back by whichever thread needs it: atomics. */
static unsigned long inode_ctor_calls;
static unsigned long inode_dtor_calls;
static unsigned long inode_dtor_unclean;

static void inode_ctor(void *obj)
{
	struct demo_inode *inode = obj;

	inode->magic = INODE_MAGIC;
	inode->list = inode;
	inode->uses = 0;
	inode->busy = 0;
	__atomic_fetch_add(&inode_ctor_calls, 1, __ATOMIC_RELAXED);
}

/* Runs as the slab goes back: each object must be as its last user left it. */
static void inode_dtor(void *obj)
{
	struct demo_inode *inode = obj;

	if (inode->magic != INODE_MAGIC || inode->list != inode || inode->busy)
		__atomic_fetch_add(&inode_dtor_unclean, 1, __ATOMIC_RELAXED);
	inode->magic = INODE_DEAD;
	__atomic_fetch_add(&inode_dtor_calls, 1, __ATOMIC_RELAXED);
}

static bool inode_constructed(const struct demo_inode *inode)
{
	return inode->magic == INODE_MAGIC && inode->list == inode &&
	       !inode->busy;
}

enum { DEMO_INODE, DEMO_DENTRY, DEMO_BUFFER, NR_DEMO_CACHES };

static const struct demo_cache_spec {
	const char *name;
	unsigned int size;
	size_t count;
	void (*ctor)(void *obj);
	void (*dtor)(void *obj);
} cache_specs[NR_DEMO_CACHES] = {
	[DEMO_INODE]  = { "demo-inode",  INODE_SIZE, 30000, inode_ctor, inode_dtor },
	[DEMO_DENTRY] = { "demo-dentry", 192,        60000, NULL, NULL },
	[DEMO_BUFFER] = { "demo-buffer", 4096,        5000, NULL, NULL },
};

struct demo_object {
	void *addr;
	unsigned int cache;
};

struct slab_demo {
	struct kslab_cache *caches[NR_DEMO_CACHES];
	struct demo_object *objs;
	size_t *order;			/* a random permutation of objs */
	size_t nr_objs;
	unsigned long failures;
	unsigned long corrupt;		/* objects found changed; atomic */
	unsigned long accounting_errors;
	unsigned long reused;		/* allocations that got a used inode */
	unsigned long reports_before;
	bool legend_shown;
	unsigned long long rng;
	struct timespec phase_start;
};

/* What object @i holds in its first and last payload words while allocated. */
static unsigned long object_tag(size_t i)
{
	return ((unsigned long)i << 20) ^ 0x0b1ec7UL;
}

static void object_ends(const struct demo_object *o, unsigned long **first,
			unsigned long **last)
{
	if (o->cache == DEMO_INODE) {
		struct demo_inode *inode = o->addr;

		*first = &inode->payload[0];
		*last = &inode->payload[sizeof(inode->payload) / sizeof(inode->payload[0]) - 1];
	} else {
		*first = o->addr;
		*last = (unsigned long *)((char *)o->addr +
					  cache_specs[o->cache].size) - 1;
	}
}

/* Allocate object @i, check the state it came in, and use it. */
static bool object_take(struct slab_demo *sd, size_t i)
{
	struct demo_object *o = &sd->objs[i];
	unsigned long *first, *last;

	o->addr = kslab_cache_alloc(sd->caches[o->cache], GFP_KERNEL);
	if (!o->addr) {
		sd->failures++;
		return false;
	}
	if (o->cache == DEMO_INODE) {
		struct demo_inode *inode = o->addr;

		if (!inode_constructed(inode))
			__atomic_fetch_add(&sd->corrupt, 1, __ATOMIC_RELAXED);
		if (inode->uses++)
			sd->reused++;
		inode->busy = 1;
	}
	object_ends(o, &first, &last);
	*first = object_tag(i);
	*last = object_tag(i);
	return true;
}

/* Check object @i's tags, restore its constructed state and free it. */
static void object_release(struct slab_demo *sd, size_t i)
{
	struct demo_object *o = &sd->objs[i];
	unsigned long *first, *last;

	if (!o->addr)
		return;
	object_ends(o, &first, &last);
	if (*first != object_tag(i) || *last != object_tag(i))
		__atomic_fetch_add(&sd->corrupt, 1, __ATOMIC_RELAXED);
	if (o->cache == DEMO_INODE)
		((struct demo_inode *)o->addr)->busy = 0;
	kslab_cache_free(sd->caches[o->cache], o->addr);
	o->addr = NULL;
}

static void free_every_other(struct slab_demo *sd, size_t from, size_t to)
{
	size_t k;

	for (k = from; k < to; k += 2)
		object_release(sd, sd->order[k]);
}

struct free_worker {
	struct slab_demo *sd;
	size_t from;
	size_t to;
	pthread_barrier_t *start;
};

static void *free_worker_main(void *arg)
{
	struct free_worker *w = arg;

	pthread_barrier_wait(w->start);
	free_every_other(w->sd, w->from + 1, w->to);
	return NULL;
}

/*
 * Free order[from .. to) from two threads at once, taking turns object by
 * object, so half the frees come from a thread that never allocated: they
 * land in the magazines of whichever CPU that thread runs on.
 */
static void free_shared(struct slab_demo *sd, size_t from, size_t to)
{
	pthread_barrier_t start;
	struct free_worker w = { .sd = sd, .from = from, .to = to,
				 .start = &start };
	pthread_t thread;
	bool started;

	pthread_barrier_init(&start, NULL, 2);
	started = !pthread_create(&thread, NULL, free_worker_main, &w);
	if (started)
		pthread_barrier_wait(&start);
	else
		free_every_other(sd, from + 1, to);	/* its half, then ours */
	free_every_other(sd, from, to);
	if (started)
		pthread_join(thread, NULL);
	pthread_barrier_destroy(&start);
}

/*
 * The share of allocations (or frees) a CPU's own magazines served, as
 * "93.3%", or "-" before there were any.
 */
static const char *hit_rate(char buf[16], const struct kslab_cache_stats *st,
			    bool frees)
{
	unsigned long hit = frees ? st->magazine.free_hit + st->magazine.free_swap :
				    st->magazine.alloc_hit + st->magazine.alloc_swap;
	unsigned long miss = frees ? st->magazine.free_miss : st->magazine.alloc_miss;

	if (!(hit + miss))
		return "-";
	snprintf(buf, 16, "%.1f%%", 100.0 * (double)hit / (double)(hit + miss));
	return buf;
}

static void print_layout(struct slab_demo *sd)
{
	unsigned int c;

	printf("  %-12s %7s %7s %13s %9s %8s %9s\n", "cache", "object",
	       "stride", "objects/slab", "header", "colours", "magazine");
	for (c = 0; c < NR_DEMO_CACHES; c++) {
		struct kslab_cache_stats st;

		kslab_cache_stats(sd->caches[c], &st);
		printf("  %-12s %5lu B %5lu B %6lu in %lu pg %9s %8lu %6lu obj\n",
		       cache_specs[c].name, st.object_size, st.size,
		       st.objs_per_slab, st.pages_per_slab,
		       st.off_slab ? "off slab" : "on slab", st.colours,
		       st.magazine_size);
	}
}

/* Objects of cache @c the demo holds now. */
static unsigned long objects_held(const struct slab_demo *sd, unsigned int c)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < sd->nr_objs; i++)
		if (sd->objs[i].cache == c && sd->objs[i].addr)
			n++;
	return n;
}

/* Where each cache's objects are, and whether the cache's books agree. */
static void print_caches(struct slab_demo *sd)
{
	unsigned int c;

	printf("  %-12s %7s %8s %9s %6s %7s %9s %8s\n", "cache", "held",
	       "cached", "free", "slabs", "MiB", "alloc hit", "free hit");
	for (c = 0; c < NR_DEMO_CACHES; c++) {
		unsigned long held = objects_held(sd, c);
		struct kslab_cache_stats st;
		char ahit[16], fhit[16];

		kslab_cache_stats(sd->caches[c], &st);
		printf("  %-12s %7lu %8lu %9lu %6lu %7.1f %9s %8s\n",
		       cache_specs[c].name, held, st.magazine_objs,
		       st.num_objs - st.active_objs, st.num_slabs,
		       pages_mib(st.num_slabs * st.pages_per_slab),
		       hit_rate(ahit, &st, false), hit_rate(fhit, &st, true));
		/* Out of the slabs means held by us or cached in a magazine. */
		if (held + st.magazine_objs != st.active_objs) {
			printf("  MISMATCH: %s counts %lu objects out, we hold %lu and magazines %lu\n",
			       cache_specs[c].name, st.active_objs, held,
			       st.magazine_objs);
			sd->accounting_errors++;
		}
	}
}

static void print_slab_state(struct slab_demo *sd, const char *title,
			     const char *why)
{
	printf("\n== %s (took %.1f ms) ==\n", title, lap_ms(&sd->phase_start));
	if (why)
		printf("  %s\n", why);
	print_caches(sd);
	if (!sd->legend_shown)
		printf("  (held: by the demo; cached: in per-CPU magazines and the depot;\n"
		       "   free: in the slabs)\n");
	sd->legend_shown = true;
	printf("  demo-inode constructor ran %lu times, destructor %lu times\n",
	       inode_ctor_calls, inode_dtor_calls);
	printf("  process RSS   %.1f MiB\n", rss_mib());
}

/* Frees per CPU, from the per-CPU counters: where the two threads ran. */
static void print_cpu_frees(struct slab_demo *sd, unsigned int c)
{
	unsigned int cpu, shown = 0;

	printf("  %s frees by CPU:", cache_specs[c].name);
	for (cpu = 0; cpu < kslab_nr_cpus() && shown < 8; cpu++) {
		struct kslab_cache_stats st;
		unsigned long frees;

		kslab_cache_cpu_stats(sd->caches[c], cpu, &st);
		frees = st.magazine.free_hit + st.magazine.free_swap + st.magazine.free_miss;
		if (frees) {
			printf(" cpu%u %lu", cpu, frees);
			shown++;
		}
	}
	printf("\n");
}

static bool slab_demo_setup(struct slab_demo *sd)
{
	size_t i, k = 0;
	unsigned int c;

	for (c = 0; c < NR_DEMO_CACHES; c++)
		sd->nr_objs += cache_specs[c].count;
	sd->objs = calloc(sd->nr_objs, sizeof(*sd->objs));
	sd->order = calloc(sd->nr_objs, sizeof(*sd->order));
	if (!sd->objs || !sd->order)
		return false;
	for (c = 0; c < NR_DEMO_CACHES; c++) {
		struct kslab_cache_args args = {
			.ctor = cache_specs[c].ctor,
			.dtor = cache_specs[c].dtor,
		};

		sd->caches[c] = kslab_cache_create(cache_specs[c].name,
						   cache_specs[c].size, &args, 0);
		if (!sd->caches[c])
			return false;
		for (i = 0; i < cache_specs[c].count; i++)
			sd->objs[k++].cache = c;
	}
	/* A random order for the frees: Fisher-Yates over the indices. */
	for (i = 0; i < sd->nr_objs; i++)
		sd->order[i] = i;
	for (i = sd->nr_objs - 1; i > 0; i--) {
		size_t j = next_random(&sd->rng) % (i + 1), t = sd->order[i];

		sd->order[i] = sd->order[j];
		sd->order[j] = t;
	}
	return true;
}

/* Shrink each cache, showing what comes back. */
static void shrink_all(struct slab_demo *sd)
{
	struct kslab_buddy_stats before, after;
	unsigned int c;

	kslab_buddy_stats(&before);
	lap_ms(&sd->phase_start);
	printf("\n== 10. kslab_cache_shrink() on each cache ==\n");
	printf("  Shrinking flushes every CPU's magazines and the depot into the\n"
	       "  slabs, runs the destructor on the objects of each slab that is now\n"
	       "  empty and gives those slabs to the buddy allocator, which gives\n"
	       "  every wholly free 4 MiB chunk beyond the one it keeps to the system.\n");
	for (c = 0; c < NR_DEMO_CACHES; c++) {
		double rss = rss_mib();
		int pages = kslab_cache_shrink(sd->caches[c]);

		printf("  %-12s %5d pages returned (%4.1f MiB) in %4.1f ms, RSS %5.1f -> %5.1f MiB\n",
		       cache_specs[c].name, pages, pages_mib((unsigned long)pages),
		       lap_ms(&sd->phase_start), rss, rss_mib());
	}
	kslab_buddy_stats(&after);
	printf("  zone: %lu chunks given back to the system; %lu kept, with %lu of\n"
	       "  their %lu pages free. Besides the spare chunk, the kept ones hold\n"
	       "  the few empty slabs kslab's internal caches (magazines, off-slab\n"
	       "  headers) keep for reuse; freed pages in a kept chunk stay resident.\n",
	       after.events.chunks_released - before.events.chunks_released,
	       after.nr_chunks, after.free_pages, after.managed_pages);
	printf("  demo-inode destructor ran %lu times, once for each object its\n"
	       "  constructor made (%lu)\n", inode_dtor_calls, inode_ctor_calls);
	print_caches(sd);
}

/* Check, destroy and judge. Return: true if all is well. */
static bool slab_verdict(struct slab_demo *sd)
{
	unsigned long problems = 0, slabs_left = 0, expect_ctor, expect_dtor;
	unsigned long reports, zone_problems;
	struct kslab_cache_stats inode;
	unsigned int c;
	bool ok;

	printf("\n== 11. verdict on the object caches ==\n");
	kslab_cache_stats(sd->caches[DEMO_INODE], &inode);
	expect_ctor = inode.slab_grows * inode.objs_per_slab;
	expect_dtor = inode.slab_frees * inode.objs_per_slab;
	for (c = 0; c < NR_DEMO_CACHES; c++) {
		struct kslab_cache_stats st;

		kslab_cache_stats(sd->caches[c], &st);
		slabs_left += st.num_slabs;
		problems += kslab_cache_check(sd->caches[c]);
		kslab_cache_destroy(sd->caches[c]);
		sd->caches[c] = NULL;
	}
	zone_problems = kslab_zone_check(kslab_default_zone());
	reports = kslab_report_count() - sd->reports_before;

	printf("  allocation failures        %lu\n", sd->failures);
	printf("  objects found changed      %lu\n", sd->corrupt);
	printf("  accounting mismatches      %lu\n", sd->accounting_errors);
	printf("  constructor calls          %lu (%lu slabs made x %lu objects)\n",
	       inode_ctor_calls, inode.slab_grows, inode.objs_per_slab);
	printf("  destructor calls           %lu (%lu slabs given back x %lu), %lu unclean\n",
	       inode_dtor_calls, inode.slab_frees, inode.objs_per_slab,
	       inode_dtor_unclean);
	printf("  slabs left after shrink    %lu\n", slabs_left);
	printf("  kslab_cache_check()        %lu problems\n", problems);
	printf("  kslab_zone_check()         %lu problems\n", zone_problems);
	printf("  kslab reports              %lu\n", reports);

	ok = !sd->failures && !sd->corrupt && !sd->accounting_errors &&
	     inode_ctor_calls == expect_ctor && inode_dtor_calls == expect_dtor &&
	     !inode_dtor_unclean && !slabs_left && !problems && !zone_problems &&
	     !reports;
	printf("  object caches              %s\n", ok ? "OK" : "FAILED");
	return ok;
}

/* Part two. Return: true if every check passed. */
static bool slab_demo(void)
{
	struct slab_demo sd = { .rng = SLAB_DEMO_SEED };
	size_t i, n_free, n_back;
	char title[128];
	bool ok = false;

	printf("\nkslab-demo: object caches on top of the buddy allocator\n");
	clock_gettime(CLOCK_MONOTONIC, &sd.phase_start);
	sd.reports_before = kslab_report_count();
	if (!slab_demo_setup(&sd)) {
		printf("  could not set up the caches\n");
		goto out;
	}
	printf("\n== 5. created three caches (took %.1f ms) ==\n",
	       lap_ms(&sd.phase_start));
	printf("  Each cache cuts buddy blocks into slabs of equal objects. Small\n"
	       "  objects keep the slab header on the slab; page-sized ones keep it\n"
	       "  off the slab so the page holds objects only. Leftover bytes become\n"
	       "  colours: each new slab starts its objects one cache line further.\n");
	print_layout(&sd);
	printf("  process RSS   %.1f MiB\n", rss_mib());

	for (i = 0; i < sd.nr_objs; i++)
		if (!object_take(&sd, i))
			break;
	snprintf(title, sizeof(title), "6. allocated %zu objects", i);
	print_slab_state(&sd, title, "The caches grew slab by slab; the inode "
			 "constructor ran once for each object\n  of each new "
			 "slab, not on each allocation. A magazine miss fetched a "
			 "whole\n  magazine of objects from the slabs, so most "
			 "allocations still hit.");

	n_free = sd.nr_objs / 4 * 3;
	free_shared(&sd, 0, n_free);
	snprintf(title, sizeof(title),
		 "7. freed %zu objects in random order, from two threads", n_free);
	print_slab_state(&sd, title, "Frees go into the freeing CPU's magazines, "
			 "full magazines into the depot.\n  The slabs still count "
			 "those objects as out: RSS stays.");
	print_cpu_frees(&sd, DEMO_DENTRY);

	n_back = sd.nr_objs / 4;
	for (i = 0; i < n_back; i++)
		if (!object_take(&sd, sd.order[i]))
			break;
	snprintf(title, sizeof(title), "8. allocated %zu objects back", n_back);
	print_slab_state(&sd, title, "Served from the magazines: no new slab, no "
			 "constructor call.");
	printf("  %lu of the inodes handed out had been used before and came\n"
	       "  back in their constructed state\n", sd.reused);
	printf("\n  kslab_slabinfo_format(), the text /proc/slabinfo would show\n"
	       "  (build/tools/slabinfo FILE turns it into a table):\n");
	print_info(kslab_slabinfo_format);
	print_buddyinfo();

	free_shared(&sd, 0, sd.nr_objs);
	print_slab_state(&sd, "9. freed every object, from two threads",
			 "Every object is cached in a magazine now, ready for the "
			 "next allocation:\n  the memory is still the caches'.");

	shrink_all(&sd);
	ok = slab_verdict(&sd);
out:
	for (i = 0; i < NR_DEMO_CACHES; i++)
		kslab_cache_destroy(sd.caches[i]);
	free(sd.objs);
	free(sd.order);
	return ok;
}

int main(void)
{
	struct demo d = { .rng = DEMO_SEED };
	char title[128];
	bool ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("kslab-demo: the buddy allocator on the default zone\n");
	printf("  blocks of order 0-%d (%lu KiB to %lu KiB), chunks of %lu MiB\n",
	       DEMO_MAX_ORDER, KSLAB_PAGE_SIZE >> 10,
	       (KSLAB_PAGE_SIZE << DEMO_MAX_ORDER) >> 10, (KSLAB_PAGE_SIZE << KSLAB_MAX_ORDER) >> 20);

	clock_gettime(CLOCK_MONOTONIC, &d.phase_start);
	print_state(&d, "1. start", "The zone is empty: it takes chunks from "
		    "mmap only when asked for memory.");

	allocate_all(&d);
	snprintf(title, sizeof(title), "2. allocated %zu blocks, every page written",
		 d.nr_blocks);
	print_state(&d, title, "Chunks are split into smaller blocks on demand; "
		    "RSS follows what was written.");

	free_every(&d, 0, 2);
	print_state(&d, "3. freed every other block", "Fragmentation: most freed "
		    "blocks sit between live ones and cannot merge,\n  so the "
		    "free lists fill with blocks of every size. Only a wholly "
		    "free\n  chunk goes back to the system: RSS stays.");

	free_every(&d, 1, 2);
	print_state(&d, "4. freed the rest", "Every block merged with its buddy "
		    "back into whole chunks; all but the\n  kept ones went back "
		    "to the system and RSS fell.");

	ok = buddy_verdict(&d);
	free(d.blocks);
	ok = slab_demo() && ok;
	printf("\n%s\n", ok ? "OK" : "FAILED");
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
