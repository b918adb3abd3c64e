// SPDX-License-Identifier: GPL-2.0
/*
 * A placeholder for the kslab module's entry points, so the module links
 * and unloads cleanly. The real module, with its /proc files, replaces
 * this file.
 *
 * There is no init function: nothing needs setting up before mm/ is first
 * used. The exit function must stay in some form: pending RCU callbacks
 * point into this module's text.
 */
#include <linux/bug.h>
#include <linux/module.h>

#include "port-internal.h"

static void __exit kslab_module_exit(void)
{
	WARN(kslab_port_exit(), "kslab: chunks still held at unload\n");
}
module_exit(kslab_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kslab: a slab allocator built on its own buddy allocator");
