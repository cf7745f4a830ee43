#!/usr/bin/env python3
"""storm-summary.py OUT [FROM_S TO_S]: reads OUT/perf.data (perf record -e cpu-clock -F 1999 -a)
and prints, per 0.1 s, the samples of the engine's shard thread (hw-shard-0) and of the
simulator's thread (hexwire-sim) (200 = one full CPU), then the hottest symbols of each inside
[FROM_S, TO_S) seconds from the first sample (default: the whole recording), grouped as kernel
[k] or user [.] symbols, and the share of kernel time per process."""
import collections, subprocess, sys

out = sys.argv[1]
lo = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
hi = float(sys.argv[3]) if len(sys.argv) > 3 else 1e9
text = subprocess.run(["perf", "script", "-i", f"{out}/perf.data", "-F", "comm,time,ip,sym,dso"],
                      capture_output=True, text=True, errors="replace").stdout
procs = {"hw-shard-0": "engine", "hexwire-sim": "sim"}
buckets = collections.defaultdict(lambda: collections.Counter())
syms = {p: collections.Counter() for p in procs.values()}
kernel = collections.Counter()
total = collections.Counter()
t0 = None
for line in text.splitlines():
    parts = line.split(None, 2)
    if len(parts) < 3:
        continue
    comm, stamp, rest = parts
    try:
        t = float(stamp.rstrip(":"))
    except ValueError:
        continue
    t0 = t if t0 is None else t0
    who = procs.get(comm)
    if who is None:
        continue
    dt = t - t0
    buckets[int(dt * 10)][who] += 1
    if not lo <= dt < hi:
        continue
    fields = rest.split(None, 1)
    sym = fields[1] if len(fields) > 1 else "?"
    is_kernel = "[kernel" in sym
    name = sym.rsplit(" (", 1)[0].split("+0x")[0].strip()
    syms[who][("[k] " if is_kernel else "[.] ") + name] += 1
    total[who] += 1
    kernel[who] += is_kernel
print("# per 0.1 s from the first sample: samples of the engine shard / the simulator thread (200 = a full CPU)")
for b in sorted(buckets):
    print(f"{b / 10:5.1f} s  engine {buckets[b]['engine']:4d}  sim {buckets[b]['sim']:4d}")
print(f"\n# window [{lo}, {hi}) s: samples, kernel share, hottest symbols")
for who in ("engine", "sim"):
    n = total[who] or 1
    print(f"\n## {who}: {total[who]} samples ({total[who] / 1999:.2f} CPU-s), kernel {100 * kernel[who] / n:.1f}%")
    for name, count in syms[who].most_common(40):
        print(f"  {100 * count / n:5.2f}%  {name}")
