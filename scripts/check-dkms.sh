#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kslab.ko under DKMS, checked as TAP: scripts/dkms.sh installs it for the
# newest kernel whose headers are installed (the one the qemu test boots);
# DKMS must list it installed there, with a module whose vermagic is that
# kernel's and which exports kslab's API; scripts/dkms.sh remove must then
# leave no module, no DKMS entry and no sources behind. Needs root (or
# sudo) and the kernel package set, which it installs.
#
#   scripts/check-dkms.sh
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^VERSION := //p' "$root/Makefile")
log=$(mktemp)
# shellcheck source=scripts/tap.sh
. "$root/scripts/tap.sh"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
trap '"$root/scripts/dkms.sh" remove >/dev/null 2>&1; rm -f "$log"' EXIT

bail() {
	echo "not ok 1 check_dkms # $*"
	echo "# check-dkms: $*" >&2
	exit 1
}

echo "TAP version 13"
"$root/scripts/install-deps.sh" kernel >"$log" 2>&1 ||
	bail "installing the kernel packages failed: $(tail -n 1 "$log")"
headers=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$headers" ] || bail "no kernel headers in /usr/src (install linux-headers-amd64)"
kver=${headers##*/linux-headers-}
echo "1..5"
echo "# kernel $kver, kslab $version"

"$root/scripts/dkms.sh" remove >/dev/null 2>&1	# a run cut short before
"$root/scripts/dkms.sh" install "$kver" >"$log" 2>&1
ok=$?
[ "$ok" = 0 ] || sed 's/^/# /' "$log" | tail -n 20
result "$([ "$ok" = 0 ] && echo 1 || echo 0)" "dkms_add_build_install"

status=$("${sudo[@]}" dkms status -m kslab -v "$version" -k "$kver" 2>&1)
echo "# dkms status: $status"
result "$(echo "$status" | grep -q "kslab/$version, $kver, .*: installed" &&
	  echo 1 || echo 0)" "dkms_lists_it_installed"

ko=$(ls /lib/modules/"$kver"/updates/dkms/kslab.ko* 2>/dev/null | head -n 1)
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null)
echo "# module ${ko:-none}, vermagic $vermagic"
result "$([ -n "$ko" ] && [ "${vermagic%% *}" = "$kver" ] &&
	  [ "$(modinfo -F license "$ko")" = GPL ] && echo 1 || echo 0)" \
	"module_built_for_that_kernel"
# The exports, as the module's own symbol table names them.
symtab=$(nm "$ko" 2>/dev/null | grep -c ' __ksymtab_kslab_')
echo "# $symtab kslab symbols exported"
result "$([ "$symtab" -ge 10 ] &&
	  nm "$ko" | grep -q ' __ksymtab_kslab_kmalloc$' && echo 1 || echo 0)" \
	"module_exports_kslab_api"

"$root/scripts/dkms.sh" remove >"$log" 2>&1
ok=$?
result "$([ "$ok" = 0 ] && [ ! -e "$ko" ] && [ ! -e "/usr/src/kslab-$version" ] &&
	  ! "${sudo[@]}" dkms status -m kslab 2>/dev/null | grep -q . &&
	  echo 1 || echo 0)" "dkms_remove_leaves_nothing"
echo "# Totals: pass:$((tests - failed)) fail:$failed skip:0"
[ "$failed" = 0 ]
