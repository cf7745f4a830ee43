# search cache: hit rate of an LRU result cache against its size under Zipf(0.8) popularity of
# 100,000 distinct queries: replayed LRU, Che's approximation, and the static optimum.
# Data: search_cache.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set output "search_cache.png"
set grid
set key top left
set logscale x
set title "search cache: hit rate against cache size (Zipf s = 0.8, 100k distinct queries)"
set xlabel "cache entries (log)"
set ylabel "hit rate"
set yrange [0:*]
plot "search_cache.csv" skip 1 using 1:2 with linespoints pt 7 lw 2 title "LRU (replayed)", \
     "search_cache.csv" skip 1 using 1:3 with lines dt 2 lw 2 title "Che approximation", \
     "search_cache.csv" skip 1 using 1:4 with lines dt 3 lw 2 title "static optimum (top C)"
