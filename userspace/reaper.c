// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace: the background reaper thread (see <kslab/reaper.h>).
 *
 * One thread, woken by a timed condition wait; stopping signals the
 * condition so the caller never waits out an interval. Owns reaper_lock,
 * which it never holds while reaping.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <kslab/reaper.h>
#include <kslab/slab.h>

static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_wake;
static pthread_t reaper_thread;
static bool reaper_running;
static bool reaper_stopping;
static unsigned int reaper_interval_ms;
static unsigned long reaper_pass_count;

static void deadline_after(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *reaper_main(void *unused)
{
	struct timespec deadline;

	(void)unused;
	pthread_mutex_lock(&reaper_lock);
	while (!reaper_stopping) {
		deadline_after(&deadline, reaper_interval_ms);
		if (pthread_cond_timedwait(&reaper_wake, &reaper_lock,
					   &deadline) != ETIMEDOUT)
			continue;	/* woken early: stopping, or a new interval */
		pthread_mutex_unlock(&reaper_lock);
		kslab_reap_all();
		pthread_mutex_lock(&reaper_lock);
		reaper_pass_count++;
	}
	pthread_mutex_unlock(&reaper_lock);
	return NULL;
}

int kslab_reaper_start(unsigned int interval_ms)
{
	pthread_condattr_t attr;
	int err = 0;

	pthread_mutex_lock(&reaper_lock);
	reaper_interval_ms = interval_ms ? interval_ms : 1;
	if (reaper_running) {
		pthread_cond_signal(&reaper_wake);
		goto out;
	}
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&reaper_wake, &attr);
	pthread_condattr_destroy(&attr);
	reaper_stopping = false;
	err = pthread_create(&reaper_thread, NULL, reaper_main, NULL);
	reaper_running = !err;
out:
	pthread_mutex_unlock(&reaper_lock);
	return err;
}

void kslab_reaper_stop(void)
{
	pthread_mutex_lock(&reaper_lock);
	if (!reaper_running) {
		pthread_mutex_unlock(&reaper_lock);
		return;
	}
	reaper_stopping = true;
	pthread_cond_signal(&reaper_wake);
	pthread_mutex_unlock(&reaper_lock);
	pthread_join(reaper_thread, NULL);

	pthread_mutex_lock(&reaper_lock);
	reaper_running = false;
	pthread_cond_destroy(&reaper_wake);
	pthread_mutex_unlock(&reaper_lock);
}

unsigned long kslab_reaper_passes(void)
{
	unsigned long n;

	pthread_mutex_lock(&reaper_lock);
	n = reaper_pass_count;
	pthread_mutex_unlock(&reaper_lock);
	return n;
}
