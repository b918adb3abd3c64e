# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the benchmark scripts share, sourced by scripts/bench.sh and
# scripts/bench-programs.sh.

# The median of the numbers on stdin, one a line ("-" for none): the
# middle one, the lower of the two for an even count.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}
