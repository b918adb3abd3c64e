// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: what mm/ asks of the process around it: options from
 * the environment, random words and thread ids. Nothing here allocates:
 * it runs inside malloc.
 */
#include <kslab/port.h>

#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

const char *kslab_env_option(const char *name)
{
	return getenv(name);
}

/*
 * The kernel's entropy; where it is not ready, the clock and an address
 * chosen by ASLR, which is all a per-process secret needs to differ.
 */
unsigned long kslab_env_random(void)
{
	struct timespec ts;
	unsigned long r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == sizeof(r))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((unsigned long)ts.tv_nsec * 0x9e3779b97f4a7c15UL) ^
	       (unsigned long)&ts;
}

int kslab_env_thread_id(void)
{
	return gettid();
}
