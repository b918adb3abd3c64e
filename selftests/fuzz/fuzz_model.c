// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz target's model of kslab: every allocation it holds (address,
 * size, owner, pattern), every cache it made, and the checks that hold
 * kslab to it. Any mismatch is fatal: fuzz_fail() says which operation
 * found what, then aborts, which libFuzzer reports as a crash and the
 * replay test as a failed seed.
 *
 * Each allocation carries a pattern seeded by its own number, so an
 * object handed out twice, overwritten by a neighbour or moved without
 * its contents shows at its next check. Objects of caches with a
 * constructor carry the constructor's pattern while free: the model puts
 * it back before each free, the allocator must hand it out again, and the
 * destructor checks it on every object of a slab that goes back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kslab/buddy.h>

#include "../../mm/kmalloc.h"
#include "fuzz.h"

/* Areas up to this size carry their pattern whole. */
#define DENSE_BYTES	(16UL << 10)
/* Beyond it: both edges of each page, and of the area, this wide. */
#define EDGE_BYTES	16
/* The pattern seed of constructed objects. */
#define CTOR_SEED	0xc7

const unsigned int fuzz_cache_sizes[FUZZ_NR_SIZES] = {
	1, 8, 24, 64, 96, 200, 512, 1000, 4096, 5000, 20000,
	KSLAB_MAX_OBJECT_SIZE,
};

static unsigned long ctor_calls, dtor_calls;

void fuzz_fail(const struct fuzz_model *m, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: operation %lu (%s): ", m->nr_ops,
		fuzz_op_name(m->op));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

enum span_op { SPAN_WRITE, SPAN_CHECK, SPAN_ZERO };

/* @op on the bytes of [@lo, @hi) within [@from, @to). Return: bytes wrong. */
static size_t segment(unsigned char *p, size_t from, size_t to, size_t lo,
		      size_t hi, size_t seed, enum span_op op)
{
	size_t a = lo > from ? lo : from, b = hi < to ? hi : to, i, bad = 0;

	if (a >= b)
		return 0;
	if (op != SPAN_ZERO)	/* the byte at a + i is (a + i) * 13 + seed */
		return pattern(p + a, b - a, seed + a * 13, op == SPAN_CHECK);
	for (i = a; i < b; i++)
		bad += p[i] != 0;
	return bad;
}

/*
 * @op on the bytes of an area of @size at @p that carry its pattern, as
 * far as they lie in [@from, @to): all of them in a small area; in a big
 * one the first DENSE_BYTES, both edges of every page, and the last
 * EDGE_BYTES. Which bytes those are depends on @size alone, so a prefix
 * of the area is checked with the same @size it was written with.
 * Return: bytes wrong.
 */
static size_t span(unsigned char *p, size_t size, size_t from, size_t to,
		   size_t seed, enum span_op op)
{
	size_t page, bad;

	if (size <= DENSE_BYTES)
		return segment(p, from, to, 0, size, seed, op);
	bad = segment(p, from, to, 0, DENSE_BYTES, seed, op);
	for (page = DENSE_BYTES; page < size; page += KSLAB_PAGE_SIZE) {
		bad += segment(p, from, to, page, page + EDGE_BYTES, seed, op);
		bad += segment(p, from, to, page + KSLAB_PAGE_SIZE - EDGE_BYTES,
			       page + KSLAB_PAGE_SIZE, seed, op);
	}
	return bad + segment(p, from, to, size - EDGE_BYTES, size, seed, op);
}

bool fuzz_is_ctor_state(unsigned char *p, size_t size)
{
	return !span(p, size, 0, size, CTOR_SEED, SPAN_CHECK);
}

static void ctor_run(void *obj, unsigned int index)
{
	unsigned int size = fuzz_cache_sizes[index];

	span(obj, size, 0, size, CTOR_SEED, SPAN_WRITE);
	ctor_calls++;
}

/* Every object of a slab that goes back is free, so constructed. */
static void dtor_run(void *obj, unsigned int index)
{
	if (!fuzz_is_ctor_state(obj, fuzz_cache_sizes[index])) {
		fprintf(stderr, "fuzz: destructor: object %p of %u bytes is not in its constructed state\n",
			obj, fuzz_cache_sizes[index]);
		abort();
	}
	dtor_calls++;
}

/* A constructor and a destructor per size: neither is told the size. */
#define FUZZ_CTOR_DTOR(i)						\
	static void ctor_##i(void *obj) { ctor_run(obj, i); }		\
	static void dtor_##i(void *obj) { dtor_run(obj, i); }
FUZZ_CTOR_DTOR(0) FUZZ_CTOR_DTOR(1) FUZZ_CTOR_DTOR(2) FUZZ_CTOR_DTOR(3)
FUZZ_CTOR_DTOR(4) FUZZ_CTOR_DTOR(5) FUZZ_CTOR_DTOR(6) FUZZ_CTOR_DTOR(7)
FUZZ_CTOR_DTOR(8) FUZZ_CTOR_DTOR(9) FUZZ_CTOR_DTOR(10) FUZZ_CTOR_DTOR(11)

void (*const fuzz_ctors[FUZZ_NR_SIZES])(void *obj) = {
	ctor_0, ctor_1, ctor_2, ctor_3, ctor_4, ctor_5,
	ctor_6, ctor_7, ctor_8, ctor_9, ctor_10, ctor_11,
};

void (*const fuzz_dtors[FUZZ_NR_SIZES])(void *obj) = {
	dtor_0, dtor_1, dtor_2, dtor_3, dtor_4, dtor_5,
	dtor_6, dtor_7, dtor_8, dtor_9, dtor_10, dtor_11,
};

/* Fail if [@p, @p + @len) overlaps an allocation of the model but @self. */
static void check_disjoint(const struct fuzz_model *m, const void *p,
			   size_t len, const struct fuzz_obj *self)
{
	const char *a = p;
	unsigned int i;

	for (i = 0; i < m->nr_objs; i++) {
		const struct fuzz_obj *o = &m->objs[i];
		const char *b = (const char *)o->p;

		if (o != self && a < b + o->usable && b < a + len)
			fuzz_fail(m, "%p (%zu bytes) overlaps %p (%zu bytes), which is still allocated",
				  p, len, o->p, o->usable);
	}
}

/* kmalloc memory: its size class, remembered so the end can shrink it. */
static struct kslab_cache *note_class(struct fuzz_model *m, const void *p)
{
	struct kslab_slab *slab = kslab_obj_to_slab(p);
	unsigned int i;

	if (!slab)
		return NULL;
	if (!str_starts_with(kslab_cache_name(slab->cache), "kmalloc-"))
		fuzz_fail(m, "kmalloc memory %p lies in a slab of %s", p,
			  kslab_cache_name(slab->cache));
	for (i = 0; i < m->nr_classes; i++)
		if (m->classes[i] == slab->cache)
			return slab->cache;
	if (m->nr_classes == FUZZ_MAX_CLASSES)
		fuzz_fail(m, "more than %u kmalloc classes", FUZZ_MAX_CLASSES);
	m->classes[m->nr_classes++] = slab->cache;
	return slab->cache;
}

/* Take @p, of @size, into the model at @obj and write its pattern. */
static void place(struct fuzz_model *m, struct fuzz_obj *obj, void *p,
		  size_t size)
{
	obj->p = p;
	obj->size = size;
	obj->usable = size;
	obj->class = NULL;
	if (obj->owner == FUZZ_BY_KMALLOC) {
		obj->usable = kslab_ksize(p);
		obj->class = note_class(m, p);
		m->nr_large += size > KSLAB_CHUNK_SIZE;
	}
	if (obj->usable < size)
		fuzz_fail(m, "%p: ksize %zu, below the %zu bytes asked for", p,
			  obj->usable, size);
	check_disjoint(m, p, obj->usable, obj);
	m->bytes += obj->usable;
	span(p, size, 0, size, obj->seed, SPAN_WRITE);
}

static void unplace(struct fuzz_model *m, struct fuzz_obj *obj)
{
	m->bytes -= obj->usable;
	if (obj->owner == FUZZ_BY_KMALLOC)
		m->nr_large -= obj->size > KSLAB_CHUNK_SIZE;
}

/**
 * fuzz_track() - take a new allocation into the model
 * @m:     the model
 * @p:     what the allocator returned
 * @size:  the size asked for
 * @owner: the cache slot it came from, or FUZZ_BY_KMALLOC
 *
 * Fails if it overlaps anything the model holds or is smaller than asked;
 * the caller has checked its alignment and initial contents. Writes its
 * pattern.
 */
void fuzz_track(struct fuzz_model *m, void *p, size_t size, int owner)
{
	struct fuzz_obj *obj = &m->objs[m->nr_objs];

	if (m->nr_objs == FUZZ_MAX_OBJS)
		fuzz_fail(m, "the model is full");
	obj->owner = owner;
	obj->seed = ++m->next_seed * 41;
	place(m, obj, p, size);
	m->nr_objs++;
	if (owner != FUZZ_BY_KMALLOC)
		m->caches[owner].live++;
}

/**
 * fuzz_retrack() - the allocation moved or changed size (krealloc)
 * @m:    the model
 * @obj:  its record, its old contents already checked
 * @p:    where it is now
 * @size: its new size
 */
void fuzz_retrack(struct fuzz_model *m, struct fuzz_obj *obj, void *p,
		  size_t size)
{
	unplace(m, obj);
	place(m, obj, p, size);
}

/* Fail unless the first @limit bytes of @obj carry its pattern. */
void fuzz_verify(const struct fuzz_model *m, const struct fuzz_obj *obj,
		 size_t limit)
{
	size_t bad = span(obj->p, obj->size, 0, limit, obj->seed, SPAN_CHECK);

	if (bad)
		fuzz_fail(m, "%p (%zu bytes, owner %d): %zu of its first %zu bytes changed",
			  obj->p, obj->size, obj->owner, bad, limit);
}

/* Fail unless bytes @from to @to of a new area of @size at @p are zero. */
void fuzz_check_zero(const struct fuzz_model *m, void *p, size_t size,
		     size_t from, size_t to)
{
	size_t bad = span(p, size, from, to, 0, SPAN_ZERO);

	if (bad)
		fuzz_fail(m, "%p: %zu bytes between %zu and %zu not zeroed", p,
			  bad, from, to);
}

/* Fail unless @p is a multiple of @align. */
void fuzz_check_align(const struct fuzz_model *m, const void *p, size_t align)
{
	if ((unsigned long)p & (align - 1))
		fuzz_fail(m, "%p is not aligned to %zu", p, align);
}

/**
 * fuzz_untrack() - the model lets an allocation go, to be freed
 * @m:   the model
 * @obj: its record
 *
 * Checks its contents; for a cache with a constructor, puts the
 * constructed state back. @obj then holds another record.
 * Return: the address to free.
 */
void *fuzz_untrack(struct fuzz_model *m, struct fuzz_obj *obj)
{
	void *p = obj->p;

	fuzz_verify(m, obj, obj->size);
	unplace(m, obj);
	if (obj->owner != FUZZ_BY_KMALLOC) {
		struct fuzz_cache *fc = &m->caches[obj->owner];

		if (fc->ctor >= 0)
			span(p, obj->size, 0, obj->size, CTOR_SEED, SPAN_WRITE);
		if (fc->flags & KSLAB_NO_MAGAZINE) {
			fc->freed[fc->next_freed] = p;
			fc->next_freed = (fc->next_freed + 1) % FUZZ_FREED;
		}
		fc->live--;
	}
	*obj = m->objs[--m->nr_objs];
	return p;
}

/* The allocation the model holds at @p, or NULL. */
struct fuzz_obj *fuzz_find(struct fuzz_model *m, const void *p)
{
	unsigned int i;

	for (i = 0; i < m->nr_objs; i++)
		if (m->objs[i].p == p)
			return &m->objs[i];
	return NULL;
}

/* Is there room in the model for @nr more allocations of @size? */
bool fuzz_fits(const struct fuzz_model *m, size_t size, unsigned int nr)
{
	return m->nr_objs + nr <= FUZZ_MAX_OBJS &&
	       m->bytes + size * nr <= FUZZ_MAX_BYTES &&
	       (size <= KSLAB_CHUNK_SIZE || m->nr_large < FUZZ_MAX_LARGE);
}

/* The running operation must cause one report, saying @what if set. */
void fuzz_expect_report(struct fuzz_model *m, const char *what)
{
	m->want_reports++;
	m->want_what = what;
}

/* The index in m->classes of the class a report names, or -1. */
static int reported_class(const struct fuzz_model *m, const char *msg)
{
	unsigned int i;

	for (i = 0; i < m->nr_classes; i++) {
		const char *name = kslab_cache_name(m->classes[i]);
		const char *at = str_find(msg, name);

		if (at && at[strlen(name)] == ':')
			return (int)i;
	}
	return -1;
}

/*
 * The reports the operation made (captured by the decoder): each an
 * error saying what fuzz_expect_report() asked for, and no other, but
 * for the second copies of class objects freed twice that it found:
 * each says "double free", names a class with such a copy, and is
 * counted off it.
 */
void fuzz_check_reports(struct fuzz_model *m, const struct report_capture *cap)
{
	unsigned long i, found = 0;
	int class;

	for (i = 0; i < cap->seen && i < CAPTURE_MSGS; i++) {
		if (m->want_what && str_find(cap->msg[i], m->want_what))
			continue;
		class = reported_class(m, cap->msg[i]);
		if (class < 0 || !m->dups[class] ||
		    !str_find(cap->msg[i], "double free"))
			continue;
		m->dups[class]--;
		m->nr_dups--;
		found++;
	}
	if (cap->seen != m->want_reports + found ||
	    cap->counted != m->want_reports + found)
		fuzz_fail(m, "%lu reports (%lu counted), %lu expected; the first: \"%s\"",
			  cap->seen, cap->counted, m->want_reports + found,
			  cap->seen ? cap->msg[0] : "");
	for (i = 0; i < cap->seen && i < CAPTURE_MSGS; i++) {
		if (cap->level[i] != KSLAB_LOG_ERR ||
		    !str_starts_with(cap->msg[i], "kslab: ") ||
		    (m->want_what && !found && !str_find(cap->msg[i], m->want_what)))
			fuzz_fail(m, "report \"%s\" does not say \"%s\"",
				  cap->msg[i], m->want_what ? m->want_what : "");
	}
}

/* Objects out of @cache's slabs and in no magazine: with callers. */
static unsigned long held(struct kslab_cache *cache,
			  struct kslab_cache_stats *st)
{
	kslab_cache_stats(cache, st);
	return st->active_objs - st->magazine_objs;
}

/* The counters of the cache in @slot against the model. */
void fuzz_check_cache(const struct fuzz_model *m, unsigned int slot)
{
	const struct fuzz_cache *fc = &m->caches[slot];
	struct kslab_cache_stats st;
	unsigned long n = held(fc->cache, &st);

	if (n != fc->live)
		fuzz_fail(m, "cache %u: %lu objects held, the model holds %lu",
			  slot, n, fc->live);
	if (st.bad_frees != fc->bad_frees)
		fuzz_fail(m, "cache %u: %lu bad frees counted, %lu made", slot,
			  st.bad_frees, fc->bad_frees);
	if ((fc->flags & KSLAB_NO_MAGAZINE) && st.magazine_objs)
		fuzz_fail(m, "cache %u has no magazines, yet %lu objects in them",
			  slot, st.magazine_objs);
}

/* The kmalloc classes used: what they hold against the model. */
static void check_classes(const struct fuzz_model *m)
{
	struct kslab_cache_stats st;
	unsigned int i, j;

	for (i = 0; i < m->nr_classes; i++) {
		long n = 0, h = (long)held(m->classes[i], &st);

		for (j = 0; j < m->nr_objs; j++)
			n += m->objs[j].class == m->classes[i];
		/*
		 * A second copy not found yet is a round of an object counted
		 * once: held can fall that far below the model, below 0 too.
		 */
		if (h > n || h + (long)m->dups[i] < n)
			fuzz_fail(m, "%s: %ld objects held, the model holds %ld (%lu freed twice, not found yet)",
				  kslab_cache_name(m->classes[i]), h, n,
				  m->dups[i]);
	}
}

/* Every counter the model can predict. */
void fuzz_check_counters(const struct fuzz_model *m)
{
	unsigned int slot;

	for (slot = 0; slot < FUZZ_CACHES; slot++)
		if (m->caches[slot].cache)
			fuzz_check_cache(m, slot);
	check_classes(m);
}

/* The counters, then kslab's own checkers: every cache, and the zone. */
void fuzz_check_all(const struct fuzz_model *m)
{
	unsigned long problems;

	fuzz_check_counters(m);
	problems = kslab_check_all();
	if (problems)
		fuzz_fail(m, "kslab_check_all() found %lu problems", problems);
}

/**
 * fuzz_check_end() - after everything was freed and every cache destroyed
 * @m: the model, empty
 *
 * Shrinks the kmalloc classes the run used, then checks every slab and the
 * zone, that the buddy allocator has the pages in use it had at the start,
 * and that each constructed object was destroyed.
 */
void fuzz_check_end(const struct fuzz_model *m)
{
	unsigned long used;
	unsigned int i;

	for (i = 0; i < m->nr_classes; i++)
		kslab_cache_shrink(m->classes[i]);
	/*
	 * Shrinking any cache also empties the internal caches, where the
	 * destroyed caches' slab headers and magazines went.
	 */
	kslab_cache_shrink(kslab_kmalloc_cache(1));
	fuzz_check_all(m);
	used = buddy_used_pages();
	if (used != m->used_pages)
		fuzz_fail(m, "%lu pages in use at the end, %lu at the start",
			  used, m->used_pages);
	if (ctor_calls != dtor_calls)
		fuzz_fail(m, "%lu objects constructed, %lu destroyed",
			  ctor_calls, dtor_calls);
}
