#!/usr/bin/env bash
# Quick start 2: install what is missing, build, and run the whole test
# suite, plain, under ASan+UBSan and under ThreadSanitizer. Ends with
# "N passed, N failed, ...".
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh build test
make -j"$(nproc)" all
make -j"$(nproc)" check
