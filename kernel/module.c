// SPDX-License-Identifier: GPL-2.0
/*
 * The kslab module's entry points and its /proc files.
 *
 * Load: make the kmalloc size classes (a first kmalloc may come in atomic
 * context, where making caches could sleep) and the two /proc files:
 *
 *   /proc/kslabinfo        every cache of every user, slabinfo 2.1 lines
 *                          and kslab's counters (kslab_slabinfo_format())
 *   /proc/kslab_buddyinfo  the zones' free blocks per order
 *   /proc/kslab_validate   reading it checks every cache (kslab_check_all(),
 *                          reports in the kernel log) and prints the count
 *
 * Unload: another module still using kslab's symbols holds a reference,
 * so by now they are gone, and so should be their caches. kslab_shutdown()
 * destroys kmalloc's classes, reports any other cache by name with its
 * objects still out, and gives every chunk back; the port then waits for
 * RCU callbacks and deferred frees. A cache left by a user costs its
 * memory, reported, never a WARN or an oops.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
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

static int kslab_validate_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "problems %lu\n", kslab_check_all());
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

static int __init kslab_module_init(void)
{
	if (kslab_kmalloc_init())
		goto fail;
	if (!proc_create_single("kslabinfo", 0444, NULL, kslabinfo_show))
		goto fail;
	if (!proc_create_single("kslab_buddyinfo", 0444, NULL,
				kslab_buddyinfo_show))
		goto fail_buddyinfo;
	if (!proc_create_single("kslab_validate", 0400, NULL,
				kslab_validate_show))
		goto fail_validate;
	pr_info("kslab: loaded, per-CPU magazines, kmalloc classes ready\n");
	return 0;
fail_validate:
	remove_proc_entry("kslab_buddyinfo", NULL);
fail_buddyinfo:
	remove_proc_entry("kslabinfo", NULL);
fail:
	kslab_give_back("load failed");
	return -ENOMEM;
}
module_init(kslab_module_init);

static void __exit kslab_module_exit(void)
{
	remove_proc_entry("kslab_validate", NULL);
	remove_proc_entry("kslab_buddyinfo", NULL);
	remove_proc_entry("kslabinfo", NULL);
	kslab_give_back("unloaded");
}
module_exit(kslab_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kslab: a slab allocator built on its own buddy allocator");
