#!/usr/bin/env python3
"""Known-answer records for src/engine/scripted/crypto/protect/tests.rs, which reads
them from records.txt, this script's output.

An implementation of TLS 1.0-1.2 record protection written from the RFCs (2246,
4346, 5246, 5288) on Python's hmac/hashlib and the `cryptography` package's
ciphers -- independent of the Rust code under test. For each case it derives the
key block from a fixed master secret and randoms, then seals two records per
direction. Regenerate (needs `cryptography`):
    python3 tests/vectors/records.py > tests/vectors/records.txt
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.ciphers.algorithms import AES
from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4, TripleDES

MASTER = bytes(range(0x50, 0x50 + 48))
CLIENT_RANDOM = bytes(range(0, 32))
SERVER_RANDOM = bytes(range(0x20, 0x40))
TLS10, TLS11, TLS12 = 0x0301, 0x0302, 0x0303
APPLICATION_DATA, HANDSHAKE = 23, 22


def p_hash(name, secret, seed, n):
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, name).digest()
        out += hmac.new(secret, a + seed, name).digest()
    return out[:n]


def prf(version, hash_name, secret, label, seed, n):
    if version < TLS12:
        half = (len(secret) + 1) // 2
        md5 = p_hash("md5", secret[:half], label + seed, n)
        sha = p_hash("sha1", secret[-half:], label + seed, n)
        return bytes(x ^ y for x, y in zip(md5, sha))
    return p_hash(hash_name, secret, label + seed, n)


def header(seq, typ, version, length):
    return struct.pack(">QBHH", seq, typ, version, length)


class Side:
    """One direction: seals records as RFC 5246 section 6.2.3 says."""

    def __init__(self, kind, mac_name, mac_key, key, iv, version):
        self.kind, self.mac_name, self.mac_key = kind, mac_name, mac_key
        self.key, self.iv, self.version, self.seq = key, iv, version, 0
        if kind == "rc4":
            self.rc4 = Cipher(ARC4(key), None).encryptor()

    def seal(self, typ, plaintext, explicit_iv=None):
        seq = self.seq
        self.seq += 1
        if self.kind == "gcm":
            nonce = seq.to_bytes(8, "big")
            aad = header(seq, typ, self.version, len(plaintext))
            return nonce + AESGCM(self.key).encrypt(self.iv + nonce, plaintext, aad)
        mac = hmac.new(self.mac_key, header(seq, typ, self.version, len(plaintext)) + plaintext,
                       self.mac_name).digest()
        data = plaintext + mac
        if self.kind == "rc4":
            return self.rc4.update(data)
        algorithm = AES(self.key) if self.kind == "aes" else TripleDES(self.key)
        block = algorithm.block_size // 8
        pad = (block - (len(data) + 1) % block) % block
        data += bytes([pad]) * (pad + 1)
        iv = self.iv if self.version == TLS10 else explicit_iv
        enc = Cipher(algorithm, modes.CBC(iv)).encryptor()
        out = enc.update(data) + enc.finalize()
        if self.version == TLS10:
            self.iv = out[-block:]
            return out
        return iv + out


# (label, version, kind, mac hash, key length, PRF hash)
CASES = [
    ("tls12_aes128_gcm", TLS12, "gcm", None, 16, "sha256"),
    ("tls12_aes256_gcm", TLS12, "gcm", None, 32, "sha384"),
    ("tls10_aes128_cbc_sha", TLS10, "aes", "sha1", 16, None),
    ("tls11_aes256_cbc_sha", TLS11, "aes", "sha1", 32, None),
    ("tls12_aes256_cbc_sha384", TLS12, "aes", "sha384", 32, "sha384"),
    ("tls10_3des_cbc_sha", TLS10, "3des", "sha1", 24, None),
    ("tls10_rc4_md5", TLS10, "rc4", "md5", 16, None),
    ("tls12_rc4_sha", TLS12, "rc4", "sha1", 16, "sha256"),
]
PLAINTEXTS = [(HANDSHAKE, bytes(range(16))), (APPLICATION_DATA, b"GET / HTTP/1.0\r\n\r\n")]


def main():
    for label, version, kind, mac_name, key_len, prf_hash in CASES:
        mac_len = hashlib.new(mac_name).digest_size if mac_name else 0
        block = {"aes": 16, "3des": 8}.get(kind, 0)
        iv_len = 4 if kind == "gcm" else (block if version == TLS10 else 0)
        kb = prf(version, prf_hash, MASTER, b"key expansion", SERVER_RANDOM + CLIENT_RANDOM,
                 2 * (mac_len + key_len + iv_len))
        macs, kb = (kb[:mac_len], kb[mac_len:2 * mac_len]), kb[2 * mac_len:]
        keys, kb = (kb[:key_len], kb[key_len:2 * key_len]), kb[2 * key_len:]
        ivs = (kb[:iv_len], kb[iv_len:2 * iv_len])
        print(f"// {label}")
        for name, i in (("client", 0), ("server", 1)):
            side = Side(kind, mac_name, macs[i], keys[i], ivs[i], version)
            for n, (typ, pt) in enumerate(PLAINTEXTS):
                explicit = bytes([0xe0 + 16 * i + n]) * block if block else None
                print(f"{name} {typ} {pt.hex()} {side.seal(typ, pt, explicit).hex()}")


if __name__ == "__main__":
    main()
