#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The public API as a user meets it, as TAP:
#
#   - each header of include/kslab/ (and of include/kslab/linux/, the
#     kernel names for ported code) compiles on its own as C11 and as
#     C++17 with -Wall -Wextra -Werror -pedantic;
#   - each includes only standard headers and other public kslab headers,
#     and the structures stay opaque (struct kslab_cache, kslab_zone);
#   - kernel/exports.c exports exactly the functions the headers mark
#     KSLAB_API (scripts/exports.sh --kernel);
#   - the README's object-cache example, linked with the README's
#     shared-library line exactly as written, runs against build/, and
#     (GCC, x86-64) calls kslab through the GOT, not through PLT stubs.
#
#   scripts/check-api.sh [BUILD]	(default build, or $KSLAB_BUILD_DIR)
set -u

build=${1:-${KSLAB_BUILD_DIR:-build}}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
cxx=${CXX:-g++}
# shellcheck source=scripts/tap.sh
. "$root/scripts/tap.sh"

# Show a failed step's output as TAP comments; succeed if it succeeded.
step() {	# step LOG COMMAND...
	local log=$1

	shift
	if "$@" >"$log" 2>&1; then
		return 0
	fi
	sed 's/^/# /' "$log" | head -n 20
	return 1
}

headers=$(cd "$root/include" && ls kslab/*.h kslab/linux/*.h)
echo "TAP version 13"
echo "1..$(($(echo "$headers" | wc -l) * 3 + 4))"

for h in $headers; do
	# The kernel names are included as <linux/...>, from include/kslab.
	inc=$h
	flags=(-I"$root/include")
	case $h in
	kslab/linux/*) inc=${h#kslab/}; flags+=(-I"$root/include/kslab") ;;
	esac
	printf '#include <%s>\n' "$inc" >"$tmp/one.c"
	cp "$tmp/one.c" "$tmp/one.cc"
	step "$tmp/c.log" "$cc" -std=c11 -Wall -Wextra -Werror -pedantic \
		"${flags[@]}" -fsyntax-only "$tmp/one.c" && ok=1 || ok=0
	result "$ok" "${h//\//_}_compiles_alone_as_c11"
	step "$tmp/cxx.log" "$cxx" -std=c++17 -Wall -Wextra -Werror -pedantic \
		"${flags[@]}" -fsyntax-only "$tmp/one.cc" && ok=1 || ok=0
	result "$ok" "${h//\//_}_compiles_alone_as_cxx17"
	# Every file it pulls in is a public header or the compiler's and C
	# library's own: nothing of the tree outside include/kslab.
	ok=1
	for dep in $("$cc" "${flags[@]}" -MM -MT x "$tmp/one.c" 2>/dev/null |
		     tr ' \\' '\n\n' | grep '/'); do
		dep=$(realpath "$dep")
		case $dep in
		"$root"/include/kslab/* | "$tmp"/*) ;;
		"$root"/*) echo "# $h pulls in $dep"; ok=0 ;;
		esac
	done
	# -MM leaves out system headers; list those from -M instead.
	others=$("$cc" "${flags[@]}" -M -MT x "$tmp/one.c" 2>/dev/null |
		 tr ' \\' '\n\n' | grep '^/' | grep -v -e "^$root/" -e "^$tmp/" |
		 grep -vE '/(stddef|stdbool|stdc-predef)\.h$' || true)
	if [ -n "$others" ]; then
		echo "# $h pulls in more than stddef.h and stdbool.h:"
		echo "$others" | sed 's/^/#   /' | head -n 5
		ok=0
	fi
	result "$ok" "${h//\//_}_includes_standard_and_public_headers_only"
done

# Opaque: no public header defines kslab's own structures.
cat >"$tmp/opaque.c" <<'PROG'
#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>
unsigned long cache_size = sizeof(struct kslab_cache);
unsigned long zone_size = sizeof(struct kslab_zone);
PROG
if "$cc" -std=c11 -I"$root/include" -fsyntax-only "$tmp/opaque.c" \
	>"$tmp/opaque.log" 2>&1; then
	ok=0
else
	errors=$(grep -c 'incomplete type' "$tmp/opaque.log")
	ok=$([ "$errors" -ge 2 ] && echo 1 || echo 0)
fi
result "$ok" "cache_and_zone_structures_are_opaque"

# kernel/exports.c against the marks.
if diff <(sed -n 's/^EXPORT_SYMBOL_GPL(\(.*\));$/\1/p' "$root/kernel/exports.c" |
	  sort) <("$root/scripts/exports.sh" --kernel) >"$tmp/exports.diff"; then
	ok=1
else
	ok=0
	sed 's/^/# /' "$tmp/exports.diff"
fi
result "$ok" "kernel_exports_c_lists_exactly_the_kslab_api_marks"

# The README: its first C example after "## Using object caches", built
# with its shared-library link line as written, from a folder that has
# the tree's include/ and build/ under those names.
awk '/^## Using object caches/ { s = 1 } s && /^```c$/ { c = 1; next }
     c && /^```$/ { exit } c { print }' "$root/README.md" >"$tmp/prog.c"
line=$(grep -m 1 '^cc prog.c -Iinclude -Lbuild -lkslab ' "$root/README.md" |
       sed 's/[[:space:]]*#.*//')
echo "# README: $line"
ln -s "$root/include" "$tmp/include"
ln -s "$(cd "$build" && pwd)" "$tmp/build"
ok=0
if [ -s "$tmp/prog.c" ] && [ -n "$line" ] &&
   (cd "$tmp" && step "$tmp/link.log" eval "$line"); then
	out=$(cd "$tmp" && ./a.out 2>&1)
	rc=$?
	echo "# ./a.out: exit $rc: $out"
	[ "$rc" = 0 ] && (cd "$tmp" && ldd ./a.out) | grep -q "libkslab.so.0 => $tmp/build/" &&
		ok=1
fi
result "$ok" "readme_example_links_with_the_readme_line_and_runs"

# Built by GCC for x86-64, that program calls into libkslab.so through
# its GOT, with no PLT stub between (KSLAB_CALL_MARK, include/kslab/
# types.h); elsewhere the marks add nothing, and it must still link.
ok=0
if [ -x "$tmp/a.out" ]; then
	calls=$(objdump -d "$tmp/a.out" | grep -cE 'call.*kslab_[a-z_]+' || true)
	stubs=$(objdump -d "$tmp/a.out" | grep -cE 'kslab_[a-z_]+@plt' || true)
	echo "# a.out: $calls calls into kslab, $stubs through a PLT stub"
	if "$cc" -dumpmachine | grep -q '^x86_64' &&
	   ! "$cc" --version | grep -qi clang; then
		[ "$calls" -gt 0 ] && [ "$stubs" = 0 ] && ok=1
	else
		[ "$calls" -gt 0 ] && ok=1
	fi
fi
result "$ok" "calls_into_the_shared_library_skip_the_plt"

[ "$failed" = 0 ]
