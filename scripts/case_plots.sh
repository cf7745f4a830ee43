#!/usr/bin/env bash
# Regenerates the case-study plots in docs/cases/plots/: runs each experiment in virtual mode with
# --csv (seed 1, the default), then renders every docs/cases/plots/*.gp with gnuplot (Debian's
# gnuplot-nox) to the PNG of the same name. The CSVs and PNGs are checked in; rerun this after a
# model change and commit what changed.
# Usage: scripts/case_plots.sh [path/to/hexwire-sim]   (default: build/release/sim/tools/hexwire-sim)
set -euo pipefail
cd "$(dirname "$0")/.."
sim="${1:-build/release/sim/tools/hexwire-sim}"
out=docs/cases/plots
[ -x "$sim" ] || { echo "case_plots.sh: no hexwire-sim at $sim (build it: scripts/build.sh release)" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "case_plots.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }

run() {  # run NAME ARGS...: hexwire-sim ARGS --check --csv $out/NAME.csv (a miss stops the script)
  local name="$1"; shift
  "$sim" "$@" --check --csv "$out/$name.csv" >/dev/null
}

# dynamo ring: one run per vnode count; measured and reference figures from each --report.
figure() {  # figure REPORT NAME: "measured,reference" of one figure line of a report JSON
  grep -F "\"name\":\"$2\"" "$1" | sed -E 's/.*"measured":([^,]*),"reference":([^,]*),.*/\1,\2/'
}
report=$(mktemp)
trap 'rm -f "$report"' EXIT
echo "vnodes,max_over_mean,max_over_mean_ref,cv,cv_ref" > "$out/dynamo_ring.csv"
for v in 1 2 5 10 20 50 100 200 500 1000; do
  "$sim" dynamo ring --vnodes "$v" --trials 200 --check --report "$report" >/dev/null
  echo "$v,$(figure "$report" max_over_mean),$(figure "$report" cv)" >> "$out/dynamo_ring.csv"
done
run dynamo_quorum_crash dynamo quorum --duration 120s --fail crash:n1@30s+40s
for p in static burst gac; do run "dynamo_capacity_$p" dynamo capacity --policy "$p"; done
run dynamo_coordination dynamo coordination
run s3_durability_rs54 s3 durability --scheme rs:5+4 --afr 0.02 --mttr-days 1
run s3_durability_replica3 s3 durability --scheme replica:3 --afr 0.02 --mttr-days 1
for w in on off; do run "s3_consistency_$w" s3 consistency --witness "$w"; done
for p in fixed:10m fixed:20m hybrid; do
  run "lambda_keepalive_${p/:/_}" lambda keepalive --policy "$p" --trace periodic:60m
done
for m in boot snapshot; do run "lambda_boot_$m" lambda boot --mode "$m"; done
run primevideo_cost primevideo cost --duration 20s
# search tail: the share of slowed queries against the shard count (p = 0.01), then hedging.
echo "shards,slowed_share,slowed_share_ref" > "$out/search_tail_shards.csv"
for s in 1 3 10 30 100 300; do
  "$sim" search tail --shards "$s" --slow-p 0.01 --queries 2000 --check --report "$report" >/dev/null
  echo "$s,$(figure "$report" slowed_query_share)" >> "$out/search_tail_shards.csv"
done
run search_tail_hedge search tail --shards 100 --slow-p 0.001 --slow-ms 1000 --hedge p95
run search_cache search cache --zipf-s 0.8 --entries 1000
run netflix_breaker netflix breaker
run netflix_breaker_hang_shared netflix breaker --failure hang --isolation shared
run spotify_bandits spotify bandits
run spotify_features spotify features
# spotify bandits over ten worlds (seeds): the judged ratios of each (docs/cases/spotify.md).
measured() {  # measured REPORT NAME: the measured value of one figure of a report JSON
  grep -F "\"name\":\"$2\"" "$1" | sed -E 's/.*"measured":([^,]*),.*/\1/'
}
ratios="regret_ts_over_epsilon regret_ts_over_etc regret_cascade_over_plain_ts regret_cascade_over_plain_all regret_cascade_over_plain_epsilon regret_cascade_over_plain_etc regret_worst_policy_over_random"
echo "seed,${ratios// /,}" > "$out/spotify_bandits_seeds.csv"
for seed in 1 2 3 4 5 6 7 8 9 10; do
  "$sim" spotify bandits --seed "$seed" --check --report "$report" >/dev/null
  line="$seed"
  for f in $ratios; do line="$line,$(measured "$report" "$f")"; done
  echo "$line" >> "$out/spotify_bandits_seeds.csv"
done
run airbnb_search airbnb search
run airbnb_coldstart airbnb coldstart
run netflix_abr netflix abr
run netflix_cdn netflix cdn --days 14
"$sim" netflix cdn --days 14 --forecast-noise 0 --csv "$out/netflix_cdn_exact.csv" >/dev/null
"$sim" netflix cdn --days 14 --forecast-noise 1.5 --csv "$out/netflix_cdn_noisy.csv" >/dev/null  # misses on purpose

cd "$out"
for gp in *.gp; do gnuplot "$gp"; done
echo "case_plots.sh: wrote $(ls -1 *.png | wc -l) plots to $out"
