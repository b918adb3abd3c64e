// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: what mm/ asks of the process around it: options from
 * the environment, random words and thread ids. Nothing here allocates:
 * it runs inside malloc.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../mm/port.h"
#include "port-internal.h"

/*
 * Defined by the drop-in malloc alone (userspace/malloc/preload.c): the
 * settings a process whose malloc is kslab's has when its environment
 * says nothing.
 */
const char *kslab_malloc_option_default(const char *name)
	__attribute__((weak));

/*
 * secure_getenv(): whoever runs a set-user-ID program must not choose
 * which of its allocations fail (KSLAB_FAIL) or how its caches are
 * checked; the C library ignores its own malloc variables there too.
 */
const char *kslab_env_option(const char *name)
{
	const char *value = secure_getenv(name);

	if (!value && kslab_malloc_option_default)
		value = kslab_malloc_option_default(name);
	return value;
}

/*
 * The kernel's entropy, drawn RANDOM_POOL words at a time into the
 * calling thread's pool: a program makes a dozen caches in its first
 * malloc and one a size class after, each wanting a secret, and a system
 * call a word cost it one each. A fork()'s child empties its pool
 * (kslab_env_random_forget()), so that parent and child draw apart. Where
 * the kernel's entropy is not ready, the clock and an address chosen by
 * ASLR, which is all a per-process secret needs to differ.
 */
#define RANDOM_POOL	8

static __thread unsigned long random_pool[RANDOM_POOL]
	__attribute__((tls_model("initial-exec")));
static __thread unsigned int random_left
	__attribute__((tls_model("initial-exec")));

unsigned long kslab_env_random(void)
{
	struct timespec ts;

	if (random_left ||
	    getrandom(random_pool, sizeof(random_pool), GRND_NONBLOCK) ==
	    sizeof(random_pool)) {
		if (!random_left)
			random_left = RANDOM_POOL;
		return random_pool[--random_left];
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((unsigned long)ts.tv_nsec * 0x9e3779b97f4a7c15UL) ^
	       (unsigned long)&ts;
}

void kslab_env_random_forget(void)
{
	random_left = 0;
}

int kslab_env_thread_id(void)
{
	return gettid();
}

/*
 * The symbol the dynamic loader knows (exported ones: link with
 * -rdynamic to see a program's own), else the object file and offset,
 * which addr2line -e FILE turns into a source line.
 */
void kslab_env_caller_name(char *buf, size_t size, unsigned long addr)
{
	Dl_info info;

	if (!dladdr((void *)addr, &info) || !info.dli_fname) {
		kslab_snprintf(buf, size, "%#lx", addr);
		return;
	}
	if (info.dli_sname && info.dli_saddr)
		kslab_snprintf(buf, size, "%s+%#lx (%s)", info.dli_sname,
			       addr - (unsigned long)info.dli_saddr,
			       info.dli_fname);
	else
		kslab_snprintf(buf, size, "%s+%#lx", info.dli_fname,
			       addr - (unsigned long)info.dli_fbase);
}

/*
 * The C library's unwinder. Its first call loads libgcc_s, which
 * allocates: under kslab's malloc that allocation may be sampled and ask
 * for a stack again, which this thread then goes without.
 */
unsigned int kslab_env_stack(unsigned long *addrs, unsigned int max)
{
	static __thread bool unwinding __attribute__((tls_model("initial-exec")));
	int n;

	if (unwinding)
		return 0;
	unwinding = true;
	n = backtrace((void **)addrs, (int)max);
	unwinding = false;
	return n > 0 ? (unsigned int)n : 0;
}
