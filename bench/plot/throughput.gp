# SPDX-License-Identifier: BSD-3-Clause
# Delivered against offered messages/s, sipsteer and Kamailio, from the TSV files that
# bench/compare-kamailio.sh --data DIR writes. Usage:
#   gnuplot -e "data='DIR'; out='throughput.png'; port='net_memif'" bench/plot/throughput.gp
# port: sipsteer's port in the legend (compare.json "sipsteer_port"; default net_tap).
if (!exists("data")) data = "."
if (!exists("out")) out = "throughput.png"
if (!exists("port")) port = "net_tap"
set terminal pngcairo size 900,560 noenhanced font ",11"
set output out
set title "Stateless SIP load balancing on one core: delivered against offered load"
set xlabel "offered messages/s (7 per call)"
set ylabel "delivered messages/s"
set key top left
set grid
set format x "%.0s%c"
set format y "%.0s%c"
set xrange [0:*]
set yrange [0:*]
set y2label "message loss (%)"
set y2tics
set y2range [0:*]
plot x title "offered = delivered" with lines dashtype 2 lc rgb "#888888", \
     data."/sipsteer.tsv" using 1:2 title "sipsteer (1 worker, ".port.")" with linespoints lw 2 pt 7 lc rgb "#1f77b4", \
     data."/kamailio.tsv" using 1:2 title "Kamailio 5.6 (dispatcher, -n 1, kernel UDP sockets)" with linespoints lw 2 pt 5 lc rgb "#d62728", \
     data."/sipsteer.tsv" using 1:($3*100) axes x1y2 title "sipsteer loss" with points pt 6 lc rgb "#1f77b4", \
     data."/kamailio.tsv" using 1:($3*100) axes x1y2 title "Kamailio loss" with points pt 4 lc rgb "#d62728"
