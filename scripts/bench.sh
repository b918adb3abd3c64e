#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks as two tables, each with time per op from native runs and
# instructions per op from callgrind:
#
#   bench_buddy   kslab's buddy allocator beside mmap+munmap per block
#   bench_cache   a kslab cache of 64-byte objects beside malloc(64) from
#                 glibc, jemalloc, mimalloc and tcmalloc
#   bench_malloc  malloc of mixed sizes, one thread and four, a churn
#                 of large zeroed blocks, a short program's footprint (and
#                 its time from exec to exit) and a key-value store's fill,
#                 from libkslab-malloc and the same four: ns/op and peak
#                 RSS;
#                 and RSS over time through a grow, a free and a tail
#   programs      git, xz, sqlite3, perl and python3 with each malloc
#                 preloaded (scripts/bench-programs.sh): seconds, peak RSS
#   bench_region  a frame's or a request's objects from a kslab region
#                 reset at its end, beside kmalloc, kslab's caches and each
#                 malloc freeing them one by one (scripts/bench-region.sh)
#   profile       the allocation profile off, counting by site and
#                 sampling: instructions and ns a pair, the mixed malloc
#                 workload (scripts/bench-profile.sh)
#   bench_thp     a random walk over 512 MiB of a cache's objects with
#                 KSLAB_THP off, on and auto, and the give-back after
#                 (scripts/bench-thp.sh)
#   fragmentation kslab's buddy and internal fragmentation over the RSS
#                 workload's time (scripts/bench-frag.sh)
#
# The figures also go, tab-separated, into BUILD/bench-results/, and
# scripts/bench-plots.gp draws them there as SVG: ns/op per workload and
# allocator, instructions per pair, threads, RSS over time, THP on and
# off, fragmentation over time.
#
#   scripts/bench.sh [BUILD]      BUILD is the build directory (build)
#
# The bench set of scripts/install-deps.sh comes first: valgrind and the
# malloc libraries. Without root (or network) that may fail; the run goes
# on, and whatever is still missing shows as "-" with a line saying why.
#
# A process has one malloc, so bench_cache.c is built here once per
# allocator, into BUILD/bench/bench_cache-NAME: with -DBENCH_KSLAB against
# BUILD/libkslab.a, and for each peer linked with its library. Each binary
# says which library its malloc really comes from (--info); a peer whose
# malloc is not its own is skipped rather than reported under its name.
# CC and BENCH_CFLAGS override the compiler and flags (default: the
# Makefile's, less dependency files and -fPIC).
#
# Instructions come from one callgrind run per measured loop function:
# collection is on only inside that function (--toggle-collect), so startup
# and warm-up do not count, and the total divided by the ops it ran is the
# cost of one op. Callgrind counts are deterministic, hence repeatable.
# Callgrind sees user space only: the kernel's work in mmap, munmap and the
# page fault is in the ns/op column but not in the instructions column.
# The timed runs follow all callgrind runs, one binary at a time, so each
# has the machine to itself.
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"
bench=$build/bench/bench_buddy

if [ ! -x "$bench" ] || [ ! -f "$build/libkslab.a" ]; then
	echo "bench.sh: $bench or $build/libkslab.a is missing; run 'make benches' first" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Quiet: apt-get's chatter is shown only if it fails.
if "$root/scripts/install-deps.sh" bench >"$tmp/deps.log" 2>&1; then
	sed -n 's/^install-deps: /# /p' "$tmp/deps.log"
else
	echo "# scripts/install-deps.sh bench failed; going on with what is installed:"
	sed 's/^/#   /' "$tmp/deps.log" | tail -n 5
fi

use_valgrind=0
if command -v valgrind >/dev/null 2>&1; then
	use_valgrind=1
else
	echo "# SKIP instructions/op: no valgrind (install it: apt-get install valgrind)"
fi

# Variables for the environment of callgrind runs, set per binary.
count_env=()

# Print the instructions per op of loop function $2 of binary $1 run for
# $3 ops, or "-".
instr_per_op() {
	local bin=$1 fn=$2 ops=$3 out=$tmp/callgrind.out ir=""

	if [ "$use_valgrind" != 1 ]; then
		echo "-"
		return
	fi
	if env "${count_env[@]}" valgrind --tool=callgrind --collect-atstart=no \
		--toggle-collect="$fn" --callgrind-out-file="$out" \
		"$bin" --loop "$fn" "$ops" >/dev/null 2>&1; then
		ir=$(sed -n 's/^totals: *\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	else
		echo "# callgrind run of $bin $fn failed" >&2
	fi
	rm -f "$out"
	if [ -z "$ir" ]; then
		echo "-"
		return
	fi
	awk -v ir="$ir" -v ops="$ops" 'BEGIN { printf "%.1f", ir / ops }'
}

# ---- bench_buddy ----

# Instruction counts first: the timed run below then has the machine to
# itself. Keyed by workload, from the program's own list of loops.
declare -A kslab_ir mmap_ir
loops=$("$bench" --list)
while IFS=$'\t' read -r key kslab_fn kslab_ops mmap_fn mmap_ops; do
	kslab_ir[$key]=$(instr_per_op "$bench" "$kslab_fn" "$kslab_ops")
	mmap_ir[$key]=$(instr_per_op "$bench" "$mmap_fn" "$mmap_ops")
done <<<"$loops"

"$bench" --tsv >"$tmp/buddy.tsv"

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
done <"$tmp/buddy.tsv"

# ---- bench_cache ----

cc=${CC:-cc}
read -r -a cflags <<<"${BENCH_CFLAGS:--std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -pthread}"
src=$root/userspace/bench/bench_cache.c
# kslab-so is the cache through the shared library (-lkslab), as users
# link it; kslab-malloc is kslab's drop-in malloc(64), linked statically,
# and kslab-preload the same drop-in preloaded (libkslab-malloc.so) into
# the binary glibc's column runs.
allocators=(kslab kslab-so kslab-malloc kslab-preload glibc jemalloc mimalloc tcmalloc)
peers=(glibc jemalloc mimalloc tcmalloc)
# Yardsticks, not allocators (bench_cache.c): floor is the harness alone,
# stack a thread's plain LIFO stack with no lock and no check.
yardsticks=(floor stack)
cache_columns=("${allocators[@]}" "${yardsticks[@]}")
# What each peer links, and what the file its malloc comes from is called.
declare -A peer_lib=([glibc]="" [jemalloc]=-ljemalloc [mimalloc]=-lmimalloc
		     [tcmalloc]=-ltcmalloc_minimal
		     [kslab-malloc]="$build/libkslab-malloc.a"
		     [kslab-preload]="")
declare -A peer_file=([glibc]=libc.so [jemalloc]=libjemalloc
		      [mimalloc]=libmimalloc [tcmalloc]=libtcmalloc
		      [kslab-malloc]=bench_cache-kslab-malloc
		      [kslab-preload]=libkslab-malloc.so)
abs_build=$(cd "$build" && pwd)
# The environment a column's binaries run in (callgrind's too).
declare -A col_env=([kslab-preload]="LD_PRELOAD=$abs_build/libkslab-malloc.so")

# Run binary $2 in column $1's environment.
run_col() {
	local name=$1 cenv=()

	shift
	read -r -a cenv <<<"${col_env[$name]:-}"
	env "${cenv[@]}" "$@"
}
declare -A peer_pkg=([glibc]=libc6-dev [jemalloc]=libjemalloc-dev
		     [mimalloc]=libmimalloc-dev [tcmalloc]=libgoogle-perftools-dev)
declare -A skipped why

# Build allocator $1's binary; on failure say why on stdout.
build_cache_bench() {
	local name=$1 bin=$build/bench/bench_cache-$1 libs=()

	if [ "$name" = kslab ]; then
		"$cc" "${cflags[@]}" -I"$root/include" -DBENCH_KSLAB -o "$bin" \
			"$src" "$build/libkslab.a" -pthread \
			2>"$tmp/cc.log" && return 0
	elif [ "$name" = kslab-so ]; then
		"$cc" "${cflags[@]}" -I"$root/include" -DBENCH_KSLAB -o "$bin" \
			"$src" -L"$abs_build" -lkslab -Wl,-rpath,"$abs_build" \
			-pthread 2>"$tmp/cc.log" && return 0
	elif [ "$name" = floor ] || [ "$name" = stack ]; then
		"$cc" "${cflags[@]}" "-DBENCH_${name^^}" -o "$bin" "$src" \
			-pthread 2>"$tmp/cc.log" && return 0
	else
		# --no-as-needed: the library stays even if the linker
		# thinks it unneeded; --info checks who answers malloc.
		# shellcheck disable=SC2054
		# shellcheck disable=SC2206
		[ -n "${peer_lib[$name]}" ] &&
			libs=(-Wl,--no-as-needed ${peer_lib[$name]})
		"$cc" "${cflags[@]}" -o "$bin" "$src" -pthread "${libs[@]}" \
			2>"$tmp/cc.log" && return 0
	fi
	# The linker's own line says what is missing; collect2's does not.
	echo "cannot build: $(grep -m 1 -E 'cannot find|error' "$tmp/cc.log" ||
			      head -n 1 "$tmp/cc.log") (package ${peer_pkg[$name]:-?})"
	return 1
}

# The variant's own account of its allocator, checked for a peer.
check_cache_bench() {
	local name=$1 bin=$build/bench/bench_cache-$1 kind file size

	if ! IFS=$'\t' read -r kind file size < <(run_col "$name" "$bin" --info 2>/dev/null); then
		echo "its --info run failed"
		return 1
	fi
	if [ -n "${peer_file[$name]:-}" ] && [[ "$file" != *"${peer_file[$name]}"* ]]; then
		echo "malloc comes from $file, not ${peer_file[$name]}"
		return 1
	fi
	echo "# $name: $kind from $file; a 64-byte object takes $size bytes"
}

declare -A value ir title unit
for name in "${cache_columns[@]}"; do
	if ! out=$(build_cache_bench "$name") ||
	   ! out=$(check_cache_bench "$name"); then
		if [ "$name" = kslab ]; then
			echo "bench.sh: kslab's bench_cache: $out" >&2
			cat "$tmp/cc.log" >&2
			exit 1
		fi
		skipped[$name]=1
		why[$name]=$out
		continue
	fi
	echo "$out"
	# Valgrind has no rseq. kslab's single mode runs the same sequences
	# for one thread without it, so the count is that of the rseq path.
	count_env=()
	[[ "$name" = kslab* ]] && count_env=(KSLAB_PERCPU=single)
	[ -n "${col_env[$name]:-}" ] && count_env+=("${col_env[$name]}")
	while IFS=$'\t' read -r key fn ops; do
		ir[$name,$key]=$(instr_per_op "$build/bench/bench_cache-$name" \
					      "$fn" "$ops")
	done < <("$build/bench/bench_cache-$name" --list)
done


# Runnable tasks other than the one looking, the least of a few looks:
# anything else busy on the CPUs skews the figures, the 2-thread ones most.
others_runnable() {
	local looks n least=

	for looks in 1 2 3 4 5; do
		[ "$looks" -gt 1 ] && sleep 0.1
		n=$(awk '/^procs_running/ { print $2 - 1 }' /proc/stat 2>/dev/null || true)
		n=${n:-0}
		if [ -z "$least" ] || [ "$n" -lt "$least" ]; then
			least=$n
		fi
	done
	echo "$least"
}

busy_before=$(others_runnable)

# CACHE_ROUNDS rounds, each taking the allocators in turn, so a change in
# the machine's load falls on all of them; each figure shown is the median
# of the rounds (each round's itself the median of 5 runs), the peak RSS
# of the random replacement (a process of its own each time) too.
CACHE_ROUNDS=3
# Row keys in kslab's order: it runs first and must succeed.
keys=()
for round in $(seq "$CACHE_ROUNDS"); do
	for name in "${cache_columns[@]}"; do
		[ -n "${skipped[$name]:-}" ] && continue
		if ! run_col "$name" "$build/bench/bench_cache-$name" --tsv >"$tmp/$name.tsv"; then
			if [ "$name" = kslab ]; then
				echo "bench.sh: kslab's bench_cache failed" >&2
				exit 1
			fi
			skipped[$name]=1
			why[$name]="its timed run failed"
			continue
		fi
		while IFS=$'\t' read -r key u t v; do
			[ "$name" = kslab ] && [ "$round" = 1 ] && keys+=("$key")
			title[$key]=$t
			unit[$key]=$u
			echo "$v" >>"$tmp/cache.$name.$key"
		done <"$tmp/$name.tsv"
		if kib=$(run_col "$name" "$build/bench/bench_cache-$name" --rss); then
			awk -v k="$kib" 'BEGIN { printf "%.1f\n", k / 1024 }' \
				>>"$tmp/cache.$name.rss"
		fi
	done
done
for name in "${cache_columns[@]}"; do
	[ -n "${skipped[$name]:-}" ] && continue
	for key in "${keys[@]}" rss; do
		[ -f "$tmp/cache.$name.$key" ] &&
			value[$name,$key]=$(median <"$tmp/cache.$name.$key")
	done
done
for name in "${cache_columns[@]}"; do
	[ -n "${skipped[$name]:-}" ] && echo "# $name: skipped: ${why[$name]}"
done
busy_after=$(others_runnable)
if [ "$busy_before" -gt 0 ] || [ "$busy_after" -gt 0 ]; then
	echo "# WARNING: other tasks were running ($busy_before before, $busy_after after"
	echo "# the timed runs): the figures below, the 2-thread ones most, are skewed"
fi

# The table's columns: the allocators named in array $1.
table_head() {
	local -n names=$1
	local dashes=()

	table_columns=$1
	crow='%-40s'
	for _ in "${names[@]}"; do
		crow+=' |%12s'
		dashes+=("")
	done
	crow+='\n'
	# shellcheck disable=SC2059
	printf "$crow" "workload" "${names[@]}"
	# shellcheck disable=SC2059
	printf "$crow" "" "${dashes[@]}" | tr ' |' '-+'
}

# One row of figures, and under it the row of each peer's over kslab's,
# for the columns table_head last printed.
cache_rows() {
	local label=$1 store=$2 key=$3 name k v r
	local -a vals=() ratios=()
	local -n figures=$store columns=$table_columns

	k=${figures[kslab,$key]:--}
	for name in "${columns[@]}"; do
		v=${figures[$name,$key]:--}
		vals+=("$v")
		if [ "$name" = kslab ]; then
			ratios+=("")
			continue
		fi
		r=$(awk -v k="$k" -v v="$v" 'BEGIN {
			if (k + 0 > 0 && v != "-") printf "%.2fx", v / k
			else print "-" }')
		ratios+=("$r")
	done
	# shellcheck disable=SC2059
	printf "$crow" "$label" "${vals[@]}"
	# shellcheck disable=SC2059
	printf "$crow" "  peer/kslab" "${ratios[@]}"
}

echo
echo "# bench_cache: 64-byte objects, a kslab cache (kslab: libkslab.a;"
echo "# kslab-so: libkslab.so) vs malloc(64): kslab's (kslab-malloc:"
echo "# libkslab-malloc.a; kslab-preload: libkslab-malloc.so preloaded) and the peers'"
echo "# one op = one object allocated and freed; every object gets a byte written"
echo "# ns/op and Mops/s: median of $CACHE_ROUNDS rounds taking the allocators in turn,"
echo "# each the median of 5 runs of ~0.25 s; instr/op: callgrind"
echo "# peer/kslab: the peer's figure over kslab's; above 1 for ns/op or"
echo "# instr/op, kslab does better; above 1 for Mops/s, the peer does"
echo "# floor: the harness alone (alloc returns one static object, free does"
echo "# nothing); stack: a thread's plain LIFO stack, no lock, no check"
table_head cache_columns
for key in "${keys[@]}"; do
	cache_rows "${title[$key]}, ${unit[$key]}" value "$key"
done
cache_rows "${title[replace]}, peak RSS MiB" value rss
cache_rows "${title[pair]}, instr/op" ir pair

# kslab against the best peer, with the floor beside it: the issue 9
# targets (0.5x the best peer's ns on pair, batch and random; peak RSS
# of the random workload at most the best peer's).
echo
echo "# kslab and the floor over the best peer (the least of ${peers[*]}):"
for key in pair batch replace rss; do
	best= best_name=
	for name in "${peers[@]}"; do
		v=${value[$name,$key]:-}
		[ -n "$v" ] || continue
		if [ -z "$best" ] || awk -v v="$v" -v b="$best" 'BEGIN { exit !(v < b) }'; then
			best=$v best_name=$name
		fi
	done
	[ -n "$best" ] || continue
	label=${title[$key]:-${title[replace]}}
	[ "$key" = rss ] && label="$label, peak RSS"
	awk -v l="$label" -v k="${value[kslab,$key]:--}" -v f="${value[floor,$key]:--}" \
		-v s="${value[kslab-so,$key]:--}" -v b="$best" -v n="$best_name" 'BEGIN {
		printf "#   %-40s kslab %5.2fx", l, k / b
		if (s != "-") printf "  kslab-so %5.2fx", s / b
		if (f != "-") printf "  floor %5.2fx", f / b
		printf "  (best: %s %s)\n", n, b }'
done

# The same kslab binary with its per-CPU lock instead of rseq, for the cost
# of the lock.
kslab_bin=$build/bench/bench_cache-kslab
if KSLAB_PERCPU=lock "$kslab_bin" --tsv >"$tmp/kslab-lock.tsv"; then
	lock_row=""
	while IFS=$'\t' read -r key u t v; do
		lock_row+=" ${key} ${v} ${u};"
	done <"$tmp/kslab-lock.tsv"
	echo "# kslab with KSLAB_PERCPU=lock:${lock_row}"
fi
if [ "$use_valgrind" = 1 ]; then
	echo "# instr/op: valgrind has no rseq, so callgrind counts kslab in single"
	echo "# mode (KSLAB_PERCPU=single): the rseq sequences, unregistered, one thread;"
	echo "# every column includes the same loop and wrapper overhead: the floor's count"
fi

# ---- bench_malloc ----

# Built like bench_cache, once per allocator: kslab's through
# libkslab-malloc.a, so every malloc in the process is kslab's. Each
# workload runs MALLOC_RUNS times per allocator, each in a process of its
# own, so the peak RSS is the workload's; the rounds take the allocators
# in turn, so a change in the machine's load falls on all of them. The
# median of each column is shown.
MALLOC_RUNS=5
malloc_allocators=(kslab kslab-preload glibc jemalloc mimalloc tcmalloc)
malloc_workloads=(mixed threads large short start kvfill)
declare -A malloc_title=([mixed]="mixed 16-2048 B, 100k live"
			 [threads]="4 threads x 25k live"
			 [large]="large churn 5-25 MiB"
			 [short]="short program, 1000 blocks"
			 [start]="short program, exec to exit"
			 [kvfill]="key-value fill, 500k keys")
# "start" times whole processes (bench_malloc.c): the allocator's loading
# and set-up count wherever they happen, before main or at a first malloc.
declare -A malloc_unit=([start]="us a process")
declare -A mns mrss

# Build program $2 (bench_malloc, bench_threads) for allocator $1.
build_malloc_bench() {
	local name=$1 prog=$2 libs=()

	if [ "$name" = kslab ]; then
		libs=("$build/libkslab-malloc.a")
	elif [ -n "${peer_lib[$name]}" ]; then
		libs=(-Wl,--no-as-needed "${peer_lib[$name]}")
	fi
	"$cc" "${cflags[@]}" -o "$build/bench/$prog-$name" \
		"$root/userspace/bench/$prog.c" -pthread "${libs[@]}" 2>"$tmp/cc.log"
}

malloc_built=()
for name in "${malloc_allocators[@]}"; do
	[ -n "${skipped[$name]:-}" ] && continue
	if ! build_malloc_bench "$name" bench_malloc ||
	   ! build_malloc_bench "$name" bench_threads; then
		echo "# $name's bench_malloc or bench_threads: cannot build: $(head -n 1 "$tmp/cc.log")"
		continue
	fi
	malloc_built+=("$name")
done
for _ in $(seq "$MALLOC_RUNS"); do
	for w in "${malloc_workloads[@]}"; do
		for name in "${malloc_built[@]}"; do
			if read -r ns rss < <(run_col "$name" "$build/bench/bench_malloc-$name" "$w"); then
				echo "$ns" >>"$tmp/ns.$name.$w"
				awk -v k="$rss" 'BEGIN { printf "%.1f\n", k / 1024 }' \
					>>"$tmp/rss.$name.$w"
			fi
		done
	done
done
for name in "${malloc_built[@]}"; do
	for w in "${malloc_workloads[@]}"; do
		[ -f "$tmp/ns.$name.$w" ] || continue
		mns[$name,$w]=$(median <"$tmp/ns.$name.$w")
		mrss[$name,$w]=$(median <"$tmp/rss.$name.$w")
	done
done

echo
echo "# bench_malloc: malloc/free of random sizes; kslab: libkslab-malloc.a,"
echo "# kslab-preload: libkslab-malloc.so preloaded; one op = one block freed and"
echo "# another allocated, its first byte written; each run in a fresh process"
echo "# ns/op and peak RSS (MiB): median of $MALLOC_RUNS runs; peer/kslab above 1:"
echo "# kslab does better"
table_head malloc_allocators
for w in "${malloc_workloads[@]}"; do
	cache_rows "${malloc_title[$w]}, ${malloc_unit[$w]:-ns/op}" mns "$w"
	cache_rows "${malloc_title[$w]}, RSS MiB" mrss "$w"
done

# ---- across threads ----

# bench_threads oversub N: N threads swapping 16-16000 B blocks through
# shared slots, so most frees are another thread's block; 2 threads and
# 16 (8 per CPU of this machine), OVERSUB_RUNS runs each, medians. kslab
# must not wait for a preempted thread: 16 threads keep most of 2's
# throughput, and no op waits much longer than a scheduler tick.
# bench_threads pass N: N producers allocate 64-byte blocks in batches,
# N consumers free them (xmalloc-test's pattern); 1 and 4 of each.
# bench_threads larson N: N server threads replacing random 8-1000 B
# blocks, each handing its blocks to a new thread every 500k ops
# (Larson's server simulation); 2 and 8 threads.
OVERSUB_RUNS=3
declare -A oversub
# One run of bench_threads $2 $3 for column $1: its figures into $tmp.
thread_run() {
	local name=$1 what=$2 n=$3 ns rss p9999 max

	case $what in
	oversub)
		read -r ns _ _ p9999 max < <(run_col "$name" \
			"$build/bench/bench_threads-$name" oversub "$n") || return 0
		echo "$ns" >>"$tmp/os.$name.$n"
		awk -v v="$p9999" 'BEGIN { printf "%.1f\n", v / 1000 }' >>"$tmp/osq.$name.$n"
		awk -v v="$max" 'BEGIN { printf "%.1f\n", v / 1000 }' >>"$tmp/osmax.$name.$n"
		;;
	*)
		read -r ns rss < <(run_col "$name" \
			"$build/bench/bench_threads-$name" "$what" "$n") || return 0
		echo "$ns" >>"$tmp/$what.$name.$n"
		awk -v k="$rss" 'BEGIN { printf "%.1f\n", k / 1024 }' >>"$tmp/${what}rss.$name.$n"
		;;
	esac
}
for _ in $(seq "$OVERSUB_RUNS"); do
	for name in "${malloc_built[@]}"; do
		for n in 2 16; do
			thread_run "$name" oversub "$n"
		done
		for n in 1 4; do
			thread_run "$name" pass "$n"
		done
		for n in 2 8; do
			thread_run "$name" larson "$n"
		done
	done
done
for name in "${malloc_built[@]}"; do
	for f in "$tmp"/{os,osq,osmax,pass,passrss,larson,larsonrss}."$name".*; do
		[ -f "$f" ] || continue
		k=${f#"$tmp"/}
		oversub[$name,${k%%.*}${k##*.}]=$(median <"$f")
	done
	oversub[$name,keep]=$(awk -v a="${oversub[$name,os2]:-}" -v b="${oversub[$name,os16]:-}" \
		'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }')
done
echo
echo "# bench_threads: oversub, threads swapping 16-16000 B blocks through 4096"
echo "# shared slots (cross-thread frees), 2M ops; pass, producers and consumers"
echo "# of 64 B blocks, 16M blocks; larson, server threads replaced every 500k ops,"
echo "# 16M ops; median of $OVERSUB_RUNS runs"
echo "# 16/2 kept: 2 threads' ns/op over 16 threads' (throughput kept, 1 = all)"
echo "# latency: each op timed alone, the 99.99th percentile's bucket and the max"
table_head malloc_allocators
cache_rows "oversub 2 threads, ns/op" oversub os2
cache_rows "oversub 16 threads, ns/op" oversub os16
cache_rows "oversub 16/2 throughput kept" oversub keep
cache_rows "oversub 16 threads, p99.99 us" oversub osq16
cache_rows "oversub 16 threads, max us" oversub osmax16
cache_rows "pass 1+1 threads, ns/block" oversub pass1
cache_rows "pass 1+1 threads, peak RSS MiB" oversub passrss1
cache_rows "pass 4+4 threads, ns/block" oversub pass4
cache_rows "pass 4+4 threads, peak RSS MiB" oversub passrss4
cache_rows "larson 2 threads, ns/op" oversub larson2
cache_rows "larson 2 threads, peak RSS MiB" oversub larsonrss2
cache_rows "larson 8 threads, ns/op" oversub larson8
cache_rows "larson 8 threads, peak RSS MiB" oversub larsonrss8

# ---- the drop-in malloc's modes ----

# What each mode (Documentation/debugging.rst, "Bug classes by mode")
# costs a program: glibc's bench binaries, which call plain malloc, run
# with libkslab-malloc.so preloaded (default), with
# libkslab-malloc-hardened.so (hardened), and with libkslab-malloc.so and
# KSLAB_DEBUG=FZPU (debug). MODE_ROUNDS rounds take the modes in turn;
# each figure is the median of the rounds, instructions from callgrind.
MODE_ROUNDS=3
modes=(default hardened debug)
declare -A mode_env=([default]="LD_PRELOAD=$build/libkslab-malloc.so"
		     [hardened]="LD_PRELOAD=$build/libkslab-malloc-hardened.so"
		     [debug]="LD_PRELOAD=$build/libkslab-malloc.so KSLAB_DEBUG=FZPU")
declare -A mode_value
mode_cache=$build/bench/bench_cache-glibc
mode_malloc=$build/bench/bench_malloc-glibc
if [ -n "${skipped[glibc]:-}" ] || [ ! -x "$mode_malloc" ] ||
   [ ! -f "$build/libkslab-malloc-hardened.so" ]; then
	echo "# modes: skipped: glibc's bench binaries or the hardened library are missing"
else
	for _ in $(seq "$MODE_ROUNDS"); do
		for mode in "${modes[@]}"; do
			read -r -a menv <<<"${mode_env[$mode]}"
			env "${menv[@]}" "$mode_cache" --tsv >"$tmp/mode.tsv" || continue
			while IFS=$'\t' read -r key _ _ v; do
				echo "$v" >>"$tmp/mode.$mode.$key"
			done <"$tmp/mode.tsv"
			read -r ns rss < <(env "${menv[@]}" "$mode_malloc" mixed) || continue
			echo "$ns" >>"$tmp/mode.$mode.mixed"
			awk -v k="$rss" 'BEGIN { printf "%.1f\n", k / 1024 }' >>"$tmp/mode.$mode.mixedrss"
		done
	done
	for mode in "${modes[@]}"; do
		for key in pair batch replace prodcons mixed mixedrss; do
			[ -f "$tmp/mode.$mode.$key" ] &&
				mode_value[$mode,$key]=$(median <"$tmp/mode.$mode.$key")
		done
		read -r -a menv <<<"${mode_env[$mode]}"
		count_env=("${menv[@]}" KSLAB_PERCPU=single)
		mode_value[$mode,ir]=$(instr_per_op "$mode_cache" bench_pair 100000)
	done
	echo
	echo "# the drop-in malloc's modes, preloaded into glibc's bench binaries:"
	echo "# default libkslab-malloc.so, hardened libkslab-malloc-hardened.so,"
	echo "# debug libkslab-malloc.so with KSLAB_DEBUG=FZPU; median of $MODE_ROUNDS rounds"
	mrow='%-40s |%12s |%12s |%12s\n'
	# shellcheck disable=SC2059
	printf "$mrow" workload "${modes[@]}"
	# shellcheck disable=SC2059
	printf "$mrow" "" "" "" "" | tr ' |' '-+'
	for key in pair batch replace prodcons; do
		# shellcheck disable=SC2059
		printf "$mrow" "${title[$key]}, ${unit[$key]}" \
			"${mode_value[default,$key]:--}" "${mode_value[hardened,$key]:--}" \
			"${mode_value[debug,$key]:--}"
	done
	# shellcheck disable=SC2059
	printf "$mrow" "${malloc_title[mixed]}, ns/op" "${mode_value[default,mixed]:--}" \
		"${mode_value[hardened,mixed]:--}" "${mode_value[debug,mixed]:--}"
	# shellcheck disable=SC2059
	printf "$mrow" "${malloc_title[mixed]}, RSS MiB" "${mode_value[default,mixedrss]:--}" \
		"${mode_value[hardened,mixedrss]:--}" "${mode_value[debug,mixedrss]:--}"
	# shellcheck disable=SC2059
	printf "$mrow" "${title[pair]}, instr/op" "${mode_value[default,ir]:--}" \
		"${mode_value[hardened,ir]:--}" "${mode_value[debug,ir]:--}"
fi

# ---- programs kslab did not write, under each malloc ----

"$root/scripts/bench-programs.sh" "$build"

# ---- regions: a frame's or a request's objects dropped at once ----

"$root/scripts/bench-region.sh" "$build"

# ---- what the allocation profile costs ----

"$root/scripts/bench-profile.sh" "$build"

# ---- transparent huge pages under kslab's chunks, on and off ----

"$root/scripts/bench-thp.sh" "$build"

# ---- RSS over time, and the plots ----

# bench_malloc phases once per allocator: RSS every 20 ms through a grow,
# a free of everything and 4 s of small pairs (a late give-back shows).
results=$build/bench-results
mkdir -p "$results"
rm -f "$results"/rss-*.tsv
echo
echo "# bench_malloc phases: 200,000 blocks of 16-2048 B allocated, all freed,"
echo "# then 4 s of small pairs; RSS in MiB at its peak and at the end"
for name in "${malloc_built[@]}"; do
	run_col "$name" "$build/bench/bench_malloc-$name" phases >"$results/rss-$name.tsv" || continue
	awk -F'\t' -v n="$name" '$2 > peak { peak = $2 } { last = $2 }
		END { printf "%-12s peak %7.1f  end %7.1f\n", n, peak / 1024, last / 1024 }' \
		"$results/rss-$name.tsv"
done

# kslab's fragmentation through the same workload, in a run of its own
# sampled every 20 ms as well.
"$root/scripts/bench-frag.sh" "$build"

# The tables the plots read: tab-separated, "-" where there is no figure.
{
	printf 'workload'
	printf '\t%s' "${allocators[@]}"
	echo
	for key in pair batch replace prodcons; do
		printf '%s' "$key"
		for name in "${allocators[@]}"; do
			printf '\t%s' "${value[$name,$key]:--}"
		done
		echo
	done
	for w in "${malloc_workloads[@]}"; do
		[ -z "${malloc_unit[$w]:-}" ] || continue	# not ns/op
		printf 'malloc %s' "$w"
		for name in "${allocators[@]}"; do
			case $name in
			kslab) v=- ;;
			kslab-malloc) v=${mns[kslab,$w]:--} ;;
			*) v=${mns[$name,$w]:--} ;;
			esac
			printf '\t%s' "$v"
		done
		echo
	done
} >"$results/ns.tsv"
for name in "${allocators[@]}"; do
	printf '%s\t%s\n' "$name" "${ir[$name,pair]:--}"
done >"$results/instr.tsv"
{
	printf 'threads'
	printf '\t%s' "${allocators[@]}"
	echo
	for key in "${keys[@]}"; do
		[[ "$key" = scale* ]] || continue
		printf '%s' "${key#scale}"
		for name in "${allocators[@]}"; do
			printf '\t%s' "${value[$name,$key]:--}"
		done
		echo
	done
} >"$results/scaling.tsv"

if command -v gnuplot >/dev/null 2>&1 &&
   gnuplot -e "dir='$results'" "$root/scripts/bench-plots.gp" 2>"$tmp/gnuplot.log"; then
	echo
	echo "# plots: $results/{ns,instr,region,scaling,rss,thp,frag}.svg (tables beside them)"
else
	echo "# no plots: gnuplot failed or is missing (apt-get install gnuplot-nox):"
	sed 's/^/#   /' "$tmp/gnuplot.log" 2>/dev/null | head -n 5
fi
