#!/usr/bin/env bash
# Redis commands per connection of the Redis broker (issue #14): CC_CONNS chat users spread over
# CC_NODES engines (--broker redis, one shard each) in CC_CHANNELS shared channels (one each),
# nothing published. Redis's INFO commandstats is reset before the simulator starts and read once
# every connection is open and has had CC_SETTLE seconds for its subscriptions ("connect" phase),
# then again after the simulator closed them all ("total"). The summary divides every command's
# calls by the connections, and lists the node's shard-channel subscriptions of one user's
# personal channel (PUBSUB SHARDNUMSUB) and the pub/sub channels in Redis.
#   bench/e2e/redis_conn_cost.sh [BUILD_DIR] [OUT_DIR]
# Knobs (environment): CC_CONNS=2000 CC_NODES=2 CC_CHANNELS=10 CC_RAMP=1000 CC_SETTLE=2
#   ENGINE_ARGS="" (extra hexwire flags). Not a timing benchmark: counts only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build/release}
out=${2:-$root/bench/results/redis-conn-cost-$(date -u +%Y-%m-%d)}
conns=${CC_CONNS:-2000} nodes=${CC_NODES:-2} channels=${CC_CHANNELS:-10}
ramp=${CC_RAMP:-1000} settle=${CC_SETTLE:-2}
engine=${ENGINE:-$root/$build/app/hexwire}
sim=${SIM:-$root/$build/sim/tools/hexwire-sim}
for bin in "$engine" "$sim"; do
  [[ -x "$bin" ]] || { echo "redis_conn_cost: $bin missing (cmake --build $build --target hexwire hexwire-sim)"; exit 1; }
done
mkdir -p "$out"
# shellcheck disable=SC2034  # read by pool_lib.sh
hexwire=$engine
# shellcheck source=../../scripts/pool_lib.sh
source "$root/scripts/pool_lib.sh"
sim_pid=""
cleanup() {
  [[ -n "$sim_pid" ]] && kill -KILL "$sim_pid" 2>/dev/null || true
  pool_cleanup
}
trap cleanup EXIT

pool_engine_flags="--log-level warn"
engine_flags=(--port 0 --anonymous --ws-idle-timeout-ms 0 --shards 1 --no-pin
  --stats-interval-ms 0 --ws-op-rate 0 --ws-expensive-op-rate 0 --ws-publish-rate 0)
# shellcheck disable=SC2206
engine_flags+=(${ENGINE_ARGS:-})

open_connections() {
  local total=0 p
  for p in $engine_ports; do
    total=$((total + $(metric "$p" hexwire_ws_app_connections || echo 0)))
  done
  echo "$total"
}

start_redis
start_engines "$nodes" "${engine_flags[@]}" --broker redis --redis "redis://127.0.0.1:$redis_port"
sleep 1  # heartbeats and inbox subscriptions before the reset: they are not per connection
urls=()
for p in $engine_ports; do urls+=("ws://127.0.0.1:$p"); done
rcli CONFIG RESETSTAT >/dev/null
rcli INFO cpu >"$out/cpu-start.txt"
duration=$((conns / ramp + settle + 3))
"$sim" chat --url "$(IFS=,; echo "${urls[*]}")" --connections "$conns" --channels "$channels" \
  --channels-per-user 1 --zipf-s 0 --publish-rate 0 --churn 0 --read-sync-rate 0 \
  --ramp-rate "$ramp" --threads 1 --duration "$duration" --report "$out/sim.json" \
  >"$out/sim.txt" 2>&1 &
sim_pid=$!
for _ in $(seq 1 $((duration * 10))); do
  (($(open_connections) >= conns)) && break
  sleep 0.1
done
open=$(open_connections)
sleep "$settle"
rcli INFO commandstats stats cpu >"$out/commandstats-connect.txt"
# One user's personal channel (the simulator's users are u<N>) and every pub/sub channel in Redis.
user=$(rcli --scan --pattern 'hw:{u:*}:n' | sed -n '1s/^hw:{u:\(.*\)}:n$/\1/p')
{
  echo "user: $user"
  echo "PUBSUB SHARDNUMSUB hw:{user:$user}:p: $(rcli PUBSUB SHARDNUMSUB "hw:{user:$user}:p" | tail -1)"
  echo "PUBSUB SHARDCHANNELS: $(rcli PUBSUB SHARDCHANNELS | wc -l)"
  echo "PUBSUB SHARDCHANNELS hw:{user:*: $(rcli PUBSUB SHARDCHANNELS 'hw:{user:*' | grep -c . || true)"
  echo "keys: $(rcli DBSIZE)"
} >"$out/pubsub-connect.txt"
sim_rc=0
wait "$sim_pid" || sim_rc=$?
sim_pid=""
sleep 1  # the engines' close-side writes
rcli INFO commandstats stats cpu >"$out/commandstats-total.txt"
stop_engines
stop_redis

# Per-connection calls of every command (Redis counts the commands a script runs too; this
# script's own INFO, CONFIG, SCAN, PUBSUB and DBSIZE are left out), and the Redis CPU used since
# the statistics were reset.
summary() {
  local start_cpu
  start_cpu=$(awk -F: '/^used_cpu_(sys|user):/ { cpu += $2 } END { print cpu }' "$out/cpu-start.txt")
  awk -F'[:,=]' -v n="$open" -v start="$start_cpu" '/^cmdstat_/ && !/^cmdstat_(info|config|scan|pubsub|dbsize)/ {
      sub("cmdstat_", "", $1); printf "  %-24s %10d  %7.2f per connection\n", $1, $3, $3 / n; sum += $3 }
    /^used_cpu_(sys|user):/ { cpu += $2 }
    END { printf "  %-24s %10d  %7.2f per connection\n", "all", sum, sum / n
          printf "  Redis CPU since the reset: %.3f s\n", cpu - start }' "$1"
}
{
  echo "connections open: $open of $conns on $nodes engines; $channels channels, one per user; simulator rc $sim_rc"
  echo "connect phase (all open, ${settle} s settled):"
  summary "$out/commandstats-connect.txt"
  echo "total (after the simulator closed every connection):"
  summary "$out/commandstats-total.txt"
  cat "$out/pubsub-connect.txt"
} | tee "$out/summary.txt"
