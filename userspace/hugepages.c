// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: transparent huge pages for the arena's slots.
 *
 * A slot is 4 MiB aligned to 4 MiB: two of the kernel's 2 MiB huge pages,
 * each placed so that the first touch of either half can fault a whole
 * huge page in (fault-time THP), where the kernel is willing. One page
 * table entry then maps 2 MiB instead of 4 KiB, and a program that walks
 * a large live set of objects misses the TLB far less often. The price is
 * memory: a half touched anywhere is resident whole, and a discard of
 * less than a whole huge page splits it (below). So huge pages are asked
 * for where the heap is large enough for TLB reach to matter, and the
 * setting KSLAB_THP chooses, read once, at the first slot mapped:
 *
 *   off   every slot MADV_NOHUGEPAGE: 4 KiB pages, even where the
 *         system's own setting is "always";
 *   on    every slot MADV_HUGEPAGE;
 *   auto  (the default) like off while the process holds fewer than
 *         THP_AUTO_SLOTS slots (64 MiB), and for a large block's slots:
 *         written whole once as a rule, each of its huge pages would cost
 *         a fault that zeroes 2 MiB, for little gain in TLB reach. The
 *         chunks' slots mapped from then on follow the system: advised
 *         for huge pages where its setting is "always", which gives them
 *         to every program; left unadvised, on 4 KiB pages, where it is
 *         "madvise", which gives them only to programs that ask. Asking
 *         past 64 MiB whatever the setting, as auto first did, made
 *         a fault's zeroing of 2 MiB cost from under 0.5 to over 2 ms on
 *         a virtual machine, as the host had the memory behind it or not:
 *         a heap filled in one go took up to twice as long as on 4 KiB
 *         pages from run to run (Documentation/port.rst). A slot keeps
 *         what it was given until it goes back.
 *
 * The system's setting (/sys/kernel/mm/transparent_hugepage/enabled)
 * "never", a kernel without THP, a huge page of other than half a slot
 * (2 MiB), or prctl(PR_SET_THP_DISABLE) leave none to have: then no slot
 * is advised to have them and the mode reads "none". Those are read only
 * when a slot could have them (with on, or past 64 MiB with auto), or
 * the mode's name is asked for: advising against them needs no reading. Under "madvise" and
 * "always" an advised range gets huge pages at fault time, with direct
 * compaction where the defrag setting says so for advised ranges (its
 * default, "madvise").
 *
 * Discards: MADV_DONTNEED of part of a huge page splits it; the page
 * table entries of the range go, so RSS falls, but the huge page's memory
 * is freed only when the kernel's deferred split runs, under memory
 * pressure. So a huge page is discarded whole (kslab_env_discard_order()),
 * or, where at least half of it is free (mm/buddy.c), split first, at
 * once, by userspace/pages.c; a huge page in use more than that keeps its
 * smaller free blocks resident, and counted in RSS.
 *
 * Nothing here allocates: it runs inside the allocator.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../mm/port.h"
#include "port-internal.h"

#define THP_SYSFS		"/sys/kernel/mm/transparent_hugepage/"
/* Slots a process holds before auto asks for huge pages: 64 MiB. */
#define THP_AUTO_SLOTS		16

enum thp_mode { THP_UNREAD, THP_OFF, THP_ON, THP_AUTO };

static const char *const thp_names[] = {
	[THP_UNREAD] = "auto", [THP_OFF] = "off", [THP_ON] = "on",
	[THP_AUTO] = "auto",
};

/* What KSLAB_THP asks for, read at the first slot mapped. */
static int thp_mode = THP_UNREAD;
/*
 * The huge page's order, 0 if there are none to have, read from sysfs at
 * the first slot that would be advised to have them, or the first ask
 * for the mode's name: a program that never holds THP_AUTO_SLOTS slots
 * does not pay the two files' reads. Set with it: whether the system
 * gives them to every program ("always") rather than to those that ask.
 */
#define THP_ORDER_UNREAD	(~0U)
static unsigned int thp_order = THP_ORDER_UNREAD;
static bool thp_always;

/* A small sysfs file's text, read with open/read, or "" if unreadable. */
static void read_text(const char *path, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

/* The huge page's order in kslab pages, or 0 if there are none to have. */
static unsigned int system_huge_order(void)
{
	unsigned long bytes = 0;
	unsigned int order = 0;
	char buf[64], *s;

	read_text(THP_SYSFS "enabled", buf, sizeof(buf));
	thp_always = strstr(buf, "[always]");
	if (!thp_always && !strstr(buf, "[madvise]"))
		return 0;
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) > 0)
		return 0;
	read_text(THP_SYSFS "hpage_pmd_size", buf, sizeof(buf));
	for (s = buf; *s >= '0' && *s <= '9'; s++)
		bytes = bytes * 10 + (unsigned long)(*s - '0');
	/* Two to a slot, as userspace/pages.c keeps them: 2 MiB on x86-64. */
	if (bytes != KSLAB_CHUNK_SIZE / 2)
		return 0;
	while ((KSLAB_PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

static int thp_choose(void)
{
	const char *want = kslab_env_option("KSLAB_THP");

	if (want && !strcmp(want, "off"))
		return THP_OFF;
	if (want && !strcmp(want, "on"))
		return THP_ON;
	if (want && strcmp(want, "auto"))
		kslab_env_puts(KSLAB_LOG_WARN,
			       "kslab: KSLAB_THP must be \"on\", \"off\" or \"auto\"; using auto");
	return THP_AUTO;
}

/* Racing first callers read the same answers; either store will do. */
static int thp_current(void)
{
	int mode = __atomic_load_n(&thp_mode, __ATOMIC_ACQUIRE);

	if (kslab_likely(mode != THP_UNREAD))
		return mode;
	mode = thp_choose();
	__atomic_store_n(&thp_mode, mode, __ATOMIC_RELEASE);
	return mode;
}

static unsigned int thp_huge_order(void)
{
	unsigned int order = __atomic_load_n(&thp_order, __ATOMIC_ACQUIRE);

	if (kslab_likely(order != THP_ORDER_UNREAD))
		return order;
	order = system_huge_order();
	if (!order && thp_current() == THP_ON)
		kslab_env_puts(KSLAB_LOG_WARN,
			       "kslab: KSLAB_THP=on, but this system gives no transparent huge pages (see " THP_SYSFS "enabled)");
	__atomic_store_n(&thp_order, order, __ATOMIC_RELEASE);
	return order;
}

/**
 * kslab_thp_advise() - ask for huge pages over freshly mapped slots, or not
 * @addr:  the first slot
 * @size:  the slots' bytes
 * @held:  the slots the process holds now, these among them
 * @large: whether they are for a large block rather than a chunk
 *
 * Advising against huge pages needs no reading of the system's settings:
 * on a system that has none it changes nothing.
 *
 * Return: whether the slots were advised to have huge pages, and so must
 * be discarded in whole huge pages only.
 */
bool kslab_thp_advise(void *addr, size_t size, unsigned long held,
		      bool large)
{
	int mode = thp_current();
	bool huge = mode == THP_ON;

	/*
	 * Past 64 MiB, auto asks where the system gives huge pages to all,
	 * and leaves a slot unadvised, on 4 KiB pages, where it gives them
	 * only to those that ask.
	 */
	if (mode == THP_AUTO && !large && held >= THP_AUTO_SLOTS) {
		if (!thp_huge_order() || !thp_always)
			return false;
		huge = true;
	}
	if (huge && !thp_huge_order())
		return false;
	/* Refused (an old kernel, none built in): the system's setting stands. */
	if (madvise(addr, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return false;
	return huge;
}

/* The order discards of an advised slot are rounded to. */
unsigned int kslab_thp_order(void)
{
	return thp_huge_order();
}

const char *kslab_env_thp_mode(void)
{
	return thp_huge_order() ? thp_names[thp_current()] : "none";
}
