#!/usr/bin/env bash
# Connection storms against one engine (issue #11, section 1). Two phases per run, each on a fresh
# `hexwire --shards 1` (anonymous, free port):
#   join:  the issue's command — CONNS connections (16,000) ramp in at 8,000/s, each subscribes to
#          PER_USER (4) of CHANNELS (100) channels (about 640 members per channel), 10 publishes/s;
#   storm: the same, then STORM_AT seconds into the load every connection drops and comes back
#          within 1 s, resuming every channel with `since` (and `epoch`) (hexwire-sim
#          --reconnect-storm; skipped when the simulator has no such flag); each drop is a
#          WebSocket closing handshake (a client that leaves politely);
#   storm-reset: the storm with every connection dropped by a TCP reset instead (hexwire-sim
#          --storm-drop reset: what the engine sees of a client whose process or network died);
#   join4: (opt-in, PHASES="join join4 storm") the join with the simulator's connections spread
#          over 4 source addresses (--source-addrs 127.0.0.1-127.0.0.4): the same load on the
#          engine, but the simulator's kernel no longer searches for a source port on each
#          connect() once one source holds ~14,000 (bench/e2e/README.md "Connection storms").
# Both run with --verify (nothing lost, duplicated or unrecovered) and, when the simulator has
# --presence-share, with PRESENCE_SHARE of the users asking for presence. Per phase it records
# the connections whose every `sub` was answered (`subbed`) against the connections opened,
# connect and subscribe p99 (subscribe = intended open -> last `subbed`), the engine's peak RSS
# (VmHWM), the bytes it sent and its presence counters from /metrics, the kernel's listen-queue
# overflows and SYN retransmits during the run (/proc/net/netstat), and the verifier's counts.
# Prints one JSON row per phase and run and the medians per phase; writes every report and row to
# OUT_DIR. Run it under `quiet` (the machine otherwise idle) when quoting figures.
# Usage: bench/e2e/storm.sh [BUILD_DIR=build/release] [OUT_DIR=bench/results/storm-<date>]
# Knobs (environment): RUNS=3 CONNS=16000 CHANNELS=100 PER_USER=4 PRESENCE_SHARE=0 STORM_AT=3
#   DURATION=4 (join) STORM_DURATION=7 PHASES="join storm storm-reset" SHARDS=1 (the issue's configuration)
#   ENGINE_ARGS="" SIM_ARGS=""
#   (e.g. --pipeline-subs: each connection's subs go right behind its auth) ENGINE=<hexwire binary>
#   SIM=<hexwire-sim binary> (defaults: those of BUILD_DIR)
#   ENGINE_CPUS="" SIM_CPUS="" (taskset -c lists, e.g. ENGINE_CPUS=0 SIM_CPUS=1 gives the load
#   generator a core of its own; empty: the scheduler places both, as in the issue's rows)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build/release}
out=${2:-$root/bench/results/storm-$(date -u +%Y-%m-%d)}
runs=${RUNS:-3}
conns=${CONNS:-16000}
channels=${CHANNELS:-100}
per_user=${PER_USER:-4}
presence_share=${PRESENCE_SHARE:-0}
storm_at=${STORM_AT:-3}
duration=${DURATION:-4}
storm_duration=${STORM_DURATION:-7}
phases=${PHASES:-"join storm storm-reset"}
engine=${ENGINE:-$root/$build/app/hexwire}
sim=${SIM:-$root/$build/sim/tools/hexwire-sim}
engine_cpus=${ENGINE_CPUS:-}
sim_cpus=${SIM_CPUS:-}
for bin in "$engine" "$sim"; do
  [[ -x "$bin" ]] || { echo "storm: $bin missing (cmake --build $build --target hexwire hexwire-sim)"; exit 1; }
done
# CPU pinning (opt-in): the simulator runs under `taskset -c SIM_CPUS`; the engine through a
# wrapper that execs `taskset -c ENGINE_CPUS` (start_engine puts its own flags right after the
# binary; exec keeps the pid whose VmHWM is read).
sim_cmd=("$sim")
if [[ -n "$sim_cpus" ]]; then
  taskset -c "$sim_cpus" true || { echo "storm: SIM_CPUS='$sim_cpus' is not a CPU list taskset accepts"; exit 1; }
  sim_cmd=(taskset -c "$sim_cpus" "$sim")
fi
engine_cmd=$engine
if [[ -n "$engine_cpus" ]]; then
  taskset -c "$engine_cpus" true || { echo "storm: ENGINE_CPUS='$engine_cpus' is not a CPU list taskset accepts"; exit 1; }
  engine_cmd=$(mktemp)
  printf '#!/bin/sh\nexec taskset -c %q %q "$@"\n' "$engine_cpus" "$engine" >"$engine_cmd"
  chmod +x "$engine_cmd"
fi
need_fds=$((conns + 1000))  # the simulator and the engine each hold one socket per connection
if (($(ulimit -n) < need_fds)); then
  ulimit -n "$need_fds" 2>/dev/null || { echo "storm: ulimit -n $(ulimit -n) < $need_fds"; exit 1; }
fi
mkdir -p "$out"
: >"$out/rows.jsonl"
trap '[[ -n "${engine_pid:-}" ]] && kill "$engine_pid" 2>/dev/null; [[ "$engine_cmd" != "$engine" ]] && rm -f "$engine_cmd"; true' EXIT
# shellcheck source=engine_lib.sh
source "$root/bench/e2e/engine_lib.sh"

sim_help=$("$sim" chat --help)
has_flag() { grep -q -- "$1" <<<"$sim_help"; }
presence_args=()
if has_flag --presence-share; then
  presence_args=(--presence-share "$presence_share")
else
  echo "storm: this hexwire-sim has no --presence-share; nobody asks for presence"
fi

metric() { awk -v name="$2" '$1 == name {print $2}' "$1"; }

# The kernel's TCP listen counters (system-wide, from /proc/net/netstat): an accept queue that
# overflows drops the handshake's last ACK and the client's SYN is retransmitted after 1 s, so
# these explain connect latencies of about 1 s and 3 s. Other loopback traffic on the machine
# counts too: run under `quiet`.
tcp_listen_counters() {
  awk '$1 == "TcpExt:" { if (!names) { for (i = 2; i <= NF; i++) n[i] = $i; names = 1 }
                         else for (i = 2; i <= NF; i++) if (n[i] ~ /^(ListenOverflows|ListenDrops|TCPSynRetrans)$/) print n[i], $i }' \
    /proc/net/netstat
}

run_phase() {
  local phase=$1 run=$2 tag="$out/$1-$2"
  local args=(--duration "$duration")
  if [[ "$phase" == join4 ]]; then
    args=(--duration "$duration" --source-addrs 127.0.0.1-127.0.0.4)
  elif [[ "$phase" == storm || "$phase" == storm-reset ]]; then
    if ! has_flag --reconnect-storm; then
      echo "storm: this hexwire-sim has no --reconnect-storm; phase '$phase' skipped"
      return 0
    fi
    # The comeback opens a second set of connections while the first set's ports sit in
    # TIME_WAIT: more source addresses than the ~28k ephemeral ports of one.
    args=(--duration "$storm_duration" --reconnect-storm "$storm_at" --source-addrs 127.0.0.1-127.0.0.4)
    if [[ "$phase" == storm-reset ]]; then
      if ! has_flag --storm-drop; then
        echo "storm: this hexwire-sim has no --storm-drop; phase 'storm-reset' skipped"
        return 0
      fi
      args+=(--storm-drop reset)
    fi
  fi
  # shellcheck disable=SC2086
  start_engine "$engine_cmd" --shards "${SHARDS:-1}" ${ENGINE_ARGS:-}
  tcp_listen_counters >"$tag.kernel-before.txt"
  local sim_rc=0
  # shellcheck disable=SC2086
  "${sim_cmd[@]}" chat --url "ws://127.0.0.1:$port" --connections "$conns" --channels "$channels" \
    --channels-per-user "$per_user" --publish-rate 10 --churn 0 --read-sync-rate 0 \
    --ramp-rate 8000 --threads 1 --verify "${presence_args[@]}" "${args[@]}" ${SIM_ARGS:-} \
    --report "$tag.json" >"$tag.sim.txt" 2>&1 || sim_rc=$?
  tcp_listen_counters >"$tag.kernel-after.txt"
  grep -E '^VmHWM' "/proc/$engine_pid/status" >"$tag.engine.txt"
  curl -s "127.0.0.1:$port/metrics" | grep -v '{' >>"$tag.engine.txt"
  stop_engine
  python3 - "$phase" "$run" "$tag" "$sim_rc" "$conns" "$per_user" "$engine_cpus" "$sim_cpus" <<'PY' | tee -a "$out/rows.jsonl"
import json, os, sys
phase, run, tag, sim_rc, conns, per_user = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
engine_cpus, sim_cpus = sys.argv[7], sys.argv[8]
engine = {}
for line in open(tag + ".engine.txt"):
    parts = line.split()
    if parts and parts[0] == "VmHWM:":
        engine["peak_rss_mb"] = int(parts[1]) / 1024
    elif len(parts) == 2 and not parts[0].startswith("#"):
        engine[parts[0]] = float(parts[1])
row = {"phase": phase, "run": run, "sim_exit": sim_rc, "engine_peak_rss_mb": round(engine.get("peak_rss_mb", 0), 1),
       "engine_sent_mb": round(engine.get("hexwire_bytes_sent_total", 0) / 2**20, 1),
       "presence_events": int(engine.get("hexwire_pubsub_presence_events_total", 0)),
       "presence_counts": int(engine.get("hexwire_pubsub_presence_counts_total", 0))}
if engine_cpus or sim_cpus:
    row["engine_cpus"], row["sim_cpus"] = engine_cpus or "any", sim_cpus or "any"
if os.path.exists(tag + ".json"):
    r = json.load(open(tag + ".json"))
    lat = r.get("latency_us", {})
    def p99_ms(kind):
        return round(lat[kind]["p99"] / 1e3, 1) if kind in lat and lat[kind].get("count") else None
    v = r.get("verification") or {}
    # A connection is "subscribed" once every one of its `sub`s was answered `subbed` (one sample
    # of the subscribe latency); each connects once, and in the storm once more on its way back.
    row["subscribed_expected"] = conns * (2 if phase.startswith("storm") else 1)
    row["subscribed"] = lat.get("subscribe", {}).get("count")
    row["subscription_windows"] = v.get("subscriptions")
    row["connect_p99_ms"] = p99_ms("connect")
    row["subscribe_p99_ms"] = p99_ms("subscribe")
    row["deliveries"] = r["counters"].get("deliveries", r["counters"].get("received"))
    for key in ("lost", "duplicated", "reordered", "unrecovered", "new_epochs", "clean"):
        row[key] = v.get(key)
    row["errors"] = r["errors"]["total"]
def counters(path):
    return {name: int(value) for name, value in (line.split() for line in open(path) if line.strip())}
before, after = counters(tag + ".kernel-before.txt"), counters(tag + ".kernel-after.txt")
for name, key in (("ListenOverflows", "listen_overflows"), ("TCPSynRetrans", "syn_retransmits")):
    row[key] = after.get(name, 0) - before.get(name, 0)
print(json.dumps(row))
PY
}

for run in $(seq "$runs"); do
  for phase in $phases; do
    run_phase "$phase" "$run"
  done
done

python3 - "$out/rows.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for phase in sorted({r["phase"] for r in rows}):
    mine = [r for r in rows if r["phase"] == phase]
    summary = {"phase": phase, "runs": len(mine)}
    for key in ("subscribed", "subscription_windows", "connect_p99_ms", "subscribe_p99_ms", "engine_peak_rss_mb",
                "engine_sent_mb", "presence_events", "presence_counts", "lost", "duplicated",
                "unrecovered", "errors", "listen_overflows", "syn_retransmits"):
        values = [r[key] for r in mine if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
        summary[key] = statistics.median(values) if values else None
    summary["subscribed_expected"] = mine[0].get("subscribed_expected")
    summary["all_clean"] = all(r.get("clean") for r in mine)
    print("median", json.dumps(summary))
PY
