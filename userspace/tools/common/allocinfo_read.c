// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation profiles for the slabinfo tool (allocinfo_read.h): read an
 * allocinfo text into sites, print the top ones or the change between two
 * texts. A line that is neither a header, a comment nor "bytes calls tag"
 * is reported with its number and makes the read fail.
 */
#include "allocinfo_read.h"

#include <stdlib.h>
#include <string.h>

#define LINE_BYTES	4096

struct site {
	char *tag;
	long bytes, calls;
	long old_bytes, old_calls;	/* allocinfo_diff(): the earlier dump */
};

struct sites {
	struct site *v;
	size_t n, cap;
	const char *path;
};

static struct site *site_find(struct sites *s, const char *tag)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].tag, tag))
			return &s->v[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct site *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = (struct site){ .tag = strdup(tag) };
	return s->v[s->n].tag ? &s->v[s->n++] : NULL;
}

/* Add the dump at @path to @s, as the earlier one if @old. */
static bool sites_read(struct sites *s, const char *path, bool old)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char line[LINE_BYTES], tag[LINE_BYTES];
	unsigned long number = 0;
	bool ok = true;

	if (!f) {
		perror(path);
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		struct site *site;
		long bytes, calls;
		int used = 0;

		number++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#' || !strncmp(line, "allocinfo", 9))
			continue;
		if (sscanf(line, "%ld %ld %n", &bytes, &calls, &used) != 2 ||
		    !line[used]) {
			fprintf(stderr, "slabinfo: %s:%lu: not \"bytes calls site\": %s\n",
				path, number, line);
			ok = false;
			continue;
		}
		strcpy(tag, line + used);
		site = site_find(s, tag);
		if (!site) {
			fprintf(stderr, "slabinfo: out of memory\n");
			ok = false;
			break;
		}
		if (old) {
			site->old_bytes += bytes;
			site->old_calls += calls;
		} else {
			site->bytes += bytes;
			site->calls += calls;
		}
	}
	if (f != stdin)
		fclose(f);
	return ok;
}

static void sites_free(struct sites *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].tag);
	free(s->v);
}

static long magnitude(long x)
{
	return x < 0 ? -x : x;
}

/* Most bytes first; then by tag, so the order is fixed. */
static int by_bytes(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->tag, y->tag);
}

/* Largest change in bytes first. */
static int by_change(const void *a, const void *b)
{
	const struct site *x = a, *y = b;
	long dx = magnitude(x->bytes - x->old_bytes);
	long dy = magnitude(y->bytes - y->old_bytes);

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->tag, y->tag);
}

bool allocinfo_top(const char *path, unsigned long top, FILE *out)
{
	struct sites s = { 0 };
	long bytes = 0, calls = 0;
	size_t i, live = 0;
	bool ok = sites_read(&s, path, false);

	qsort(s.v, s.n, sizeof(*s.v), by_bytes);
	fprintf(out, "%14s %10s %10s  %s\n", "Bytes", "Calls", "Bytes/Call", "Site");
	for (i = 0; i < s.n; i++) {
		if (!s.v[i].calls)
			continue;
		bytes += s.v[i].bytes;
		calls += s.v[i].calls;
		if (live++ < top)
			fprintf(out, "%14ld %10ld %10ld  %s\n", s.v[i].bytes,
				s.v[i].calls, s.v[i].bytes / s.v[i].calls,
				s.v[i].tag);
	}
	fprintf(out, "%14ld %10ld %10s  total of %zu live sites (%zu in the dump)\n",
		bytes, calls, "", live, s.n);
	sites_free(&s);
	return ok;
}

bool allocinfo_diff(const char *old, const char *new, unsigned long top,
		    FILE *out)
{
	struct sites s = { 0 };
	long bytes = 0, calls = 0;
	size_t i, changed = 0;
	bool ok = sites_read(&s, old, true);

	ok = sites_read(&s, new, false) && ok;
	qsort(s.v, s.n, sizeof(*s.v), by_change);
	fprintf(out, "%14s %10s %14s  %s\n", "+Bytes", "+Calls", "Bytes now", "Site");
	for (i = 0; i < s.n; i++) {
		long db = s.v[i].bytes - s.v[i].old_bytes;
		long dc = s.v[i].calls - s.v[i].old_calls;

		if (!db && !dc)
			continue;
		bytes += db;
		calls += dc;
		if (changed++ < top)
			fprintf(out, "%+14ld %+10ld %14ld  %s\n", db, dc,
				s.v[i].bytes, s.v[i].tag);
	}
	fprintf(out, "%+14ld %+10ld %14s  total of %zu sites changed\n", bytes,
		calls, "", changed);
	sites_free(&s);
	return ok;
}
