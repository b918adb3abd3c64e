// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: NUMA nodes. How many nodes there are and which CPU
 * belongs to which, read once: from sysfs, or from one get_mempolicy()
 * call where the process may use node 0 alone; and the placement of a
 * chunk on its node with mbind(). On a system with one node all of it is
 * nothing: kslab_nr_nodes() is 1 and no chunk is bound.
 *
 * KSLAB_NUMA_FAKE=<n> (2 to KSLAB_MAX_NODES) pretends the CPUs are dealt
 * round-robin over n nodes, without binding any memory: the tests use it
 * to drive mm/'s per-node paths on a machine with one node.
 *
 * Owns the node count and the CPU-to-node map. No lock: both are made
 * once by whoever asks first and published with a release store; a racing
 * second maker builds the same answer and its map is simply not used.
 * Nothing here allocates through kslab (it runs inside malloc).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../mm/port.h"
#include "port-internal.h"

#define MPOL_PREFERRED		1
#define MPOL_F_MEMS_ALLOWED	(1 << 2)
/* A node mask of 1,024 bits: the kernel's largest MAX_NUMNODES. */
#define MEMS_WORDS		(1024 / (8 * sizeof(long)))

/* 0: not asked yet. */
static unsigned int nr_nodes;
static bool nodes_fake;
static unsigned char *cpu_nodes;	/* by CPU id; NULL: every CPU on 0 */

/* A sysfs file's first line into @buf; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Mark every CPU of a list such as "0-3,8-11" as on @node. */
static void map_cpulist(const char *s, unsigned char *map, unsigned int cpus,
			unsigned int node)
{
	unsigned long first, last;
	char *end;

	while (*s >= '0' && *s <= '9') {
		first = strtoul(s, &end, 10);
		last = first;
		if (*end == '-')
			last = strtoul(end + 1, &end, 10);
		for (; first <= last && first < cpus; first++)
			map[first] = (unsigned char)node;
		if (*end != ',')
			break;
		s = end + 1;
	}
}

/*
 * Whether the process may place memory on node 0 alone (its cpuset's
 * mems_allowed): then the machine is one node to kslab, whatever else
 * sysfs lists, since no page can come from another. One system call,
 * where reading sysfs's list costs a short program's first malloc about
 * 8 microseconds (its open, read and close). False where the call is
 * refused (a seccomp filter) or more nodes are allowed.
 */
static bool only_node_zero(void)
{
	unsigned long mems[MEMS_WORDS] = { 0 };
	int saved = errno;	/* a malloc that succeeds leaves errno alone */
	unsigned int i;
	long refused;

	/* The kernel takes one bit fewer than maxnode says: hence the + 1. */
	refused = syscall(SYS_get_mempolicy, NULL, mems,
			  MEMS_WORDS * 8 * sizeof(long) + 1, NULL,
			  MPOL_F_MEMS_ALLOWED);
	errno = saved;
	if (refused)
		return false;
	for (i = 1; i < MEMS_WORDS; i++)
		if (mems[i])
			return false;
	return mems[0] == 1;
}

/*
 * 1 where the process may use node 0 alone, else the highest node id
 * sysfs lists as possible, plus one.
 */
static unsigned int possible_nodes(void)
{
	unsigned int n;

	if (only_node_zero())
		return 1;
	n = kslab_sysfs_list_end("/sys/devices/system/node/possible");
	return n ? n : 1;
}

static unsigned char *build_map(unsigned int nodes, bool fake)
{
	unsigned int cpus = kslab_nr_cpus(), possible, node, cpu;
	unsigned char *map;
	char path[64], buf[1024];

	map = kslab_env_meta_alloc(cpus, GFP_KERNEL);
	if (!map)
		return NULL;
	if (fake) {
		for (cpu = 0; cpu < cpus; cpu++)
			map[cpu] = (unsigned char)(cpu % nodes);
		return map;
	}
	/* Node ids past KSLAB_MAX_NODES fold onto the ones below. */
	possible = possible_nodes();
	for (node = 0; node < possible; node++) {
		kslab_snprintf(path, sizeof(path),
			       "/sys/devices/system/node/node%u/cpulist", node);
		if (read_line(path, buf, sizeof(buf)))
			map_cpulist(buf, map, cpus, node % nodes);
	}
	return map;
}

unsigned int kslab_nr_nodes(void)
{
	unsigned int n = kslab_load_acquire(&nr_nodes);
	const char *fake;
	unsigned char *map;

	if (kslab_likely(n))
		return n;
	fake = kslab_env_option("KSLAB_NUMA_FAKE");
	n = fake ? (unsigned int)strtoul(fake, NULL, 10) : possible_nodes();
	if (n > KSLAB_MAX_NODES)
		n = KSLAB_MAX_NODES;
	map = n > 1 ? build_map(n, fake != NULL) : NULL;
	if (!map)
		n = 1;
	else if (kslab_cmpxchg(&cpu_nodes, NULL, map))	/* a racing caller's */
		kslab_env_meta_free(map, kslab_nr_cpus());
	KSLAB_WRITE_ONCE(nodes_fake, fake != NULL);
	kslab_store_release(&nr_nodes, n);
	return n;
}

unsigned int kslab_cpu_node(unsigned int cpu)
{
	const unsigned char *map;

	if (kslab_nr_nodes() == 1)
		return 0;
	map = KSLAB_READ_ONCE(cpu_nodes);
	return cpu < kslab_nr_cpus() ? map[cpu] : 0;
}

void kslab_env_node_bind(void *p, size_t size, unsigned int node)
{
	unsigned long mask = 1UL << node;

	if (kslab_nr_nodes() == 1 || KSLAB_READ_ONCE(nodes_fake))
		return;
	/*
	 * Preferred, not bound: the pages are placed when first touched, and
	 * a full node should give another node's memory, not SIGBUS. Memory
	 * of a kept slot touched before stays where it is. A failure leaves
	 * the default policy, which places on the touching CPU's node.
	 */
	syscall(SYS_mbind, p, size, MPOL_PREFERRED, &mask,
		sizeof(mask) * 8, 0);
}
