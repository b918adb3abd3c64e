// SPDX-License-Identifier: GPL-2.0
/*
 * Every figure kslab keeps, as one JSON document (kslab_stats_json()):
 * where the memory is (kslab_memory_stats()), each zone of the buddy
 * allocator, each cache with its magazine, depot and per-CPU figures, and
 * the deferred frees. Documentation/stats.rst describes it, and
 * Documentation/kslab-stats.schema.json is its schema; a change of
 * meaning or a field removed raises KSLAB_STATS_JSON_VERSION, a field
 * added does not.
 *
 * Owns nothing. Lock order: kslab_caches_lock while the caches are
 * listed (each cache's statistics take the locks they take anywhere),
 * then, apart, kslab_zones_lock and each zone's lock.
 */
#include <kslab/buddy.h>
#include <kslab/slab.h>

#include "check.h"
#include "slab.h"
#include "zone.h"

/* A cache or zone name as a JSON string: quotes and backslashes escaped. */
static size_t name_json(char *buf, size_t size, size_t len, const char *name)
{
	len = kslab_append(buf, size, len, "\"");
	for (; *name; name++)
		len = kslab_append(buf, size, len,
				   *name == '"' || *name == '\\' ? "\\%c" : "%c",
				   *name);
	return kslab_append(buf, size, len, "\"");
}

static size_t memory_json(char *buf, size_t size, size_t len)
{
	struct kslab_memory_stats ms;

	kslab_memory_stats(&ms);
	return kslab_append(buf, size, len,
			    "\"memory\":{\"zone_bytes\":%zu,\"zone_free_bytes\":%zu,\"slab_bytes\":%zu,\"cached_bytes\":%zu,\"cached_objs\":%lu,\"large_bytes\":%zu,\"large_blocks\":%lu,\"large_kept_bytes\":%zu,\"large_peak_blocks\":%lu,\"large_peak_bytes\":%zu,\"in_use_bytes\":%zu,\"requested_bytes\":%zu,\"padding_waste\":%zu,\"tail_waste\":%zu},\n",
			    ms.zone_bytes, ms.zone_free_bytes, ms.slab_bytes,
			    ms.cached_bytes, ms.cached_objs, ms.large_bytes,
			    ms.large_blocks, ms.large_kept_bytes,
			    ms.large_peak_blocks, ms.large_peak_bytes,
			    ms.in_use_bytes, ms.requested_bytes,
			    ms.padding_waste, ms.tail_waste);
}

/* One array of per-order figures, "key":[a,b,...]. */
static size_t orders_json(char *buf, size_t size, size_t len, const char *key,
			  const long *values)
{
	unsigned int order;

	len = kslab_append(buf, size, len, ",\"%s\":[", key);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		len = kslab_append(buf, size, len, "%s%ld", order ? "," : "",
				   values[order]);
	return kslab_append(buf, size, len, "]");
}

static size_t zones_json(char *buf, size_t size, size_t len)
{
	struct kslab_buddy_frag frag;
	struct kslab_buddy_stats st;
	struct kslab_zone *zone;
	const char *sep = "";
	unsigned int order;

	kslab_default_zone();	/* always listed, as in buddyinfo */
	len = kslab_append(buf, size, len, "\"zones\":[");
	kslab_spin_lock(&kslab_zones_lock);
	kslab_list_for_each_entry(zone, &kslab_zones, zone_node) {
		kslab_zone_stats(zone, &st);
		len = kslab_append(buf, size, len, "%s\n{\"name\":", sep);
		len = name_json(buf, size, len, zone->name);
		len = kslab_append(buf, size, len,
				   ",\"managed_pages\":%lu,\"free_pages\":%lu,\"chunks\":%lu,\"free_blocks\":[",
				   st.managed_pages, st.free_pages, st.nr_chunks);
		for (order = 0; order <= KSLAB_MAX_ORDER; order++)
			len = kslab_append(buf, size, len, "%s%lu",
					   order ? "," : "", st.free_blocks[order]);
		kslab_buddy_frag(&st, &frag);
		len = kslab_append(buf, size, len, "]");
		len = orders_json(buf, size, len, "unusable_index",
				  frag.unusable);
		len = orders_json(buf, size, len, "fragmentation_index",
				  frag.fragmentation);
		len = kslab_append(buf, size, len,
				   ",\"events\":{\"chunks_granted\":%lu,\"chunks_released\":%lu,\"splits\":%lu,\"merges\":%lu,\"alloc_failures\":%lu,\"bad_frees\":%lu,\"grows\":%lu}}",
				   st.events.chunks_granted,
				   st.events.chunks_released, st.events.splits,
				   st.events.merges, st.events.alloc_failures,
				   st.events.bad_frees, st.events.grows);
		sep = ",";
	}
	kslab_spin_unlock(&kslab_zones_lock);
	return kslab_append(buf, size, len, "],\n");
}

static size_t counters_json(char *buf, size_t size, size_t len,
			    const struct kslab_magazine_counters *c)
{
	return kslab_append(buf, size, len,
			    "\"alloc_hit\":%lu,\"alloc_swap\":%lu,\"alloc_miss\":%lu,\"free_hit\":%lu,\"free_swap\":%lu,\"free_miss\":%lu",
			    c->alloc_hit, c->alloc_swap, c->alloc_miss,
			    c->free_hit, c->free_swap, c->free_miss);
}

static size_t cache_json(char *buf, size_t size, size_t len,
			 struct kslab_cache *cache)
{
	struct kslab_cache_stats st;
	unsigned int cpu;

	kslab_cache_stats(cache, &st);
	len = kslab_append(buf, size, len, "{\"name\":");
	len = name_json(buf, size, len, cache->name);
	len = kslab_append(buf, size, len,
			   ",\"flags\":%lu,\"object_size\":%lu,\"size\":%lu,\"objs_per_slab\":%lu,\"pages_per_slab\":%lu,\"off_slab\":%s,\"colours\":%lu,\"useroffset\":%lu,\"usersize\":%lu,",
			   st.flags, st.object_size, st.size, st.objs_per_slab,
			   st.pages_per_slab, st.off_slab ? "true" : "false",
			   st.colours, st.useroffset, st.usersize);
	len = kslab_append(buf, size, len,
			   "\"active_objs\":%lu,\"num_objs\":%lu,\"active_slabs\":%lu,\"num_slabs\":%lu,\"slab_grows\":%lu,\"slab_frees\":%lu,\"refills\":%lu,\"flushes\":%lu,\"bad_frees\":%lu,\"quarantined\":%lu,\"delayed_objs\":%lu,",
			   st.active_objs, st.num_objs, st.active_slabs,
			   st.num_slabs, st.slab_grows, st.slab_frees,
			   st.refills, st.flushes, st.bad_frees, st.quarantined,
			   st.delayed_objs);
	len = kslab_append(buf, size, len,
			   "\"fragmentation\":{\"requested_bytes\":%lu,\"stride_bytes\":%lu,\"slab_bytes\":%lu,\"padding_waste\":%lu,\"free_waste\":%lu,\"tail_waste\":%lu},",
			   st.requested_bytes, st.stride_bytes, st.slab_bytes,
			   st.padding_waste, st.free_waste, st.tail_waste);
	len = kslab_append(buf, size, len,
			   "\"magazine_size\":%lu,\"magazine_objs\":%lu,\"magazine_resizes\":%lu,\"magazine\":{",
			   st.magazine_size, st.magazine_objs,
			   st.magazine_resizes);
	len = counters_json(buf, size, len, &st.magazine);
	len = kslab_append(buf, size, len,
			   "},\"depot\":{\"objs\":%lu,\"full\":%lu,\"empty\":%lu,\"full_gets\":%lu,\"full_puts\":%lu,\"empty_gets\":%lu,\"empty_puts\":%lu,\"contended\":%lu},\"cpus\":[",
			   st.depot_objs, st.depot_full, st.depot_empty,
			   st.depot_full_gets, st.depot_full_puts,
			   st.depot_empty_gets, st.depot_empty_puts,
			   st.depot_contended);
	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		kslab_cache_cpu_stats(cache, cpu, &st);
		len = kslab_append(buf, size, len,
				   "%s{\"cpu\":%u,\"magazine_objs\":%lu,",
				   cpu ? "," : "", cpu, st.magazine_objs);
		len = counters_json(buf, size, len, &st.magazine);
		len = kslab_append(buf, size, len, "}");
	}
	return kslab_append(buf, size, len, "]}");
}

static size_t caches_json(char *buf, size_t size, size_t len)
{
	struct kslab_cache *cache;
	const char *sep = "";

	len = kslab_append(buf, size, len, "\"caches\":[");
	kslab_mutex_lock(&kslab_caches_lock);
	kslab_list_for_each_entry(cache, &kslab_caches, cache_node) {
		len = kslab_append(buf, size, len, "%s\n", sep);
		len = cache_json(buf, size, len, cache);
		sep = ",";
	}
	kslab_mutex_unlock(&kslab_caches_lock);
	return kslab_append(buf, size, len, "],\n");
}

size_t kslab_stats_json(char *buf, size_t size)
{
	struct kslab_rcu_stats rcu;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	len = kslab_append(buf, size, len, "{\"kslab_stats_version\":%u,\n",
			   KSLAB_STATS_JSON_VERSION);
	len = memory_json(buf, size, len);
	len = zones_json(buf, size, len);
	len = caches_json(buf, size, len);
	kslab_rcu_stats(&rcu);
	return kslab_append(buf, size, len,
			    "\"rcu\":{\"queued\":%lu,\"pending\":%lu,\"batches\":%lu}}\n",
			    rcu.queued, rcu.pending, rcu.batches);
}
