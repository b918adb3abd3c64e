/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Magazine fast paths made of a plain exclusive per-CPU section: how the
 * kernel port implements kslab_cpu_mag_pop/push (the section turns
 * interrupts off), and the userspace port's lock mode. Included by an
 * environment header once kslab_cpu_enter/exit and kslab_percpu_ptr exist.
 */
#ifndef KSLAB_MAGAZINE_SECTION_H
#define KSLAB_MAGAZINE_SECTION_H

#include <kslab/magazine.h>

static inline void *kslab_section_mag_pop(struct kslab_cpu_cache *pcpu)
{
	unsigned int cpu = kslab_cpu_enter();
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(pcpu, cpu);
	struct kslab_magazine *mag = cc->loaded;
	void *obj = NULL;

	if (kslab_likely(kslab_mag_rounds(mag))) {
		obj = kslab_mag_pop(mag);
		cc->counts.alloc_hit++;
	}
	kslab_cpu_exit(cpu);
	return obj;
}

static inline bool kslab_section_mag_push(struct kslab_cpu_cache *pcpu,
					  void *obj)
{
	unsigned int cpu = kslab_cpu_enter();
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(pcpu, cpu);
	struct kslab_magazine *mag = cc->loaded;
	bool done = false;

	if (kslab_likely(!kslab_mag_full(mag) && !kslab_mag_top_is(mag, obj))) {
		kslab_mag_push(mag, obj);
		cc->counts.free_hit++;
		done = true;
	}
	kslab_cpu_exit(cpu);
	return done;
}

#endif /* KSLAB_MAGAZINE_SECTION_H */
