# Carousel bandits (862 playlists, 12 slots, 3 visible, 5 segments, 1000 visits a round): cumulative
# regret against each user's best carousel, and the display-to-stream rate of each round, for
# every policy with (solid) and without (dashed) the cascade model. Data: spotify_bandits.csv.
set terminal pngcairo size 1100,480 font "DejaVu Sans,10"
set datafile separator ","
set output "spotify_bandits.png"
set multiplot layout 1,2 title "spotify bandits (seed 1)"
set grid
set key top left
set title "cumulative regret (expected streams lost)"
set xlabel "round"
set ylabel "streams"
plot "spotify_bandits.csv" skip 1 using 1:2 with lines lw 2 lc rgb "gray50" title "random", \
     "" skip 1 using 1:3 with lines lw 2 lc rgb "#1f77b4" title "epsilon-greedy", \
     "" skip 1 using 1:4 with lines lw 2 dt 2 lc rgb "#1f77b4" title "epsilon-greedy, no cascade", \
     "" skip 1 using 1:5 with lines lw 2 lc rgb "#ff7f0e" title "explore-then-commit", \
     "" skip 1 using 1:6 with lines lw 2 dt 2 lc rgb "#ff7f0e" title "explore-then-commit, no cascade", \
     "" skip 1 using 1:7 with lines lw 2 lc rgb "#2ca02c" title "Thompson (pessimistic)", \
     "" skip 1 using 1:8 with lines lw 2 dt 2 lc rgb "#2ca02c" title "Thompson, no cascade"
set title "display-to-stream rate per round"
set ylabel "streams per carousel shown"
set key bottom right
set yrange [0:0.8]
plot "spotify_bandits.csv" skip 1 using 1:9 with lines lw 1 lc rgb "gray50" title "random", \
     "" skip 1 using 1:10 with lines lw 1 lc rgb "#1f77b4" title "epsilon-greedy", \
     "" skip 1 using 1:12 with lines lw 1 lc rgb "#ff7f0e" title "explore-then-commit", \
     "" skip 1 using 1:14 with lines lw 2 lc rgb "#2ca02c" title "Thompson (pessimistic)", \
     "" skip 1 using 1:15 with lines lw 1 dt 2 lc rgb "#2ca02c" title "Thompson, no cascade"
unset multiplot
