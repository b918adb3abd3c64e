// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA nodes in userspace (userspace/numa.c): the per-node zones, slab
 * lists and depot lists of mm/ driven through the port, and the node
 * placement of a real system of more than one node.
 *
 * A machine of one node cannot show placement, so the probe runs this
 * program again with KSLAB_NUMA_FAKE=2: the port then deals CPUs over two
 * nodes (even ids on node 0, odd on 1) and binds no memory, and mm/ keeps
 * everything of the two nodes apart as it would on a real system. The
 * probe pins itself to a CPU of each node in turn. What it cannot show is
 * where the kernel put the pages: numa_real_placement checks that with
 * get_mempolicy() where the system has more than one node, and is skipped
 * where it has one.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#include "../capture.h"
#include "port_tests.h"

#define NUMA_OBJS	2000	/* several magazines' worth of 64 bytes */
#define MPOL_F_NODE	(1 << 0)
#define MPOL_F_ADDR	(1 << 1)
#define MPOL_F_MEMS_ALLOWED	(1 << 2)

static bool pin(unsigned int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return !sched_setaffinity(0, sizeof(one), &one);
}

/* An allowed CPU of each fake node (even and odd ids); false if none. */
static bool two_cpus(unsigned int *a, unsigned int *b)
{
	cpu_set_t allowed;
	unsigned int cpu;
	bool even = false, odd = false;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return false;
	for (cpu = 0; cpu < CPU_SETSIZE && cpu < kslab_nr_cpus(); cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		if (!(cpu & 1) && !even) {
			*a = cpu;
			even = true;
		} else if ((cpu & 1) && !odd) {
			*b = cpu;
			odd = true;
		}
	}
	return even && odd;
}

/* Allocate @n objects on this CPU; true if all are of @node's memory. */
static bool alloc_local(struct kslab_cache *cache, void **objs, unsigned int n,
			int node)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < n; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		ok &= objs[i] && kslab_page_node(objs[i]) == node;
	}
	return ok;
}

static void free_all(struct kslab_cache *cache, void **objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		kslab_cache_free(cache, objs[i]);
}

/*
 * The probe: "nodes=N local=B remote=B thisnode=B home=B depot=B pages=B
 * kmalloc=B check=K", each B 1 if what it names held:
 * local: objects allocated on a CPU of each node are of its memory;
 * remote, thisnode: kslab_cache_alloc_node() for the other node (with
 * __GFP_THISNODE) gives the other node's;
 * home: an object of the other node freed here does not enter this
 * CPU's magazine (the next allocation is the local object freed before);
 * depot: magazines node 0's CPU filled and freed do not reach node 1's;
 * pages: kslab_alloc_pages_node() gives the node's block;
 * kmalloc: kslab_kmalloc_node() for the other node gives its memory, a
 * size-class object and a buddy block (64 KiB) alike, and for this node
 * this node's;
 * check: kslab_check_all()'s count at the end.
 */
int numa_probe_main(void)
{
	static void *objs[NUMA_OBJS], *others[NUMA_OBJS];
	struct kslab_cache *cache = kslab_cache_create("numa", 64, NULL, 0);
	bool local, remote, thisnode, home, depot, pages, kmalloc;
	unsigned int a, b, i;
	void *x, *y, *l, *p;

	if (!cache || !two_cpus(&a, &b) || !pin(a))
		return 1;
	local = alloc_local(cache, objs, 64, 0);
	x = kslab_cache_alloc_node(cache, GFP_KERNEL, 1);
	remote = x && kslab_page_node(x) == 1;
	y = kslab_cache_alloc_node(cache, GFP_KERNEL | __GFP_THISNODE, 1);
	thisnode = y && kslab_page_node(y) == 1;
	free_all(cache, objs, 64);
	l = kslab_cache_alloc(cache, GFP_KERNEL);
	kslab_cache_free(cache, l);
	kslab_cache_free(cache, x);
	p = kslab_cache_alloc(cache, GFP_KERNEL);
	home = p == l && kslab_page_node(p) == 0;
	kslab_cache_free(cache, p);
	kslab_cache_free(cache, y);

	/* Node 0's CPU fills the depot with full magazines of its objects. */
	depot = alloc_local(cache, objs, NUMA_OBJS, 0);
	free_all(cache, objs, NUMA_OBJS);
	if (!pin(b))
		return 1;
	depot &= alloc_local(cache, others, NUMA_OBJS, 1);
	local &= alloc_local(cache, objs, 64, 1);
	free_all(cache, objs, 64);
	/* Back on node 0, node 1's objects all go home. */
	if (!pin(a))
		return 1;
	free_all(cache, others, NUMA_OBJS);
	depot &= alloc_local(cache, others, NUMA_OBJS, 0);
	free_all(cache, others, NUMA_OBJS);

	p = kslab_alloc_pages_node(GFP_KERNEL, 0, 1);
	pages = p && kslab_page_node(p) == 1 && kslab_page_node(&i) == -1;
	kslab_free_pages(p, 0);
	x = kslab_kmalloc_node(100, GFP_KERNEL, 1);
	y = kslab_kmalloc_node(64 << 10, GFP_KERNEL | __GFP_THISNODE, 1);
	l = kslab_kmalloc_node(100, GFP_KERNEL, 0);
	kmalloc = x && y && l && kslab_page_node(x) == 1 &&
		  kslab_page_node(y) == 1 && kslab_page_node(l) == 0;
	kslab_kfree(x);
	kslab_kfree(y);
	kslab_kfree(l);
	kslab_cache_destroy(cache);
	printf("nodes=%u local=%d remote=%d thisnode=%d home=%d depot=%d pages=%d kmalloc=%d check=%lu\n",
	       kslab_nr_nodes(), local, remote, thisnode, home, depot, pages,
	       kmalloc, kslab_check_all());
	return 0;
}

static void test_numa_fake_two_nodes(struct ktap_test *t)
{
	int nodes, local, remote, thisnode, home, depot, pages, kmalloc;
	unsigned int a, b;
	unsigned long check;
	struct capture c;
	char **env, *var;
	bool ran;

	if (!two_cpus(&a, &b)) {
		ktap_skip(t, "needs a CPU of even and one of odd id");
		return;
	}
	env = env_with("KSLAB_NUMA_FAKE", "2", &var);
	if (!KTAP_EXPECT(t, env != NULL))
		return;
	ran = capture_self(&c, NUMA_PROBE_ARG, env);
	free(var);
	free(env);
	if (!KTAP_EXPECT(t, ran))
		return;
	if (!PROBE_ANSWER(t, &c, 9, "nodes=%d local=%d remote=%d thisnode=%d home=%d depot=%d pages=%d kmalloc=%d check=%lu",
			  &nodes, &local, &remote, &thisnode, &home, &depot,
			  &pages, &kmalloc, &check))
		return;
	KTAP_EXPECT_EQ(t, nodes, 2);
	KTAP_EXPECT_EQ(t, local, 1);
	KTAP_EXPECT_EQ(t, remote, 1);
	KTAP_EXPECT_EQ(t, thisnode, 1);
	KTAP_EXPECT_EQ(t, home, 1);
	KTAP_EXPECT_EQ(t, depot, 1);
	KTAP_EXPECT_EQ(t, pages, 1);
	KTAP_EXPECT_EQ(t, kmalloc, 1);
	KTAP_EXPECT_EQ(t, check, 0);
}

/*
 * Where the system has more than one node, the kernel's answer for where
 * a touched object's page lies; with one, everything is node 0's.
 */
static void test_numa_real_placement(struct ktap_test *t)
{
	struct kslab_cache *cache = kslab_cache_create("numa-real", 4096,
						       NULL, 0);
	unsigned int cpu = kslab_cpu_id();
	int where = -1;
	char *obj;

	if (!KTAP_EXPECT(t, cache != NULL))
		return;
	pin(cpu);
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (KTAP_EXPECT(t, obj != NULL)) {
		memset(obj, 1, 4096);
		KTAP_EXPECT_EQ(t, kslab_page_node(obj),
			       (int)kslab_cpu_node(cpu));
		if (kslab_nr_nodes() > 1) {
			KTAP_EXPECT_EQ(t, syscall(SYS_get_mempolicy, &where,
						  NULL, 0, obj,
						  MPOL_F_NODE | MPOL_F_ADDR), 0);
			KTAP_EXPECT_EQ(t, where, (int)kslab_cpu_node(cpu));
		}
		kslab_cache_free(cache, obj);
	}
	kslab_cache_destroy(cache);
	if (kslab_nr_nodes() == 1)
		ktap_diag("one NUMA node: get_mempolicy() not asked, node 0 checked");
}

/*
 * The highest node sysfs lists as possible, plus one, up to
 * KSLAB_MAX_NODES; 1 if it cannot be read.
 */
static unsigned int sysfs_nodes(void)
{
	FILE *f = fopen("/sys/devices/system/node/possible", "r");
	unsigned int nodes = 1;
	char list[256];

	if (f && fgets(list, sizeof(list), f)) {
		const char *last = strrchr(list, '-');

		last = last ? last + 1 : list;
		if (strrchr(list, ',') > last)
			last = strrchr(list, ',') + 1;
		nodes = (unsigned int)strtoul(last, NULL, 10) + 1;
		if (nodes > KSLAB_MAX_NODES)
			nodes = KSLAB_MAX_NODES;
	}
	if (f)
		fclose(f);
	return nodes;
}

/*
 * The node count, against what the system says: 1 where the process may
 * place memory on node 0 alone (its cpuset's mems_allowed, which the port
 * asks with get_mempolicy() before anything else), else sysfs's count.
 */
static void test_numa_node_count(struct ktap_test *t)
{
	unsigned long mems[1024 / (8 * sizeof(long))] = { 0 };
	unsigned int expected, i;
	bool zero_alone;

	zero_alone = !syscall(SYS_get_mempolicy, NULL, mems,
			      sizeof(mems) * 8 + 1, NULL, MPOL_F_MEMS_ALLOWED) &&
		     mems[0] == 1;
	for (i = 1; i < KSLAB_ARRAY_SIZE(mems); i++)
		zero_alone = zero_alone && !mems[i];
	expected = zero_alone ? 1 : sysfs_nodes();
	KTAP_EXPECT_EQ(t, kslab_nr_nodes(), expected);
	ktap_diag("mems_allowed %s node 0 alone: %u node(s)",
		  zero_alone ? "is" : "is not", expected);
}

/*
 * In a fresh process, under a seccomp filter that refuses get_mempolicy()
 * with EPERM, as a sandbox may: print the node count the port finds, and
 * whether errno came through the asking as it was.
 */
int numa_refused_main(void)
{
	struct sock_filter refuse[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_get_mempolicy, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = KSLAB_ARRAY_SIZE(refuse),
		.filter = refuse,
	};
	unsigned int nodes;
	int kept;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		printf("no filter: %s\n", strerror(errno));
		return 1;
	}
	errno = EILSEQ;
	nodes = kslab_nr_nodes();
	kept = errno == EILSEQ;
	printf("nodes=%u kept=%d\n", nodes, kept);
	return 0;
}

/*
 * A process that may not ask get_mempolicy() counts the nodes from sysfs,
 * and the refused call leaves errno as the program left it.
 */
static void test_numa_count_refused(struct ktap_test *t)
{
	unsigned int nodes;
	struct capture c;
	int kept;

	KTAP_ASSERT(t, capture_self(&c, NUMA_REFUSED_ARG, environ));
	if (!PROBE_ANSWER(t, &c, 2, "nodes=%u kept=%d", &nodes, &kept))
		return;
	KTAP_EXPECT_EQ(t, nodes, sysfs_nodes());
	KTAP_EXPECT_EQ(t, kept, 1);
}

static const struct ktap_case port_numa_cases[] = {
	{ "numa_node_count", test_numa_node_count },
	{ "numa_count_refused", test_numa_count_refused },
	{ "numa_fake_two_nodes", test_numa_fake_two_nodes },
	{ "numa_real_placement", test_numa_real_placement },
};

const struct ktap_suite port_numa_suite = KTAP_SUITE("port_numa",
						     port_numa_cases);
