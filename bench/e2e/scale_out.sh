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
#                 Redis broker and with the memory broker (BROKERS), one shard per node, at each
#                 offered publish rate of NODES_RATES: hexwire-sim chat (one process, one thread)
#                 spreads NODES_CONNS users round-robin over the nodes' URLs, one channel each of
#                 NODES_CHANNELS equal channels (NODES_CONNS/NODES_CHANNELS members per channel).
#                 With the memory broker each node is an island: a publish reaches only the
#                 channel's members on the publisher's node (deliveries per publish / nodes).
#                 Also CPU seconds per second of the engines, Redis and the simulator over a
#                 4-second window of steady load (/proc/PID/stat), and of the whole machine.
#   hold          HOLD_CONNS (100,000) chat users on HOLD_NODES (6) engines (--broker redis, one
#                 shard each) plus Redis; hexwire-sim --processes HOLD_PROCESSES spreads them
#                 round-robin over the engines' URLs from 8 loopback source addresses, ramping at
#                 HOLD_RAMP/s; each joins HOLD_PER_USER of HOLD_CHANNELS equal channels; then
#                 HOLD_RATE publishes/s for HOLD_SECONDS. Reports connect and subscribe
#                 latencies, the time until every engine held its share, delivery p50/p99 (acks
#                 apart), each engine's RSS before and while holding and its VmHWM (memory per
#                 connection), Redis INFO memory and its CPU during the ramp and the steady window.
#
# Every run writes its raw material (sim reports, INFO dumps, engine /metrics and /proc status) to
# OUT_DIR and one JSON row to OUT_DIR/rows.jsonl; scale_out_report.py prints the medians.
# Run it under `quiet` (the machine otherwise idle) when quoting figures.
# Usage: bench/e2e/scale_out.sh MODE [BUILD_DIR=build/release] [OUT_DIR=bench/results/scale-out-<date>]
# Knobs (environment): RUNS=3 RUN_FROM=1 ENGINE_ARGS="" (extra hexwire flags) PIN=0 (1: engines pin shards)
#   publish-cost: PC_CONNS=100 PC_CHANNELS=100 PC_RATE=1000 PC_WINDOW=4 PC_BENCH_N=100000
#                 PC_BENCH_CLIENTS=8 MESSAGE_SIZE=100
#   nodes:        NODES_LIST="1 2 3" BROKERS="redis memory" NODES_RATES="500 2000" NODES_CONNS=2000
#                 NODES_CHANNELS=20 NODES_SECONDS=8 (the CPU window needs >= 7)
#   hold:         HOLD_CONNS=100000 HOLD_NODES=6 HOLD_PROCESSES=8 HOLD_CHANNELS=10000
#                 HOLD_PER_USER=2 HOLD_RATE=200 HOLD_RAMP=2000 HOLD_SECONDS=20
#                 HOLD_SIM_ARGS="--sub-retry-backoff-ms 2000 --sub-retry-max-backoff-ms 10000"
#                 (extra hexwire-sim flags; "--sub-retries 0" turns its retries of a sub answered
#                 unavailable off). The defaults are the settings of the figures in bench/README.md:
#                 at a 5,000/s ramp the six engines on this 2-core machine refuse most subs
#                 (docs/scale-out.md "100,000 connections").
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:?"usage: scale_out.sh publish-cost|nodes|hold [BUILD_DIR] [OUT_DIR]"}
build=${2:-build/release}
out=${3:-$root/bench/results/scale-out-$(date -u +%Y-%m-%d)}
runs=${RUNS:-3}
first_run=${RUN_FROM:-1}  # the number of the first run (artifact names): RUNS=1 RUN_FROM=2 adds run 2
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
# Redis and the engines on free loopback ports, killed at exit (also on failure): the library
# the pool tests use too.
# shellcheck disable=SC2034  # read by pool_lib.sh
hexwire=$engine
# shellcheck source=../../scripts/pool_lib.sh
source "$root/scripts/pool_lib.sh"
sim_pids=()
cleanup() {
  local pid
  for pid in "${sim_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  pool_cleanup
}
trap cleanup EXIT

# Engine flags of every run: no sys:stats publishing (it would publish through the broker too),
# no per-connection rate limits (the simulator's rates are the load), and --no-pin: every engine's
# one shard would otherwise be pinned to CPU 0 (a shard's CPU is its index), all engines sharing
# one core of two while the other stays free for Redis and the simulator. PIN=1 keeps the pinning
# (the runs before 2026-12-05 session 5 had it).
pool_engine_flags="--log-level warn"
engine_flags=(--port 0 --anonymous --ws-idle-timeout-ms 0 --shards 1 --stats-interval-ms 0
  --ws-op-rate 0 --ws-expensive-op-rate 0 --ws-publish-rate 0)
[[ "${PIN:-0}" == 1 ]] || engine_flags+=(--no-pin)
# shellcheck disable=SC2206
engine_flags+=(${ENGINE_ARGS:-})
redis_flags=(--appendonly yes --appendfsync everysec)

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
  start_engine pc "${engine_flags[@]}" --broker redis \
    --redis "redis://127.0.0.1:$redis_port" --node-id pc
  "$sim" "${sim_args[@]}" --url "ws://127.0.0.1:$engine_port" --report "$tag.redis.json" \
    >"$tag.redis.sim.txt" 2>&1 &
  sim_pids=($!)
  wait_for_publishes "$engine_port"
  sleep 1  # past the subscriptions: from here on the only scripts are publishes
  # Stats reset and CPU read in one round trip; at the end CPU and stats in one INFO.
  printf 'CONFIG RESETSTAT\nINFO cpu\n' | rcli >"$tag.window-start.txt"
  sleep "$window"
  rcli INFO cpu commandstats latencystats >"$tag.window-end.txt"
  # The publish script's SHA1: the EVALSHA with 9 keys and 7 arguments (scaleout/channel_scripts.cpp).
  timeout 2 redis-cli -p "$redis_port" MONITOR 2>/dev/null | head -50 >"$tag.monitor.txt" || true
  wait "${sim_pids[0]}" || true
  sim_pids=()
  stop_engines
  # The same clients on the in-process broker: what Redis adds to the ack.
  start_engine pc-memory "${engine_flags[@]}" --broker memory
  "$sim" "${sim_args[@]}" --url "ws://127.0.0.1:$engine_port" --report "$tag.memory.json" \
    >"$tag.memory.sim.txt" 2>&1 || true
  stop_engines
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

# One line "engines=<s> redis=<s> sim=<s> machine_busy=<s> machine_total=<s> wall=<s>": CPU
# seconds used so far by the engines, Redis, the simulator with its --processes children (nan
# before it starts or after it ended) and the whole machine (busy, total), in one quick read.
cpu_snapshot() {
  python3 "$report" snapshot "$engine_pids" "$redis_pid" "${sim_pids[0]:-}"
}
# Several engines need a simulator whose --url takes a comma list.
need_url_list() {
  (($1 > 1)) || return 0
  "$sim" chat --help 2>&1 | grep -q 'comma list' && return 0
  echo "scale_out: $sim takes one --url only; $1 engines need a hexwire-sim with --url lists"
  exit 1
}
engine_urls() {
  local urls=() p
  for p in $engine_ports; do urls+=("ws://127.0.0.1:$p"); done
  (IFS=,; echo "${urls[*]}")
}
# Waits (up to $2 s) until the engines together have $1 open /ws connections.
wait_for_connections() {
  local want=$1 limit=$2 start
  start=$(date +%s.%N)
  while :; do
    local total=0 p
    for p in $engine_ports; do
      total=$((total + $(metric "$p" hexwire_ws_app_connections || echo 0)))
    done
    ((total >= want)) && { python3 -c "print(round($(date +%s.%N) - $start, 2))"; return 0; }
    if python3 -c "import sys; sys.exit(0 if $(date +%s.%N) - $start < $limit else 1)"; then
      sleep 0.5
    else
      echo "timeout($total)"; return 0
    fi
  done
}
# Waits (up to $2 s) until the simulator's progress ($1) shows acks: publishing has begun.
wait_for_publishing() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    grep -q '(acks [1-9]' "$1" 2>/dev/null && return 0
    kill -0 "${sim_pids[0]}" 2>/dev/null || { echo "scale_out: the simulator ended:"; tail -5 "$1"; return 1; }
    sleep 0.1
  done
  echo "scale_out: no publishing within $2 s"; return 1
}
broker_flags() {  # the engine flags of broker $1
  if [[ "$1" == redis ]]; then
    echo "--broker redis --redis redis://127.0.0.1:$redis_port"
  else
    echo "--broker memory"
  fi
}

nodes_run() {
  local broker=$1 nodes=$2 rate=$3 run=$4 tag="$out/nodes-$1-$2-$3-$4"
  local conns=${NODES_CONNS:-2000} channels=${NODES_CHANNELS:-20} seconds=${NODES_SECONDS:-8}
  need_url_list "$nodes"
  [[ "$broker" == redis ]] && start_redis "${redis_flags[@]}"
  local flags
  read -ra flags <<<"$(broker_flags "$broker")"
  start_engines "$nodes" "${engine_flags[@]}" "${flags[@]}"
  "$sim" chat --url "$(engine_urls)" --connections "$conns" --channels "$channels" \
    --channels-per-user 1 --zipf-s 0 --publish-rate "$rate" --message-size "$message_size" \
    --churn 0 --read-sync-rate 0 --ramp-rate 5000 --threads 1 --duration "$seconds" \
    --report "$tag.json" >"$tag.sim.txt" 2>&1 &
  sim_pids=($!)
  wait_for_connections "$conns" 20 >"$tag.ramp.txt"
  wait_for_publishing "$tag.sim.txt" 20
  sleep 1
  cpu_snapshot >"$tag.cpu.txt"
  [[ "$broker" == redis ]] && rcli INFO cpu commandstats >"$tag.redis-start.txt"
  sleep 4
  cpu_snapshot >>"$tag.cpu.txt"
  [[ "$broker" == redis ]] && rcli INFO cpu commandstats memory clients >"$tag.redis-end.txt"
  local sim_rc=0
  wait "${sim_pids[0]}" || sim_rc=$?
  sim_pids=()
  local p
  for p in $engine_ports; do curl -s "127.0.0.1:$p/metrics" | grep -v '^#' | grep -v '{'; done >"$tag.metrics.txt"
  stop_engines
  stop_redis
  python3 "$report" nodes "$tag" "$broker" "$nodes" "$rate" "$run" "$conns" "$channels" "$sim_rc" \
    | tee -a "$out/rows.jsonl"
}

rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
engines_memory() {  # one line per engine: "port pid VmRSS_kB VmHWM_kB connections"
  local pids port
  read -ra pids <<<"$engine_pids"
  for port in $engine_ports; do
    echo "$port ${pids[0]} $(rss_kb "${pids[0]}")" \
      "$(awk '$1 == "VmHWM:" {print $2}' "/proc/${pids[0]}/status")" \
      "$(metric "$port" hexwire_ws_app_connections)"
    pids=("${pids[@]:1}")
  done
}

hold_run() {
  local run=$1 tag="$out/hold-$1"
  local conns=${HOLD_CONNS:-100000} nodes=${HOLD_NODES:-6} processes=${HOLD_PROCESSES:-8}
  local seconds=${HOLD_SECONDS:-20}
  need_url_list "$nodes"
  start_redis "${redis_flags[@]}"
  local flags
  read -ra flags <<<"$(broker_flags redis)"
  start_engines "$nodes" "${engine_flags[@]}" "${flags[@]}"
  sleep 1
  engines_memory >"$tag.engines-idle.txt"
  rcli INFO memory cpu >"$tag.redis-idle.txt"
  cpu_snapshot >"$tag.cpu-ramp.txt"
  local started
  started=$(date +%s.%N)
  "$sim" chat --url "$(engine_urls)" --processes "$processes" --connections "$conns" \
    --channels "${HOLD_CHANNELS:-10000}" --channels-per-user "${HOLD_PER_USER:-2}" --zipf-s 0 \
    --publish-rate "${HOLD_RATE:-200}" --message-size "$message_size" --churn 0 \
    --read-sync-rate 0 --ramp-rate "${HOLD_RAMP:-2000}" --source-addrs 127.0.0.1-127.0.0.8 \
    --duration "$seconds" --report "$tag.json" ${HOLD_SIM_ARGS---sub-retry-backoff-ms 2000 --sub-retry-max-backoff-ms 10000} >"$tag.sim.txt" 2>&1 &
  sim_pids=($!)
  wait_for_connections "$conns" 120 >"$tag.ramp.txt"
  # The simulator publishes once every client has subscribed (its progress shows acks).
  wait_for_publishing "$tag.sim.txt" 120
  cpu_snapshot >>"$tag.cpu-ramp.txt"
  rcli INFO commandstats >"$tag.redis-ramp-commandstats.txt"
  engines_memory >"$tag.engines-hold.txt"
  cpu_snapshot >"$tag.cpu-steady.txt"
  printf 'CONFIG RESETSTAT\nINFO memory cpu\n' | rcli >"$tag.redis-hold.txt"
  sleep $((seconds > 5 ? seconds - 4 : 1))
  cpu_snapshot >>"$tag.cpu-steady.txt"
  rcli INFO memory cpu commandstats keyspace >"$tag.redis-steady.txt"
  local sim_rc=0
  wait "${sim_pids[0]}" || sim_rc=$?
  sim_pids=()
  python3 -c "print(round($(date +%s.%N) - $started, 2))" >"$tag.wall.txt"
  engines_memory >"$tag.engines-end.txt"
  local p
  for p in $engine_ports; do curl -s "127.0.0.1:$p/metrics" | grep -v '^#' | grep -v '{'; done >"$tag.metrics.txt"
  stop_engines
  stop_redis
  python3 "$report" hold "$tag" "$run" "$conns" "$nodes" "$processes" "$sim_rc" | tee -a "$out/rows.jsonl"
}

case "$mode" in
  publish-cost)
    for ((run = first_run; run < first_run + runs; run++)); do publish_cost_run "$run"; done
    python3 "$report" medians "$out/rows.jsonl" publish-cost
    ;;
  nodes)
    for rate in ${NODES_RATES:-500 2000}; do
      for ((run = first_run; run < first_run + runs; run++)); do
        for broker in ${BROKERS:-redis memory}; do
          for nodes in ${NODES_LIST:-1 2 3}; do nodes_run "$broker" "$nodes" "$rate" "$run"; done
        done
      done
    done
    python3 "$report" medians "$out/rows.jsonl" nodes
    ;;
  hold)
    need_fds=$(( ${HOLD_CONNS:-100000} / ${HOLD_PROCESSES:-8} + 1000 ))
    if (($(ulimit -n) < need_fds)); then
      ulimit -n "$need_fds" 2>/dev/null || { echo "scale_out: ulimit -n $(ulimit -n) < $need_fds (raise HOLD_PROCESSES)"; exit 1; }
    fi
    for ((run = first_run; run < first_run + runs; run++)); do hold_run "$run"; done
    python3 "$report" medians "$out/rows.jsonl" hold
    ;;
  *)
    echo "scale_out: unknown mode '$mode' (publish-cost, nodes, hold)"; exit 2
    ;;
esac
