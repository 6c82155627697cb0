#!/usr/bin/env python3
"""Renders folded stacks as a flame graph SVG, offline, with the standard library only.

Input: folded stacks, one per line, "frame;frame;...;leaf COUNT" (root first), as
written by `perf script report stackcollapse` or perf/stackcollapse.py.
Output: an SVG in the classic layout: the root at the bottom, each frame a
rectangle as wide as its share of the samples, children stacked on top, sorted
by name so the same code lands in the same place run after run. Hover a frame for
its full name, samples and percentage (a <title> tooltip); click a frame to zoom
into it, click the bottom bar to zoom out; press Ctrl-F or click "Search" to
highlight frames whose name matches a regular expression and see their share.

Colours say where the time is: kernel frames orange (their names end in _[k] in
tooltips and searches), chatd's own code (chatd::) blue, libraries and the C++
runtime yellow-green, the root and the thread names grey.

    perf/flamegraph.py stacks.folded -o flamegraph.svg --title "chatd: fanout"
"""
import argparse
import hashlib
import html
import re
import sys

FONT_SIZE = 12
FRAME_H = 16
PAD_TOP = 52
PAD_BOTTOM = 28
PAD_SIDE = 10
CHAR_W = FONT_SIZE * 0.59  # Verdana-ish average glyph width, for truncation


class Node:
    __slots__ = ("name", "self_count", "total", "children")

    def __init__(self, name):
        self.name = name
        self.self_count = 0
        self.total = 0
        self.children = {}

    def child(self, name):
        c = self.children.get(name)
        if c is None:
            c = self.children[name] = Node(name)
        return c


def parse_folded(lines, strip_args):
    root = Node("all")
    bad = 0
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        try:
            n = int(float(count))
        except ValueError:
            bad += 1
            continue
        if n <= 0 or not stack:
            continue
        node = root
        root.total += n
        for frame in stack.split(";"):
            if strip_args:
                frame = short_name(frame)
            node = node.child(frame)
            node.total += n
        node.self_count += n
    return root, bad


_ARGS = re.compile(r"\((?:[^()]|\([^()]*\))*\)(\s*const)?(?=(_\[k\])?$)")


def short_name(frame):
    """`ns::Cls::f(int, std::string const&) const` -> `ns::Cls::f()`: shorter boxes."""
    if frame.startswith("[") or "(" not in frame:
        return frame
    return _ARGS.sub("()", frame)


def colour(name, depth):
    h = int(hashlib.md5(name.encode()).hexdigest()[:8], 16)
    v1, v2 = (h & 0xFF) / 255.0, ((h >> 8) & 0xFF) / 255.0
    if depth <= 1 or name == "[unknown]":                                            # root, thread names
        return "rgb(%d,%d,%d)" % (185 + 20 * v1, 185 + 20 * v1, 185 + 20 * v1)
    if name.endswith("_[k]"):
        return "rgb(%d,%d,%d)" % (225 + 30 * v1, 110 + 60 * v2, 30 + 30 * v1)      # kernel: orange
    if "chatd::" in name:
        return "rgb(%d,%d,%d)" % (80 + 50 * v1, 150 + 50 * v2, 220 + 30 * v1)      # chatd: blue
    return "rgb(%d,%d,%d)" % (200 + 40 * v1, 200 + 40 * v2, 70 + 40 * v1)          # libraries: yellow-green


def label_of(name):
    return name[:-4] if name.endswith("_[k]") else name


def layout(root, width, min_width):
    """Yields (node, depth, x, w) for every frame at least min_width pixels wide."""
    scale = (width - 2 * PAD_SIDE) / root.total if root.total else 0
    out = []
    stack = [(root, 0, PAD_SIDE)]
    max_depth = 0
    while stack:
        node, depth, x = stack.pop()
        w = node.total * scale
        if w < min_width:
            continue
        out.append((node, depth, x, w))
        max_depth = max(max_depth, depth)
        cx = x
        for name in sorted(node.children):
            c = node.children[name]
            stack.append((c, depth + 1, cx))
            cx += c.total * scale
    return out, max_depth


SCRIPT = r"""
<![CDATA[
var svg, details, searchbtn, matchedtxt, frames, W, PAD = %(pad)d, searching = null;
function init() {
  svg = document.documentElement;
  details = document.getElementById("details").firstChild;
  searchbtn = document.getElementById("search");
  matchedtxt = document.getElementById("matched");
  frames = Array.prototype.slice.call(document.querySelectorAll("g.f"));
  W = parseFloat(svg.getAttribute("width"));
  frames.forEach(function (g) {
    var r = g.querySelector("rect");
    g.dataset.x = r.getAttribute("x"); g.dataset.w = r.getAttribute("width");
    g.addEventListener("mouseover", function () { details.nodeValue = g.querySelector("title").textContent; });
    g.addEventListener("mouseout", function () { details.nodeValue = " "; });
    g.addEventListener("click", function () { zoom(g); });
  });
  window.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); search(); }
  });
}
function fit(g, x, w) {
  var r = g.querySelector("rect"), t = g.querySelector("text");
  r.setAttribute("x", x); r.setAttribute("width", Math.max(w, 0));
  t.setAttribute("x", x + 3);
  var name = g.dataset.name.replace(/_\[k\]$/, ""), chars = Math.floor((w - 6) / %(charw)f);
  t.textContent = chars < 3 ? "" : (name.length <= chars ? name : name.substring(0, chars - 2) + "..");
}
function zoom(target) {
  var tx = parseFloat(target.dataset.x), tw = parseFloat(target.dataset.w), ty = parseFloat(target.getAttribute("data-y"));
  var scale = (W - 2 * PAD) / tw;
  frames.forEach(function (g) {
    var x = parseFloat(g.dataset.x), w = parseFloat(g.dataset.w), y = parseFloat(g.getAttribute("data-y"));
    var inside = x >= tx - 0.01 && x + w <= tx + tw + 0.01;
    if (y > ty) { g.style.display = "none"; }                      // below (nearer the root)
    else if (y === ty && g !== target) { g.style.display = "none"; }
    else if (!inside) { g.style.display = "none"; }
    else { g.style.display = ""; fit(g, PAD + (x - tx) * scale, w * scale); }
    if (y > ty && x <= tx + 0.01 && x + w >= tx + tw - 0.01) {       // ancestors: full width, faded
      g.style.display = ""; g.style.opacity = 0.6; fit(g, PAD, W - 2 * PAD);
    } else { g.style.opacity = ""; }
  });
}
function reset() {
  frames.forEach(function (g) { g.style.display = ""; g.style.opacity = ""; fit(g, parseFloat(g.dataset.x), parseFloat(g.dataset.w)); });
}
function search() {
  if (searching) {
    searching = null; searchbtn.firstChild.nodeValue = "Search"; matchedtxt.firstChild.nodeValue = " ";
    frames.forEach(function (g) { g.querySelector("rect").setAttribute("fill", g.dataset.fill); });
    return;
  }
  var term = prompt("Highlight frames matching (regular expression):", "");
  if (!term) return;
  var re = new RegExp(term), total = parseFloat(svg.getAttribute("data-total")), counted = [], sum = 0;
  frames.forEach(function (g) {
    var r = g.querySelector("rect");
    if (!g.dataset.fill) g.dataset.fill = r.getAttribute("fill");
    if (re.test(g.dataset.name)) {
      r.setAttribute("fill", "rgb(230,0,230)");
      var x = parseFloat(g.dataset.x), w = parseFloat(g.dataset.w);
      // count each sample once: skip frames nested inside an already counted one
      if (!counted.some(function (c) { return x >= c[0] - 0.01 && x + w <= c[0] + c[1] + 0.01; })) {
        counted.push([x, w]); sum += parseFloat(g.getAttribute("data-samples"));
      }
    }
  });
  searching = term; searchbtn.firstChild.nodeValue = "Reset search";
  matchedtxt.firstChild.nodeValue = "matched " + (100 * sum / total).toFixed(1) + "%% (" + term + ")";
}
]]>
"""


def render(root, title, subtitle, width, min_width):
    frames, max_depth = layout(root, width, min_width)
    height = PAD_TOP + (max_depth + 1) * FRAME_H + PAD_BOTTOM
    total = root.total or 1
    out = []
    a = out.append
    a('<?xml version="1.0" standalone="no"?>')
    a('<svg version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" onload="init()" '
      'data-total="%d" xmlns="http://www.w3.org/2000/svg">' % (width, height, width, height, total))
    a('<style>text { font-family: Verdana, "DejaVu Sans", sans-serif; font-size: %dpx; fill: #000; } '
      'g.f:hover rect { stroke: #000; stroke-width: 0.5; cursor: pointer; } '
      '#title { font-size: 17px; } .ui { cursor: pointer; fill: #333; }</style>' % FONT_SIZE)
    a('<script type="text/ecmascript">%s</script>'
      % (SCRIPT % {"pad": PAD_SIDE, "charw": CHAR_W}))
    a('<rect x="0" y="0" width="%d" height="%d" fill="#f8f8f8"/>' % (width, height))
    a('<text id="title" x="%d" y="22" text-anchor="middle">%s</text>' % (width // 2, html.escape(title)))
    a('<text x="%d" y="40" text-anchor="middle" fill="#555">%s</text>' % (width // 2, html.escape(subtitle)))
    a('<text class="ui" x="%d" y="22" onclick="reset()">Reset zoom</text>' % PAD_SIDE)
    a('<text id="search" class="ui" x="%d" y="22" text-anchor="end" onclick="search()">Search</text>'
      % (width - PAD_SIDE))
    a('<text id="matched" x="%d" y="%d" text-anchor="end"> </text>' % (width - PAD_SIDE, height - 8))
    a('<text id="details" x="%d" y="%d"> </text>' % (PAD_SIDE, height - 8))
    for node, depth, x, w in frames:
        y = height - PAD_BOTTOM - (depth + 1) * FRAME_H
        pct = 100.0 * node.total / total
        tip = "%s (%d samples, %.2f%%; self %d)" % (node.name, node.total, pct, node.self_count)
        chars = int((w - 6) / CHAR_W)
        name = label_of(node.name)
        label = "" if chars < 3 else (name if len(name) <= chars else name[:chars - 2] + "..")
        fill = colour(node.name, depth)
        a('<g class="f" data-name="%s" data-y="%d" data-samples="%d" data-fill="%s"><title>%s</title>'
          '<rect x="%.2f" y="%d" width="%.2f" height="%d" rx="2" ry="2" fill="%s"/>'
          '<text x="%.2f" y="%d">%s</text></g>'
          % (html.escape(node.name, quote=True), y, node.total, fill, html.escape(tip),
             x, y, max(w - 0.5, 0.1), FRAME_H - 1, fill, x + 3, y + FRAME_H - 4, html.escape(label)))
    a("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folded", help="folded stacks file ('-' for stdin)")
    ap.add_argument("-o", "--output", default="-", help="SVG file [stdout]")
    ap.add_argument("--title", default="Flame graph")
    ap.add_argument("--subtitle", default=None, help="[samples and hints]")
    ap.add_argument("--width", type=int, default=1800)
    ap.add_argument("--min-width", type=float, default=0.3, help="omit frames narrower than this (px)")
    ap.add_argument("--keep-args", action="store_true", help="keep C++ argument lists in frame names")
    args = ap.parse_args()
    src = sys.stdin if args.folded == "-" else open(args.folded, encoding="utf-8", errors="replace")
    root, bad = parse_folded(src, strip_args=not args.keep_args)
    if root.total == 0:
        sys.exit("flamegraph.py: no samples in %s" % args.folded)
    if bad:
        print("flamegraph.py: skipped %d malformed lines" % bad, file=sys.stderr)
    sub = args.subtitle or ("%d samples · hover for details, click to zoom, Ctrl-F to search · "
                            "blue: chatd, orange: kernel ([k]), yellow: libraries" % root.total)
    svg = render(root, args.title, sub, args.width, args.min_width)
    if args.output == "-":
        sys.stdout.write(svg)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(svg)


if __name__ == "__main__":
    main()
