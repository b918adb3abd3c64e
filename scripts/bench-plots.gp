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
#   thp.tsv      KSLAB_THP setting, then ns per step of a random walk,
#                give-back ms, AnonHugePages MiB (scripts/bench-thp.sh)
#   frag.tsv     ms, then kslab's unusable and fragmentation index per
#                order and internal fragmentation KiB over bench_malloc
#                phases (scripts/bench-frag.sh)
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

# thp.tsv: bench_thp under KSLAB_THP off, on and auto (scripts/bench-thp.sh)
if (system("test -f ".dir."/thp.tsv && echo y") eq "y") {
	set output dir."/thp.svg"
	set multiplot layout 1,2 title "512 MiB of 64-byte objects: transparent huge pages under kslab's chunks (lower is better)"
	unset xlabel
	set style data histograms
	set style histogram clustered gap 1
	unset logscale y
	unset key
	set yrange [0:*]
	set title "random walk, ns/step"
	set ylabel "ns"
	plot dir."/thp.tsv" using 2:xtic(1) title columnheader(2) linecolor rgb "#4477aa"
	set title "give-back (destroy + shrink), ms"
	set ylabel "ms"
	plot dir."/thp.tsv" using 3:xtic(1) title columnheader(3) linecolor rgb "#ee6677"
	unset multiplot
	set autoscale y
	set key outside right top
}

# frag.tsv: kslab's fragmentation through bench_malloc phases (scripts/bench-frag.sh)
if (system("test -f ".dir."/frag.tsv && echo y") eq "y") {
	set output dir."/frag.svg"
	set multiplot layout 2,1 title "kslab's fragmentation: 200,000 blocks allocated, all freed, then small pairs"
	set style data lines
	set xlabel "ms"
	set title "buddy allocator: unusable free space index per order (0: all usable, 1: none)"
	set ylabel "index"
	set yrange [0:1.05]
	plot for [o in "4 7 9 10"] dir."/frag.tsv" using "ms":(column("unusable".o)/1000.0) \
		linewidth 2 title "order ".o
	set autoscale y
	set title "caches: where the slab pages go"
	set ylabel "MiB"
	plot dir."/frag.tsv" using "ms":(column("slab")/1024.0) linewidth 2 title "slab pages", \
		"" using "ms":(column("requested")/1024.0) linewidth 2 title "asked for", \
		"" using "ms":(column("free")/1024.0) linewidth 2 title "free objects", \
		"" using "ms":((column("tail")+column("padding"))/1024.0) linewidth 2 title "padding + tails"
	unset multiplot
}
