import sys, collections, statistics
d = sys.argv[1]
sim = collections.defaultdict(list)   # slot -> list of (kind, ns)
ev_sim = []
for line in open(d + '/sim.trace'):
    ns, kind, key = map(int, line.split())
    ev_sim.append((ns, kind, key))
eng = []
for line in open(d + '/engine.trace'):
    ns, kind, key = map(int, line.split())
    eng.append((ns, kind, key))
# the storm: first close issued (15) by the sim during the load (not the final close_all)
closes = sorted(ns for ns, k, _ in ev_sim if k == 15)
t0 = closes[0]
print("storm t0 = first close issued; closes issued in first 16000: span %.1f ms" % ((closes[15999]-t0)/1e6))
# per slot cycles: the second 10 (intended) of each slot is the storm reopen
cyc = collections.defaultdict(list)
for ns, k, key in sorted(ev_sim):
    if k == 10:
        cyc[key].append({10: ns})
    elif cyc[key]:
        cyc[key][-1].setdefault(k, ns)
rows = [c[1] for c in cyc.values() if len(c) > 1]
print("storm reopens:", len(rows))
def pct(v, p): v = sorted(v); return v[min(len(v)-1, int(p*len(v)))]
def show(name, vals):
    vals = [v/1e6 for v in vals]
    print(f"{name:38s} p50 {pct(vals,.5):8.1f} p90 {pct(vals,.9):8.1f} p99 {pct(vals,.99):8.1f} max {max(vals):8.1f} ms")
show("intended -> connect issued", [r[11]-r[10] for r in rows])
show("connect issued -> ws open (101)", [r[12]-r[11] for r in rows if 12 in r])
show("ws open -> auth reply", [r[13]-r[12] for r in rows if 13 in r])
show("auth reply -> last subbed", [r[14]-r[13] for r in rows if 14 in r])
show("intended -> last subbed", [r[14]-r[10] for r in rows if 14 in r])
show("intended (rel t0)", [r[10]-t0 for r in rows])
# closing phase for the storm drops: first cycle's 15 -> 16
first = [c[0] for c in cyc.values() if c]
show("close issued -> closed (storm drop)", [c[16]-c[15] for c in first if 15 in c and 16 in c and c[15] < t0 + 2e9])
show("closed (rel t0)", [c[16]-t0 for c in first if 15 in c and 16 in c and c[15] < t0 + 2e9])
# timeline per 100 ms: sim events and engine events
bins = collections.defaultdict(collections.Counter)
for ns, k, key in ev_sim:
    if t0 - 2e8 <= ns < t0 + 2.5e9 and k != 5 and k != 10:
        bins[int((ns - t0) // 1e8)]['s%d' % k] += 1
for r in rows:
    bins[int((r[10] - t0) // 1e8)]['intend'] += 1
for ns, k, key in eng:
    if t0 - 2e8 <= ns < t0 + 2.5e9:
        if k == 5:
            bins[int((ns - t0) // 1e8)]['eturns'] += 1
            bins[int((ns - t0) // 1e8)]['ecqe'] += key
        else:
            bins[int((ns - t0) // 1e8)]['e%d' % k] += 1
for ns, k, key in ev_sim:
    if k == 5 and t0 - 2e8 <= ns < t0 + 2.5e9:
        bins[int((ns - t0) // 1e8)]['sturns'] += 1
        bins[int((ns - t0) // 1e8)]['scqe'] += key
cols = ['intend','s11','s12','s13','s14','s15','s16','sturns','scqe','e0','e1','e2','e3','e4','eturns','ecqe']
print("t(100ms) " + " ".join(f"{c:>6s}" for c in cols))
for b in sorted(bins):
    print(f"{b*100:8d} " + " ".join(f"{bins[b][c]:6d}" for c in cols))
# service order: rank correlation of intended order vs auth order
r2 = [r for r in rows if 13 in r]
by_int = sorted(range(len(r2)), key=lambda i: r2[i][10])
rank_auth = {i: n for n, i in enumerate(sorted(range(len(r2)), key=lambda i: r2[i][13]))}
disp = [abs(rank_auth[i] - n) for n, i in enumerate(by_int)]
print("service order: |rank(auth) - rank(intended)| p50 %d p90 %d p99 %d" % (pct(disp,.5), pct(disp,.9), pct(disp,.99)))
r3 = [r for r in rows if 12 in r]
by_iss = sorted(range(len(r3)), key=lambda i: r3[i][11])
rank_open = {i: n for n, i in enumerate(sorted(range(len(r3)), key=lambda i: r3[i][12]))}
disp = [abs(rank_open[i] - n) for n, i in enumerate(by_iss)]
print("open order vs issue order: |rank diff| p50 %d p90 %d p99 %d" % (pct(disp,.5), pct(disp,.9), pct(disp,.99)))
# engine turn durations: gaps between consecutive reap notes during storm
et = [ns for ns, k, key in eng if k == 5 and t0 <= ns < t0 + 2.5e9]
gaps = [b - a for a, b in zip(et, et[1:])]
if gaps: show("engine turn (reap to reap)", gaps)
st = [ns for ns, k, key in ev_sim if k == 5 and t0 <= ns < t0 + 2.5e9]
gaps = [b - a for a, b in zip(st, st[1:])]
if gaps: show("sim turn (reap to reap)", gaps)
