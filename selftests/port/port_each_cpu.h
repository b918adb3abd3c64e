/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The port suite that also runs in the kernel test module
 * (port_each_cpu.c: kslab headers and the port contract alone).
 */
#ifndef KSLAB_SELFTESTS_PORT_EACH_CPU_H
#define KSLAB_SELFTESTS_PORT_EACH_CPU_H

#include "../ktap.h"

extern const struct ktap_suite port_each_cpu_suite;

#endif /* KSLAB_SELFTESTS_PORT_EACH_CPU_H */
