#!/usr/bin/env bash
# Reproducer: N engines (--broker redis) + redis, CONNS chat connections at RAMP/s; keeps engine logs,
# Redis INFO stats/clients and engine metrics. Usage: repro.sh OUTDIR ENGINE SIM
set -euo pipefail
out=$1; hexwire=$2; sim=$3
nodes=${NODES:-2}; conns=${CONNS:-32000}; ramp=${RAMP:-8000}; channels=${CHANNELS:-3200}
mkdir -p "$out"
source /work/wt/redis14/scripts/pool_lib.sh
trap 'cp "$pool_work"/*.log "$pool_work"/*.out "$out"/ 2>/dev/null; pool_cleanup' EXIT
pool_engine_flags="--log-level warn"
start_redis --appendonly yes --appendfsync everysec
start_engines "$nodes" --port 0 --anonymous --ws-idle-timeout-ms 0 --shards 1 --stats-interval-ms 0 \
  --ws-op-rate 0 --ws-expensive-op-rate 0 --ws-publish-rate 0 --no-pin ${ENGINE_ARGS:-} \
  --broker redis --redis "redis://127.0.0.1:$redis_port"
urls=""; for p in $engine_ports; do urls="$urls${urls:+,}ws://127.0.0.1:$p"; done

"$sim" chat --url "$urls" --processes ${PROCS:-2} --connections "$conns" --channels "$channels" \
  --channels-per-user 2 --zipf-s 0 --publish-rate 200 --message-size 100 --churn 0 \
  --read-sync-rate 0 --ramp-rate "$ramp" --source-addrs 127.0.0.1-127.0.0.4 --duration ${DUR:-8} \
  --report "$out/sim.json" >"$out/sim.txt" 2>&1 || true
for p in $engine_ports; do curl -s "127.0.0.1:$p/metrics" | grep -v '^#' | grep -v '{'; echo; done >"$out/metrics.txt"
rcli INFO stats clients commandstats >"$out/redis.txt"
