import sys
d=sys.argv[1]
off=int(open(d+'/mono_minus_real.txt').read())
t0=min(int(l.split()[0]) for l in open(d+'/sim.trace') if l.split()[1]=='15')
out=[]
for l in open(d+'/listenq.txt'):
    p=l.split()
    if len(p)<3: continue
    mono=int(float(p[0])*1e9)+off
    rel=(mono-t0)/1e6
    if -200<rel<2600: out.append(f"{rel:.0f}:{p[2]}")
print(' '.join(out))
