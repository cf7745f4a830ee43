#!/usr/bin/env bash
# Scale-out benchmarks of issue #14: hexwire nodes joined through Redis (--broker redis), each
# run on its own redis-server (free loopback port, temporary directory, AOF everysec) and engines
# on free ports, all stopped at the end, also on failure. Three modes:
#
#   publish-cost  what one publish costs Redis. One engine (--broker redis, one shard) and
#                 hexwire-sim chat with PC_CONNS users in PC_CHANNELS equal channels (one each, so
#                 every publish reaches about one subscriber) publishing PC_RATE/s. Over a
#                 PC_WINDOW-second window of steady publishing (stats reset at its start): every
#                 Redis command per publish (INFO commandstats counts the commands a script runs
#                 too), the publish script's time inside Redis (EVALSHA usec_per_call and its
#                 p50/p99 from INFO latencystats), Redis CPU per publish (INFO cpu), against the
#                 engine's count of publishes acknowledged by Redis. Then the same client load on a
#                 --broker memory engine, so the ack latencies compare. Then redis-benchmark runs
#                 the same publish script (its SHA1 read from MONITOR) back to back on one channel
#                 (stream at its MAXLEN: trimming included) from PC_BENCH_CLIENTS clients: the
#                 publishes/s one Redis core sustains with nobody subscribed.
#   nodes         deliveries/s against the number of nodes (NODES_LIST, default "1 2 3") with the
#                 Redis broker and with the memory broker (BROKERS), one shard per node.
#   hold          HOLD_CONNS (100,000) chat connections on HOLD_NODES (6) engines plus Redis.
#
# Every run writes its raw material (sim reports, INFO dumps, engine /metrics and /proc status) to
# OUT_DIR and one JSON row to OUT_DIR/rows.jsonl; scale_out_report.py prints the medians.
# Run it under `quiet` (the machine otherwise idle) when quoting figures.
# Usage: bench/e2e/scale_out.sh MODE [BUILD_DIR=build/release] [OUT_DIR=bench/results/scale-out-<date>]
# Knobs (environment): RUNS=3 ENGINE_ARGS="" (extra hexwire flags)
#   publish-cost: PC_CONNS=100 PC_CHANNELS=100 PC_RATE=1000 PC_WINDOW=4 PC_BENCH_N=100000
#                 PC_BENCH_CLIENTS=8 MESSAGE_SIZE=100
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:?"usage: scale_out.sh publish-cost|nodes|hold [BUILD_DIR] [OUT_DIR]"}
build=${2:-build/release}
out=${3:-$root/bench/results/scale-out-$(date -u +%Y-%m-%d)}
runs=${RUNS:-3}
message_size=${MESSAGE_SIZE:-100}
engine=${ENGINE:-$root/$build/app/hexwire}
sim=${SIM:-$root/$build/sim/tools/hexwire-sim}
report="$root/bench/e2e/scale_out_report.py"
for bin in "$engine" "$sim"; do
  [[ -x "$bin" ]] || { echo "scale_out: $bin missing (cmake --build $build --target hexwire hexwire-sim)"; exit 1; }
done
for tool in redis-server redis-cli redis-benchmark curl python3; do
  command -v "$tool" >/dev/null || { echo "scale_out: $tool missing (scripts/setup.sh installs it)"; exit 1; }
done
mkdir -p "$out"
# shellcheck source=engine_lib.sh
source "$root/bench/e2e/engine_lib.sh"
# shellcheck source=redis_lib.sh
source "$root/bench/e2e/redis_lib.sh"
sim_pids=()
cleanup() {
  local pid
  for pid in "${sim_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  kill_all_servers
}
trap cleanup EXIT

# Engine flags of every run: no sys:stats publishing (it would publish through the broker too),
# no per-connection rate limits (the simulator's rates are the load).
engine_flags=(--shards 1 --stats-interval-ms 0 --ws-op-rate 0 --ws-expensive-op-rate 0
  --ws-publish-rate 0)
# shellcheck disable=SC2206
engine_flags+=(${ENGINE_ARGS:-})
redis_flags=(--appendonly yes --appendfsync everysec)

metric() { curl -s "127.0.0.1:$1/metrics" | awk -v name="$2" '$1 == name {print $2}'; }

# Waits (up to 15 s) until the engine on port $1 has had a publish acknowledged by Redis.
wait_for_publishes() {
  for _ in $(seq 150); do
    local n
    n=$(metric "$1" hexwire_redis_broker_publishes_total)
    [[ -n "$n" && "$n" != 0 ]] && return 0
    sleep 0.1
  done
  echo "scale_out: no publish reached Redis within 15 s"; return 1
}

publish_cost_run() {
  local run=$1 tag="$out/publish-cost-$1"
  local conns=${PC_CONNS:-100} channels=${PC_CHANNELS:-100} rate=${PC_RATE:-1000}
  local window=${PC_WINDOW:-4}
  local sim_args=(chat --connections "$conns" --channels "$channels" --channels-per-user 1
    --zipf-s 0 --publish-rate "$rate" --message-size "$message_size" --churn 0
    --read-sync-rate 0 --ramp-rate 0 --threads 1 --duration $((window + 4)))
  start_redis "${redis_flags[@]}"
  start_engine "$engine" "${engine_flags[@]}" --broker redis \
    --redis "redis://127.0.0.1:$redis_port" --node-id pc
  "$sim" "${sim_args[@]}" --url "ws://127.0.0.1:$port" --report "$tag.redis.json" \
    >"$tag.redis.sim.txt" 2>&1 &
  sim_pids=($!)
  wait_for_publishes "$port"
  sleep 1  # past the subscriptions: from here on the only scripts are publishes
  # Stats reset and CPU read in one round trip; at the end CPU and stats in one INFO.
  printf 'CONFIG RESETSTAT\nINFO cpu\n' | rcli >"$tag.window-start.txt"
  sleep "$window"
  rcli INFO cpu commandstats latencystats >"$tag.window-end.txt"
  # The publish script's SHA1: the EVALSHA with 9 keys and 7 arguments (scaleout/channel_scripts.cpp).
  timeout 2 redis-cli -p "$redis_port" MONITOR 2>/dev/null | head -50 >"$tag.monitor.txt" || true
  wait "${sim_pids[0]}" || true
  sim_pids=()
  stop_engine
  # The same clients on the in-process broker: what Redis adds to the ack.
  start_engine "$engine" "${engine_flags[@]}" --broker memory
  "$sim" "${sim_args[@]}" --url "ws://127.0.0.1:$port" --report "$tag.memory.json" \
    >"$tag.memory.sim.txt" 2>&1 || true
  stop_engine
  publish_script_benchmark "$tag"
  rcli INFO memory >"$tag.memory-info.txt"
  stop_redis
  python3 "$report" publish-cost "$tag" "$run" "$conns" "$channels" "$rate" | tee -a "$out/rows.jsonl"
}

# redis-benchmark runs the publish script back to back on one channel, first with nobody
# subscribed to the channel's shard channel, then with PC_BENCH_SUBSCRIBERS (3) redis-cli
# SSUBSCRIBEd to it, standing for the nodes of a pool with subscribers to the channel.
publish_script_benchmark() {
  local tag=$1 sha
  sha=$(python3 "$report" publish-sha "$tag.monitor.txt")
  [[ -n "$sha" ]] || { echo "scale_out: no publish EVALSHA seen in MONITOR"; return 0; }
  local data keys=() k subscribers
  data=$(head -c "$message_size" /dev/zero | tr '\0' x)
  for k in m l p b o q n c z; do keys+=("hw:{bench}:$k"); done
  for subscribers in 0 "${PC_BENCH_SUBSCRIBERS:-3}"; do
    local btag="$tag.bench-sub$subscribers" i
    for ((i = 0; i < subscribers; i++)); do
      timeout 300 redis-cli -p "$redis_port" SSUBSCRIBE "hw:{bench}:p" >/dev/null 2>&1 &
      sim_pids+=($!)
    done
    sleep 0.2
    printf 'CONFIG RESETSTAT\nINFO cpu\n' | rcli >"$btag.start.txt"
    redis-benchmark -p "$redis_port" -n "${PC_BENCH_N:-100000}" -c "${PC_BENCH_CLIENTS:-8}" -q \
      EVALSHA "$sha" 9 "${keys[@]}" bench-user "$data" 10000 benchepoch 86400000 3600000 0 \
      | tr '\r' '\n' | tail -1 >"$btag.txt"
    rcli INFO cpu commandstats latencystats clients >"$btag.end.txt"
    rcli XLEN "hw:{bench}:l" >"$btag.xlen.txt"
    for i in "${sim_pids[@]}"; do kill "$i" 2>/dev/null || true; wait "$i" 2>/dev/null || true; done
    sim_pids=()
  done
}

case "$mode" in
  publish-cost)
    for ((run = 1; run <= runs; run++)); do publish_cost_run "$run"; done
    python3 "$report" medians "$out/rows.jsonl" publish-cost
    ;;
  *)
    echo "scale_out: unknown mode '$mode' (publish-cost)"; exit 2
    ;;
esac
