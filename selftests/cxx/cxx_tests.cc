// SPDX-License-Identifier: GPL-2.0
/*
 * kslab from C++: the public headers, each with extern "C", compile as
 * C++17 with -Wall -Wextra -Werror -pedantic (the Makefile builds this
 * file so), and a C++ program uses caches, kmalloc, the malloc API and the
 * kernel names of <linux/slab.h> through them. Standalone TAP: it needs
 * none of the C harness, whose headers are kslab's private ones.
 */
#include <kslab/buddy.h>
#include <kslab/fault.h>
#include <kslab/kmalloc.h>
#include <kslab/malloc.h>
#include <kslab/rcu.h>
#include <kslab/reaper.h>
#include <kslab/report.h>
#include <kslab/slab.h>
#include <kslab/types.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace {

int tests, failures;

void check(bool ok, const char *name)
{
	std::printf("%s %d %s\n", ok ? "ok" : "not ok", ++tests, name);
	if (!ok)
		failures++;
}

// A C++ object with a constructor and destructor, placed in cache memory.
struct node {
	std::string name;
	std::vector<int> values;
	explicit node(const char *n) : name(n), values{1, 2, 3} {}
};

void ctor(void *obj)
{
	std::memset(obj, 0x5a, sizeof(int));
}

bool caches()
{
	kslab_cache_args args{};
	args.ctor = ctor;
	kslab_cache *cache = kslab_cache_create("cxx-node", sizeof(node), &args,
						KSLAB_HWCACHE_ALIGN);
	if (!cache)
		return false;
	bool ok = std::strcmp(kslab_cache_name(cache), "cxx-node") == 0;
	std::vector<node *> nodes;
	for (int i = 0; i < 100; i++) {
		void *mem = kslab_cache_alloc(cache, GFP_KERNEL);
		if (!mem)
			return false;
		nodes.push_back(new (mem) node("kslab"));
	}
	for (node *n : nodes) {
		ok = ok && n->name == "kslab" && n->values.size() == 3;
		n->~node();
		kslab_cache_free(cache, n);
	}
	struct kslab_cache_stats stats{};
	kslab_cache_stats(cache, &stats);
	ok = ok && stats.object_size == sizeof(node) &&
	     stats.magazine.alloc_hit + stats.magazine.alloc_swap +
	     stats.magazine.alloc_miss == 100;
	kslab_cache_shrink(cache);
	kslab_cache_destroy(cache);
	return ok;
}

bool kmalloc()
{
	char *p = static_cast<char *>(kslab_kmalloc(100, GFP_KERNEL));
	if (!p)
		return false;
	std::strcpy(p, "from C++");
	bool ok = kslab_ksize(p) >= 100;
	p = static_cast<char *>(kslab_krealloc(p, 5000, GFP_KERNEL));
	ok = ok && p && std::strcmp(p, "from C++") == 0 && kslab_ksize(p) >= 5000;
	kslab_kfree(p);
	int *zeroed = static_cast<int *>(kslab_kcalloc(16, sizeof(int), GFP_KERNEL));
	for (int i = 0; zeroed && i < 16; i++)
		ok = ok && zeroed[i] == 0;
	kslab_kfree(zeroed);
	return ok && zeroed;
}

bool malloc_api()
{
	void *p = kslab_malloc(17);
	bool ok = p && kslab_malloc_usable_size(p) == 32 &&
		  reinterpret_cast<unsigned long>(p) % KSLAB_MALLOC_ALIGN == 0;
	p = kslab_realloc(p, 1000);
	ok = ok && p;
	kslab_free(p);
	void *aligned = nullptr;
	ok = ok && kslab_posix_memalign(&aligned, 256, 300) == 0 &&
	     reinterpret_cast<unsigned long>(aligned) % 256 == 0;
	kslab_free(aligned);
	return ok;
}

bool pages()
{
	void *block = kslab_alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	bool ok = block && reinterpret_cast<unsigned long>(block) %
			   (KSLAB_PAGE_SIZE << 2) == 0;
	kslab_free_pages(block, 2);
	struct kslab_buddy_stats stats{};
	kslab_buddy_stats(&stats);
	return ok && stats.managed_pages >= stats.free_pages;
}

unsigned long reports_seen;

bool count_report(kslab_log_level, const char *msg, void *)
{
	reports_seen += std::strstr(msg, "kslab: ") == msg;
	return true;
}

bool reports()
{
	int on_stack;

	kslab_set_report_hook(count_report, nullptr);
	unsigned long before = kslab_report_count();
	kslab_kfree(&on_stack);		// not kslab's: reported, ignored
	kslab_set_report_hook(nullptr, nullptr);
	return kslab_report_count() == before + 1 && reports_seen == 1;
}

bool faults()
{
	kslab_fault_config config{};
	config.every = 1;
	config.times = 1;
	if (kslab_fault_set(KSLAB_FAULT_KMALLOC, &config))
		return false;
	void *failed = kslab_kmalloc(64, GFP_KERNEL);
	void *served = kslab_kmalloc(64, GFP_KERNEL);
	kslab_fault_clear(KSLAB_FAULT_KMALLOC);
	kslab_fault_counts counts{};
	kslab_fault_read(KSLAB_FAULT_KMALLOC, &counts);
	kslab_kfree(served);
	return !failed && served && counts.failures == 1;
}

} // namespace

int main()
{
	std::printf("TAP version 13\n1..6\n");
	check(caches(), "cxx_cache_holds_constructed_objects");
	check(kmalloc(), "cxx_kmalloc_krealloc_kcalloc");
	check(malloc_api(), "cxx_malloc_api");
	check(pages(), "cxx_buddy_pages");
	check(reports(), "cxx_report_hook");
	check(faults(), "cxx_fault_injection");
	return failures ? 1 : 0;
}
