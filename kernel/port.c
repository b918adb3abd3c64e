// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the port contract: the items mm/port.h declares
 * out of line, implemented on the kernel's page allocator, kmalloc/vmalloc,
 * percpu allocator, printk and RCU.
 *
 * Owns the count of chunks held from the page allocator (and the place
 * where a cap on it is enforced), the per-CPU interrupt state saved by
 * kslab_cpu_enter(), the queue of vmalloc'd metadata whose free had to
 * be deferred out of atomic context, and kslab_each_cpu_lock.
 *
 * Lock order: mm/'s mutexes (kslab_caches_lock), then kslab_each_cpu_lock,
 * then the CPU hotplug lock (cpus_read_lock()).
 */
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "../mm/port.h"

#include "port-internal.h"

/*
 * The largest order alloc_pages() accepts. MAX_ORDER was one past it until
 * 6.4, then became the largest order itself, and was renamed MAX_PAGE_ORDER
 * in 6.8.
 */
#if defined(MAX_PAGE_ORDER)
#define KSLAB_KERNEL_TOP_ORDER	MAX_PAGE_ORDER
#elif KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define KSLAB_KERNEL_TOP_ORDER	MAX_ORDER
#else
#define KSLAB_KERNEL_TOP_ORDER	(MAX_ORDER - 1)
#endif

/*
 * A chunk is one naturally aligned block of the page allocator, its order
 * counted in kernel pages: 4 KiB, as kslab's are (asserted below).
 */
#define KSLAB_CHUNK_KERNEL_ORDER	(KSLAB_CHUNK_SHIFT - PAGE_SHIFT)

static_assert(KSLAB_CHUNK_SHIFT >= PAGE_SHIFT,
	      "a kslab chunk must be at least one kernel page");
/* A page word is a kernel page's ->private: one for each kslab page. */
static_assert(PAGE_SHIFT == KSLAB_PAGE_SHIFT,
	      "kslab's page words need 4 KiB kernel pages");
static_assert(KSLAB_CHUNK_KERNEL_ORDER <= KSLAB_KERNEL_TOP_ORDER,
	      "a kslab chunk must be a single page-allocator block");

/* ---- CPUs and per-CPU data ---- */

/**
 * kslab_nr_cpus() - the bound on CPU ids
 *
 * Context: any.
 * Return: nr_cpu_ids: every possible CPU's id is below it.
 */
unsigned int kslab_nr_cpus(void)
{
	return nr_cpu_ids;
}

/**
 * kslab_percpu_alloc() - zeroed per-CPU storage
 * @size: bytes in each CPU's copy; at most PCPU_MIN_UNIT_SIZE (32 KiB)
 *
 * The percpu allocator zeroes every copy. The __percpu pointer is handed
 * to mm/ as a plain pointer; see kslab_percpu_ptr() in
 * kernel/port.h. Sizes the percpu allocator would refuse with a
 * warning (0, or above its unit minimum) are treated as userspace treats
 * them: 0 as one byte, too large as a quiet failure.
 *
 * Context: process context; may sleep.
 * Return: the handle of CPU 0's copy, or NULL.
 */
void *kslab_percpu_alloc(size_t size)
{
	if (size > PCPU_MIN_UNIT_SIZE)
		return NULL;
	return (void __force *)__alloc_percpu(max_t(size_t, size, 1),
					      KSLAB_CACHE_LINE);
}

/**
 * kslab_percpu_free() - free storage from kslab_percpu_alloc()
 * @ptr: the handle; NULL does nothing
 *
 * Context: any context that may sleep.
 */
void kslab_percpu_free(void *ptr)
{
	free_percpu((void __percpu __force *)ptr);
}

/*
 * Interrupts are off for the whole of a per-CPU section, so nothing else on
 * this CPU can run until it ends, and the state to restore can sit in a
 * per-CPU variable rather than travel through the caller. @depth catches a
 * section nested in another, which the contract forbids: the inner one
 * would otherwise overwrite @flags and leave interrupts disabled on exit.
 */
struct kslab_cpu_section {
	unsigned long flags;
	unsigned int depth;
};

static DEFINE_PER_CPU(struct kslab_cpu_section, kslab_cpu_section);

/**
 * kslab_cpu_enter() - start an exclusive per-CPU section
 *
 * Saves and disables local interrupts, which also keeps the task on this
 * CPU. Sections do not nest; kslab spinlocks may be taken inside.
 *
 * Context: any but NMI.
 * Return: the CPU whose per-CPU data the caller now owns.
 */
unsigned int kslab_cpu_enter(void)
{
	unsigned long flags;

	local_irq_save(flags);
	if (WARN_ON_ONCE(__this_cpu_inc_return(kslab_cpu_section.depth) != 1))
		return smp_processor_id();
	__this_cpu_write(kslab_cpu_section.flags, flags);
	return smp_processor_id();
}

/**
 * kslab_cpu_exit() - end the section kslab_cpu_enter() started
 * @cpu: what kslab_cpu_enter() returned
 *
 * Context: inside the section, on the CPU it started on.
 */
void kslab_cpu_exit(unsigned int cpu)
{
	WARN_ON_ONCE(cpu != smp_processor_id());
	if (__this_cpu_dec_return(kslab_cpu_section.depth) == 0)
		local_irq_restore(__this_cpu_read(kslab_cpu_section.flags));
}

struct each_cpu_call {
	void (*fn)(unsigned int cpu, void *arg);
	void *arg;
};

/* Held across one kslab_each_cpu_exclusive() walk; taken before hotplug's. */
static DEFINE_MUTEX(kslab_each_cpu_lock);

/* Runs in the IPI with interrupts off: no section of this CPU is open. */
static void each_cpu_ipi(void *info)
{
	struct each_cpu_call *call = info;

	call->fn(smp_processor_id(), call->arg);
}

/**
 * kslab_each_cpu_exclusive() - run @fn for every CPU inside its section
 * @fn:  called as fn(cpu, arg)
 * @arg: passed through
 *
 * Online CPUs run @fn themselves from an IPI, where interrupts are off and
 * so no kslab section of theirs can be open; offline CPUs run nothing, so
 * their data is touched directly, with hotplug held off. One CPU at a
 * time, each call waited for: mm/'s functions add into @arg without a
 * lock (on_each_cpu() ran them all at once, and the statistics walk lost
 * counts). One walk at a time too, under kslab_each_cpu_lock: an offline
 * CPU's call has no IPI to make it exclusive, and two walks could both
 * take its partial RCU batch.
 *
 * Context: process context; @fn must not sleep.
 */
void kslab_each_cpu_exclusive(void (*fn)(unsigned int cpu, void *arg),
			      void *arg)
{
	struct each_cpu_call call = { .fn = fn, .arg = arg };
	unsigned int cpu;

	mutex_lock(&kslab_each_cpu_lock);
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		if (cpu_online(cpu))
			smp_call_function_single(cpu, each_cpu_ipi, &call, 1);
		else
			fn(cpu, arg);
	}
	cpus_read_unlock();
	mutex_unlock(&kslab_each_cpu_lock);
}

/* ---- page source ---- */

/* Chunks held from the page allocator now, and the cap on them (0: none). */
static atomic_long_t kslab_chunks_held = ATOMIC_LONG_INIT(0);
static unsigned long kslab_max_chunks;
module_param_named(max_chunks, kslab_max_chunks, ulong, 0644);
MODULE_PARM_DESC(max_chunks,
		 "most 4 MiB chunks kslab takes from the page allocator (0: no cap)");

/* Count one chunk in; false, and nothing counted, if the cap is reached. */
static bool kslab_chunk_reserve(void)
{
	unsigned long cap = READ_ONCE(kslab_max_chunks);
	long held = atomic_long_inc_return(&kslab_chunks_held);

	if (cap && held > cap) {
		atomic_long_dec(&kslab_chunks_held);
		return false;
	}
	return true;
}

/**
 * kslab_nr_nodes() - how many node ids kslab keeps apart
 *
 * Return: nr_node_ids, at most KSLAB_MAX_NODES.
 */
unsigned int kslab_nr_nodes(void)
{
	return min_t(unsigned int, nr_node_ids, KSLAB_MAX_NODES);
}

/**
 * kslab_env_chunk_grant() - take one chunk from the page allocator
 * @gfp: the allocation's flags
 * @node: the node whose memory it must be
 *
 * The chunk is one compound block: every page in it then shares the head
 * page's reference count and hardened usercopy checks copies against the
 * whole block, so kernel code that meets any page of it sees one ordinary
 * high-order allocation. __GFP_ZERO is dropped, because mm/ zeroes only the
 * block it returns, and failure is silent (__GFP_NOWARN) because mm/
 * counts it and a large block failing under fragmentation is expected.
 *
 * Context: as @gfp allows: may sleep if it permits blocking.
 * Return: the chunk, KSLAB_CHUNK_SIZE bytes aligned to its size, or NULL.
 */
void *kslab_env_chunk_grant(gfp_t gfp, unsigned int node)
{
	struct page *page;
	unsigned long i;
	void *addr;

	if (!kslab_chunk_reserve())
		return NULL;
	gfp = (gfp & ~__GFP_ZERO) | __GFP_COMP | __GFP_NOWARN;
	/* mm/ falls back to another node's zone itself, knowing it did. */
	if (nr_node_ids > 1)
		page = node_state(node, N_MEMORY) ?
		       alloc_pages_node(node, gfp | __GFP_THISNODE,
					KSLAB_CHUNK_KERNEL_ORDER) : NULL;
	else
		page = alloc_pages(gfp, KSLAB_CHUNK_KERNEL_ORDER);
	if (!page)
		goto unreserve;
	addr = page_address(page);
	/*
	 * The block is physically aligned; its direct-map address is too
	 * wherever the direct map starts on a chunk boundary, which every
	 * 64-bit layout we know of does. Check rather than trust.
	 */
	if (WARN_ON_ONCE(!IS_ALIGNED((unsigned long)addr, KSLAB_CHUNK_SIZE))) {
		__free_pages(page, KSLAB_CHUNK_KERNEL_ORDER);
		goto unreserve;
	}
	/* The page words (kslab_env_page_word()) start at 0. */
	for (i = 0; i < KSLAB_CHUNK_PAGES; i++)
		set_page_private(page + i, 0);
	return addr;

unreserve:
	atomic_long_dec(&kslab_chunks_held);
	return NULL;
}

/**
 * kslab_env_chunk_discard() - free memory in a chunk is not needed
 * @p:    inside a chunk from kslab_env_chunk_grant()
 * @size: bytes
 *
 * Nothing to do: the chunk's pages are the module's until it is given back
 * with kslab_env_chunk_take_back().
 */
void kslab_env_chunk_discard(void *p, size_t size)
{
}

/**
 * kslab_env_chunk_take_back() - return a chunk to the page allocator
 * @chunk: what kslab_env_chunk_grant() returned
 *
 * Context: any but NMI.
 */
void kslab_env_chunk_take_back(void *chunk)
{
	__free_pages(virt_to_page(chunk), KSLAB_CHUNK_KERNEL_ORDER);
	atomic_long_dec(&kslab_chunks_held);
}

/**
 * kslab_env_page_word() - the word kslab keeps for a page of its chunks
 * @addr: any address
 *
 * The page's own private field: a chunk is one compound block, and the
 * kernel leaves the private field of such a block's pages to its owner
 * (hugetlb and THP, which use some, never see kslab's chunks). mm/'s page
 * map answers first (kslab_chunk_holds()), so a foreign address, even one
 * in the direct map, gets NULL rather than another owner's field. mm/
 * zeroes the words before a chunk goes back, so the page allocator gets
 * them as it gave them.
 *
 * Context: any. Return: the word, or NULL if no kslab chunk holds @addr.
 */
unsigned long *kslab_env_page_word(const void *addr)
{
	if (!kslab_chunk_holds(addr))
		return NULL;
	return &virt_to_page(addr)->private;
}

/* ---- metadata ---- */

/**
 * kslab_env_meta_alloc() - zeroed memory for kslab's own descriptors
 * @size: bytes wanted
 * @gfp:  the allocation's flags
 *
 * A caller that may block can have memory from vmalloc when kmalloc has
 * no physically contiguous block to offer (descriptors are tens of KiB);
 * one that may not gets kmalloc only, since vmalloc can sleep.
 *
 * Context: as @gfp allows.
 * Return: the memory, or NULL.
 */
void *kslab_env_meta_alloc(size_t size, gfp_t gfp)
{
	if (gfpflags_allow_blocking(gfp))
		return kvzalloc(size, gfp);
	return kzalloc(size, gfp);
}

/*
 * vfree() may sleep, yet the contract lets metadata and large allocations
 * be freed from any context. Memory that came from vmalloc and is freed
 * where sleeping is not allowed is queued here, linked through its own
 * first bytes (a vmalloc area is at least a page), and a work item frees
 * it in process context.
 */
static LLIST_HEAD(kslab_meta_deferred);

static void kslab_meta_free_deferred(struct work_struct *work)
{
	struct llist_node *node, *next;

	llist_for_each_safe(node, next, llist_del_all(&kslab_meta_deferred))
		vfree(node);
}

static DECLARE_WORK(kslab_meta_free_work, kslab_meta_free_deferred);

/* vfree() now if this context may sleep, else from the work item. */
static void kslab_vfree_any_context(void *ptr)
{
	/* preemptible() is constant 0 without CONFIG_PREEMPT_COUNT: we defer. */
	if (preemptible() && !rcu_preempt_depth()) {
		vfree(ptr);
		return;
	}
	if (llist_add(ptr, &kslab_meta_deferred))
		schedule_work(&kslab_meta_free_work);
}

/**
 * kslab_env_meta_free() - free memory from kslab_env_meta_alloc()
 * @ptr:  the memory; NULL does nothing
 * @size: the size it was allocated with (unused: the kernel knows it)
 *
 * Context: any but NMI.
 */
void kslab_env_meta_free(void *ptr, size_t size)
{
	if (!is_vmalloc_addr(ptr)) {
		kfree(ptr);
		return;
	}
	kslab_vfree_any_context(ptr);
}

/* ---- large allocations ---- */

/* Each live large allocation's size in pages, keyed by its page number. */
/* Freed from any context (an RCU callback, an interrupt): irq-safe lock. */
static DEFINE_XARRAY_FLAGS(kslab_large_areas, XA_FLAGS_LOCK_IRQ);

/**
 * kslab_env_large_alloc() - memory beyond the buddy allocator's blocks
 * @size:  bytes wanted
 * @align: alignment wanted; vmalloc gives a page, so no more than that
 * @gfp:   the allocation's flags; vmalloc needs them to allow blocking
 *
 * vmalloc does not say how large an area is to a module (find_vm_area()
 * is not exported), so each area's size is recorded in an xarray, which
 * also tells kslab's areas from other vmalloc memory.
 *
 * Context: process context, may sleep. Return: the memory, or NULL.
 */
void *kslab_env_large_alloc(size_t size, size_t align, gfp_t gfp)
{
	unsigned long pages = DIV_ROUND_UP(size, PAGE_SIZE);
	void *p;

	/* More than there is memory is a failure, not a vmalloc warning. */
	if (!gfpflags_allow_blocking(gfp) || align > PAGE_SIZE || !size ||
	    size > (totalram_pages() << PAGE_SHIFT))
		return NULL;
	p = __vmalloc(pages * PAGE_SIZE, gfp | __GFP_NOWARN);
	if (!p)
		return NULL;
	if (xa_is_err(xa_store_irq(&kslab_large_areas,
				   (unsigned long)p >> PAGE_SHIFT,
				   xa_mk_value(pages), gfp))) {
		vfree(p);
		return NULL;
	}
	return p;
}

/**
 * kslab_env_large_size() - the size of a large allocation
 * @p: any address
 *
 * Context: any. Return: its usable bytes, or 0 if @p starts no large
 * allocation of kslab's.
 */
size_t kslab_env_large_size(const void *p)
{
	void *entry;

	if (!is_vmalloc_addr(p) || !PAGE_ALIGNED(p))
		return 0;
	entry = xa_load(&kslab_large_areas, (unsigned long)p >> PAGE_SHIFT);
	return entry ? xa_to_value(entry) * PAGE_SIZE : 0;
}

/**
 * kslab_env_large_free() - give back a large allocation
 * @p:    what kslab_env_large_alloc() returned
 * @keep: kslab may reuse it: ignored, vmalloc areas are not kept
 *
 * Context: any but NMI.
 */
void kslab_env_large_free(void *p, bool keep)
{
	unsigned long flags;

	(void)keep;
	xa_lock_irqsave(&kslab_large_areas, flags);
	__xa_erase(&kslab_large_areas, (unsigned long)p >> PAGE_SHIFT);
	xa_unlock_irqrestore(&kslab_large_areas, flags);
	kslab_vfree_any_context(p);
}

/**
 * kslab_env_large_kept() - large memory kept for reuse
 *
 * vfree() gives an area back at once: nothing is kept.
 *
 * Context: any. Return: 0.
 */
size_t kslab_env_large_kept(void)
{
	return 0;
}

/**
 * kslab_env_large_release() - give kept large memory back
 * @all: all of it, or what was kept at the previous call
 *
 * Context: any. Return: 0: nothing is kept.
 */
size_t kslab_env_large_release(bool all)
{
	(void)all;
	return 0;
}

/* ---- reporting ---- */

/**
 * kslab_env_puts() - print one line to the kernel log
 * @level: KSLAB_LOG_OUT for results (KTAP lines), or a diagnostic level
 * @line:  the text, without newline
 *
 * No prefix is added: KTAP parsers need result lines as they are, and
 * mm/ already starts each diagnostic with "kslab: ". Results go out at
 * KERN_INFO, like the kernel's own KTAP output.
 *
 * Context: any.
 */
void kslab_env_puts(enum kslab_log_level level, const char *line)
{
	switch (level) {
	case KSLAB_LOG_OUT:
	case KSLAB_LOG_INFO:
		printk(KERN_INFO "%s\n", line);
		break;
	case KSLAB_LOG_WARN:
		printk(KERN_WARNING "%s\n", line);
		break;
	case KSLAB_LOG_ERR:
	default:
		printk(KERN_ERR "%s\n", line);
		break;
	}
}

/* ---- options, random words, thread ids ---- */

static char *slab_debug;
module_param(slab_debug, charp, 0444);
MODULE_PARM_DESC(slab_debug, "debug options, slab_debug syntax (Documentation/debugging.rst)");

static char *fail;
module_param(fail, charp, 0444);
MODULE_PARM_DESC(fail, "fault injection, KSLAB_FAIL syntax, e.g. kmalloc:every=100 (Documentation/fault-injection.rst)");

static char *quarantine;
module_param(quarantine, charp, 0444);
MODULE_PARM_DESC(quarantine, "freed objects each debugged cache holds back before reuse (default 128, 0 for none)");

static char *profile;
module_param(profile, charp, 0444);
MODULE_PARM_DESC(profile, "1: count live allocations by call site from the load on (/proc/kslab_allocinfo, Documentation/profiling.rst)");

static char *on_corruption;
module_param(on_corruption, charp, 0444);
MODULE_PARM_DESC(on_corruption, "after a report of heap corruption: continue (the default) or panic");

/**
 * kslab_env_option() - a setting mm/ reads
 * @name: its userspace name, "KSLAB_DEBUG", "KSLAB_FAIL",
 *        "KSLAB_QUARANTINE", "KSLAB_PROFILE" or "KSLAB_ON_CORRUPTION"
 *
 * The module's parameters stand in for the environment: slab_debug=,
 * fail=, quarantine= and profile=, read during the load, when kslab
 * first allocates, and on_corruption=, read at the first report of heap
 * corruption.
 * Return: the string, or NULL if not set.
 */
const char *kslab_env_option(const char *name)
{
	if (!strcmp(name, "KSLAB_DEBUG"))
		return slab_debug;
	if (!strcmp(name, "KSLAB_FAIL"))
		return fail;
	if (!strcmp(name, "KSLAB_ON_CORRUPTION"))
		return on_corruption;
	if (!strcmp(name, "KSLAB_QUARANTINE"))
		return quarantine;
	if (!strcmp(name, "KSLAB_PROFILE"))
		return profile;
	return NULL;
}

/**
 * kslab_env_random() - a random word, for per-cache secrets
 *
 * Return: the word.
 */
unsigned long kslab_env_random(void)
{
	return get_random_long();
}

/**
 * kslab_env_thread_id() - the current task's pid, for reports
 *
 * Return: the pid.
 */
int kslab_env_thread_id(void)
{
	return task_pid_nr(current);
}

/**
 * kslab_env_caller_name() - a code address as symbol+offset
 * @buf:  receives the name
 * @size: of @buf
 * @addr: the address
 */
void kslab_env_caller_name(char *buf, size_t size, unsigned long addr)
{
	snprintf(buf, size, "%pS", (void *)addr);
}

/**
 * kslab_env_stack() - the current task's kernel stack
 * @addrs: receives return addresses, innermost first
 * @max:   room in @addrs
 *
 * Return: how many were stored.
 */
unsigned int kslab_env_stack(unsigned long *addrs, unsigned int max)
{
	return stack_trace_save(addrs, max, 0);
}

/* ---- RCU ---- */

static void kslab_rcu_trampoline(struct rcu_head *rcu)
{
	struct kslab_rcu_head *head = container_of(rcu, struct kslab_rcu_head,
						   rcu);

	head->fn(head);
}

/**
 * kslab_call_rcu() - run @fn on @head after a grace period
 * @head: embedded in the object to be reclaimed
 * @fn:   the callback; it runs in softirq context or an rcuo kthread with
 *        bottom halves disabled, so it must not sleep
 *
 * Context: any but NMI.
 */
void kslab_call_rcu(struct kslab_rcu_head *head, kslab_rcu_fn fn)
{
	head->fn = fn;
	call_rcu(&head->rcu, kslab_rcu_trampoline);
}

/**
 * kslab_rcu_barrier() - wait for every callback queued so far to finish
 *
 * Context: process context; sleeps.
 */
void kslab_rcu_barrier(void)
{
	rcu_barrier();
}

/**
 * kslab_synchronize_rcu() - wait until every current reader has left
 *
 * Context: process context; sleeps.
 */
void kslab_synchronize_rcu(void)
{
	synchronize_rcu();
}

/**
 * kslab_rcu_prepare() - nothing to prepare: the kernel's RCU is always there
 *
 * Context: any.
 */
void kslab_rcu_prepare(void)
{
}

/* ---- module support ---- */

unsigned long kslab_port_chunks_held(void)
{
	return (unsigned long)atomic_long_read(&kslab_chunks_held);
}

unsigned long kslab_port_exit(void)
{
	/* Callbacks may free metadata, so they go first. */
	rcu_barrier();
	flush_work(&kslab_meta_free_work);
	return (unsigned long)atomic_long_read(&kslab_chunks_held);
}

/* The tracepoints KSLAB_TRACE() fires, made here once. */
#define CREATE_TRACE_POINTS
#include "trace.h"
