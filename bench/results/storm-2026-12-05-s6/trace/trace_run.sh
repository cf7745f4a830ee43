#!/usr/bin/env bash
# trace_run.sh OUT: one storm-phase run (the issue's command, storm 3 s in) with both processes
# writing event traces (HEXWIRE_TRACE, trace-points.patch), the listen socket's accept queue
# sampled every ~20 ms (ss -ltn: Recv-Q = queued, Send-Q = backlog) and nstat TcpExt deltas.
set -euo pipefail
root=${ROOT:-/work/wt/cases13}  # a tree with trace-points.patch applied and built in build/release
out=$1; shift
mkdir -p "$out"
ulimit -n 20000
source "$root/bench/e2e/engine_lib.sh"
ENGINE=${ENGINE:-$root/build/release/app/hexwire}
SIM=${SIM:-$root/build/release/sim/tools/hexwire-sim}
HEXWIRE_TRACE=$out/engine.trace start_engine "$ENGINE" --shards 1 ${ENGINE_ARGS:-}
python3 -c 'import time; a=time.time_ns(); m=time.monotonic_ns(); print(m - a)' >"$out/mono_minus_real.txt"
nstat -n >/dev/null 2>&1 || true
( while kill -0 "$engine_pid" 2>/dev/null; do q=$(ss -ltnH "sport = :$port"); echo "$EPOCHREALTIME $q"; sleep 0.02; done ) >"$out/listenq.txt" 2>/dev/null &
sampler=$!
HEXWIRE_TRACE=$out/sim.trace "$SIM" chat --url "ws://127.0.0.1:$port" \
    --connections 16000 --channels 100 --channels-per-user 4 --publish-rate 10 --churn 0 \
    --read-sync-rate 0 --ramp-rate 8000 --threads 1 --verify --presence-share 0 \
    --duration 7 --reconnect-storm 3 --source-addrs 127.0.0.1-127.0.0.4 "$@" \
    --report "$out/sim.json" >"$out/sim.txt" 2>&1 || true
nstat >"$out/nstat.txt" 2>&1 || true
grep VmHWM "/proc/$engine_pid/status" >"$out/engine-vmhwm.txt"
stop_engine
kill $sampler 2>/dev/null || true
wait $sampler 2>/dev/null || true
