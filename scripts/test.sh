#!/usr/bin/env bash
# Quick start 2: install what is missing, build, and run the whole test
# suite: plain, in lock mode, under ASan+UBSan, ThreadSanitizer and
# memcheck, 60 s of libFuzzer, make install, and the module in qemu-booted
# kernels. Ends with "N passed, N failed, ...".
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh build test
make -j"$(nproc)" all
make -j"$(nproc)" check
