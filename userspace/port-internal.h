/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of userspace/ offer each other beyond the port contract.
 * mm/ never includes this.
 */
#ifndef KSLAB_USERSPACE_PORT_INTERNAL_H
#define KSLAB_USERSPACE_PORT_INTERNAL_H

/* userspace/cpu.c: the per-CPU allocation lock and every CPU's section. */
void kslab_percpu_lock_all(void);
void kslab_percpu_unlock_all(void);
/* The highest id a sysfs list file (such as "0-3,8-11") names, plus one. */
unsigned int kslab_sysfs_list_end(const char *path);

/* userspace/pages.c: the arena's slot lock. */
void kslab_arena_lock(void);
void kslab_arena_unlock(void);

/* userspace/print.c: texts kslab writes at exit, in memory of its own. */
void kslab_write_text(int fd, size_t (*format)(char *buf, size_t size));
int kslab_output_open(const char *setting, const char *pattern, bool append);

/* userspace/profile.c: what KSLAB_PROFILE asks for at exit. */
void kslab_profile_at_exit(void);

/* userspace/hugepages.c: transparent huge pages for the arena's slots. */
bool kslab_thp_advise(void *addr, size_t size, unsigned long held,
		      bool large);
unsigned int kslab_thp_order(void);

/* userspace/numa.c: prefer @node for the pages of [p, p + size). */
void kslab_env_node_bind(void *p, size_t size, unsigned int node);

/*
 * userspace/fork.c: keep a forked child usable. A constructor registers
 * the handlers as the library loads; set-up calls it again (a no-op),
 * which also keeps fork.o in a static link.
 */
void kslab_fork_handlers_register(void);
/* A fork()'s child: the forking thread's random words are the parent's. */
void kslab_env_random_forget(void);

#endif /* KSLAB_USERSPACE_PORT_INTERNAL_H */
