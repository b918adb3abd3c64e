// SPDX-License-Identifier: GPL-2.0
/*
 * The kslab API, exported to other modules. Kept apart from mm/, which
 * knows nothing of the kernel: one list here, in the order of the public
 * headers. GPL-only, as the code is.
 */
#include <linux/export.h>

#include <kslab/buddy.h>
#include <kslab/fault.h>
#include <kslab/kmalloc.h>
#include <kslab/pagemap.h>
#include <kslab/report.h>
#include <kslab/slab.h>
#include <kslab/slab_types.h>

/* <kslab/slab.h> */
EXPORT_SYMBOL_GPL(kslab_cache_create);
EXPORT_SYMBOL_GPL(kslab_cache_alloc);
EXPORT_SYMBOL_GPL(kslab_cache_free);
EXPORT_SYMBOL_GPL(kslab_cache_alloc_bulk);
EXPORT_SYMBOL_GPL(kslab_cache_free_bulk);
EXPORT_SYMBOL_GPL(kslab_cache_shrink);
EXPORT_SYMBOL_GPL(kslab_cache_reap);
EXPORT_SYMBOL_GPL(kslab_reap_all);
EXPORT_SYMBOL_GPL(kslab_cache_destroy);
EXPORT_SYMBOL_GPL(kslab_cache_stats);
EXPORT_SYMBOL_GPL(kslab_cache_cpu_stats);
EXPORT_SYMBOL_GPL(kslab_cache_check);
EXPORT_SYMBOL_GPL(kslab_debug_configure);
EXPORT_SYMBOL_GPL(kslab_check_all);
EXPORT_SYMBOL_GPL(kslab_cache_name);
EXPORT_SYMBOL_GPL(kslab_slabinfo_format);

/* <kslab/kmalloc.h> */
EXPORT_SYMBOL_GPL(kslab_kmalloc);
EXPORT_SYMBOL_GPL(kslab_kmalloc_aligned);
EXPORT_SYMBOL_GPL(kslab_kzalloc);
EXPORT_SYMBOL_GPL(kslab_kcalloc);
EXPORT_SYMBOL_GPL(kslab_krealloc);
EXPORT_SYMBOL_GPL(kslab_kfree);
EXPORT_SYMBOL_GPL(kslab_kfree_rcu);
EXPORT_SYMBOL_GPL(kslab_cache_free_rcu);
EXPORT_SYMBOL_GPL(kslab_rcu_flush);
EXPORT_SYMBOL_GPL(kslab_rcu_stats);
EXPORT_SYMBOL_GPL(kslab_ksize);

/* <kslab/buddy.h> */
EXPORT_SYMBOL_GPL(kslab_alloc_pages);
EXPORT_SYMBOL_GPL(kslab_free_pages);
EXPORT_SYMBOL_GPL(kslab_buddy_stats);
EXPORT_SYMBOL_GPL(kslab_buddyinfo_format);
EXPORT_SYMBOL_GPL(kslab_default_zone);
EXPORT_SYMBOL_GPL(kslab_zone_create);
EXPORT_SYMBOL_GPL(kslab_zone_destroy);
EXPORT_SYMBOL_GPL(kslab_zone_alloc_pages);
EXPORT_SYMBOL_GPL(kslab_zone_free_blocks);
EXPORT_SYMBOL_GPL(kslab_zone_stats);
EXPORT_SYMBOL_GPL(kslab_zone_check);
EXPORT_SYMBOL_GPL(kslab_zone_set_keep_free);
EXPORT_SYMBOL_GPL(kslab_zone_discard_free);

/* <kslab/fault.h> */
EXPORT_SYMBOL_GPL(kslab_fault_set);
EXPORT_SYMBOL_GPL(kslab_fault_clear);
EXPORT_SYMBOL_GPL(kslab_fault_read);
EXPORT_SYMBOL_GPL(kslab_fault_configure);

/* <kslab/report.h> */
EXPORT_SYMBOL_GPL(kslab_set_report_hook);
EXPORT_SYMBOL_GPL(kslab_report_count);
EXPORT_SYMBOL_GPL(kslab_report);

/*
 * The port contract, the page map and kmalloc's classes, for kslab's own
 * test module only (selftests/kernel/tests): it imports the namespace,
 * nothing else should.
 */
EXPORT_SYMBOL_NS_GPL(kslab_env_chunk_grant, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_rcu_barrier, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_chunk_take_back, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_meta_alloc, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_meta_free, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_page_word, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_puts, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_nr_cpus, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_pagemap_root, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_kmalloc_cache, KSLAB_INTERNAL);
