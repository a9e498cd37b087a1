"""C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519 signatures. Pure (no I/O).

Checkpoint body: "<origin>\\n<tree size, decimal>\\n<base64 root>\\n" and optional extension lines.
Note: body, a blank line, then signature lines "— <key name> <base64(key hash || signature)>\\n".
Ed25519 key hash: the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key). Verifier key
string: "<name>+<hex key hash>+<base64(0x01 || public key)>".
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
DASH = "\u2014 "
MAX_SIGNATURES = 100
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


class NoteError(ValueError):
    """A note, checkpoint or key is malformed, or no signature by the expected key verifies."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> bytes:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return ("\n".join(lines) + "\n").encode()


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what}: not standard base64") from None


def _check_name(name: str) -> str:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"key name {name!r}: must be non-empty, without spaces or '+'")
    return name


def _key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def parse_checkpoint(body: bytes) -> Checkpoint:
    """The checkpoint in a note body; NoteError naming what is malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("checkpoint: not UTF-8") from None
    if "\r" in text or not text.endswith("\n"):
        raise NoteError("checkpoint: lines must end with a bare newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise NoteError("checkpoint: needs an origin, a size and a root hash line")
    if not _SIZE.match(lines[1]):
        raise NoteError(f"checkpoint: tree size {lines[1]!r} is not a canonical decimal")
    root = _b64(lines[2], "checkpoint root")
    if len(root) != 32:
        raise NoteError(f"checkpoint: root hash is {len(root)} bytes, not 32")
    if any(not line for line in lines[3:]):
        raise NoteError("checkpoint: empty extension line")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]))


class NoteSigner:
    def __init__(self, name: str, private_key: Ed25519PrivateKey):
        self.name, self.key = _check_name(name), private_key
        self.public_key_bytes = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                                      serialization.PublicFormat.Raw)
        self.key_hash = _key_hash(name, self.public_key_bytes)

    @property
    def verifier_key(self) -> str:
        return f"{self.name}+{self.key_hash.hex()}+{base64.b64encode(ED25519 + self.public_key_bytes).decode()}"

    @property
    def signer_key(self) -> str:
        seed = self.key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                      serialization.NoEncryption())
        return f"PRIVATE+KEY+{self.name}+{self.key_hash.hex()}+{base64.b64encode(ED25519 + seed).decode()}"

    def sign(self, body: bytes) -> bytes:
        """The signed note of `body` (which must end with a newline)."""
        if not body.endswith(b"\n"):
            raise NoteError("note text must end with a newline")
        signature = base64.b64encode(self.key_hash + self.key.sign(body)).decode()
        return body + f"\n{DASH}{self.name} {signature}\n".encode()


def signer_from_key(signer_key: str) -> NoteSigner:
    parts = signer_key.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("signer key: expected PRIVATE+KEY+<name>+<hash>+<key>")
    raw = _b64(parts[4], "signer key")
    if len(raw) != 33 or raw[:1] != ED25519:
        raise NoteError("signer key: not an Ed25519 key")
    signer = NoteSigner(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if signer.key_hash.hex() != parts[3]:
        raise NoteError("signer key: key hash does not match the key")
    return signer


class NoteVerifier:
    def __init__(self, verifier_key: str):
        parts = verifier_key.split("+", 2)
        if len(parts) != 3:
            raise NoteError("verifier key: expected <name>+<hex hash>+<base64 key>")
        self.name = _check_name(parts[0])
        raw = _b64(parts[2], "verifier key")
        if len(raw) != 33 or raw[:1] != ED25519:
            raise NoteError("verifier key: not an Ed25519 key")
        self.key_hash = _key_hash(self.name, raw[1:])
        if parts[1] != self.key_hash.hex():
            raise NoteError("verifier key: key hash does not match the key")
        self.public_key = Ed25519PublicKey.from_public_bytes(raw[1:])

    def verifies(self, body: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, body)
            return True
        except InvalidSignature:
            return False


def _split_note(note: bytes) -> tuple[bytes, list[str]]:
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("note: not UTF-8") from None
    if "\r" in text:
        raise NoteError("note: carriage return")
    cut = text.rfind("\n\n")
    if cut < 0 or not text.endswith("\n"):
        raise NoteError("note: no blank line before the signatures")
    lines = text[cut + 2:-1].split("\n")
    if not lines or len(lines) > MAX_SIGNATURES or not all(line.startswith(DASH) for line in lines):
        raise NoteError("note: malformed or too many signature lines")
    return text[:cut + 1].encode(), lines


def open_checkpoint(note: bytes, verifier: NoteVerifier, origin: str | None = None) -> Checkpoint:
    """The checkpoint of a note carrying a valid signature by `verifier` (other keys' lines are
    ignored); NoteError otherwise, or when `origin` is given and differs."""
    body, lines = _split_note(note)
    ok = False
    for line in lines:
        name, _, sig = line[len(DASH):].partition(" ")
        raw = _b64(sig, "signature")
        if len(raw) < 5:
            raise NoteError("note: signature too short")
        if name == verifier.name and raw[:4] == verifier.key_hash:
            if not verifier.verifies(body, raw[4:]):
                raise NoteError(f"note: the signature by {name} does not verify")
            ok = True
    if not ok:
        raise NoteError(f"note: no signature by {verifier.name}")
    checkpoint = parse_checkpoint(body)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint: origin {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
