// SPDX-License-Identifier: GPL-2.0
/*
 * slabinfo: a table of kslab's object caches, in the spirit of the
 * kernel's tools/mm/slabinfo and slabtop.
 *
 * kslab's caches live inside the process that uses them, so there is no
 * running allocator to attach to. The tool reads the text that
 * kslab_slabinfo_format() writes (the /proc/slabinfo 2.1 layout followed
 * by kslab's magazine, depot and slab columns) from a file, or with --demo
 * runs a small workload of its own and reads the text it produces. Both
 * go through the same parser, so --demo also shows that the parser and
 * the library agree. A source that starts with "{" is a JSON statistics
 * document instead (kslab_stats_json(): KSLAB_STATS=json,
 * /proc/kslab_stats.json), read by common/stats_read.c into the same
 * rows.
 *
 * A line is taken as a cache line when its second field is a number or
 * one of its fields is a lone ":"; other lines (the version and header
 * lines, comments, buddyinfo lines in a combined dump) are skipped. A
 * cache line that does not parse is reported on stderr with its line
 * number; the other caches are still shown, and the exit status is 1.
 * A plain 2.1 file without kslab's columns (a kernel's /proc/slabinfo)
 * is accepted: the columns it lacks are shown as "-".
 *
 * -d and -n give a refreshing view, like slabtop: the source is read
 * again every few seconds and the table redrawn (the screen cleared when
 * it is a terminal), with one more column, the allocations since the
 * previous screen, which -a then sorts by. With --demo the workload keeps
 * running between screens: each time it frees and allocates a quarter of
 * each cache's objects again.
 *
 * -v validates: with --demo it runs kslab_check_all() on the workload's
 * caches before they go; with the module's /proc/kslabinfo it reads
 * /proc/kslab_validate, which runs the same check in the kernel. The
 * problems found are printed as a count (each one is reported by kslab
 * itself: on stderr, or in the kernel log), and make the exit status 1.
 *
 * --sites reads an allocation profile instead (kslab_allocinfo_format():
 * KSLAB_PROFILE=allocinfo, /proc/kslab_allocinfo) and shows the sites
 * holding most memory; --sites-diff shows what changed per site between
 * two profiles (common/allocinfo_read.c).
 */
#include <kslab/slab.h>

#include "common/allocinfo_read.h"
#include "common/stats_read.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FIELDS		128
#define VERSION_PREFIX		"slabinfo - version:"
#define SUPPORTED_VERSION	"2.1"

/* The five numbers between the name and the first ":". */
enum head_field {
	HEAD_ACTIVE_OBJS,
	HEAD_NUM_OBJS,
	HEAD_OBJSIZE,
	HEAD_OBJPERSLAB,
	HEAD_PAGESPERSLAB,
	NR_HEAD_FIELDS
};

/* The ": name numbers" groups: two of 2.1, then kslab's three. */
enum section {
	SEC_TUNABLES,
	SEC_SLABDATA,
	SEC_MAGAZINE,
	SEC_DEPOT,
	SEC_SLAB,
	NR_SECTIONS
};

enum { SLABDATA_ACTIVE, SLABDATA_NUM, SLABDATA_SHAREDAVAIL };
enum { MAG_ALLOC_HIT, MAG_ALLOC_MISS, MAG_FREE_HIT, MAG_FREE_MISS };
enum { DEPOT_GETS, DEPOT_PUTS, DEPOT_CONTENDED };
enum { SLAB_GROWS, SLAB_FREES, SLAB_COLOURS };

#define SECTION_FIELDS_MAX	4

static const struct section_spec {
	const char *name;
	unsigned int fields;
	bool required;		/* by the 2.1 format itself */
} sections[NR_SECTIONS] = {
	[SEC_TUNABLES] = { "tunables", 3, true },
	[SEC_SLABDATA] = { "slabdata", 3, true },
	[SEC_MAGAZINE] = { "magazine", 4, false },
	[SEC_DEPOT]    = { "depot",    3, false },
	[SEC_SLAB]     = { "slab",     3, false },
};

struct cache_row {
	char *name;
	unsigned long head[NR_HEAD_FIELDS];
	unsigned long sec[NR_SECTIONS][SECTION_FIELDS_MAX];
	unsigned int present;		/* one bit per section found */
	unsigned long recent;		/* allocations since the last screen */
};

struct parser {
	const char *source;		/* file name, for messages */
	unsigned long lineno;
	unsigned long malformed;
	unsigned long skipped;		/* lines that are not cache lines */
	bool version_seen;
	bool fatal;			/* stop reading: nothing after makes sense */
	struct cache_row *rows;
	size_t nr_rows;
	size_t cap_rows;
};

enum sort_key { SORT_NAME, SORT_MEMORY, SORT_ACTIVITY };

/* How the report is shown: once, or redrawn every @delay seconds. */
struct view {
	enum sort_key key;
	bool refresh;
	double delay;
	unsigned long screens;		/* 0: until interrupted */
	unsigned long screen;		/* the one being drawn, from 1 */
};

static bool has(const struct cache_row *row, enum section sec)
{
	return row->present & (1U << sec);
}

__attribute__((__format__(__printf__, 2, 3)))
static void malformed(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	p->malformed++;
	fprintf(stderr, "slabinfo: %s:%lu: malformed cache line: ", p->source,
		p->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Digits only: strtoul() alone would take "-1", "+5" and " 7". */
static bool parse_number(const char *s, unsigned long *value)
{
	char *end;

	if (!all_digits(s))
		return false;
	errno = 0;
	*value = strtoul(s, &end, 10);
	return !errno && !*end;
}

/* Split @line in place at blanks. Return: fields found, or @max + 1. */
static unsigned int split_fields(char *line, char **fields, unsigned int max)
{
	unsigned int n = 0;
	char *save, *tok;

	for (tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return max + 1;
		fields[n++] = tok;
	}
	return n;
}

static bool looks_like_cache_line(char **fields, unsigned int n)
{
	unsigned int i;

	if (n >= 2 && all_digits(fields[1]))
		return true;
	for (i = 1; i < n; i++)
		if (!strcmp(fields[i], ":"))
			return true;
	return false;
}

static int find_section(const char *name)
{
	int sec;

	for (sec = 0; sec < NR_SECTIONS; sec++)
		if (!strcmp(sections[sec].name, name))
			return sec;
	return -1;
}

/*
 * Read the ": name n n n" groups from field @i on. Groups this tool does
 * not know (a debug kernel's globalstat and cpustat) are passed over.
 * Return: false, with the line reported, if a group is malformed.
 */
static bool parse_sections(struct parser *p, struct cache_row *row,
			   char **fields, unsigned int n, unsigned int i)
{
	while (i < n) {
		unsigned int first, count, k;
		const char *name;
		int sec;

		if (strcmp(fields[i], ":")) {
			malformed(p, "expected ':' at field %u, found '%s'",
				  i + 1, fields[i]);
			return false;
		}
		if (++i == n) {
			malformed(p, "the line ends with ':'");
			return false;
		}
		name = fields[i++];
		first = i;
		while (i < n && strcmp(fields[i], ":"))
			i++;
		count = i - first;
		sec = find_section(name);
		if (sec < 0)
			continue;
		if (has(row, sec)) {
			malformed(p, "section '%s' appears twice", name);
			return false;
		}
		if (count != sections[sec].fields) {
			malformed(p, "section '%s' needs %u numbers, found %u",
				  name, sections[sec].fields, count);
			return false;
		}
		for (k = 0; k < count; k++) {
			if (!parse_number(fields[first + k], &row->sec[sec][k])) {
				malformed(p, "'%s' in section '%s' is not a number",
					  fields[first + k], name);
				return false;
			}
		}
		row->present |= 1U << sec;
	}
	return true;
}

static bool add_row(struct parser *p, const struct cache_row *row)
{
	if (p->nr_rows == p->cap_rows) {
		size_t cap = p->cap_rows ? 2 * p->cap_rows : 32;
		struct cache_row *rows = realloc(p->rows, cap * sizeof(*rows));

		if (!rows)
			return false;
		p->rows = rows;
		p->cap_rows = cap;
	}
	p->rows[p->nr_rows++] = *row;
	return true;
}

/* Keep @row, named @name (copied); out of memory stops the reading. */
static void keep_row(struct parser *p, struct cache_row *row, const char *name)
{
	row->name = strdup(name);
	if (!row->name || !add_row(p, row)) {
		free(row->name);
		fprintf(stderr, "slabinfo: out of memory\n");
		p->fatal = true;
	}
}

static void parse_cache_line(struct parser *p, char **fields, unsigned int n)
{
	struct cache_row row = { 0 };
	unsigned int i, sec;

	for (i = 1; i <= NR_HEAD_FIELDS; i++) {
		if (i >= n || !strcmp(fields[i], ":")) {
			malformed(p, "cache '%s' has %u of the %u numbers that follow the name",
				  fields[0], i - 1, NR_HEAD_FIELDS);
			return;
		}
		if (!parse_number(fields[i], &row.head[i - 1])) {
			malformed(p, "field %u, '%s', is not a number", i + 1,
				  fields[i]);
			return;
		}
	}
	if (!parse_sections(p, &row, fields, n, i))
		return;
	for (sec = 0; sec < NR_SECTIONS; sec++) {
		if (sections[sec].required && !has(&row, sec)) {
			malformed(p, "cache '%s' has no '%s' section", fields[0],
				  sections[sec].name);
			return;
		}
	}
	keep_row(p, &row, fields[0]);
}

/* One cache of a JSON document, as kslab_slabinfo_format() would put it. */
static void json_cache_row(const struct stats_cache *c, void *arg)
{
	struct parser *p = arg;
	const unsigned long *v = c->value;
	struct cache_row row = { 0 };

	p->lineno++;	/* the cache's number, for messages */
	if (c->seen != (1ULL << NR_STATS_KEYS) - 1) {
		malformed(p, "cache '%s' lacks figures slabinfo shows", c->name);
		return;
	}
	row.head[HEAD_ACTIVE_OBJS] = v[SK_ACTIVE_OBJS];
	row.head[HEAD_NUM_OBJS] = v[SK_NUM_OBJS];
	row.head[HEAD_OBJSIZE] = v[SK_SIZE];
	row.head[HEAD_OBJPERSLAB] = v[SK_OBJS_PER_SLAB];
	row.head[HEAD_PAGESPERSLAB] = v[SK_PAGES_PER_SLAB];
	row.sec[SEC_TUNABLES][0] = v[SK_MAGAZINE_SIZE];
	row.sec[SEC_TUNABLES][1] = v[SK_MAGAZINE_SIZE];
	row.sec[SEC_SLABDATA][SLABDATA_ACTIVE] = v[SK_ACTIVE_SLABS];
	row.sec[SEC_SLABDATA][SLABDATA_NUM] = v[SK_NUM_SLABS];
	row.sec[SEC_SLABDATA][SLABDATA_SHAREDAVAIL] = v[SK_DEPOT_OBJS];
	row.sec[SEC_MAGAZINE][MAG_ALLOC_HIT] = v[SK_ALLOC_HIT] + v[SK_ALLOC_SWAP];
	row.sec[SEC_MAGAZINE][MAG_ALLOC_MISS] = v[SK_ALLOC_MISS];
	row.sec[SEC_MAGAZINE][MAG_FREE_HIT] = v[SK_FREE_HIT] + v[SK_FREE_SWAP];
	row.sec[SEC_MAGAZINE][MAG_FREE_MISS] = v[SK_FREE_MISS];
	row.sec[SEC_DEPOT][DEPOT_GETS] = v[SK_DEPOT_FULL_GETS];
	row.sec[SEC_DEPOT][DEPOT_PUTS] = v[SK_DEPOT_FULL_PUTS];
	row.sec[SEC_DEPOT][DEPOT_CONTENDED] = v[SK_DEPOT_CONTENDED];
	row.sec[SEC_SLAB][SLAB_GROWS] = v[SK_SLAB_GROWS];
	row.sec[SEC_SLAB][SLAB_FREES] = v[SK_SLAB_FREES];
	row.sec[SEC_SLAB][SLAB_COLOURS] = v[SK_COLOURS];
	row.present = (1U << NR_SECTIONS) - 1;
	keep_row(p, &row, c->name);
}

/* The whole of @in, NUL-terminated; NULL if it could not be read. */
static char *read_all(FILE *in)
{
	size_t len = 0, cap = 1 << 16, n;
	char *text = malloc(cap), *more;

	while (text && (n = fread(text + len, 1, cap - len - 1, in)) > 0) {
		len += n;
		if (len + 1 == cap) {
			more = realloc(text, cap * 2);
			if (!more) {
				free(text);
				return NULL;
			}
			text = more;
			cap *= 2;
		}
	}
	if (text)
		text[len] = '\0';
	return text;
}

/* A JSON statistics document: every cache of it, or why it is none. */
static bool parse_json(struct parser *p, FILE *in)
{
	char *text = read_all(in);
	const char *error;
	size_t where;

	if (!text) {
		fprintf(stderr, "slabinfo: %s: read error\n", p->source);
		return false;
	}
	error = stats_read(text, json_cache_row, p, &where);
	free(text);
	if (error) {
		fprintf(stderr, "slabinfo: %s: byte %zu: %s, not a kslab statistics document\n",
			p->source, where, error);
		return false;
	}
	p->version_seen = true;
	return !p->fatal;
}

static void parse_version(struct parser *p, const char *line)
{
	const char *v = line + strlen(VERSION_PREFIX);
	size_t len;

	v += strspn(v, " \t");
	len = strcspn(v, " \t\r\n");
	p->version_seen = true;
	if (len != strlen(SUPPORTED_VERSION) ||
	    strncmp(v, SUPPORTED_VERSION, len)) {
		fprintf(stderr, "slabinfo: %s:%lu: slabinfo version '%.*s' is not supported; this tool reads %s\n",
			p->source, p->lineno, (int)len, v, SUPPORTED_VERSION);
		p->fatal = true;
	}
}

static void parse_line(struct parser *p, char *line)
{
	char *fields[MAX_FIELDS];
	const char *start = line + strspn(line, " \t");
	unsigned int n;

	if (!strncmp(start, VERSION_PREFIX, strlen(VERSION_PREFIX))) {
		parse_version(p, start);
		return;
	}
	if (*start == '#') {
		p->skipped++;
		return;
	}
	n = split_fields(line, fields, MAX_FIELDS);
	if (!n)
		return;
	if (n > MAX_FIELDS) {
		malformed(p, "more than %u fields", MAX_FIELDS);
		return;
	}
	if (!looks_like_cache_line(fields, n)) {
		p->skipped++;
		return;
	}
	parse_cache_line(p, fields, n);
}

/* Return: false if the text could not be read or is no slabinfo at all. */
static bool parse_stream(struct parser *p, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int c;

	while ((c = getc(in)) == ' ' || c == '\n' || c == '\t' || c == '\r')
		;
	if (c != EOF && ungetc(c, in) == '{')
		return parse_json(p, in);
	while (!p->fatal && (len = getline(&line, &cap, in)) >= 0) {
		p->lineno++;
		if (memchr(line, '\0', (size_t)len)) {
			fprintf(stderr, "slabinfo: %s:%lu: binary data, not a slabinfo text\n",
				p->source, p->lineno);
			p->fatal = true;
			break;
		}
		parse_line(p, line);
	}
	free(line);
	if (ferror(in)) {
		fprintf(stderr, "slabinfo: %s: read error\n", p->source);
		return false;
	}
	if (p->fatal)
		return false;
	if (!p->version_seen && !p->nr_rows && !p->malformed) {
		fprintf(stderr, "slabinfo: %s: no slabinfo version line and no cache lines\n",
			p->source);
		return false;
	}
	return true;
}

static void free_rows(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nr_rows; i++)
		free(p->rows[i].name);
	free(p->rows);
	p->rows = NULL;
	p->nr_rows = 0;
}

/* ---- the report ---- */

static unsigned long memory_kib(const struct cache_row *row)
{
	return row->sec[SEC_SLABDATA][SLABDATA_NUM] *
	       row->head[HEAD_PAGESPERSLAB] * (KSLAB_PAGE_SIZE / 1024);
}

static unsigned long activity(const struct cache_row *row)
{
	return row->sec[SEC_MAGAZINE][MAG_ALLOC_HIT] +
	       row->sec[SEC_MAGAZINE][MAG_ALLOC_MISS];
}

static int cmp_name(const void *a, const void *b)
{
	const struct cache_row *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Largest first; ties by name so the order is the same on every run. */
static int cmp_memory(const void *a, const void *b)
{
	unsigned long x = memory_kib(a), y = memory_kib(b);

	if (x != y)
		return x < y ? 1 : -1;
	return cmp_name(a, b);
}

/* By allocations since the previous screen: since the start when once. */
static int cmp_activity(const void *a, const void *b)
{
	const struct cache_row *x_row = a, *y_row = b;
	unsigned long x = x_row->recent, y = y_row->recent;

	if (x != y)
		return x < y ? 1 : -1;
	return cmp_name(a, b);
}

/* "part/whole" as a percentage, or "-" when there is nothing to divide. */
static const char *percent(char *buf, size_t size, unsigned long part,
			   unsigned long whole)
{
	if (!whole)
		return "-";
	snprintf(buf, size, "%.1f%%", 100.0 * (double)part / (double)whole);
	return buf;
}

static const char *pair(char *buf, size_t size, bool known, unsigned long a,
			unsigned long b)
{
	if (!known)
		return "-";
	snprintf(buf, size, "%lu/%lu", a, b);
	return buf;
}

static const char *number(char *buf, size_t size, bool known,
			  unsigned long value)
{
	if (!known)
		return "-";
	snprintf(buf, size, "%lu", value);
	return buf;
}

/*
 * The columns after the name, shared by the cache rows and the total.
 * The known flags are false when no input line had that section.
 */
struct columns {
	unsigned long active, total, slabs, kib;
	const char *size, *objs_per_slab, *pages_per_slab, *colours;
	bool magazine, depot, slab;
	unsigned long alloc_hit, alloc_miss, free_hit, free_miss;
	unsigned long depot_gets, depot_puts, grows, frees;
	unsigned long recent;
};

/*
 * The header's layout; print_columns() keeps the same widths. A
 * refreshing view adds RECENT_FORMAT's column.
 */
#define COLUMN_FORMAT	"%-*s %15s %7s %8s %7s %7s %9s %6s %8s %7s %13s %11s %7s"
#define RECENT_FORMAT	" %10s"

static void print_columns(int name_width, const char *name,
			  const struct columns *c, const struct view *v)
{
	char objs[48], use[16], ahit[16], fhit[16], depot[48], slabs[48];

	printf("%-*s %15s %7s %8s %7s %7lu %9lu %6s %8s %7s %13s %11s %7s",
	       name_width, name, pair(objs, sizeof(objs), true, c->active, c->total),
	       c->size, c->objs_per_slab, c->pages_per_slab, c->slabs, c->kib,
	       percent(use, sizeof(use), c->active, c->total),
	       c->magazine ? percent(ahit, sizeof(ahit), c->alloc_hit,
				     c->alloc_hit + c->alloc_miss) : "-",
	       c->magazine ? percent(fhit, sizeof(fhit), c->free_hit,
				     c->free_hit + c->free_miss) : "-",
	       pair(depot, sizeof(depot), c->depot, c->depot_gets, c->depot_puts),
	       pair(slabs, sizeof(slabs), c->slab, c->grows, c->frees),
	       c->colours);
	if (v->refresh)
		printf(" %10lu", c->recent);
	putchar('\n');
}

/* Add @row to the running total @t. */
static void add_to_total(struct columns *t, const struct cache_row *row)
{
	t->active += row->head[HEAD_ACTIVE_OBJS];
	t->total += row->head[HEAD_NUM_OBJS];
	t->slabs += row->sec[SEC_SLABDATA][SLABDATA_NUM];
	t->kib += memory_kib(row);
	t->recent += row->recent;
	if (has(row, SEC_MAGAZINE)) {
		t->magazine = true;
		t->alloc_hit += row->sec[SEC_MAGAZINE][MAG_ALLOC_HIT];
		t->alloc_miss += row->sec[SEC_MAGAZINE][MAG_ALLOC_MISS];
		t->free_hit += row->sec[SEC_MAGAZINE][MAG_FREE_HIT];
		t->free_miss += row->sec[SEC_MAGAZINE][MAG_FREE_MISS];
	}
	if (has(row, SEC_DEPOT)) {
		t->depot = true;
		t->depot_gets += row->sec[SEC_DEPOT][DEPOT_GETS];
		t->depot_puts += row->sec[SEC_DEPOT][DEPOT_PUTS];
	}
	if (has(row, SEC_SLAB)) {
		t->slab = true;
		t->grows += row->sec[SEC_SLAB][SLAB_GROWS];
		t->frees += row->sec[SEC_SLAB][SLAB_FREES];
	}
}

static void print_row(int name_width, const struct cache_row *row,
		      const struct view *v)
{
	char size[24], objs[24], pages[24], colours[24];
	struct columns c = {
		.size = number(size, sizeof(size), true, row->head[HEAD_OBJSIZE]),
		.objs_per_slab = number(objs, sizeof(objs), true,
					row->head[HEAD_OBJPERSLAB]),
		.pages_per_slab = number(pages, sizeof(pages), true,
					 row->head[HEAD_PAGESPERSLAB]),
		.colours = number(colours, sizeof(colours), has(row, SEC_SLAB),
				  row->sec[SEC_SLAB][SLAB_COLOURS]),
	};

	/* A cache's own columns are the total over that one cache. */
	add_to_total(&c, row);
	print_columns(name_width, row->name, &c, v);
}

static const char *const sort_names[] = {
	[SORT_NAME] = "name",
	[SORT_MEMORY] = "memory",
	[SORT_ACTIVITY] = "activity",
};

/*
 * Each row's allocations since @prev's screen, found by name; a cache
 * that is new, or whose counters went back (made again), counts from 0.
 */
static void set_recent(struct parser *now, const struct parser *prev)
{
	size_t i, j;

	for (i = 0; i < now->nr_rows; i++) {
		struct cache_row *row = &now->rows[i];
		unsigned long before = 0;

		for (j = 0; j < prev->nr_rows; j++) {
			if (!strcmp(prev->rows[j].name, row->name)) {
				before = activity(&prev->rows[j]);
				break;
			}
		}
		if (before > activity(row))
			before = 0;
		row->recent = activity(row) - before;
	}
}

static void print_report(struct parser *p, const struct view *v)
{
	static int (*const cmp[])(const void *, const void *) = {
		[SORT_NAME] = cmp_name,
		[SORT_MEMORY] = cmp_memory,
		[SORT_ACTIVITY] = cmp_activity,
	};
	struct columns total = { .size = "", .objs_per_slab = "",
				 .pages_per_slab = "", .colours = "" };
	char total_name[48];
	int width = (int)strlen("total");
	size_t i;

	qsort(p->rows, p->nr_rows, sizeof(*p->rows), cmp[v->key]);
	for (i = 0; i < p->nr_rows; i++)
		if ((int)strlen(p->rows[i].name) > width)
			width = (int)strlen(p->rows[i].name);
	snprintf(total_name, sizeof(total_name), "total (%zu)", p->nr_rows);
	if ((int)strlen(total_name) > width)
		width = (int)strlen(total_name);

	printf("kslab slabinfo: %zu cache%s from %s, sorted by %s", p->nr_rows,
	       p->nr_rows == 1 ? "" : "s", p->source, sort_names[v->key]);
	if (p->skipped)
		printf(" (%lu other line%s skipped)", p->skipped,
		       p->skipped == 1 ? "" : "s");
	if (v->refresh) {
		printf(", every %g s, screen %lu", v->delay, v->screen);
		if (v->screens)
			printf(" of %lu", v->screens);
	}
	printf("\n\n");
	printf(COLUMN_FORMAT, width, "Name", "Active/Total", "ObjSize",
	       "Obj/Slab", "Pg/Slab", "Slabs", "KiB", "Use%", "AllocHit",
	       "FreeHit", "DepotGet/Put", "Grow/Free", "Colours");
	if (v->refresh)
		printf(RECENT_FORMAT, "Allocs");
	putchar('\n');
	for (i = 0; i < p->nr_rows; i++) {
		print_row(width, &p->rows[i], v);
		add_to_total(&total, &p->rows[i]);
	}
	print_columns(width, total_name, &total, v);
}

/* ---- --demo: a workload of our own, read back through the parser ---- */

/*
 * Four caches that take four different paths through the layout rules:
 * small objects with the header on the slab, cache-line-aligned objects,
 * page-sized objects with the header off the slab, and multi-page slabs
 * with no magazines at all.
 */
static const struct demo_cache_spec {
	const char *name;
	unsigned int size;
	unsigned long flags;
	unsigned int count;
	unsigned int keep_every;	/* of each n objects, one is kept */
} demo_specs[] = {
	{ "demo-small",  32,    0,                   20000, 3 },
	{ "demo-medium", 200,   KSLAB_HWCACHE_ALIGN,  4000, 2 },
	{ "demo-large",  4096,  0,                     600, 4 },
	{ "demo-huge",   20000, KSLAB_NO_MAGAZINE,      40, 2 },
};

#define NR_DEMO_CACHES	(sizeof(demo_specs) / sizeof(demo_specs[0]))
#define DEMO_CHURN	4	/* rounds of freeing and reallocating a quarter */

struct demo_cache {
	struct kslab_cache *cache;
	void **objs;
	unsigned int count;
};

struct demo {
	struct demo_cache caches[NR_DEMO_CACHES];
	unsigned int steps;		/* taken by demo_step() */
};

static unsigned long long demo_rng = 0x736c6162696e666fULL;

static unsigned int demo_random(unsigned int below)
{
	demo_rng ^= demo_rng << 13;
	demo_rng ^= demo_rng >> 7;
	demo_rng ^= demo_rng << 17;
	return (unsigned int)(demo_rng % below);
}

/* Free a random quarter of the objects and allocate them again. */
static bool demo_churn(struct demo_cache *dc)
{
	unsigned int round, i;

	for (round = 0; round < DEMO_CHURN; round++) {
		unsigned int quarter = dc->count / 4;
		unsigned int *picked = malloc(quarter * sizeof(*picked));

		if (!picked)
			return false;
		for (i = 0; i < quarter; i++) {
			unsigned int j = demo_random(dc->count);

			picked[i] = j;
			kslab_cache_free(dc->cache, dc->objs[j]);
			dc->objs[j] = NULL;
		}
		for (i = 0; i < quarter; i++) {
			unsigned int j = picked[i];

			/* A slot picked twice was refilled already. */
			if (!dc->objs[j])
				dc->objs[j] = kslab_cache_alloc(dc->cache, GFP_KERNEL);
			if (!dc->objs[j]) {
				free(picked);
				return false;
			}
		}
		free(picked);
	}
	return true;
}

/* Fill a cache, churn it, then keep one object in spec->keep_every. */
static bool demo_fill(struct demo_cache *dc, const struct demo_cache_spec *spec)
{
	unsigned int i;

	dc->cache = kslab_cache_create(spec->name, spec->size, NULL, spec->flags);
	dc->objs = calloc(spec->count, sizeof(*dc->objs));
	dc->count = spec->count;
	if (!dc->cache || !dc->objs)
		return false;
	for (i = 0; i < dc->count; i++) {
		dc->objs[i] = kslab_cache_alloc(dc->cache, GFP_KERNEL);
		if (!dc->objs[i])
			return false;
		memset(dc->objs[i], (int)i, spec->size);
	}
	if (!demo_churn(dc))
		return false;
	/* Free in random order: swap each slot with a random later one first. */
	for (i = dc->count - 1; i > 0; i--) {
		unsigned int j = demo_random(i + 1);
		void *obj = dc->objs[i];

		dc->objs[i] = dc->objs[j];
		dc->objs[j] = obj;
	}
	for (i = 0; i < dc->count; i++) {
		if (i % spec->keep_every) {
			kslab_cache_free(dc->cache, dc->objs[i]);
			dc->objs[i] = NULL;
		}
	}
	return true;
}

static void demo_teardown(struct demo *d)
{
	unsigned int c, i;

	for (c = 0; c < NR_DEMO_CACHES; c++) {
		struct demo_cache *dc = &d->caches[c];

		if (dc->objs && dc->cache)
			for (i = 0; i < dc->count; i++)
				if (dc->objs[i])
					kslab_cache_free(dc->cache, dc->objs[i]);
		free(dc->objs);
		kslab_cache_destroy(dc->cache);
	}
}

static bool demo_start(struct demo *d)
{
	unsigned int c;

	for (c = 0; c < NR_DEMO_CACHES; c++) {
		if (!demo_fill(&d->caches[c], &demo_specs[c])) {
			fprintf(stderr, "slabinfo: the demo workload ran out of memory\n");
			return false;
		}
	}
	return true;
}

/*
 * Between screens of the refreshing view: free the next quarter of each
 * cache's slots and fill them all again, exactly count / 4 allocations
 * a cache, which the Allocs column shows.
 */
static bool demo_step(struct demo *d)
{
	unsigned int c, k;

	for (c = 0; c < NR_DEMO_CACHES; c++) {
		struct demo_cache *dc = &d->caches[c];
		unsigned int quarter = dc->count / 4;
		unsigned int start = d->steps * quarter % dc->count;

		for (k = 0; k < quarter; k++) {
			void **slot = &dc->objs[(start + k) % dc->count];

			if (*slot)
				kslab_cache_free(dc->cache, *slot);
			*slot = NULL;
		}
		for (k = 0; k < quarter; k++) {
			void **slot = &dc->objs[(start + k) % dc->count];

			*slot = kslab_cache_alloc(dc->cache, GFP_KERNEL);
			if (!*slot)
				return false;
		}
	}
	d->steps++;
	return true;
}

#define PROC_DIR	"/proc/"
#define PROC_SLABINFO	"/proc/kslabinfo"
#define PROC_VALIDATE	"/proc/kslab_validate"

/* The module's validation: the count /proc/kslab_validate prints, or -1. */
static long proc_validate(void)
{
	FILE *f = fopen(PROC_VALIDATE, "r");
	long problems = -1;

	if (!f) {
		fprintf(stderr, "slabinfo: %s: %s\n", PROC_VALIDATE, strerror(errno));
		return -1;
	}
	if (fscanf(f, "problems %ld", &problems) != 1)
		fprintf(stderr, "slabinfo: %s: unexpected contents\n", PROC_VALIDATE);
	fclose(f);
	return problems;
}

/* Where the screens come from: a file, standard input, or the demo. */
struct source {
	const char *path;	/* NULL for the demo */
	struct demo *demo;
};

/*
 * Read the source once into @p. With @problems, also validate: the demo's
 * caches here, the module's through /proc/kslab_validate.
 */
static bool read_source(struct parser *p, const struct source *src,
			long *problems)
{
	char *text = NULL;
	size_t len;
	FILE *in;
	bool ok;

	if (src->demo) {
		if (problems)
			*problems = (long)kslab_check_all();
		len = kslab_slabinfo_format(NULL, 0);
		text = malloc(len + 1);
		if (!text) {
			fprintf(stderr, "slabinfo: out of memory\n");
			return false;
		}
		kslab_slabinfo_format(text, len + 1);
		p->source = "the built-in demo";
		in = fmemopen(text, len, "r");
	} else if (!strcmp(src->path, "-")) {
		p->source = "standard input";
		in = stdin;
	} else {
		p->source = src->path;
		in = fopen(p->source, "r");
	}
	if (!in) {
		fprintf(stderr, "slabinfo: %s: %s\n", p->source, strerror(errno));
		free(text);
		return false;
	}
	ok = parse_stream(p, in);
	if (in != stdin)
		fclose(in);
	free(text);
	if (problems && !src->demo)
		*problems = proc_validate();
	return ok;
}

static void print_demo_note(const struct view *v)
{
	printf("The built-in workload filled %u caches, freed and reallocated a random\n"
	       "quarter of each %u times, then freed most objects in random order and\n"
	       "kept the rest. Freed objects wait in the magazines, so they count as\n"
	       "active until a shrink or reap.%s\n\n",
	       (unsigned int)NR_DEMO_CACHES, DEMO_CHURN,
	       v->refresh ? " Between screens it frees and allocates again\n"
			    "a quarter of each cache's objects." : "");
}

static void sleep_seconds(double seconds)
{
	struct timespec ts = { .tv_sec = (time_t)seconds };

	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Draw the screens: one, or every v->delay seconds until v->screens.
 * Return: true if every screen read cleanly (and validated clean).
 */
static bool run_view(const struct source *src, struct view *v, bool validate)
{
	struct parser prev = { 0 };
	bool clean = true, tty = isatty(STDOUT_FILENO);

	for (v->screen = 1;; v->screen++) {
		struct parser now = { 0 };
		long problems = 0;
		bool ok = read_source(&now, src, validate ? &problems : NULL);

		if (v->refresh && tty)
			fputs("\033[H\033[J", stdout);	/* home, clear */
		else if (v->screen > 1)
			putchar('\n');
		if (ok) {
			set_recent(&now, &prev);
			if (src->demo)
				print_demo_note(v);
			print_report(&now, v);
		}
		if (validate)
			printf("\nvalidate: %ld problems\n", problems);
		fflush(stdout);
		if (now.malformed)
			fprintf(stderr, "slabinfo: %s: %lu malformed line%s left out\n",
				now.source, now.malformed,
				now.malformed == 1 ? "" : "s");
		clean = clean && ok && !now.malformed && !problems;
		free_rows(&prev);
		prev = now;
		if (!ok || !v->refresh || v->screen == v->screens)
			break;
		sleep_seconds(v->delay);
		if (src->demo && !demo_step(src->demo)) {
			fprintf(stderr, "slabinfo: the demo workload ran out of memory\n");
			clean = false;
			break;
		}
	}
	free_rows(&prev);
	return clean;
}

#define USAGE_LINE \
	"usage: slabinfo [-s | -a] [-v] [-d SECONDS] [-n SCREENS] [FILE | --demo]\n" \
	"       slabinfo [--top=N] --sites PROFILE | --sites-diff OLD NEW\n"

static void usage(void)
{
	printf(USAGE_LINE
	       "\n"
	       "Show kslab's object caches from a slabinfo 2.1 text, as written by\n"
	       "kslab_slabinfo_format() or the kernel module's /proc/kslabinfo\n"
	       "(FILE, or - for standard input; with neither FILE nor --demo,\n"
	       "/proc/kslabinfo), or from a small built-in workload (--demo).\n"
	       "\n"
	       "  -s, --size         sort by memory used, largest first\n"
	       "  -a, --activity     sort by allocations (magazine hits + misses);\n"
	       "                     when refreshing, by those since the last screen\n"
	       "  -d, --delay=SECS   refresh every SECS seconds (fractions too), like\n"
	       "                     slabtop: FILE is read again, the demo runs on;\n"
	       "                     adds the column Allocs, allocations since the\n"
	       "                     previous screen; stop it with Ctrl-C\n"
	       "  -n, --screens=N    refresh N times, then stop (-d defaults to 3)\n"
	       "  -v, --validate     check every cache's slabs, free maps, poison and\n"
	       "                     red zones: the demo's, or with /proc/kslabinfo the\n"
	       "                     kernel module's (through /proc/kslab_validate)\n"
	       "  --sites            show the allocation sites of the profile PROFILE\n"
	       "                     (kslab_allocinfo_format()'s text, KSLAB_PROFILE=\n"
	       "                     allocinfo, /proc/kslab_allocinfo, /proc/allocinfo)\n"
	       "                     holding most bytes, largest first\n"
	       "  --sites-diff       what changed per site from profile OLD to NEW,\n"
	       "                     largest change in bytes first\n"
	       "  --top=N            how many sites those show (default 20)\n"
	       "  -h, --help         this text\n"
	       "\n"
	       "Columns: Active/Total objects (active ones are with callers or in\n"
	       "magazines), ObjSize (bytes between objects), Obj/Slab, Pg/Slab,\n"
	       "Slabs, KiB (slab pages), Use%% (active/total), AllocHit and FreeHit\n"
	       "(share served by a CPU's magazines), DepotGet/Put (full magazines\n"
	       "taken from and given to the depot), Grow/Free (slabs made and given\n"
	       "back), Colours. \"-\" means the input has no such column or there is\n"
	       "nothing to divide by.\n"
	       "\n"
	       "Exit status: 0 when every cache line was read (and -v found nothing),\n"
	       "1 for bad input, a problem found, or bad usage.\n");
}

static int usage_error(const char *why)
{
	if (why)
		fprintf(stderr, "slabinfo: %s\n", why);
	fprintf(stderr, USAGE_LINE "slabinfo -h for more\n");
	return 1;
}

#define DEFAULT_DELAY	3.0		/* seconds, as slabtop's */
#define MAX_DELAY	86400.0

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "demo", no_argument, NULL, 'D' },
		{ "size", no_argument, NULL, 's' },
		{ "activity", no_argument, NULL, 'a' },
		{ "delay", required_argument, NULL, 'd' },
		{ "screens", required_argument, NULL, 'n' },
		{ "validate", no_argument, NULL, 'v' },
		{ "sites", no_argument, NULL, 'S' },
		{ "sites-diff", no_argument, NULL, 'X' },
		{ "top", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct view v = { .key = SORT_NAME, .delay = DEFAULT_DELAY };
	struct demo demo = { 0 };
	struct source src = { 0 };
	bool demo_wanted = false, sorted = false, validate = false, ok;
	unsigned long top = 20;
	int opt, sites = 0;
	char *end;

	while ((opt = getopt_long(argc, argv, "sad:n:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'v':
			validate = true;
			break;
		case 'D':
			demo_wanted = true;
			break;
		case 'S':
		case 'X':
			sites = opt;
			break;
		case 'T':
			if (!parse_number(optarg, &top) || !top)
				return usage_error("--top takes a count of sites, 1 or more");
			break;
		case 's':
		case 'a':
			if (sorted)
				return usage_error("-s and -a exclude each other");
			sorted = true;
			v.key = opt == 's' ? SORT_MEMORY : SORT_ACTIVITY;
			break;
		case 'd':
			errno = 0;
			v.delay = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(v.delay >= 0) ||
			    v.delay > MAX_DELAY)
				return usage_error("-d takes seconds, from 0 to a day");
			v.refresh = true;
			break;
		case 'n':
			if (!parse_number(optarg, &v.screens) || !v.screens)
				return usage_error("-n takes a count of screens, 1 or more");
			v.refresh = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			return usage_error(NULL);
		}
	}
	if (sites == 'S' && argc - optind == 1)
		return allocinfo_top(argv[optind], top, stdout) ? 0 : 1;
	if (sites == 'X' && argc - optind == 2)
		return allocinfo_diff(argv[optind], argv[optind + 1], top,
				      stdout) ? 0 : 1;
	if (sites)
		return usage_error("--sites takes one PROFILE, --sites-diff two");
	if ((demo_wanted && optind < argc) || argc - optind > 1)
		return usage_error("give one FILE or --demo, not both");
	if (!demo_wanted)
		src.path = optind < argc ? argv[optind] : PROC_SLABINFO;
	if (!demo_wanted && optind == argc && access(PROC_SLABINFO, R_OK)) {
		fprintf(stderr, "slabinfo: %s: %s: the kslab module is not loaded; give a FILE or --demo\n",
			PROC_SLABINFO, strerror(errno));
		return 1;
	}
	if (validate && !demo_wanted && strncmp(src.path, PROC_DIR, strlen(PROC_DIR)))
		return usage_error("-v needs --demo or the module's /proc/kslabinfo");
	if (v.refresh && !demo_wanted && !strcmp(src.path, "-"))
		return usage_error("standard input cannot be read again: -d needs a FILE");

	if (demo_wanted) {
		src.demo = &demo;
		if (!demo_start(&demo)) {
			demo_teardown(&demo);
			return 1;
		}
	}
	ok = run_view(&src, &v, validate);
	if (demo_wanted)
		demo_teardown(&demo);
	return ok ? 0 : 1;
}
