# netflix abr: 100 ten-minute sessions, each played over its own synthetic bandwidth trace by the
# buffer-based (BBA-0) and the rate-based player. Each point is one trace: its rebuffer ratio under
# rate-based (x) and under BBA (y); points below the diagonal rebuffered less with BBA.
# Data: netflix_abr.csv (hexwire-sim netflix abr --csv).
set terminal pngcairo size 800,560 font "DejaVu Sans,10"
set datafile separator ","
set output "netflix_abr.png"
set grid
set key top left
set title "rebuffer ratio per trace: BBA against rate-based (same traces)"
set xlabel "rate-based rebuffer ratio"
set ylabel "BBA rebuffer ratio"
set xrange [0:0.35]
set yrange [0:0.35]
set size square
plot "netflix_abr.csv" skip 1 using 5:3 with points pt 7 ps 0.8 lc rgb "#2471a3" title "one trace", \
     x with lines dt 2 lc rgb "#7f8c8d" title "equal"
