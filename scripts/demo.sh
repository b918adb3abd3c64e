#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run the demo.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
make -j"$(nproc)" tools
make demo
