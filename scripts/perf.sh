#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kslab's per-CPU caches under Linux perf: the recipes of
# Documentation/perf.rst, run on the benchmarks.
#
#   1. perf stat with software events over the cache benchmark
#      (hardware counters are not available on these VMs)
#   2. perf record -g, sampling cpu-clock, over the alloc+free pair loop,
#      and the top symbols of the alloc and free path
#   3. kslab's USDT probes registered with perf probe (sdt_kslab:*) and
#      recorded over the mixed-size malloc workload: how often each fired,
#      and per CPU the magazine misses (the CPU kslab counted on, the
#      probe's second argument) and the depot traffic
#
#   scripts/perf.sh [BUILD]      BUILD is the build directory (build)
#
# Needs root (uprobes), perf (Debian: linux-perf) and the tracefs, which
# it mounts if need be; it says which is missing and stops otherwise.
set -eu

build=${1:-build}
cache_bench=$build/bench/bench_cache
malloc_bench=$build/bench/bench_malloc
tracefs=/sys/kernel/tracing

fail() {
	echo "perf.sh: $*" >&2
	exit 1
}

[ -x "$cache_bench" ] && [ -x "$malloc_bench" ] ||
	fail "$cache_bench or $malloc_bench is missing: run 'make benches' first"
[ "$(id -u)" = 0 ] || fail "needs root: uprobes and the tracefs are root's"
command -v perf >/dev/null 2>&1 || fail "no perf (Debian: apt-get install linux-perf)"
perf --version >/dev/null 2>&1 || fail "perf does not run for this kernel"
[ -e $tracefs/uprobe_events ] || mount -t tracefs nodev $tracefs 2>/dev/null ||
	fail "cannot mount the tracefs at $tracefs"
[ -e $tracefs/uprobe_events ] || fail "this kernel has no uprobes"

tmp=$(mktemp -d)
trap 'perf probe -q -d "sdt_kslab:*" 2>/dev/null || true; rm -rf "$tmp"' EXIT

echo "== 1. perf stat: software events over $cache_bench"
perf stat -e task-clock,context-switches,cpu-migrations,page-faults \
	"$cache_bench" --loop bench_pair 20000000 2>&1 >/dev/null |
	grep -E 'task-clock|context-switches|cpu-migrations|page-faults|elapsed'

echo
echo "== 2. perf record -g: where the alloc+free pair loop spends its time"
perf record -q -g -e cpu-clock -o "$tmp/pair.data" \
	"$cache_bench" --loop bench_pair 50000000 >/dev/null 2>&1
perf report -i "$tmp/pair.data" --stdio --no-children --sort symbol 2>/dev/null |
	grep -E '^ +[0-9]+\.[0-9]+%' | head -n 8

echo
echo "== 3. USDT probes sdt_kslab:* over '$malloc_bench mixed'"
perf buildid-cache --add "$malloc_bench" 2>/dev/null || true
perf probe -q -d "sdt_kslab:*" 2>/dev/null || true
perf probe -q -x "$malloc_bench" -a "sdt_kslab:*" ||
	fail "perf probe found no sdt_kslab probes in $malloc_bench (built without <sys/sdt.h>?)"
perf record -q -o "$tmp/sdt.data" -e "sdt_kslab:*" -- "$malloc_bench" mixed >/dev/null
perf script -i "$tmp/sdt.data" -F cpu,event,trace >"$tmp/sdt.txt" 2>/dev/null
echo "# hits per probe"
awk '{ sub(/:$/, "", $2); n[$2]++ } END { for (e in n) printf "%10d  %s\n", n[e], e }' \
	"$tmp/sdt.txt" | sort -k2
echo "# magazine misses per CPU (the CPU kslab counted them on)"
awk '$2 ~ /(alloc|free)_miss/ {
	sub(/:$/, "", $2); sub(/^sdt_kslab:/, "", $2)
	for (i = 3; i <= NF; i++) if ($i ~ /^arg2=/) { split($i, a, "="); cpu = a[2] }
	n[cpu " " $2]++
} END { for (k in n) { split(k, p, " "); printf "  cpu %s  %-10s %d\n", p[1], p[2], n[k] } }' \
	"$tmp/sdt.txt" | sort
echo "# depot traffic per CPU (the CPU the probe fired on)"
awk '$2 ~ /depot_(get|put)/ {
	cpu = $1; gsub(/[\[\]]/, "", cpu); sub(/:$/, "", $2); sub(/^sdt_kslab:/, "", $2)
	n[cpu + 0 " " $2]++
} END { for (k in n) { split(k, p, " "); printf "  cpu %s  %-10s %d\n", p[1], p[2], n[k] } }' \
	"$tmp/sdt.txt" | sort
