# netflix cdn: an edge of 1,000 titles in a 10,000-title Zipf(0.8) catalogue, 2% of it released
# daily at top ranks. Hit ratio per day: LRU (fills on every miss) against the off-peak fill from a
# popularity forecast, with an exact forecast, the default error (sigma 0.5) and a poor one (1.5).
# Data: netflix_cdn*.csv (hexwire-sim netflix cdn --days 14 --csv).
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set output "netflix_cdn.png"
set grid
set key below
set title "edge hit ratio per day: forecast fill at 04:00 vs LRU"
set xlabel "day"
set ylabel "hit ratio"
set yrange [0.3:0.65]
plot "netflix_cdn.csv" skip 1 using 1:2 with linespoints lw 2 lc rgb "#c0392b" title "LRU", \
     "netflix_cdn_exact.csv" skip 1 using 1:3 with linespoints lw 2 lc rgb "#1e8449" title "forecast fill, exact forecast", \
     "netflix_cdn.csv" skip 1 using 1:3 with linespoints lw 2 lc rgb "#2471a3" title "forecast fill, error sigma 0.5", \
     "netflix_cdn_noisy.csv" skip 1 using 1:3 with linespoints lw 2 dt 2 lc rgb "#7d3c98" title "forecast fill, error sigma 1.5"
