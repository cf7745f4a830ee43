# netflix breaker at Hystrix's defaults: a dependency called 50 times a second fails (errors) from
# 0 to 12 s. Top: calls that reach it each second, with and without the breaker, and the breaker's
# state (0 closed, 0.5 half-open, 1 open). Bottom: a failure that hangs (no reply, 1 s timeouts)
# with ONE pool shared by the failing and a healthy dependency: healthy calls served per second.
# Data: netflix_breaker.csv, netflix_breaker_hang_shared.csv.
set terminal pngcairo size 800,700 font "DejaVu Sans,10"
set datafile separator ","
set output "netflix_breaker.png"
set multiplot layout 2,1
set grid
set key below
set xrange [0:20]
set xlabel "simulated time (s)"
set title "calls reaching the failing dependency (fails 0-12 s): the breaker opens at 0.5 s, trials at 5.5/10.5/15.5 s"
set ylabel "calls per second"
set yrange [0:70]
set y2label "breaker state (1 open)"
set y2range [0:2]
set y2tics 0.5
set ytics nomirror
plot "netflix_breaker.csv" skip 1 using 1:6 with lines lw 2 lc rgb "#c0392b" title "without breaker", \
     "netflix_breaker.csv" skip 1 using 1:3 with lines lw 2 lc rgb "#2471a3" title "with breaker", \
     "netflix_breaker.csv" skip 1 using 1:2 axes x1y2 with steps dt 2 lw 2 lc rgb "#7f8c8d" title "breaker state (right)"
unset y2label
unset y2tics
set ytics mirror
set title "one pool shared with a healthy dependency; the failing one hangs: healthy calls served"
set ylabel "healthy calls served per second"
set yrange [0:70]
plot "netflix_breaker_hang_shared.csv" skip 1 using 1:8 with lines lw 2 lc rgb "#c0392b" title "without breaker", \
     "netflix_breaker_hang_shared.csv" skip 1 using 1:5 with lines lw 2 lc rgb "#2471a3" title "with breaker"
unset multiplot
