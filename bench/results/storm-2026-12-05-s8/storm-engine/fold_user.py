# perf script -F comm,tid,time,ip,sym,dso output -> inclusive user-space shares and malloc/free callers. Usage: fold_user.py SCRIPT.txt [TOP]
import sys, collections, re
samples=[]; cur=None
for line in open(sys.argv[1]):
    if not line.strip():
        if cur is not None: samples.append(cur); cur=None
        continue
    if not line.startswith('\t') and not line.startswith(' '):
        cur=[]; continue
    parts=line.strip().split(None,1)
    if len(parts)<2: continue
    rest=parts[1]
    m=re.match(r'(.*) \((.*)\)$', rest)
    sym,dso=(m.group(1),m.group(2)) if m else (rest,'')
    if sym.endswith(' (inlined)') : sym=sym[:-10]; dso='inl'
    cur.append((sym,dso))
if cur: samples.append(cur)
N=len(samples)
user=[s for s in samples if s and 'kernel' not in s[0][1]]
print("samples",N,"user-leaf",len(user))
incl=collections.Counter()
for s in user:
    seen=set()
    for sym,dso in s:
        k=sym[:140]
        if k not in seen: seen.add(k); incl[k]+=1
print("== inclusive over user-leaf samples (% of all samples)")
for k,v in incl.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 80):
    print(f"{100*v/N:5.2f} {k}")
alloc=re.compile(r'malloc|free|_int_|unlink_chunk|sysmalloc|operator new|operator delete|consolidate')
attr=collections.Counter()
for s in user:
    if not alloc.search(s[0][0]): continue
    who='?'
    for sym,dso in s:
        if alloc.search(sym) or sym.startswith('std::') or sym.startswith('__') : continue
        who=sym[:150]; break
    attr[who]+=1
print("== malloc/free leaf samples by first caller")
for k,v in attr.most_common(40): print(f"{100*v/N:5.2f} {k}")
