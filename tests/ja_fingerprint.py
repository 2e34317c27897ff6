#!/usr/bin/env python3
"""Reference JA3 / JA4 calculator for test fixtures, written from the published specs
(salesforce/ja3 README; FoxIO technical_details/JA4.md), independent of the Rust code.

Usage: python3 tests/ja_fingerprint.py tests/data/openssl-3.0-client-hello.bin

The fixture is the first flight of `openssl s_client -connect 127.0.0.1:PORT
-servername example.test -alpn h2,http/1.1` (OpenSSL 3.0.19), captured with a plain
socket listener; the expected values in src/observe/first_flight.rs come from this
script.
"""
import hashlib
import sys


def is_grease(v):
    return v & 0x0F0F == 0x0A0A and v >> 8 == v & 0xFF


def u16s(b):
    return [int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b) - 1, 2)]


def handshake_bytes(stream):
    out, i = b"", 0
    while i + 5 <= len(stream):
        assert stream[i] == 0x16, "not a handshake record"
        n = int.from_bytes(stream[i + 3:i + 5], "big")
        out += stream[i + 5:i + 5 + n]
        i += 5 + n
    return out


def parse(hs):
    assert hs[0] == 1, "not a ClientHello"
    body = hs[4:4 + int.from_bytes(hs[1:4], "big")]
    version = int.from_bytes(body[0:2], "big")
    i = 34
    i += 1 + body[i]  # session id
    n = int.from_bytes(body[i:i + 2], "big")
    ciphers = u16s(body[i + 2:i + 2 + n])
    i += 2 + n
    i += 1 + body[i]  # compression methods
    exts = []
    if i < len(body):
        end = i + 2 + int.from_bytes(body[i:i + 2], "big")
        i += 2
        while i < end:
            t = int.from_bytes(body[i:i + 2], "big")
            n = int.from_bytes(body[i + 2:i + 4], "big")
            exts.append((t, body[i + 4:i + 4 + n]))
            i += 4 + n
    return version, ciphers, exts


def ext(exts, t):
    return next((d for k, d in exts if k == t), None)


def ja3(version, ciphers, exts):
    groups = ext(exts, 10)
    formats = ext(exts, 11)
    fields = [
        [version],
        [c for c in ciphers if not is_grease(c)],
        [t for t, _ in exts if not is_grease(t)],
        [g for g in u16s(groups[2:]) if not is_grease(g)] if groups else [],
        list(formats[1:]) if formats else [],
    ]
    return ",".join("-".join(str(v) for v in f) for f in fields)


def sha12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"


def ja4(version, ciphers, exts):
    codes = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2"}
    sv = ext(exts, 43)
    if sv is not None:
        version = max(v for v in u16s(sv[1:]) if not is_grease(v))
    ciphers = [c for c in ciphers if not is_grease(c)]
    types = [t for t, _ in exts if not is_grease(t)]
    alpn = ext(exts, 16)
    a = "00"
    if alpn:
        first = alpn[3:3 + alpn[2]]
        if first:
            f, l = first[0], first[-1]
            if chr(f).isalnum() and chr(l).isalnum() and f < 128 and l < 128:
                a = chr(f) + chr(l)
            else:
                h = first.hex()
                a = h[0] + h[-1]
    head = "t%s%s%02d%02d%s" % (codes.get(version, "00"), "d" if 0 in types else "i",
                                min(len(ciphers), 99), min(len(types), 99), a)
    b = sha12(",".join("%04x" % c for c in sorted(ciphers)))
    sig = ext(exts, 13)
    sigs = [s for s in u16s(sig[2:]) if not is_grease(s)] if sig else []
    c = ",".join("%04x" % t for t in sorted(t for t in types if t not in (0, 16)))
    if c and sigs:
        c += "_" + ",".join("%04x" % s for s in sigs)
    return "%s_%s_%s" % (head, b, sha12(c))


if __name__ == "__main__":
    hello = parse(handshake_bytes(open(sys.argv[1], "rb").read()))
    j3 = ja3(*hello)
    print("ja3      ", j3)
    print("ja3_hash ", hashlib.md5(j3.encode()).hexdigest())
    print("ja4      ", ja4(*hello))
