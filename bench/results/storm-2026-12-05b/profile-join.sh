#!/usr/bin/env bash
# profile-join.sh OUT [extra hexwire-sim flags]: one run of the storm benchmark's join (the issue #11
# command) on a fresh engine, recorded with perf record -e cpu-clock -a (both processes);
# DURATION=7 and --reconnect-storm 3 --source-addrs ... for the storm phase. Run under `quiet`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
out=$1; shift
mkdir -p "$out"
ulimit -n 20000
source $root/bench/e2e/engine_lib.sh
start_engine ${ENGINE:-$root/build/release/app/hexwire} --shards 1 ${ENGINE_ARGS:-}
curl -s 127.0.0.1:$port/metrics > "$out/metrics-before.txt"
perf record ${PERF_ARGS:--e cpu-clock -F 1999 -a} -o "$out/perf.data" -- \
  ${SIM:-$root/build/release/sim/tools/hexwire-sim} chat --url "ws://127.0.0.1:$port" --connections 16000 --channels 100 \
    --channels-per-user 4 --publish-rate 10 --churn 0 --read-sync-rate 0 \
    --ramp-rate 8000 --threads 1 --verify --duration 4 --presence-share 0 "$@" --report "$out/sim.json" > "$out/sim.txt" 2>"$out/perf.log" || true
curl -s 127.0.0.1:$port/metrics > "$out/metrics-after.txt"
grep VmHWM /proc/$engine_pid/status >> "$out/metrics-after.txt"
stop_engine
