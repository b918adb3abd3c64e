/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A kselftest-style TAP harness that uses nothing but the port contract, so
 * the same test sources run in userspace (TAP 13 on stdout) and, later,
 * inside the kernel test module (KTAP on the kernel log).
 *
 * A test is a function that makes checks with the KTAP_* macros. A test
 * that makes no check and does not skip fails: it proves nothing.
 */
#ifndef KSLAB_SELFTESTS_KTAP_H
#define KSLAB_SELFTESTS_KTAP_H

#include "../mm/port.h"

/* kselftest's exit codes */
#define KTAP_EXIT_PASS	0
#define KTAP_EXIT_FAIL	1
#define KTAP_EXIT_SKIP	4

struct ktap_test {
	const char *name;
	unsigned long checks;
	unsigned long failures;
	bool skipped;
	char skip_reason[128];
};

struct ktap_case {
	const char *name;
	void (*run)(struct ktap_test *t);
};

struct ktap_suite {
	const char *name;
	const struct ktap_case *cases;
	unsigned int nr_cases;
};

#define KTAP_SUITE(sname, table) \
	{ .name = (sname), .cases = (table), .nr_cases = KSLAB_ARRAY_SIZE(table) }

/**
 * ktap_run() - run suites as one TAP stream
 * @suites: the suites, run in order
 * @nr:     how many
 *
 * Prints the version line, the plan, one result line per test and a
 * totals comment. Return: KTAP_EXIT_FAIL if any test failed, else
 * KTAP_EXIT_SKIP if every test skipped, else KTAP_EXIT_PASS.
 */
int ktap_run(const struct ktap_suite *suites, unsigned int nr);

/* Print a "# " diagnostic line. */
kslab_printf_fmt(1, 2) void ktap_diag(const char *fmt, ...);

/* Mark the running test skipped, with the reason shown after "# SKIP". */
kslab_printf_fmt(2, 3) void ktap_skip(struct ktap_test *t, const char *fmt, ...);

/* Record one check; on failure print where and why. Return: @ok. */
kslab_printf_fmt(5, 6)
bool ktap_check(struct ktap_test *t, bool ok, const char *file, int line,
		const char *fmt, ...);

#define KTAP_EXPECT(t, cond)						\
	ktap_check((t), !!(cond), __FILE__, __LINE__, "%s", #cond)

#define KTAP_EXPECT_EQ(t, a, b)						\
	({								\
		unsigned long long __a = (unsigned long long)(a);	\
		unsigned long long __b = (unsigned long long)(b);	\
		ktap_check((t), __a == __b, __FILE__, __LINE__,		\
			   "%s == %s (%llu vs %llu)", #a, #b, __a, __b);	\
	})

#define KTAP_EXPECT_PTR_EQ(t, a, b)					\
	({								\
		const void *__a = (a), *__b = (b);			\
		ktap_check((t), __a == __b, __FILE__, __LINE__,		\
			   "%s == %s (%p vs %p)", #a, #b, __a, __b);	\
	})

/* Stop the test at once when a check it depends on fails. */
#define KTAP_ASSERT(t, cond)						\
	do {								\
		if (!KTAP_EXPECT(t, cond))				\
			return;						\
	} while (0)

/* A small, seeded generator for reproducible random tests (xorshift64*). */
struct ktap_rng {
	unsigned long long state;
};

static inline void ktap_rng_seed(struct ktap_rng *rng, unsigned long long seed)
{
	rng->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static inline unsigned long long ktap_rng_next(struct ktap_rng *rng)
{
	unsigned long long x = rng->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, bound). */
static inline unsigned long ktap_rng_below(struct ktap_rng *rng,
					   unsigned long bound)
{
	return (unsigned long)((ktap_rng_next(rng) >> 11) % bound);
}

#endif /* KSLAB_SELFTESTS_KTAP_H */
