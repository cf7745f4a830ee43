# A burst of 1,000 calls over 4 hosts: microVM creations queue behind the 150/s per-host limit.
# Queued creations over time, with a 125 ms boot and with a 5 ms snapshot restore.
# Data: lambda_boot_{boot,snapshot}.csv.
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set datafile separator ","
set key top right
set grid
set output "lambda_boot.png"
set title "lambda boot: creation queue after a burst (150 microVMs/s per host)"
set xlabel "simulated time (s)"
set ylabel "microVM creations queued"
set y2label "calls completed (cumulative)"
set y2tics
set ytics nomirror
set key below
plot "lambda_boot_boot.csv" skip 1 using 1:3 with lines lw 2 title "queued, boot", \
     "lambda_boot_snapshot.csv" skip 1 using 1:3 with lines dt 2 lw 2 title "queued, snapshot", \
     "lambda_boot_boot.csv" skip 1 using 1:2 axes x1y2 with lines lw 2 title "completed, boot (right)", \
     "lambda_boot_snapshot.csv" skip 1 using 1:2 axes x1y2 with lines dt 2 lw 2 title "completed, snapshot (right)"
