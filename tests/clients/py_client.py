#!/usr/bin/env python3
"""One HTTPS request with Python's `ssl` module and its default context.

Used by tests/python_client.rs. Connects to HOST:PORT, verifies the server as
SERVERNAME against CAFILE, sends `GET PATH HTTP/1.1` and prints what happened as
`key: value` lines, then the response.

Exit codes:
  0  handshake and request completed (the response follows a blank line)
  2  usage error
  3  ssl.SSLCertVerificationError (prints verify_code, verify_message, reason)
  4  any other ssl.SSLError (prints reason, library, the message)
  5  another OSError (connection reset, refused, timeout)
"""

import argparse
import socket
import ssl
import sys

VERSIONS = {
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("servername", help="SNI and the name to verify; 'none' sends no SNI")
    p.add_argument("cafile")
    p.add_argument("--cert", help="client certificate chain (PEM)")
    p.add_argument("--key", help="client private key (PEM)")
    p.add_argument("--min-version", choices=sorted(VERSIONS))
    p.add_argument("--max-version", choices=sorted(VERSIONS))
    p.add_argument("--ciphers", help="OpenSSL cipher string for TLS 1.2 and below")
    p.add_argument("--path", default="/")
    p.add_argument("--timeout", type=float, default=10.0)
    return p.parse_args()


def say(key, value):
    print(f"{key}: {value}", flush=True)


def main():
    args = parse_args()
    ctx = ssl.create_default_context(cafile=args.cafile)
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    if args.min_version:
        ctx.minimum_version = VERSIONS[args.min_version]
    if args.max_version:
        ctx.maximum_version = VERSIONS[args.max_version]
    if args.ciphers:
        ctx.set_ciphers(args.ciphers)
    servername = None if args.servername == "none" else args.servername
    if servername is None:
        # No SNI means no name to check either; the chain is still verified.
        ctx.check_hostname = False
    say("openssl", ssl.OPENSSL_VERSION)
    phase = "connect"
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as raw:
            phase = "handshake"
            with ctx.wrap_socket(raw, server_hostname=servername) as tls:
                say("version", tls.version())
                say("cipher", tls.cipher()[0])
                phase = "request"
                host = servername or args.host
                request = (
                    f"GET {args.path} HTTP/1.1\r\nHost: {host}:{args.port}\r\n"
                    "User-Agent: quirktls-py-client\r\nConnection: close\r\n\r\n"
                )
                tls.sendall(request.encode())
                phase = "response"
                chunks = []
                while True:
                    data = tls.recv(16384)
                    if not data:
                        break
                    chunks.append(data)
    except ssl.SSLCertVerificationError as e:
        say("phase", phase)
        say("error", "SSLCertVerificationError")
        say("verify_code", e.verify_code)
        say("verify_message", e.verify_message)
        say("reason", e.reason)
        return 3
    except ssl.SSLError as e:
        say("phase", phase)
        say("error", type(e).__name__)
        say("reason", e.reason)
        say("library", e.library)
        say("message", e)
        return 4
    except OSError as e:
        say("phase", phase)
        say("error", type(e).__name__)
        say("message", e)
        return 5
    say("result", "ok")
    print()
    sys.stdout.write(b"".join(chunks).decode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
