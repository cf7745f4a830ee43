#!/usr/bin/env python3
"""Reads two /metrics snapshots of one engine (Prometheus text, taken SECONDS apart) and prints
what happened between them: each counter's rate, each latency histogram's count per second and
exact mean over the window (from _sum and _count), next to its p50/p99 since start-up (hexwire
exports summaries, whose quantiles are cumulative), and the gauges at the end. scripts/profile.sh
writes this beside the flame graph so the per-stage times can be read against the profile.

Usage: scripts/metrics_window.py BEFORE.txt AFTER.txt SECONDS
"""
import re
import sys

SAMPLE = re.compile(r'^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)$')


def read(path):
    """{(name, labels): value} for the unlabelled totals and quantiles; {name: type}."""
    values, types = {}, {}
    for line in open(path):
        if line.startswith("# TYPE"):
            _, _, name, kind = line.split()
            types[name] = kind
            continue
        match = SAMPLE.match(line.strip())
        if not match or "shard=" in (match.group("labels") or ""):
            continue
        values[(match.group("name"), match.group("labels") or "")] = float(match.group("value"))
    return values, types


def main(before_path, after_path, seconds):
    before, _ = read(before_path)
    after, types = read(after_path)
    lines = [f"window: {seconds:g} s", "", "counters (per second over the window, non-zero only):"]
    for name, kind in sorted(types.items()):
        if kind == "counter":
            rate = (after.get((name, ""), 0) - before.get((name, ""), 0)) / seconds
            if rate:
                lines.append(f"  {name:<48} {rate:>14,.1f}/s")
    lines += ["", "histograms: events/s and mean over the window; p50 / p99 since start-up:"]
    for name, kind in sorted(types.items()):
        if kind != "summary":
            continue
        count = after.get((f"{name}_count", ""), 0) - before.get((f"{name}_count", ""), 0)
        total = after.get((f"{name}_sum", ""), 0) - before.get((f"{name}_sum", ""), 0)
        if count <= 0:
            continue
        p50 = after.get((name, 'quantile="0.5"'), float("nan"))
        p99 = after.get((name, 'quantile="0.99"'), float("nan"))
        lines.append(f"  {name:<48} {count / seconds:>12,.0f}/s  mean {total / count * 1e6:9.1f} us"
                     f"  p50 {p50 * 1e6:9.1f} us  p99 {p99 * 1e6:9.1f} us")
    lines += ["", "gauges at the end:"]
    for name, kind in sorted(types.items()):
        if kind == "gauge" and (name, "") in after:
            lines.append(f"  {name:<48} {after[(name, '')]:>14,.0f}")
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
