#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-profile.sh BUILD: what the allocation profile costs
# (Documentation/profiling.rst), profiling off, per-site accounting on
# (KSLAB_PROFILE=1) and sampling on besides (KSLAB_PROFILE=sample=524288,
# tcmalloc's default distance):
#   - the malloc(64)+free pair of bench_cache through the preloaded
#     libkslab-malloc.so, and a kslab cache's pair through libkslab.a:
#     callgrind instructions per pair (single per-CPU mode, as
#     scripts/bench.sh counts) and ns per pair;
#   - bench_malloc's mixed workload (random sizes 16-2048 B, 100k live)
#     through the preloaded malloc: ns per operation and peak RSS.
# Times are medians of PROFILE_ROUNDS rounds that take the modes in turn,
# each run a process of its own. Called by scripts/bench.sh (make bench);
# runs alone as well, after make benches.
set -eu

build=$(cd "${1:?usage: bench-profile.sh BUILD}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"
rounds=${PROFILE_ROUNDS:-3}
cc=${CC:-cc}
read -r -a cflags <<<"${BENCH_CFLAGS:--std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -pthread}"
preload=LD_PRELOAD=$build/libkslab-malloc.so
modes=(off sites sampled)
declare -A mode_env=([off]="KSLAB_PROFILE=0" [sites]="KSLAB_PROFILE=1"
		     [sampled]="KSLAB_PROFILE=sample=524288")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The programs with the C library's malloc, for the preloaded one to serve.
"$cc" "${cflags[@]}" -o "$tmp/bench_cache" "$root/userspace/bench/bench_cache.c"
"$cc" "${cflags[@]}" -I"$root/include" -o "$tmp/bench_malloc" \
	"$root/userspace/bench/bench_malloc.c"
cache_bin=$build/bench/bench_cache

# Instructions per op of loop $2 of binary $1 in environment $3..., or "-".
instr() {
	local bin=$1 fn=$2 out=$tmp/cg.out ir

	shift 2
	command -v valgrind >/dev/null || { echo "-"; return; }
	env KSLAB_PERCPU=single "$@" valgrind --tool=callgrind \
		--collect-atstart=no --toggle-collect="$fn" \
		--callgrind-out-file="$out" "$bin" --loop "$fn" 20000 \
		>/dev/null 2>&1 || { echo "-"; return; }
	ir=$(sed -n 's/^totals: *\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	awk -v ir="${ir:-0}" 'BEGIN { if (ir) printf "%.1f", ir / 20000; else print "-" }'
}

declare -A ir ns
for mode in "${modes[@]}"; do
	ir[malloc,$mode]=$(instr "$tmp/bench_cache" bench_pair "$preload" ${mode_env[$mode]})
	ir[cache,$mode]=$(instr "$cache_bin" bench_pair ${mode_env[$mode]})
done
for ((r = 0; r < rounds; r++)); do
	for mode in "${modes[@]}"; do
		# shellcheck disable=SC2086
		env "$preload" ${mode_env[$mode]} "$tmp/bench_cache" --tsv |
			awk -F'\t' '$1 == "pair" { print $4 }' >>"$tmp/malloc-$mode"
		# shellcheck disable=SC2086
		env ${mode_env[$mode]} "$cache_bin" --tsv |
			awk -F'\t' '$1 == "pair" { print $4 }' >>"$tmp/cache-$mode"
		# shellcheck disable=SC2086
		env "$preload" ${mode_env[$mode]} "$tmp/bench_malloc" mixed \
			>>"$tmp/mixed-$mode"
	done
done
for mode in "${modes[@]}"; do
	ns[malloc,$mode]=$(median <"$tmp/malloc-$mode")
	ns[cache,$mode]=$(median <"$tmp/cache-$mode")
	ns[mixed,$mode]=$(cut -f1 "$tmp/mixed-$mode" | median)
	ns[mixedrss,$mode]=$(cut -f2 "$tmp/mixed-$mode" | median | awk '{ printf "%.1f", $1 / 1024 }')
done

row='%-40s | %9s | %9s | %9s | %9s | %11s\n'

# The value over profiling off's, or "-".
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else print "-" }'
}

# A row of table $3 (ir or ns), key $2, labelled $1.
line() {
	local label=$1 key=$2
	local -n t=$3

	# shellcheck disable=SC2059
	printf "$row" "$label" "${t[$key,off]}" "${t[$key,sites]}" \
		"${t[$key,sampled]}" "$(ratio "${t[$key,sites]}" "${t[$key,off]}")" \
		"$(ratio "${t[$key,sampled]}" "${t[$key,off]}")"
}

echo
echo "# allocation profile: off, per-site accounting (KSLAB_PROFILE=1), and"
echo "# sampling every 512 KiB besides (KSLAB_PROFILE=sample=524288);"
echo "# instr/op: callgrind, KSLAB_PERCPU=single (valgrind has no rseq: the"
echo "# sequences run on kslab's own area, CPU 0); ns/op and RSS: median of"
echo "# $rounds rounds"
# shellcheck disable=SC2059
printf "$row" "" off sites sampled sites/off sampled/off
line "malloc(64) pair, preloaded, instr/op" malloc ir
line "kslab cache pair, libkslab.a, instr/op" cache ir
line "malloc(64) pair, preloaded, ns/op" malloc ns
line "kslab cache pair, libkslab.a, ns/op" cache ns
line "malloc mixed 16-2048 B, preloaded, ns/op" mixed ns
line "malloc mixed, peak RSS MiB" mixedrss ns
