#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-frag.sh BUILD: kslab's fragmentation over time through make
# bench's RSS-over-time workload (bench_malloc phases: 200,000 blocks of
# 16-2048 B allocated, all freed, then 4 s of small pairs), from
# userspace/bench/bench_malloc.c built with -DBENCH_FRAG against
# libkslab-malloc.a: every 20 ms the default zone's unusable-free and
# fragmentation index per order (kslab_buddy_frag(), the kernel's extfrag
# definitions) and the caches' internal fragmentation
# (kslab_memory_stats(): slab pages, bytes asked for, padding, free
# objects, slab tails). The series goes to BUILD/bench-results/frag.tsv
# for scripts/bench-plots.gp; the table shows it at the peak of the slab
# pages and at the end. A run of its own, apart from the RSS curve's, so
# the sampling's cost stays out of that. Called by scripts/bench.sh (make
# bench); runs alone as well, after make lib.
set -eu

build=$(cd "${1:?usage: bench-frag.sh BUILD}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
read -r -a cflags <<<"${BENCH_CFLAGS:--std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -pthread}"
bin=$build/bench/bench_malloc-kslab-frag
results=$build/bench-results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$build/bench" "$results"
if ! "$cc" "${cflags[@]}" -DBENCH_FRAG -I"$root/include" -o "$bin" \
	"$root/userspace/bench/bench_malloc.c" "$build/libkslab-malloc.a" \
	-pthread 2>"$tmp/cc.log"; then
	echo "# fragmentation over time: cannot build: $(head -n 1 "$tmp/cc.log")"
	exit 0
fi
if ! "$bin" phases >"$tmp/rss.tsv" 2>"$results/frag.tsv"; then
	echo "# fragmentation over time: $bin phases failed"
	rm -f "$results/frag.tsv"
	exit 0
fi

echo
echo "# kslab's fragmentation through bench_malloc phases (KiB; indices in"
echo "# thousandths, unusable free space for a block of 64 KiB (order 4),"
echo "# 2 MiB (9) and 4 MiB (10); plotted in frag.svg):"
awk -F'\t' '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	n = NR
	for (i = 1; i <= NF; i++) v[n, i] = $i
	if ($col["slab"] > v[peak, col["slab"]] || !peak) peak = n
}
function row(label, r) {
	printf "%-6s %7d ms | %6d %6d %6d | %8d %9d %7d %8d %6d\n", label,
		v[r, col["ms"]], v[r, col["unusable4"]], v[r, col["unusable9"]],
		v[r, col["unusable10"]], v[r, col["slab"]], v[r, col["requested"]],
		v[r, col["padding"]], v[r, col["free"]], v[r, col["tail"]]
}
END {
	if (!n) { print "# no samples"; exit }
	printf "%-17s | %6s %6s %6s | %8s %9s %7s %8s %6s\n", "", "unus4",
		"unus9", "unus10", "slab", "requested", "padding", "free", "tail"
	row("peak", peak)
	row("end", n)
}' "$results/frag.tsv"
