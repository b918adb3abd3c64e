#!/usr/bin/env bash
# Run every selftest program of the given build directories, show each TAP
# stream, and end with one line: "N passed, N failed, N skipped". The first
# directory's programs run a second time with KSLAB_PERCPU=lock, so both
# per-CPU modes (rseq where the machine has it, and the lock) are tested.
# Then the fuzzer and the kernel tests, each as one more program.
#
# A program that exits non-zero, dies, or prints fewer results than its plan
# counts the missing results as failures, so a crash cannot hide a test.
#
# Programs built with ThreadSanitizer (make check's build/tsan) write their
# reports to files here, not to stderr: a report counts as a failure even
# when it comes from a child whose output and exit status a test takes
# for its own. Other programs ignore TSAN_OPTIONS.
set -u

passed=0 failed=0 skipped=0 bad_programs=()
tsan_logs=$(mktemp -d)
trap 'rm -rf "$tsan_logs"' EXIT
export TSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")/.." && pwd)/selftests/tsan.supp log_path=$tsan_logs/report ${TSAN_OPTIONS:-}"

run_program() {
	local prog=$1 label=$2 out rc plan results p f s
	out=$(mktemp)
	timeout 600 env ${3:-} "$prog" >"$out" 2>&1
	rc=$?
	echo "# ---- $label (exit $rc)"
	cat "$out"
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | head -n1)
	p=$(grep -cE '^ok [0-9]+' "$out" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$out" | tr -d ' ')
	p=$((p - s))
	results=$((p + f + s))
	if [ -z "$plan" ]; then
		plan=$((results > 0 ? results : 1))
	fi
	if [ "$results" -lt "$plan" ]; then
		echo "# $label: only $results of $plan results; the rest count as failed"
		f=$((f + plan - results))
	fi
	if compgen -G "$tsan_logs/report.*" >/dev/null; then
		cat "$tsan_logs"/report.*
		rm -f "$tsan_logs"/report.*
		echo "# $label: ThreadSanitizer reports; counted as one failure"
		f=$((f + 1))
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		echo "# $label: exit status $rc with no failed test; counted as one failure"
		f=1
	fi
	[ "$f" -gt 0 ] && bad_programs+=("$label")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	rm -f "$out"
}

for dir in "$@"; do
	for prog in "$dir"/selftests/*; do
		[ -f "$prog" ] && [ -x "$prog" ] || continue
		run_program "$prog" "$prog"
		if [ "$dir" = "$1" ]; then
			run_program "$prog" "$prog (KSLAB_PERCPU=lock)" KSLAB_PERCPU=lock
		fi
	done
done

# libFuzzer on kslab for KSLAB_FUZZ_SECONDS (default 60; 0 leaves it out),
# built with clang into the first directory (scripts/fuzz.sh).
fuzz_seconds=${KSLAB_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" != 0 ]; then
	run_program "$(dirname "$0")/fuzz.sh" "libFuzzer, $fuzz_seconds s" \
		"KSLAB_BUILD_DIR=$1 KSLAB_FUZZ_SECONDS=$fuzz_seconds"
fi

# The public headers alone, in C and C++, the exports against the marks,
# and the README's example linked as the README says.
run_program "$(dirname "$0")/check-api.sh" "public API" "KSLAB_BUILD_DIR=$1"

# make install into a temporary DESTDIR, and a program built against it
# with pkg-config alone.
run_program "$(dirname "$0")/check-install.sh" "make install" \
	"KSLAB_BUILD_DIR=$1"

# The documentation against the tree: every page parses, every file and
# function it names exists.
run_program "$(dirname "$0")/check-docs.py" "documentation"

# KSLAB_STATS=json from programs, against the documented schema.
run_program "$(dirname "$0")/check-stats-json.sh" "statistics as JSON" \
	"KSLAB_BUILD_DIR=$1"

# The kernel module, loaded in a kernel booted under qemu: Debian's, and a
# debug kernel (KASAN, lockdep, kmemleak) built once and cached; and
# installed with DKMS for Debian's.
# KSLAB_KERNEL=0 leaves both out, KSLAB_KERNEL=nodebug the second (for a
# quick run); CI runs both.
if [ "${KSLAB_KERNEL:-1}" != 0 ]; then
	run_program "$(dirname "$0")/check-kernel.sh" "kernel module under qemu" \
		"KSLAB_BUILD_DIR=$1"
fi
if [ "${KSLAB_KERNEL:-1}" != 0 ]; then
	run_program "$(dirname "$0")/check-dkms.sh" "kernel module under DKMS"
fi
if [ "${KSLAB_KERNEL:-1}" = 1 ]; then
	run_program "$(dirname "$0")/check-kernel-debug.sh" \
		"kernel module under qemu, debug kernel" "KSLAB_BUILD_DIR=$1"
fi

if [ "${#bad_programs[@]}" -gt 0 ]; then
	echo "# failing: ${bad_programs[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
