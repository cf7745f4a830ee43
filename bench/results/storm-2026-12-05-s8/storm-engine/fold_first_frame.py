# perf script output -> user-space samples by their first frame matching REGEX. Usage: fold_first_frame.py SCRIPT.txt REGEX
import sys, collections, re
exec(open(__import__('os').path.join(__import__('os').path.dirname(__file__), 'fold_user.py')).read().split('N=len(samples)')[0])
N=len(samples)
user=[s for s in samples if s and 'kernel' not in s[0][1]]
pat=re.compile(sys.argv[2])
c=collections.Counter(); c2=collections.Counter()
for s in user:
    who=None
    for i,(sym,dso) in enumerate(s):
        if pat.search(sym): who=sym[:130]; break
    c[who]+=1
    if who: c2[(who, s[0][0][:60])]+=1
for k,v in c.most_common(30): print(f"{100*v/N:5.2f} {k}")
print('---')
for k,v in c2.most_common(40): print(f"{100*v/N:5.2f} {k[0][:90]} <- {k[1]}")
