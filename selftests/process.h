/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running code, this program again, or another program, with what it
 * writes to fd 1 and fd 2 captured, and environments to run them in; and
 * this process's resident size.
 *
 * Userspace only: it forks and execs. The portable test sources must not
 * include this header.
 */
#ifndef KSLAB_SELFTESTS_PROCESS_H
#define KSLAB_SELFTESTS_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

#define CAPTURE_MAX		8192

/* Text a piece of code wrote to fd 1 and fd 2, and how its process ended. */
struct capture {
	char out[CAPTURE_MAX];
	char err[CAPTURE_MAX];
	int status;		/* waitpid() status; 0 for capture_call() */
	int pid;		/* the child's; 0 for capture_call() */
};

/*
 * Run @fn here with its output captured. It must write less than a pipe
 * holds (64 KiB): nobody reads the pipes until it returns.
 */
bool capture_call(struct capture *c, void (*fn)(void *), void *arg);

/* Run @fn in a forked child with its output captured; it may kill itself. */
bool capture_fork(struct capture *c, void (*fn)(void *), void *arg);

/*
 * Run this program again in a forked child, with @arg as its only argument
 * and @envp as its environment, and capture its output.
 */
bool capture_self(struct capture *c, const char *arg, char **envp);

/* Run the program @argv[0] (a path) with @argv and @envp, captured. */
bool capture_exec(struct capture *c, const char *const *argv, char **envp);

/*
 * The build folder this program was built into (the one above its own
 * folder) in @dir. Return: false if /proc/self/exe cannot be read.
 */
bool build_dir_of_self(char *dir, size_t size);

/*
 * Run "sh -c @cmd" in folder @dir, captured, with this process's
 * environment and @name set to @value.
 */
bool capture_shell(struct capture *c, const char *dir, const char *cmd,
		   const char *name, const char *value);

/* Write @len bytes at @data to file @name of folder @dir. */
bool write_file_in(const char *dir, const char *name, const void *data,
		   size_t len);

/* Make a folder from @tmpl (mkdtemp), and remove it with all it holds. */
bool work_dir_make(char *tmpl);
void work_dir_remove(const char *dir);

/*
 * This process's environment with @name set to @value. Free *@var and the
 * array returned when done. Return: the array, or NULL without memory.
 */
char **env_with(const char *name, const char *value, char **var);

/*
 * Resident bytes of kslab's arena (userspace/pages.c), from the Rss lines
 * of /proc/self/smaps: kslab's own memory, whatever the C library's heap
 * or a sanitizer's shadow (which stays resident after kslab gives pages
 * back) hold. Return: false if smaps cannot be read.
 */
bool arena_rss(unsigned long *bytes);

/*
 * The sum of one field of /proc/self/smaps over the mappings that meet
 * [from, to), in KiB: "Rss", "AnonHugePages"; a mapping counts whole.
 * Return: false if smaps cannot be read.
 */
bool range_smaps_kib(const char *field, unsigned long from,
		     unsigned long to, unsigned long *kib);

/* range_smaps_kib() over kslab's arena. */
bool arena_smaps_kib(const char *field, unsigned long *kib);

/* Pages of [p, p + size) that hold memory now (mincore). */
unsigned long resident_pages(void *p, size_t size);

#endif /* KSLAB_SELFTESTS_PROCESS_H */
