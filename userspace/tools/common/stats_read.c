// SPDX-License-Identifier: GPL-2.0
/*
 * A JSON reader for kslab_stats_json()'s document (stats_read.h): a
 * recursive descent over the text that checks the whole of it is JSON,
 * keeping the path of keys to where it is. On the way it keeps, for each
 * element of the top-level "caches" array, its "name" and the numbers
 * stats_read.h lists, its own or those of its "magazine" and "depot"
 * objects; everything else is read and skipped.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_read.h"

#define MAX_DEPTH	16
#define KEY_MAX		64
#define ELEMENT		"[]"	/* the path's key for an array element */

struct reader {
	const char *text;
	size_t pos;
	const char *error;
	void (*fn)(const struct stats_cache *cache, void *arg);
	void *arg;
	char path[MAX_DEPTH][KEY_MAX];
	unsigned int depth;		/* keys in path */
	struct stats_cache cache;
	unsigned long version;
	bool version_seen;
};

/* The keys kept, and the object of a cache each lives in ("": its own). */
static const struct {
	const char *parent;
	const char *key;
} stats_keys[NR_STATS_KEYS] = {
	[SK_ACTIVE_OBJS] = { "", "active_objs" },
	[SK_NUM_OBJS] = { "", "num_objs" },
	[SK_SIZE] = { "", "size" },
	[SK_OBJS_PER_SLAB] = { "", "objs_per_slab" },
	[SK_PAGES_PER_SLAB] = { "", "pages_per_slab" },
	[SK_MAGAZINE_SIZE] = { "", "magazine_size" },
	[SK_ACTIVE_SLABS] = { "", "active_slabs" },
	[SK_NUM_SLABS] = { "", "num_slabs" },
	[SK_COLOURS] = { "", "colours" },
	[SK_SLAB_GROWS] = { "", "slab_grows" },
	[SK_SLAB_FREES] = { "", "slab_frees" },
	[SK_ALLOC_HIT] = { "magazine", "alloc_hit" },
	[SK_ALLOC_SWAP] = { "magazine", "alloc_swap" },
	[SK_ALLOC_MISS] = { "magazine", "alloc_miss" },
	[SK_FREE_HIT] = { "magazine", "free_hit" },
	[SK_FREE_SWAP] = { "magazine", "free_swap" },
	[SK_FREE_MISS] = { "magazine", "free_miss" },
	[SK_DEPOT_OBJS] = { "depot", "objs" },
	[SK_DEPOT_FULL_GETS] = { "depot", "full_gets" },
	[SK_DEPOT_FULL_PUTS] = { "depot", "full_puts" },
	[SK_DEPOT_CONTENDED] = { "depot", "contended" },
};

static bool fail(struct reader *r, const char *what)
{
	if (!r->error)
		r->error = what;
	return false;
}

static bool at(const struct reader *r, unsigned int depth, unsigned int i,
	       const char *key)
{
	return r->depth == depth && !strcmp(r->path[i], key);
}

/* Inside an element of the top-level "caches" array, @extra keys below it. */
static bool in_cache(const struct reader *r, unsigned int extra)
{
	return r->depth == 2 + extra && at(r, r->depth, 0, "caches") &&
	       !strcmp(r->path[1], ELEMENT);
}

static void skip_blanks(struct reader *r)
{
	while (r->text[r->pos] && strchr(" \t\r\n", r->text[r->pos]))
		r->pos++;
}

static bool take(struct reader *r, char c)
{
	skip_blanks(r);
	if (r->text[r->pos] != c)
		return false;
	r->pos++;
	return true;
}

/* A string into @out (an escape kept as its second character), cut to fit. */
static bool read_string(struct reader *r, char *out, size_t size)
{
	size_t n = 0;
	char c;

	if (!take(r, '"'))
		return fail(r, "expected a string");
	while ((c = r->text[r->pos]) != '"') {
		if (c == '\\')
			c = r->text[++r->pos];
		if (!c || (unsigned char)c < ' ')
			return fail(r, "unterminated string");
		if (n + 1 < size)
			out[n++] = c;
		r->pos++;
	}
	r->pos++;
	out[n] = '\0';
	return true;
}

/* A number, kept where the path names a figure. */
static bool read_number(struct reader *r)
{
	const char *start = r->text + r->pos;
	const char *key = r->depth ? r->path[r->depth - 1] : "";
	unsigned long value = strtoul(start, NULL, 10);
	unsigned int k;
	char *end;

	strtod(start, &end);	/* how far the number goes, any JSON form */
	if (end == start || *start == '+')
		return fail(r, "expected a value");
	r->pos += (size_t)(end - start);
	if (at(r, 1, 0, "kslab_stats_version")) {
		r->version = value;
		r->version_seen = true;
	}
	for (k = 0; k < NR_STATS_KEYS; k++) {
		if (strcmp(stats_keys[k].key, key))
			continue;
		if (stats_keys[k].parent[0] ?
		    in_cache(r, 2) && !strcmp(r->path[2], stats_keys[k].parent) :
		    in_cache(r, 1)) {
			r->cache.value[k] = *start == '-' ? 0 : value;
			r->cache.seen |= 1ULL << k;
		}
	}
	return true;
}

static bool read_value(struct reader *r);

/* Read a value at @key below the path: an object's member or an element. */
static bool read_member(struct reader *r, const char *key)
{
	bool ok;

	if (r->depth == MAX_DEPTH)
		return fail(r, "nested too deep");
	snprintf(r->path[r->depth], KEY_MAX, "%s", key);
	r->depth++;
	ok = read_value(r);
	r->depth--;
	return ok;
}

static bool read_object(struct reader *r)
{
	bool cache = in_cache(r, 0);
	char key[KEY_MAX];

	r->pos++;	/* the '{' read_value() saw */
	if (cache)
		memset(&r->cache, 0, sizeof(r->cache));
	if (!take(r, '}')) {
		do {
			if (!read_string(r, key, sizeof(key)) || !take(r, ':'))
				return fail(r, "expected \"key\": value");
			if (!read_member(r, key))
				return false;
		} while (take(r, ','));
		if (!take(r, '}'))
			return fail(r, "expected , or } in an object");
	}
	if (cache)
		r->fn(&r->cache, r->arg);
	return true;
}

static bool read_array(struct reader *r)
{
	r->pos++;	/* the '[' */
	if (take(r, ']'))
		return true;
	do {
		if (!read_member(r, ELEMENT))
			return false;
	} while (take(r, ','));
	return take(r, ']') || fail(r, "expected , or ] in an array");
}

static bool read_value(struct reader *r)
{
	static const char *const words[] = { "true", "false", "null" };
	char name[sizeof(r->cache.name)];
	unsigned int i;

	skip_blanks(r);
	switch (r->text[r->pos]) {
	case '{':
		return read_object(r);
	case '[':
		return read_array(r);
	case '"':
		if (!read_string(r, name, sizeof(name)))
			return false;
		if (in_cache(r, 1) && !strcmp(r->path[2], "name"))
			memcpy(r->cache.name, name, sizeof(name));
		return true;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strncmp(r->text + r->pos, words[i], strlen(words[i]))) {
			r->pos += strlen(words[i]);
			return true;
		}
	}
	return read_number(r);
}

const char *stats_read(const char *text,
		       void (*fn)(const struct stats_cache *cache, void *arg),
		       void *arg, size_t *where)
{
	struct reader r = { .text = text, .fn = fn, .arg = arg };

	skip_blanks(&r);
	if (r.text[r.pos] != '{')
		fail(&r, "expected an object");
	else if (read_value(&r)) {
		skip_blanks(&r);
		if (r.text[r.pos])
			fail(&r, "text after the document");
		else if (!r.version_seen)
			fail(&r, "no kslab_stats_version");
		else if (r.version != 1)
			fail(&r, "a kslab_stats_version this reader does not know");
	}
	*where = r.pos;
	return r.error;
}
