#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-region.sh BUILD: memory that dies all at once, at the end of a
# frame or of a request (userspace/bench/bench_region.c), from a kslab
# region reset each time beside kslab's kmalloc, kslab's caches and
# malloc/free from libkslab-malloc.a, glibc, jemalloc, mimalloc and
# tcmalloc, each object freed on its own. Called by scripts/bench.sh
# (make bench); runs alone as well, after make benches.
#
# BUILD/bench/bench_region (the Makefile's, with libkslab.a) has the
# region, kmalloc and cache columns; its malloc column is built here once
# per malloc, linked with that library, as scripts/bench.sh builds
# bench_malloc. A library that is missing leaves its column out, said so.
# REGION_ROUNDS rounds take the workloads and columns in turn, each run a
# process of its own; the table shows medians: ns per allocation (the
# allocations and the frees or resets over the allocations) and peak RSS,
# then each column over the region's (above 1: the region does better).
# The figures also go to BUILD/bench-results/region.tsv for
# scripts/bench-plots.gp.
set -eu

build=$(cd "${1:?usage: bench-region.sh BUILD}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"
rounds=${REGION_ROUNDS:-5}
bin=$build/bench/bench_region
cc=${CC:-cc}
read -r -a cflags <<<"${BENCH_CFLAGS:--std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -pthread}"
columns=(region kmalloc cache kslab-malloc glibc jemalloc mimalloc tcmalloc)
declare -A libs=([kslab-malloc]="$build/libkslab-malloc.a"
		 [glibc]="" [jemalloc]=-ljemalloc [mimalloc]=-lmimalloc
		 [tcmalloc]=-ltcmalloc_minimal)
workloads=(frame request)
declare -A wtitle=([frame]="frame, 2000 x 16-256 B (1/64: 8K)"
		   [request]="request, 4-400 x 16-1024 B")

if [ ! -x "$bin" ]; then
	echo "bench-region.sh: $bin is missing; run 'make benches' first" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# How to run column $1: its binary and the column the binary calls it.
declare -A run_bin run_col
usable=()
for name in "${columns[@]}"; do
	if [ -z "${libs[$name]+set}" ]; then
		run_bin[$name]=$bin run_col[$name]=$name
	else
		# shellcheck disable=SC2086
		if ! "$cc" "${cflags[@]}" -o "$build/bench/bench_region-$name" \
			"$root/userspace/bench/bench_region.c" -pthread \
			-Wl,--no-as-needed ${libs[$name]} 2>"$tmp/cc.log"; then
			echo "# regions: $name left out: $(head -n 1 "$tmp/cc.log")"
			continue
		fi
		run_bin[$name]=$build/bench/bench_region-$name run_col[$name]=malloc
	fi
	usable+=("$name")
done

for _ in $(seq "$rounds"); do
	for w in "${workloads[@]}"; do
		for name in "${usable[@]}"; do
			read -r ns rss < <("${run_bin[$name]}" "${run_col[$name]}" "$w") || continue
			echo "$ns" >>"$tmp/ns.$name.$w"
			awk -v k="$rss" 'BEGIN { printf "%.1f\n", k / 1024 }' >>"$tmp/rss.$name.$w"
		done
	done
done

declare -A fig
for name in "${usable[@]}"; do
	for w in "${workloads[@]}"; do
		[ -f "$tmp/ns.$name.$w" ] || continue
		fig[$name,$w]=$(median <"$tmp/ns.$name.$w")
		fig[$name,${w}rss]=$(median <"$tmp/rss.$name.$w")
	done
done

row='%-44s'
for _ in "${usable[@]}"; do
	row+=' |%12s'
done
row+='\n'
# One row of figure $2 for every column, under label $1; then, for ns,
# each over the region's.
region_rows() {
	local label=$1 key=$2 name base=${fig[region,$2]:--}
	local -a vals=() ratios=()

	for name in "${usable[@]}"; do
		vals+=("${fig[$name,$key]:--}")
		ratios+=("$(awk -v b="$base" -v v="${fig[$name,$key]:--}" 'BEGIN {
			if (b + 0 > 0 && v != "-") printf "%.2fx", v / b
			else print "-" }')")
	done
	# shellcheck disable=SC2059
	printf "$row" "$label" "${vals[@]}"
	# shellcheck disable=SC2059
	[[ "$key" = *rss ]] || printf "$row" "  column/region" "${ratios[@]}"
}

echo
echo "# bench_region: objects that live for a frame or a request; region: a kslab"
echo "# region reset at its end; the others free each object at its end (kmalloc,"
echo "# cache: kslab's; kslab-malloc: libkslab-malloc.a; the peers' malloc)"
echo "# ns per allocation (allocations plus frees or resets) and peak RSS MiB:"
echo "# median of $rounds rounds taking the columns in turn, a process each"
# shellcheck disable=SC2059
printf "$row" "workload" "${usable[@]}"
# shellcheck disable=SC2059
printf "$row" "" "${usable[@]/*/}" | tr ' |' '-+'
for w in "${workloads[@]}"; do
	region_rows "${wtitle[$w]}, ns/alloc" "$w"
	region_rows "${wtitle[$w]}, RSS MiB" "${w}rss"
done

results=$build/bench-results
mkdir -p "$results"
{
	printf 'workload'
	printf '\t%s' "${usable[@]}"
	echo
	for w in "${workloads[@]}"; do
		printf '%s' "$w"
		for name in "${usable[@]}"; do
			printf '\t%s' "${fig[$name,$w]:--}"
		done
		echo
	done
} >"$results/region.tsv"
