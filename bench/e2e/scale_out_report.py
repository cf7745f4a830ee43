#!/usr/bin/env python3
"""Turns the raw material of bench/e2e/scale_out.sh into JSON rows and medians.

  scale_out_report.py publish-cost TAG RUN CONNS CHANNELS RATE   one row (stdout) from TAG.* files
  scale_out_report.py publish-sha MONITOR_FILE                   the publish script's SHA1
  scale_out_report.py snapshot "ENGINE_PIDS" REDIS_PID SIM_PID   one CPU snapshot line
  scale_out_report.py nodes TAG BROKER NODES RUN ...             one row of the nodes sweep
  scale_out_report.py hold TAG RUN ...                           one row of the 100k hold
  scale_out_report.py medians ROWS_JSONL MODE                    medians of the rows of MODE
"""
import glob
import json
import os
import re
import statistics
import sys
import time


def info_fields(path):
    """`INFO` output as {field: value text}."""
    fields = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value
    return fields


def sub_fields(text):
    """'calls=3,usec=9,...' as {'calls': 3.0, 'usec': 9.0, ...}."""
    out = {}
    for part in text.split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


def command_stats(path):
    """{command: {calls, usec, usec_per_call, ...}} from INFO commandstats."""
    return {key[len("cmdstat_"):]: sub_fields(value)
            for key, value in info_fields(path).items() if key.startswith("cmdstat_")}


def latency_stats(path):
    """{command: {p50, p99, p99.9}} (µs) from INFO latencystats."""
    prefix = "latency_percentiles_usec_"
    return {key[len(prefix):]: sub_fields(value)
            for key, value in info_fields(path).items() if key.startswith(prefix)}


def cpu_seconds(path, suffix=""):
    fields = info_fields(path)
    return float(fields["used_cpu_user" + suffix]) + float(fields["used_cpu_sys" + suffix])


def sim_figures(path):
    """Ack/deliver latencies (ms) and rates of a hexwire-sim JSON report."""
    r = json.load(open(path))
    lat = r.get("latency_us", {})

    def ms(kind, q):
        entry = lat.get(kind) or {}
        return round(entry[q] / 1e3, 3) if entry.get("count") else None
    return {
        "acks_per_s": r["rates_per_s"].get("acks"),
        "deliveries_per_s": r["rates_per_s"].get("deliveries"),
        "ack_p50_ms": ms("ack", "p50"), "ack_p99_ms": ms("ack", "p99"),
        "deliver_p50_ms": ms("deliver", "p50"), "deliver_p99_ms": ms("deliver", "p99"),
        "errors": r.get("errors", {}).get("total"),
    }


def proc_cpu_s(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1] == str(pid):
                    out.append(int(entry))
            except (OSError, IndexError):
                pass
    return out


def snapshot(engine_pids, redis_pid, sim_pid):
    """The cpu_snapshot line of scale_out.sh."""
    engines = sum(proc_cpu_s(p) for p in engine_pids.split())
    redis = proc_cpu_s(redis_pid) if redis_pid else float("nan")
    sim = float("nan")
    if sim_pid:
        sim = proc_cpu_s(sim_pid) + sum(proc_cpu_s(c) for c in children(sim_pid))
    tck = os.sysconf("SC_CLK_TCK")
    cpu = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    busy = (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]) / tck
    total = sum(cpu) / tck
    return (f"engines={engines} redis={redis} sim={sim} machine_busy={busy} "
            f"machine_total={total} wall={time.time()}")


def publish_sha(monitor_path):
    """The SHA1 of the first EVALSHA with 9 keys and 7 arguments (the publish script)."""
    for line in open(monitor_path, encoding="utf-8", errors="replace"):
        args = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
        if len(args) == 3 + 9 + 7 and args[0].lower() == "evalsha" and args[2] == "9":
            return args[1]
    return ""


def per_publish(start_path, end_path, prefix=""):
    """Commands, script time and Redis CPU per publish between two snapshots (stats reset at the
    start). The publishes are counted by Redis itself: each publish script runs one XADD."""
    stats = command_stats(end_path)
    publishes = stats.get("xadd", {}).get("calls", 0)
    if not publishes:
        return {prefix + "error": "no XADD between the snapshots"}
    evalsha = stats.get("evalsha", {})
    inner = {cmd: s["calls"] for cmd, s in stats.items()
             if cmd not in ("evalsha", "info", "config|resetstat", "xlen")}
    cpu = cpu_seconds(end_path) - cpu_seconds(start_path)
    main = cpu_seconds(end_path, "_main_thread") - cpu_seconds(start_path, "_main_thread")
    return {
        prefix + "publishes": int(publishes),
        prefix + "evalsha_per_publish": round(evalsha.get("calls", 0) / publishes, 4),
        prefix + "evalsha_failed": evalsha.get("failed_calls", 0),
        prefix + "commands_in_script_per_publish": round(sum(inner.values()) / publishes, 2),
        prefix + "commands_per_publish": {
            cmd: round(calls / publishes, 3)
            for cmd, calls in sorted(inner.items(), key=lambda kv: -kv[1])},
        prefix + "script_usec_per_call": evalsha.get("usec_per_call"),
        prefix + "script_latency_usec": latency_stats(end_path).get("evalsha", {}),
        prefix + "redis_cpu_us_per_publish": round(cpu * 1e6 / publishes, 1),
        prefix + "redis_main_thread_cpu_us_per_publish": round(main * 1e6 / publishes, 1),
    }


def publish_cost_row(tag, run, conns, channels, rate):
    row = {"mode": "publish-cost", "run": run, "connections": conns, "channels": channels,
           "publish_rate": rate}
    row.update(per_publish(tag + ".window-start.txt", tag + ".window-end.txt"))
    row["redis_broker"] = sim_figures(tag + ".redis.json")
    row["memory_broker"] = sim_figures(tag + ".memory.json")
    for path in sorted(glob.glob(tag + ".bench-sub*.txt")):
        match = re.search(r"\.bench-sub(\d+)\.txt$", path)
        if match:
            row["bench_" + match.group(1) + "_subscribers"] = benchmark_figures(path[:-4])
    return row


def benchmark_figures(btag):
    """redis-benchmark of the publish script alone, from BTAG.{txt,start.txt,end.txt,xlen.txt}."""
    text = open(btag + ".txt", encoding="utf-8", errors="replace").read()
    rps = re.findall(r"([0-9.]+) requests per second", text)
    if not rps:
        return {"error": text.strip()[-300:]}
    row = {"publishes_per_s": float(rps[-1])}
    row.update(per_publish(btag + ".start.txt", btag + ".end.txt"))
    row["stream_length"] = int(open(btag + ".xlen.txt").read().strip() or 0)
    return row


def cpu_window(path):
    """CPU seconds per second of each part over the window between the two snapshot lines."""
    lines = [dict(kv.split("=") for kv in line.split()) for line in open(path) if "=" in line]
    if len(lines) < 2:
        return {}
    a, b = ({k: float(v) for k, v in line.items()} for line in lines[:2])
    wall = b["wall"] - a["wall"]
    out = {}
    for part in ("engines", "redis", "sim"):
        if b[part] == b[part]:  # nan at the end: gone (or never there); at the start: not yet
            out[part + "_cpu_per_s"] = round((b[part] - (a[part] if a[part] == a[part] else 0)) / wall, 3)
    total = b["machine_total"] - a["machine_total"]
    out["machine_busy_share"] = round((b["machine_busy"] - a["machine_busy"]) / total, 3) if total else None
    out["window_s"] = round(wall, 2)
    return out


def nodes_row(tag, broker, nodes, rate, run, conns, channels, sim_rc):
    row = {"mode": "nodes", "broker": broker, "nodes": nodes, "publish_rate": rate, "run": run,
           "connections": conns, "channels": channels, "sim_exit": sim_rc,
           "ramp_s": open(tag + ".ramp.txt").read().strip()}
    try:
        row.update(sim_figures(tag + ".json"))
        r = json.load(open(tag + ".json"))
        row["unsent"] = r.get("errors", {}).get("unsent")
        acks = row.get("acks_per_s") or 0
        row["deliveries_per_publish"] = round(row["deliveries_per_s"] / acks, 1) if acks else None
    except (OSError, ValueError, KeyError) as e:
        row["sim_error"] = str(e)
    row.update(cpu_window(tag + ".cpu.txt"))
    if broker != "redis":
        row.pop("redis_cpu_per_s", None)
    cpu = row.get("engines_cpu_per_s")
    if cpu and row.get("deliveries_per_s"):
        row["engine_cpu_us_per_delivery"] = round(cpu * 1e6 / row["deliveries_per_s"], 2)
    if broker == "redis":
        start, end = tag + ".redis-start.txt", tag + ".redis-end.txt"
        fields = info_fields(end)
        row["redis_used_memory_mb"] = round(int(fields.get("used_memory", 0)) / 2**20, 1)
        stats = command_stats(end)
        calls = stats.get("evalsha", {}).get("calls", 0) - command_stats(start).get("evalsha", {}).get("calls", 0)
        row["redis_scripts_in_window"] = int(calls)
    return row


def engines_memory(path):
    """[{port, pid, rss_kb, hwm_kb, connections}] from an engines_memory dump."""
    rows = []
    for line in open(path):
        parts = line.split()
        if len(parts) >= 5:
            rows.append({"port": int(parts[0]), "rss_kb": int(parts[2]), "hwm_kb": int(parts[3]),
                         "connections": int(float(parts[4]))})
    return rows


def engine_totals(path, names):
    """Each named unlabelled metric summed over the engines' /metrics dumps in `path`."""
    totals = dict.fromkeys(names, 0.0)
    try:
        for line in open(path):
            parts = line.split()
            if len(parts) == 2 and parts[0] in totals:
                totals[parts[0]] += float(parts[1])
    except OSError:
        pass
    return totals


def join_figures(tag):
    """The broker's join path over all engines: unavailable answers, join timeouts, channel
    subscriptions asked of Redis and their time to go live; SSUBSCRIBE/SUNSUBSCRIBE in Redis."""
    m = engine_totals(tag + ".metrics.txt", [
        "hexwire_redis_broker_unavailable_total", "hexwire_redis_broker_join_timeouts_total",
        "hexwire_redis_broker_joins_refused_total", "hexwire_redis_broker_channel_subscribes_total",
        "hexwire_redis_broker_catch_ups_total", "hexwire_redis_broker_first_live_seconds_sum",
        "hexwire_redis_broker_first_live_seconds_count"])
    row = {k.removeprefix("hexwire_redis_broker_"): int(v) for k, v in m.items()
           if not k.endswith("_seconds_sum") and not k.endswith("_seconds_count")}
    count = m["hexwire_redis_broker_first_live_seconds_count"]
    if count:
        row["first_live_mean_ms"] = round(m["hexwire_redis_broker_first_live_seconds_sum"] / count * 1e3, 1)
    # The Redis client of every engine (session 6): commands failed at their deadline (still queued
    # = never sent), late replies discarded, refusals at the in-flight bound, connections dropped.
    client = engine_totals(tag + ".metrics.txt", [
        "hexwire_redis_commands_timed_out_total", "hexwire_redis_commands_expired_queued_total",
        "hexwire_redis_late_replies_total", "hexwire_redis_commands_refused_total",
        "hexwire_redis_connections_unresponsive_total", "hexwire_redis_connections_lost_total",
        "hexwire_redis_reply_wait_seconds_sum", "hexwire_redis_reply_wait_seconds_count"])
    if client["hexwire_redis_reply_wait_seconds_count"]:
        row.update({k.removeprefix("hexwire_"): int(v) for k, v in client.items()
                    if not k.startswith("hexwire_redis_reply_wait")})
        row["redis_reply_wait_mean_ms"] = round(
            client["hexwire_redis_reply_wait_seconds_sum"] /
            client["hexwire_redis_reply_wait_seconds_count"] * 1e3, 1)
    ramp = command_stats(tag + ".redis-ramp-commandstats.txt")
    for command in ("ssubscribe", "sunsubscribe"):
        row[f"redis_ramp_{command}"] = int(ramp.get(command, {}).get("calls", 0))
    return row


def hold_row(tag, run, conns, nodes, processes, sim_rc):
    row = {"mode": "hold", "run": run, "connections": conns, "nodes": nodes,
           "sim_processes": processes, "sim_exit": sim_rc,
           "all_held_after_s": open(tag + ".ramp.txt").read().strip(),
           "wall_s": float(open(tag + ".wall.txt").read())}
    try:
        r = json.load(open(tag + ".json"))
        row.update(sim_figures(tag + ".json"))
        lat = r["latency_us"]
        for kind in ("connect", "subscribe"):
            entry = lat.get(kind) or {}
            row[kind + "_count"] = entry.get("count")
            for q in ("p50", "p99", "max"):
                if entry.get(q) is not None:
                    row[f"{kind}_{q}_ms"] = round(entry[q] / 1e3, 1)
        row["connects_opened"] = r["counters"].get("connects_opened")
        row["unsent"] = r.get("errors", {}).get("unsent")
        row["error_kinds"] = {k: v for k, v in r.get("errors", {}).items() if v and k != "total"}
        # hexwire-sim's count of each sub once (a retry of a refused sub is not a new one).
        facts = r.get("facts", {})
        for key, name in (("first_try", "chat subs subscribed at the first attempt"),
                          ("after_retry", "chat subs subscribed after a retry"),
                          ("failed", "chat subs failed (error after the last attempt)"),
                          ("retries_sent", "chat sub retries sent (unavailable answers retried)"),
                          ("retrying_at_end", "chat subs still waiting for a retry at the end")):
            if name in facts:
                row.setdefault("subs", {})[key] = facts[name]
    except (OSError, ValueError, KeyError) as e:
        row["sim_error"] = str(e)
    idle = engines_memory(tag + ".engines-idle.txt")
    hold = engines_memory(tag + ".engines-hold.txt")
    end = engines_memory(tag + ".engines-end.txt")
    per_conn = []
    for a, b in zip(idle, hold):
        if b["connections"]:
            per_conn.append((b["rss_kb"] - a["rss_kb"]) * 1024 / b["connections"])
    row["engines"] = [{"connections": b["connections"], "idle_rss_mb": round(a["rss_kb"] / 1024, 1),
                       "holding_rss_mb": round(b["rss_kb"] / 1024, 1),
                       "peak_rss_mb": round(c["hwm_kb"] / 1024, 1)}
                      for a, b, c in zip(idle, hold, end)]
    row["engine_connections_total"] = sum(b["connections"] for b in hold)
    row["engine_holding_rss_mb_total"] = round(sum(b["rss_kb"] for b in hold) / 1024, 1)
    row["engine_peak_rss_mb_max"] = round(max((c["hwm_kb"] for c in end), default=0) / 1024, 1)
    if per_conn:
        row["engine_rss_bytes_per_connection_median"] = round(statistics.median(per_conn))
        row["engine_rss_bytes_per_connection_max"] = round(max(per_conn))
    idle_r, hold_r, steady_r = (info_fields(tag + x) for x in
                                (".redis-idle.txt", ".redis-hold.txt", ".redis-steady.txt"))
    used_idle, used_hold = int(idle_r["used_memory"]), int(hold_r["used_memory"])
    row["redis_used_memory_mb"] = round(used_hold / 2**20, 1)
    row["redis_used_memory_rss_mb"] = round(int(hold_r["used_memory_rss"]) / 2**20, 1)
    row["redis_peak_memory_mb"] = round(int(steady_r.get("used_memory_peak", 0)) / 2**20, 1)
    if row["engine_connections_total"]:
        row["redis_bytes_per_connection"] = round((used_hold - used_idle) / row["engine_connections_total"])
    keys = re.search(r"keys=(\d+)", steady_r.get("db0", ""))
    row["redis_keys"] = int(keys.group(1)) if keys else 0
    ramp_stats = command_stats(tag + ".redis-ramp-commandstats.txt")
    row["redis_ramp_scripts"] = int(ramp_stats.get("evalsha", {}).get("calls", 0))
    row["redis_ramp_script_usec_per_call"] = ramp_stats.get("evalsha", {}).get("usec_per_call")
    steady_stats = command_stats(tag + ".redis-steady.txt")
    row["redis_steady_publishes"] = int(steady_stats.get("xadd", {}).get("calls", 0))
    for phase in ("ramp", "steady"):
        for key, value in cpu_window(f"{tag}.cpu-{phase}.txt").items():
            row[f"{phase}_{key}"] = value
    row["joins"] = join_figures(tag)
    return row


def flatten(row, prefix=""):
    out = {}
    for key, value in row.items():
        name = prefix + key
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = value
    return out


def medians(rows_path, mode, group_keys=()):
    """Per group (the values of group_keys), the median of every numeric field over the runs."""
    groups = {}
    for line in open(rows_path):
        row = json.loads(line)
        if row.get("mode") != mode:
            continue
        key = tuple(row.get(k) for k in group_keys)
        groups.setdefault(key, []).append(flatten(row))
    for key, rows in groups.items():
        names = sorted(set().union(*rows))
        med = {name: statistics.median(r[name] for r in rows if name in r) for name in names
               if name != "run"}
        med["runs"] = len(rows)
        print(json.dumps({"mode": mode, **dict(zip(group_keys, key)), "median": med}))


def main(argv):
    cmd = argv[1]
    if cmd == "snapshot":
        print(snapshot(argv[2], argv[3], argv[4]))
    elif cmd == "publish-sha":
        print(publish_sha(argv[2]))
    elif cmd == "publish-cost":
        print(json.dumps(publish_cost_row(argv[2], int(argv[3]), int(argv[4]), int(argv[5]),
                                          float(argv[6]))))
    elif cmd == "nodes":
        print(json.dumps(nodes_row(argv[2], argv[3], int(argv[4]), float(argv[5]), int(argv[6]),
                                   int(argv[7]), int(argv[8]), int(argv[9]))))
    elif cmd == "hold":
        print(json.dumps(hold_row(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]),
                                  int(argv[7]))))
    elif cmd == "medians":
        mode = argv[3]
        medians(argv[2], mode, {"nodes": ("broker", "nodes", "publish_rate")}.get(mode, ()))
    else:
        sys.exit(f"scale_out_report.py: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
