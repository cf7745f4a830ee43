# search tail. Left: the share of queries slowed by at least one slow shard against the shard
# count, p = 0.01 (measured, and 1-(1-p)^S). Right: query latency percentiles over 100 shards,
# p = 0.001, slow answers +1 s, without and with a backup request after the p95.
# Data: search_tail_shards.csv, search_tail_hedge.csv.
set terminal pngcairo size 1000,420 font "DejaVu Sans,10"
set datafile separator ","
set output "search_tail.png"
set multiplot layout 1,2
set grid
set key top left
set logscale x
set title "queries slowed by a slow shard (p = 0.01)"
set xlabel "shards S"
set ylabel "share of queries slowed"
set yrange [0:1]
plot "search_tail_shards.csv" skip 1 using 1:2 with points pt 7 ps 1.2 title "measured", \
     1 - (1 - 0.01)**x with lines lw 2 title "1-(1-p)^S"
unset logscale x
set yrange [*:*]
set logscale y
set key top left
set title "query latency, 100 shards, p = 0.001, +1 s when slow"
set xlabel "percentile"
set ylabel "latency (ms, log)"
set xtics ("p50" 1, "p75" 2, "p90" 3, "p95" 4, "p99" 5, "p99.5" 6, "p99.9" 7, "p99.95" 8, "p99.99" 9)
plot "search_tail_hedge.csv" skip 1 using ($0+1):2 with linespoints lw 2 title "no hedge", \
     "search_tail_hedge.csv" skip 1 using ($0+1):3 with linespoints lw 2 dt 2 title "backup after p95"
unset multiplot
