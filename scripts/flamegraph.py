#!/usr/bin/env python3
"""Turns `perf script` output into a flame graph that opens offline (one self-contained SVG with
hover titles and click-to-zoom), a folded-stacks file (the format speedscope and Brendan Gregg's
flamegraph.pl read), and a text summary: kernel against user space, and the hottest functions by
self and total time. Used by scripts/profile.sh; see docs/profiling.md.

Usage: perf script -i perf.data | scripts/flamegraph.py --svg out.svg [--folded out.folded]
         [--title TEXT] [--summary out.txt] [--top 25]
"""
import argparse
import collections
import html
import re
import sys

FRAME = re.compile(r"^\s*[0-9a-f]+\s+(?P<sym>.*?)\s+\((?P<dso>[^)]*)\)\s*$")
OFFSET = re.compile(r"\+0x[0-9a-f]+$")


def frame_kind(symbol, dso):
    """Colour class of a frame: kernel, our code, C/C++ runtime, other libraries."""
    if dso.startswith("[kernel") or dso == "[unknown]" and symbol.startswith("["):
        return "kernel"
    if "hexwire" in dso or symbol.startswith("hexwire::"):
        return "hexwire"
    if any(lib in dso for lib in ("libc.so", "libstdc++", "libm.so", "ld-linux", "libgcc")):
        return "runtime"
    return "library"


def parse(stream):
    """Yields (stack root->leaf as [(name, kind)], weight) for each sample."""
    header = None
    frames = []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if header is not None and frames:
                yield header, list(reversed(frames))
            header, frames = None, []
            continue
        if header is None:
            header = line.split()[0] if line.split() else "?"
            continue
        match = FRAME.match(line)
        if not match:
            continue
        symbol = OFFSET.sub("", match.group("sym"))
        dso = match.group("dso")
        if symbol == "[unknown]":
            symbol = "[" + dso.rsplit("/", 1)[-1] + "]"
        frames.append((symbol, frame_kind(symbol, dso)))
    if header is not None and frames:
        yield header, list(reversed(frames))


class Node:
    __slots__ = ("name", "kind", "total", "children")

    def __init__(self, name, kind):
        self.name, self.kind, self.total, self.children = name, kind, 0, {}

    def child(self, name, kind):
        node = self.children.get(name)
        if node is None:
            node = self.children[name] = Node(name, kind)
        return node


COLOURS = {"kernel": (232, 140, 60), "hexwire": (90, 170, 90), "runtime": (120, 150, 200),
           "library": (170, 140, 200), "thread": (180, 180, 180)}


def colour(kind, name):
    r, g, b = COLOURS[kind]
    jitter = (hash(name) % 31) - 15
    return f"rgb({min(255, max(0, r + jitter))},{min(255, max(0, g + jitter))},{min(255, max(0, b + jitter))})"


SCRIPT = """
<script><![CDATA[
function zoom(target) {
  var x = +target.getAttribute('data-x'), w = +target.getAttribute('data-w');
  var depth = +target.getAttribute('data-d');
  document.querySelectorAll('g.f').forEach(function (g) {
    var gx = +g.getAttribute('data-x'), gw = +g.getAttribute('data-w'), d = +g.getAttribute('data-d');
    var visible = gx + gw > x && gx < x + w && (d >= depth || (gx <= x && gx + gw >= x + w));
    g.style.display = visible ? '' : 'none';
    if (!visible) return;
    var nx = Math.max(0, (gx - x) / w), nw = Math.min(1, (gx + gw - Math.max(gx, x)) / w);
    var rect = g.querySelector('rect'), text = g.querySelector('text');
    rect.setAttribute('x', (PAD + nx * WIDTH).toFixed(1));
    rect.setAttribute('width', Math.max(0, nw * WIDTH - 0.5).toFixed(1));
    text.setAttribute('x', (PAD + nx * WIDTH + 3).toFixed(1));
    var chars = Math.floor((nw * WIDTH - 6) / 6.5);
    var name = g.getAttribute('data-n');
    text.textContent = chars < 3 ? '' : (name.length > chars ? name.slice(0, chars - 2) + '..' : name);
  });
}
document.addEventListener('click', function (e) {
  var g = e.target.closest ? e.target.closest('g.f') : null;
  zoom(g || document.querySelector('g.f[data-d="0"]'));
});
]]></script>
"""


def write_svg(root, path, title, subtitle):
    width, pad, row = 1200, 10, 17
    depth = [0]

    def measure(node, d):
        depth[0] = max(depth[0], d)
        for c in node.children.values():
            measure(c, d + 1)

    measure(root, 0)
    height = (depth[0] + 1) * row + 80
    out = [f'<?xml version="1.0" standalone="no"?>\n<svg version="1.1" width="{width + 2 * pad}" '
           f'height="{height}" xmlns="http://www.w3.org/2000/svg" font-family="monospace" font-size="11">',
           f'<rect width="100%" height="100%" fill="#fdfdf6"/>',
           f'<text x="{pad}" y="20" font-size="15">{html.escape(title)}</text>',
           f'<text x="{pad}" y="38" fill="#555">{html.escape(subtitle)}</text>',
           '<script><![CDATA[var PAD=%d, WIDTH=%d;]]></script>' % (pad, width)]
    legend_x = pad
    for kind, label in (("kernel", "kernel"), ("hexwire", "hexwire code"),
                        ("runtime", "libc / libstdc++"), ("library", "other libraries")):
        out.append(f'<rect x="{legend_x}" y="46" width="12" height="12" fill="{colour(kind, "")}"/>'
                   f'<text x="{legend_x + 16}" y="56">{label}</text>')
        legend_x += 150
    out.append(f'<text x="{legend_x}" y="56" fill="#555">click a frame to zoom, '
               f'click the background to reset</text>')
    total = root.total or 1
    base = height - 10

    def emit(node, x, d):
        w = node.total / total
        if w * width < 0.3:
            return
        y = base - (d + 1) * row
        share = 100.0 * node.total / total
        label = node.name
        chars = int((w * width - 6) / 6.5)
        shown = "" if chars < 3 else (label if len(label) <= chars else label[: chars - 2] + "..")
        out.append(
            f'<g class="f" data-x="{x:.6f}" data-w="{w:.6f}" data-d="{d}" data-n="{html.escape(label, True)}">'
            f'<title>{html.escape(label)} ({node.total} samples, {share:.2f}%)</title>'
            f'<rect x="{pad + x * width:.1f}" y="{y}" width="{max(0.0, w * width - 0.5):.1f}" '
            f'height="{row - 1}" fill="{colour(node.kind, node.name)}" rx="2"/>'
            f'<text x="{pad + x * width + 3:.1f}" y="{y + row - 5}">{html.escape(shown)}</text></g>')
        cx = x
        for c in sorted(node.children.values(), key=lambda n: n.name):
            emit(c, cx, d + 1)
            cx += c.total / total

    emit(root, 0.0, 0)
    out.append(SCRIPT)
    out.append("</svg>\n")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--svg", required=True)
    ap.add_argument("--folded")
    ap.add_argument("--summary")
    ap.add_argument("--title", default="hexwire CPU profile (perf cpu-clock)")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()

    root = Node("all", "thread")
    folded = collections.Counter()
    self_time = collections.Counter()
    total_time = collections.Counter()
    kinds = collections.Counter()
    samples = 0
    for thread, stack in parse(sys.stdin):
        samples += 1
        root.total += 1
        node = root.child(thread, "thread")
        node.total += 1
        for name, kind in stack:
            node = node.child(name, kind)
            node.total += 1
        leaf_name, leaf_kind = stack[-1]
        self_time[(leaf_name, leaf_kind)] += 1
        kinds[leaf_kind] += 1
        for name, kind in set(stack):
            total_time[(name, kind)] += 1
        folded[";".join([thread] + [n for n, _ in stack])] += 1
    if samples == 0:
        sys.exit("flamegraph.py: no samples with call stacks in the input (was perf record -g used?)")

    def pct(n):
        return 100.0 * n / samples

    lines = [f"samples: {samples}",
             "where the samples' leaf frame is: " + ", ".join(
                 f"{k} {pct(v):.1f}%" for k, v in kinds.most_common()),
             "", f"top {args.top} by self time (the function itself):"]
    lines += [f"  {pct(v):5.1f}%  [{k}] {n}" for (n, k), v in self_time.most_common(args.top)]
    lines += ["", f"top {args.top} hexwire functions by total time (with what they call):"]
    ours = [((n, k), v) for (n, k), v in total_time.items() if k == "hexwire"]
    ours.sort(key=lambda item: -item[1])
    lines += [f"  {pct(v):5.1f}%  {n}" for (n, _), v in ours[: args.top]]
    summary = "\n".join(lines) + "\n"
    sys.stdout.write(summary)
    if args.summary:
        with open(args.summary, "w") as f:
            f.write(summary)
    if args.folded:
        with open(args.folded, "w") as f:
            for stack, count in sorted(folded.items()):
                f.write(f"{stack} {count}\n")
    subtitle = (f"{samples} samples; leaf frames: " +
                ", ".join(f"{k} {pct(v):.1f}%" for k, v in kinds.most_common()))
    write_svg(root, args.svg, args.title, subtitle)


if __name__ == "__main__":
    main()
