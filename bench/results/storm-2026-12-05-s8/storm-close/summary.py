#!/usr/bin/env python3
"""Medians per arm of an ab*.txt produced by ab1.sh: subscribe p99, engine CPU-s, TcpOutSegs."""
import re, statistics, sys
arms = {}
for line in open(sys.argv[1]):
    m = re.match(r'(\S+)-(\d+) "subscribe_p99_ms": ([\d.]+) cpu_user_s=([\d.]+) cpu_sys_s=([\d.]+) outsegs=(\d+)', line)
    if m:
        arm = arms.setdefault(m[1], [])
        arm.append((float(m[3]), float(m[4]) + float(m[5]), int(m[6])))
for name, rows in arms.items():
    p99 = [r[0] for r in rows]
    print(f"{name:10} runs {len(rows)}  subscribe p99 median {statistics.median(p99):7.1f} ms "
          f"({' / '.join(f'{x:.0f}' for x in p99)})  engine CPU-s median {statistics.median(r[1] for r in rows):.2f}"
          f"  TcpOutSegs median {statistics.median(r[2] for r in rows):,.0f}")
