// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: the page source and metadata memory, straight from mmap.
 *
 * mmap only promises page alignment, so a chunk is carved out of a mapping
 * one chunk larger than needed and the slack on both sides is unmapped.
 * The slack is address space only: nothing in it was ever touched.
 * Chunks a zone keeps free can have their memory discarded while they stay
 * mapped.
 */
#include <kslab/port.h>

#include <sys/mman.h>

static void *map_anonymous(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void *kslab_env_chunk_grant(gfp_t gfp)
{
	unsigned long raw, base, end;

	(void)gfp;
	raw = (unsigned long)map_anonymous(2 * KSLAB_CHUNK_SIZE);
	if (!raw)
		return NULL;
	base = KSLAB_ALIGN_UP(raw, KSLAB_CHUNK_SIZE);
	end = raw + 2 * KSLAB_CHUNK_SIZE;
	if (base > raw)
		munmap((void *)raw, base - raw);
	if (end > base + KSLAB_CHUNK_SIZE)
		munmap((void *)(base + KSLAB_CHUNK_SIZE),
		       end - base - KSLAB_CHUNK_SIZE);
	return (void *)base;
}

void kslab_env_chunk_take_back(void *chunk)
{
	munmap(chunk, KSLAB_CHUNK_SIZE);
}

/*
 * MADV_DONTNEED frees the pages now and maps zeroes on the next touch, so
 * a kept chunk costs no memory until it is used again.
 */
void kslab_env_chunk_discard(void *chunk)
{
	madvise(chunk, KSLAB_CHUNK_SIZE, MADV_DONTNEED);
}

void *kslab_env_meta_alloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return map_anonymous(KSLAB_ALIGN_UP(size, KSLAB_PAGE_SIZE));
}

void kslab_env_meta_free(void *ptr, size_t size)
{
	munmap(ptr, KSLAB_ALIGN_UP(size, KSLAB_PAGE_SIZE));
}
