// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace port: faults on kslab's closed pages (kslab_env_watch_faults()).
 *
 * Owns kslab's SIGSEGV and SIGBUS handlers and the actions they replaced.
 * A fault goes to kslab_guard_fault() first, which reports and stops the
 * program when the address is a guard or a freed guarded block; any other
 * fault goes to the handler that was there before kslab's, or, where that
 * was the default, gets the default action as the instruction runs again.
 * A program that installs its own handler afterwards takes these faults
 * itself, and kslab never sees them.
 *
 * No locks: the handlers are installed once, by whoever flips watching.
 */
#include <signal.h>
#include <string.h>

#include "../mm/port.h"

static const int watched_signals[] = { SIGSEGV, SIGBUS };
static struct sigaction replaced[KSLAB_ARRAY_SIZE(watched_signals)];
static int watching;

static void fault_handler(int sig, siginfo_t *info, void *context)
{
	struct sigaction *before;
	unsigned int i;

	if (kslab_guard_fault(info->si_addr))
		return;		/* not reached: kslab_guard_fault() stops */
	for (i = 0; watched_signals[i] != sig; i++)
		;
	before = &replaced[i];
	if (before->sa_flags & SA_SIGINFO) {
		before->sa_sigaction(sig, info, context);
	} else if (before->sa_handler != SIG_DFL &&
		   before->sa_handler != SIG_IGN) {
		before->sa_handler(sig);
	} else {
		/* The faulting instruction runs again, under the default. */
		signal(sig, SIG_DFL);
	}
}

void kslab_env_watch_faults(void)
{
	struct sigaction action;
	unsigned int i;

	if (__atomic_exchange_n(&watching, 1, __ATOMIC_ACQ_REL))
		return;
	memset(&action, 0, sizeof(action));
	action.sa_sigaction = fault_handler;
	action.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&action.sa_mask);
	for (i = 0; i < KSLAB_ARRAY_SIZE(watched_signals); i++)
		sigaction(watched_signals[i], &action, &replaced[i]);
}
