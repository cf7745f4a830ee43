import sys
d=sys.argv[1]
sim=[tuple(map(int,l.split())) for l in open(d+'/sim.trace')]
eng=[tuple(map(int,l.split())) for l in open(d+'/engine.trace')]
t0=min(ns for ns,k,_ in sim if k==15)
def times(evs, kind, start):
    return sorted(ns for ns,k,_ in evs if k==kind and ns>=start)
series = [('intended',times(sim,10,t0-1),1),('s:conn issued',times(sim,11,t0),1),('e:accept',times(eng,0,t0),1),('e:ws open',times(eng,1,t0),1),('s:101',times(sim,12,t0),1),('e:auth',times(eng,2,t0),1),('s:auth',times(sim,13,t0),1),('e:subbed',times(eng,3,t0),4),('s:all subbed',times(sim,14,t0),1),('s:closed',times(sim,16,t0),1),('e:closed()',times(eng,4,t0),2)]
ks=[500,2000,4000,8000,12000,15000,15840,16000]
print(f"{'k-th event (ms after t0)':24s}"+''.join(f"{k:>8d}" for k in ks))
for name,ts,m in series:
    row=[]
    for k in ks:
        i=k*m-1
        row.append(f"{(ts[i]-t0)/1e6:8.0f}" if i < len(ts) else "       -")
    print(f"{name:24s}"+''.join(row))
