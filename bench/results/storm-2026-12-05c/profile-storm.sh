#!/usr/bin/env bash
# profile-storm.sh OUT [extra hexwire-sim flags]: one run of the storm benchmark's storm phase
# (the issue #11 command, every connection drops 3 s in and comes back within 1 s resuming with
# `since`) on a fresh engine, both processes recorded with perf record -e cpu-clock -a (no call
# graphs: the flat profile does not slow the run). Writes OUT/perf.data (not committed),
# OUT/sim.json/.txt, /metrics before and after, and OUT/perf-summary.txt (storm-summary.py).
# Run under `quiet`.  ENGINE=..., SIM=... override the binaries (default build/release).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out=$1; shift
mkdir -p "$out"
ulimit -n 20000
source "$root/bench/e2e/engine_lib.sh"
start_engine "${ENGINE:-$root/build/release/app/hexwire}" --shards 1 ${ENGINE_ARGS:-}
curl -s "127.0.0.1:$port/metrics" | grep -v '{' >"$out/metrics-before.txt"
perf record ${PERF_ARGS:--e cpu-clock -F 1999 -a} -o "$out/perf.data" -- \
  "${SIM:-$root/build/release/sim/tools/hexwire-sim}" chat --url "ws://127.0.0.1:$port" \
    --connections 16000 --channels 100 --channels-per-user 4 --publish-rate 10 --churn 0 \
    --read-sync-rate 0 --ramp-rate 8000 --threads 1 --verify --presence-share 0 \
    --duration 7 --reconnect-storm 3 --source-addrs 127.0.0.1-127.0.0.4 "$@" \
    --report "$out/sim.json" >"$out/sim.txt" 2>"$out/perf.log" || true
curl -s "127.0.0.1:$port/metrics" | grep -v '{' >"$out/metrics-after.txt"
grep VmHWM "/proc/$engine_pid/status" >>"$out/metrics-after.txt"
stop_engine
python3 "$here/storm-summary.py" "$out" >"$out/perf-summary.txt" || true
