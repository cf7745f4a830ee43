# Keys per node with virtual nodes (10 nodes): busiest node over the mean and the coefficient of
# variation against the vnode count, measured (points) and derived (lines). Data: dynamo_ring.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set key top right
set grid
set output "dynamo_ring.png"
set title "dynamo ring: load imbalance vs virtual nodes per node (N = 10)"
set logscale x
set xlabel "virtual nodes per node (V)"
set ylabel "max / mean keys per node"
set y2label "coefficient of variation"
set y2tics
set ytics nomirror
plot "dynamo_ring.csv" skip 1 using 1:2 with points pt 7 title "max/mean measured", \
     "" skip 1 using 1:3 with lines lw 2 title "max/mean derived", \
     "" skip 1 using 1:4 axes x1y2 with points pt 5 title "cv measured", \
     "" skip 1 using 1:5 axes x1y2 with lines dt 2 lw 2 title "cv derived"
