/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The buddy zone: kslab-internal, shared by the files of mm/ that implement
 * the buddy allocator (buddy.c, buddy_check.c, pagemap.c).
 */
#ifndef KSLAB_ZONE_H
#define KSLAB_ZONE_H

#include <kslab/buddy.h>
#include "page.h"

#define KSLAB_ZONE_NAME_LEN	32

struct kslab_free_area {
	struct kslab_list_head blocks;
	unsigned long nr_free;
};

struct kslab_zone {
	struct kslab_spinlock lock;
	struct kslab_free_area free_area[KSLAB_MAX_ORDER + 1];
	struct kslab_list_head chunks;		/* chunks granted to us */
	struct kslab_list_head spare_descs;	/* descriptors of returned chunks */
	unsigned long nr_chunks;		/* chunks on ->chunks */
	unsigned long nr_growing;		/* chunks being granted */
	unsigned long managed_pages;
	unsigned long free_pages;
	struct kslab_page_source *source;
	int node;				/* whose memory; -1: the source's */
	unsigned long max_chunks;
	unsigned long keep_free_chunks;
	struct kslab_buddy_events events;
	struct kslab_list_head zone_node;	/* kslab_zones */
	char name[KSLAB_ZONE_NAME_LEN];
};

/* All live zones, for buddyinfo. Lock order: kslab_zones_lock, zone->lock. */
extern struct kslab_list_head kslab_zones;
extern struct kslab_spinlock kslab_zones_lock;

int kslab_pagemap_insert(struct kslab_chunk *chunk, gfp_t gfp);
void kslab_pagemap_remove(struct kslab_chunk *chunk);
void kslab_pagemap_release(void);
unsigned long kslab_default_zone_release(void);
unsigned long kslab_default_zone_free_chunks(void);
unsigned long kslab_default_zone_trim(void);
void kslab_zones_lock_all(void);
void kslab_zones_unlock_all(void);

#endif /* KSLAB_ZONE_H */
