#!/usr/bin/env python3
"""Turns the raw material of bench/e2e/scale_out.sh into JSON rows and medians.

  scale_out_report.py publish-cost TAG RUN CONNS CHANNELS RATE   one row (stdout) from TAG.* files
  scale_out_report.py publish-sha MONITOR_FILE                   the publish script's SHA1
  scale_out_report.py nodes TAG BROKER NODES RUN ...             one row of the nodes sweep
  scale_out_report.py hold TAG RUN ...                           one row of the 100k hold
  scale_out_report.py medians ROWS_JSONL MODE                    medians of the rows of MODE
"""
import glob
import json
import re
import statistics
import sys


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
    if cmd == "publish-sha":
        print(publish_sha(argv[2]))
    elif cmd == "publish-cost":
        print(json.dumps(publish_cost_row(argv[2], int(argv[3]), int(argv[4]), int(argv[5]),
                                          float(argv[6]))))
    elif cmd == "medians":
        mode = argv[3]
        medians(argv[2], mode, {"nodes": ("broker", "nodes")}.get(mode, ()))
    else:
        sys.exit(f"scale_out_report.py: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
