# Sloppy quorum under a crash (node n1 down from 30 s to 70 s): hints waiting for handoff build up
# while n1 is down and drain when it returns; read repairs follow. Data: dynamo_quorum_crash.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set key top right
set grid
set output "dynamo_quorum.png"
set title "dynamo quorum (N,R,W = 3,2,2): n1 crashed 30-70 s"
set xlabel "simulated time (s)"
set ylabel "hints pending / handoffs done"
set y2label "read repairs (cumulative)"
set y2tics
set ytics nomirror
set key top left
plot "dynamo_quorum_crash.csv" skip 1 using 1:4 with lines lw 2 title "hints pending", \
     "" skip 1 using 1:5 with lines lw 2 title "hinted handoffs (cumulative)", \
     "" skip 1 using 1:6 axes x1y2 with lines dt 2 lw 2 title "read repairs (right)"
