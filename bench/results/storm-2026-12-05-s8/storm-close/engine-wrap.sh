#!/usr/bin/env bash
# ENGINE= wrapper for bench/e2e/storm.sh: execs BIN (pinned to PIN_CPU when set); a watcher
# appends one line to CPU_LOG when it exits: the engine's user and system CPU seconds over its
# life (/proc/PID/stat, sampled every 0.1 s, so its last 0.1 s — shutdown — is missed) and the
# kernel's TcpOutSegs delta over the same time (/proc/net/snmp: every TCP segment sent on the
# machine, so both sides of loopback; run under `quiet`).
# Usage: BIN=... CPU_LOG=... [PIN_CPU=0] engine-wrap.sh ARGS...
outsegs() { awk '$1 == "Tcp:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "OutSegs") c = i; h = 1 } else print $c }' /proc/net/snmp; }
pid=$$
(
  before=$(outsegs)
  ticks="0 0"
  while [[ -e /proc/$pid/stat ]]; do
    now=$(awk '{print $14, $15}' "/proc/$pid/stat" 2>/dev/null) && [[ -n "$now" ]] && ticks=$now
    sleep 0.1
  done
  after=$(outsegs)
  hz=$(getconf CLK_TCK)
  read -r ut st <<<"$ticks"
  echo "cpu_user_s=$(awk -v t="$ut" -v h="$hz" 'BEGIN{print t/h}') cpu_sys_s=$(awk -v t="$st" -v h="$hz" 'BEGIN{print t/h}') outsegs=$((after - before))" >>"$CPU_LOG"
) </dev/null >/dev/null 2>&1 &
if [[ -n "${PIN_CPU:-}" ]]; then
  exec taskset -c "$PIN_CPU" "$BIN" "$@"
fi
exec "$BIN" "$@"
