/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mm/region.c offers the rest of mm/: its lock, for fork(), and the
 * regions left at the module's unload, for kslab_shutdown().
 * Internal to mm/.
 */
#ifndef KSLAB_MM_REGION_H
#define KSLAB_MM_REGION_H

unsigned long kslab_regions_exit(void);
void kslab_regions_lock(void);
void kslab_regions_unlock(void);

#endif /* KSLAB_MM_REGION_H */
