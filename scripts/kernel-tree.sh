# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What scripts/build-debug-kernel.sh and scripts/build-uml-kernel.sh share,
# sourced by both: Debian's linux-source-6.1 unpacked into CACHE/linux,
# built once and reused while the source package and the config fragment
# stay the same (CACHE/stamp holds the package's version and the
# fragment's hash).
#
#   kernel_tree NAME CACHE FRAGMENT FILE...
#
# Installs the debug-kernel package set, then sets tree and stamp. If the
# tree was built from this stamp and every FILE (relative to the tree) is
# there, prints the tree's path and exits 0: nothing to build. Otherwise
# returns with a freshly unpacked tree for the caller to configure and
# build, and to stamp (echo "$stamp" >CACHE/stamp) once it is built.
# Exits 1 with a message, prefixed NAME, if something is missing.
kernel_tree() {
	local name=$1 cache=$2 fragment=$3 tarball file built=1

	shift 3
	mkdir -p "$cache"
	"$root/scripts/install-deps.sh" debug-kernel >"$cache/deps.log" 2>&1 || {
		echo "$name: installing packages failed: $(tail -n 1 "$cache/deps.log")" >&2
		exit 1
	}
	tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || { echo "$name: no linux-source-6.1 tarball" >&2; exit 1; }
	stamp="$(dpkg-query -W -f='${Version}' linux-source-6.1) $(sha256sum <"$fragment")"
	tree=$cache/linux
	for file in "$@"; do
		[ -e "$tree/$file" ] || built=0
	done
	if [ "$built" = 1 ] && [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "$tree"
		exit 0
	fi
	rm -rf "$tree" "$cache/stamp" && mkdir -p "$tree"
	tar -xf "$tarball" -C "$tree" --strip-components=1
}
