// SPDX-License-Identifier: GPL-2.0
/*
 * Symbols for kslab's own test module only (selftests/kernel/tests), in
 * the KSLAB_INTERNAL namespace, which it alone imports: the port items
 * and the page map, kmalloc and internal-cache lookups the portable
 * selftest suites reach, so that the same suites run in userspace and in
 * the kernel. No other module should import them.
 */
#include <linux/export.h>

#include "../mm/kmalloc.h"
#include "../mm/pagemap.h"

EXPORT_SYMBOL_NS_GPL(kslab_env_chunk_grant, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_chunk_take_back, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_nr_nodes, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_each_cpu_exclusive, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_meta_alloc, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_meta_free, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_page_word, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_env_puts, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_rcu_barrier, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_pagemap_root, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_kmalloc_cache, KSLAB_INTERNAL);
EXPORT_SYMBOL_NS_GPL(kslab_magazine_cache, KSLAB_INTERNAL);
