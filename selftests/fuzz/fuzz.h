/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzz target: a decoder that turns bytes into kslab operations
 * (fuzz_ops.c) and the model every result is checked against
 * (fuzz_model.c). Built into two programs: the libFuzzer target
 * (libfuzzer/fuzz_target.c, clang only, `make fuzz`) and the replay test
 * of the seed corpus (fuzz_replay.c, every build). Documentation/fuzzing.rst
 * has the input format and what the model checks.
 *
 * Single-threaded: one decoder and one model per process.
 */
#ifndef KSLAB_SELFTESTS_FUZZ_H
#define KSLAB_SELFTESTS_FUZZ_H

#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#include "../capture.h"

/* The operations, in opcode order: an input byte modulo FUZZ_NR_OPS. */
enum fuzz_op {
	FUZZ_CACHE_CREATE,
	FUZZ_CACHE_ALLOC,
	FUZZ_CACHE_FREE,
	FUZZ_BULK_ALLOC,
	FUZZ_BULK_FREE,
	FUZZ_SHRINK,
	FUZZ_REAP,
	FUZZ_DESTROY,
	FUZZ_KMALLOC,
	FUZZ_KZALLOC,
	FUZZ_KMALLOC_ALIGNED,
	FUZZ_KCALLOC,
	FUZZ_KREALLOC,
	FUZZ_KFREE,
	FUZZ_CHECK,
	FUZZ_BAD_INTERIOR,
	FUZZ_BAD_WRONG_CACHE,
	FUZZ_BAD_DOUBLE,
	FUZZ_NR_OPS
};

/**
 * fuzz_run() - decode @data into operations and run them against the model
 * @data: the input
 * @size: its length
 *
 * Ends by freeing everything, destroying its caches and checking that the
 * buddy allocator has exactly the pages in use it had before. Any
 * mismatch aborts the process with a message on stderr.
 * Return: the operations that ran (bit n for enum fuzz_op n); an
 * operation its arguments made impossible (no such object) does not count.
 */
unsigned long fuzz_run(const unsigned char *data, size_t size);

/* The name of operation @op, for messages. */
const char *fuzz_op_name(unsigned int op);

/* ---- the model (fuzz_model.c), for the decoder ---- */

#define FUZZ_CACHES		4	/* caches alive at once */
#define FUZZ_MAX_OBJS		256	/* objects alive at once */
#define FUZZ_MAX_BYTES		(48UL << 20)	/* bytes alive at once */
#define FUZZ_MAX_LARGE		2	/* allocations beyond a chunk */
#define FUZZ_FREED		8	/* frees remembered per cache */
#define FUZZ_MAX_CLASSES	96	/* kmalloc classes, with room */
#define FUZZ_BY_KMALLOC		(-1)	/* the owner of kmalloc memory */

/* One allocation the model holds. */
struct fuzz_obj {
	unsigned char *p;
	size_t size;			/* asked for; its pattern covers it */
	size_t usable;			/* ksize: no other object overlaps it */
	unsigned int seed;		/* of its pattern */
	int owner;			/* a cache slot, or FUZZ_BY_KMALLOC */
	struct kslab_cache *class;	/* kmalloc: its size class, if any */
};

/* One cache the model made. */
struct fuzz_cache {
	struct kslab_cache *cache;	/* NULL: the slot is free */
	unsigned int size;
	unsigned int align;
	unsigned long flags;
	int ctor;			/* its constructor's size index, or -1 */
	unsigned long live;		/* objects the model holds */
	unsigned long bad_frees;	/* frees to it that must be refused */
	void *freed[FUZZ_FREED];	/* recent frees, for double frees */
	unsigned int next_freed;
};

/* A kmalloc class object the model freed, for double frees. */
struct fuzz_kfreed {
	void *p;
	struct kslab_cache *class;
	unsigned long reclaims;		/* the model's count when it was freed */
};

struct fuzz_model {
	struct fuzz_cache caches[FUZZ_CACHES];
	struct fuzz_kfreed kfreed[FUZZ_FREED];	/* recent kfrees */
	unsigned int next_kfreed;
	unsigned long reclaims;		/* shrinks, reaps and destroys so far */
	struct fuzz_obj objs[FUZZ_MAX_OBJS];
	unsigned int nr_objs;
	unsigned int nr_large;
	size_t bytes;
	unsigned int next_seed;
	struct kslab_cache *classes[FUZZ_MAX_CLASSES];	/* classes touched */
	unsigned int nr_classes;
	unsigned long used_pages;	/* the buddy allocator's, at the start */
	unsigned long nr_ops;
	unsigned int op;		/* the operation running */
	unsigned long want_reports;	/* reports the operation must cause */
	const char *want_what;		/* and what they must say, if set */
	/*
	 * Class objects freed twice whose second copy kslab has not found
	 * yet: it reports each once, at some later operation, as the copy
	 * leaves a magazine or the block leaves its slab (mm/kmalloc.h).
	 * By class, as m->classes.
	 */
	unsigned long dups[FUZZ_MAX_CLASSES];
	unsigned long nr_dups;
};

/* The object sizes a cache is made with; each has a constructor. */
#define FUZZ_NR_SIZES		12
extern const unsigned int fuzz_cache_sizes[FUZZ_NR_SIZES];
extern void (*const fuzz_ctors[FUZZ_NR_SIZES])(void *obj);
extern void (*const fuzz_dtors[FUZZ_NR_SIZES])(void *obj);

kslab_printf_fmt(2, 3) kslab_noreturn
void fuzz_fail(const struct fuzz_model *m, const char *fmt, ...);

void fuzz_track(struct fuzz_model *m, void *p, size_t size, int owner);
void fuzz_retrack(struct fuzz_model *m, struct fuzz_obj *obj, void *p,
		  size_t size);
void *fuzz_untrack(struct fuzz_model *m, struct fuzz_obj *obj);
struct fuzz_obj *fuzz_find(struct fuzz_model *m, const void *p);
bool fuzz_fits(const struct fuzz_model *m, size_t size, unsigned int nr);

void fuzz_verify(const struct fuzz_model *m, const struct fuzz_obj *obj,
		 size_t limit);
void fuzz_check_zero(const struct fuzz_model *m, void *p, size_t size,
		     size_t from, size_t to);
void fuzz_check_align(const struct fuzz_model *m, const void *p, size_t align);
bool fuzz_is_ctor_state(unsigned char *p, size_t size);

void fuzz_expect_report(struct fuzz_model *m, const char *what);
void fuzz_check_reports(struct fuzz_model *m,
			const struct report_capture *cap);
void fuzz_check_cache(const struct fuzz_model *m, unsigned int slot);
void fuzz_check_counters(const struct fuzz_model *m);
void fuzz_check_all(const struct fuzz_model *m);
void fuzz_check_end(const struct fuzz_model *m);

#endif /* KSLAB_SELFTESTS_FUZZ_H */
