// SPDX-License-Identifier: GPL-2.0
/*
 * A slab's free map: one bit per object, set while the object is free,
 * at the end of the slab header (struct kslab_slab). Owns the map's
 * encoding and the order in which a slab hands its objects out. Called
 * under the cache's lock, or on a slab no one else can see yet.
 *
 * Objects are handed out in two ways. Those never out yet come in the
 * order of the slab's shuffle: slab->fresh counts the positions taken so
 * far, and the next is the object at position fresh. The shuffle is a
 * keyed permutation of 0..n-1,
 * a page's worth of objects (a window) at a time: the windows in a keyed
 * order, and each window's objects in one of its own. Each permutation
 * is a four-round Feistel network over the bits that hold its domain,
 * applied again while the result is past it (cycle walking), with round
 * keys drawn from the cache's secret and the slab's address, and each
 * window's tweaked by where it lies.
 * A fill that takes a whole window no object of which was ever out needs
 * no position's object: it takes the window's run of objects and hands
 * them out in a keyed Fisher-Yates order, a few instructions an object
 * rather than the network's rounds (kslab_map_take_window()).
 * Each slab gets its own order, nothing is stored for it, and no state is
 * shared between slabs. Without hardening positions are objects, and so
 * they are in kslab's internal caches (slab headers, magazines), whose
 * objects no caller ever holds: packed in order, a few of them touch a
 * page or two rather than one page each.
 *
 * Objects given back are bits of the map, bit k for the object at index
 * k, and are taken again before any fresh one, lowest address first, as
 * a kernel slab reuses its freed objects in an order of its own rather
 * than its shuffle's. So a give back of an object whose slab has handed
 * every object out once sets one bit, with no walk of the permutation;
 * only while fresh objects remain does it walk it back, to tell an object
 * out from one never out (a free of which is refused as a double free).
 *
 * Hardening: each word is stored XORed with a key made of the secret and
 * the word's address, and so is slab->fresh, so an overflow into an
 * on-slab header cannot set chosen bits, or take back positions handed
 * out, without knowing it; and a slab is allocated from only while its
 * map and fresh count exactly the free objects its use count says, with
 * no bit beyond the last object (kslab_map_free_count()).
 *
 * What a flush and a refill do for each object runs inline in their loops
 * (mm/slab.h): the keyed words (kslab_map_key(), kslab_map_get(),
 * kslab_map_set()), a give back (kslab_map_give())
 * and a take of an object given back from the cursor's word
 * (kslab_map_take_given()). The rest is here.
 */
#include "slab.h"

static void fresh_set(const struct kslab_cache *cache, struct kslab_slab *slab,
		      unsigned long fresh)
{
	slab->fresh = (unsigned short)(fresh ^ kslab_map_key(cache, &slab->fresh));
}

/* The bits of word @i that stand for objects below @objs. */
static unsigned long word_mask(unsigned long objs, unsigned long i)
{
	unsigned long left = objs - i * KSLAB_MAP_BITS;

	return left >= KSLAB_MAP_BITS ? ~0UL : (1UL << left) - 1;
}

/* Set bits, without a library call the kernel would not link. */
static unsigned long bit_count(unsigned long x)
{
	x -= (x >> 1) & 0x5555555555555555UL;
	x = (x & 0x3333333333333333UL) + ((x >> 2) & 0x3333333333333333UL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fUL;
	return (x * 0x0101010101010101UL) >> 56;
}

/* ---- the shuffle: positions to objects and back ---- */

/* splitmix64's finalizer: every bit of @z moves about half of the result's. */
static unsigned long bits_mix(unsigned long z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
	return z ^ (z >> 31);
}

static void domain_init(struct kslab_shuffle_domain *d, unsigned long n)
{
	/* The bits that hold 0..n-1, two at least: each part needs one. */
	unsigned int bits = n < 2 ? 0 : 64 - (unsigned int)__builtin_clzl(n - 1);

	if (bits == 1)
		bits = 2;
	d->n = n;
	d->high = bits / 2;
	d->low = bits - d->high;
}

/**
 * kslab_map_shape_init() - set up what every slab's shuffle shares
 * @cache: a cache whose objs_per_slab, order and flags are set
 */
void kslab_map_shape_init(struct kslab_cache *cache)
{
	struct kslab_shuffle_shape *shape = &cache->shuffle;
	unsigned long objs = cache->objs_per_slab;

	shape->per_window = 0;
	if (!KSLAB_HARDENING || objs < 2 ||
	    (cache->flags & KSLAB_CACHE_INTERNAL))
		return;
	/* A window: what a page holds, so objects come a page at a time. */
	shape->per_window = objs >> cache->order;
	if (!shape->per_window)
		shape->per_window = 1;
	shape->window_recip = ((1UL << 32) + shape->per_window - 1) /
			      shape->per_window;
	shape->windows = objs / shape->per_window;
	domain_init(&shape->order, shape->windows);
	domain_init(&shape->within, shape->per_window);
	domain_init(&shape->tail, objs % shape->per_window);
}

/*
 * A slab's key: the cache's secret and the slab's address, mixed. Slabs
 * lie pages apart, so their plain XORs differ only in a few high bits,
 * and a multiply carries a difference up, never down: two neighbours'
 * rounds were then near shifts of each other, and their orders alike:
 * two one-page slabs of 64-byte objects, 4 KiB apart, put half their
 * objects at the same positions once in 1,000 pairs, 8 KiB apart once
 * in 150. The mix spreads each address bit over the whole key; the
 * rounds tell themselves apart by constants (feistel_f()).
 */
static void shuffle_init(struct kslab_shuffle *sh, const struct kslab_cache *cache,
			 const struct kslab_slab *slab)
{
	sh->key = bits_mix(cache->secret ^ (unsigned long)slab);
	sh->shape = &cache->shuffle;
	sh->window = ~0UL;
}

/*
 * The round function: the top @width bits of a multiplicative hash of
 * @v and @tweak (which tells one window's permutation from another's),
 * spread over 64 bits first and then keyed by the slab's key and a
 * constant of round @r's own. Spread first, the key's bits meet every
 * bit of the input rather than the few low ones a small @v has, and each
 * key gives the round a function of its own. Keyed first, many keys gave
 * the same few functions: with mixed keys still, two such slabs put half
 * their objects alike once in 6,000 pairs. Now their orders agree as two
 * random permutations' do (no position alike in 37% of pairs, 1/e).
 */
static unsigned long feistel_f(const struct kslab_shuffle *sh,
			       unsigned long tweak, unsigned long v,
			       unsigned int r, unsigned int width)
{
	unsigned long round_key = sh->key ^ (KSLAB_GOLDEN * (2 * r + 1));

	return ((((v ^ tweak) * KSLAB_GOLDEN) ^ round_key) * KSLAB_GOLDEN) >>
	       (64 - width);
}

/*
 * The parts differ by a bit where the domain's bits are odd, so the
 * rounds alternate which part they change (as NIST's FF1 does): even
 * rounds the high one's width, odd rounds the low one's. Over the
 * domain's own bit count, rather than the next even one, the network
 * lands past the last value less than half the time, and the cycle walk
 * takes at most two tries on average where it took up to four.
 */
static unsigned int round_width(const struct kslab_shuffle_domain *d,
				unsigned int r)
{
	return r & 1 ? d->low : d->high;
}

static unsigned long feistel_forward(const struct kslab_shuffle *sh,
				     const struct kslab_shuffle_domain *d,
				     unsigned long tweak, unsigned long v)
{
	unsigned long changed = v >> d->low, kept = v & ((1UL << d->low) - 1);
	unsigned long next;
	unsigned int r;

	for (r = 0; r < KSLAB_SHUFFLE_ROUNDS; r++) {
		next = changed ^ feistel_f(sh, tweak, kept, r, round_width(d, r));
		changed = kept;
		kept = next;
	}
	return changed << d->low | kept;
}

static unsigned long feistel_backward(const struct kslab_shuffle *sh,
				      const struct kslab_shuffle_domain *d,
				      unsigned long tweak, unsigned long v)
{
	unsigned long changed = v >> d->low, kept = v & ((1UL << d->low) - 1);
	unsigned long prev;
	unsigned int r;

	for (r = KSLAB_SHUFFLE_ROUNDS; r-- > 0;) {
		prev = kept ^ feistel_f(sh, tweak, changed, r, round_width(d, r));
		kept = changed;
		changed = prev;
	}
	return changed << d->low | kept;
}

/*
 * A permutation of 0..n-1, or with @back its inverse: the network, again
 * while past the last.
 */
static unsigned long permute(const struct kslab_shuffle *sh,
			     const struct kslab_shuffle_domain *d,
			     unsigned long tweak, unsigned long v, bool back)
{
	if (!d->high)
		return v;
	do
		v = back ? feistel_backward(sh, d, tweak, v) :
			   feistel_forward(sh, d, tweak, v);
	while (v >= d->n);
	return v;
}

/* Each window's own permutation inside it: keyed by where it lies. */
static unsigned long window_tweak(unsigned long window)
{
	return (window + 1) * KSLAB_GOLDEN;
}

/*
 * The window position @v lies in: v / per_window by a multiply, exact
 * while both are below 2^16 (a slab's objects are counted in 16 bits).
 */
static unsigned long window_of(const struct kslab_shuffle_shape *shape,
			       unsigned long v)
{
	return (v * shape->window_recip) >> 32;
}

/* Whole window @window's place in the windows' order, remembered. */
static unsigned long window_place(struct kslab_shuffle *sh,
				  unsigned long window)
{
	if (window != sh->window) {
		sh->window = window;
		sh->window_to = permute(sh, &sh->shape->order, 0, window,
					false);
	}
	return sh->window_to;
}

/*
 * Positions come a window at a time: the whole windows in a keyed order,
 * each window's objects in an order of its own, and the partial window,
 * if any, last. A slab thus hands out a page's worth of objects, which
 * lie across two pages at most, before it begins another (a program
 * that takes a few objects of a class touches about the pages they
 * need, not a page an object), and where the next object lands is still
 * a secret: which of the window's objects not yet out, and which window
 * after that. shuffle_walk() takes a position to its object's index, or
 * with @back an index to its position.
 */
static unsigned long shuffle_walk(struct kslab_shuffle *sh, unsigned long v,
				  bool back)
{
	const struct kslab_shuffle_shape *shape = sh->shape;
	unsigned long window, offset, other;

	if (!shape->per_window)
		return v;
	/* A one-page slab: one window, and no division to find it. */
	if (shape->windows == 1)
		return permute(sh, &shape->within, window_tweak(0), v, back);
	window = window_of(shape, v);
	offset = v - window * shape->per_window;
	if (window == shape->windows)
		return v - offset + permute(sh, &shape->tail,
					    window_tweak(window), offset, back);
	other = back ? permute(sh, &shape->order, 0, window, true) :
		       window_place(sh, window);
	/* Inside, each window is keyed by where its objects lie. */
	return other * shape->per_window +
	       permute(sh, &shape->within, window_tweak(back ? window : other),
		       offset, back);
}

static unsigned long position_to_object(struct kslab_shuffle *sh,
					unsigned long pos)
{
	return shuffle_walk(sh, pos, false);
}

static unsigned long object_to_position(struct kslab_shuffle *sh,
					unsigned long index)
{
	return shuffle_walk(sh, index, true);
}

/* ---- the map ---- */

/* No object of @slab given back, and its first @fresh positions out. */
static void map_reset(const struct kslab_cache *cache, struct kslab_slab *slab,
		      unsigned long fresh)
{
	unsigned long i;

	for (i = 0; i < kslab_map_words(cache->objs_per_slab); i++)
		kslab_map_set(cache, slab, i, 0);
	fresh_set(cache, slab, fresh);
}

/**
 * kslab_map_fill() - mark every object of a new slab free, none out yet
 * @cache: its cache
 * @slab:  the slab, its header set up
 */
void kslab_map_fill(const struct kslab_cache *cache, struct kslab_slab *slab)
{
	map_reset(cache, slab, 0);
}

/**
 * kslab_map_clear() - mark every object in use, as a quarantine does
 * @cache: its cache
 * @slab:  the slab
 */
void kslab_map_clear(const struct kslab_cache *cache, struct kslab_slab *slab)
{
	map_reset(cache, slab, cache->objs_per_slab);
}

/**
 * kslab_map_free_count() - the free objects a slab's map and fresh hold
 * @cache: its cache
 * @slab:  the slab
 *
 * Return: the count, or ~0UL if a bit is set past the last object or
 * fresh is past it.
 */
unsigned long kslab_map_free_count(const struct kslab_cache *cache,
				   const struct kslab_slab *slab)
{
	unsigned long i, bits, n = cache->objs_per_slab;
	unsigned long fresh = kslab_map_fresh(cache, slab);

	if (fresh > n)
		return ~0UL;
	n -= fresh;
	for (i = 0; i < kslab_map_words(cache->objs_per_slab); i++) {
		bits = kslab_map_get(cache, slab, i);
		if (bits & ~word_mask(cache->objs_per_slab, i))
			return ~0UL;
		n += bit_count(bits);
	}
	return n;
}

/**
 * kslab_map_cursor_init() - start a run of kslab_map_take() on a slab
 * @cache:  its cache
 * @slab:   the slab
 * @cursor: set up
 */
void kslab_map_cursor_init(const struct kslab_cache *cache,
			   const struct kslab_slab *slab,
			   struct kslab_map_cursor *cursor)
{
	shuffle_init(&cursor->sh, cache, slab);
	cursor->word = 0;
}

/*
 * Whether an object given back waits, from the cursor's word on: the
 * cursor moves to the first word that holds one, or past the map (a run
 * takes only clear bits, so none turns up later in it).
 */
static bool given_ahead(const struct kslab_cache *cache,
			const struct kslab_slab *slab,
			struct kslab_map_cursor *cursor)
{
	unsigned long words = kslab_map_words(cache->objs_per_slab);

	for (; cursor->word < words; cursor->word++)
		if (kslab_map_get(cache, slab, cursor->word))
			return true;
	return false;
}

/**
 * kslab_map_take() - take a free object: the lowest given back, else the
 * next fresh one
 * @cache:  its cache
 * @slab:   a slab whose map kslab_map_free_count() found sound and not
 *          empty
 * @cursor: from kslab_map_cursor_init() on @slab, under the same hold of
 *          the cache's lock
 * @first:  set to whether the object is out for the first time
 *
 * Return: the object's index in the slab.
 */
unsigned int kslab_map_take(const struct kslab_cache *cache,
			    struct kslab_slab *slab,
			    struct kslab_map_cursor *cursor, bool *first)
{
	unsigned long fresh;
	unsigned int given;

	/* given_ahead() leaves the cursor on the word that holds one. */
	*first = !(given_ahead(cache, slab, cursor) &&
		   kslab_map_take_given(cache, slab, cursor, &given));
	if (!*first)
		return given;
	fresh = kslab_map_fresh(cache, slab);
	KSLAB_BUG_ON(fresh >= cache->objs_per_slab);
	fresh_set(cache, slab, fresh + 1);
	return (unsigned int)position_to_object(&cursor->sh, fresh);
}

/**
 * kslab_map_window_ahead() - whether the next take begins a whole window
 * @cache:  its cache
 * @slab:   as for kslab_map_take()
 * @cursor: as for kslab_map_take()
 *
 * Where no object given back waits and the next fresh position begins a
 * whole window, the window can go at once (kslab_map_take_window()).
 *
 * Return: the window's objects, or 0 where this does not apply.
 */
unsigned int kslab_map_window_ahead(const struct kslab_cache *cache,
				    const struct kslab_slab *slab,
				    struct kslab_map_cursor *cursor)
{
	const struct kslab_shuffle_shape *shape = &cache->shuffle;
	unsigned long per = shape->per_window, pos = kslab_map_fresh(cache, slab);

	if (!per || pos + per > shape->windows * per ||
	    pos != window_of(shape, pos) * per ||
	    given_ahead(cache, slab, cursor))
		return 0;
	return (unsigned int)per;
}

/**
 * kslab_map_take_window() - take the whole window of objects never out
 * that kslab_map_window_ahead() found
 * @cache:  its cache
 * @slab:   as for kslab_map_take()
 * @cursor: as for kslab_map_take()
 *
 * Which of the window's objects has which position then no longer
 * matters: the window's objects are a run of indices, the permutation is
 * not walked for each, and the caller hands them out in
 * kslab_map_window_shuffle()'s order. A fresh slab's fill is such
 * windows as a rule.
 *
 * Return: the index of the window's first object.
 */
unsigned int kslab_map_take_window(const struct kslab_cache *cache,
				   struct kslab_slab *slab,
				   struct kslab_map_cursor *cursor)
{
	unsigned long per = cache->shuffle.per_window;
	unsigned long pos = kslab_map_fresh(cache, slab);

	fresh_set(cache, slab, pos + per);
	return (unsigned int)(window_place(&cursor->sh,
					   window_of(&cache->shuffle, pos)) * per);
}

/**
 * kslab_map_window_shuffle() - a window's objects in a keyed order
 * @cursor: the run's cursor
 * @first:  the window's first object's index, from kslab_map_take_window()
 * @objs:   the window's objects, in index order
 * @n:      how many
 *
 * A Fisher-Yates shuffle, with a splitmix64 sequence seeded by the
 * slab's key and where the window lies: where the next object lands stays
 * as secret as the permutation keeps it, for a few instructions an object
 * rather than the network's rounds.
 */
void kslab_map_window_shuffle(const struct kslab_map_cursor *cursor,
			      unsigned int first, void **objs, unsigned int n)
{
	unsigned long state = cursor->sh.key ^ window_tweak(first);
	unsigned long z, j;
	unsigned int i;
	void *t;

	for (i = n; i > 1; i--) {
		state += KSLAB_GOLDEN;
		z = bits_mix(state);
		/* An index below i, from z's top half: unbiased to 2^-16. */
		j = ((z >> 32) * i) >> 32;
		t = objs[i - 1];
		objs[i - 1] = objs[j];
		objs[j] = t;
	}
}

/*
 * Whether the object at @index of a slab whose first @fresh positions
 * were taken was ever out: its position comes before @fresh. For
 * kslab_map_give(), while the slab has objects never out.
 */
bool kslab_map_was_out(const struct kslab_cache *cache,
		       const struct kslab_slab *slab, unsigned int index,
		       unsigned long fresh)
{
	struct kslab_shuffle sh;

	shuffle_init(&sh, cache, slab);
	return object_to_position(&sh, index) < fresh;
}
