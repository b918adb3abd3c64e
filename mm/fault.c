// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (see <kslab/fault.h>): each point's configuration and
 * counters, the decision its hook asks for, the parser of the option text
 * shared by both environments, and which caches must leave their
 * magazines alone.
 *
 * The hooks sit on slow paths only: the buddy allocator's entry, kmalloc's
 * full path, descriptor allocation, and a cache's allocation slow path. An
 * allocation a magazine serves never reaches the last one, so a cache the
 * cache point names is marked in cache->fault and bypasses its magazines:
 * each of its allocations reaches the slow path and is decided there. In
 * the same way kmalloc empties its fast table while the kmalloc point is
 * armed (kslab_kmalloc_fast_sync()), so every kmalloc, and every malloc
 * over it, takes the full path. The fast paths keep no test at all.
 *
 * The environment's options are read at the first decision or the first
 * cache creation, whichever comes first: kslab_fault_armed starts with
 * every bit set, so the first call of each point comes here. No cache
 * exists before then, so reading them marks none.
 *
 * Lock order: kslab_caches_lock (arming, cache creation), then fault_lock,
 * which is also taken under a zone's lock and takes nothing itself.
 * Decisions take no lock: the counters and the random state are atomic.
 */
#include <kslab/report.h>

#include "fault.h"
#include "kmalloc.h"

/* The environment's option (the kernel module's fail= parameter). */
#define OPTION_NAME	"KSLAB_FAIL"
#define ALL_POINTS	((1UL << KSLAB_FAULT_POINTS) - 1)
#define DEFAULT_SEED	0x9e3779b97f4a7c15UL
/* Millionths in one percent: the text gives probabilities in percent. */
#define PER_PERCENT	(KSLAB_FAULT_CERTAIN / 100)

struct fault_attr {
	struct kslab_fault_config config;
	struct kslab_atomic calls;
	struct kslab_atomic failures;
	unsigned long rng;
};

unsigned long kslab_fault_armed = ALL_POINTS;
static bool options_read;
static struct fault_attr attrs[KSLAB_FAULT_POINTS];
static KSLAB_DEFINE_SPINLOCK(fault_lock);

static const char *const point_names[KSLAB_FAULT_POINTS] = {
	[KSLAB_FAULT_CACHE] = "cache",
	[KSLAB_FAULT_KMALLOC] = "kmalloc",
	[KSLAB_FAULT_PAGES] = "pages",
	[KSLAB_FAULT_META] = "meta",
};

/* ---- decisions ---- */

/* The next number of a point's sequence (xorshift64*), without a lock. */
static unsigned long rng_next(struct fault_attr *attr)
{
	unsigned long old = KSLAB_READ_ONCE(attr->rng), x, found;

	for (;;) {
		x = old ^ (old >> 12);
		x ^= x << 25;
		x ^= x >> 27;
		found = kslab_cmpxchg(&attr->rng, old, x);
		if (found == old)
			return x * 0x2545f4914f6cdd1dUL;
		old = found;
	}
}

static bool call_fails(struct fault_attr *attr, unsigned long call)
{
	const struct kslab_fault_config *config = &attr->config;

	if (config->every)
		return call % config->every == 0;
	if (config->nth)
		return call == config->nth;
	return (rng_next(attr) >> 11) % KSLAB_FAULT_CERTAIN < config->probability;
}

static void options_load(void);

/* Read the environment's options if nothing has yet. */
static inline void options_ensure(void)
{
	if (kslab_unlikely(!kslab_load_acquire(&options_read)))
		options_load();
}

/**
 * kslab_fault_should_fail() - count a call of @point and decide it
 * @point: the point, whose bit in kslab_fault_armed the hook found set
 * @gfp:   the call's flags
 *
 * kslab_fault_hit()'s slow half, and the cache point's whole decision.
 * Return: true if the call must fail.
 */
bool kslab_fault_should_fail(enum kslab_fault_point point, gfp_t gfp)
{
	struct fault_attr *attr = &attrs[point];
	unsigned long call, failures;

	options_ensure();
	if (!(kslab_load_acquire(&kslab_fault_armed) & (1UL << point)))
		return false;
	if (attr->config.nonblocking && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	call = (unsigned long)kslab_atomic_add_return(&attr->calls, 1);
	if (!call_fails(attr, call))
		return false;
	failures = (unsigned long)kslab_atomic_add_return(&attr->failures, 1);
	if (attr->config.times && failures > attr->config.times) {
		kslab_atomic_add(&attr->failures, -1);
		return false;
	}
	return true;
}

/* ---- arming; under fault_lock ---- */

static void armed_set(unsigned long armed)
{
	unsigned long changed = kslab_fault_armed ^ armed;

	kslab_store_release(&kslab_fault_armed, armed);
	if (changed & (1UL << KSLAB_FAULT_KMALLOC))
		kslab_kmalloc_fast_sync();
}

static void attr_arm(enum kslab_fault_point point,
		     const struct kslab_fault_config *config)
{
	struct fault_attr *attr = &attrs[point];

	armed_set(kslab_fault_armed & ~(1UL << point));
	attr->config = *config;
	attr->rng = config->seed ? config->seed : DEFAULT_SEED;
	kslab_atomic_set(&attr->calls, 0);
	kslab_atomic_set(&attr->failures, 0);
	armed_set(kslab_fault_armed | 1UL << point);
}

/* Arm the points in @named as @configs say; disarm the others. */
static void attrs_apply(const struct kslab_fault_config *configs,
			unsigned long named)
{
	unsigned int point;

	for (point = 0; point < KSLAB_FAULT_POINTS; point++) {
		if (named & (1UL << point))
			attr_arm(point, &configs[point]);
		else
			armed_set(kslab_fault_armed & ~(1UL << point));
	}
}

/* ---- the option text ---- */

/* A piece of the text: @n characters from @s. */
struct span {
	const char *s;
	unsigned long n;
};

static bool span_is(struct span t, const char *word)
{
	unsigned long i;

	for (i = 0; i < t.n; i++)
		if (word[i] != t.s[i])
			return false;
	return word[t.n] == '\0';
}

static bool span_has(struct span t, char c)
{
	unsigned long i;

	for (i = 0; i < t.n; i++)
		if (t.s[i] == c)
			return true;
	return false;
}

/* The part of @text before the first @sep; @text keeps what follows it. */
static struct span span_cut(struct span *text, char sep)
{
	struct span head = { text->s, 0 };

	while (head.n < text->n && text->s[head.n] != sep)
		head.n++;
	text->s += head.n;
	text->n -= head.n;
	if (text->n) {
		text->s++;
		text->n--;
	}
	return head;
}

static bool parse_ulong(struct span t, unsigned long *value)
{
	unsigned long v = 0, i;

	if (!t.n)
		return false;
	for (i = 0; i < t.n; i++) {
		unsigned long digit = (unsigned long)(t.s[i] - '0');

		if (t.s[i] < '0' || t.s[i] > '9' || v > (~0UL - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*value = v;
	return true;
}

/* A percent with up to four decimals, above 0 and up to 100, in millionths. */
static bool parse_percent(struct span t, unsigned long *millionths)
{
	struct span whole = span_cut(&t, '.');
	unsigned long percent, scale = PER_PERCENT, v, i;

	if (!parse_ulong(whole, &percent) || percent > 100 || t.n > 4)
		return false;
	v = percent * PER_PERCENT;
	for (i = 0; i < t.n; i++) {
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
		scale /= 10;
		v += (unsigned long)(t.s[i] - '0') * scale;
	}
	*millionths = v;
	return v && v <= KSLAB_FAULT_CERTAIN;
}

/* What is wrong with arming @point with @config, or NULL. */
static const char *config_error(unsigned int point,
				const struct kslab_fault_config *config)
{
	const char *c = config->cache;
	unsigned long i;

	if (point >= KSLAB_FAULT_POINTS)
		return "no such fault point";
	if (!!config->every + !!config->nth + !!config->probability != 1)
		return "give exactly one of every, nth and probability";
	if (config->probability > KSLAB_FAULT_CERTAIN)
		return "probability above certainty";
	if (point != KSLAB_FAULT_CACHE && c[0])
		return "only the cache point takes a cache name";
	/* Descriptors are made with whatever flags their maker has. */
	if (point == KSLAB_FAULT_META && config->nonblocking)
		return "the meta point takes no nonblocking";
	for (i = 0; i < KSLAB_FAULT_NAME_LEN && c[i]; i++)
		if (c[i] == '*' && i + 1 < KSLAB_FAULT_NAME_LEN && c[i + 1])
			return "'*' may only end a cache name";
	if (i == KSLAB_FAULT_NAME_LEN)
		return "cache name too long";
	return NULL;
}

/* Parse "option=value" into @config. Return: NULL, or what is wrong. */
static const char *parse_option(struct span option,
				struct kslab_fault_config *config)
{
	struct span value = option, key = span_cut(&value, '=');
	bool ok;

	if (span_is(key, "every"))
		ok = parse_ulong(value, &config->every) && config->every;
	else if (span_is(key, "nth"))
		ok = parse_ulong(value, &config->nth) && config->nth;
	else if (span_is(key, "probability"))
		ok = parse_percent(value, &config->probability);
	else if (span_is(key, "times"))
		ok = parse_ulong(value, &config->times);
	else if (span_is(key, "seed"))
		ok = parse_ulong(value, &config->seed);
	else if (span_is(key, "nonblocking") && !span_has(option, '='))
		ok = config->nonblocking = true;
	else
		return "unknown option (every, nth, probability, times, seed, nonblocking)";
	return ok ? NULL : "bad value";
}

/*
 * Parse one "point[/cache]:option,..." into @configs and add its point to
 * @named. Return: NULL, or what is wrong, with @bad set to where.
 */
static const char *parse_spec(struct span spec,
			      struct kslab_fault_config *configs,
			      unsigned long *named, struct span *bad)
{
	struct kslab_fault_config config = { 0 };
	struct span whole = spec, name, head;
	const char *error;
	unsigned int point;

	*bad = whole;
	if (!span_has(spec, ':'))
		return "expected point:options";
	name = span_cut(&spec, ':');
	head = span_cut(&name, '/');
	for (point = 0; point < KSLAB_FAULT_POINTS; point++)
		if (span_is(head, point_names[point]))
			break;
	if (point == KSLAB_FAULT_POINTS) {
		*bad = head;
		return "unknown point (cache, kmalloc, pages, meta)";
	}
	if (*named & (1UL << point))
		return "point given twice";
	if (name.n >= KSLAB_FAULT_NAME_LEN)
		return "cache name too long";
	kslab_memcpy(config.cache, name.s, name.n);
	while (spec.n) {
		*bad = span_cut(&spec, ',');
		error = parse_option(*bad, &config);
		if (error)
			return error;
	}
	*bad = whole;
	error = config_error(point, &config);
	if (error)
		return error;
	configs[point] = config;
	*named |= 1UL << point;
	return NULL;
}

/*
 * Parse the whole text into @configs and @named (the points it arms).
 * Return: false, with a report naming @origin, if any of it is wrong.
 */
static bool options_parse(const char *origin, const char *text,
			  struct kslab_fault_config *configs,
			  unsigned long *named)
{
	struct span rest = { text, 0 }, spec, bad;
	const char *error;

	while (text[rest.n])
		rest.n++;
	*named = 0;
	while (rest.n) {
		spec = span_cut(&rest, ';');
		if (!spec.n)
			continue;
		error = parse_spec(spec, configs, named, &bad);
		if (error) {
			kslab_report(KSLAB_LOG_WARN,
				     "%s=\"%s\": %s at \"%.*s\"; fault injection unchanged",
				     origin, text, error, (int)bad.n, bad.s);
			return false;
		}
	}
	return true;
}

/*
 * Read the environment's options, once. A decision or a cache creation
 * may be the first, under any lock but fault_lock: nothing here sleeps.
 */
static kslab_cold kslab_noinline void options_load(void)
{
	struct kslab_fault_config configs[KSLAB_FAULT_POINTS];
	unsigned long named = 0;
	const char *text;

	kslab_spin_lock(&fault_lock);
	if (!options_read) {
		text = kslab_env_option(OPTION_NAME);
		if (text && !options_parse(OPTION_NAME, text, configs, &named))
			named = 0;
		attrs_apply(configs, named);
		kslab_store_release(&options_read, true);
		if (named)
			kslab_report(KSLAB_LOG_INFO,
				     "%s=\"%s\": fault injection armed",
				     OPTION_NAME, text);
	}
	kslab_spin_unlock(&fault_lock);
}

/* ---- caches ---- */

/* Does the cache point's @pattern name @name? */
static bool name_matches(const char *pattern, const char *name)
{
	if (!*pattern)
		return true;
	for (; *pattern; pattern++, name++) {
		if (*pattern == '*')
			return true;	/* only ever last: config_error() */
		if (*pattern != *name)
			return false;
	}
	return !*name;
}

/**
 * kslab_fault_cache_bits() - how fault injection concerns a cache now
 * @cache: the cache, with its name and flags set
 *
 * Under kslab_caches_lock. Return: KSLAB_CACHE_FAULT_* bits for
 * cache->fault; 0 if its allocations may use its magazines.
 */
unsigned int kslab_fault_cache_bits(const struct kslab_cache *cache)
{
	unsigned long armed;
	unsigned int bits = 0;

	options_ensure();
	armed = KSLAB_READ_ONCE(kslab_fault_armed);
	if ((armed & (1UL << KSLAB_FAULT_CACHE)) &&
	    name_matches(attrs[KSLAB_FAULT_CACHE].config.cache, cache->name))
		bits |= KSLAB_CACHE_FAULT_TARGET;
	return bits;
}

/*
 * Mark every cache as the points now say. A cache newly marked has its
 * magazines flushed, so its next allocations reach the slow path. Under
 * kslab_caches_lock.
 */
static void caches_update(void)
{
	struct kslab_cache *cache;

	kslab_list_for_each_entry(cache, &kslab_caches, cache_node) {
		unsigned int bits = kslab_fault_cache_bits(cache);
		bool was_marked = cache->fault;

		KSLAB_WRITE_ONCE(cache->fault, bits);
		if (bits && !was_marked)
			kslab_magazine_flush_all(cache);
	}
}

/**
 * kslab_fault_lock() - hold fault injection's lock, for fork()
 *
 * Innermost of mm/'s locks: kslab_lock_inner() takes it last.
 */
void kslab_fault_lock(void)
{
	kslab_spin_lock(&fault_lock);
}

/**
 * kslab_fault_unlock() - release what kslab_fault_lock() took
 */
void kslab_fault_unlock(void)
{
	kslab_spin_unlock(&fault_lock);
}

/* Take what changing the points needs: kslab_caches_lock, then fault_lock. */
static void points_lock(void)
{
	kslab_mutex_lock(&kslab_caches_lock);
	options_ensure();
	kslab_spin_lock(&fault_lock);
}

/* Let the points go, marking the caches as they now say. */
static void points_unlock(void)
{
	kslab_spin_unlock(&fault_lock);
	caches_update();
	kslab_mutex_unlock(&kslab_caches_lock);
}

/* ---- the API ---- */

int kslab_fault_set(enum kslab_fault_point point,
		    const struct kslab_fault_config *config)
{
	const char *error = config_error(point, config);

	if (error) {
		kslab_report(KSLAB_LOG_WARN, "kslab_fault_set(%s): %s",
			     point < KSLAB_FAULT_POINTS ? point_names[point] : "?",
			     error);
		return -1;
	}
	points_lock();
	attr_arm(point, config);
	points_unlock();
	return 0;
}

void kslab_fault_clear(enum kslab_fault_point point)
{
	if (point >= KSLAB_FAULT_POINTS)
		return;
	points_lock();
	armed_set(kslab_fault_armed & ~(1UL << point));
	points_unlock();
}

void kslab_fault_read(enum kslab_fault_point point,
		      struct kslab_fault_counts *counts)
{
	kslab_memset(counts, 0, sizeof(*counts));
	if (point >= KSLAB_FAULT_POINTS)
		return;
	options_ensure();
	counts->armed = KSLAB_READ_ONCE(kslab_fault_armed) & (1UL << point);
	counts->calls = (unsigned long)kslab_atomic_read(&attrs[point].calls);
	counts->failures = (unsigned long)kslab_atomic_read(&attrs[point].failures);
}

int kslab_fault_configure(const char *options)
{
	struct kslab_fault_config configs[KSLAB_FAULT_POINTS];
	unsigned long named;

	if (!options_parse("kslab_fault_configure", options, configs, &named))
		return -1;
	points_lock();
	attrs_apply(configs, named);
	points_unlock();
	return 0;
}
