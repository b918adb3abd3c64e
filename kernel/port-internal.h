/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kernel/port.c offers the rest of kernel/ beyond the port contract:
 * the hooks the module's init and exit need. mm/ never includes this.
 */
#ifndef KSLAB_KERNEL_PORT_INTERNAL_H
#define KSLAB_KERNEL_PORT_INTERNAL_H

/**
 * kslab_port_exit() - quiesce the kernel port before the module unloads
 *
 * Waits for every callback queued through kslab_call_rcu() (they run code
 * in this module) and for every deferred metadata free. Call it from
 * process context after mm/ has released everything it holds.
 *
 * Return: the number of chunks still held from the page allocator; not
 * zero means a zone was never destroyed and its chunks will leak.
 */
unsigned long kslab_port_exit(void);

/**
 * kslab_port_chunks_held() - chunks held from the page allocator now
 *
 * For the shrinker, which reports what it freed in the kernel's pages,
 * and /proc/kslab_reclaim. Context: any.
 * Return: the count.
 */
unsigned long kslab_port_chunks_held(void);

#endif /* KSLAB_KERNEL_PORT_INTERNAL_H */
