#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The functions kslab exports, read from the marks in the public headers
# (include/kslab/types.h): every function declared with KSLAB_API, and in
# userspace those with KSLAB_USER_API too; with --malloc also the C
# library's allocation names and C++'s operators new and delete, which
# libkslab-malloc.so adds. One per line,
# sorted. The Makefile makes the shared objects' version scripts from it;
# the tests compare it with what the libraries and the module export
# (scripts/check-api.sh, scripts/check-install.sh, scripts/check-kernel.sh).
#
#   scripts/exports.sh [--kernel | --malloc]
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
--kernel) marks='KSLAB_API' ;;
'' | --malloc) marks='KSLAB_API|KSLAB_USER_API' ;;
*) echo "usage: scripts/exports.sh [--kernel | --malloc]" >&2; exit 2 ;;
esac

{
	# The mark stands alone on the line before the declaration; the
	# name is the identifier before the declaration's first "(".
	awk -v marks="^($marks)\$" '$0 ~ marks { getline; print }' \
		"$root"/include/kslab/*.h |
		sed -E 's/^[^(]*[ *]([A-Za-z_][A-Za-z0-9_]*)\(.*/\1/'
	if [ "${1:-}" = --malloc ]; then
		printf '%s\n' malloc free calloc realloc reallocarray \
			posix_memalign aligned_alloc memalign valloc pvalloc \
			malloc_usable_size free_sized free_aligned_sized \
			malloc_trim mallinfo mallinfo2 malloc_stats malloc_info
		# C++'s operator new and delete (userspace/malloc/new.c).
		sed -n 's/^void \**\(_Z[nd][wal][A-Za-z0-9_]*\)(.*/\1/p' \
			"$root/userspace/malloc/new.c" | sort -u
	fi
} | sort -u
