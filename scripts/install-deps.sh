#!/usr/bin/env bash
# Install the Debian packages kslab needs, if any is missing.
#
#   scripts/install-deps.sh build     C and C++ compilers, make, liburcu,
#                                     <sys/sdt.h>
#   scripts/install-deps.sh test      the above plus python3, which the
#                                     tests run on kslab's malloc, and
#                                     valgrind, which checks kslab's objects,
#                                     perf, which counts its probes,
#                                     pkg-config, which the install test uses,
#                                     python3-jsonschema, which checks the
#                                     JSON statistics against their schema,
#                                     python3-docutils, which parses the
#                                     documentation,
#                                     and google-perftools, whose
#                                     google-pprof reads kslab's heap profiles
#   scripts/install-deps.sh kernel    the above plus what the kernel tests
#                                     need: headers, qemu, busybox, cpio,
#                                     dkms
#   scripts/install-deps.sh debug-kernel  the above plus what building the
#                                     debug kernel needs (linux-source-6.1)
#   scripts/install-deps.sh fuzz      the above plus clang and its libFuzzer
#                                     and sanitizer runtimes (make fuzz)
#   scripts/install-deps.sh bench     the above plus valgrind, gnuplot and the
#                                     malloc peers bench_cache compares:
#                                     jemalloc, mimalloc, tcmalloc
#
# Runs apt-get update first, as root or through sudo. Does nothing when
# everything is already installed, so it is cheap to call every time.
set -eu

build_pkgs=(gcc g++ make libc6-dev liburcu-dev systemtap-sdt-dev)
test_pkgs=(python3 python3-jsonschema python3-docutils coreutils valgrind linux-perf pkg-config
	   man-db google-perftools)
kernel_pkgs=(linux-headers-amd64 qemu-system-x86 busybox-static cpio kmod dkms)
debug_kernel_pkgs=(linux-source-6.1 bc bison flex libelf-dev libssl-dev xz-utils)
fuzz_pkgs=(clang libclang-rt-14-dev)
bench_pkgs=(valgrind libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev gnuplot-nox
	    time git xz-utils sqlite3 perl python3)

want=("${build_pkgs[@]}")
for set in "$@"; do
	case "$set" in
	build) ;;
	test) want+=("${test_pkgs[@]}") ;;
	kernel) want+=("${kernel_pkgs[@]}") ;;
	debug-kernel) want+=("${kernel_pkgs[@]}" "${debug_kernel_pkgs[@]}") ;;
	fuzz) want+=("${fuzz_pkgs[@]}") ;;
	bench) want+=("${bench_pkgs[@]}") ;;
	*) echo "install-deps: unknown package set '$set' (build, test, kernel, debug-kernel, fuzz, bench)" >&2; exit 2 ;;
	esac
done

missing=()
for pkg in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
	--no-install-recommends "${missing[@]}"
