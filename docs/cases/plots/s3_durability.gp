# Loss probability per object-year against MTTR (log-log): the closed-form chain (lines) and the
# importance-sampled Monte Carlo with its 95% interval (error bars), for RS(5+4) and 3 replicas at
# AFR 2%. The log-log slope is M: 4 for RS(5+4), 2 for replica:3.
# Data: s3_durability_rs54.csv, s3_durability_replica3.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set key top right
set grid
set output "s3_durability.png"
set title "s3 durability: loss per object-year vs MTTR (AFR 2%)"
set logscale xy
set format y "%.0e"
set xlabel "mean time to repair (days)"
set ylabel "P(loss) per object-year"
set key top left
plot "s3_durability_rs54.csv" skip 1 using 1:2 with lines lw 2 title "RS(5+4) Markov", \
     "" skip 1 using 1:4:5:6 with yerrorbars pt 7 title "RS(5+4) Monte Carlo, 95% CI", \
     "s3_durability_replica3.csv" skip 1 using 1:2 with lines lw 2 title "3 replicas Markov", \
     "" skip 1 using 1:4:5:6 with yerrorbars pt 5 title "3 replicas Monte Carlo, 95% CI"
