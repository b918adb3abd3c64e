#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# scripts/check-kernel.sh --debug, as one program for scripts/run-tests.sh.
exec "$(dirname "$0")/check-kernel.sh" --debug "$@"
