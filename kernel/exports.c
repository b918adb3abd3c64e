// SPDX-License-Identifier: GPL-2.0
/*
 * The kslab API, exported to other modules: every function a public
 * header marks KSLAB_API (<kslab/types.h>), header by header, GPL-only as
 * the code is. scripts/check-api.sh checks this list against the marks,
 * scripts/check-kernel.sh kslab's Module.symvers. The few symbols only
 * kslab's own test module may use are in kernel/exports_internal.c.
 */
#include <linux/export.h>

#include <kslab/buddy.h>
#include <kslab/fault.h>
#include <kslab/kmalloc.h>
#include <kslab/profile.h>
#include <kslab/region.h>
#include <kslab/report.h>
#include <kslab/slab.h>

/* <kslab/buddy.h> */
EXPORT_SYMBOL_GPL(kslab_alloc_pages);
EXPORT_SYMBOL_GPL(kslab_alloc_pages_node);
EXPORT_SYMBOL_GPL(kslab_page_node);
EXPORT_SYMBOL_GPL(kslab_free_pages);
EXPORT_SYMBOL_GPL(kslab_grow_pages);
EXPORT_SYMBOL_GPL(kslab_buddyinfo_format);
EXPORT_SYMBOL_GPL(kslab_default_zone);
EXPORT_SYMBOL_GPL(kslab_node_zone);
EXPORT_SYMBOL_GPL(kslab_zone_create);
EXPORT_SYMBOL_GPL(kslab_zone_destroy);
EXPORT_SYMBOL_GPL(kslab_zone_alloc_pages);
EXPORT_SYMBOL_GPL(kslab_zone_stats);
EXPORT_SYMBOL_GPL(kslab_buddy_stats);
EXPORT_SYMBOL_GPL(kslab_buddy_frag);
EXPORT_SYMBOL_GPL(kslab_zone_set_keep_free);
EXPORT_SYMBOL_GPL(kslab_zone_discard_free);
EXPORT_SYMBOL_GPL(kslab_zone_free_blocks);
EXPORT_SYMBOL_GPL(kslab_zone_check);

/* <kslab/profile.h> */
EXPORT_SYMBOL_GPL(kslab_profile_start);
EXPORT_SYMBOL_GPL(kslab_profile_stop);
EXPORT_SYMBOL_GPL(kslab_profile_sites);
EXPORT_SYMBOL_GPL(kslab_allocinfo_format);
EXPORT_SYMBOL_GPL(kslab_leaks_format);
EXPORT_SYMBOL_GPL(kslab_profile_sample);
EXPORT_SYMBOL_GPL(kslab_heap_profile_format);

/* <kslab/fault.h> */
EXPORT_SYMBOL_GPL(kslab_fault_set);
EXPORT_SYMBOL_GPL(kslab_fault_clear);
EXPORT_SYMBOL_GPL(kslab_fault_read);
EXPORT_SYMBOL_GPL(kslab_fault_configure);

/* <kslab/kmalloc.h> */
EXPORT_SYMBOL_GPL(kslab_kmalloc_init);
EXPORT_SYMBOL_GPL(kslab_kmalloc);
EXPORT_SYMBOL_GPL(kslab_kmalloc_node);
EXPORT_SYMBOL_GPL(kslab_kmalloc_aligned);
EXPORT_SYMBOL_GPL(kslab_kzalloc);
EXPORT_SYMBOL_GPL(kslab_kcalloc);
EXPORT_SYMBOL_GPL(kslab_krealloc);
EXPORT_SYMBOL_GPL(kslab_kfree);
EXPORT_SYMBOL_GPL(kslab_kfree_rcu);
EXPORT_SYMBOL_GPL(kslab_ksize);

/* <kslab/region.h> */
EXPORT_SYMBOL_GPL(kslab_region_create);
EXPORT_SYMBOL_GPL(kslab_region_create_zone);
EXPORT_SYMBOL_GPL(kslab_region_alloc);
EXPORT_SYMBOL_GPL(kslab_region_mark);
EXPORT_SYMBOL_GPL(kslab_region_reset_to);
EXPORT_SYMBOL_GPL(kslab_region_reset);
EXPORT_SYMBOL_GPL(kslab_region_destroy);
EXPORT_SYMBOL_GPL(kslab_region_stats);
EXPORT_SYMBOL_GPL(kslab_region_format);
EXPORT_SYMBOL_GPL(kslab_regioninfo_format);

/* <kslab/report.h> */
EXPORT_SYMBOL_GPL(kslab_set_report_hook);
EXPORT_SYMBOL_GPL(kslab_report_count);
EXPORT_SYMBOL_GPL(kslab_report);
EXPORT_SYMBOL_GPL(kslab_set_corruption_action);
EXPORT_SYMBOL_GPL(kslab_corruption_action);

/* <kslab/slab.h> */
EXPORT_SYMBOL_GPL(kslab_debug_configure);
EXPORT_SYMBOL_GPL(kslab_nr_cpus);
EXPORT_SYMBOL_GPL(kslab_cache_create);
EXPORT_SYMBOL_GPL(kslab_cache_alloc);
EXPORT_SYMBOL_GPL(kslab_cache_alloc_node);
EXPORT_SYMBOL_GPL(kslab_cache_free);
EXPORT_SYMBOL_GPL(kslab_cache_free_rcu);
EXPORT_SYMBOL_GPL(kslab_rcu_flush);
EXPORT_SYMBOL_GPL(kslab_rcu_stats);
EXPORT_SYMBOL_GPL(kslab_cache_alloc_bulk);
EXPORT_SYMBOL_GPL(kslab_cache_free_bulk);
EXPORT_SYMBOL_GPL(kslab_sheaf_prefill);
EXPORT_SYMBOL_GPL(kslab_sheaf_refill);
EXPORT_SYMBOL_GPL(kslab_sheaf_alloc);
EXPORT_SYMBOL_GPL(kslab_sheaf_return);
EXPORT_SYMBOL_GPL(kslab_sheaf_size);
EXPORT_SYMBOL_GPL(kslab_cache_shrink);
EXPORT_SYMBOL_GPL(kslab_cache_reap);
EXPORT_SYMBOL_GPL(kslab_reap_all);
EXPORT_SYMBOL_GPL(kslab_shrink_all);
EXPORT_SYMBOL_GPL(kslab_memory_stats);
EXPORT_SYMBOL_GPL(kslab_cache_destroy);
EXPORT_SYMBOL_GPL(kslab_cache_stats);
EXPORT_SYMBOL_GPL(kslab_cache_cpu_stats);
EXPORT_SYMBOL_GPL(kslab_cache_check);
EXPORT_SYMBOL_GPL(kslab_check_all);
EXPORT_SYMBOL_GPL(kslab_cache_size);
EXPORT_SYMBOL_GPL(kslab_cache_name);
EXPORT_SYMBOL_GPL(kslab_slabinfo_format);
EXPORT_SYMBOL_GPL(kslab_stats_json);
