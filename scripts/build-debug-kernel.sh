#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel of make check-kernel-debug, once: Debian's
# linux-source-6.1, tinyconfig plus scripts/debug-kernel.config (KASAN,
# lockdep, kmemleak, DEBUG_VM, and what booting under qemu needs), bzImage
# and the Module.symvers external modules build against.
#
#   scripts/build-debug-kernel.sh [CACHE]
#
# CACHE (default $KSLAB_KERNEL_CACHE, else ~/.cache/kslab/debug-kernel)
# keeps the built tree; a later run with the same source package and
# config fragment reuses it, so only the first run pays the build (about
# 3 minutes on 2 cores). Prints the tree's path; its bzImage is
# arch/x86/boot/bzImage.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-${KSLAB_KERNEL_CACHE:-${HOME:-/root}/.cache/kslab/debug-kernel}}
fragment=$root/scripts/debug-kernel.config
# shellcheck source=scripts/kernel-tree.sh
. "$root/scripts/kernel-tree.sh"

kernel_tree build-debug-kernel "$cache" "$fragment" \
	arch/x86/boot/bzImage Module.symvers
(
	cd "$tree"
	make -s tinyconfig
	scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
	make -s olddefconfig
	make -j"$(nproc)" bzImage modules
) >"$cache/build.log" 2>&1 || {
	echo "build-debug-kernel: the build failed; see $cache/build.log" >&2
	tail -n 5 "$cache/build.log" >&2
	exit 1
}
echo "$stamp" >"$cache/stamp"
echo "$tree"
