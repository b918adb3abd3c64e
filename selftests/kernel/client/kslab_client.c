// SPDX-License-Identifier: GPL-2.0
/*
 * kslab_client: a module that uses kslab only through its exported API,
 * as any other module would, and reports in KTAP on the kernel log.
 *
 * On load it makes a cache with a constructor, then a kthread bound to
 * each online CPU allocates objects, checks each came constructed, marks
 * it, and hands half of them to the next CPU's thread, which checks the
 * mark and frees them there: frees across CPUs. Then it checks the
 * cache's counters, kmalloc and kfree of a few sizes, a bad free reported
 * and survived, and destroys the cache. The module stays loaded until
 * removed, so the test script can read /proc/kslabinfo meanwhile.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <kslab/kmalloc.h>
#include <kslab/report.h>
#include <kslab/slab.h>

#define OBJS_PER_CPU	2000
#define CTOR_MAGIC	0x6b736c62UL

struct client_obj {
	unsigned long magic;	/* set by the constructor, kept by users */
	unsigned long mark;	/* who holds it: CPU and index */
	char payload[48];
};

struct cpu_work {
	struct task_struct *task;
	struct completion handed;	/* our handoff array is full */
	struct completion done;
	struct client_obj *objs[OBJS_PER_CPU];
	unsigned int cpu;
	unsigned long bad;		/* unconstructed or wrongly marked */
	unsigned long failed;		/* allocations that returned NULL */
};

static struct kslab_cache *client_cache;
static struct cpu_work *works;
static unsigned int nr_works;
static atomic_t ctor_calls = ATOMIC_INIT(0);
static unsigned int test_nr;
static unsigned int test_failed;

static void client_ctor(void *p)
{
	struct client_obj *obj = p;

	obj->magic = CTOR_MAGIC;
	obj->mark = 0;
	atomic_inc(&ctor_calls);
}

static void ktap_result(bool ok, const char *name)
{
	test_nr++;
	test_failed += !ok;
	pr_info("%sok %u %s\n", ok ? "" : "not ", test_nr, name);
}

static int cpu_thread(void *arg)
{
	struct cpu_work *w = arg, *prev;
	unsigned int i;

	for (i = 0; i < OBJS_PER_CPU; i++) {
		struct client_obj *obj = kslab_cache_alloc(client_cache, GFP_KERNEL);

		w->objs[i] = obj;
		if (!obj) {
			w->failed++;
			continue;
		}
		w->bad += obj->magic != CTOR_MAGIC || obj->mark;
		obj->mark = ((unsigned long)w->cpu << 32) | i;
	}
	/* Free the first half here, on our CPU. */
	for (i = 0; i < OBJS_PER_CPU / 2; i++) {
		struct client_obj *obj = w->objs[i];

		if (!obj)
			continue;
		w->bad += obj->mark != (((unsigned long)w->cpu << 32) | i);
		obj->mark = 0;		/* back in constructed state */
		kslab_cache_free(client_cache, obj);
	}
	complete(&w->handed);
	/* The thread before us in CPU order hands us its second half. */
	prev = &works[(w - works + nr_works - 1) % nr_works];
	wait_for_completion(&prev->handed);
	for (i = OBJS_PER_CPU / 2; i < OBJS_PER_CPU; i++) {
		struct client_obj *obj = prev->objs[i];

		if (!obj)
			continue;
		w->bad += obj->mark != (((unsigned long)prev->cpu << 32) | i);
		obj->mark = 0;
		kslab_cache_free(client_cache, obj);
	}
	complete(&w->done);
	return 0;
}

static void test_every_cpu(void)
{
	struct kslab_cache_args args = { .ctor = client_ctor };
	struct kslab_cache_stats st;
	unsigned long bad = 0, failed = 0;
	unsigned int cpu, i = 0;

	client_cache = kslab_cache_create("kslab_client", sizeof(struct client_obj),
					  &args, KSLAB_HWCACHE_ALIGN);
	ktap_result(client_cache != NULL, "cache_created");
	if (!client_cache)
		return;
	cpus_read_lock();
	nr_works = num_online_cpus();
	works = kcalloc(nr_works, sizeof(*works), GFP_KERNEL);
	if (!works) {
		cpus_read_unlock();
		ktap_result(false, "every_cpu");
		return;
	}
	for_each_online_cpu(cpu) {
		works[i].cpu = cpu;
		init_completion(&works[i].handed);
		init_completion(&works[i].done);
		i++;
	}
	for (i = 0; i < nr_works; i++) {
		works[i].task = kthread_create_on_cpu(cpu_thread, &works[i],
						      works[i].cpu, "kslab_client/%u");
		if (IS_ERR(works[i].task)) {
			works[i].task = NULL;
			complete(&works[i].handed);
			complete(&works[i].done);
			failed++;
			continue;
		}
		wake_up_process(works[i].task);
	}
	for (i = 0; i < nr_works; i++) {
		wait_for_completion(&works[i].done);
		bad += works[i].bad;
		failed += works[i].failed;
	}
	cpus_read_unlock();
	pr_info("# %u CPUs, %u objects each, half freed on the next CPU\n",
		nr_works, OBJS_PER_CPU);
	ktap_result(!failed && !bad, "every_cpu_alloc_free_cross");

	kslab_cache_stats(client_cache, &st);
	ktap_result(st.magazine.alloc_hit + st.magazine.alloc_swap +
		    st.magazine.alloc_miss >= (unsigned long)nr_works * OBJS_PER_CPU,
		    "counters_count_every_alloc");
	/* Once per object, when its slab was made: never per allocation. */
	ktap_result(atomic_read(&ctor_calls) == st.slab_grows * st.objs_per_slab &&
		    atomic_read(&ctor_calls) >= OBJS_PER_CPU,
		    "ctor_ran_once_per_object");
	kslab_cache_shrink(client_cache);
	kslab_cache_stats(client_cache, &st);
	ktap_result(st.active_objs == 0 && st.num_slabs == 0, "shrink_gives_back");
	ktap_result(kslab_cache_check(client_cache) == 0, "cache_consistent");
	kfree(works);
}

static void test_kmalloc(void)
{
	static const size_t sizes[] = { 8, 100, 3000, 40000, 1 << 20, 5 << 20 };
	unsigned long bad = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *p = kslab_kmalloc(sizes[i], GFP_KERNEL);

		if (!p || kslab_ksize(p) < sizes[i]) {
			bad++;
			continue;
		}
		p[0] = 1;
		p[sizes[i] - 1] = 2;
		kslab_kfree(p);
	}
	ktap_result(!bad, "kmalloc_kfree_sizes");
}

static void test_bad_free(void)
{
	unsigned long before = kslab_report_count();
	int on_stack;

	kslab_kfree(&on_stack);
	ktap_result(kslab_report_count() == before + 1, "bad_free_reported");
}

static int __init kslab_client_init(void)
{
	pr_info("KTAP version 1\n");
	pr_info("1..8\n");
	test_every_cpu();
	test_kmalloc();
	test_bad_free();
	if (client_cache) {
		kslab_cache_destroy(client_cache);
		client_cache = NULL;
	}
	pr_info("# kslab_client: %u tests, %u failed\n", test_nr, test_failed);
	return 0;
}
module_init(kslab_client_init);

static void __exit kslab_client_exit(void)
{
}
module_exit(kslab_client_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kslab_client: uses kslab only through its exported API");
