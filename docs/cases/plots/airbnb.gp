# airbnb. Left: in-process latency percentiles of a map search through the res-9 cell index and
# by scanning every listing (20,000 listings). Right: click-through rate of new listings over the
# sessions, by how their embedding starts: learned (warm), mean of the 3 nearest similar listings
# (KDD 2018), random. Data: airbnb_search.csv, airbnb_coldstart.csv.
set terminal pngcairo size 1000,420 font "DejaVu Sans,10"
set datafile separator ","
set output "airbnb.png"
set multiplot layout 1,2
set grid
set key top left
set logscale y
set title "map search in-process (20,000 listings)"
set xlabel "percentile"
set ylabel "latency (us, log)"
set xtics ("p50" 1, "p75" 2, "p90" 3, "p95" 4, "p99" 5, "p99.9" 6)
plot "airbnb_search.csv" skip 1 using ($0+1):2 with linespoints lw 2 title "cell index", \
     "airbnb_search.csv" skip 1 using ($0+1):3 with linespoints lw 2 dt 2 title "full scan"
unset logscale y
set xtics auto
set key bottom right
set title "CTR of new listings by cold-start embedding"
set xlabel "sessions"
set ylabel "clicks per impression of a new listing"
set yrange [0:*]
plot "airbnb_coldstart.csv" skip 1 using 1:2 with lines lw 2 title "warm (learned)", \
     "airbnb_coldstart.csv" skip 1 using 1:3 with lines lw 2 dt 2 title "mean of 3 similar (KDD 2018)", \
     "airbnb_coldstart.csv" skip 1 using 1:4 with lines lw 2 dt 3 title "random"
unset multiplot
