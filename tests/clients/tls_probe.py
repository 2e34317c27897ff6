#!/usr/bin/env python3
"""Conformance probe on tlslite-ng: a real handshake with the server under test, then one
deliberate misstep, and what the server answered, as one JSON line on stdout:

  {"outcome": "alert", "level": 2, "description": 20}
  {"outcome": "completed", "version": "TLS 1.2", "cipher": "aes256gcm"}
  {"outcome": "renegotiating", "binding_ok": true}
  {"outcome": "refused", "description": 51, "reason": "..."}  (tlslite's own alert)
  {"outcome": "closed"} / {"outcome": "silent"}

Used by tests/it/conformance for requirements that need keys (bad MAC or padding after
the handshake, a wrong Finished, renegotiation, KeyUpdate). Needs `pip install tlslite-ng`.
"""

import argparse
import json
import os
import socket
import sys

from tlslite import HandshakeSettings, TLSConnection
from tlslite import messages as tls_messages
from tlslite import tlsconnection, tlsrecordlayer
from tlslite.constants import (AlertDescription, CipherSuite, ContentType, ECPointFormat,
                               ExtensionType, GroupName, HandshakeType, HashAlgorithm,
                               SignatureAlgorithm, SignatureScheme)
from tlslite.errors import TLSAbruptCloseError, TLSLocalAlert, TLSRemoteAlert
from tlslite.extensions import (ECPointFormatsExtension, RenegotiationInfoExtension,
                                SignatureAlgorithmsExtension, SNIExtension,
                                SupportedGroupsExtension, TLSExtension)
from tlslite.messages import Alert, ClientHello, Message

# The verify_data of the last Finished each side sent (RFC 5746 binds to them), and
# whether ours goes out corrupted.
FINISHED = {"client": None, "server": None, "corrupt": False}


class Finished(tls_messages.Finished):
    """tlslite's Finished, recording verify_data and corrupting ours on request."""

    def create(self, verify_data):
        verify_data = bytearray(verify_data)
        if FINISHED["corrupt"]:
            verify_data[0] ^= 0x5A
        FINISHED["client"] = bytes(verify_data)
        return super().create(verify_data)

    def parse(self, p):
        out = super().parse(p)
        FINISHED["server"] = bytes(self.verify_data)
        return out


tlsconnection.Finished = Finished
tlsrecordlayer.Finished = Finished

# The server's last alert: TLSConnection.read() swallows close_notify (and returns b""),
# so remember every alert as it is raised.
LAST_ALERT = {}
_remote_alert_init = TLSRemoteAlert.__init__


def _remember_alert(self, alert):
    _remote_alert_init(self, alert)
    LAST_ALERT["alert"] = alert


TLSRemoteAlert.__init__ = _remember_alert


class Tamper:
    """A socket whose next write gets one byte flipped at `offset` (negative: from the end)."""

    def __init__(self, sock):
        self.sock = sock
        self.flip_at = None

    def _tamper(self, data):
        if self.flip_at is None:
            return data
        data = bytearray(data)
        data[self.flip_at] ^= 0x01
        self.flip_at = None
        return bytes(data)

    def send(self, data):
        return self.sock.send(self._tamper(data))

    def sendall(self, data):
        return self.sock.sendall(self._tamper(data))

    def __getattr__(self, name):
        return getattr(self.sock, name)


def emit(**fields):
    print(json.dumps(fields))
    sys.stdout.flush()


def emit_alert(alert):
    emit(outcome="alert", level=alert.level, description=alert.description)


def settings_for(args):
    s = HandshakeSettings()
    if args.version == "tls1.3":
        s.minVersion, s.maxVersion = (3, 4), (3, 4)
        s.versions = [(3, 4)]
        # tlslite's default list has brainpool curves, which TLS 1.3 forbids.
        s.eccCurves = ["x25519", "secp256r1", "secp384r1"]
        s.keyShares = ["x25519"]
    else:
        s.minVersion, s.maxVersion = (3, 3), (3, 3)
        s.versions = [(3, 3)]
    if args.cbc:
        s.cipherNames = ["aes128"]
        s.macNames = ["sha256", "sha"]
        s.keyExchangeNames = ["rsa"]
    s.useEncryptThenMAC = False
    s.useExtendedMasterSecret = args.ems != "off"
    s.requireExtendedMasterSecret = args.ems == "require"
    return s


def reported(step):
    """Run `step`, which emits what it read; if the server ends the exchange instead,
    emit how: its alert, a close, or silence."""
    try:
        step()
    except TLSRemoteAlert as e:
        emit_alert(e)
    except (TLSAbruptCloseError, ConnectionError):
        emit(outcome="closed")
    except socket.timeout:
        emit(outcome="silent")


def read_answer(conn):
    """What the server sends next, up to its alert or close (or silence)."""
    def step():
        while conn.read(max=4096):
            pass
        # read() returns b"" once it has swallowed a close_notify.
        if "alert" in LAST_ALERT:
            emit_alert(LAST_ALERT["alert"])
        else:
            emit(outcome="closed")
    reported(step)


def renegotiate(conn, args):
    """Send a renegotiation ClientHello under the current keys; report the answer."""
    suites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
              CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA]
    if args.scsv:
        suites.append(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
    # What the first handshake offered, so the only difference is renegotiation_info
    # (OpenSSL, for one, refuses a renegotiation that drops extended_master_secret).
    extensions = [
        SNIExtension().create(bytearray(args.host, "ascii")),
        SupportedGroupsExtension().create([GroupName.x25519, GroupName.secp256r1]),
        ECPointFormatsExtension().create([ECPointFormat.uncompressed]),
        SignatureAlgorithmsExtension().create([
            (HashAlgorithm.sha256, SignatureAlgorithm.rsa),
            SignatureScheme.rsa_pss_rsae_sha256,
        ]),
    ]
    if args.ems != "off":
        extensions.append(
            TLSExtension(extType=ExtensionType.extended_master_secret).create(bytearray(0)))
    if args.reneg_info != "none":
        binding = bytearray(FINISHED["client"] or b"")
        if args.reneg_info == "wrong":
            binding[0] ^= 0xFF
        extensions.append(RenegotiationInfoExtension().create(binding))
    hello = ClientHello().create((3, 3), bytearray(os.urandom(32)), bytearray(0), suites,
                                 extensions=extensions)
    for _ in conn._sendMsg(hello):
        pass

    def step():
        for result in conn._getMsg(ContentType.handshake, HandshakeType.server_hello):
            if result in (0, 1):
                continue
            info = result.getExtension(ExtensionType.renegotiation_info)
            got = bytes(info.renegotiated_connection) if info else None
            expected = FINISHED["client"] + FINISHED["server"]
            emit(outcome="renegotiating", binding_ok=got == expected)
            return
    reported(step)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--version", choices=["tls1.2", "tls1.3"], default="tls1.2")
    p.add_argument("--cbc", action="store_true", help="static RSA with AES-CBC")
    p.add_argument("--ems", choices=["on", "off", "require"], default="on")
    p.add_argument("--action", required=True,
                   choices=["complete", "bad-mac", "bad-padding", "bad-finished",
                            "renegotiate", "unknown-record", "close-notify",
                            "key-update-invalid"])
    p.add_argument("--reneg-info", choices=["none", "client-verify", "wrong"],
                   default="client-verify")
    p.add_argument("--scsv", action="store_true")
    args = p.parse_args()

    raw = socket.create_connection(("127.0.0.1", args.port), timeout=5)
    sock = Tamper(raw)
    conn = TLSConnection(sock)
    FINISHED["corrupt"] = args.action == "bad-finished"
    shook = []

    def handshake():
        conn.handshakeClientCert(settings=settings_for(args), serverName=args.host)
        shook.append(True)

    try:
        reported(handshake)
    except TLSLocalAlert as e:
        # The server broke the handshake (e.g. a wrong Finished) and tlslite said so.
        emit(outcome="refused", description=e.description, reason=str(e))
        return
    if not shook:
        return
    if args.action == "bad-finished":
        # The server should have refused our Finished; tlslite may not notice until it reads.
        read_answer(conn)
        return

    request = b"GET / HTTP/1.1\r\nHost: " + args.host.encode() + b"\r\n\r\n"
    if args.action == "complete":
        def step():
            conn.write(request)
            reply = conn.read(max=4096)
            if reply.startswith(b"HTTP/1."):
                emit(outcome="completed", version=conn.getVersionName(),
                     cipher=conn.getCipherName())
            else:
                emit(outcome="probe-error", error="no HTTP reply: %r" % reply[:64])
        reported(step)
    elif args.action == "bad-mac":
        # Byte 20 of the fragment is inside the explicit IV (CBC: flips a plaintext byte
        # of the first block, so the MAC fails with the padding intact) or the ciphertext.
        sock.flip_at = 5 + 20
        conn.write(request + b"X-Pad: " + b"a" * 100 + b"\r\n\r\n")
        read_answer(conn)
    elif args.action == "bad-padding":
        # The last byte of the penultimate block flips the padding length byte.
        sock.flip_at = -17
        conn.write(request)
        read_answer(conn)
    elif args.action == "renegotiate":
        renegotiate(conn, args)
    elif args.action == "unknown-record":
        for _ in conn._recordLayer.sendRecord(Message(99, bytearray(b"quirktls"))):
            pass
        read_answer(conn)
    elif args.action == "close-notify":
        alert = Alert().create(AlertDescription.close_notify, 1)
        for _ in conn._sendMsg(alert):
            pass
        read_answer(conn)
    elif args.action == "key-update-invalid":
        # KeyUpdate(24) with request_update 2 (only 0 and 1 are defined).
        msg = Message(ContentType.handshake, bytearray([24, 0, 0, 1, 2]))
        for _ in conn._sendMsg(msg, update_hashes=False):
            pass
        read_answer(conn)


if __name__ == "__main__":
    main()
