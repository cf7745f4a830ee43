#!/usr/bin/env python3
"""Summarises bench/e2e/batching_bench.sh runs: per load level (group, connections, offered
deliveries/s) and batching mode, the medians over repetitions of delivered/s, p50 and p99 (from
the intended publish time) and frames per send; then adaptive against the best fixed hold of that
level. "Best fixed" is the fixed hold with the highest median delivered/s; holds within 2% of it
count as equal and the one with the lowest p99 among them is taken.

With --plot FILE.png it also draws, with gnuplot, the hold adaptive batching chose (median of
its once-a-second samples joined by a line, every sample as a point) against the offered load,
one series per group.

Usage: bench/e2e/batching_summary.py [--plot FILE.png] RUN.jsonl [RUN.jsonl ...]
"""
import collections
import json
import statistics
import subprocess
import sys
import tempfile


def mode_of(row):
    if row.get("batching") == "adaptive":
        return "adaptive"
    return f"fixed {row['write_delay_us'] / 1000:g} ms"


def plot(cells, path):
    """Hold chosen against offered deliveries/s, one gnuplot series per group: every sample as a
    point, the median of each level's samples joined by a line."""
    series = collections.defaultdict(list)
    for ((group, conns, offered), mode), rows in cells.items():
        if mode == "adaptive":
            for row in rows:
                for hold in row.get("chosen_delay_us", []):
                    series[f"{group} ({conns:,} connections)"].append((offered, hold / 1000))
    with tempfile.TemporaryDirectory() as tmp:
        plots = []
        for i, (name, points) in enumerate(sorted(series.items())):
            data, medians = f"{tmp}/{i}.dat", f"{tmp}/{i}.med"
            with open(data, "w") as f:
                f.writelines(f"{x} {y}\n" for x, y in sorted(points))
            by_level = collections.defaultdict(list)
            for x, y in points:
                by_level[x].append(y)
            with open(medians, "w") as f:
                f.writelines(f"{x} {statistics.median(ys)}\n" for x, ys in sorted(by_level.items()))
            plots.append(f"'{medians}' using 1:2 with linespoints lc {i + 1} lw 2 pt 7 "
                         f"title '{name}, median'")
            plots.append(f"'{data}' using 1:2 with points lc {i + 1} pt 6 title 'samples'")
        script = (f"set terminal pngcairo size 900,480 font ',11'; set output '{path}';"
                  "set logscale x; set xlabel 'offered deliveries/s (one shard)';"
                  "set ylabel 'hold chosen (ms)'; set key top left; set grid;"
                  "set title 'Adaptive batching: hold chosen against load (samples once a second)';"
                  "plot " + ", ".join(plots))
        subprocess.run(["gnuplot", "-e", script], check=True)


def main(paths, plot_path=None):
    cells = collections.defaultdict(list)
    for path in paths:
        for line in open(path):
            row = json.loads(line)
            if row.get("kind") != "hexwire":
                continue
            group = row.get("tag", "").split("/")[0]
            level = (group, row["connections"], row["publishes_per_s"] * row["subscribers_per_channel"])
            cells[(level, mode_of(row))].append(row)
    levels = sorted({level for level, _ in cells}, key=lambda l: (l[0], l[2]))
    print("| group | connections | offered deliveries/s | batching | runs | delivered/s (median) | "
          "p50 ms | p99 ms | frames per send | hold chosen (adaptive, µs) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for level in levels:
        stats = {}
        for (lvl, mode), rows in sorted(cells.items()):
            if lvl != level:
                continue
            s = {"runs": len(rows),
                 "delivered": statistics.median(r["deliveries_per_s"] for r in rows),
                 "p50": statistics.median(r["p50_ms"] for r in rows),
                 "p99": statistics.median(r["p99_ms"] for r in rows),
                 "fps": statistics.median(r["frames_per_send"] for r in rows),
                 "errors": sum(r["errors"] for r in rows)}
            holds = [h for r in rows for h in r.get("chosen_delay_us", [])]
            s["holds"] = f"{min(holds):g}-{max(holds):g}" if holds and mode == "adaptive" else ""
            stats[mode] = s
            print(f"| {level[0]} | {level[1]:,} | {level[2]:,.0f} | {mode} | {s['runs']} | "
                  f"{s['delivered']:,.0f} | {s['p50']:.2f} | {s['p99']:.2f} | {s['fps']:.2f} | {s['holds']} |")
        fixed = {m: s for m, s in stats.items() if m.startswith("fixed")}
        if "adaptive" not in stats or not fixed:
            continue
        top = max(s["delivered"] for s in fixed.values())
        near = [(s["p99"], m) for m, s in fixed.items() if s["delivered"] >= 0.98 * top]
        best_mode = min(near)[1]
        best, ad = fixed[best_mode], stats["adaptive"]
        ratio = ad["delivered"] / best["delivered"]
        ok = ratio >= 0.9 and ad["p99"] <= best["p99"]
        verdicts.append(f"| {level[0]} | {level[1]:,} | {level[2]:,.0f} | {best_mode} | {ratio:.2f}x | "
                        f"{ad['p99']:.2f} vs {best['p99']:.2f} | {'met' if ok else 'NOT met'} |")
    print()
    print("| group | connections | offered deliveries/s | best fixed | adaptive / best fixed, delivered | "
          "p99 ms, adaptive vs best fixed | target (>= 0.9x, p99 no worse) |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(verdicts))
    if plot_path:
        plot(cells, plot_path)


if __name__ == "__main__":
    args = sys.argv[1:]
    plot_to = None
    if len(args) >= 2 and args[0] == "--plot":
        plot_to, args = args[1], args[2:]
    if not args:
        sys.exit(__doc__)
    main(args, plot_to)
