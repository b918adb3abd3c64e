// SPDX-License-Identifier: GPL-2.0
/*
 * The kslab module's entry points, its /proc files, its shrinker and its
 * CPU hotplug callback.
 *
 * Load: make the kmalloc size classes (a first kmalloc may come in atomic
 * context, where making caches could sleep), register the hotplug
 * callback and the shrinker, and make the /proc files:
 *
 *   /proc/kslabinfo        every cache of every user, slabinfo 2.1 lines
 *                          and kslab's counters (kslab_slabinfo_format())
 *   /proc/kslab_buddyinfo  the zones' free blocks per order
 *   /proc/kslab_validate   reading it checks every cache (kslab_check_all(),
 *                          reports in the kernel log) and prints the count
 *   /proc/kslab_reclaim    memory held from the page allocator, what the
 *                          shrinker estimates it could give back, and what
 *                          the shrinker and the hotplug callback did
 *   /proc/kslab_stats.json every figure, one JSON document
 *                          (kslab_stats_json(), Documentation/stats.rst)
 *   /proc/kslab_regioninfo every region of every user, one line each
 *                          (kslab_regioninfo_format(),
 *                          Documentation/region.rst)
 *   /proc/kslab_allocinfo  live bytes and calls per allocation site, in
 *                          the kernel's /proc/allocinfo format, once
 *                          profile=1 or kslab_profile_start() turned the
 *                          profile on (Documentation/profiling.rst)
 *   /proc/kslab_heap_profile  the sampled allocations with their stacks
 *                          (profile=sample=BYTES), in gperftools' heap
 *                          profile format; root only: kernel addresses
 *
 * Memory pressure: the shrinker counts kslab_reclaimable_bytes() (no lock)
 * and scans with kslab_reclaim(), which never sleeps and only tries
 * kslab's cache list mutex: reclaim can start inside kslab's own
 * allocations, that mutex held. It says what it freed in chunks given
 * back to the page allocator, the only memory the kernel sees come back.
 *
 * CPU hotplug: a CPU that goes offline gives its magazines to the depots
 * (kslab_cpu_dead()) in a CPUHP_BP_PREPARE_DYN teardown, which runs on
 * a surviving CPU once the dead one runs nothing, so its per-CPU data is
 * touched directly, with no IPI. It runs holding the hotplug lock for
 * writing; kslab takes that lock for reading under its cache list mutex
 * (kslab_each_cpu_exclusive()), so the callback walks the caches under
 * kslab_caches_list_lock, a spinlock never held while the hotplug lock
 * is taken, and never takes the mutex. Lock order: the hotplug lock, then
 * kslab_caches_list_lock, then a cache's depot lock.
 *
 * Unload: another module still using kslab's symbols holds a reference,
 * so by now they are gone, and so should be their caches. kslab_shutdown()
 * destroys kmalloc's classes, reports any other cache by name with its
 * objects still out, and gives every chunk back; the port then waits for
 * RCU callbacks and deferred frees. A cache left by a user costs its
 * memory, reported, never a WARN or an oops.
 */
#include <linux/cpuhotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/version.h>

#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/profile.h>
#include <kslab/region.h>
#include <kslab/slab.h>
#include "../mm/port.h"
#include "port-internal.h"

/* Format into a buffer that grows until the text fits, then show it. */
static int kslab_proc_show(struct seq_file *m,
			   size_t (*format)(char *buf, size_t size))
{
	size_t size = PAGE_SIZE, len;
	char *buf;

	for (;;) {
		buf = kvmalloc(size, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		len = format(buf, size);
		if (len < size)
			break;
		kvfree(buf);
		size = PAGE_ALIGN(len + 1);
	}
	seq_write(m, buf, len);
	kvfree(buf);
	return 0;
}

static int kslabinfo_show(struct seq_file *m, void *unused)
{
	return kslab_proc_show(m, kslab_slabinfo_format);
}

static int kslab_buddyinfo_show(struct seq_file *m, void *unused)
{
	return kslab_proc_show(m, kslab_buddyinfo_format);
}

static int kslab_stats_json_show(struct seq_file *m, void *unused)
{
	return kslab_proc_show(m, kslab_stats_json);
}

static int kslab_regioninfo_show(struct seq_file *m, void *unused)
{
	return kslab_proc_show(m, kslab_regioninfo_format);
}

static int kslab_allocinfo_show(struct seq_file *m, void *unused)
{
	return kslab_proc_show(m, kslab_allocinfo_format);
}

static int kslab_heap_profile_show(struct seq_file *m, void *unused)
{
	return kslab_proc_show(m, kslab_heap_profile_format);
}

static int kslab_validate_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "problems %lu\n", kslab_check_all());
	return 0;
}

/* What the shrinker and the hotplug callback did, for /proc/kslab_reclaim. */
static atomic_long_t shrink_scans, shrink_busy, shrink_freed_pages;
static atomic_long_t cpu_dead_calls, cpu_dead_objs;

/* Kernel pages in one of kslab's chunks. */
#define KSLAB_CHUNK_KERNEL_PAGES	(KSLAB_CHUNK_SIZE >> PAGE_SHIFT)

static int kslab_reclaim_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "chunks_held         %lu\n", kslab_port_chunks_held());
	seq_printf(m, "held_kib            %lu\n",
		   kslab_port_chunks_held() * (KSLAB_CHUNK_SIZE >> 10));
	seq_printf(m, "reclaimable_kib     %zu\n",
		   kslab_reclaimable_bytes() >> 10);
	seq_printf(m, "shrinker_scans      %ld\n", atomic_long_read(&shrink_scans));
	seq_printf(m, "shrinker_busy       %ld\n", atomic_long_read(&shrink_busy));
	seq_printf(m, "shrinker_freed_kib  %ld\n",
		   atomic_long_read(&shrink_freed_pages) << (PAGE_SHIFT - 10));
	seq_printf(m, "cpu_dead_calls      %ld\n", atomic_long_read(&cpu_dead_calls));
	seq_printf(m, "cpu_dead_objects    %ld\n", atomic_long_read(&cpu_dead_objs));
	return 0;
}

/* ---- memory pressure ---- */

static unsigned long kslab_shrink_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	return kslab_reclaimable_bytes() >> PAGE_SHIFT;
}

/*
 * Frees at least sc->nr_to_scan pages to kslab's buddy allocator where it
 * can; what it reports is what reached the page allocator. Nothing to
 * give back, or kslab's mutex held: SHRINK_STOP, so the kernel does not
 * call again in vain this round.
 */
static unsigned long kslab_shrink_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	unsigned long before = kslab_port_chunks_held(), after;
	long pages = kslab_reclaim((sc->nr_to_scan << PAGE_SHIFT) >>
				   KSLAB_PAGE_SHIFT);

	atomic_long_inc(&shrink_scans);
	if (pages < 0) {
		atomic_long_inc(&shrink_busy);
		return SHRINK_STOP;
	}
	after = kslab_port_chunks_held();
	if (after >= before)
		return pages ? 0 : SHRINK_STOP;
	atomic_long_add((before - after) * KSLAB_CHUNK_KERNEL_PAGES,
			&shrink_freed_pages);
	return (before - after) * KSLAB_CHUNK_KERNEL_PAGES;
}

/*
 * DEFAULT_SEEKS: what kslab gives back costs a refill from the slabs to
 * make again, no I/O, but is the memory its next allocations use; the
 * kernel asks for it in proportion to the pressure, as for its own
 * caches. 6.7 made shrinkers allocated; 6.0 gave them a name.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static struct shrinker *kslab_shrinker;

static int kslab_shrinker_register(void)
{
	kslab_shrinker = shrinker_alloc(0, "kslab");
	if (!kslab_shrinker)
		return -ENOMEM;
	kslab_shrinker->count_objects = kslab_shrink_count;
	kslab_shrinker->scan_objects = kslab_shrink_scan;
	kslab_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(kslab_shrinker);
	return 0;
}

static void kslab_shrinker_unregister(void)
{
	shrinker_free(kslab_shrinker);
}
#else
static struct shrinker kslab_shrinker = {
	.count_objects = kslab_shrink_count,
	.scan_objects = kslab_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

static int kslab_shrinker_register(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 0, 0)
	return register_shrinker(&kslab_shrinker, "kslab");
#else
	return register_shrinker(&kslab_shrinker);
#endif
}

static void kslab_shrinker_unregister(void)
{
	unregister_shrinker(&kslab_shrinker);
}
#endif

/* ---- CPU hotplug ---- */

static int kslab_cpuhp_state;

/* The CPU is dead; this runs on another, the hotplug lock held. */
static int kslab_cpuhp_dead(unsigned int cpu)
{
	atomic_long_add(kslab_cpu_dead(cpu), &cpu_dead_objs);
	atomic_long_inc(&cpu_dead_calls);
	return 0;
}

/* Give every page back, and say whether all of it went; after @what. */
static void kslab_give_back(const char *what)
{
	unsigned long problems = kslab_shutdown();
	unsigned long chunks = kslab_port_exit();

	if (problems || chunks)
		pr_err("kslab: %s with %lu problems, %lu chunks not given back\n",
		       what, problems, chunks);
	else
		pr_info("kslab: %s, all memory given back\n", what);
}

/* The /proc files, made in this order and removed in the other. */
static const struct {
	const char *name;
	umode_t mode;
	int (*show)(struct seq_file *m, void *unused);
} kslab_proc_files[] = {
	{ "kslabinfo", 0444, kslabinfo_show },
	{ "kslab_buddyinfo", 0444, kslab_buddyinfo_show },
	{ "kslab_validate", 0400, kslab_validate_show },
	{ "kslab_reclaim", 0444, kslab_reclaim_show },
	{ "kslab_stats.json", 0444, kslab_stats_json_show },
	{ "kslab_regioninfo", 0444, kslab_regioninfo_show },
	{ "kslab_allocinfo", 0444, kslab_allocinfo_show },
	{ "kslab_heap_profile", 0400, kslab_heap_profile_show },
};

/* Remove the first @nr of kslab_proc_files, last first. */
static void kslab_proc_remove(unsigned int nr)
{
	while (nr--)
		remove_proc_entry(kslab_proc_files[nr].name, NULL);
}

static int __init kslab_module_init(void)
{
	unsigned int i;

	if (kslab_kmalloc_init())
		goto fail;
	kslab_cpuhp_state = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
						      "kslab:dead", NULL,
						      kslab_cpuhp_dead);
	if (kslab_cpuhp_state < 0)
		goto fail;
	if (kslab_shrinker_register())
		goto fail_shrinker;
	for (i = 0; i < ARRAY_SIZE(kslab_proc_files); i++)
		if (!proc_create_single(kslab_proc_files[i].name,
					kslab_proc_files[i].mode, NULL,
					kslab_proc_files[i].show))
			goto fail_proc;
	pr_info("kslab: loaded, per-CPU magazines, kmalloc classes ready\n");
	return 0;
fail_proc:
	kslab_proc_remove(i);
	kslab_shrinker_unregister();
fail_shrinker:
	cpuhp_remove_state_nocalls(kslab_cpuhp_state);
fail:
	kslab_give_back("load failed");
	return -ENOMEM;
}
module_init(kslab_module_init);

static void __exit kslab_module_exit(void)
{
	kslab_proc_remove(ARRAY_SIZE(kslab_proc_files));
	kslab_shrinker_unregister();
	cpuhp_remove_state_nocalls(kslab_cpuhp_state);
	kslab_give_back("unloaded");
}
module_exit(kslab_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kslab: a slab allocator built on its own buddy allocator");
