# SPDX-License-Identifier: BSD-3-Clause
# Messages per core-second of the balancer's CPU (user + system, every thread and process)
# against offered load, with the balancer's CPU use on the right axis, sipsteer and Kamailio,
# from the TSV files that bench/compare-kamailio.sh --data DIR writes. Usage:
#   gnuplot -e "data='DIR'; out='cpu.png'; port='net_memif'" bench/plot/cpu.gp
# port: sipsteer's port in the legend (compare.json "sipsteer_port"; default net_tap).
if (!exists("data")) data = "."
if (!exists("out")) out = "cpu.png"
if (!exists("port")) port = "net_tap"
set terminal pngcairo size 900,560 noenhanced font ",11"
set output out
set title "Messages per core-second of the balancer's CPU (higher is cheaper)"
set xlabel "offered messages/s (7 per call)"
set ylabel "delivered messages per CPU-second (log scale)"
set logscale y
set key top left
set grid
set format x "%.0s%c"
set format y "%.0s%c"
set xrange [0:*]
set y2label "balancer CPU (cores)"
set y2tics
set y2range [0:1.5]
plot data."/sipsteer.tsv" using 1:8 title "sipsteer msgs per core-s (".port.")" with linespoints lw 2 pt 7 lc rgb "#1f77b4", \
     data."/kamailio.tsv" using 1:8 title "Kamailio msgs per core-s (kernel UDP sockets)" with linespoints lw 2 pt 5 lc rgb "#d62728", \
     data."/sipsteer.tsv" using 1:7 axes x1y2 title "sipsteer CPU" with linespoints lw 1 pt 6 dashtype 2 lc rgb "#1f77b4", \
     data."/kamailio.tsv" using 1:7 axes x1y2 title "Kamailio CPU" with linespoints lw 1 pt 4 dashtype 2 lc rgb "#d62728"
