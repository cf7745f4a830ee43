#!/usr/bin/env bash
# Fan-out to 10,000 WebSocket connections end to end, against the kernel's own ceiling measured in
# the same run. For each level "BATCHING:PUBLISHES_PER_S" it starts a fresh `hexwire` (one shard,
# anonymous, its own free port; BATCHING is a fixed --write-delay-us in microseconds, or `a` for
# the default adaptive batching) and runs `hexwire-sim chat` against it:
# CONNS connections in CHANNELS equal channels (one each, so every publish reaches CONNS/CHANNELS
# subscribers), 100-byte messages, Poisson publishes, no churn. It prints deliveries/s, publish ->
# deliver percentiles (open loop, from the intended publish time), CPU per delivery of each
# process (utime+stime from /proc over a 4 s window), how busy the whole machine was over that
# window (user+system+softirq from /proc/stat: loopback receive work runs as softirq and is charged
# to no process), frames per sendmsg, and (adaptive) the hold the shard chose and how busy it saw
# itself, sampled once a second from /metrics.
# The baseline, loopback_ceiling, pushes 100-byte messages over the same number of plain TCP
# connections with no WebSocket, JSON or pub/sub: one message per send, then 8 per send.
# Usage: bench/e2e/fanout_bench.sh [BUILD_DIR=build/release] [OUT_JSONL]
# Knobs (environment): LEVELS="0:100 20000:500 a:1000" CONNS=10000 CHANNELS=10
#   SECONDS_PER_LEVEL=8 SIM_ARGS="--churn 0 --read-sync-rate 0" CEILING=1 (0: skip the baseline)
#   ENGINE_ARGS="" (extra hexwire flags) TAG="" (a label stored in each JSONL row) MESSAGE_SIZE=100
#   PIN=0 (1: engine on CPU 0 and simulator on CPU 1 with taskset, so that the scheduler never
#   puts both on one CPU; stored in each row as "pinned")
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build/release}
out=${2:-}
levels=${LEVELS:-"0:100 0:150 20000:500 20000:1000 50000:1000"}
conns=${CONNS:-10000}
channels=${CHANNELS:-10}
seconds=${SECONDS_PER_LEVEL:-8}
sim_args=${SIM_ARGS:-"--churn 0 --read-sync-rate 0"}
engine_args=${ENGINE_ARGS:-}
ceiling_runs=${CEILING:-1}
tag=${TAG:-}
message_size=${MESSAGE_SIZE:-100}
pin=${PIN:-0}
sim_cpu=()
[[ "$pin" == 1 ]] && sim_cpu=(taskset -c 1)
# shellcheck source=engine_lib.sh
source "$root/bench/e2e/engine_lib.sh"
fanout_binaries "$root" "$build"
work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n "${engine_pid:-}" ]] && kill "$engine_pid" 2>/dev/null || true' EXIT
tick=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# "busy total" jiffies of the whole machine: user+nice+system+irq+softirq+steal, and the total.
machine_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
sends_total() { curl -s "127.0.0.1:$1/metrics" | awk '$1 == "hexwire_sends_total" {print $2}'; }
# "write_delay_us loop_busy_permille" of the (single) shard right now.
batching_gauges() {
  curl -s "127.0.0.1:$1/metrics" |
    awk '$1 == "hexwire_write_delay_us" {d = $2} $1 == "hexwire_loop_busy_permille" {b = $2} END {print d + 0, b + 0}'
}

run_level() {
  local delay=$1 rate=$2 batching_flags
  if [[ "$delay" == a ]]; then
    batching_flags="--write-batching adaptive"
  else
    batching_flags="--write-delay-us $delay"
  fi
  # Rate limits off: a few hundred publishes/s per connection is the point of the exercise.
  # shellcheck disable=SC2086
  start_engine "$engine" --shards 1 $batching_flags --ws-op-rate 0 --ws-expensive-op-rate 0 \
    --ws-publish-rate 0 $engine_args
  [[ "$pin" == 1 ]] && taskset -a -p -c 0 "$engine_pid" >/dev/null  # every thread, before load
  # shellcheck disable=SC2086
  "${sim_cpu[@]}" "$sim" chat --url "ws://127.0.0.1:$port" --threads 1 --connections "$conns" --ramp-rate 5000 \
    --channels "$channels" --channels-per-user 1 --zipf-s 0 --message-size "$message_size" $sim_args \
    --publish-rate "$rate" --duration "$seconds" --report "$work/report.json" >"$work/sim.log" 2>&1 &
  local sim_pid=$!
  sleep 5  # ramp (2 s at 5000/s) + settle
  local e0 s0 n0 t0 m0 e1 s1 n1 t1 m1
  e0=$(cpu_ticks "$engine_pid"); s0=$(cpu_ticks "$sim_pid"); n0=$(sends_total "$port"); t0=$(date +%s.%N)
  m0=$(machine_ticks)
  local gauges=""
  for _ in 1 2 3 4; do
    sleep 1
    gauges="$gauges $(batching_gauges "$port")"
  done
  e1=$(cpu_ticks "$engine_pid"); s1=$(cpu_ticks "$sim_pid"); n1=$(sends_total "$port"); t1=$(date +%s.%N)
  m1=$(machine_ticks)
  wait "$sim_pid" || true
  stop_engine
  python3 - "$delay" "$rate" "$conns" "$channels" "$e0" "$e1" "$s0" "$s1" "$n0" "$n1" "$t0" "$t1" "$tick" \
    "$work/report.json" "$out" "$tag" $m0 $m1 $gauges <<'PY'
import json, os, statistics, sys
adaptive = sys.argv[1] == "a"
delay = 0.0 if adaptive else float(sys.argv[1])
rate, conns, channels = (float(x) for x in sys.argv[2:5])
e0, e1, s0, s1, n0, n1, t0, t1, tick = (float(x) for x in sys.argv[5:14])
report, out, tag = sys.argv[14], sys.argv[15], sys.argv[16]
busy0, total0, busy1, total1 = (float(x) for x in sys.argv[17:21])
samples = [float(x) for x in sys.argv[21:]]
chosen_us, shard_busy = samples[0::2], [b / 1000 for b in samples[1::2]]
machine_busy = (busy1 - busy0) / (total1 - total0)
r = json.load(open(report))
window = t1 - t0
# Deliveries are the msg frames subscribers read; acks are counted apart (an ack is not a
# delivery). Frames per send counts every frame the clients read (deliveries and acks).
delivered = r["rates_per_s"]["deliveries"]
frames = r["rates_per_s"]["received"]
lat = r["latency_us"]["deliver"]
engine_cpu = (e1 - e0) / tick / window
sim_cpu = (s1 - s0) / tick / window
sends = (n1 - n0) / window
row = {
    "kind": "hexwire", "connections": int(conns), "subscribers_per_channel": int(conns / channels),
    "batching": "adaptive" if adaptive else "fixed", "tag": tag,
    "write_delay_us": statistics.median(chosen_us) if adaptive else int(delay),
    "chosen_delay_us": chosen_us, "shard_busy": shard_busy,
    "message_size": int(os.environ.get("MESSAGE_SIZE", "100")),
    "publishes_per_s": rate, "deliveries_per_s": round(delivered),
    "acks_per_s": round(r["rates_per_s"]["acks"]), "unsent": r["errors"]["unsent"],
    "p50_ms": lat["p50"] / 1e3, "p99_ms": lat["p99"] / 1e3, "p999_ms": lat["p99_9"] / 1e3,
    "engine_cpu": engine_cpu, "sim_cpu": sim_cpu,
    "engine_us_per_delivery": engine_cpu * 1e6 / delivered, "sim_us_per_delivery": sim_cpu * 1e6 / delivered,
    "frames_per_send": frames / sends if sends else 0, "errors": r["errors"]["total"],
    "machine_busy": machine_busy, "pinned": os.environ.get("PIN", "0") == "1",
}
# Steadiness: deliveries per second over the full seconds of load (first and last dropped).
loaded = [i["deliveries"] for i in r.get("intervals", []) if i.get("sent", 0) > 0][1:-1]
if loaded:
    row["per_second_min"], row["per_second_max"] = min(loaded), max(loaded)
# The deliver p99 of each second of the run (ms; seconds with no delivery: null), to tell a
# start-up backlog from a steady tail.
row["per_second_p99_ms"] = [i["deliver"]["p99"] / 1e3 if "deliver" in i else None
                            for i in r.get("intervals", [])]
hold = (f"adaptive ({min(chosen_us) / 1000:.1f}-{max(chosen_us) / 1000:.1f} ms)" if adaptive
        else f"{delay / 1000:g} ms")
print(f"| hexwire | {hold} | {rate * conns / channels:,.0f}/s ({rate:,.0f} publishes) | {delivered:,.0f} | {row['p50_ms']:.1f} / "
      f"{row['p99_ms']:.1f} / {row['p999_ms']:.1f} ms | {engine_cpu * 100:.0f}% + {sim_cpu * 100:.0f}% | {machine_busy * 100:.0f}% | "
      f"{row['engine_us_per_delivery']:.2f} + {row['sim_us_per_delivery']:.2f} | {row['frames_per_send']:.2f} | "
      f"{row['errors']} |")
if out:
    with open(out, "a") as f:
        f.write(json.dumps(row) + "\n")
PY
}

run_ceiling() {
  local batch=$1 rate=$2 line
  line=$("$ceiling" --connections "$conns" --size 100 --batch "$batch" --rate "$rate" --seconds 4 2>/dev/null)
  python3 - "$line" "$out" <<'PY'
import json, sys
row = json.loads(sys.argv[1]); out = sys.argv[2]
row["kind"] = "loopback_ceiling"
offered = f"{row['offered_per_s']:,.0f}/s" if row["offered_per_s"] else "max"
print(f"| loopback_ceiling | {row['batch']} per send | {offered} | {row['received_per_s']:,.0f} | "
      f"{row['p50_us'] / 1e3:.1f} / {row['p99_us'] / 1e3:.1f} / {row['p999_us'] / 1e3:.1f} ms | | | | {row['batch']} | 0 |")
if out:
    with open(out, "a") as f:
        f.write(json.dumps(row) + "\n")
PY
}

echo "| run | write delay / batching | offered deliveries | delivered/s | p50 / p99 / p99.9 | CPU engine + sim (processes) | machine busy (2 CPUs) | µs process CPU per delivery (engine + sim) | frames per send | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|"
if [[ "$ceiling_runs" != 0 ]]; then
  run_ceiling 1 0
  run_ceiling 1 100000
  run_ceiling 8 0
fi
for level in $levels; do
  run_level "${level%%:*}" "${level##*:}"
done
