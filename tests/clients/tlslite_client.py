#!/usr/bin/env python3
"""A TLS 1.2 client (tlslite-ng, pure Python) that does what no stock client will, for
tests/it/scripted_alerts.rs. Each mode completes a handshake with HOST:PORT, then:

  corrupt mac|padding HOST PORT   sends its request in a record with a bad MAC or bad
                                  CBC padding; prints `alert N` for the server's answer
  big-hello BYTES HOST PORT       pads its ClientHello to BYTES (suites and an unknown
                                  extension), then GETs /; prints `response LINE`
  reneg-hello scsv|plain HOST PORT  sends a renegotiation ClientHello carrying the right
                                  renegotiation_info, with or without the SCSV; prints
                                  the first record of the answer: `alert N` or `handshake T`

Exit 0 when it printed its answer, 1 otherwise (with the reason on stderr).
"""

import os
import socket
import struct
import sys

from tlslite import HandshakeSettings, TLSConnection
from tlslite.errors import TLSRemoteAlert
from tlslite.messages import ClientHello, Finished
from tlslite.extensions import TLSExtension

GCM = 0xC02F  # TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
SCSV = 0x00FF


class Wire:
    """The socket, with the next record sent after `arm()` damaged as asked."""

    def __init__(self, sock):
        self.sock = sock
        self.damage = None

    def arm(self, damage):
        self.damage = damage

    def send(self, data):
        if self.damage:
            data = self.damage(bytearray(data))
            self.damage = None
        return self.sock.send(data)

    def sendall(self, data):
        return self.send(data)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def flip_iv(record):
    # The explicit IV (TLS 1.1+) XORs into the first plaintext block: the data changes,
    # the padding does not, so only the MAC fails.
    record[5] ^= 0x01
    return record


def flip_padding_length(record):
    # The second-to-last block XORs into the last one, whose last byte is the padding
    # length: 0x80 makes it longer than the record.
    record[len(record) - 17] ^= 0x80
    return record


def connect(host, port, settings, wire_out=None):
    sock = socket.create_connection((host, int(port)), timeout=10)
    wire = Wire(sock)
    conn = TLSConnection(wire)
    conn.handshakeClientCert(settings=settings)
    if wire_out is not None:
        wire_out.append(wire)
    return conn


def cbc_settings():
    s = HandshakeSettings()
    s.minVersion = s.maxVersion = (3, 3)
    s.cipherNames = ["aes128"]
    s.macNames = ["sha"]
    s.keyExchangeNames = ["ecdhe_rsa"]
    s.useEncryptThenMAC = False
    return s


def corrupt(mode, host, port):
    wires = []
    conn = connect(host, port, cbc_settings(), wires)
    wires[0].arm(flip_iv if mode == "mac" else flip_padding_length)
    conn.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        data = conn.read()
    except TLSRemoteAlert as alert:
        print(f"alert {alert.description}")
        return 0
    sys.stderr.write(f"no alert; read {data!r}\n")
    return 1


def big_hello(size, host, port):
    size = int(size)
    create = ClientHello.create

    def padded(self, *args, **kwargs):
        hello = create(self, *args, **kwargs)
        # Unassigned suite code points (the server must ignore them), then an unknown
        # extension for the rest.
        room = size - len(hello.write())
        suites = min(room // 2, 30000)
        hello.cipher_suites = hello.cipher_suites + [0x0A00 + i for i in range(suites)]
        room = size - len(hello.write()) - 4
        hello.extensions.append(TLSExtension(extType=0xFE0F).create(bytearray(room)))
        return hello

    ClientHello.create = padded
    settings = HandshakeSettings()
    settings.maxVersion = (3, 3)
    settings.usePaddingExtension = False
    conn = connect(host, port, settings)
    conn.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    response = b""
    while b"\r\n" not in response:
        chunk = conn.read()
        if not chunk:
            break
        response += chunk
    print("response " + response.split(b"\r\n")[0].decode())
    return 0


def renegotiation_hello(with_scsv, client_verify):
    suites = [GCM] + ([SCSV] if with_scsv else [])
    exts = b""
    for typ, data in [
        (0xFF01, bytes([len(client_verify)]) + client_verify),  # renegotiation_info
        (10, struct.pack(">HHH", 4, 29, 23)),  # supported_groups x25519, secp256r1
        (11, b"\x01\x00"),  # ec_point_formats uncompressed
        (13, struct.pack(">HHH", 4, 0x0401, 0x0804)),  # signature_algorithms
    ]:
        exts += struct.pack(">HH", typ, len(data)) + data
    body = b"\x03\x03" + os.urandom(32) + b"\x00"
    body += struct.pack(">H", 2 * len(suites)) + b"".join(struct.pack(">H", s) for s in suites)
    body += b"\x01\x00" + struct.pack(">H", len(exts)) + exts
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


class Raw:
    """A handshake message tlslite sends as it is (under the current keys)."""

    contentType = 22

    def __init__(self, data):
        self.data = bytearray(data)

    def write(self):
        return self.data


def reneg_hello(mode, host, port):
    sent = []
    create = Finished.create

    def noting(self, verify_data):
        sent.append(bytes(verify_data))
        return create(self, verify_data)

    Finished.create = noting
    settings = HandshakeSettings()
    settings.minVersion = settings.maxVersion = (3, 3)
    conn = connect(host, port, settings)
    hello = renegotiation_hello(mode == "scsv", sent[0])
    for _ in conn._sendMsg(Raw(hello), update_hashes=False):
        pass
    for result in conn._getNextRecord():
        if result in (0, 1):
            continue
        header, parser = result
        payload = bytes(parser.bytes)
        if header.type == 21:
            print(f"alert {payload[1]}")
        else:
            print(f"{'handshake' if header.type == 22 else header.type} {payload[0]}")
        return 0
    sys.stderr.write("no answer\n")
    return 1


def main(argv):
    modes = {"corrupt": corrupt, "big-hello": big_hello, "reneg-hello": reneg_hello}
    if len(argv) != 5 or argv[1] not in modes:
        sys.stderr.write(__doc__)
        return 2
    return modes[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
