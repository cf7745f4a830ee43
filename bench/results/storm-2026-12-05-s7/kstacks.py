#!/usr/bin/env python3
"""kstacks.py DIR [FROM_S TO_S]: reads DIR/perf.data (or PERF_DATA) (perf record -e cpu-clock -a -g, kernel call
chains) and prints, for the engine's shard thread (hw-shard-0) and the simulator's thread
(hexwire-sim) inside [FROM_S, TO_S) s from the first sample: CPU-s per 0.1 s, then each sample
classified by the outermost kernel operation on its stack (the io_uring opcode handler or the
syscall: recv, send, accept, connect, close, shutdown, socket, setsockopt, getpeername, io_uring
enter/reap, softirq in the thread's context, ...) or `user`; the top leaf symbols per class."""
import collections, os, re, subprocess, sys

d = sys.argv[1]
lo = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
hi = float(sys.argv[3]) if len(sys.argv) > 3 else 1e9
text = subprocess.run(["perf", "script", "-i", os.environ.get("PERF_DATA", f"{d}/perf.data"), "-F", "comm,tid,time,ip,sym"],
                      capture_output=True, text=True, errors="replace").stdout
procs = {"hw-shard-0": "engine", "hexwire-sim": "sim"}
# Order matters: the first pattern found walking from the leaf outwards wins... we want the
# outermost meaningful op, so walk from the root (last line) inwards and keep the first match.
rules = [  # first rule that matches any frame of the stack wins
    ("send (io_uring send/sendmsg, incl. the peer's loopback receive)", re.compile(r"^(io_send|io_sendmsg)$")),
    ("recv (io_uring recv)", re.compile(r"^(io_recv|io_recvmsg)$")),
    ("accept", re.compile(r"^io_accept$")),
    ("connect", re.compile(r"^(io_connect|__sys_connect)")),
    ("shutdown", re.compile(r"^__sys_shutdown$")),
    ("close", re.compile(r"^(__x64_sys_close|__fput|____fput)$")),
    ("socket()", re.compile(r"^__sys_socket$")),
    ("bind", re.compile(r"^__sys_bind$")),
    ("setsockopt", re.compile(r"^__sys_setsockopt$")),
    ("getpeername", re.compile(r"^__sys_getpeername$")),
    ("io_uring task work (poll wake-ups, completions)", re.compile(r"^(__io_run_local_work|tctx_task_work|io_poll_task_func)$")),
    ("io_uring wait", re.compile(r"^io_cqring_wait$")),
    ("io_uring submit other", re.compile(r"^(io_submit_sqes|__do_sys_io_uring_enter)$")),
    ("page fault/mm", re.compile(r"^(exc_page_fault|__x64_sys_brk|__x64_sys_munmap|__x64_sys_mmap|__x64_sys_madvise|__x64_sys_mprotect)$")),
    ("softirq (timer/irq context)", re.compile(r"^(handle_softirqs|__do_softirq|net_rx_action)$")),
]
classes = {p: collections.Counter() for p in procs.values()}
leaves = {p: collections.defaultdict(collections.Counter) for p in procs.values()}
per = collections.defaultdict(collections.Counter)
t0 = None
for block in text.split("\n\n"):
    lines = block.strip("\n").split("\n")
    if not lines or not lines[0].strip():
        continue
    head = lines[0].split()
    if len(head) < 3:
        continue
    comm = head[0]
    try:
        t = float(head[2].rstrip(":"))
    except ValueError:
        continue
    t0 = t if t0 is None else t0
    who = procs.get(comm)
    if who is None:
        continue
    dt = t - t0
    per[int(dt * 10)][who] += 1
    if not lo <= dt < hi:
        continue
    frames = []
    for l in lines[1:]:
        parts = l.strip().split(None, 1)
        if len(parts) == 2:
            frames.append((parts[0], parts[1].split("+0x")[0].strip()))
    kernel = [s for a, s in frames if a.startswith("ffffffff")]
    if not kernel:
        cls = "user"
    else:
        cls = next((name for name, rx in rules if any(rx.match(f) for f in kernel)), "kernel other")
    classes[who][cls] += 1
    leaves[who][cls][frames[0][1] if frames else "?"] += 1
print("# CPU-s per 0.1 s from the first sample (1.0 = a full CPU): engine / sim")
for b in sorted(per):
    print(f"{b/10:5.1f} s  engine {per[b]['engine']/199.9:4.2f}  sim {per[b]['sim']/199.9:4.2f}")
for who in ("engine", "sim"):
    n = sum(classes[who].values()) or 1
    print(f"\n## {who}: {n/1999:.2f} CPU-s in [{lo}, {hi}) s")
    for cls, k in classes[who].most_common():
        top = ", ".join(f"{s} {100*c/k:.0f}%" for s, c in leaves[who][cls].most_common(4))
        print(f"  {100*k/n:5.1f}%  {k/1999:5.2f} CPU-s  {cls:32s} | {top}")
