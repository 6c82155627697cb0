#!/usr/bin/env python3
"""Turns scripts/conns.sh's /proc snapshots into summary.json and summary.md.

    perf/conns_report.py RESULTS_DIR --target N --procs P --connect-seconds S ...

Reads RESULTS_DIR/proc/{chatd-status,meminfo,sockstat,slabinfo,chatd-fds,metrics}.{before,after},
RESULTS_DIR/holder-*.json and RESULTS_DIR/sysctls.tsv.

Per-connection figures divide by the connections held. Kernel memory: both ends of
every connection live on this machine (chatd's socket and the holder's), so the
slab growth covers 2 sockets per connection; "per socket" divides by the growth
of the kernel's TCP socket count (/proc/net/sockstat `inuse`), which is ~2N.
Slab figures are machine-wide: anything else running at the same time adds noise
(the report shows the largest per-cache changes so a reader can judge).
The holders close their epoll set once connected, so eventpoll_epi growth is
chatd's (epoll backend) or slab slack. "Live" objects come from slabinfo's
active_objs, which SLUB only approximates (objects free in per-CPU slabs count as
active).
"""
import argparse
import glob
import json
import os
import platform
import re
from datetime import datetime, timezone

PAGE = os.sysconf("SC_PAGE_SIZE")

# Slab caches a TCP connection's sockets and fds are made of (live objects × object
# size, so slab fragmentation is left out): the socket (TCP), its
# inode and dentry in sockfs, the open file, LSM blobs, the bind bucket of the
# client's port, and the server's per-connection reactor state (an io_uring request
# for the armed multishot recv, or an epoll item). Summed, they are the kernel cost
# per socket; the total slab growth is also shown, as an upper bound.
SOCKET_CACHES = ("TCP", "sock_inode_cache", "dentry", "filp", "lsm_file_cache", "lsm_inode_cache",
                 "tcp_bind_bucket", "tcp_bind2_bucket", "eventpoll_epi", "eventpoll_pwq", "io_kiocb")
# Not the connections' own: on the test VMs something lists every process's
# /proc/PID/fd, which adds one proc inode per open fd.
ENVIRONMENT_CACHES = ("proc_inode_cache",)


def read(path):
    with open(path) as f:
        return f.read()


def status_kb(text, key):
    m = re.search(r"^%s:\s+(\d+) kB" % key, text, re.M)
    return int(m.group(1)) * 1024 if m else None


def meminfo(text):
    return {k: int(v) * 1024 for k, v in re.findall(r"^(\w+):\s+(\d+) kB", text, re.M)}


def sockstat(text):
    m = re.search(r"^TCP: (.*)$", text, re.M)
    f = m.group(1).split()
    return {f[i]: int(f[i + 1]) for i in range(0, len(f) - 1, 2)}


def slabinfo(text):
    """cache -> bytes held in its slabs (num_slabs * pages per slab), objects, object size."""
    out = {}
    for line in text.splitlines()[2:]:
        f = line.split()
        if len(f) < 15:
            continue
        name, active, num, objsize, _, pagesperslab = f[0], int(f[1]), int(f[2]), int(f[3]), f[4], int(f[5])
        num_slabs = int(f[14])
        out[name] = {"bytes": num_slabs * pagesperslab * PAGE, "objs": num, "active": active, "objsize": objsize}
    return out


def metric_sum(text, name):
    total, found = 0.0, False
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    return total if found else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--procs", type=int, required=True)
    ap.add_argument("--connect-seconds", type=float, required=True)
    ap.add_argument("--chatd-cmd", default="")
    ap.add_argument("--chatd-version", default="")
    ap.add_argument("--fd-hard", type=int, default=0)
    a = ap.parse_args()
    d = a.dir
    p = lambda name, tag: os.path.join(d, "proc", "%s.%s" % (name, tag))

    holders = [json.loads(read(f).splitlines()[0]) for f in sorted(glob.glob(os.path.join(d, "holder-*.json")))]
    held = sum(h["held"] for h in holders)
    errors = {}
    for h in holders:
        for k, v in h["errors"].items():
            errors[k] = errors.get(k, 0) + v

    st0, st1 = read(p("chatd-status", "before")), read(p("chatd-status", "after"))
    rss0, rss1 = status_kb(st0, "VmRSS"), status_kb(st1, "VmRSS")
    anon0, anon1 = status_kb(st0, "RssAnon"), status_kb(st1, "RssAnon")
    fds0, fds1 = int(read(p("chatd-fds", "before"))), int(read(p("chatd-fds", "after")))
    m0, m1 = meminfo(read(p("meminfo", "before"))), meminfo(read(p("meminfo", "after")))
    s0, s1 = sockstat(read(p("sockstat", "before"))), sockstat(read(p("sockstat", "after")))
    sl0, sl1 = slabinfo(read(p("slabinfo", "before"))), slabinfo(read(p("slabinfo", "after")))
    active = None
    if os.path.exists(p("metrics", "after")):
        active = metric_sum(read(p("metrics", "after")), "chatd_connections_active")
    established = None
    if os.path.exists(p("established", "after")):
        established = int(read(p("established", "after")).strip() or 0)

    n = max(held, 1)
    sockets = max(s1["inuse"] - s0["inuse"], 1)
    slab_delta = m1["Slab"] - m0["Slab"]
    sunreclaim_delta = m1["SUnreclaim"] - m0["SUnreclaim"]
    tcp_mem_delta = (s1["mem"] - s0["mem"]) * PAGE
    caches = []
    for name in set(sl0) | set(sl1):
        b0 = sl0.get(name, {"bytes": 0, "objs": 0, "active": 0, "objsize": 0})
        b1 = sl1.get(name, {"bytes": 0, "objs": 0, "active": 0, "objsize": b0["objsize"]})
        size = b1["objsize"] or b0["objsize"]
        live = (b1["active"] - b0["active"]) * size
        if live or b1["bytes"] != b0["bytes"]:
            # Live objects (active × size) are what the sockets hold; whole slabs also
            # count free slots in partly used slabs (objects freed but not yet returned).
            caches.append({"cache": name, "objsize": size, "active_objects_delta": b1["active"] - b0["active"],
                           "bytes_delta": live, "slab_bytes_delta": b1["bytes"] - b0["bytes"],
                           "bytes_per_connection": round(live / n, 1)})
    caches.sort(key=lambda c: -abs(c["bytes_delta"]))
    socket_bytes = sum(c["bytes_delta"] for c in caches if c["cache"] in SOCKET_CACHES)
    kmalloc_bytes = sum(c["bytes_delta"] for c in caches if c["cache"].startswith("kmalloc-"))
    env_bytes = sum(c["bytes_delta"] for c in caches if c["cache"] in ENVIRONMENT_CACHES)

    sysctls = []
    tsv = os.path.join(d, "sysctls.tsv")
    if os.path.exists(tsv):
        for line in read(tsv).splitlines():
            name, now, was = line.split("\t")
            sysctls.append({"name": name, "set_to": now, "restored_to": was})

    summary = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"hostname": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
                    "mem_total_bytes": m1.get("MemTotal"), "fd_hard_limit": a.fd_hard},
        "chatd": {"command": a.chatd_cmd, "version": a.chatd_version},
        "target": a.target, "holder_processes": a.procs,
        "connections_held": held, "failed": a.target - held, "errors": errors,
        "chatd_connections_active": active, "established_at_chatd_port": established,
        "connect_seconds": round(a.connect_seconds, 3),
        "connects_per_second": round(held / a.connect_seconds) if a.connect_seconds > 0 else None,
        "holders": holders,
        "chatd_rss": {"before_bytes": rss0, "after_bytes": rss1, "per_connection_bytes": round((rss1 - rss0) / n, 1),
                      "anon_before_bytes": anon0, "anon_after_bytes": anon1,
                      "anon_per_connection_bytes": round((anon1 - anon0) / n, 1)},
        "chatd_fds": {"before": fds0, "after": fds1},
        "kernel": {
            "tcp_sockets_delta": s1["inuse"] - s0["inuse"],
            "tcp_buffer_mem_delta_bytes": tcp_mem_delta,
            "slab_delta_bytes": slab_delta,
            "slab_unreclaimable_delta_bytes": sunreclaim_delta,
            "slab_per_connection_bytes": round(slab_delta / n, 1),
            "slab_per_socket_bytes": round(slab_delta / sockets, 1),
            "unreclaimable_per_socket_bytes": round(sunreclaim_delta / sockets, 1),
            "tcp_buffer_mem_per_socket_bytes": round(tcp_mem_delta / sockets, 1),
            "socket_caches": list(SOCKET_CACHES),
            "socket_caches_delta_bytes": socket_bytes,
            "socket_caches_per_socket_bytes": round(socket_bytes / sockets, 1),
            "kmalloc_delta_bytes": kmalloc_bytes,
            "kmalloc_per_socket_bytes": round(kmalloc_bytes / sockets, 1),
            "environment_caches_delta_bytes": env_bytes,
            "caches": caches[:15],
        },
        "sysctls": sysctls,
        "notes": [
            "Both ends of every connection are on this machine: the kernel figures per connection cover two sockets (chatd's and the client's); per socket divides by the TCP socket count's growth.",
            "Slab and sockstat figures are machine-wide; other activity during the run adds noise.",
            "Idle, logged-in connections (hello answered with welcome, no room joined, no traffic).",
        ],
    }
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")

    k = summary["kernel"]
    kib = lambda b: "%.1f KiB" % (b / 1024)
    lines = [
        "# Connection scale — %s" % summary["date"],
        "",
        "One chatd (`%s`), %d idle logged-in connections asked for, from %d holder processes "
        "(perf/conn_holder.py: hello → welcome → silence)." % (a.chatd_cmd, a.target, a.procs),
        "",
        "| figure | value |",
        "|---|---|",
        "| connections held | **%d** of %d%s |" % (held, a.target, (" (errors: %s)" % errors) if errors else ""),
        "| chatd's own count (`chatd_connections_active`) | %s |" % (int(active) if active is not None else "n/a"),
        "| time to connect them (connect + hello + welcome) | %.2f s (%s connections/s) |"
        % (a.connect_seconds, summary["connects_per_second"]),
        "| chatd RSS | %.1f MiB → %.1f MiB |" % (rss0 / 2**20, rss1 / 2**20),
        "| **chatd RSS per connection** | **%.0f bytes** (anonymous: %.0f) |"
        % (summary["chatd_rss"]["per_connection_bytes"], summary["chatd_rss"]["anon_per_connection_bytes"]),
        "| kernel slab growth | %s total, %s unreclaimable |" % (kib(slab_delta), kib(sunreclaim_delta)),
        "| TCP sockets added (both ends) | %d |" % k["tcp_sockets_delta"],
        "| **kernel memory per socket** (socket caches¹) | **%.0f bytes** (+ %.0f in kmalloc-* caches) |"
        % (k["socket_caches_per_socket_bytes"], k["kmalloc_per_socket_bytes"]),
        "| all slab growth per socket (upper bound²) | %.0f bytes (%.0f per connection, both ends) |"
        % (k["slab_per_socket_bytes"], k["slab_per_connection_bytes"]),
        "| TCP buffer memory (sockstat `mem`) per socket | %s |"
        % ("~0 (idle sockets hold no buffers)" if abs(k["tcp_buffer_mem_per_socket_bytes"]) < 64
           else "%.0f bytes" % k["tcp_buffer_mem_per_socket_bytes"]),
        "",
        "Largest slab cache changes (machine-wide; live objects × object size, and whole slabs):",
        "",
        "| cache | object size | live objects Δ | bytes Δ | per connection | slab bytes Δ |",
        "|---|---|---|---|---|---|",
    ]
    for c in k["caches"][:12]:
        lines.append("| %s | %d | %+d | %+d | %.0f | %+d |" % (c["cache"], c["objsize"], c["active_objects_delta"],
                                                             c["bytes_delta"], c["bytes_per_connection"],
                                                             c["slab_bytes_delta"]))
    if sysctls:
        lines += ["", "sysctls set for the run and restored after: " +
                  ", ".join("`%s` = %s (was %s)" % (s["name"], s["set_to"], s["restored_to"]) for s in sysctls)]
    lines += ["", "¹ %s, divided by the growth of the TCP socket count (both ends of every "
              "connection are on this machine, so that is ~2 per connection)." % ", ".join(SOCKET_CACHES),
              "² machine-wide `Slab` growth in /proc/meminfo; includes %.0f bytes per socket of proc "
              "inodes made by something on this VM that lists every process's /proc/PID/fd, and "
              "whatever else ran meanwhile." % (env_bytes / sockets),
              "", "Raw snapshots: `proc/`."]
    with open(os.path.join(d, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[6:17]))


if __name__ == "__main__":
    main()
