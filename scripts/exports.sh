#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The functions kslab's shared objects export: every kslab_ function the
# public headers declare, the userspace RCU and per-CPU mode calls the
# documentation tells programs to use, and with --malloc the C library's
# allocation names. One per line, sorted. The Makefile makes the version
# scripts from it; scripts/check-install.sh compares it with what the
# libraries export.
#
#   scripts/exports.sh [--malloc]
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
public=(slab.h kmalloc.h malloc.h buddy.h report.h fault.h)

{
	for h in "${public[@]}"; do
		grep -v '^static' "$root/include/kslab/$h" |
			grep -oE '^[a-z][^(]*[ *](kslab_[a-z0-9_]+)\(' |
			grep -oE 'kslab_[a-z0-9_]+\($' | tr -d '('
	done
	printf '%s\n' kslab_rcu_read_lock kslab_rcu_read_unlock kslab_call_rcu \
		kslab_rcu_barrier kslab_synchronize_rcu kslab_env_percpu_mode \
		kslab_nr_cpus
	if [ "${1:-}" = --malloc ]; then
		printf '%s\n' malloc free calloc realloc reallocarray \
			posix_memalign aligned_alloc memalign valloc pvalloc \
			malloc_usable_size
	fi
} | sort -u
