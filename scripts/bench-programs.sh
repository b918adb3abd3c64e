#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-programs.sh BUILD: programs kslab did not write, each run with
# every malloc preloaded (LD_PRELOAD): glibc's own (nothing preloaded),
# jemalloc, mimalloc, tcmalloc and kslab's libkslab-malloc.so from BUILD.
# What a user of the drop-in gets, on work whose allocation pattern no
# one here chose. Called by scripts/bench.sh (make bench); prints one
# table: seconds (wall) and peak RSS per program, medians of
# PROGRAM_RUNS rounds taking the allocators in turn, and each peer over
# kslab (above 1: kslab does better), then the geometric mean of the
# best peer's over kslab's.
#
# The programs (Debian's git, xz-utils, sqlite3, perl, python3; one that
# is missing is left out and said so):
#   git      init, add and commit 3000 small files, then gc, all in a
#            fresh copy of the tree each run
#   xz       compress 4 MiB of generated text at -6, one thread
#   sqlite3  200k rows inserted in an in-memory table, indexed, grouped
#   perl     a hash of 400k keys with values of 0-99 bytes, sorted
#   python3  a dict of 300k string keys to lists, half deleted, rebuilt
set -eu

build=$(cd "${1:?usage: bench-programs.sh BUILD}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"
runs=${PROGRAM_RUNS:-3}
libdir=/usr/lib/x86_64-linux-gnu
declare -A lib=([glibc]="" [jemalloc]=$libdir/libjemalloc.so.2
		[mimalloc]=$libdir/libmimalloc.so.2
		[tcmalloc]=$libdir/libtcmalloc_minimal.so.4
		[kslab-preload]=$build/libkslab-malloc.so)
columns=(kslab-preload glibc jemalloc mimalloc tcmalloc)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

usable=()
for name in "${columns[@]}"; do
	if [ -n "${lib[$name]}" ] && [ ! -e "${lib[$name]}" ]; then
		echo "# programs: $name left out: no ${lib[$name]}"
		continue
	fi
	usable+=("$name")
done

# The inputs, made once: the same for every allocator.
mkdir -p "$tmp/tree"
for i in $(seq 3000); do
	printf 'file %d\n%s\n' "$i" "$(seq "$i" $((i + i % 40)))" >"$tmp/tree/f$i.txt"
done
seq 1 1200000 | awk '{ print $1, $1 * 7 % 1000, "line of text", $1 % 97 }' |
	head -c $((4 << 20)) >"$tmp/text"
cat >"$tmp/sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO t(k, v) SELECT 'key' || (i * 7919 % 200000), i % 1000 FROM n;
COMMIT;
CREATE INDEX tk ON t(k);
SELECT count(*), sum(c) FROM (SELECT v, count(*) AS c FROM t GROUP BY v);
EOF

declare -A cmd=(
	[git]="rm -rf repo && cp -r '$tmp/tree' repo && cd repo && git init -q &&
	       git add -A && git -c user.name=b -c user.email=b@b commit -q -m b &&
	       git gc -q"
	[xz]="xz -6 -T1 -c '$tmp/text' >/dev/null"
	[sqlite3]="sqlite3 :memory: <'$tmp/sql' >/dev/null"
	[perl]="perl -e 'my %h; \$h{\"k\$_\"} = \"x\" x (\$_ % 100) for 1 .. 400000;
	        my @k = sort keys %h; print scalar(@k), \"\\n\"' >/dev/null"
	[python3]="/usr/bin/python3 -c '
d = {}
for r in range(3):
    for i in range(300000):
        d[\"k%d\" % i] = [i] * (i % 8)
    for i in range(0, 300000, 2):
        del d[\"k%d\" % i]
' >/dev/null"
)
declare -A needs=([git]=git [xz]=xz [sqlite3]=sqlite3 [perl]=perl
		  [python3]=/usr/bin/python3)
programs=()
for p in git xz sqlite3 perl python3; do
	if command -v "${needs[$p]}" >/dev/null; then
		programs+=("$p")
	else
		echo "# programs: $p left out: ${needs[$p]} is not installed"
	fi
done
[ -x /usr/bin/time ] || { echo "# programs: skipped: no /usr/bin/time (package time)"; exit 0; }

# One run of program $2 with allocator $1's malloc: "<seconds> <peak KiB>".
run_one() {
	local name=$1 p=$2 preload=()

	[ -n "${lib[$name]}" ] && preload=(LD_PRELOAD="${lib[$name]}")
	(cd "$tmp" && env "${preload[@]}" /usr/bin/time -f '%e %M' -o "$tmp/time" \
		bash -c "${cmd[$p]}" >/dev/null 2>"$tmp/err") || {
		echo "# programs: $p under $name failed: $(head -n 1 "$tmp/err")" >&2
		return 1
	}
	cat "$tmp/time"
}

for _ in $(seq "$runs"); do
	for p in "${programs[@]}"; do
		for name in "${usable[@]}"; do
			if read -r s k < <(run_one "$name" "$p"); then
				echo "$s" >>"$tmp/s.$p.$name"
				echo "$k" >>"$tmp/k.$p.$name"
			fi
		done
	done
done

declare -A fig
for p in "${programs[@]}"; do
	for name in "${usable[@]}"; do
		[ -s "$tmp/s.$p.$name" ] || continue
		fig[$p,$name,s]=$(median <"$tmp/s.$p.$name")
		fig[$p,$name,m]=$(median <"$tmp/k.$p.$name" | awk '{ printf "%.1f", $1 / 1024 }')
	done
done

row="%-26s"
for _ in "${usable[@]}"; do row+=" |%13s"; done
row+="\n"
echo
echo "# programs under each malloc (LD_PRELOAD; glibc: none), median of $runs"
echo "# rounds; seconds of wall time and peak RSS (MiB); peer/kslab above 1:"
echo "# kslab does better; geomean: the best peer's figure over kslab's"
# shellcheck disable=SC2059
printf "$row" program "${usable[@]}"
declare -A logsum=([s]=0 [m]=0) count=([s]=0 [m]=0)
for p in "${programs[@]}"; do
	for what in s m; do
		vals=() ratios=()
		k=${fig[$p,kslab-preload,$what]:-}
		best=
		for name in "${usable[@]}"; do
			v=${fig[$p,$name,$what]:--}
			vals+=("$v")
			if [ "$name" = kslab-preload ]; then
				ratios+=("")
				continue
			fi
			ratios+=("$(awk -v k="$k" -v v="$v" 'BEGIN { if (k > 0 && v != "-") printf "%.2fx", v / k; else print "-" }')")
			[ "$v" = - ] && continue
			if [ -z "$best" ] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a < b) }'; then
				best=$v
			fi
		done
		label="$p, seconds"
		[ "$what" = m ] && label="$p, peak RSS MiB"
		# shellcheck disable=SC2059
		printf "$row" "$label" "${vals[@]}"
		# shellcheck disable=SC2059
		printf "$row" "  peer/kslab" "${ratios[@]}"
		if [ -n "$k" ] && [ -n "$best" ]; then
			logsum[$what]=$(awk -v s="${logsum[$what]}" -v b="$best" -v k="$k" 'BEGIN { print s + log(b / k) }')
			count[$what]=$((count[$what] + 1))
		fi
	done
done
for what in s m; do
	[ "${count[$what]}" -gt 0 ] || continue
	label="time"
	[ "$what" = m ] && label="peak RSS"
	awk -v s="${logsum[$what]}" -v n="${count[$what]}" -v l="$label" \
		'BEGIN { printf "# geomean of best peer over kslab, %s: %.2fx over %d programs\n", l, exp(s / n), n }'
done
