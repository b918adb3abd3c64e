// SPDX-License-Identifier: GPL-2.0
/*
 * Sampled heap profiles (Documentation/profiling.rst): about one
 * allocation in every sample_rate bytes allocated, with the stack it was
 * made from, kept while it lives; written in the text format of
 * gperftools' heap profiles ("heap_v2"), which pprof reads and scales
 * back up by the sampling rate. Each stack's line holds what it has live
 * now and what it has allocated since sampling started.
 *
 * Rides on the allocation profile (mm/profile.c): a sampled object's site
 * number in its slab's vector is a sample record's number with
 * KSLAB_SAMPLED set, and the record keeps the site.
 *
 * Owns the sampling distance per CPU, the stack buckets and the sample
 * records. Lock order: the tables are made under kslab_caches_lock;
 * samples_lock alone, never held while the stack is read (which may
 * fault pages in) or anything else is taken (but by fork(), through
 * kslab_profile_lock()).
 */
#include <kslab/profile.h>

#include "check.h"
#include "fault.h"
#include "profile.h"
#include "slab.h"

#define BUCKETS		2048U	/* a power of two */
#define RECORDS		(KSLAB_SAMPLED - 1U)
#define RECORD_NONE	0U	/* record 0 is never used: free list's end */

/* The allocations of one stack that were sampled. */
struct bucket {
	unsigned long hash;	/* 0: free */
	unsigned int depth;
	unsigned long stack[KSLAB_STACK_DEPTH];
	unsigned long alloc_count, alloc_bytes;
	unsigned long live_count, live_bytes;
};

/* A live sample: its bucket, its bytes, its site; or the next free one. */
struct record {
	unsigned int bucket;
	unsigned int site_or_next;
	unsigned long bytes;
};

/* Bytes allocated on a CPU before its next sample, and its random state. */
struct cpu_sampler {
	struct kslab_atomic left;
	unsigned long rng;
};

unsigned long kslab_sample_rate;

static struct bucket *buckets;
static struct record *records;
static unsigned int free_record;
static struct cpu_sampler *samplers;
static KSLAB_DEFINE_SPINLOCK(samples_lock);

/*
 * log2(@x) in 16.16 fixed point: the exponent, and log2(1 + f) of the
 * mantissa f as f + 0.34 f (1 - f), within 0.005. The mantissa alone
 * would be 0.06 low on average, and the samples 4% too few.
 */
static unsigned long log2_fixed(unsigned long x)
{
	unsigned int msb = 63 - (unsigned int)__builtin_clzl(x);
	unsigned long frac = msb >= 16 ? (x >> (msb - 16)) & 0xffff :
					 (x << (16 - msb)) & 0xffff;
	unsigned long bend = ((frac * (0x10000 - frac)) >> 16) * 22282 >> 16;

	return ((unsigned long)msb << 16) + frac + bend;
}

/*
 * The distance to the next sample: exponential with mean @rate, as a
 * Poisson process's gaps are, which pprof's scaling assumes. -ln(u) for
 * a uniform u in (0, 1] is ln 2 * (32 - log2(r)) for r uniform in
 * [1, 2^32]; no floating point, which the kernel forbids.
 */
static long next_distance(struct cpu_sampler *s, unsigned long rate)
{
	unsigned long r, bits;

	/* xorshift64: cheap, and good enough to space samples. */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	r = (s->rng & 0xffffffffUL) + 1;
	bits = (32UL << 16) - log2_fixed(r);
	/* 45426 / 65536 = ln 2; bits < 2^22, so rate may be up to 2^26. */
	return (long)((rate * ((bits * 45426UL) >> 16)) >> 16) + 1;
}

/* The tables @made (buckets, made or not) and the rest given back. */
static void tables_free(struct bucket *made)
{
	kslab_env_meta_free(samplers, kslab_nr_cpus() * sizeof(*samplers));
	kslab_env_meta_free(records, (RECORDS + 1) * sizeof(*records));
	kslab_env_meta_free(made, BUCKETS * sizeof(*buckets));
	samplers = NULL;
	records = NULL;
}

/**
 * kslab_sample_tables() - make the sampling tables, if not made yet
 * @rate: the distance the first ones are drawn with
 *
 * Under kslab_caches_lock, which orders every start.
 * Return: 0, or -1 without memory.
 */
int kslab_sample_tables(unsigned long rate)
{
	size_t cpus = kslab_nr_cpus(), i;
	struct bucket *made;

	if (buckets)
		return 0;
	made = kslab_meta_alloc(BUCKETS * sizeof(*buckets), GFP_KERNEL);
	records = kslab_meta_alloc((RECORDS + 1) * sizeof(*records), GFP_KERNEL);
	samplers = kslab_meta_alloc(cpus * sizeof(*samplers), GFP_KERNEL);
	if (!made || !records || !samplers)
		goto fail;
	for (i = 1; i < RECORDS; i++)
		records[i].site_or_next = (unsigned int)i + 1;
	free_record = 1;
	for (i = 0; i < cpus; i++) {
		samplers[i].rng = kslab_env_random() | 1;
		kslab_atomic_set(&samplers[i].left,
				 next_distance(&samplers[i], rate));
	}
	kslab_store_release(&buckets, made);
	return 0;
fail:
	tables_free(made);
	return -1;
}

int kslab_profile_sample(unsigned long rate)
{
	int ret = 0;

	if (rate > KSLAB_SAMPLE_RATE_MAX)
		return -1;
	if (rate) {
		kslab_mutex_lock(&kslab_caches_lock);
		ret = kslab_sample_tables(rate) ? -1 :
						   kslab_profile_start_locked();
		kslab_mutex_unlock(&kslab_caches_lock);
	}
	if (!ret)
		kslab_store_release(&kslab_sample_rate, rate);
	return ret;
}

/* At kslab_shutdown(), under kslab_caches_lock: kslab_profile_exit(). */
void kslab_sample_exit(void)
{
	KSLAB_WRITE_ONCE(kslab_sample_rate, 0UL);
	if (!buckets)
		return;
	tables_free(buckets);
	buckets = NULL;
}

/* samples_lock, for fork(): kslab_profile_lock(). */
void kslab_sample_lock(void)
{
	kslab_spin_lock(&samples_lock);
}

void kslab_sample_unlock(void)
{
	kslab_spin_unlock(&samples_lock);
}

/*
 * Count @bytes against this CPU's distance. Return: true if a sample is
 * due, the next distance drawn. Two threads on one CPU may both cross
 * zero: both are sampled, and the distance is drawn twice.
 */
bool kslab_sample_due(size_t bytes)
{
	struct cpu_sampler *s = &samplers[kslab_cpu_id()];
	unsigned long rate = KSLAB_READ_ONCE(kslab_sample_rate);

	if (kslab_likely(kslab_atomic_add_return(&s->left, -(long)bytes) > 0))
		return false;
	if (rate)
		kslab_atomic_set(&s->left, next_distance(s, rate));
	return rate != 0;
}

static unsigned long stack_hash(const unsigned long *stack, unsigned int depth)
{
	unsigned long h = depth;
	unsigned int i;

	for (i = 0; i < depth; i++)
		h = (h ^ stack[i]) * 0x9e3779b97f4a7c15UL;
	return h | 1;	/* never 0, a free bucket's */
}

/* The bucket of @stack, made if new. Under samples_lock. */
static struct bucket *bucket_of(const unsigned long *stack, unsigned int depth)
{
	unsigned long hash = stack_hash(stack, depth);
	unsigned int slot = (unsigned int)(hash >> 40) & (BUCKETS - 1), probes;

	for (probes = 0; probes < BUCKETS; probes++,
	     slot = (slot + 1) & (BUCKETS - 1)) {
		struct bucket *b = &buckets[slot];

		if (!b->hash) {
			b->hash = hash;
			b->depth = depth;
			kslab_memcpy(b->stack, stack, depth * sizeof(*stack));
			return b;
		}
		if (b->hash == hash && b->depth == depth &&
		    !kslab_memcmp(b->stack, stack, depth * sizeof(*stack)))
			return b;
	}
	return NULL;
}

unsigned int kslab_sample_take(unsigned int site, size_t bytes,
			       unsigned long caller)
{
	unsigned long stack[KSLAB_STACK_DEPTH + KSLAB_STACK_SKIP_MAX];
	unsigned int depth, first = 0, rec = RECORD_NONE;
	/* With no room for a bucket or a record, counted but not sampled. */
	struct bucket *b;

	/* From the allocation's caller on: kslab's own frames left out. */
	depth = kslab_env_stack(stack, KSLAB_ARRAY_SIZE(stack));
	while (first < depth && first < KSLAB_STACK_SKIP_MAX &&
	       stack[first] != caller)
		first++;
	if (first == depth || first == KSLAB_STACK_SKIP_MAX) {
		stack[0] = caller;	/* no unwinder or no match: the site */
		first = 0;
		depth = 1;
	}
	depth -= first;
	if (depth > KSLAB_STACK_DEPTH)
		depth = KSLAB_STACK_DEPTH;

	kslab_spin_lock(&samples_lock);
	b = bucket_of(stack + first, depth);
	if (b && free_record != RECORD_NONE) {
		rec = free_record;
		free_record = records[rec].site_or_next;
		records[rec].bucket = (unsigned int)(b - buckets);
		records[rec].site_or_next = site;
		records[rec].bytes = bytes;
		b->alloc_count++;
		b->alloc_bytes += bytes;
		b->live_count++;
		b->live_bytes += bytes;
	}
	kslab_spin_unlock(&samples_lock);
	return rec == RECORD_NONE ? site : KSLAB_SAMPLED | rec;
}

unsigned int kslab_sample_free(unsigned int entry)
{
	unsigned int rec = entry & ~KSLAB_SAMPLED, site;
	struct bucket *b;

	kslab_spin_lock(&samples_lock);
	b = &buckets[records[rec].bucket];
	b->live_count--;
	b->live_bytes -= records[rec].bytes;
	site = records[rec].site_or_next;
	records[rec].site_or_next = free_record;
	free_record = rec;
	kslab_spin_unlock(&samples_lock);
	return site;
}

static size_t bucket_line(char *buf, size_t size, size_t len,
			  const struct bucket *b)
{
	unsigned int i;

	len = kslab_append(buf, size, len, "%lu: %lu [%lu: %lu] @",
			   b->live_count, b->live_bytes, b->alloc_count,
			   b->alloc_bytes);
	for (i = 0; i < b->depth; i++)
		len = kslab_append(buf, size, len, " %#lx", b->stack[i]);
	return kslab_append(buf, size, len, "\n");
}

size_t kslab_heap_profile_format(char *buf, size_t size)
{
	struct bucket total = { 0 };
	unsigned int i;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	if (!kslab_load_acquire(&buckets))
		return 0;
	/* A consistent picture: lines and totals from one hold of the lock. */
	kslab_spin_lock(&samples_lock);
	for (i = 0; i < BUCKETS; i++) {
		total.live_count += buckets[i].live_count;
		total.live_bytes += buckets[i].live_bytes;
		total.alloc_count += buckets[i].alloc_count;
		total.alloc_bytes += buckets[i].alloc_bytes;
	}
	len = kslab_append(buf, size, len,
			   "heap profile: %lu: %lu [%lu: %lu] @ heap_v2/%lu\n",
			   total.live_count, total.live_bytes,
			   total.alloc_count, total.alloc_bytes,
			   KSLAB_READ_ONCE(kslab_sample_rate));
	for (i = 0; i < BUCKETS; i++)
		if (buckets[i].hash)
			len = bucket_line(buf, size, len, &buckets[i]);
	kslab_spin_unlock(&samples_lock);
	return len;
}
