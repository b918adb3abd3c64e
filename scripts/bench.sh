#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The buddy benchmark as one table: time per op from a native run of
# bench_buddy, instructions per op from callgrind, kslab beside mmap+munmap.
#
#   scripts/bench.sh [BUILD]      BUILD is the build directory (build)
#
# Instructions come from one callgrind run per measured loop function:
# collection is on only inside that function (--toggle-collect), so startup
# and warm-up do not count, and the total divided by the ops it ran is the
# cost of one op. Callgrind counts are deterministic, hence repeatable.
# Callgrind sees user space only: the kernel's work in mmap, munmap and the
# page fault is in the ns/op column but not in the instructions column.
#
# Without valgrind (and no root to apt-get it) the instruction columns
# show "-" and a line says why.
set -eu

build=${1:-build}
bench=$build/bench/bench_buddy

if [ ! -x "$bench" ]; then
	echo "bench.sh: $bench is missing; run 'make benches' first" >&2
	exit 1
fi

have_valgrind() {
	command -v valgrind >/dev/null 2>&1
}

# Install valgrind where we may (root with apt-get, as in CI). Quiet, but
# a failure is reported and the run goes on without instruction counts.
ensure_valgrind() {
	have_valgrind && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		return 1
	fi
	echo "# valgrind missing: installing it with apt-get"
	if ! apt-get update -qq >/dev/null 2>&1 ||
	   ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind \
		>/dev/null 2>&1; then
		echo "# apt-get install valgrind failed"
		return 1
	fi
	have_valgrind
}

# Print the instructions per op of loop function $1 run for $2 ops, or "-".
instr_per_op() {
	local fn=$1 ops=$2 out ir=""

	out=$(mktemp)
	if valgrind --tool=callgrind --collect-atstart=no \
		--toggle-collect="$fn" --callgrind-out-file="$out" \
		"$bench" --loop "$fn" "$ops" >/dev/null 2>&1; then
		ir=$(sed -n 's/^totals: *\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	else
		echo "# callgrind run of $fn failed" >&2
	fi
	rm -f "$out"
	if [ -z "$ir" ]; then
		echo "-"
		return
	fi
	awk -v ir="$ir" -v ops="$ops" 'BEGIN { printf "%.1f", ir / ops }'
}

use_valgrind=0
if ensure_valgrind; then
	use_valgrind=1
else
	echo "# SKIP instructions/op: no valgrind (install it: apt-get install valgrind)"
fi

# Instruction counts first: the timed run below then has the machine to
# itself. Keyed by workload, from the program's own list of loops.
declare -A kslab_ir mmap_ir
loops=$("$bench" --list)
while IFS=$'\t' read -r key kslab_fn kslab_ops mmap_fn mmap_ops; do
	if [ "$use_valgrind" = 1 ]; then
		kslab_ir[$key]=$(instr_per_op "$kslab_fn" "$kslab_ops")
		mmap_ir[$key]=$(instr_per_op "$mmap_fn" "$mmap_ops")
	else
		kslab_ir[$key]="-"
		mmap_ir[$key]="-"
	fi
done <<<"$loops"

times=$(mktemp)
trap 'rm -f "$times"' EXIT
"$bench" --tsv >"$times"

row='%-34s | %11s | %10s | %10s | %14s | %13s\n'

echo "# bench_buddy: kslab default zone (warm) vs one mmap+munmap per block"
echo "# every block gets one byte written in both columns: mmap pays its page fault"
echo "# ns/op: median of 5 runs; instr/op: callgrind, user space only"
echo "# (the kernel's work for mmap, munmap and the fault is not counted there)"
# shellcheck disable=SC2059
printf "$row" "workload" "kslab ns/op" "mmap ns/op" "mmap/kslab" \
	"kslab instr/op" "mmap instr/op"
# shellcheck disable=SC2059
printf "$row" "" "" "" "" "" "" | tr ' |' '-+'
while IFS=$'\t' read -r key title kslab_ns mmap_ns; do
	ratio=$(awk -v k="$kslab_ns" -v m="$mmap_ns" \
		'BEGIN { if (k > 0) printf "%.1fx", m / k; else print "-" }')
	# shellcheck disable=SC2059
	printf "$row" "$title" "$kslab_ns" "$mmap_ns" "$ratio" \
		"${kslab_ir[$key]:--}" "${mmap_ir[$key]:--}"
done <"$times"
