// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: the slow path of kslab_spinlock.
 *
 * The lock word is 0 (free), 1 (held) or 2 (held, someone may sleep on it).
 * A contended locker spins a little, since kslab's critical sections are
 * short, then marks the lock 2 and sleeps in futex_wait; the unlocker that
 * sees 2 wakes one sleeper. No allocation, so it is safe inside malloc.
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../mm/port.h"

#define SPIN_ATTEMPTS	128

void kslab_spin_lock_contended(struct kslab_spinlock *lock)
{
	int i;

	for (i = 0; i < SPIN_ATTEMPTS; i++) {
		int unlocked = 0;

		if (__atomic_load_n(&lock->state, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&lock->state, &unlocked, 1,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		kslab_cpu_relax();
	}
	/* Taking it as 2 is conservative: the unlock may wake nobody. */
	while (__atomic_exchange_n(&lock->state, 2, __ATOMIC_ACQUIRE) != 0)
		syscall(SYS_futex, &lock->state, FUTEX_WAIT_PRIVATE, 2, NULL,
			NULL, 0);
}

void kslab_spin_wake(struct kslab_spinlock *lock)
{
	syscall(SYS_futex, &lock->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

#ifdef __SANITIZE_THREAD__
/* The word kslab_smp_mb() orders itself on (userspace/port.h). */
int kslab_tsan_fence;
#endif
