"""docent payload encryption, version 1: a client written from docs/ENCRYPTION.md alone.

Uses only Python's standard library and python3-cryptography (Debian's python3-cryptography).
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import time

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENCRYPTED_JSON = "application/vnd.docent.encrypted+json"
ENCRYPTED_PART = "application/vnd.docent.encrypted"
SALT = b"docent payload encryption"


def derive_keys(api_key):
    """The four 32-byte keys of docs/ENCRYPTION.md, by name ("request enc", "response mac", ...)."""
    keys = {}
    for direction in ("request", "response"):
        for use in ("enc", "mac"):
            info = f"docent v1 {direction} {use}".encode()
            keys[f"{direction} {use}"] = HKDF(hashes.SHA256(), 32, SALT, info).derive(api_key.encode())
    return keys


def _mac_input(version, ts, iv, ct):
    return bytes([version]) + struct.pack(">q", ts) + iv + ct


def seal(keys, direction, plaintext, ts=None, iv=None):
    """One envelope (a dict) carrying `plaintext` (bytes) from `direction` ("request"/"response")."""
    ts = int(time.time()) if ts is None else ts
    iv = os.urandom(16) if iv is None else iv
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(keys[f"{direction} enc"]), modes.CBC(iv)).encryptor()
    ct = enc.update(padded) + enc.finalize()
    mac = hmac.new(keys[f"{direction} mac"], _mac_input(1, ts, iv, ct), hashlib.sha256).digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return {"v": 1, "ts": ts, "iv": b64(iv), "ct": b64(ct), "mac": b64(mac)}


def envelope_text(envelope):
    return json.dumps(envelope, separators=(",", ":"))


class Rejected(Exception):
    pass


def open_envelope(keys, direction, envelope, window=300, now=None):
    """The plaintext (bytes) of an envelope (a dict or its JSON text); Rejected when it fails."""
    if isinstance(envelope, (str, bytes)):
        envelope = json.loads(envelope)
    if set(envelope) != {"v", "ts", "iv", "ct", "mac"}:
        raise Rejected("fields")
    try:
        iv = base64.b64decode(envelope["iv"], validate=True)
        ct = base64.b64decode(envelope["ct"], validate=True)
        tag = base64.b64decode(envelope["mac"], validate=True)
    except ValueError as e:
        raise Rejected("base64") from e
    version, ts = envelope["v"], envelope["ts"]
    if not isinstance(version, int) or not 0 <= version <= 255 or not isinstance(ts, int):
        raise Rejected("types")
    if len(iv) != 16 or len(tag) != 32 or not ct or len(ct) % 16:
        raise Rejected("lengths")
    expected = hmac.new(keys[f"{direction} mac"], _mac_input(version, ts, iv, ct), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, tag):  # first, and in constant time
        raise Rejected("mac")
    if version != 1:
        raise Rejected("version")
    now = int(time.time()) if now is None else now
    if abs(now - ts) > window:
        raise Rejected("timestamp")
    dec = Cipher(algorithms.AES(keys[f"{direction} enc"]), modes.CBC(iv)).decryptor()
    padded = dec.update(ct) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as e:
        raise Rejected("padding") from e


if __name__ == "__main__":
    # The worked example of docs/ENCRYPTION.md.
    keys = derive_keys("dk_TestKeyForTheDocumentedExample")
    for name in ("request enc", "request mac", "response enc", "response mac"):
        print(f"{name}: {keys[name].hex()}")
    print(envelope_text(seal(keys, "request", b'{"message":"hi"}', ts=1765000000, iv=b"0123456789abcdef")))
