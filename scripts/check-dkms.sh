#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kslab.ko under DKMS, checked as TAP: scripts/dkms.sh installs it for the
# newest kernel whose headers are installed (the one the qemu test boots);
# DKMS must list it installed there, with a module whose vermagic is that
# kernel's and which exports kslab's API; scripts/dkms.sh remove must then
# leave no module, no DKMS entry and no sources behind. It works under a
# version of its own (VERSION-selftest), so the sources of a kslab the
# machine has under DKMS stay, and that kslab is installed again for the
# kernel afterwards. Needs root (or sudo) and the kernel package set,
# which it installs.
#
#   scripts/check-dkms.sh
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
export KSLAB_DKMS_VERSION
KSLAB_DKMS_VERSION=$(sed -n 's/^VERSION := //p' "$root/Makefile")-selftest
version=$KSLAB_DKMS_VERSION
log=$(mktemp)
# shellcheck source=scripts/tap.sh
. "$root/scripts/tap.sh"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
theirs=
restore() {
	"$root/scripts/dkms.sh" remove >/dev/null 2>&1
	[ -z "$theirs" ] ||
		"${sudo[@]}" dkms install -m kslab -v "$theirs" -k "$kver" >/dev/null 2>&1
	rm -f "$log"
}
trap restore EXIT

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
# A kslab installed for that kernel already, to install again at the end.
theirs=$("${sudo[@]}" dkms status -m kslab -k "$kver" 2>/dev/null |
	 grep ': installed' | grep -v -- "-selftest" | head -n 1 |
	 sed -n 's|^kslab/\([^,]*\),.*|\1|p')
[ -z "$theirs" ] || echo "# kslab $theirs is installed here; reinstalled at the end"

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
# The exports, as the module's own symbol table names them: one for each
# EXPORT_SYMBOL line of kernel/exports*.c.
symtab=$(nm "$ko" 2>/dev/null | grep -c ' __ksymtab_kslab_')
want=$(cat "$root"/kernel/exports*.c | grep -c '^EXPORT_SYMBOL')
echo "# $symtab kslab symbols exported, $want expected"
result "$([ "$symtab" = "$want" ] &&
	  nm "$ko" | grep -q ' __ksymtab_kslab_kmalloc$' && echo 1 || echo 0)" \
	"module_exports_kslab_api"

"$root/scripts/dkms.sh" remove >"$log" 2>&1
ok=$?
result "$([ "$ok" = 0 ] && [ ! -e "$ko" ] && [ ! -e "/usr/src/kslab-$version" ] &&
	  ! "${sudo[@]}" dkms status -m kslab -v "$version" 2>/dev/null | grep -q . &&
	  echo 1 || echo 0)" "dkms_remove_leaves_nothing"
echo "# Totals: pass:$((tests - failed)) fail:$failed skip:0"
[ "$failed" = 0 ]
