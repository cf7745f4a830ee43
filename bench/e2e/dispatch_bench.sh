#!/usr/bin/env bash
# End-to-end dispatch figures over WebSocket: starts the `hexwire` engine (2 shards, anonymous
# auth, its own free port) and drives it with dispatch_ws_load (built here with one compiler
# call): location updates per second (engine-side, from the dispatch_fixes_*_total counters of
# /metrics over the measured window) and nearest-k queries per second (replies counted by the
# client, with latency percentiles). /metrics lists each counter once unlabelled (all shards). Client and engine share this machine's cores.
# Usage: bench/e2e/dispatch_bench.sh [BUILD_DIR=build/release] [SECONDS=5]
# Knobs (environment): RUN=loc,nearby LOC_CONNS LOC_THREADS LOC_RATE (fixes/s offered in total on a
# fixed schedule; 0, the default: as fast as the engine reads) NEARBY_DRIVERS NEARBY_SPREAD NEARBY_CONNS
# NEARBY_WINDOW NEARBY_K NEARBY_THREADS; ENGINE_ARGS: extra engine flags for both runs (e.g.
# "--live-map-interval-ms 0": every accepted fix is published on its cell:<h3> channel)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build/release}
seconds=${2:-5}
engine="$root/$build/app/hexwire"
[[ -x "$engine" ]] || { echo "dispatch_bench: $engine missing (ninja -C $build hexwire)"; exit 1; }
load=$(mktemp -d)/dispatch_ws_load
clang++ -O2 -std=c++20 -march=x86-64-v2 -pthread -o "$load" "$root/bench/e2e/dispatch_ws_load.cpp"

# A few connections carry thousands of ops per second each: far above the per-connection rate
# limits a production engine keeps (docs/configuration.md), so this benchmark lifts them.
no_op_limits=(--ws-op-rate 0 --ws-expensive-op-rate 0)
# shellcheck source=engine_lib.sh
source "$root/bench/e2e/engine_lib.sh"
sample() {  # "<processed> <accepted> <mailbox tasks> <engine CPU ticks>" from one /metrics read
  # (processed = accepted + held + rejected) and the engine's /proc/PID/stat (utime + stime).
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$engine_pid/stat")
  curl -s "http://127.0.0.1:$port/metrics" | awk -v ticks="$ticks" '
    /^hexwire_dispatch_fixes_accepted_total / {a += $NF; p += $NF}
    /^hexwire_dispatch_fixes_rejected_total |^hexwire_dispatch_jumps_held_total / {p += $NF}
    /^hexwire_mailbox_tasks_total / {m += $NF}
    END {printf "%d %d %d %d", p, a, m, ticks}'
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"
if [[ ${RUN:=loc,nearby} == *loc* ]]; then
echo "== location updates: ${LOC_CONNS:=200} driver connections, ${LOC_THREADS:=1} client thread(s), offered ${LOC_RATE:-flood} fixes/s"
start_engine "$engine" --shards 2 "${no_op_limits[@]}" ${ENGINE_ARGS:-}
# Steady state: the engine's counters are sampled 2 s into the run and again SECONDS later.
"$load" loc --port "$port" --conns "$LOC_CONNS" --threads "$LOC_THREADS" --seconds $((seconds + 3)) \
  --rate "${LOC_RATE:-0}" &
load_pid=$!
sleep 2
read -r before before_ok tasks0 ticks0 <<<"$(sample)"; t0=$(date +%s.%N)
sleep "$seconds"
read -r after after_ok tasks1 ticks1 <<<"$(sample)"; t1=$(date +%s.%N)
wait "$load_pid"
awk -v a="$after" -v b="$before" -v ok1="$after_ok" -v ok0="$before_ok" -v t0="$t0" -v t1="$t1" \
  'BEGIN {printf "loc: engine processed %d fixes (%d accepted) in %.2f s = %.0f fixes/s\n", a-b, ok1-ok0, t1-t0, (a-b)/(t1-t0)}'
# Cost per fix: mailbox tasks (cross-shard hops, and tasks a shard queues for itself) and engine
# CPU time (both shards, user + system), over the same window.
awk -v a="$after" -v b="$before" -v m1="$tasks1" -v m0="$tasks0" -v c1="$ticks1" -v c0="$ticks0" \
  -v hz="$(getconf CLK_TCK)" \
  'BEGIN {printf "loc: %.3f mailbox tasks per fix, engine CPU %.3f us per fix\n", (m1-m0)/(a-b), (c1-c0)/hz*1e6/(a-b)}'
stop_engine
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

if [[ $RUN == *nearby* ]]; then
echo "== nearest-${NEARBY_K:=10}: ${NEARBY_DRIVERS:=8000} drivers in 8 cities of ${NEARBY_SPREAD:=0.05} deg, ${NEARBY_CONNS:=32} rider connections x window ${NEARBY_WINDOW:=16}"
start_engine "$engine" --shards 2 "${no_op_limits[@]}" ${ENGINE_ARGS:-}
"$load" nearby --port "$port" --drivers "$NEARBY_DRIVERS" --conns "$NEARBY_CONNS" \
  --window "$NEARBY_WINDOW" --k "$NEARBY_K" --spread-deg "$NEARBY_SPREAD" --threads "${NEARBY_THREADS:-1}" --seconds "$seconds"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^hexwire_dispatch_searches_total ' || true
stop_engine
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
