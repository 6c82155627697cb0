#!/usr/bin/env python3
"""Opens N chat connections that each say hello and get welcome, then holds them idle.

The idle-connection holder for scripts/conns.sh: loadgen's clients always join a
room (and so cost chatd a membership too), while the connection-scale question is
what a logged-in, silent connection costs. Several holders run side by side, each
with its own source addresses, because one process may hold at most RLIMIT_NOFILE
fds (20,000 on the test VMs).

    perf/conn_holder.py --port 7000 --count 5000 --source-ips 127.0.0.2,127.0.0.3 --prefix a

Connects non-blocking with up to --in-flight handshakes at once (connect, hello,
welcome), binding each socket to the next source address with
IP_BIND_ADDRESS_NO_PORT so every address has its own ephemeral port range. When
every connection is in (or failed), prints ONE JSON line on stdout:
  {"held": N, "failed": F, "errors": {"ECONNREFUSED": 3, ...}, "connect_seconds": S}
then holds the connections, silent, until SIGTERM/SIGINT, stdin's EOF (with
--stop-on-eof) or --hold seconds have passed (so it always ends by itself), and closes them.
"""
import argparse
import errno
import json
import os
import resource
import select
import signal
import socket
import sys
import time

IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h; not exported by Python's socket module


def parse_ips(spec):
    """'127.0.0.2-127.0.0.5,127.0.1.1' -> list of addresses."""
    out = []
    for part in filter(None, spec.split(",")):
        if "-" in part:
            a, b = part.split("-")
            lo = int.from_bytes(socket.inet_aton(a), "big")
            hi = int.from_bytes(socket.inet_aton(b), "big")
            out += [socket.inet_ntoa(i.to_bytes(4, "big")) for i in range(lo, hi + 1)]
        else:
            out.append(part)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--source-ips", default="", help="e.g. 127.0.0.2-127.0.0.5 [kernel's choice]")
    ap.add_argument("--prefix", default="idle", help="user names are PREFIX-<n>")
    ap.add_argument("--in-flight", type=int, default=256, help="handshakes at once [256]")
    ap.add_argument("--timeout", type=float, default=10.0, help="per handshake, seconds [10]")
    ap.add_argument("--hold", type=float, default=600.0, help="longest hold, seconds [600]")
    ap.add_argument("--stop-on-eof", action="store_true", help="also stop when stdin reaches EOF")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.count + 32 > hard:
        sys.exit("conn_holder: --count %d does not fit the open-file limit %d" % (args.count, hard))
    sources = parse_ips(args.source_ips)

    ep = select.epoll()
    pending = {}   # fd -> [socket, state, deadline, received bytes, number]; state: connect | welcome
    held = []
    errors = {}
    next_id = 0
    t0 = time.monotonic()

    def fail(fd, code):
        s = pending.pop(fd)[0]
        ep.unregister(fd)
        s.close()
        errors[code] = errors.get(code, 0) + 1

    while next_id < args.count or pending:
        while next_id < args.count and len(pending) < args.in_flight:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            if sources:
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((sources[next_id % len(sources)], 0))
            rc = s.connect_ex((args.host, args.port))
            next_id += 1
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                name = errno.errorcode.get(rc, str(rc))
                errors[name] = errors.get(name, 0) + 1
                continue
            pending[s.fileno()] = [s, "connect", time.monotonic() + args.timeout, b"", next_id - 1]
            ep.register(s.fileno(), select.EPOLLOUT)
        for fd, ev in ep.poll(0.1):
            entry = pending.get(fd)
            if entry is None:
                continue
            s, state = entry[0], entry[1]
            if state == "connect":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(fd, errno.errorcode.get(err, str(err)))
                    continue
                s.send(b'{"op":"hello","user":"%s-%d"}\n' % (args.prefix.encode(), entry[4]))
                entry[1] = "welcome"
                ep.modify(fd, select.EPOLLIN)
            else:
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError as e:
                    fail(fd, errno.errorcode.get(e.errno, str(e.errno)))
                    continue
                if not data:
                    fail(fd, "closed_by_server")
                    continue
                entry[3] += data
                if b"\n" in entry[3]:
                    if b'"welcome"' in entry[3]:
                        ep.unregister(fd)
                        held.append(pending.pop(fd)[0])
                    else:
                        code = "server_error"
                        try:
                            code = json.loads(entry[3].split(b"\n")[0]).get("code", code)
                        except ValueError:
                            pass
                        fail(fd, code)
        now = time.monotonic()
        for fd in [fd for fd, e in pending.items() if e[2] < now]:
            fail(fd, "timeout")

    elapsed = time.monotonic() - t0
    ep.close()  # hold without an epoll set: its items would be counted as the connections' kernel memory
    print(json.dumps({"held": len(held), "failed": args.count - len(held), "errors": errors,
                      "connect_seconds": round(elapsed, 3), "pid": os.getpid()}), flush=True)

    # Hold, silent, until told to stop. The server sends nothing to an idle,
    # logged-in JSON connection, so nothing needs reading meanwhile.
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    end = time.monotonic() + args.hold
    watch = [sys.stdin] if args.stop_on_eof else []
    while not stop and time.monotonic() < end:
        r, _, _ = select.select(watch, [], [], 0.5)
        if r and not sys.stdin.buffer.read1(4096):
            break
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
