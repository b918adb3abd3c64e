#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzz kslab with libFuzzer for a while, and report it as one TAP result:
# build the target (selftests/fuzz, Documentation/fuzzing.rst) with clang,
# ASan and UBSan into BUILD/fuzz, copy the seed corpus to BUILD/fuzz/corpus
# (the inputs libFuzzer adds land there, never in the tree), and run it.
# A crash leaves its input in BUILD/fuzz/crash-*, and the log in
# BUILD/fuzz/fuzz.log.
#
#   scripts/fuzz.sh [BUILD [SECONDS]]
#
# BUILD is the build directory (build, or $KSLAB_BUILD_DIR when set);
# SECONDS defaults to $KSLAB_FUZZ_SECONDS, or 60. Installs clang and its
# fuzzer runtime if missing (scripts/install-deps.sh fuzz).
set -u

build=${1:-${KSLAB_BUILD_DIR:-build}}
seconds=${2:-${KSLAB_FUZZ_SECONDS:-60}}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$build/fuzz
name="libfuzzer_${seconds}s"

bail() {
	echo "not ok 1 $name # $1"
	[ -f "$2" ] && tail -n 40 "$2" | sed 's/^/# /'
	exit 1
}

echo "TAP version 13"
echo "1..1"
mkdir -p "$work"
work=$(cd "$work" && pwd)
"$root/scripts/install-deps.sh" fuzz >"$work/deps.log" 2>&1 ||
	bail "installing clang and its fuzzer runtime failed" "$work/deps.log"
make -C "$root" -j"$(nproc)" BUILD="$work" CC=clang SANITIZE=1 \
	LIB_CFLAGS=-fsanitize=fuzzer-no-link "$work/kslab-fuzz" \
	>"$work/build.log" 2>&1 ||
	bail "the fuzz target does not build" "$work/build.log"

rm -rf "$work/corpus"
cp -r "$root/selftests/fuzz/corpus" "$work/corpus"
rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
"$work/kslab-fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=30 \
	-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" \
	>"$work/fuzz.log" 2>&1 ||
	bail "libFuzzer found a failure; its input: $(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | head -n 1)" \
		"$work/fuzz.log"
grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb)' \
	"$work/fuzz.log" | sed 's/^/# /'
echo "ok 1 $name"
