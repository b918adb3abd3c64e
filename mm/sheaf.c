// SPDX-License-Identifier: GPL-2.0
/*
 * Sheaves: objects set aside in advance for a section that must not fail
 * (the kernel's sheaves API of 6.18; the maple tree stores under a
 * spinlock with nodes it prefilled where it could still sleep).
 *
 * Owns nothing but the sheaves themselves. kslab's magazines already are
 * such sets, so a sheaf is one: taken whole from the cache's depot where
 * it has a full magazine (no object copied), or a new magazine filled
 * through the cache's allocation path, and given back to the depot whole
 * (kslab_sheaf_magazine() and kslab_sheaf_magazine_put(), mm/magazine.c).
 * A sheaf larger than a magazine is a chain of them through mag->next;
 * the caller holds the first, and allocation takes from the first that
 * has rounds. The public type is opaque: a struct kslab_sheaf pointer is
 * the first magazine's address.
 *
 * Objects in a sheaf count as allocated, as in the kernel: the cache's
 * statistics show them out, a debugged cache made them through its full
 * checks, and a memory checker sees them open.
 *
 * Lock order: no lock is held between calls; the depot's lock inside
 * them, taken alone.
 */
#include <kslab/slab.h>

#include "fast_path.h"
#include "profile.h"

static struct kslab_magazine *sheaf_mag(struct kslab_sheaf *sheaf)
{
	return (struct kslab_magazine *)sheaf;
}

/*
 * A sheaf's magazines are linked through ->next, which shares its word
 * with the mark kslab_mag_pop() and kslab_mag_push() keep for a CPU's
 * counts: these keep the rounds in the state word alone.
 */
static void *sheaf_pop(struct kslab_magazine *mag)
{
	unsigned int rounds = kslab_mag_rounds(mag) - 1;

	kslab_mag_set_rounds(mag, rounds);
	return mag->objs[rounds];
}

static void sheaf_push(struct kslab_magazine *mag, void *obj)
{
	unsigned int rounds = kslab_mag_rounds(mag);

	mag->objs[rounds] = obj;
	kslab_mag_set_rounds(mag, rounds + 1);
}

/* The objects a chain of magazines holds. */
static unsigned int chain_size(const struct kslab_magazine *mag)
{
	unsigned int n = 0;

	for (; mag; mag = mag->next)
		n += kslab_mag_rounds(mag);
	return n;
}

/*
 * Allocate objects into @mag until it holds @rounds (at most its
 * capacity). Return: false if memory ran out; what was had stays.
 */
static bool mag_fill(struct kslab_cache *cache, gfp_t gfp,
		     struct kslab_magazine *mag, unsigned int rounds)
{
	if (rounds > kslab_mag_capacity(mag))
		rounds = kslab_mag_capacity(mag);
	while (kslab_mag_rounds(mag) < rounds) {
		void *obj = kslab_cache_alloc_fast(cache, gfp, KSLAB_RET_IP);

		if (!obj)
			return false;
		/* The profile counts an object when the sheaf hands it out. */
		kslab_profile_free(cache, obj);
		sheaf_push(mag, obj);
	}
	return true;
}

/*
 * Make the chain at @head hold at least @size objects: the first
 * magazine's room first, then more magazines in front of it.
 * Return: false if memory ran out; what was had stays in the chain.
 */
static bool chain_grow(struct kslab_cache *cache, gfp_t gfp,
		       struct kslab_magazine **head, unsigned int size)
{
	unsigned int held = chain_size(*head);
	struct kslab_magazine *mag = *head;
	bool ok;

	gfp &= ~__GFP_ZERO;	/* zeroed as each object is handed out */
	if (mag && held < size) {
		held -= kslab_mag_rounds(mag);
		ok = mag_fill(cache, gfp, mag, size - held);
		held += kslab_mag_rounds(mag);
		if (!ok)
			return false;
	}
	while (held < size) {
		mag = kslab_sheaf_magazine(cache, size - held, gfp);
		if (!mag)
			return false;
		mag->next = *head;
		*head = mag;
		ok = mag_fill(cache, gfp, mag, size - held);
		held += kslab_mag_rounds(mag);
		if (!ok)
			return false;
	}
	return true;
}

static void chain_put(struct kslab_cache *cache, struct kslab_magazine *mag)
{
	while (mag) {
		struct kslab_magazine *next = mag->next;

		kslab_sheaf_magazine_put(cache, mag);
		mag = next;
	}
}

struct kslab_sheaf *kslab_sheaf_prefill(struct kslab_cache *cache, gfp_t gfp,
					unsigned int size)
{
	struct kslab_magazine *head = NULL;

	if (!size)
		size = 1;	/* a sheaf is at least one magazine */
	if (chain_grow(cache, gfp, &head, size))
		return (struct kslab_sheaf *)head;
	chain_put(cache, head);
	return NULL;
}

int kslab_sheaf_refill(struct kslab_cache *cache, gfp_t gfp,
		       struct kslab_sheaf **sheafp, unsigned int size)
{
	struct kslab_magazine *head = sheaf_mag(*sheafp);
	bool ok = chain_grow(cache, gfp, &head, size);

	*sheafp = (struct kslab_sheaf *)head;
	return ok ? 0 : -1;
}

void *kslab_sheaf_alloc(struct kslab_cache *cache, gfp_t gfp,
			struct kslab_sheaf *sheaf)
{
	struct kslab_magazine *mag = sheaf_mag(sheaf);
	void *obj;

	while (mag && !kslab_mag_rounds(mag))
		mag = mag->next;
	if (!mag)
		return NULL;
	obj = sheaf_pop(mag);
	if (gfp & __GFP_ZERO)
		kslab_memset(obj, 0, cache->object_size);
	return kslab_profile_alloc(cache, obj, KSLAB_RET_IP);
}

void kslab_sheaf_return(struct kslab_cache *cache, gfp_t gfp,
			struct kslab_sheaf *sheaf)
{
	(void)gfp;	/* giving back neither sleeps nor allocates */
	chain_put(cache, sheaf_mag(sheaf));
}

unsigned int kslab_sheaf_size(const struct kslab_sheaf *sheaf)
{
	return chain_size((const struct kslab_magazine *)sheaf);
}
