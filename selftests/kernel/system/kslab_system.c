// SPDX-License-Identifier: GPL-2.0
/*
 * kslab_system: kslab under the kernel's own events, through its exported
 * API only, reporting in KTAP on the kernel log.
 *
 * On load, CPU hotplug: the last online CPU fills its magazines of a
 * fresh cache, goes offline (remove_cpu(), the path of writing 0 to its
 * sysfs "online" file), and every object its magazines held must be in
 * the depot, the cache's counts as they were; then it comes back online
 * and allocates again.
 *
 * With hold=MIB it tests nothing itself: it leaves that much memory free
 * in kslab, where only reclaim gets it back, and stays loaded while
 * scripts/check-kernel.sh drops caches or runs a memory hog and reads
 * /proc/kslab_reclaim; the cache goes at unload.
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <kslab/slab.h>

/* ---- a CPU going offline gives its magazines back ---- */

#define HOTPLUG_OBJS	300

/* On the CPU about to go: allocate, then free, into its magazines. */
static long fill_cpu_magazines(void *cache)
{
	void **objs = kmalloc_array(HOTPLUG_OBJS, sizeof(void *), GFP_KERNEL);
	long n;

	if (!objs)
		return -ENOMEM;
	for (n = 0; n < HOTPLUG_OBJS; n++) {
		objs[n] = kslab_cache_alloc(cache, GFP_KERNEL);
		if (!objs[n])
			break;
	}
	kslab_cache_free_bulk(cache, n, objs);
	kfree(objs);
	return n;
}

/* Objects in the CPUs' magazines: all cached objects but the depot's. */
static unsigned long cpus_objs(const struct kslab_cache_stats *st)
{
	return st->magazine_objs - st->depot_objs;
}

/*
 * Only @cpu uses the cache, so the objects the CPUs' magazines hold are
 * its own. Offline, it holds none: all are in the depot, and the cache
 * counts as many cached and as many out as before.
 */
static bool offline_returns_magazines(struct kslab_cache *cache,
				      unsigned int cpu)
{
	struct kslab_cache_stats before, after;
	int err;

	kslab_cache_stats(cache, &before);
	err = remove_cpu(cpu);
	kslab_cache_stats(cache, &after);
	pr_info("# hotplug: CPU %u offline (%d): its magazines %lu -> %lu objects, depot %lu -> %lu, cached %lu -> %lu, out %lu -> %lu\n",
		cpu, err, cpus_objs(&before), cpus_objs(&after),
		before.depot_objs, after.depot_objs, before.magazine_objs,
		after.magazine_objs, before.active_objs, after.active_objs);
	return !err && cpus_objs(&before) && !cpus_objs(&after) &&
	       after.depot_objs == before.depot_objs + cpus_objs(&before) &&
	       after.magazine_objs == before.magazine_objs &&
	       after.active_objs == before.active_objs &&
	       !kslab_cache_check(cache);
}

static void test_cpu_offline(void)
{
	unsigned int cpu = cpumask_last(cpu_online_mask);
	struct kslab_cache_stats st;
	struct kslab_cache *cache;
	bool ok;

	/* x86 cannot take CPU 0 down without a boot parameter. */
	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || cpu == 0) {
		pr_info("ok 1 cpu_offline_returns_magazines # SKIP no CPU to take offline\n");
		return;
	}
	cache = kslab_cache_create("kslab_system_hotplug", 64, NULL, 0);
	if (!cache) {
		pr_info("not ok 1 cpu_offline_returns_magazines\n");
		return;
	}
	ok = work_on_cpu(cpu, fill_cpu_magazines, cache) == HOTPLUG_OBJS &&
	     offline_returns_magazines(cache, cpu);
	if (!cpu_online(cpu))
		ok = !add_cpu(cpu) && ok;
	/* Online again, it allocates from the depot and frees as before. */
	ok = ok && work_on_cpu(cpu, fill_cpu_magazines, cache) == HOTPLUG_OBJS;
	kslab_cache_shrink(cache);
	kslab_cache_stats(cache, &st);
	ok = ok && !st.active_objs && !kslab_cache_check(cache);
	kslab_cache_destroy(cache);
	pr_info("%sok 1 cpu_offline_returns_magazines\n", ok ? "" : "not ");
}

/* ---- memory left free in kslab, for its shrinker ---- */

static unsigned int hold;
module_param(hold, uint, 0444);
MODULE_PARM_DESC(hold, "only leave this many MiB free in kslab, for reclaim to take back");

static struct kslab_cache *hold_cache;

#define HOLD_SIZE	64
/* Objects in a 4 KiB slab: every HOLD_STRIDE-th object is one per slab. */
#define HOLD_STRIDE	(4096 / HOLD_SIZE)

/*
 * Allocate @hold MiB of objects and free them all, one of every slab
 * first: those are the depot's first magazines, the last it would flush,
 * so the depot alone keeps every slab, and so every chunk, from going
 * back until reclaim drains it. The rest go in address order, so the
 * CPU's own magazines, which reclaim leaves alone, keep only the last
 * slabs. On one CPU throughout, so one CPU's magazines are involved.
 */
static long hold_free_memory(void *unused)
{
	unsigned long n = ((unsigned long)hold << 20) / HOLD_SIZE, i, got;
	void **objs = vmalloc(array_size(n, sizeof(void *)));

	if (!objs)
		return -ENOMEM;
	for (got = 0; got < n; got++) {
		objs[got] = kslab_cache_alloc(hold_cache, GFP_KERNEL);
		if (!objs[got])
			break;
		if (!(got % 4096))
			cond_resched();	/* a kernel without preemption stalls RCU */
	}
	for (i = 0; i < got; i += HOLD_STRIDE)
		kslab_cache_free(hold_cache, objs[i]);
	for (i = 0; i < got; i++)
		if (i % HOLD_STRIDE)
			kslab_cache_free(hold_cache, objs[i]);
	vfree(objs);
	return got == n ? 0 : -ENOMEM;
}

static int hold_memory(void)
{
	long err;

	hold_cache = kslab_cache_create("kslab_system_hold", HOLD_SIZE, NULL, 0);
	if (!hold_cache)
		return -ENOMEM;
	err = work_on_cpu(0, hold_free_memory, NULL);
	pr_info("# hold: %u MiB of %u-byte objects allocated and freed (%ld)\n",
		hold, HOLD_SIZE, err);
	if (err) {
		kslab_cache_destroy(hold_cache);
		hold_cache = NULL;
	}
	return err;
}

static int __init kslab_system_init(void)
{
	if (hold)
		return hold_memory();
	pr_info("KTAP version 1\n");
	pr_info("1..1\n");
	test_cpu_offline();
	return 0;
}
module_init(kslab_system_init);

static void __exit kslab_system_exit(void)
{
	kslab_cache_destroy(hold_cache);
}
module_exit(kslab_system_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kslab_system: kslab under CPU hotplug and memory pressure");
