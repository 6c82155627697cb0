#!/usr/bin/env python3
"""Measures chatd's user-space memory per idle, logged-in connection.

Starts ./build/chatd on a free loopback port, opens N connections that each send
hello and get welcome, and reports the growth of chatd's RSS divided by N.
Usage: perf/conn_memory.py N uring|epoll   (N <= ~9,000: this process holds N fds too)
"""
import socket, subprocess, re, time, sys, os
N = int(sys.argv[1]); backend = sys.argv[2]
p = subprocess.Popen(["./build/chatd","--port","0","--bind","127.0.0.1","--backend",backend,"--shards","2"], stderr=subprocess.PIPE, text=True)
while True:
    m = re.search(r"port=(\d+)", p.stderr.readline())
    if m: port = int(m.group(1)); break
def rss(): 
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])*1024
time.sleep(0.3); base = rss()
socks = []
for i in range(N):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b'{"op":"hello","user":"u%d"}\n' % i); socks.append(s)
for s in socks:
    s.settimeout(5); s.recv(200)
time.sleep(0.5); after = rss()
print(f"{backend}: {N} logged-in idle connections: RSS {base/2**20:.1f} MiB -> {after/2**20:.1f} MiB = {(after-base)/N:.0f} bytes/connection")
p.terminate(); p.wait()
