# The recommendation call's p99 per second with and without the feature-store fallback (deadline
# 15 ms; the store is down from 20 s to 30 s), and the share of calls answered from stale or
# default features. Data: spotify_features.csv (hexwire-sim spotify features, defaults).
set terminal pngcairo size 900,480 font "DejaVu Sans,10"
set datafile separator ","
set output "spotify_features.png"
set title "spotify features: p99 of the recommendation call per second (store down 20-30 s)"
set grid
set key top left
set xlabel "time (s)"
set ylabel "p99 (ms, log scale)"
set logscale y
set yrange [5:3000]
set y2label "share of calls on a fallback"
set y2range [0:1.05]
set y2tics
set ytics nomirror
plot "spotify_features.csv" skip 1 using 1:3 with lines lw 2 lc rgb "#d62728" title "p99 without fallback", \
     "" skip 1 using 1:2 with lines lw 2 lc rgb "#2ca02c" title "p99 with deadline 15 ms and fallback", \
     "" skip 1 using 1:4 axes x1y2 with lines lw 1 dt 2 lc rgb "#1f77b4" title "fallback share (right axis)"
