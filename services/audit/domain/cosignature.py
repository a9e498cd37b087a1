"""Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, type `cosignature/v1`) on checkpoint notes.

A cosignature is a note signature line "— <name> base64(key ID || u64be timestamp || Ed25519 signature)".
The key ID is SHA-256(<name> || "\\n" || 0x04 || 32-byte public key)[:4]; the signed message is
"cosignature/v1\\n" "time <timestamp>\\n" followed by the whole checkpoint note text (no signature lines).
It states that, as of the timestamp, this is the largest consistent tree the cosigner has seen for the
log named by the origin line (tlog-cosignature, "Ed25519 signed message").

Pure: no I/O, no clock (the timestamp is an argument). Malformed input raises NoteError naming what is
wrong, never key material.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.audit.domain.checkpoint import (
    _DASH,
    _HEX8,
    MAX_SIZE,
    NoteError,
    _b64,
    _check_name,
    _note_text,
    _show,
    _signature_line,
    split_note,
)

__all__ = ["COSIGNATURE_V1", "CosignatureVerifier", "Cosigner", "NoteError", "cosigned_message", "split_note"]

COSIGNATURE_V1 = b"\x04"  # key type byte of Ed25519 cosignatures (tlog-cosignature, "Format")
_HEADER = b"cosignature/v1\n"
_SIGNATURE_BYTES = 4 + 8 + 64  # key ID, u64 timestamp, Ed25519 signature


def _check_timestamp(timestamp: int) -> int:
    """The timestamp MUST NOT exceed 2**63-1 (tlog-cosignature); it is a POSIX time in seconds."""
    if type(timestamp) is not int or not 0 <= timestamp <= MAX_SIZE:
        raise NoteError(f"cosignature timestamp {timestamp!r} is not an integer from 0 to 2**63-1")
    return timestamp


def cosigned_message(checkpoint_body: bytes, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosigner signs: b"cosignature/v1\\ntime <ts>\\n" + the checkpoint note text
    (up to and including its last newline, without signature lines). NoteError if the body is not note
    text or the timestamp is out of range."""
    body = _note_text(checkpoint_body, "checkpoint body")
    return _HEADER + f"time {_check_timestamp(timestamp)}\n".encode("ascii") + body.encode("utf-8")


def _key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + COSIGNATURE_V1 + public_key).digest()[:4]


class Cosigner:
    """A witness's Ed25519 cosigning key under its name (a schema-less URL such as witness.example/w1)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey):
        """Preconditions: name is a valid note key name (no spaces, no '+'); private_key is Ed25519 (else NoteError)."""
        self.name = _check_name(name)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise NoteError("private key must be a cryptography Ed25519PrivateKey")
        self._key = private_key
        self.public_key_bytes = private_key.public_key().public_bytes_raw()
        self.key_hash = _key_hash(name, self.public_key_bytes)
        vkey = base64.b64encode(COSIGNATURE_V1 + self.public_key_bytes).decode("ascii")
        self.verifier_key = f"{name}+{self.key_hash.hex()}+{vkey}"

    def cosign(self, checkpoint_body: bytes, timestamp: int) -> str:
        """One note signature line, "— <name> <base64(key ID || u64be timestamp || signature)>\\n", over
        cosigned_message(checkpoint_body, timestamp)."""
        signature = self._key.sign(cosigned_message(checkpoint_body, timestamp))
        raw = self.key_hash + timestamp.to_bytes(8, "big") + signature
        return f"{_DASH}{self.name} {base64.b64encode(raw).decode('ascii')}\n"


class CosignatureVerifier:
    """A trusted cosigner, from its vkey "<name>+<hex key ID>+<base64(0x04 || 32-byte public key)>"."""

    def __init__(self, verifier_key: str):
        """NoteError if the key string is malformed, its type byte is not 0x04, or its key ID does not match
        its name and public key."""
        parts = verifier_key.split("+", 2) if isinstance(verifier_key, str) else []
        if len(parts) != 3:
            raise NoteError("cosignature verifier key must have the form <name>+<hash>+<key>")
        name, hex_hash, b64 = parts
        self.name = _check_name(name)
        if not _HEX8.fullmatch(hex_hash):
            raise NoteError(f"cosignature verifier key hash {_show(hex_hash)} is not 8 lowercase hex digits")
        raw = _b64(b64, "cosignature verifier key data")
        if raw[:1] != COSIGNATURE_V1:
            raise NoteError(
                f"cosignature verifier key has type {raw[:1].hex() or 'none'}; only 04 (Ed25519 cosignature/v1)"
                " is supported"
            )
        if len(raw) != 33:
            raise NoteError(f"cosignature verifier key's Ed25519 key is {len(raw) - 1} bytes, not 32")
        self.public_key_bytes = raw[1:]
        self.key_hash = bytes.fromhex(hex_hash)
        if _key_hash(name, self.public_key_bytes) != self.key_hash:
            raise NoteError(f"cosignature verifier key hash {hex_hash} does not match its name and key")
        self.verifier_key = verifier_key
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key_bytes)

    def timestamp_of(self, checkpoint_body: bytes, line: str) -> int | None:
        """The POSIX timestamp of `line` if it is this key's valid cosignature of checkpoint_body; None if it
        is another key's (name or key ID differ: ignored, tlog-cosignature "Format"). NoteError if the line
        is not a signature line, or is this key's but malformed or does not verify."""
        if not isinstance(line, str):
            raise NoteError("signature line must be a string")
        text = line[:-1] if line.endswith("\n") else line
        if not text.startswith(_DASH):
            raise NoteError("signature line does not start with an em dash and a space")
        name = text[len(_DASH) :].partition(" ")[0]
        if name != self.name:
            return None
        _, hash_, rest = _signature_line(text, 1)
        if hash_ != self.key_hash:
            return None
        key = f"{self.name}+{self.key_hash.hex()}"
        if len(rest) != _SIGNATURE_BYTES - 4:
            raise NoteError(f"cosignature by {key} is {len(rest) + 4} bytes, not {_SIGNATURE_BYTES}")
        timestamp = int.from_bytes(rest[:8], "big")
        if timestamp > MAX_SIZE:
            raise NoteError(f"cosignature by {key} has a timestamp above 2**63-1")
        try:
            self._key.verify(rest[8:], cosigned_message(checkpoint_body, timestamp))
        except InvalidSignature:
            raise NoteError(f"cosignature by {key} does not verify") from None
        return timestamp
