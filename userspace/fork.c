// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace: fork() with kslab in use by several threads.
 *
 * The child of fork() has one thread, the one that forked. Had another
 * thread held a kslab lock, or been halfway through a per-CPU section, at
 * that moment, the child would inherit the lock held forever and the data
 * half changed. So before the fork the forking thread takes every lock
 * kslab has, in lock order, which waits until no other thread is inside
 * kslab; after it, parent and child each release them all. Restartable
 * sequences need nothing: they commit with one store, so memory is whole
 * at any instant, and the other threads' sequences do not exist in the
 * child. The child also registers again for membarrier (userspace/cpu.c)
 * and empties its pool of random words (userspace/env.c).
 *
 * Registered as the library loads (a constructor), not at kslab's first
 * allocation: glibc runs the prepare handlers newest first and the
 * others oldest first, so a handler another part of the program
 * registered before kslab's ran its prepare with every kslab lock held,
 * and its child half before the child released them; one that allocated
 * waited for ever. Registered first, kslab takes its locks after every
 * later handler's prepare and gives them back before their child and
 * parent halves. (A library whose constructor runs before kslab's and
 * registers a handler that allocates still meets the old order.) The
 * locks need nothing set up: a walk over the CPUs' locks finds none yet.
 *
 * Owns the registration's once.
 */
#include <pthread.h>

#include "../mm/port.h"
#include "port-internal.h"

static void fork_prepare(void)
{
	kslab_lock_outer();
	kslab_percpu_lock_all();
	kslab_lock_inner();
	kslab_arena_lock();
}

static void fork_release(void)
{
	kslab_arena_unlock();
	kslab_unlock_inner();
	kslab_percpu_unlock_all();
	kslab_unlock_outer();
}

static void fork_child(void)
{
	kslab_env_random_forget();
	fork_release();
}

static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

static void fork_handlers_add(void)
{
	pthread_atfork(fork_prepare, fork_release, fork_child);
}

__attribute__((constructor)) void kslab_fork_handlers_register(void)
{
	pthread_once(&fork_handlers_once, fork_handlers_add);
}
