// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz target's decoder: input bytes become operations on kslab, each
 * checked against the model (fuzz_model.c) as it returns.
 *
 * An input is a sequence of operations: an opcode byte (modulo
 * FUZZ_NR_OPS), then that operation's argument bytes; bytes past the end
 * read as zero, so every input decodes. Arguments choose among the
 * objects and caches the model holds, so only the bad-free operations
 * hand kslab an address it must refuse, and the model expects their
 * reports. Documentation/fuzzing.rst lists each operation's arguments.
 */
#include <stdio.h>
#include <string.h>

#include <kslab/buddy.h>

#include "fuzz.h"

/* Operations between two full checks. */
#define CHECK_EVERY	64
#define MAX_BULK	32
/* Choosers of pick_obj() besides a cache slot or FUZZ_BY_KMALLOC. */
#define ANY_CACHE	(-2)
#define ANY_OWNER	(-3)

struct fuzz_input {
	const unsigned char *p;
	size_t left;
};

static unsigned int take(struct fuzz_input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static unsigned int take16(struct fuzz_input *in)
{
	unsigned int lo = take(in);

	return lo | take(in) << 8;
}

/*
 * A kmalloc size: 0 to 64 (the small classes and the zero size), up to
 * 2 KiB, any class, a buddy block up to a chunk, or large memory up to two.
 */
static size_t take_size(struct fuzz_input *in)
{
	unsigned int kind = take(in);
	size_t n = take16(in);

	switch (kind % 8) {
	case 0:
		return n % 65;
	case 1:
	case 2:
		return n % 2049;
	case 3:
	case 4:
		return 1 + n % KSLAB_KMALLOC_MAX_CACHE_SIZE;
	case 5:
	case 6:
		return KSLAB_KMALLOC_MAX_CACHE_SIZE + 1 + n * 63;
	default:
		return KSLAB_CHUNK_SIZE + 1 + n * 64;
	}
}

static gfp_t take_gfp(unsigned int bits)
{
	return (bits & 1 ? GFP_ATOMIC : GFP_KERNEL) | (bits & 2 ? __GFP_ZERO : 0);
}

/* A cache the model made, chosen by the next byte; -1 if none is. */
static int pick_cache(struct fuzz_model *m, struct fuzz_input *in,
		      unsigned long need_flags)
{
	unsigned int n = take(in), count = 0, slot;

	for (slot = 0; slot < FUZZ_CACHES; slot++)
		count += m->caches[slot].cache &&
			 (m->caches[slot].flags & need_flags) == need_flags;
	if (!count)
		return -1;
	n %= count;
	for (slot = 0;; slot++)
		if (m->caches[slot].cache &&
		    (m->caches[slot].flags & need_flags) == need_flags && !n--)
			return (int)slot;
}

static bool owned_by(const struct fuzz_obj *obj, int owner)
{
	return owner == ANY_OWNER || obj->owner == owner ||
	       (owner == ANY_CACHE && obj->owner != FUZZ_BY_KMALLOC);
}

/* An object of @owner, chosen by the next two bytes; NULL if none. */
static struct fuzz_obj *pick_obj(struct fuzz_model *m, struct fuzz_input *in,
				 int owner)
{
	unsigned int n = take16(in), count = 0, i;

	for (i = 0; i < m->nr_objs; i++)
		count += owned_by(&m->objs[i], owner);
	if (!count)
		return NULL;
	n %= count;
	for (i = 0;; i++)
		if (owned_by(&m->objs[i], owner) && !n--)
			return &m->objs[i];
}

/* Is @obj a slab object, so that a refused free says how it is wrong? */
static bool in_slab(const struct fuzz_obj *obj)
{
	return obj->owner != FUZZ_BY_KMALLOC || obj->class;
}

/* ---- caches ---- */

static const unsigned int cache_aligns[] = {
	0, 8, 16, 64, 256, KSLAB_PAGE_SIZE,
	3, 2 * KSLAB_PAGE_SIZE,		/* refused */
};

/* slot, bits (1 no magazine, 2 hwcache, 4 ctor, 8 magazine of 1, align), size */
static bool op_cache_create(struct fuzz_model *m, struct fuzz_input *in)
{
	unsigned int slot = take(in) % FUZZ_CACHES, bits = take(in);
	unsigned int index = take(in) % FUZZ_NR_SIZES;
	struct fuzz_cache *fc = &m->caches[slot];
	struct kslab_cache_args args = {
		.align = cache_aligns[(bits >> 4) % KSLAB_ARRAY_SIZE(cache_aligns)],
		.magazine_size = bits & 8 ? 1 : 0,
	};
	bool refused = (args.align & (args.align - 1)) ||
		       args.align > KSLAB_PAGE_SIZE;
	char name[16];

	if (fc->cache)
		return false;
	memset(fc, 0, sizeof(*fc));
	fc->size = fuzz_cache_sizes[index];
	fc->align = args.align > 8 ? args.align : 8;
	fc->flags = (bits & 1 ? KSLAB_NO_MAGAZINE : 0) |
		    (bits & 2 ? KSLAB_HWCACHE_ALIGN : 0);
	fc->ctor = -1;
	if (bits & 4) {
		fc->ctor = (int)index;
		args.ctor = fuzz_ctors[index];
		args.dtor = fuzz_dtors[index];
	}
	snprintf(name, sizeof(name), "fuzz-%u", slot);
	if (refused)
		fuzz_expect_report(m, "not created");
	fc->cache = kslab_cache_create(name, fc->size, &args, fc->flags);
	if (!fc->cache != refused)
		fuzz_fail(m, "cache of %u bytes aligned to %u: %s", fc->size,
			  args.align, refused ? "made" : "not made");
	if (fc->cache)
		fuzz_check_cache(m, (unsigned int)slot);
	return true;
}

/* A new object of the cache in @slot: aligned, constructed or zeroed. */
static void cache_obj_new(struct fuzz_model *m, int slot, void *p, gfp_t gfp)
{
	const struct fuzz_cache *fc = &m->caches[slot];

	if (!p)
		fuzz_fail(m, "cache %d: allocation failed", slot);
	fuzz_check_align(m, p, fc->align);
	if (kslab_ksize(p) != fc->size)
		fuzz_fail(m, "%p: ksize %zu, not the cache's %u", p,
			  kslab_ksize(p), fc->size);
	if (gfp & __GFP_ZERO)
		fuzz_check_zero(m, p, fc->size, 0, fc->size);
	else if (fc->ctor >= 0 && !fuzz_is_ctor_state(p, fc->size))
		fuzz_fail(m, "%p: not in its constructed state", p);
	fuzz_track(m, p, fc->size, slot);
}

/* cache, gfp */
static bool op_cache_alloc(struct fuzz_model *m, struct fuzz_input *in)
{
	int slot = pick_cache(m, in, 0);
	gfp_t gfp = take_gfp(take(in));

	if (slot < 0 || !fuzz_fits(m, m->caches[slot].size, 1))
		return false;
	cache_obj_new(m, slot, kslab_cache_alloc(m->caches[slot].cache, gfp), gfp);
	fuzz_check_cache(m, (unsigned int)slot);
	return true;
}

/* object, bits (1: through kslab_kfree()) */
static bool op_cache_free(struct fuzz_model *m, struct fuzz_input *in)
{
	struct fuzz_obj *obj = pick_obj(m, in, ANY_CACHE);
	unsigned int bits = take(in);
	int slot;
	void *p;

	if (!obj)
		return false;
	slot = obj->owner;
	p = fuzz_untrack(m, obj);
	if (bits & 1)
		kslab_kfree(p);
	else
		kslab_cache_free(m->caches[slot].cache, p);
	fuzz_check_cache(m, (unsigned int)slot);
	return true;
}

/* cache, count, gfp */
static bool op_bulk_alloc(struct fuzz_model *m, struct fuzz_input *in)
{
	int slot = pick_cache(m, in, 0);
	unsigned int nr = 1 + take(in) % MAX_BULK, i;
	gfp_t gfp = take_gfp(take(in));
	void *objs[MAX_BULK];
	int got;

	if (slot < 0 || !fuzz_fits(m, m->caches[slot].size, nr))
		return false;
	got = kslab_cache_alloc_bulk(m->caches[slot].cache, gfp, nr, objs);
	if (got != (int)nr)
		fuzz_fail(m, "bulk allocation of %u got %d", nr, got);
	for (i = 0; i < nr; i++)
		cache_obj_new(m, slot, objs[i], gfp);
	fuzz_check_cache(m, (unsigned int)slot);
	return true;
}

/* cache, count, bits (1: a pointer inside the first object goes too) */
static bool op_bulk_free(struct fuzz_model *m, struct fuzz_input *in)
{
	int slot = pick_cache(m, in, 0);
	unsigned int nr = 1 + take(in) % MAX_BULK, bits = take(in), got = 0;
	struct fuzz_obj *obj;
	void *objs[MAX_BULK + 1];

	if (slot < 0)
		return false;
	/*
	 * objs[0] is the bad pointer, inside the first object: freed first,
	 * while that object is still allocated, if bit 0 asks for it.
	 */
	while (got < nr && (obj = pick_obj(m, in, slot)))
		objs[++got] = fuzz_untrack(m, obj);
	if (!got)
		return false;
	objs[0] = (char *)objs[1] + 1;
	if (bits & 1) {
		m->caches[slot].bad_frees++;
		fuzz_expect_report(m, "inside an object");
	}
	kslab_cache_free_bulk(m->caches[slot].cache, got + (bits & 1),
			      objs + !(bits & 1));
	fuzz_check_cache(m, (unsigned int)slot);
	return true;
}

/* Shrunk: no magazine holds an object, no slab is empty. */
static void check_shrunk(const struct fuzz_model *m, struct kslab_cache *cache)
{
	struct kslab_cache_stats st;

	kslab_cache_stats(cache, &st);
	if (st.magazine_objs || st.num_slabs != st.active_slabs)
		fuzz_fail(m, "%s shrunk: %lu objects in magazines, %lu slabs of which %lu in use",
			  kslab_cache_name(cache), st.magazine_objs,
			  st.num_slabs, st.active_slabs);
}

/* cache, bits (1: a kmalloc class used, chosen by the next byte) */
static bool op_shrink(struct fuzz_model *m, struct fuzz_input *in)
{
	int slot = pick_cache(m, in, 0);
	unsigned int bits = take(in), class = take(in);
	struct kslab_cache *cache;

	if ((bits & 1) && m->nr_classes)
		cache = m->classes[class % m->nr_classes];
	else if (slot >= 0)
		cache = m->caches[slot].cache;
	else
		return false;
	m->reclaims++;
	if (kslab_cache_shrink(cache) < 0)
		fuzz_fail(m, "shrink gave back a negative number of pages");
	check_shrunk(m, cache);
	if (kslab_cache_check(cache))
		fuzz_fail(m, "%s inconsistent after a shrink",
			  kslab_cache_name(cache));
	fuzz_check_counters(m);
	return true;
}

/* cache, bits (1: every cache) */
static bool op_reap(struct fuzz_model *m, struct fuzz_input *in)
{
	int slot = pick_cache(m, in, 0);
	unsigned int bits = take(in);

	m->reclaims++;
	if (bits & 1) {
		if (kslab_reap_all() < 0)
			fuzz_fail(m, "reap gave back a negative number of pages");
	} else if (slot >= 0) {
		if (kslab_cache_reap(m->caches[slot].cache) < 0)
			fuzz_fail(m, "reap gave back a negative number of pages");
	} else {
		return false;
	}
	fuzz_check_counters(m);
	return true;
}

/* cache: destroyed if empty, else reported and kept */
static bool op_destroy(struct fuzz_model *m, struct fuzz_input *in)
{
	int slot = pick_cache(m, in, 0);
	struct fuzz_cache *fc;

	if (slot < 0)
		return false;
	fc = &m->caches[slot];
	m->reclaims++;
	if (fc->live)
		fuzz_expect_report(m, "still allocated");
	kslab_cache_destroy(fc->cache);
	if (!fc->live) {
		fc->cache = NULL;
		return true;
	}
	check_shrunk(m, fc->cache);
	fuzz_check_cache(m, (unsigned int)slot);
	if (kslab_cache_check(fc->cache))
		fuzz_fail(m, "cache %d inconsistent after a refused destroy", slot);
	return true;
}

/* ---- kmalloc ---- */

/*
 * New kmalloc memory of @size (@align, if not 0): at least one byte,
 * aligned to the largest power of two dividing its usable size (up to a
 * page), and to @align. Without @align, the size class is at most an
 * eighth larger (7 bytes up to 64), a buddy block less than twice as
 * large, large memory less than a chunk larger.
 */
static void kmalloc_check(const struct fuzz_model *m, void *p, size_t size,
			  size_t align)
{
	size_t usable, natural, slack;

	if (!p)
		fuzz_fail(m, "allocation of %zu bytes failed", size);
	usable = kslab_ksize(p);
	natural = usable & -usable;
	if (size <= 64)
		slack = 7;
	else if (size <= KSLAB_KMALLOC_MAX_CACHE_SIZE)
		slack = size / 8;
	else if (size <= KSLAB_CHUNK_SIZE)
		slack = size - 1;
	else
		slack = KSLAB_CHUNK_SIZE - 1;
	if (!usable || usable < size || (!align && usable - size > slack))
		fuzz_fail(m, "%p: %zu bytes asked for, %zu usable", p, size,
			  usable);
	fuzz_check_align(m, p, natural < KSLAB_PAGE_SIZE ? natural :
			 KSLAB_PAGE_SIZE);
	if (align)
		fuzz_check_align(m, p, align);
}

static void kmalloc_new(struct fuzz_model *m, void *p, size_t size,
			size_t align, gfp_t gfp)
{
	kmalloc_check(m, p, size, align);
	if (gfp & __GFP_ZERO)
		fuzz_check_zero(m, p, size, 0, size);
	fuzz_track(m, p, size, FUZZ_BY_KMALLOC);
}

/* What kmalloc returns for 0 bytes: no memory, and freeing it is quiet. */
static void check_zero_size(const struct fuzz_model *m, void *p)
{
	if (p != KSLAB_ZERO_SIZE_PTR || kslab_ksize(p))
		fuzz_fail(m, "%p returned for 0 bytes", p);
	kslab_kfree(p);
}

/* size, gfp; through kslab_kzalloc() if @zero */
static bool kmalloc_op(struct fuzz_model *m, struct fuzz_input *in, bool zero)
{
	size_t size = take_size(in);
	gfp_t gfp = take_gfp(take(in));
	void *p;

	if (!fuzz_fits(m, size, 1))
		return false;
	if (zero) {
		p = kslab_kzalloc(size, gfp);
		gfp |= __GFP_ZERO;
	} else {
		p = kslab_kmalloc(size, gfp);
	}
	if (size)
		kmalloc_new(m, p, size, 0, gfp);
	else
		check_zero_size(m, p);
	return true;
}

static bool op_kmalloc(struct fuzz_model *m, struct fuzz_input *in)
{
	return kmalloc_op(m, in, false);
}

static bool op_kzalloc(struct fuzz_model *m, struct fuzz_input *in)
{
	return kmalloc_op(m, in, true);
}

static const size_t kmalloc_aligns[] = {
	8, 16, 64, 512, KSLAB_PAGE_SIZE, 2 * KSLAB_PAGE_SIZE, 1UL << 20,
	24,		/* refused */
};

/* size, alignment, gfp */
static bool op_kmalloc_aligned(struct fuzz_model *m, struct fuzz_input *in)
{
	size_t size = take_size(in);
	size_t align = kmalloc_aligns[take(in) % KSLAB_ARRAY_SIZE(kmalloc_aligns)];
	gfp_t gfp = take_gfp(take(in));
	void *p;

	if (!fuzz_fits(m, size > align ? size : align, 1))
		return false;
	p = kslab_kmalloc_aligned(size, align, gfp);
	if (align & (align - 1)) {
		if (p)
			fuzz_fail(m, "%p aligned to %zu, which is no power of two",
				  p, align);
		return true;
	}
	kmalloc_new(m, p, size, align, gfp);
	return true;
}

/* count, size (the count 255 overflows) */
static bool op_kcalloc(struct fuzz_model *m, struct fuzz_input *in)
{
	unsigned int n = take(in);
	size_t size = take16(in) % 4097;
	void *p;

	if (n == 255) {
		p = kslab_kcalloc(~0UL / 2, 3, GFP_KERNEL);
		if (p)
			fuzz_fail(m, "%p returned for an overflowing array", p);
		return true;
	}
	if (!fuzz_fits(m, n * size, 1))
		return false;
	p = kslab_kcalloc(n, size, GFP_KERNEL);
	if (!n || !size)
		check_zero_size(m, p);
	else
		kmalloc_new(m, p, n * size, 0, __GFP_ZERO);
	return true;
}

/* object (or NULL: bit 4 of the gfp byte), size, gfp */
static bool op_krealloc(struct fuzz_model *m, struct fuzz_input *in)
{
	struct fuzz_obj *obj = pick_obj(m, in, FUZZ_BY_KMALLOC), old;
	size_t size = take_size(in);
	unsigned int bits = take(in);
	gfp_t gfp = take_gfp(bits);
	void *q;

	if (!fuzz_fits(m, size, 1))
		return false;
	if (!obj || (bits & 4)) {
		q = kslab_krealloc(NULL, size, gfp);
		if (size)
			kmalloc_new(m, q, size, 0, gfp);
		else
			check_zero_size(m, q);
		return true;
	}
	if (!size) {
		check_zero_size(m, kslab_krealloc(fuzz_untrack(m, obj), 0, gfp));
		return true;
	}
	old = *obj;
	q = kslab_krealloc(obj->p, size, gfp);
	kmalloc_check(m, q, size, 0);
	old.p = q;
	fuzz_verify(m, &old, size < old.size ? size : old.size);
	if (q != obj->p && (gfp & __GFP_ZERO) && size > old.usable)
		fuzz_check_zero(m, q, size, old.usable, size);
	fuzz_retrack(m, obj, q, size);
	return true;
}

/*
 * A class object the model freed lately, freed again: whatever was freed
 * or allocated in between, its second copy is found by a later operation
 * (the free tag, mm/kmalloc.h), which reports it, and no block goes out
 * twice. Only while no shrink, reap or destroy may have given its slab
 * back, so that it is still an object of its class, and only if no
 * allocation has it now.
 */
static bool kfree_again(struct fuzz_model *m, unsigned int which)
{
	struct fuzz_kfreed *f = &m->kfreed[which % FUZZ_FREED];
	unsigned int i;

	if (!f->p || f->reclaims != m->reclaims || fuzz_find(m, f->p))
		return false;
	for (i = 0; i < m->nr_classes; i++)
		if (m->classes[i] == f->class)
			break;
	if (i == m->nr_classes)
		fuzz_fail(m, "kmalloc memory %p freed twice in no class", f->p);
	m->dups[i]++;
	m->nr_dups++;
	kslab_kfree(f->p);
	return true;
}

/*
 * object (bit 0 of the next byte: NULL and KSLAB_ZERO_SIZE_PTR instead;
 * bit 1: one of the recent frees again, the rest of the byte saying which)
 */
static bool op_kfree(struct fuzz_model *m, struct fuzz_input *in)
{
	struct fuzz_obj *obj = pick_obj(m, in, FUZZ_BY_KMALLOC);
	unsigned int how = take(in);
	struct fuzz_kfreed *f;

	if (how & 1) {
		kslab_kfree(NULL);
		kslab_kfree(KSLAB_ZERO_SIZE_PTR);
		return true;
	}
	if (how & 2)
		return kfree_again(m, how >> 2);
	if (!obj)
		return false;
	if (obj->class) {
		f = &m->kfreed[m->next_kfreed];
		m->next_kfreed = (m->next_kfreed + 1) % FUZZ_FREED;
		f->p = obj->p;
		f->class = obj->class;
		f->reclaims = m->reclaims;
	}
	kslab_kfree(fuzz_untrack(m, obj));
	return true;
}

/*
 * The caches the run uses and the zone; kslab_check_all(), which checks
 * every cache, runs every CHECK_EVERY operations.
 */
static bool op_check(struct fuzz_model *m, struct fuzz_input *in)
{
	unsigned int i;

	(void)in;
	for (i = 0; i < FUZZ_CACHES; i++)
		if (m->caches[i].cache && kslab_cache_check(m->caches[i].cache))
			fuzz_fail(m, "cache %u is inconsistent", i);
	for (i = 0; i < m->nr_classes; i++)
		if (kslab_cache_check(m->classes[i]))
			fuzz_fail(m, "%s is inconsistent",
				  kslab_cache_name(m->classes[i]));
	if (kslab_zone_check(kslab_default_zone()))
		fuzz_fail(m, "the default zone is inconsistent");
	fuzz_check_counters(m);
	return true;
}

/* ---- bad frees: each reported, counted, and changing nothing else ---- */

/* A refused free to @slot: counted there, and the cache still consistent. */
static void refused(struct fuzz_model *m, int slot)
{
	if (slot == FUZZ_BY_KMALLOC)
		return;
	fuzz_check_cache(m, (unsigned int)slot);
	if (kslab_cache_check(m->caches[slot].cache))
		fuzz_fail(m, "cache %d inconsistent after a refused free", slot);
}

/*
 * object, offset, how (0: to its cache, 1: kslab_kfree(), 2: krealloc):
 * an address inside an object, which starts none.
 */
static bool op_bad_interior(struct fuzz_model *m, struct fuzz_input *in)
{
	struct fuzz_obj *obj = pick_obj(m, in, ANY_OWNER);
	unsigned int off = take16(in), how = take(in) % 3;
	size_t extent;
	char *p;

	if (!obj)
		return false;
	extent = obj->owner == FUZZ_BY_KMALLOC ? obj->usable : obj->size;
	p = (char *)obj->p + (extent > 1 ? 1 + off % (extent - 1) : 1);
	/* ksize reports it too, and reads nothing. */
	fuzz_expect_report(m, in_slab(obj) ? "inside an object" : NULL);
	if (kslab_ksize(p))
		fuzz_fail(m, "ksize %zu inside %p, at %p", kslab_ksize(p),
			  obj->p, p);
	if (how == 0 && obj->owner == FUZZ_BY_KMALLOC)
		how = 1;
	fuzz_expect_report(m, in_slab(obj) ? "inside an object" : NULL);
	if (obj->owner != FUZZ_BY_KMALLOC)
		m->caches[obj->owner].bad_frees++;
	if (how == 0)
		kslab_cache_free(m->caches[obj->owner].cache, p);
	else if (how == 1)
		kslab_kfree(p);
	else if (kslab_krealloc(p, 100, GFP_KERNEL))
		fuzz_fail(m, "krealloc of %p, inside %p, succeeded", p, obj->p);
	fuzz_verify(m, obj, obj->size);
	refused(m, obj->owner);
	return true;
}

/* object, cache: freed to a cache it does not belong to */
static bool op_bad_wrong_cache(struct fuzz_model *m, struct fuzz_input *in)
{
	struct fuzz_obj *obj = pick_obj(m, in, ANY_OWNER);
	int slot = pick_cache(m, in, 0);

	if (!obj || slot < 0 || slot == obj->owner)
		return false;
	fuzz_expect_report(m, in_slab(obj) ? "free to wrong cache" : NULL);
	m->caches[slot].bad_frees++;
	kslab_cache_free(m->caches[slot].cache, obj->p);
	fuzz_verify(m, obj, obj->size);
	refused(m, slot);
	refused(m, obj->owner);
	return true;
}

/*
 * cache without magazines, which of its recent frees: freed again. Its
 * memory may have gone back and come out again since; unless it is one of
 * the cache's objects the model holds, the free must be refused.
 */
static bool op_bad_double(struct fuzz_model *m, struct fuzz_input *in)
{
	int slot = pick_cache(m, in, KSLAB_NO_MAGAZINE);
	unsigned int which = take(in) % FUZZ_FREED;
	struct fuzz_cache *fc;
	struct fuzz_obj *obj;
	void *p;

	if (slot < 0)
		return false;
	fc = &m->caches[slot];
	p = fc->freed[which];
	obj = fuzz_find(m, p);
	if (!p || (obj && obj->owner == slot))
		return false;
	fuzz_expect_report(m, NULL);
	fc->bad_frees++;
	kslab_cache_free(fc->cache, p);
	if (obj)
		fuzz_verify(m, obj, obj->size);
	refused(m, slot);
	return true;
}

struct fuzz_op_desc {
	const char *name;
	bool (*run)(struct fuzz_model *m, struct fuzz_input *in);
};

static const struct fuzz_op_desc fuzz_ops[FUZZ_NR_OPS] = {
	[FUZZ_CACHE_CREATE] = { "cache_create", op_cache_create },
	[FUZZ_CACHE_ALLOC] = { "cache_alloc", op_cache_alloc },
	[FUZZ_CACHE_FREE] = { "cache_free", op_cache_free },
	[FUZZ_BULK_ALLOC] = { "bulk_alloc", op_bulk_alloc },
	[FUZZ_BULK_FREE] = { "bulk_free", op_bulk_free },
	[FUZZ_SHRINK] = { "shrink", op_shrink },
	[FUZZ_REAP] = { "reap", op_reap },
	[FUZZ_DESTROY] = { "destroy", op_destroy },
	[FUZZ_KMALLOC] = { "kmalloc", op_kmalloc },
	[FUZZ_KZALLOC] = { "kzalloc", op_kzalloc },
	[FUZZ_KMALLOC_ALIGNED] = { "kmalloc_aligned", op_kmalloc_aligned },
	[FUZZ_KCALLOC] = { "kcalloc", op_kcalloc },
	[FUZZ_KREALLOC] = { "krealloc", op_krealloc },
	[FUZZ_KFREE] = { "kfree", op_kfree },
	[FUZZ_CHECK] = { "check", op_check },
	[FUZZ_BAD_INTERIOR] = { "bad_interior", op_bad_interior },
	[FUZZ_BAD_WRONG_CACHE] = { "bad_wrong_cache", op_bad_wrong_cache },
	[FUZZ_BAD_DOUBLE] = { "bad_double", op_bad_double },
};

const char *fuzz_op_name(unsigned int op)
{
	return op < FUZZ_NR_OPS ? fuzz_ops[op].name : "teardown";
}

/* Free everything the model holds and destroy its caches: all quietly. */
static void teardown(struct fuzz_model *m)
{
	struct report_capture cap;
	unsigned int slot;

	m->op = FUZZ_NR_OPS;
	m->want_reports = 0;
	capture_start(&cap);
	while (m->nr_objs) {
		int owner = m->objs[0].owner;
		void *p = fuzz_untrack(m, &m->objs[0]);

		if (owner == FUZZ_BY_KMALLOC)
			kslab_kfree(p);
		else
			kslab_cache_free(m->caches[owner].cache, p);
	}
	for (slot = 0; slot < FUZZ_CACHES; slot++) {
		kslab_cache_destroy(m->caches[slot].cache);
		m->caches[slot].cache = NULL;
	}
	/* Every second copy still in a magazine is found as it goes back. */
	for (slot = 0; slot < m->nr_classes; slot++)
		kslab_cache_shrink(m->classes[slot]);
	capture_stop(&cap);
	fuzz_check_reports(m, &cap);
	if (m->nr_dups)
		fuzz_fail(m, "%lu class objects freed twice never found",
			  m->nr_dups);
	fuzz_check_end(m);
}

unsigned long fuzz_run(const unsigned char *data, size_t size)
{
	static struct fuzz_model model;
	struct fuzz_input in = { .p = data, .left = size };
	struct fuzz_model *m = &model;
	struct report_capture cap;
	unsigned long reached = 0;

	memset(m, 0, sizeof(*m));
	m->used_pages = buddy_used_pages();
	while (in.left) {
		m->op = take(&in) % FUZZ_NR_OPS;
		m->want_reports = 0;
		m->want_what = NULL;
		m->nr_ops++;
		capture_start(&cap);
		if (fuzz_ops[m->op].run(m, &in))
			reached |= 1UL << m->op;
		capture_stop(&cap);
		fuzz_check_reports(m, &cap);
		if (m->nr_ops % CHECK_EVERY == 0)
			fuzz_check_all(m);
	}
	teardown(m);
	return reached;
}
