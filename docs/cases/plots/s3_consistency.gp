# The share of reads that return a stale version each second, through a metadata cache with and
# without the write-order witness. Data: s3_consistency_{on,off}.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set key top right
set grid
set output "s3_consistency.png"
set title "s3 consistency: stale reads through the metadata cache"
set xlabel "simulated time (s)"
set ylabel "stale share of reads"
set yrange [0:*]
plot "s3_consistency_off.csv" skip 1 using 1:4 with lines lw 2 title "witness off (TTL cache)", \
     "s3_consistency_on.csv" skip 1 using 1:4 with lines lw 2 title "witness on"
