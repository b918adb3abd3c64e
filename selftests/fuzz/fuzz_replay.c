// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz target's seed corpus as a regression test (suite fuzz_replay):
 * every file of selftests/fuzz/corpus runs through the decoder and model
 * libFuzzer drives (fuzz.h), each in a child process that must exit
 * cleanly, and together the files must reach every operation. A crash
 * libFuzzer finds is added there as a file (Documentation/fuzzing.rst),
 * so every build replays it: gcc, plain and under ASan+UBSan, without
 * clang. Also main() for the fuzz test program.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../process.h"
#include "fuzz.h"

#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS: the seed corpus folder, set by the Makefile"
#endif

#define MAX_SEEDS	256
#define MAX_SEED_BYTES	(64 << 10)

struct seed {
	unsigned char data[MAX_SEED_BYTES];
	size_t size;
};

/* What replay_corpus found, for corpus_reaches_every_op. */
static unsigned long corpus_reached;
static unsigned int corpus_replayed;

static void replay(void *arg)
{
	const struct seed *seed = arg;

	printf("reached %lx\n", fuzz_run(seed->data, seed->size));
}

static bool read_seed(const char *name, struct seed *seed)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FUZZ_CORPUS, name);
	f = fopen(path, "rb");
	if (!f)
		return false;
	seed->size = fread(seed->data, 1, sizeof(seed->data), f);
	fclose(f);
	return true;
}

/* Run @seed in a child. Return: whether it exited cleanly; *@reached. */
static bool replay_in_child(struct capture *c, struct seed *seed,
			    unsigned long *reached)
{
	return capture_fork(c, replay, seed) && WIFEXITED(c->status) &&
	       !WEXITSTATUS(c->status) &&
	       sscanf(c->out, "reached %lx", reached) == 1;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The corpus's file names, sorted. Return: how many, or -1. */
static int list_corpus(char **names)
{
	DIR *dir = opendir(FUZZ_CORPUS);
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -1;
	while ((e = readdir(dir)) && n < MAX_SEEDS)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(dir);
	qsort(names, (size_t)n, sizeof(*names), compare_names);
	return n;
}

static void test_replay_corpus(struct ktap_test *t)
{
	static struct capture c;
	static struct seed seed;
	char *names[MAX_SEEDS];
	unsigned long reached;
	int n, i;

	n = list_corpus(names);
	ktap_check(t, n > 0, __FILE__, __LINE__, "seeds in %s: %d",
		   FUZZ_CORPUS, n);
	for (i = 0; i < n; i++) {
		bool ok = read_seed(names[i], &seed) &&
			  replay_in_child(&c, &seed, &reached);

		if (!ktap_check(t, ok, __FILE__, __LINE__,
				"seed %s replays cleanly", names[i]))
			ktap_diag("%s: %.400s", names[i], c.err);
		if (ok) {
			corpus_reached |= reached;
			corpus_replayed++;
		}
		free(names[i]);
	}
}

static void test_corpus_reaches_every_op(struct ktap_test *t)
{
	unsigned int op;

	KTAP_EXPECT(t, corpus_replayed > 0);
	for (op = 0; op < FUZZ_NR_OPS; op++)
		ktap_check(t, corpus_reached & (1UL << op), __FILE__, __LINE__,
			   "some seed reaches %s", fuzz_op_name(op));
}

/*
 * The model must see what it did not do: a kmalloc object allocated
 * behind its back shows in its size class's count at the next check.
 */
static void stray_object_run(void *arg)
{
	static const unsigned char input[] = {
		FUZZ_KMALLOC, 1, 100, 0, 0,	/* kmalloc(100) */
		FUZZ_CHECK,
	};

	(void)arg;
	kslab_kmalloc(100, GFP_KERNEL);
	fuzz_run(input, sizeof(input));
}

static void test_model_catches_stray_object(struct ktap_test *t)
{
	static struct capture c;

	KTAP_ASSERT(t, capture_fork(&c, stray_object_run, NULL));
	KTAP_EXPECT(t, WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
	ktap_check(t, strstr(c.err, ": 2 objects held, the model holds 1") != NULL,
		   __FILE__, __LINE__, "the stray object is reported: %.300s",
		   c.err);
}

static const struct ktap_case fuzz_replay_cases[] = {
	{ "replay_corpus", test_replay_corpus },
	{ "corpus_reaches_every_op", test_corpus_reaches_every_op },
	{ "model_catches_stray_object", test_model_catches_stray_object },
};

int main(void)
{
	const struct ktap_suite suites[] = {
		KTAP_SUITE("fuzz_replay", fuzz_replay_cases),
	};

	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
