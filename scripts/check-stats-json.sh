#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kslab_stats_json()'s document as programs write it, checked as TAP:
# python3 under the preloaded malloc and the statically linked demo tool
# run with KSLAB_STATS=json:FILE; each file must parse, validate against
# Documentation/kslab-stats.schema.json (python3-jsonschema), and hold
# what those programs did: the malloc's classes, one entry per CPU in
# every cache, memory figures that add up, every cache's objects within
# its slabs. The module's /proc/kslab_stats.json is checked the same way
# by scripts/check-kernel.sh (scripts/stats-json-check.py for both).
#
#   scripts/check-stats-json.sh [BUILD]	(default build, or $KSLAB_BUILD_DIR)
set -u

build=${1:-${KSLAB_BUILD_DIR:-build}}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=scripts/tap.sh
. "$root/scripts/tap.sh"

echo "TAP version 13"
echo "1..8"

# Run a command with KSLAB_STATS=json:FILE; FILE's path on stdout.
stats_of() {	# stats_of NAME COMMAND...
	local name=$1

	shift
	env KSLAB_STATS="json:$tmp/$name-%p.json" "$@" >"$tmp/$name.out" 2>&1
	ls "$tmp/$name"-*.json 2>/dev/null | head -n 1
}

preloaded=$(stats_of preload env LD_PRELOAD="$build/libkslab-malloc.so" \
	python3 -c 'x = [bytes(16 + i % 500) for i in range(20000)]; print(len(x))')
result "$([ -n "$preloaded" ] && grep -q '^20000$' "$tmp/preload.out" &&
	  echo 1 || echo 0)" "preloaded_program_writes_its_stats"
demo=$(stats_of demo "$build/tools/kslab-demo")
result "$([ -n "$demo" ] && echo 1 || echo 0)" "linked_demo_writes_its_stats"

for f in "$preloaded" "$demo"; do
	if [ -z "$f" ]; then
		echo "# no document to check"
		result 0 "document_checked"
		result 0 "document_checked"
		result 0 "document_checked"
		continue
	fi
	label=$(basename "$f" | sed 's/-.*//')
	python3 "$root/scripts/stats-json-check.py" \
		"$root/Documentation/kslab-stats.schema.json" "$f" \
		"$(nproc)" $([ "$label" = preload ] && echo kmalloc) \
		>"$tmp/$label.check" 2>&1
	sed 's/^/# /' "$tmp/$label.check"
	for what in valid cpus figures; do
		result "$(grep -q "^$what ok$" "$tmp/$label.check" && echo 1 || echo 0)" \
			"${label}_document_${what}"
	done
done
echo "# Totals: pass:$((tests - failed)) fail:$failed skip:0"
[ "$failed" -eq 0 ]
