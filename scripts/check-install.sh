#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and uninstall, checked as TAP: install into a temporary
# DESTDIR, check the installed libraries export exactly the public API
# (scripts/exports.sh, from the public headers), build a small program
# against it with nothing but `pkg-config --cflags --libs kslab`, run it
# on the installed library, render every man page with man --warnings,
# then uninstall and find nothing left.
#
#   scripts/check-install.sh [BUILD]
set -u

build=${1:-${KSLAB_BUILD_DIR:-build}}
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/usr/local
libdir=$dest$prefix/lib
# shellcheck source=scripts/tap.sh
. "$root/scripts/tap.sh"

echo "TAP version 13"
echo "1..10"
make -s -C "$root" BUILD="$build" DESTDIR="$dest" PREFIX=$prefix install \
	>"$dest/install.log" 2>&1
result "$([ -f "$dest$prefix/include/kslab/slab.h" ] &&
	  [ -f "$dest$prefix/include/kslab/linux/slab.h" ] &&
	  [ -f "$libdir/libkslab.a" ] && [ -f "$libdir/libkslab-malloc.so" ] &&
	  [ -f "$libdir/libkslab-malloc-hardened.so" ] &&
	  [ -x "$dest$prefix/bin/kslab-slabinfo" ] && echo 1 || echo 0)" \
	"install_puts_headers_libraries_tools"
# The public headers and nothing else: what include/kslab holds in the tree.
if diff <(cd "$dest$prefix/include" && find kslab -type f | sort) \
	<(cd "$root/include" && find kslab -type f | sort) >"$dest/headers.diff" &&
   ! grep -q '^#include "' "$dest$prefix"/include/kslab/*.h; then
	ok=1
else
	ok=0
	sed 's/^/# /' "$dest/headers.diff"
fi
result "$ok" "install_puts_the_public_headers_only"
soname=$(readelf -d "$libdir/libkslab.so" 2>/dev/null |
	 sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
result "$([ "$soname" = libkslab.so.0 ] && [ -L "$libdir/libkslab.so.0" ] &&
	  [ -L "$libdir/libkslab.so" ] && echo 1 || echo 0)" \
	"soname_libkslab_so_0_and_links"

# What a library exports, against what scripts/exports.sh $2 expects:
# 1 if the same, else 0 and the difference shown.
exports_match() {
	local lib=$1 extra=${2:-}

	# shellcheck disable=SC2086
	if diff <(nm -D --defined-only "$lib" | awk '{ print $3 }' | sort) \
		<("$root/scripts/exports.sh" $extra) >"$dest/exports.diff" 2>&1; then
		return 0
	fi
	sed 's/^/# /' "$dest/exports.diff"
	return 1
}
exports_match "$libdir/libkslab.so" && ok=1 || ok=0
result "$ok" "libkslab_so_exports_exactly_the_public_api"
exports_match "$libdir/libkslab-malloc.so" --malloc &&
	exports_match "$libdir/libkslab-malloc-hardened.so" --malloc && ok=1 || ok=0
result "$ok" "libkslab_malloc_so_and_hardened_export_the_api_and_the_c_library_names"

cat >"$dest/prog.c" <<'PROG'
#include <stdio.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

int main(void)
{
	struct kslab_cache *cache = kslab_cache_create("installed", 48, NULL, 0);
	void *obj = cache ? kslab_cache_alloc(cache, GFP_KERNEL) : NULL;
	char *p = kslab_kmalloc(100, GFP_KERNEL);

	if (!obj || !p)
		return 1;
	kslab_cache_free(cache, obj);
	kslab_kfree(p);
	kslab_cache_destroy(cache);
	puts("kslab works");
	return 0;
}
PROG
flags=$(PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$libdir/pkgconfig \
	pkg-config --cflags --libs kslab 2>"$dest/pc.log")
echo "# pkg-config --cflags --libs kslab: $flags"
result "$([ -n "$flags" ] && echo 1 || echo 0)" "pkg_config_knows_kslab"
# shellcheck disable=SC2086
cc -o "$dest/prog" "$dest/prog.c" $flags >"$dest/cc.log" 2>&1
result "$([ -x "$dest/prog" ] && echo 1 || echo 0)" "program_builds_with_pkg_config_alone"
out=$(LD_LIBRARY_PATH=$libdir "$dest/prog" 2>&1)
result "$([ "$out" = "kslab works" ] &&
	  LD_LIBRARY_PATH=$libdir ldd "$dest/prog" | grep -q "$libdir/libkslab.so.0" &&
	  echo 1 || echo 0)" "program_runs_on_installed_library"

# Every man page installed, and man renders each without a warning.
pages=0 warned=0
for page in "$dest$prefix"/share/man/man[137]/*; do
	[ -f "$page" ] || continue
	pages=$((pages + 1))
	if [ -n "$(man --warnings -l "$page" 2>&1 >/dev/null)" ]; then
		echo "# man warns about $(basename "$page")"
		warned=$((warned + 1))
	fi
done
echo "# $pages man pages installed"
result "$([ "$pages" -ge 6 ] && [ "$warned" = 0 ] && echo 1 || echo 0)" \
	"man_pages_installed_and_render_without_warnings"

make -s -C "$root" BUILD="$build" DESTDIR="$dest" PREFIX=$prefix uninstall \
	>>"$dest/install.log" 2>&1
left=$(find "$dest$prefix" -type f -o -type l | wc -l)
result "$([ "$left" = 0 ] && echo 1 || echo 0)" "uninstall_leaves_nothing"
[ "$failed" -eq 0 ] || sed 's/^/# /' "$dest/install.log" "$dest/pc.log" "$dest/cc.log" 2>/dev/null
[ "$failed" -eq 0 ]
