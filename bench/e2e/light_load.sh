#!/usr/bin/env bash
# Light-load latency of fan-out (#16: "p99 < 1 ms at <= 10% of the sustainable rate"), measured
# with nothing else running during the run: fanout_bench.sh samples /metrics and /proc once a
# second (a curl and a few awk processes), which on this 2-CPU machine puts milliseconds into the
# tail of a light load. Here the only processes are the engine (one shard, default adaptive
# batching, or BATCHING_FLAGS) and `hexwire-sim chat` (one thread): CONNS connections in channels of
# FANOUT subscribers, RATE deliveries/s in all, 100-byte messages, Poisson publishes; latency is
# publish -> each subscriber from the intended publish time. Each repetition first runs the same
# rate over plain loopback TCP with no hexwire code (loopback_ceiling, one 100-byte message per
# send to CONNS connections): the machine's own floor for the tail; then, before each fan-out, the
# same with the messages due FANOUT at a time, one to each of FANOUT connections in a row (what
# one publish to a channel of FANOUT subscribers asks of the kernel): that fan-out's floor.
# Usage: bench/e2e/light_load.sh [BUILD_DIR=build/release] OUT_JSONL [REPEAT=3]
# Knobs: CONNS=1000 RATE=10000 FANOUTS="100 10" SECONDS_PER_RUN=8 BATCHING_FLAGS="" TAG=""
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build/release}
out=${2:?usage: light_load.sh BUILD_DIR OUT_JSONL [REPEAT]}
repeat=${3:-3}
conns=${CONNS:-1000}
rate=${RATE:-10000}
fanouts=${FANOUTS:-"100 10"}
seconds=${SECONDS_PER_RUN:-8}
batching_flags=${BATCHING_FLAGS:-}
tag=${TAG:-}
# shellcheck source=engine_lib.sh
source "$root/bench/e2e/engine_lib.sh"
fanout_binaries "$root" "$build"
work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n "${engine_pid:-}" ]] && kill "$engine_pid" 2>/dev/null || true' EXIT

record() {  # KIND REP FANOUT JSON_FROM_TOOL_OR_REPORT_PATH
  python3 - "$@" "$out" "$tag" "$conns" "$rate" "$batching_flags" <<'PY'
import json, sys
kind, rep, fanout, source, out, tag, conns, rate, flags = sys.argv[1:]
row = {"kind": kind, "tag": tag, "rep": int(rep), "connections": int(conns), "offered_per_s": float(rate)}
if kind == "loopback_ceiling":
    r = json.loads(source)
    row.update(p50_ms=r["p50_us"] / 1e3, p99_ms=r["p99_us"] / 1e3, p999_ms=r["p999_us"] / 1e3,
               delivered_per_s=r["received_per_s"], burst=r.get("burst", 1))
else:
    r = json.load(open(source))
    lat = r["latency_us"]["deliver"]
    row.update(subscribers_per_channel=int(fanout), batching_flags=flags,
               delivered_per_s=round(r["rates_per_s"]["deliveries"]), errors=r["errors"]["total"],
               p50_ms=lat["p50"] / 1e3, p99_ms=lat["p99"] / 1e3, p999_ms=lat["p99_9"] / 1e3,
               per_second_p99_ms=[i["deliver"]["p99"] / 1e3 if "deliver" in i else None
                                  for i in r["intervals"]])
name = (f"plain TCP, bursts of {row['burst']}, 1 message per send" if kind == "loopback_ceiling"
        else f"hexwire, fan-out {fanout}")
print(f"| {rep} | {name} | {row['delivered_per_s']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
      f"{row['p999_ms']:.2f} |")
with open(out, "a") as f:
    f.write(json.dumps(row) + "\n")
PY
}

echo "| repetition | run | delivered/s | p50 ms | p99 ms | p99.9 ms |"
echo "|---|---|---|---|---|---|"
for rep in $(seq "$repeat"); do
  line=$("$ceiling" --connections "$conns" --size 100 --batch 1 --rate "$rate" --seconds "$seconds" 2>/dev/null)
  record loopback_ceiling "$rep" 1 "$line"
  for fanout in $fanouts; do
    line=$("$ceiling" --connections "$conns" --size 100 --batch 1 --burst "$fanout" --rate "$rate" \
      --seconds "$seconds" 2>/dev/null)
    record loopback_ceiling "$rep" "$fanout" "$line"
    # shellcheck disable=SC2086
    start_engine "$engine" --shards 1 --ws-op-rate 0 --ws-expensive-op-rate 0 --ws-publish-rate 0 \
      $batching_flags
    "$sim" chat --url "ws://127.0.0.1:$port" --threads 1 --connections "$conns" --ramp-rate 5000 \
      --channels $((conns / fanout)) --channels-per-user 1 --zipf-s 0 --message-size 100 \
      --churn 0 --read-sync-rate 0 --publish-rate $((rate / fanout)) --duration "$seconds" \
      --report "$work/report.json" >"$work/sim.log" 2>&1
    stop_engine
    record hexwire "$rep" "$fanout" "$work/report.json"
  done
done
