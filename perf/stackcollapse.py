#!/usr/bin/env python3
"""Folds `perf script` output into one line per distinct stack: "comm;root;...;leaf COUNT".

The fallback for perfs without `perf script report stackcollapse` (which writes the
same format). Kernel frames get the `_[k]` suffix, as `stackcollapse --kernel` does,
so the renderer can colour them.

    perf script -i perf.data -F comm,ip,sym,dso | perf/stackcollapse.py > stacks.folded
"""
import re
import sys
from collections import Counter

_FRAME = re.compile(r"^\s*([0-9a-fA-F]+)\s+(.*?)(?:\s+\(([^()]*)\))?\s*$")
_OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")


def fold(lines):
    counts = Counter()
    comm, frames = None, []

    def flush():
        if comm is not None:
            stack = [comm.replace(" ", "_")] + list(reversed(frames or ["[unknown]"]))
            counts[";".join(stack)] += 1

    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            comm, frames = None, []
            continue
        if not line[0].isspace():           # a sample's header: the comm (-F comm,...)
            flush()
            comm, frames = line.strip() or "[unknown]", []
            continue
        m = _FRAME.match(line)
        if not m:
            continue
        sym, dso = m.group(2) or "[unknown]", m.group(3) or ""
        sym = _OFFSET.sub("", sym).replace(";", ":")
        if dso == "[kernel.kallsyms]":
            sym += "_[k]"
        frames.append(sym)
    flush()
    return counts


def main():
    counts = fold(sys.stdin)
    for stack in sorted(counts):
        sys.stdout.write("%s %d\n" % (stack, counts[stack]))


if __name__ == "__main__":
    main()
