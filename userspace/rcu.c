// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: RCU deferral through liburcu's memb flavour.
 *
 * memb needs no signals and keeps readers to a few instructions: the
 * writer side fences readers with membarrier(2). liburcu wants a thread
 * registered while it reads or queues callbacks (call_rcu takes a read
 * lock to find its queue), and registering a thread twice is an error it
 * stops the program for. Programs that use liburcu register their own
 * threads, before or after kslab first runs on them, so kslab never keeps
 * a thread registered: it uses a thread as it finds it, and one nobody
 * registered it registers only for the duration of its own use, a
 * read-side section (outermost lock to outermost unlock) or one
 * call_rcu. Queuing costs that on kslab's internal paths once a batch
 * of deferred frees (mm/rcu_free.c); a thread that reads often should be
 * registered by its program, as liburcu asks.
 *
 * liburcu is not built for ThreadSanitizer, which therefore sees none of
 * the orderings RCU promises; the kslab_tsan_* calls state them (they are
 * nothing in other builds): kslab_call_rcu() happens before its callback,
 * and every read-side section that ended happens before a grace period
 * that ends later, so before kslab_synchronize_rcu() returns and before
 * the callbacks it lets run; and every callback that ran happens before
 * kslab_rcu_barrier() returns. Claiming every section that ended, not only
 * those that began before the grace period, is more order than RCU gives;
 * it can hide a race, never invent one.
 *
 * liburcu is loaded at kslab's first RCU call, not with kslab: most
 * programs never use RCU, and loading it at start cost each one about
 * 0.1 ms (a library found, mapped and relocated, and its constructor's
 * membarrier registration). A program that links liburcu-memb itself
 * gets the same copy back, so its registered threads are the ones kslab
 * sees. Without the library no grace period can be had: the first call
 * stops the program, saying so.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <urcu/urcu-memb.h>
#include <urcu/static/urcu-memb.h>	/* struct urcu_reader */

#include "../mm/port.h"

#define URCU_LIBRARY	"liburcu-memb.so.8"

_Static_assert(sizeof(struct rcu_head) <= sizeof(((struct kslab_rcu_head *)0)->urcu_head),
	       "kslab_rcu_head must hold liburcu's rcu_head");

/* What ThreadSanitizer's read-side releases and grace periods meet on. */
static int rcu_readers_done;
/* ... and callbacks that ran, and kslab_rcu_barrier(), which waits for them. */
static int rcu_callbacks_done;

static struct {
	void (*register_thread)(void);
	void (*unregister_thread)(void);
	void (*read_lock)(void);
	void (*read_unlock)(void);
	void (*call_rcu)(struct rcu_head *head,
			 void (*fn)(struct rcu_head *head));
	void (*barrier)(void);
	void (*synchronize_rcu)(void);
	void *handle;		/* set, with release, once the rest is */
} urcu;
static pthread_once_t urcu_once = PTHREAD_ONCE_INIT;

/* This thread's reader in liburcu, whose flag says who registered it. */
static __thread struct urcu_reader *rcu_reader;

static void *urcu_symbol(void *handle, const char *name)
{
	void *sym = handle ? dlsym(handle, name) : NULL;

	if (!sym)
		kslab_env_panic("kslab: RCU needs " URCU_LIBRARY
				" (Debian: liburcu8), which could not be loaded");
	return sym;
}

static void urcu_load(void)
{
	void *handle = dlopen(URCU_LIBRARY, RTLD_NOW | RTLD_GLOBAL);

	urcu.register_thread = urcu_symbol(handle, "urcu_memb_register_thread");
	urcu.unregister_thread = urcu_symbol(handle,
					     "urcu_memb_unregister_thread");
	urcu.read_lock = urcu_symbol(handle, "urcu_memb_read_lock");
	urcu.read_unlock = urcu_symbol(handle, "urcu_memb_read_unlock");
	urcu.call_rcu = urcu_symbol(handle, "urcu_memb_call_rcu");
	urcu.barrier = urcu_symbol(handle, "urcu_memb_barrier");
	urcu.synchronize_rcu = urcu_symbol(handle, "urcu_memb_synchronize_rcu");
	kslab_store_release(&urcu.handle, handle);
}

static void urcu_ready(void)
{
	pthread_once(&urcu_once, urcu_load);
}

/* Read-side sections open on a thread kslab registered for them. */
static __thread unsigned int rcu_borrowed_depth;

/*
 * Register this thread for kslab's own use if nobody has. Return: whether
 * kslab did, and so must unregister it when done.
 */
static bool rcu_borrow_thread(void)
{
	if (!rcu_reader)	/* dlsym gives a TLS symbol's copy for the caller */
		rcu_reader = urcu_symbol(urcu.handle, "urcu_memb_reader");
	if (rcu_reader->registered)
		return false;
	urcu.register_thread();
	return true;
}

void kslab_rcu_read_lock(void)
{
	urcu_ready();
	if (rcu_borrowed_depth)
		rcu_borrowed_depth++;
	else if (rcu_borrow_thread())
		rcu_borrowed_depth = 1;
	urcu.read_lock();
}

void kslab_rcu_read_unlock(void)
{
	kslab_tsan_release(&rcu_readers_done);
	urcu.read_unlock();
	if (rcu_borrowed_depth && !--rcu_borrowed_depth)
		urcu.unregister_thread();
}

static void rcu_trampoline(struct rcu_head *urcu_head)
{
	struct kslab_rcu_head *head = (struct kslab_rcu_head *)urcu_head;

	kslab_tsan_acquire(head);
	kslab_tsan_acquire(&rcu_readers_done);
	head->fn(head);
	kslab_tsan_release(&rcu_callbacks_done);
}

void kslab_call_rcu(struct kslab_rcu_head *head, kslab_rcu_fn fn)
{
	bool borrowed;

	urcu_ready();
	borrowed = rcu_borrow_thread();
	head->fn = fn;
	kslab_tsan_release(head);
	urcu.call_rcu((struct rcu_head *)head->urcu_head, rcu_trampoline);
	if (borrowed)
		urcu.unregister_thread();
}

static void prepare_done(struct kslab_rcu_head *head)
{
	(void)head;
}

/*
 * liburcu loaded, and its callback thread started by a first call_rcu:
 * both allocate, and mm/ calls into RCU with kslab_caches_lock held
 * (destroying a cache), where the drop-in malloc making a size class
 * would wait for that lock. Called outside mm/'s locks; a read-side
 * section may be open, where call_rcu is allowed.
 */
static void urcu_prepare(void)
{
	static struct kslab_rcu_head first;

	kslab_call_rcu(&first, prepare_done);
}

static pthread_once_t prepare_once = PTHREAD_ONCE_INIT;

/*
 * Once a process, the first call_rcu; once a thread, the address of its
 * liburcu reader: dlsym() takes the loader's lock and may allocate the
 * thread's block of liburcu's thread-local data, and under
 * kslab_caches_lock that waited on a thread inside dlopen() which waited,
 * allocating, for kslab_caches_lock.
 */
void kslab_rcu_prepare(void)
{
	pthread_once(&prepare_once, urcu_prepare);
	if (!rcu_reader)
		rcu_reader = urcu_symbol(urcu.handle, "urcu_memb_reader");
}

/* Before liburcu is loaded nothing was queued, so nothing is waited for. */
void kslab_rcu_barrier(void)
{
	if (!kslab_load_acquire(&urcu.handle))
		return;
	urcu.barrier();
	kslab_tsan_acquire(&rcu_callbacks_done);
}

void kslab_synchronize_rcu(void)
{
	urcu_ready();
	urcu.synchronize_rcu();
	kslab_tsan_acquire(&rcu_readers_done);
}
