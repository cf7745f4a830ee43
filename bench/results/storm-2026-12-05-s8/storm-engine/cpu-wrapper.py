#!/usr/bin/env python3
# ENGINE wrapper for storm.sh: runs $ENGINE_BIN with the given arguments as a child, forwards
# SIGINT/SIGTERM to it, and after it exits appends "$CPU_TAG user_s system_s" of the child
# (getrusage RUSAGE_CHILDREN) to $CPU_OUT. storm.sh's VmHWM is then the wrapper's: ignore
# engine_peak_rss_mb in these rows.
import os, resource, signal, subprocess, sys

child = subprocess.Popen([os.environ["ENGINE_BIN"], *sys.argv[1:]])
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda s, _f: child.send_signal(s))
rc = child.wait()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(os.environ["CPU_OUT"], "a") as out:
    out.write(f"{os.environ.get('CPU_TAG', '')} {usage.ru_utime:.3f} {usage.ru_stime:.3f}\n")
sys.exit(rc)
