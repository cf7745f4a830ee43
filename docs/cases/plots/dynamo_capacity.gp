# The hot partition's throttled writes per second under static limits, burst capacity and global
# admission control (300 WCU offered to a 400 WCU table, 80% to one partition).
# Data: dynamo_capacity_{static,burst,gac}.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set key top right
set grid
set output "dynamo_capacity.png"
set title "dynamo capacity: hot partition throttling (240 WCU/s offered, 100 provisioned)"
set xlabel "simulated time (s)"
set ylabel "throttled writes per second"
set key below
plot "dynamo_capacity_static.csv" skip 1 using 1:4 with lines lw 2 title "static", \
     "dynamo_capacity_burst.csv" skip 1 using 1:4 with lines lw 2 title "burst (300 s bucket)", \
     "dynamo_capacity_gac.csv" skip 1 using 1:4 with lines lw 2 title "gac"
