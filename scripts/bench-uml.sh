#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-kernel benchmark at native speed: kslab against the kernel's own
# SLUB in one kernel, run as User-Mode Linux (ARCH=um, the kernel as a
# host process), because this machine has no KVM and qemu's TCG emulates
# every instruction. Builds the UML kernel once
# (scripts/build-uml-kernel.sh, cached), kslab.ko and the client module
# against it, boots it KSLAB_UML_BOOTS times (default 5) with a busybox
# initramfs that loads kslab and the client with bench=1, and prints a
# table: per row, the median over the boots of each boot's median of 5
# rounds, with the lowest and highest boot in brackets, and the median of
# the boots' ratios kslab/SLUB (below 1: kslab faster). Whatever else runs
# on the machine slows a whole boot, both allocators alike, so the ratio
# varies less between boots than the times do.
#
#   scripts/bench-uml.sh [BUILD]
#
# BUILD is the build directory (build, or $KSLAB_BUILD_DIR when set); the
# work, the console logs and the modules' build logs go to BUILD/uml, the
# table also to BUILD/bench-results/uml.tsv. Exits non-zero, saying why
# on stdout, if the kernel or the modules do not build or a boot does not
# end with the client's figures.
set -eu

build=${1:-${KSLAB_BUILD_DIR:-build}}
boots=${KSLAB_UML_BOOTS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/uml" "$build/bench-results"
work=$(cd "$build/uml" && pwd)
results=$(cd "$build/bench-results" && pwd)

fail() {
	echo "# bench-uml: $*"
	exit 1
}

start=$SECONDS
tree=$("$root/scripts/build-uml-kernel.sh" 2>"$work/uml-kernel.log") ||
	fail "the UML kernel does not build: $(tail -n 1 "$work/uml-kernel.log")"
built=$((SECONDS - start))
export ARCH=um SUBARCH=x86_64

# Build out of the source tree: Kbuild writes objects next to sources.
src=$work/src
rm -rf "$src" && mkdir -p "$src"
cp -r "$root/Kbuild" "$root/include" "$root/mm" "$root/kernel" \
	"$root/selftests" "$src/"
make -C "$tree" M="$src" W=1 -j"$(nproc)" modules >"$work/kslab.log" 2>&1 ||
	fail "kslab.ko does not build for ARCH=um: $(grep -m 1 -E 'error|warning' "$work/kslab.log")"
warnings=$(grep -c -E '^[^ ]+:[0-9]+(:[0-9]+)?: warning:|^WARNING: modpost' \
	"$work/kslab.log" || true)
make -C "$tree" M="$src/selftests/kernel/client" \
	KBUILD_EXTRA_SYMBOLS="$src/Module.symvers" modules >"$work/client.log" 2>&1 ||
	fail "the client module does not build for ARCH=um: $(grep -m 1 -E 'error|warning' "$work/client.log")"

rfs=$work/initramfs
rm -rf "$rfs" && mkdir -p "$rfs/bin" "$rfs/proc" "$rfs/sys" "$rfs/dev"
cp /bin/busybox "$rfs/bin/"
for cmd in sh mount insmod rmmod dmesg poweroff echo; do
	ln -sf busybox "$rfs/bin/$cmd"
done
cp "$src/kslab.ko" "$src/selftests/kernel/client/kslab_client.ko" "$rfs/"
# poweroff, not reboot: a rebooted UML starts itself again.
cat >"$rfs/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
dmesg -n 1
insmod /kslab.ko && insmod /kslab_client.ko bench=1 && echo "@@ loaded"
dmesg -c
rmmod kslab_client && rmmod kslab && echo "@@ unloaded"
dmesg -c
poweroff -f
EOF
chmod +x "$rfs/init"
(cd "$rfs" && find . | cpio -o -H newc 2>/dev/null | gzip >"$work/initrd.gz")

# UML backs its memory with a file in $TMPDIR, else /dev/shm, else /tmp;
# it must allow PROT_EXEC mappings.
[ -w /dev/shm ] || export TMPDIR=$work
# Each boot runs at the highest priority where that is allowed (root),
# so that other work on the machine takes less from it. con0 is the
# console init writes to, the linux process's stdin and stdout (a tty:
# lines end in CR LF); the other consoles are not wanted.
for n in $(seq 1 "$boots"); do
	log=$work/boot-$n.txt
	timeout 300 nice -n -20 "$tree/linux" mem=256M initrd="$work/initrd.gz" \
		con0=fd:0,fd:1 con=null quiet \
		</dev/null 2>"$work/boot-$n.stderr" | tr -d '\r' >"$log" || true
	if ! grep -q '^@@ unloaded$' "$log" || ! grep -q '# bench: kmalloc-mix ' "$log"; then
		fail "boot $n did not end with the figures; see $log"
	fi
	grep -q 'kslab_client: [0-9]* tests, 0 failed' "$log" ||
		fail "the client's tests failed in boot $n; see $log"
	grep -q 'kslab: unloaded, all memory given back' "$log" ||
		fail "kslab did not give all memory back in boot $n; see $log"
done

# Each boot's rows: "row kslab-ns slub-ns".
for n in $(seq 1 "$boots"); do
	sed -n 's/.*# bench: \([a-z0-9-]*\) *kslab \([0-9.]*\) ns, SLUB \([0-9.]*\) ns.*/\1 \2 \3/p' \
		"$work/boot-$n.txt"
done >"$work/rows.txt"

rounds=$(sed -n 's/.*median of \([0-9]*\) rounds.*/\1/p' "$work/boot-1.txt" | head -n 1)

echo
echo "# kslab vs SLUB in one User-Mode Linux kernel ($(uname -m) host, $(grep -m 1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
echo "# linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1) ARCH=um, uniprocessor; kernel code at native speed"
echo "# ns per object (an allocation and its free): each boot's median of $rounds rounds,"
echo "# the median of $boots boots [lowest-highest]; kslab/SLUB: the median of the boots' ratios"
echo "# pair and bulk: 64-byte caches; kmalloc-mix: 16-2048 B, a random one of 512 live"
echo "# blocks replaced each time"
[ "$built" -gt 10 ] && echo "# (the UML kernel was built in this run: ${built} s)"
[ "$warnings" = 0 ] || echo "# kslab.ko: $warnings warnings at W=1 for ARCH=um ($work/kslab.log)"
printf '%-12s %-20s %-20s %s\n' row "kslab ns" "SLUB ns" kslab/SLUB
printf 'row\tkslab\tslub\tratio\n' >"$results/uml.tsv"
for row in pair bulk16 bulk256 kmalloc-mix; do
	awk -v r="$row" '$1 == r { k[++n] = $2; s[n] = $3; q[n] = $2 / $3 }
		function med(v, n,   i, j, t) {
			for (i = 1; i <= n; i++)
				for (j = i + 1; j <= n; j++)
					if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			lo = v[1]; hi = v[n]
			return v[int((n + 1) / 2)]
		}
		END {
			km = med(k, n); kl = lo; kh = hi
			sm = med(s, n); sl = lo; sh = hi
			qm = med(q, n)
			printf "%-12s %-20s %-20s %.2f [%.2f-%.2f]\n", r,
				sprintf("%.1f [%.1f-%.1f]", km, kl, kh),
				sprintf("%.1f [%.1f-%.1f]", sm, sl, sh), qm, lo, hi
			printf "%s\t%s\t%s\t%.2f\n", r, km, sm, qm >> tsv
		}' tsv="$results/uml.tsv" "$work/rows.txt"
done
