// SPDX-License-Identifier: GPL-2.0
/*
 * kslab-demo: the buddy allocator at work, for a person to watch.
 *
 * Allocates about 200 MiB from the default zone in blocks of mixed orders
 * and writes every page, frees every other block, then frees the rest. At
 * each step it prints the free lists (like /proc/buddyinfo), the zone's
 * counters and the process RSS, so one can see the zone grow chunk by
 * chunk, fragment when freed blocks are pinned between live ones, coalesce
 * again, and hand its chunks back to the system. It ends with a full
 * consistency check and exits non-zero if anything went wrong.
 */
#include <kslab/buddy.h>

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

static void print_buddyinfo(void)
{
	size_t len = kslab_buddyinfo_format(NULL, 0);
	char *text = malloc(len + 1);
	unsigned int order;

	if (!text)
		return;
	kslab_buddyinfo_format(text, len + 1);
	printf("  free blocks of each order, as in /proc/buddyinfo:\n");
	/* Line the header up with "Node 0, zone %8s" and its " %6lu" columns. */
	printf("    %21s", "order");
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		printf(" %6u", order);
	printf("\n");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		printf("    %s\n", line);
	free(text);
}

/* Print where the zone stands after a step; @why says what to look for. */
static void print_state(struct demo *d, const char *title, const char *why)
{
	struct kslab_buddy_stats s;
	struct timespec now;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - d->phase_start.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - d->phase_start.tv_nsec) / 1e6;
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
	clock_gettime(CLOCK_MONOTONIC, &d->phase_start);
}

/* A seeded xorshift: the same mix of orders on every run. */
static unsigned int next_order(struct demo *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return (unsigned int)(d->rng % (DEMO_MAX_ORDER + 1));
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

/* The end state and the checker's verdict. Return: the process exit code. */
static int verdict(struct demo *d)
{
	struct kslab_buddy_stats s;
	unsigned long problems;

	kslab_buddy_stats(&s);
	printf("\n== verdict ==\n");
	printf("  allocation failures      %lu\n", d->failures);
	printf("  pages found overwritten  %lu\n", d->corrupt_pages);
	printf("  accounting mismatches    %lu\n", d->accounting_errors);
	printf("  chunks kept for reuse    %lu (the zone keeps up to %d)\n",
	       s.nr_chunks, KSLAB_KEEP_FREE_CHUNKS_DEFAULT);
	problems = kslab_zone_check(kslab_default_zone());
	printf("  kslab_zone_check()       %lu problems\n", problems);

	if (d->failures || d->corrupt_pages || d->accounting_errors || problems ||
	    s.free_pages != s.managed_pages ||
	    s.nr_chunks > KSLAB_KEEP_FREE_CHUNKS_DEFAULT) {
		printf("FAILED\n");
		return EXIT_FAILURE;
	}
	printf("OK\n");
	return EXIT_SUCCESS;
}

int main(void)
{
	struct demo d = { .rng = DEMO_SEED };
	char title[128];
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("kslab-demo: the buddy allocator on the default zone\n");
	printf("  blocks of order 0-%d (%lu KiB to %lu KiB), chunks of %lu MiB\n",
	       DEMO_MAX_ORDER, KSLAB_PAGE_SIZE >> 10,
	       (KSLAB_PAGE_SIZE << DEMO_MAX_ORDER) >> 10, KSLAB_CHUNK_SIZE >> 20);

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

	rc = verdict(&d);
	free(d.blocks);
	return rc;
}
