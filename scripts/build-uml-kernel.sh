#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the User-Mode Linux kernel of scripts/bench-uml.sh, once: Debian's
# linux-source-6.1 with ARCH=um, tinyconfig plus scripts/uml-kernel.config,
# the linux executable (the kernel as a host process, whose code runs on
# the CPU natively rather than under qemu's TCG) and the Module.symvers
# external modules build against.
#
#   scripts/build-uml-kernel.sh [CACHE]
#
# CACHE (default $KSLAB_UML_CACHE, else ~/.cache/kslab/uml-kernel) keeps
# the built tree; a later run with the same source package and config
# fragment reuses it, so only the first run pays the build (about 3.5
# minutes on 2 cores). Prints the tree's path; the kernel is its linux
# file, and modules build against it with make ARCH=um. x86-64 hosts only.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-${KSLAB_UML_CACHE:-${HOME:-/root}/.cache/kslab/uml-kernel}}
fragment=$root/scripts/uml-kernel.config
# shellcheck source=scripts/kernel-tree.sh
. "$root/scripts/kernel-tree.sh"

[ "$(uname -m)" = x86_64 ] || {
	echo "build-uml-kernel: the UML kernel is built for x86-64 hosts; this is $(uname -m)" >&2
	exit 1
}
# The debug kernel's package set serves: the kernel source and its build
# tools, and the busybox and cpio the initramfs needs.
kernel_tree build-uml-kernel "$cache" "$fragment" linux Module.symvers
export ARCH=um SUBARCH=x86_64
(
	cd "$tree"
	make -s tinyconfig
	scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
	make -s olddefconfig
) >"$cache/build.log" 2>&1 || {
	echo "build-uml-kernel: configuring failed; see $cache/build.log" >&2
	exit 1
}
# An option whose dependencies are missing is dropped without a word:
# check that every one the fragment sets came through.
while IFS= read -r opt; do
	grep -q -x -F "$opt" "$tree/.config" || {
		echo "build-uml-kernel: $opt did not take (a dependency missing); see $tree/.config" >&2
		exit 1
	}
done < <(grep '^CONFIG_' "$fragment")
make -C "$tree" -j"$(nproc)" linux modules >>"$cache/build.log" 2>&1 || {
	echo "build-uml-kernel: the build failed; see $cache/build.log" >&2
	tail -n 5 "$cache/build.log" >&2
	exit 1
}
echo "$stamp" >"$cache/stamp"
echo "$tree"
