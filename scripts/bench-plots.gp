# SPDX-License-Identifier: GPL-2.0
#
# The plots of make bench, from the tables scripts/bench.sh writes into
# the folder given as dir (gnuplot -e "dir='build/bench-results'"):
#
#   ns.tsv       workload, then ns/op per allocator (columns as named)
#   instr.tsv    callgrind instructions per alloc+free pair
#   scaling.tsv  threads, then Mops/s per allocator
#   rss-*.tsv    ms, RSS KiB over bench_malloc phases, one per allocator
#   region.tsv   workload (frame, request), then ns per allocation per
#                column (scripts/bench-region.sh)
#
# Each becomes an SVG beside its table.

set terminal svg size 900,480 dynamic font "sans,12" background "white"
set datafile separator "\t"
set datafile missing "-"
set key outside right top
set grid ytics
set style fill solid 0.85 border -1

set output dir."/ns.svg"
set title "ns per operation (lower is better)"
set style data histograms
set style histogram clustered gap 1
set ylabel "ns/op"
set logscale y
plot for [c=2:*] dir."/ns.tsv" using c:xtic(1) title columnheader(c)
unset logscale y

set output dir."/instr.svg"
set title "instructions per alloc+free pair, callgrind (lower is better)"
set ylabel "instructions"
unset key
plot dir."/instr.tsv" using 2:xtic(1) linecolor rgb "#4477aa"
set key outside right top

set output dir."/region.svg"
set title "objects dropped at the end of a frame or a request: ns per allocation (lower is better)"
set ylabel "ns/alloc"
plot for [c=2:*] dir."/region.tsv" using c:xtic(1) title columnheader(c)

set output dir."/scaling.svg"
set title "threads running alloc+free pairs (higher is better)"
set style data linespoints
set xlabel "threads"
set ylabel "Mops/s"
set xtics 1
plot for [c=2:*] dir."/scaling.tsv" using 1:c title columnheader(c) linewidth 2
unset xlabel
set xtics autofreq

set output dir."/rss.svg"
set title "RSS: 200,000 blocks allocated, all freed, then small pairs"
set xlabel "ms"
set ylabel "RSS MiB"
set style data lines
files = system("ls ".dir."/rss-*.tsv")
plot for [f in files] f using 1:($2/1024) linewidth 2 \
	title system("basename ".f." .tsv | sed s/^rss-//")
