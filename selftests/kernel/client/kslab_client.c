// SPDX-License-Identifier: GPL-2.0
/*
 * kslab_client: a module that uses kslab only through its exported API,
 * as any other module would, and reports in KTAP on the kernel log.
 *
 * On load it makes a cache with a constructor, then a kthread bound to
 * each online CPU allocates objects, checks each came constructed, marks
 * it, and hands half of them to the next CPU's thread, which checks the
 * mark and frees them there: frees across CPUs. Then it checks the
 * cache's counters, kmalloc and kfree of a few sizes, allocation and free
 * from a hard interrupt (an hrtimer), a bad free reported and survived,
 * and destroys the cache. Then, where the guest has two NUMA nodes, the
 * placement of objects on the node of the CPU that asks, requests for a
 * node, and frees across nodes (test_numa()). Then RCU: a reader kthread on each CPU looks
 * objects of a TYPESAFE_BY_RCU cache up under rcu_read_lock() while this
 * thread frees, reallocates and purges them and lets another cache take
 * the pages; readers must only ever see the type, and revalidate; and a
 * deferred free waits for its grace period. With bench=1 it also times
 * kslab against the kernel's own slab allocator: pairs, bulk, a kmalloc
 * mix; with leak=1 it does nothing but
 * leave a cache with 3 objects out, for kslab's unload to report; with
 * cap=1 it only counts the 64 KiB blocks kmalloc gives before NULL, for
 * kslab loaded with max_chunks=1. The
 * module stays loaded until
 * removed, so the test script can read /proc/kslabinfo meanwhile.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timex.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include <kslab/buddy.h>
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

/*
 * ---- NUMA nodes: run where the guest has two (scripts/check-kernel.sh
 * boots it with a CPU and half the memory on each) ----
 *
 * On a CPU of each node in turn (work_on_cpu()), objects of a cache of
 * its own: those a CPU allocates are of its node's memory (the kernel's
 * page_to_nid() says, and kslab_page_node() agrees); a request for the
 * other node, with __GFP_THISNODE too, a page block and kmalloc memory
 * (a size class and a 64 KiB block) for it, are of that node; an object of the other node freed here goes home, not into
 * this CPU's magazine (the next allocation is the local object freed just
 * before it); and full magazines one node's CPU left in the depot never
 * reach the other node's CPU, whose frees of them then go home too.
 */
#define NUMA_OBJS	2000

struct numa_run {
	struct kslab_cache *cache;
	void **objs;
	int other;			/* the node the test asks for */
	bool local, remote, home, pages;
};

/* Allocate @n objects here; true if all are of this CPU's node. */
static bool numa_alloc_local(struct kslab_cache *cache, void **objs,
			     unsigned int n)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < n; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		ok &= objs[i] && page_to_nid(virt_to_page(objs[i])) == numa_mem_id() &&
		      kslab_page_node(objs[i]) == numa_mem_id();
	}
	return ok;
}

static void numa_free(struct kslab_cache *cache, void **objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		kslab_cache_free(cache, objs[i]);
}

static long numa_on_cpu(void *arg)
{
	struct numa_run *r = arg;
	void *x, *y, *l, *p;

	r->local = numa_alloc_local(r->cache, r->objs, 64);
	x = kslab_cache_alloc_node(r->cache, GFP_KERNEL, r->other);
	y = kslab_cache_alloc_node(r->cache, GFP_KERNEL | __GFP_THISNODE,
				   r->other);
	r->remote = x && y && page_to_nid(virt_to_page(x)) == r->other &&
		    page_to_nid(virt_to_page(y)) == r->other;
	numa_free(r->cache, r->objs, 64);
	l = kslab_cache_alloc(r->cache, GFP_KERNEL);
	kslab_cache_free(r->cache, l);
	kslab_cache_free(r->cache, x);
	p = kslab_cache_alloc(r->cache, GFP_KERNEL);
	r->home = p == l;
	kslab_cache_free(r->cache, p);
	kslab_cache_free(r->cache, y);
	p = kslab_alloc_pages_node(GFP_KERNEL, 0, r->other);
	r->pages = p && page_to_nid(virt_to_page(p)) == r->other;
	kslab_free_pages(p, 0);
	x = kslab_kmalloc_node(100, GFP_KERNEL, r->other);
	y = kslab_kmalloc_node(64 << 10, GFP_KERNEL | __GFP_THISNODE, r->other);
	r->pages &= x && y && page_to_nid(virt_to_page(x)) == r->other &&
		    page_to_nid(virt_to_page(y)) == r->other;
	kslab_kfree(x);
	kslab_kfree(y);
	return 0;
}

static long numa_fill(void *arg)
{
	struct numa_run *r = arg;

	r->local = numa_alloc_local(r->cache, r->objs, NUMA_OBJS);
	return 0;
}

static long numa_drain(void *arg)
{
	struct numa_run *r = arg;

	numa_free(r->cache, r->objs, NUMA_OBJS);
	return 0;
}

static void test_numa(void)
{
	static const char *const names[] = {
		"numa_objects_of_the_cpus_node", "numa_node_requests_honoured",
		"numa_cross_node_free_goes_home", "numa_depot_keeps_nodes_apart",
	};
	struct numa_run r[2] = {};
	unsigned int cpus[2], n = 0, i, cpu;
	bool ok[4] = { true, true, true, true };
	void **objs;

	for_each_online_cpu(cpu)
		if (n < 2 && (!n || cpu_to_mem(cpu) != cpu_to_mem(cpus[0])))
			cpus[n++] = cpu;
	objs = kvcalloc(2 * NUMA_OBJS, sizeof(void *), GFP_KERNEL);
	r[0].cache = kslab_cache_create("kslab_numa", 64, NULL, 0);
	if (n < 2 || !objs || !r[0].cache) {
		for (i = 0; i < ARRAY_SIZE(names); i++)
			pr_info("%sok %u %s # SKIP %s\n", n < 2 ? "" : "not ",
				++test_nr, names[i],
				n < 2 ? "one NUMA node" : "no memory");
		test_failed += n < 2 ? 0 : ARRAY_SIZE(names);
		goto out;
	}
	for (i = 0; i < 2; i++) {
		r[i].cache = r[0].cache;
		r[i].objs = objs + i * NUMA_OBJS;
		r[i].other = cpu_to_mem(cpus[!i]);
		work_on_cpu(cpus[i], numa_on_cpu, &r[i]);
		ok[0] &= r[i].local;
		ok[1] &= r[i].remote && r[i].pages;
		ok[2] &= r[i].home;
	}
	/* Node 0's CPU leaves full magazines; node 1's CPU must not get them. */
	work_on_cpu(cpus[0], numa_fill, &r[0]);
	work_on_cpu(cpus[0], numa_drain, &r[0]);
	work_on_cpu(cpus[1], numa_fill, &r[1]);
	ok[3] = r[0].local && r[1].local;
	/* Node 1's objects freed on node 0's CPU: home, so node 0's are local. */
	work_on_cpu(cpus[0], numa_drain, &r[1]);
	work_on_cpu(cpus[0], numa_fill, &r[0]);
	ok[3] &= r[0].local;
	work_on_cpu(cpus[0], numa_drain, &r[0]);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ktap_result(ok[i], names[i]);
	pr_info("# numa: CPUs %u and %u on nodes %d and %d\n", cpus[0], cpus[1],
		cpu_to_mem(cpus[0]), cpu_to_mem(cpus[1]));
out:
	if (r[0].cache)
		kslab_cache_destroy(r[0].cache);
	kvfree(objs);
}

/* ---- from a hard interrupt: GFP_ATOMIC must work there ---- */

#define IRQ_OBJS	64

struct irq_run {
	struct hrtimer timer;
	struct completion done;
	bool in_hardirq;
	unsigned long failed;
};

static enum hrtimer_restart irq_alloc_free(struct hrtimer *timer)
{
	struct irq_run *run = container_of(timer, struct irq_run, timer);
	void *objs[IRQ_OBJS];
	unsigned int i;

	run->in_hardirq = in_hardirq();
	for (i = 0; i < IRQ_OBJS; i++) {
		objs[i] = i % 2 ? kslab_cache_alloc(client_cache, GFP_ATOMIC) :
				  kslab_kmalloc(32 + i * 40, GFP_ATOMIC);
		run->failed += !objs[i];
	}
	for (i = 0; i < IRQ_OBJS; i++) {
		if (i % 2)
			kslab_cache_free(client_cache, objs[i]);
		else
			kslab_kfree(objs[i]);
	}
	complete(&run->done);
	return HRTIMER_NORESTART;
}

static void test_hardirq(void)
{
	static struct irq_run run;

	init_completion(&run.done);
	hrtimer_init(&run.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	run.timer.function = irq_alloc_free;
	hrtimer_start(&run.timer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&run.done);
	ktap_result(run.in_hardirq && !run.failed, "alloc_free_in_hardirq");
}

/* ---- RCU: type-safe lookups under readers on every CPU ---- */

#define RCU_SLOTS	64
#define RCU_WRITER_OPS	20000
#define RCU_PURGE_EVERY	256
#define RCU_USE_LOADS	64
#define RCU_FOREIGN	256

struct rcu_item {
	unsigned long magic;	/* the constructor's, for good */
	unsigned long id;	/* 0 while free, new on each reuse */
};

static struct kslab_cache *rcu_items;
static struct rcu_item *rcu_table[RCU_SLOTS];
static bool rcu_done;
static atomic_long_t rcu_wrong, rcu_reuse, rcu_lookups;

static void rcu_item_ctor(void *p)
{
	struct rcu_item *item = p;

	item->magic = CTOR_MAGIC;
	item->id = 0;
}

static int rcu_reader(void *arg)
{
	struct completion *done = arg;
	unsigned long wrong = 0, reuse = 0, lookups = 0, slot = 0;

	while (!READ_ONCE(rcu_done)) {
		struct rcu_item *item;
		unsigned int i;

		rcu_read_lock();
		item = READ_ONCE(rcu_table[slot]);
		if (item) {
			unsigned long id = smp_load_acquire(&item->id);

			for (i = 0; i < RCU_USE_LOADS; i++)
				wrong += READ_ONCE(item->magic) != CTOR_MAGIC;
			reuse += READ_ONCE(rcu_table[slot]) != item ||
				 smp_load_acquire(&item->id) != id || !id;
			lookups++;
		}
		rcu_read_unlock();
		slot = (slot + 7) % RCU_SLOTS;
		if (!(slot & 7))
			cond_resched();
	}
	atomic_long_add(wrong, &rcu_wrong);
	atomic_long_add(reuse, &rcu_reuse);
	atomic_long_add(lookups, &rcu_lookups);
	complete(done);
	return 0;
}

static void rcu_retire(unsigned long slot)
{
	struct rcu_item *old = xchg(&rcu_table[slot], NULL);

	if (old) {
		smp_store_release(&old->id, 0);
		kslab_cache_free(rcu_items, old);
	}
}

/* Every item freed, the slabs released, and another cache on the pages. */
static void rcu_purge(struct kslab_cache *foreign, void **held)
{
	unsigned long slot;
	unsigned int i;

	for (slot = 0; slot < RCU_SLOTS; slot++)
		rcu_retire(slot);
	kslab_cache_shrink(rcu_items);
	if (!kslab_cache_alloc_bulk(foreign, GFP_KERNEL, RCU_FOREIGN, held))
		return;
	for (i = 0; i < RCU_FOREIGN; i++)
		memset(held[i], 0xee, sizeof(struct rcu_item));
	kslab_cache_free_bulk(foreign, RCU_FOREIGN, held);
	kslab_cache_shrink(foreign);
}

static void rcu_writer(struct kslab_cache *foreign, void **held)
{
	unsigned long op, slot, next_id = 1;
	struct rcu_item *item;

	for (op = 0; op < RCU_WRITER_OPS; op++) {
		slot = get_random_u32() % RCU_SLOTS;
		rcu_retire(slot);
		if (op % RCU_PURGE_EVERY == RCU_PURGE_EVERY - 1)
			rcu_purge(foreign, held);
		item = kslab_cache_alloc(rcu_items, GFP_KERNEL);
		if (!item)
			continue;
		smp_store_release(&item->id, next_id++);
		smp_store_release(&rcu_table[slot], item);
		if (!(op & 63))
			cond_resched();
	}
}

static void test_rcu(void)
{
	struct kslab_cache_args args = { .ctor = rcu_item_ctor };
	struct completion *readers_done;
	struct kslab_cache *foreign;
	unsigned long slot, pending;
	struct kslab_rcu_stats st;
	unsigned int cpu, n = 0, i;
	void **held;
	void *obj;
	bool ok;

	rcu_items = kslab_cache_create("kslab_client_rcu", sizeof(struct rcu_item),
				       &args, KSLAB_TYPESAFE_BY_RCU |
				       KSLAB_NO_MAGAZINE);
	foreign = kslab_cache_create("kslab_client_foreign",
				     sizeof(struct rcu_item), NULL,
				     KSLAB_NO_MAGAZINE);
	readers_done = kcalloc(num_possible_cpus(), sizeof(*readers_done),
			       GFP_KERNEL);
	held = kcalloc(RCU_FOREIGN, sizeof(void *), GFP_KERNEL);
	if (!rcu_items || !foreign || !readers_done || !held) {
		ktap_result(false, "rcu_typesafe_lookups");
		ktap_result(false, "rcu_deferred_free_waits");
		goto out;
	}
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct task_struct *task;

		init_completion(&readers_done[n]);
		task = kthread_create_on_cpu(rcu_reader, &readers_done[n], cpu,
					     "kslab_rcu/%u");
		if (IS_ERR(task))
			continue;
		wake_up_process(task);
		n++;
	}
	cpus_read_unlock();
	rcu_writer(foreign, held);
	WRITE_ONCE(rcu_done, true);
	for (i = 0; i < n; i++)
		wait_for_completion(&readers_done[i]);
	pr_info("# %u readers, %ld lookups, %ld saw an item freed or reused\n",
		n, atomic_long_read(&rcu_lookups), atomic_long_read(&rcu_reuse));
	ktap_result(n && atomic_long_read(&rcu_lookups) > 0 &&
		    !atomic_long_read(&rcu_wrong), "rcu_typesafe_lookups");

	/* A deferred free waits in its batch, then for the grace period. */
	obj = kslab_cache_alloc(foreign, GFP_KERNEL);
	ok = obj != NULL;
	if (obj) {
		kslab_rcu_stats(&st);
		pending = st.pending;
		kslab_cache_free_rcu(foreign, obj);
		kslab_rcu_stats(&st);
		ok = st.pending == pending + 1 && kslab_rcu_flush();
		rcu_barrier();
		kslab_rcu_stats(&st);
		ok = ok && !st.pending;
	}
	ktap_result(ok, "rcu_deferred_free_waits");
	for (slot = 0; slot < RCU_SLOTS; slot++)
		rcu_retire(slot);
out:
	kslab_cache_destroy(rcu_items);
	kslab_cache_destroy(foreign);
	kfree(readers_done);
	kfree(held);
}

/*
 * ---- kslab against the kernel's own slab (SLUB), in the same boot ----
 *
 * Four rows, each timed on kslab and on the kernel's own allocator with
 * the same calls in the same order: alloc+free pairs of 64-byte objects,
 * bulk alloc+free of 16 and of 256 of them, and a kmalloc mix that frees
 * a random one of 512 live blocks and allocates 16-2048 bytes in its
 * place. The rounds take the two in turn, alternating which goes first,
 * so a change in the machine's load falls on both. Figures for the log,
 * not a test.
 */

#define BENCH_OBJS	131072	/* objects each timed run allocates and frees */
#define BENCH_ROUNDS	5
#define BENCH_SIZE	64
#define BENCH_BATCH	256	/* the largest bulk row */
#define MIX_SLOTS	512	/* blocks the kmalloc mix keeps live */
#define MIX_STEPS	4096	/* its (slot, size) sequence, used cyclically */
#define MIX_MIN		16
#define MIX_MAX		2048
#define MIX_SEED	0x6b736c62U	/* fixed: both allocators, every boot */

enum bench_row { ROW_PAIR, ROW_BULK16, ROW_BULK256, ROW_MIX, NR_ROWS };

static const char *const bench_row_names[NR_ROWS] = {
	"pair", "bulk16", "bulk256", "kmalloc-mix",
};

struct bench {
	struct kslab_cache *kcache;
	struct kmem_cache *scache;
	void *batch[BENCH_BATCH];
	void *slots[MIX_SLOTS];
	u16 mix_slot[MIX_STEPS];
	u16 mix_size[MIX_STEPS];
	u64 cycles;	/* of the last run; 0 where get_cycles() is (UML) */
	bool failed;
};

static bool bench;
module_param(bench, bool, 0444);
MODULE_PARM_DESC(bench, "time kslab against the kernel's own slab allocator");

/*
 * Each helper takes "slub" as a constant from bench_row_of()'s two
 * inlined copies, so each allocator's loops call it directly: an indirect
 * call would cost as much as a magazine hit.
 */
static __always_inline void *bench_alloc(struct bench *b, bool slub)
{
	return slub ? kmem_cache_alloc(b->scache, GFP_KERNEL) :
		      kslab_cache_alloc(b->kcache, GFP_KERNEL);
}

static __always_inline void bench_free(struct bench *b, bool slub, void *obj)
{
	if (slub)
		kmem_cache_free(b->scache, obj);
	else
		kslab_cache_free(b->kcache, obj);
}

static __always_inline void *bench_kmalloc(size_t size, bool slub)
{
	return slub ? kmalloc(size, GFP_KERNEL) : kslab_kmalloc(size, GFP_KERNEL);
}

static __always_inline void bench_kfree(void *p, bool slub)
{
	if (slub)
		kfree(p);
	else
		kslab_kfree(p);
}

static __always_inline u64 run_pairs(struct bench *b, bool slub)
{
	u64 ns = ktime_get_ns();
	cycles_t cycles = get_cycles();
	unsigned int i;

	for (i = 0; i < BENCH_OBJS; i++) {
		void *obj = bench_alloc(b, slub);

		if (unlikely(!obj)) {
			b->failed = true;
			break;
		}
		WRITE_ONCE(*(char *)obj, (char)i);
		bench_free(b, slub, obj);
		if (!(i % 4096))
			cond_resched();	/* a kernel without preemption stalls RCU */
	}
	b->cycles = get_cycles() - cycles;
	return ktime_get_ns() - ns;
}

static __always_inline u64 run_bulk(struct bench *b, bool slub, unsigned int nr)
{
	u64 ns = ktime_get_ns();
	cycles_t cycles = get_cycles();
	unsigned int i, j;

	for (i = 0; i < BENCH_OBJS / nr; i++) {
		int got = slub ? kmem_cache_alloc_bulk(b->scache, GFP_KERNEL, nr, b->batch) :
				 kslab_cache_alloc_bulk(b->kcache, GFP_KERNEL, nr, b->batch);

		if (unlikely(got != nr)) {
			b->failed = true;
			break;
		}
		for (j = 0; j < nr; j++)
			WRITE_ONCE(*(char *)b->batch[j], (char)j);
		if (slub)
			kmem_cache_free_bulk(b->scache, nr, b->batch);
		else
			kslab_cache_free_bulk(b->kcache, nr, b->batch);
		if (!(i * nr % 4096))
			cond_resched();
	}
	b->cycles = get_cycles() - cycles;
	return ktime_get_ns() - ns;
}

/* The live blocks are made before the clock starts and freed after. */
static __always_inline u64 run_mix(struct bench *b, bool slub)
{
	cycles_t cycles;
	unsigned int i;
	u64 ns;

	for (i = 0; i < MIX_SLOTS; i++) {
		b->slots[i] = bench_kmalloc(b->mix_size[i], slub);
		b->failed |= !b->slots[i];
	}
	ns = ktime_get_ns();
	cycles = get_cycles();
	for (i = 0; i < BENCH_OBJS && !b->failed; i++) {
		unsigned int step = i % MIX_STEPS, slot = b->mix_slot[step];
		char *p;

		bench_kfree(b->slots[slot], slub);
		p = bench_kmalloc(b->mix_size[step], slub);
		b->slots[slot] = p;
		if (unlikely(!p)) {
			b->failed = true;
			break;
		}
		WRITE_ONCE(*p, (char)i);
		if (!(i % 4096))
			cond_resched();
	}
	b->cycles = get_cycles() - cycles;
	ns = ktime_get_ns() - ns;
	for (i = 0; i < MIX_SLOTS; i++)
		bench_kfree(b->slots[i], slub);
	return ns;
}

static __always_inline u64 bench_row_of(struct bench *b, enum bench_row row,
					bool slub)
{
	switch (row) {
	case ROW_PAIR:
		return run_pairs(b, slub);
	case ROW_BULK16:
		return run_bulk(b, slub, 16);
	case ROW_BULK256:
		return run_bulk(b, slub, BENCH_BATCH);
	default:
		return run_mix(b, slub);
	}
}

static noinline u64 bench_row(struct bench *b, enum bench_row row, bool slub)
{
	return slub ? bench_row_of(b, row, true) : bench_row_of(b, row, false);
}

/* The same pseudo-random sequence in every boot, from a fixed seed. */
static void bench_mix_init(struct bench *b)
{
	u32 x = MIX_SEED;
	unsigned int i;

	for (i = 0; i < MIX_STEPS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b->mix_slot[i] = x % MIX_SLOTS;
		b->mix_size[i] = MIX_MIN + (x >> 9) % (MIX_MAX - MIX_MIN + 1);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v)
{
	sort(v, BENCH_ROUNDS, sizeof(*v), cmp_u64, NULL);
	return v[BENCH_ROUNDS / 2];
}

static void bench_against_slub(void)
{
	static u64 ns[NR_ROWS][2][BENCH_ROUNDS], cycles[NR_ROWS][2][BENCH_ROUNDS];
	struct bench *b = kzalloc(sizeof(*b), GFP_KERNEL);
	int round, row, i;

	if (!b)
		return;
	b->kcache = kslab_cache_create("bench64", BENCH_SIZE, NULL, 0);
	b->scache = kmem_cache_create("kslab_bench64", BENCH_SIZE, 0, 0, NULL);
	if (!b->kcache || !b->scache)
		goto out;
	bench_mix_init(b);
	/* Round -1 warms both: slabs made, magazines and per-CPU lists full. */
	for (round = -1; round < BENCH_ROUNDS && !b->failed; round++) {
		for (row = 0; row < NR_ROWS; row++) {
			for (i = 0; i < 2; i++) {
				bool slub = i ^ (round & 1);
				u64 t = bench_row(b, row, slub);

				if (round < 0)
					continue;
				ns[row][slub][round] = t;
				cycles[row][slub][round] = b->cycles;
			}
		}
	}
	if (b->failed) {
		pr_info("# bench: an allocation failed; no figures\n");
		goto out;
	}
	pr_info("# bench: ns per object (an allocation and its free), median of %u rounds of %u; 64-byte caches, kmalloc-mix %u-%u B with %u live\n",
		BENCH_ROUNDS, BENCH_OBJS, MIX_MIN, MIX_MAX, MIX_SLOTS);
	for (row = 0; row < NR_ROWS; row++) {
		u64 k = median(ns[row][0]), s = median(ns[row][1]);
		u64 kc = median(cycles[row][0]), sc = median(cycles[row][1]);
		char cyc[48] = "";

		if (kc && sc)
			snprintf(cyc, sizeof(cyc), ", cycles %llu vs %llu",
				 kc / BENCH_OBJS, sc / BENCH_OBJS);
		pr_info("# bench: %-11s kslab %llu.%llu ns, SLUB %llu.%llu ns, kslab/SLUB %llu.%02llu%s\n",
			bench_row_names[row],
			k * 10 / BENCH_OBJS / 10, k * 10 / BENCH_OBJS % 10,
			s * 10 / BENCH_OBJS / 10, s * 10 / BENCH_OBJS % 10,
			k / s, k * 100 / s % 100, cyc);
	}
out:
	kmem_cache_destroy(b->scache);
	kslab_cache_destroy(b->kcache);
	kfree(b);
}

static void test_bad_free(void)
{
	unsigned long before = kslab_report_count();
	int on_stack;

	kslab_kfree(&on_stack);
	ktap_result(kslab_report_count() == before + 1, "bad_free_reported");
}

/* ---- leaving a cache behind, for kslab's unload to report ---- */

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "only make a cache, allocate 3 objects and keep them");

/* ---- kslab loaded with max_chunks=1: blocks run out within 4 MiB ---- */

#define CAP_BLOCK	(64UL << 10)
#define CAP_MAX_BLOCKS	256

static bool cap;
module_param(cap, bool, 0444);
MODULE_PARM_DESC(cap, "only count 64 KiB kmalloc blocks until one fails");

static void count_blocks_under_cap(void)
{
	static void *blocks[CAP_MAX_BLOCKS];
	unsigned int n = 0, i;

	while (n < CAP_MAX_BLOCKS &&
	       (blocks[n] = kslab_kmalloc(CAP_BLOCK, GFP_KERNEL)))
		n++;
	for (i = 0; i < n; i++)
		kslab_kfree(blocks[i]);
	pr_info("# cap: %u blocks of 64 KiB before NULL\n", n);
}

/*
 * leak=1: a cache left behind with 3 objects. Not __init, so that the
 * allocation profile (/proc/kslab_allocinfo) can name the site after the
 * load, when the init code is gone.
 */
static noinline void client_leak(void)
{
	struct kslab_cache *c = kslab_cache_create("kslab_client_leak", 100,
						   NULL, 0);
	unsigned int i;

	for (i = 0; c && i < 3; i++)
		kslab_cache_alloc(c, GFP_KERNEL);
}

static int __init kslab_client_init(void)
{
	if (cap) {
		count_blocks_under_cap();
		return 0;
	}
	if (leak) {
		client_leak();
		return 0;
	}
	pr_info("KTAP version 1\n");
	pr_info("1..15\n");
	test_every_cpu();
	test_kmalloc();
	test_numa();
	if (client_cache)
		test_hardirq();
	test_bad_free();
	test_rcu();
	if (bench)
		bench_against_slub();
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
