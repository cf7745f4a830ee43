#!/usr/bin/env python3
"""CPU-seconds per kind of build step from a scripts/build_cost.sh log.

Usage: scripts/build_cost_summary.py LOG [TOP]
LOG lines are "user sys wall output" (one per compile or link step); TOP (default 15) is how many
of the most expensive steps to list. Kinds: library objects (module code, sim/cases apart), test
objects, benchmark objects, fuzzer objects (their own instrumented copies of the code under test),
the header check, Catch2's runner, the tests' precompiled header, and links.
"""
import collections
import sys


def kind(output):
    if output.endswith(".pch"):
        return "precompiled header (tests)"
    if not output.endswith(".o"):
        if "_fuzz" in output:
            return "link: fuzzers"
        if output.startswith("tests/"):
            return "link: tests"
        if output.startswith("bench/"):
            return "link: benchmarks"
        return "link: tools"
    if "hexwire_header_check" in output:
        return "objects: header check"
    if "catch_main" in output:
        return "objects: Catch2 runner"
    if "_fuzz.dir" in output or output.startswith("tests/fuzz"):
        return "objects: fuzzers"
    if output.startswith("tests/"):
        return "objects: tests"
    if output.startswith("bench/"):
        return "objects: benchmarks"
    if output.startswith("sim/cases/"):
        return "objects: library sim/cases"
    return "objects: libraries and tools"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    steps = []
    with open(path) as log:
        for line in log:
            fields = line.split()
            if len(fields) < 4:
                continue
            try:
                cpu = float(fields[0]) + float(fields[1])
            except ValueError:
                continue  # a "Command exited with non-zero status" line
            steps.append((cpu, fields[3]))
    totals = collections.defaultdict(lambda: [0, 0.0])
    for cpu, output in steps:
        entry = totals[kind(output)]
        entry[0] += 1
        entry[1] += cpu
    print(f"{'kind':34s} {'steps':>5s} {'CPU-s':>8s}")
    for name, (count, cpu) in sorted(totals.items(), key=lambda item: -item[1][1]):
        print(f"{name:34s} {count:5d} {cpu:8.1f}")
    print(f"{'total':34s} {len(steps):5d} {sum(cpu for cpu, _ in steps):8.1f}")
    print(f"\nmost expensive steps (CPU-s):")
    for cpu, output in sorted(steps, reverse=True)[:top]:
        print(f"{cpu:8.2f}  {output}")


if __name__ == "__main__":
    main()
