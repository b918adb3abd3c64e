#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-thp.sh BUILD: transparent huge pages under kslab's chunks, on and
# off (KSLAB_THP, Documentation/port.rst): BUILD/bench/bench_thp walks a
# random cycle through 512 MiB of 64-byte objects from one cache, a
# TLB-sensitive workload, then gives it all back. THP_ROUNDS rounds take
# the settings off, on and auto in turn, each run a process of its own;
# the table shows medians: ns per step, RSS and AnonHugePages of the
# objects' mappings (/proc/self/smaps), the give-back's time (the cache
# destroyed and kslab_shrink_all()) and the RSS left, then off over on.
# The system's THP setting is shown first: with "never" every setting
# reads "none" and the rows are the same. Called by scripts/bench.sh (make
# bench); runs alone as well, after make benches. The figures also go to
# BUILD/bench-results/thp.tsv for scripts/bench-plots.gp.
set -eu

build=$(cd "${1:?usage: bench-thp.sh BUILD}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"
rounds=${THP_ROUNDS:-5}
bin=$build/bench/bench_thp
settings=(off on auto)
columns=(ns rss huge give left)

if [ ! -x "$bin" ]; then
	echo "bench-thp.sh: $bin is missing; run 'make benches' first" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

declare -A mode
for _ in $(seq "$rounds"); do
	for s in "${settings[@]}"; do
		read -r ns rss huge give left m < <(KSLAB_THP=$s "$bin") || continue
		mode[$s]=$m
		echo "$ns" >>"$tmp/ns.$s"
		echo "$give" >>"$tmp/give.$s"
		for c in rss huge left; do
			awk -v k="${!c}" 'BEGIN { printf "%.1f\n", k / 1024 }' >>"$tmp/$c.$s"
		done
	done
done

declare -A fig
for s in "${settings[@]}"; do
	for c in "${columns[@]}"; do
		fig[$s,$c]=$( [ -f "$tmp/$c.$s" ] && median <"$tmp/$c.$s" || echo -)
	done
done

echo
echo "# bench_thp: a random walk over 512 MiB of 64-byte objects from one cache,"
echo "# then all of it given back; KSLAB_THP off, on and auto, a process each,"
echo "# median of $rounds rounds taking them in turn; the system says"
echo "#   $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo 'no THP')"
row='%-10s %-6s |%10s |%10s |%14s |%14s |%12s\n'
# shellcheck disable=SC2059
printf "$row" KSLAB_THP mode "ns/step" "RSS MiB" "AnonHuge MiB" "give-back ms" "RSS after"
# shellcheck disable=SC2059
printf "$row" "" "" "" "" "" "" "" | tr ' |' '-+'
for s in "${settings[@]}"; do
	# shellcheck disable=SC2059
	printf "$row" "$s" "${mode[$s]:--}" "${fig[$s,ns]}" "${fig[$s,rss]}" \
		"${fig[$s,huge]}" "${fig[$s,give]}" "${fig[$s,left]}"
done
awk -v off="${fig[off,ns]}" -v on="${fig[on,ns]}" \
	-v goff="${fig[off,give]}" -v gon="${fig[on,give]}" 'BEGIN {
	if (on + 0 > 0 && gon + 0 > 0)
		printf "# off/on: %.2fx the time per step, %.2fx the give-back\n",
			off / on, goff / gon }'

results=$build/bench-results
mkdir -p "$results"
{
	printf 'KSLAB_THP\tns/step\tgive-back ms\tAnonHugePages MiB\n'
	for s in "${settings[@]}"; do
		printf '%s\t%s\t%s\t%s\n' "$s" "${fig[$s,ns]}" "${fig[$s,give]}" \
			"${fig[$s,huge]}"
	done
} >"$results/thp.tsv"
