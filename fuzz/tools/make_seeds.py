#!/usr/bin/env python3
"""Writes the seed corpora of the jwt, http_head and ws_frames fuzz targets.

The seeds are the inputs of the code's unit tests (src/auth/*_test.cc,
src/http/*_test.cc, src/ws/*_test.cc), rebuilt here byte for byte: tokens signed
with the unit tests' key, HTTP heads, masked client frames. Run from the repository
root; it rewrites fuzz/corpus/<target>/ for the targets named (default: all three),
leaving any regress-* file in place:

    python3 fuzz/tools/make_seeds.py [jwt] [http_head] [ws_frames]
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def write(target, seeds):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if not name.startswith("regress-"):
            os.remove(os.path.join(folder, name))
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
    print(f"{target}: {len(seeds)} seeds")


# ---- jwt (src/auth/verifier_test.cc, base64url_test.cc) ----

KEY = b"test-key-0123456789-0123456789-0123456789"
NOW = 1_700_000_000
HEADER = b'{"alg":"HS256","typ":"JWT"}'


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign_segments(h, p, key=KEY):
    signing_input = h + b"." + p
    return signing_input + b"." + b64(hmac.new(key, signing_input, hashlib.sha256).digest())


def sign(header, payload, key=KEY):
    return sign_segments(b64(header), b64(payload), key)


def claims(sub="alice", exp=NOW + 3600, **more):
    d = {"sub": sub, "exp": exp}
    d.update(more)
    return json.dumps(d, separators=(",", ":")).encode()


def jwt_seeds():
    valid = sign(HEADER, claims())
    h, p, s = valid.split(b".")
    h16 = b64(b'{"alg":"HS256"} ')  # 22 characters, 4 unused bits
    odd = h16[:-1] + bytes([h16[-1] + 1])
    seeds = {
        "valid": valid,
        "valid-spacing": sign(b' { "typ" : "JWT",  "alg":"HS256" } ', b' {"exp": 1700003600 ,\n"sub":"alice"}'),
        "valid-kid-extra": sign(b'{"alg":"HS256","kid":"2024-01","x":[1,{"y":null}]}',
                                b'{"sub":"alice","exp":1700003600,"iat":1699999999,"iss":"me","extra":{"a":[]}}'),
        "valid-escaped-sub": sign(HEADER, b'{"sub":"al\\u0069ce","exp":1700003600}'),
        "valid-nbf": sign(HEADER, claims(nbf=NOW + 30)),
        "expired": sign(HEADER, claims(exp=NOW - 30)),
        "not-yet-valid": sign(HEADER, claims(nbf=NOW + 31)),
        "wrong-user": sign(HEADER, claims(sub="bob")),
        "alg-none": b64(b'{"alg":"none","typ":"JWT"}') + b"." + b64(claims()) + b".",
        "alg-hs512": sign(b'{"alg":"HS512","typ":"JWT"}', claims()),
        "alg-twice": sign(b'{"alg":"HS256","alg":"HS256"}', claims()),
        "no-alg": sign(b'{"typ":"JWT"}', claims()),
        "typ-jws": sign(b'{"alg":"HS256","typ":"JWS"}', claims()),
        "crit": sign(b'{"alg":"HS256","b64":false,"crit":["b64"]}', claims()),
        "header-array": sign(b"[]", claims()),
        "header-bad-utf8": sign(b'{"alg":"HS256","k":"\xff"}', claims()),
        "tampered-payload": h + b"." + b64(claims(sub="mallory")) + b"." + s,
        "signature-31": h + b"." + p + b"." + b64(b"x" * 31),
        "signature-33": h + b"." + p + b"." + b64(b"x" * 33),
        "signature-empty": h + b"." + p + b".",
        "other-key": sign(HEADER, claims(), b"a-different-key-of-32-bytes-or-more"),
        "exp-string": sign(HEADER, b'{"sub":"alice","exp":"1700003600"}'),
        "exp-float": sign(HEADER, b'{"sub":"alice","exp":1.7000036e9}'),
        "exp-uint64": sign(HEADER, b'{"sub":"alice","exp":18446744073709551615}'),
        "no-exp": sign(HEADER, b'{"sub":"alice"}'),
        "sub-number": sign(HEADER, b'{"sub":42,"exp":1700003600}'),
        "sub-twice": sign(HEADER, b'{"sub":"mallory","sub":"alice","exp":1700003600}'),
        "nbf-twice": sign(HEADER, b'{"sub":"alice","exp":1700003600,"nbf":1,"nbf":2}'),
        "payload-unfinished": sign(HEADER, b'{"sub":"alice"'),
        "padded-header": sign_segments(h16 + b"==", b64(claims())),
        "non-canonical-header": sign_segments(odd, b64(claims())),
        "non-canonical-signature": valid[:-1] + bytes([valid[-1] + 1 if valid[-1] != ord("A") else ord("B")]),
        "plus-slash": valid[:3] + b"+" + valid[4:],
        "two-segments": h + b"." + p,
        "four-segments": valid + b"." + s,
        "dots-2": b"..",
        "dots-3": b"...",
        # Header and payload JSON texts, one per line (the target signs them itself).
        "json-valid": HEADER + b"\n" + claims(),
        "json-nbf": HEADER + b"\n" + claims(nbf=NOW - 3600),
        "json-leeway": b'{"alg":"HS256"}\n' + claims(exp=NOW - 29),
        "json-claims-only": claims(),
        # base64url texts (RFC 4648 vectors and the refusals).
        "b64-foobar": b"Zm9vYmFy",
        "b64-fooba": b"Zm9vYmE",
        "b64-url-alphabet": b"-_8",
        "b64-non-canonical": b"Zh",
        "b64-padded": b"Zg==",
        "b64-bad-length": b"Zm9vY",
    }
    return seeds


# ---- http_head (src/http/request_head_test.cc, router_test.cc, src/ws/handshake_test.cc) ----

BROWSER_HEAD = (b"GET /ws?v=1 HTTP/1.1\r\n"
                b"Host: localhost:7000\r\n"
                b"Connection: keep-alive, Upgrade\r\n"
                b"Upgrade: websocket\r\n"
                b"Sec-WebSocket-Version: 13\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                b"If-None-Match: \"abc\"\r\n"
                b"\r\n")


def get_with(header_lines, version=b"HTTP/1.1"):
    return b"GET / " + version + b"\r\nHost: x\r\n" + header_lines + b"\r\n"


def etag_of(web_file):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")
    with open(os.path.join(root, web_file), "rb") as f:
        return b'"' + hashlib.sha256(f.read()).hexdigest()[:16].encode() + b'"'


def http_head_seeds():
    a = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    b = b"GET /app.js HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    return {
        "browser-upgrade": BROWSER_HEAD,
        "upgrade-rfc-key": b"GET /ws HTTP/1.1\r\nHost: localhost:7000\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                           b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        "upgrade-version-8": b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                             b"Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        "upgrade-http10": b"GET /ws HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        "ws-without-upgrade": b"GET /ws HTTP/1.1\r\nHost: h\r\n\r\n",
        "case-insensitive": b"GET / HTTP/1.1\r\nHOST: h\r\nconnection: UPGRADE\r\nupgrade: WebSocket\r\n"
                            b"sec-websocket-KEY:k\r\nSEC-WEBSOCKET-VERSION:\t13 \r\n\r\n",
        "pipelined": a + b + b"GET /healthz HTTP/1.1\r\nHo",
        "pipelined-keep-alive": a + b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n" + a,
        "healthz": b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n",
        "not-found": b"GET /nope?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
        "page-if-none-match": b"GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: " + etag_of("index.html") + b"\r\n\r\n",
        "app-js-weak-etag": b"GET /app.js HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"other\", W/" + etag_of("app.js") +
                            b"\r\n\r\n",
        "star-etag": b"GET /app.css HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n",
        "keep-alive-close": get_with(b"Connection: keep-alive\r\nConnection: close\r\n"),
        "http10": b"GET / HTTP/1.0\r\n\r\n",
        "http10-keep-alive": b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
        "content-length-0": get_with(b"Content-Length: 0\r\n"),
        "content-length-5": get_with(b"Content-Length: 5\r\n"),
        "chunked": get_with(b"Transfer-Encoding: chunked\r\n"),
        "post": b"POST / HTTP/1.1\r\nHost: h\r\n\r\n",
        "lowercase-get": b"get / HTTP/1.1\r\nHost: h\r\n\r\n",
        "bad-method-token": b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "http2": b"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
        "version-suffix": b"GET / HTTP/1.1x\r\nHost: h\r\n\r\n",
        "no-version": b"GET /\r\nHost: h\r\n\r\n",
        "two-spaces": b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "absolute-target": b"GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "control-in-target": b"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
        "empty-request-line": b"\r\n\r\n",
        "folded": get_with(b" folded\r\n"),
        "no-colon": get_with(b"NoColon\r\n"),
        "space-in-name": get_with(b"Bad Name: v\r\n"),
        "control-in-value": get_with(b"X: a\x01z\r\n"),
        "cr-in-value": get_with(b"X: a\rz\r\n"),
        "host-twice": get_with(b"Host: again\r\n"),
        "no-host": b"GET / HTTP/1.1\r\n\r\n",
        "key-twice": get_with(b"Sec-WebSocket-Key: a\r\nSec-WebSocket-Key: b\r\n"),
        "bare-lf-unfinished": b"GET / HTTP/1.1\nHost: h",
        "bare-lf-in-head": b"GET / HTTP/1.1\r\nHost: h\n\r\n",
        "bare-lf": b"\n",
        "unfinished": b"GET /app.js HTTP/1.1\r\nHost: h\r\nX-Pad: ppp",
    }


# ---- ws_frames (src/ws/frame_decoder_test.cc, reader_test.cc) ----

MASK = struct.pack("<I", 0x5A17C0DE)  # ClientFrame's default key, as its 4 wire bytes


def frame(opcode, payload=b"", fin=True, masked=True, rsv=0, form="minimal", key=MASK):
    """A client frame as ws::append_client_frame builds it."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if masked else 0
    if form == "minimal":
        form = "7" if n < 126 else "16" if n <= 0xFFFF else "64"
    if form == "7":
        head += bytes([bit | n])
    elif form == "16":
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10


def close_payload(code, reason=b""):
    return struct.pack(">H", code) + reason


def ws_frames_seeds():
    sample = (frame(TEXT, b'{"op":"hello","user":"alice"}') + frame(PING, b"are you there") +
              frame(TEXT, b'{"op":"msg",', fin=False) + frame(PING) + frame(CONT, b'"room":"l"}') +
              frame(TEXT, b"w" * 300) + frame(CLOSE, close_payload(1000, b"done")))
    seeds = {
        "sample-stream": sample,
        "text": frame(TEXT, b'{"op":"ping"}'),
        "text-16bit": frame(TEXT, b"m" * 130) + frame(PING, b"x"),
        "text-wide16": frame(TEXT, b"hi", form="16"),
        "text-wide64": frame(TEXT, b"hi", form="64"),
        "ping-125": frame(PING, b"p" * 125),
        "pong": frame(PONG, b"p2"),
        "close-code-reason": frame(CLOSE, close_payload(1000, b"bye")) + frame(TEXT, b"after"),
        "close-empty": frame(CLOSE),
        "close-4999": frame(CLOSE, close_payload(4999)),
        "fragments-around-control": (frame(TEXT, b"Hel", fin=False) + frame(PING, b"p1") +
                                     frame(CONT, b"", fin=False) + frame(CONT, b"lo", fin=False) +
                                     frame(PONG, b"p2") + frame(CONT, b" world") + frame(TEXT, b"next")),
        "utf8-split-across-fragments": frame(TEXT, b"caf\xc3", fin=False) + frame(CONT, b"\xa9"),
        "empty-fragments": frame(TEXT, b"", fin=False) + frame(CONT, b""),
        "take-buffered": (frame(TEXT, b'{"op":', fin=False) + frame(PING, b"held ping") + frame(CONT, b'"ping"}') +
                          frame(CLOSE, close_payload(1000, b"bye"))[:-3]),
        "unfinished-header": frame(TEXT, b"x" * 300)[:3],
        "unfinished-payload": frame(TEXT, b"x" * 300)[:100],
        # Refusals.
        "unmasked": frame(TEXT, b"hi", masked=False),
        "rsv1": frame(TEXT, b"hi", rsv=4),
        "reserved-opcode-3": frame(3, b"x"),
        "reserved-opcode-b": frame(0xB, b"x"),
        "fragmented-ping": frame(PING, b"p", fin=False),
        "ping-126": frame(PING, b"p" * 126),
        "ping-wide16": frame(PING, b"p", form="16"),
        "orphan-continuation": frame(CONT, b"orphan"),
        "text-while-open": frame(TEXT, b"part", fin=False) + frame(TEXT, b"new"),
        "binary": frame(BINARY, b"\x01\x02"),
        "binary-header-only": b"\x82\x85",
        "length-top-bit": b"\x81\xff\x80" + b"\x00" * 7,
        "length-huge": b"\x81\xff" + struct.pack(">Q", 1 << 40),
        "bad-utf8": frame(TEXT, b"bad \xc3\x28"),
        "surrogate": frame(TEXT, b"\xed\xa0\x80"),
        "utf8-cut-then-ascii": frame(TEXT, b"caf\xc3", fin=False) + frame(CONT, b"x"),
        "close-one-byte": frame(CLOSE, b"\x03"),
        "close-1005": frame(CLOSE, close_payload(1005)),
        "close-bad-reason": frame(CLOSE, close_payload(1000, b"\xff")),
        # A last byte below 9 sets the message bound to 16 x that byte (the byte is also
        # the start of an unfinished frame).
        "bound-32-text-33": frame(TEXT, b"x" * 33) + b"\x02",
        "bound-32-fragments": frame(TEXT, b"x" * 20, fin=False) + frame(CONT, b"x" * 13) + b"\x02",
        "bound-0-empty-text": frame(TEXT, b"") + frame(TEXT, b"a") + b"\x00",
    }
    return seeds


TARGETS = {"jwt": jwt_seeds, "http_head": http_head_seeds, "ws_frames": ws_frames_seeds}


def main(argv):
    for target in argv or list(TARGETS):
        write(target, TARGETS[target]())


if __name__ == "__main__":
    main(sys.argv[1:])
