# primevideo cost at the defaults (17,000 streams, 3 detectors, 30 frames/s, 5,000 transitions/s):
# top, streams checked each second by each design against the target (log scale); bottom, each
# design's bill per stream-hour so far (to the end of production at 20 s). Data: primevideo_cost.csv (hexwire-sim primevideo cost --csv).
set terminal pngcairo size 800,640 font "DejaVu Sans,10"
set datafile separator ","
set output "primevideo_cost.png"
set multiplot layout 2,1
set grid
set key below
set xrange [0:21]
set title "primevideo cost: streams checked per second (the distributed design stops at its transition ceiling)"
set xlabel "simulated time (s)"
set ylabel "streams checked"
set logscale y
set yrange [100:40000]
plot "primevideo_cost.csv" skip 1 using 1:2 with lines dt 3 lw 2 title "target", \
     "primevideo_cost.csv" skip 1 using 1:3 with lines lw 2 lc rgb "#c0392b" title "distributed (Step Functions, Lambda, S3)", \
     "primevideo_cost.csv" skip 1 using 1:5 with lines lw 2 lc rgb "#2471a3" title "monolith (instances, frames in memory)"
set title "bill per stream-hour checked so far"
set ylabel "USD per stream-hour"
set yrange [0.01:3]
plot "primevideo_cost.csv" skip 1 using 1:4 with lines lw 2 lc rgb "#c0392b" title "distributed", \
     "primevideo_cost.csv" skip 1 using 1:6 with lines lw 2 lc rgb "#2471a3" title "monolith"
unset multiplot
