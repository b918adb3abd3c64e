#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kslab.ko under DKMS, which builds it for every installed kernel and again
# for each kernel installed later (kernel/dkms.conf):
#
#   scripts/dkms.sh install [KERNELVER]  copy the module's sources (Kbuild,
#                                        include/, mm/, kernel/) to
#                                        /usr/src/kslab-VERSION, then dkms
#                                        add, build and install, for
#                                        KERNELVER or the running kernel
#   scripts/dkms.sh remove               dkms remove kslab from every
#                                        kernel, and the sources
#
# As root, or through sudo. `make dkms-install` and `make dkms-remove` call
# it; Documentation/kernel-module.rst, "DKMS". KSLAB_DKMS_VERSION names the
# DKMS version instead of the Makefile's VERSION (the test's own).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
version=${KSLAB_DKMS_VERSION:-$(sed -n 's/^VERSION := //p' "$root/Makefile")}
src=/usr/src/kslab-$version
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

case "${1:-}" in
install)
	kver=${2:-$(uname -r)}
	"${sudo[@]}" rm -rf "$src"
	"${sudo[@]}" mkdir -p "$src"
	"${sudo[@]}" cp -r "$root/Kbuild" "$root/include" "$root/mm" \
		"$root/kernel" "$src/"
	# Objects a tree build left beside the sources are not sources.
	"${sudo[@]}" find "$src" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \
		-o -name '*.mod*' \) -delete
	sed "s/@VERSION@/$version/" "$root/kernel/dkms.conf" |
		"${sudo[@]}" tee "$src/dkms.conf" >/dev/null
	"${sudo[@]}" dkms add -m kslab -v "$version"
	"${sudo[@]}" dkms build -m kslab -v "$version" -k "$kver"
	"${sudo[@]}" dkms install -m kslab -v "$version" -k "$kver"
	;;
remove)
	if "${sudo[@]}" dkms status -m kslab -v "$version" | grep -q .; then
		"${sudo[@]}" dkms remove -m kslab -v "$version" --all
	fi
	"${sudo[@]}" rm -rf "$src"
	;;
*)
	echo "usage: scripts/dkms.sh install [KERNELVER] | remove" >&2
	exit 2
	;;
esac
