// SPDX-License-Identifier: GPL-2.0
/*
 * The debug option: which caches are debugged, and how, in the kernel's
 * slab_debug syntax, from KSLAB_DEBUG (userspace's environment, the
 * module's slab_debug parameter) or kslab_debug_configure().
 *
 *   FZPU                 every cache: F checks, Z red zones, P poison,
 *                        U alloc/free tracks; - for none
 *   FZ,name1,name2       those caches only; a name ending in '*' is a
 *                        prefix (kmalloc-*); no letters: all four
 *   U;P,name             blocks separated by ';': a block without names
 *                        sets the default, the others their caches
 *
 * And KSLAB_QUARANTINE (module: quarantine=): how many freed objects
 * each debugged cache holds back before reuse (mm/slab_debug.c), 0 to
 * KSLAB_QUARANTINE_MAX (default QUARANTINE_DEFAULT); 0 holds none back.
 *
 * Owns the parsed rules, which point into the option string (an
 * environment variable or module parameter lives as long as the program,
 * and kslab_debug_configure() copies its argument), and the quarantine
 * size. Lock order: under kslab_caches_lock, which cache creation already
 * holds.
 */
#include <kslab/report.h>

#include "slab_debug.h"

#define DEBUG_RULES_MAX		16
#define DEBUG_OPTION_MAX	256
#define QUARANTINE_DEFAULT	128
#define KSLAB_QUARANTINE_MAX	65536

struct debug_rule {
	unsigned long flags;
	const char *names;	/* a comma-separated list, not terminated */
	unsigned int len;
};

struct debug_config {
	unsigned long all;	/* for caches no rule names */
	unsigned int nr;
	struct debug_rule rules[DEBUG_RULES_MAX];
};

static struct debug_config debug_config;
static bool debug_config_read;
static char debug_option_copy[DEBUG_OPTION_MAX];

/* The flags of the letters in [s, end); false for a letter not known. */
static bool parse_flags(const char *s, const char *end, unsigned long *flags,
			char *bad)
{
	*flags = s == end ? KSLAB_DEBUG_FLAGS : 0;
	for (; s < end; s++) {
		switch (*s) {
		case 'F': case 'f':
			*flags |= KSLAB_CONSISTENCY_CHECKS;
			break;
		case 'Z': case 'z':
			*flags |= KSLAB_RED_ZONE;
			break;
		case 'P': case 'p':
			*flags |= KSLAB_POISON;
			break;
		case 'U': case 'u':
			*flags |= KSLAB_STORE_USER;
			break;
		case '-':
			break;
		default:
			*bad = *s;
			return false;
		}
	}
	return true;
}

static const char *find_char(const char *s, const char *end, char c)
{
	while (s < end && *s != c)
		s++;
	return s;
}

/* Parse @option into @config. Return: false, with a report, if it is bad. */
static bool parse_option(const char *option, struct debug_config *config)
{
	const char *block = option, *end = option + __builtin_strlen(option);
	char bad = 0;

	kslab_memset(config, 0, sizeof(*config));
	while (block < end) {
		const char *stop = find_char(block, end, ';');
		const char *names = find_char(block, stop, ',');
		unsigned long flags;

		if (!parse_flags(block, names, &flags, &bad))
			goto bad_letter;
		if (names == stop) {
			config->all = flags;
		} else {
			if (config->nr == DEBUG_RULES_MAX) {
				kslab_report(KSLAB_LOG_WARN,
					     "KSLAB_DEBUG=\"%s\": more than %d blocks; debugging off",
					     option, DEBUG_RULES_MAX);
				return false;
			}
			config->rules[config->nr++] = (struct debug_rule){
				.flags = flags, .names = names + 1,
				.len = (unsigned int)(stop - names - 1),
			};
		}
		block = stop + 1;
	}
	return true;

bad_letter:
	kslab_report(KSLAB_LOG_WARN,
		     "KSLAB_DEBUG=\"%s\": unknown flag '%c' (F, Z, P, U or -); debugging off",
		     option, bad);
	return false;
}

/* Does the comma-separated @list name @name? */
static bool list_names(const char *list, unsigned int len, const char *name)
{
	const char *end = list + len;

	while (list < end) {
		const char *item_end = find_char(list, end, ',');
		size_t n = (size_t)(item_end - list);
		bool prefix = n && item_end[-1] == '*';

		if (prefix ? !__builtin_strncmp(list, name, n - 1) :
			     n == __builtin_strlen(name) &&
			     !__builtin_strncmp(list, name, n))
			return true;
		list = item_end + 1;
	}
	return false;
}

/**
 * kslab_debug_flags_for() - the debug flags KSLAB_DEBUG gives a cache
 * @name: the cache's name
 *
 * Reads the option the first time. Under kslab_caches_lock.
 * Return: KSLAB_DEBUG_FLAGS bits; 0 when nothing asks for debugging.
 */
unsigned long kslab_debug_flags_for(const char *name)
{
	unsigned int i;

	if (!debug_config_read) {
		const char *option = kslab_env_option("KSLAB_DEBUG");

		debug_config_read = true;
		if (option && !parse_option(option, &debug_config))
			kslab_memset(&debug_config, 0, sizeof(debug_config));
	}
	for (i = 0; i < debug_config.nr; i++)
		if (list_names(debug_config.rules[i].names,
			       debug_config.rules[i].len, name))
			return debug_config.rules[i].flags;
	return debug_config.all;
}

/**
 * kslab_debug_configure() - set which caches later creations debug
 * @option: in KSLAB_DEBUG's syntax (Documentation/debugging.rst); NULL or
 *          "" for none
 *
 * Replaces what KSLAB_DEBUG said; caches that exist keep their flags.
 * Return: 0, or -1 with a report if @option is bad (then nothing changes).
 */
int kslab_debug_configure(const char *option)
{
	struct debug_config config;
	unsigned int i;

	if (!option)
		option = "";
	if (__builtin_strlen(option) >= sizeof(debug_option_copy)) {
		kslab_report(KSLAB_LOG_WARN,
			     "%s: option longer than %d bytes", __func__,
			     DEBUG_OPTION_MAX - 1);
		return -1;
	}
	if (!parse_option(option, &config))
		return -1;
	kslab_mutex_lock(&kslab_caches_lock);
	/* The rules point into the caller's string: move them to our copy. */
	kslab_memcpy(debug_option_copy, option, __builtin_strlen(option) + 1);
	for (i = 0; i < config.nr; i++)
		config.rules[i].names = debug_option_copy +
					(config.rules[i].names - option);
	debug_config = config;
	debug_config_read = true;
	kslab_mutex_unlock(&kslab_caches_lock);
	return 0;
}

static unsigned int quarantine_size = QUARANTINE_DEFAULT;
static bool quarantine_read;

/**
 * kslab_debug_quarantine_size() - freed objects a debugged cache holds back
 *
 * Reads KSLAB_QUARANTINE the first time: a bad value is reported and the
 * default kept. Under kslab_caches_lock.
 * Return: the number, 0 for none.
 */
unsigned int kslab_debug_quarantine_size(void)
{
	const char *option, *s;
	unsigned long n = 0;

	if (quarantine_read)
		return quarantine_size;
	quarantine_read = true;
	option = kslab_env_option("KSLAB_QUARANTINE");
	if (!option)
		return quarantine_size;
	for (s = option; *s >= '0' && *s <= '9' && n <= KSLAB_QUARANTINE_MAX; s++)
		n = n * 10 + (unsigned long)(*s - '0');
	if (*s || s == option || n > KSLAB_QUARANTINE_MAX)
		kslab_report(KSLAB_LOG_WARN,
			     "KSLAB_QUARANTINE=\"%s\": bad value (0 to %u objects); using %u",
			     option, KSLAB_QUARANTINE_MAX, quarantine_size);
	else
		quarantine_size = (unsigned int)n;
	return quarantine_size;
}
