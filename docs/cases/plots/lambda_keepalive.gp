# Cold starts of a function called every 60 minutes, per hour, under fixed keep-alive windows and
# the hybrid histogram policy (trained after its first samples). Data: lambda_keepalive_*.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set key top right
set grid
set output "lambda_keepalive.png"
set title "lambda keepalive: cold-start share per hour (periodic:60m trace)"
set xlabel "simulated time (hours)"
set ylabel "cold share of calls in the hour"
set yrange [-0.05:1.1]
set key center right
plot "lambda_keepalive_fixed_10m.csv" skip 1 using 1:2 with lines lw 2 title "fixed 10 min", \
     "lambda_keepalive_fixed_20m.csv" skip 1 using 1:2 with lines dt 2 lw 2 title "fixed 20 min", \
     "lambda_keepalive_hybrid.csv" skip 1 using 1:2 with lines lw 2 title "hybrid histogram"
