# SPDX-License-Identifier: BSD-3-Clause
# INVITE-to-200 latency percentiles (p50, p99, p99.9) against offered load, sipsteer and
# Kamailio, from the TSV files that bench/compare-kamailio.sh --data DIR writes. Usage:
#   gnuplot -e "data='DIR'; out='latency.png'; port='net_memif'" bench/plot/latency.gp
# port: sipsteer's port in the legend (compare.json "sipsteer_port"; default net_tap).
if (!exists("data")) data = "."
if (!exists("out")) out = "latency.png"
if (!exists("port")) port = "net_tap"
set terminal pngcairo size 900,560 noenhanced font ",11"
set output out
set title "INVITE to 200 OK latency through the balancer (client, balancer, backends on 2 cores)"
set xlabel "offered messages/s (7 per call)"
set ylabel "latency (microseconds, log scale)"
set logscale y
set key top left
set grid
set format x "%.0s%c"
set xrange [0:*]
plot data."/sipsteer.tsv" using 1:4 title "sipsteer p50 (".port.")" with linespoints lw 2 pt 7 lc rgb "#1f77b4", \
     data."/sipsteer.tsv" using 1:5 title "sipsteer p99" with linespoints lw 1 pt 7 dashtype 2 lc rgb "#1f77b4", \
     data."/sipsteer.tsv" using 1:6 title "sipsteer p99.9" with linespoints lw 1 pt 7 dashtype 3 lc rgb "#1f77b4", \
     data."/kamailio.tsv" using 1:4 title "Kamailio p50" with linespoints lw 2 pt 5 lc rgb "#d62728", \
     data."/kamailio.tsv" using 1:5 title "Kamailio p99" with linespoints lw 1 pt 5 dashtype 2 lc rgb "#d62728", \
     data."/kamailio.tsv" using 1:6 title "Kamailio p99.9" with linespoints lw 1 pt 5 dashtype 3 lc rgb "#d62728"
