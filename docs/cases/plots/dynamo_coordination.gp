# Latency percentiles of client-driven and server-driven (coordinator) requests.
# Data: dynamo_coordination.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set key top right
set grid
set output "dynamo_coordination.png"
set title "dynamo coordination: client-driven vs coordinating node"
set xlabel "percentile"
set ylabel "latency (ms)"
set key top left
set xtics ("50" 1, "75" 2, "90" 3, "99" 4, "99.9" 5)
plot "dynamo_coordination.csv" skip 1 using 0:2:xtic(1) with linespoints lw 2 title "client read", \
     "" skip 1 using 0:3 with linespoints lw 2 title "server read", \
     "" skip 1 using 0:4 with linespoints dt 2 lw 2 title "client write", \
     "" skip 1 using 0:5 with linespoints dt 2 lw 2 title "server write"
