"""Transparency-log checkpoints (c2sp.org/tlog-checkpoint) in signed notes (c2sp.org/signed-note), Ed25519.

Pure: no I/O. Key hashes, key strings and notes are byte-compatible with golang.org/x/mod/sumdb/note.
Everything malformed raises NoteError, whose message says what is wrong (never key material).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"  # signature type byte (signed-note, "Signature types")
MAX_SIGNATURES = 100  # the spec requires accepting at least 16
MAX_SIZE = 2**63 - 1  # larger tree sizes would not interoperate with int64 implementations
_DASH = "\u2014 "  # em dash and space open every signature line
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX8 = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A note, checkpoint or key string is malformed, or a signature does not verify."""


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _check_line(line: str, what: str) -> str:
    """Return line if it can be one line of note text: a non-empty str, UTF-8 encodable, no control character."""
    if not isinstance(line, str) or not line:
        raise NoteError(f"{what} must be a non-empty string")
    if _CONTROL.search(line) or "\n" in line:
        raise NoteError(f"{what} {_show(line)} contains a newline or control character")
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"{what} {_show(line)} is not encodable as UTF-8") from None
    return line


def _check_name(name: str) -> str:
    """Return name if it is a key name: a valid line with no Unicode space and no '+'."""
    bad = next((c for c in _check_line(name, "key name") if c.isspace() or c == "+"), None)
    if bad is not None:
        raise NoteError(f"key name {_show(name)} contains {bad!r}; spaces and '+' are not allowed")
    return name


def canonical_b64(text: str, what: str, error: type[ValueError] = NoteError) -> bytes:
    """Decode canonical, padded standard base64 (RFC 4648 section 4); the text itself is not echoed.
    `error`: what to raise (the C2SP formats built on signed notes share this rule)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise error(f"{what} is not canonical base64")
    return raw


_b64 = canonical_b64


def key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]. Precondition:
    name passed _check_name."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public_key).digest()[:4]


def _note_text(data: bytes, what: str) -> str:
    """Decode bytes that must be UTF-8, free of control characters but newline, and end in a newline."""
    if not isinstance(data, (bytes, bytearray)):
        raise NoteError(f"{what} must be bytes, not {type(data).__name__}")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as e:
        raise NoteError(f"{what} is not valid UTF-8 (at byte {e.start})") from None
    if "\r" in text:
        raise NoteError(f"{what} contains a carriage return; CRLF line endings are not allowed")
    if found := _CONTROL.search(text):
        raise NoteError(f"{what} contains control character {found.group()!r}")
    if not text.endswith("\n"):
        raise NoteError(f"{what} does not end with a newline (truncated?)")
    return text


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head. Checked on construction: origin and each extension are non-empty single
    lines without control characters; 0 <= size <= 2**63-1; root is 32 bytes (bytes-like is copied
    to bytes); extensions is a tuple."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.root, (bytearray, memoryview)):
            object.__setattr__(self, "root", bytes(self.root))
        _check_line(self.origin, "checkpoint origin")
        if type(self.size) is not int or not 0 <= self.size <= MAX_SIZE:
            raise NoteError(f"checkpoint tree size {self.size!r} is not an integer from 0 to 2**63-1")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise NoteError("checkpoint root hash must be 32 bytes")
        if not isinstance(self.extensions, tuple):
            raise NoteError("checkpoint extensions must be a tuple of str")
        for line in self.extensions:
            _check_line(line, "checkpoint extension line")

    def body(self) -> bytes:
        """The note text that is signed: origin, size, base64 root, extensions, each ending in newline."""
        lines = (self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions)
        return "".join(line + "\n" for line in lines).encode("utf-8")


def parse_checkpoint(body: bytes) -> Checkpoint:
    """Parse a checkpoint body (note text without signatures), rejecting any deviation from the spec."""
    lines = _note_text(body, "checkpoint")[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(f"checkpoint has {len(lines)} line(s); origin, tree size and root hash are required")
    for number, line in enumerate(lines, 1):
        if not line:
            raise NoteError(f"checkpoint line {number} is empty")
    origin, size, root, *extensions = lines
    if not _DECIMAL.fullmatch(size):
        raise NoteError(f"checkpoint tree size {_show(size)} is not canonical decimal (digits only, no leading zero)")
    if len(size) > 19 or int(size) > MAX_SIZE:
        raise NoteError(f"checkpoint tree size {_show(size)} exceeds 2**63-1")
    raw = _b64(root, "checkpoint root hash")
    if len(raw) != 32:
        raise NoteError(f"checkpoint root hash is {len(raw)} bytes, not 32")
    return Checkpoint(origin, int(size), raw, tuple(extensions))


def _key_parts(name: str, hex_hash: str, b64: str, what: str) -> tuple[str, bytes, bytes]:
    """Check the <name>+<hex key hash>+<base64(0x01 || 32 bytes)> tail of a key string."""
    _check_name(name)
    if not _HEX8.fullmatch(hex_hash):
        raise NoteError(f"{what} key hash {_show(hex_hash)} is not 8 lowercase hex digits")
    raw = _b64(b64, f"{what} key data")
    if raw[:1] != ED25519:
        raise NoteError(f"{what} has signature type {raw[:1].hex() or 'none'}; only 01 (Ed25519) is supported")
    if len(raw) != 33:
        raise NoteError(f"{what} Ed25519 key is {len(raw) - 1} bytes, not 32")
    return name, bytes.fromhex(hex_hash), raw[1:]


class NoteSigner:
    """Signs note text with one Ed25519 key under one key name. signer_key is secret."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey):
        """Preconditions: name is a valid key name (else NoteError); private_key is an Ed25519PrivateKey."""
        self.name = _check_name(name)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise NoteError("private key must be a cryptography Ed25519PrivateKey")
        self._key = private_key
        self._public = private_key.public_key().public_bytes_raw()
        self.key_hash = key_hash(name, self._public)

    def sign(self, body: bytes) -> bytes:
        """Return body, a blank line and this key's signature line. Precondition: body is note text
        (UTF-8, ends in newline, no control character but newline), e.g. Checkpoint.body()."""
        _note_text(body, "note text")
        signature = base64.b64encode(self.key_hash + self._key.sign(bytes(body))).decode("ascii")
        return bytes(body) + f"\n{_DASH}{self.name} {signature}\n".encode()

    @property
    def public_key_bytes(self) -> bytes:
        return self._public

    @property
    def verifier_key(self) -> str:
        return f"{self.name}+{self.key_hash.hex()}+{base64.b64encode(ED25519 + self._public).decode('ascii')}"

    @property
    def signer_key(self) -> str:
        seed = base64.b64encode(ED25519 + self._key.private_bytes_raw()).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_hash.hex()}+{seed}"


def signer_from_key(signer_key: str) -> NoteSigner:
    """Build a signer from "PRIVATE+KEY+<name>+<hex hash>+<base64(0x01 || seed)>"; the hash must match."""
    parts = signer_key.split("+", 4) if isinstance(signer_key, str) else []
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("signer key must have the form PRIVATE+KEY+<name>+<hash>+<key>")
    name, hash_, seed = _key_parts(*parts[2:], "signer key")
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))
    if signer.key_hash != hash_:
        raise NoteError(f"signer key hash {hash_.hex()} does not match its name and key")
    return signer


class NoteVerifier:
    """One trusted Ed25519 key, from a verifier key string "<name>+<hex hash>+<base64(0x01 || key)>"."""

    def __init__(self, verifier_key: str):
        """Precondition: verifier_key is well formed and its hash matches its name and key (else NoteError)."""
        parts = verifier_key.split("+", 2) if isinstance(verifier_key, str) else []
        if len(parts) != 3:
            raise NoteError("verifier key must have the form <name>+<hash>+<key>")
        self.name, self.key_hash, self.public_key_bytes = _key_parts(*parts, "verifier key")
        if key_hash(self.name, self.public_key_bytes) != self.key_hash:
            raise NoteError(f"verifier key hash {parts[1]} does not match its name and key")
        self.verifier_key = verifier_key
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key_bytes)

    def verifies(self, text: bytes, signature: bytes) -> bool:
        """Whether signature (without the 4-byte key hash) is this key's Ed25519 signature of text."""
        try:
            self._key.verify(signature, text)
            return True
        except InvalidSignature:
            return False


def _signature_line(line: str, number: int) -> tuple[str, bytes, bytes]:
    """Split "— <name> <base64(key hash || signature)>" into name, key hash and signature."""
    if not line.startswith(_DASH):
        raise NoteError(f"signature line {number} does not start with an em dash and a space")
    name, space, b64 = line[len(_DASH) :].partition(" ")
    if not space:
        raise NoteError(f"signature line {number} has no space between key name and signature")
    _check_name(name)
    raw = _b64(b64, f"signature line {number}")
    if len(raw) < 5:
        raise NoteError(f"signature line {number} is too short for a key hash and a signature")
    return name, raw[:4], raw[4:]


def split_note(note: bytes) -> tuple[bytes, list[str]]:
    """Split a signed note (c2sp.org/signed-note) into its text, up to and including the newline before the
    blank line, and its signature lines (without newlines), each checked to be "— <name> <base64>".
    NoteError if the note is not UTF-8 note text, has no blank line, no or more than MAX_SIGNATURES
    signature lines, or a malformed one. The one note parser: open_checkpoint and cosignatures use it."""
    text = _note_text(note, "note")
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line between text and signatures")
    if split + 2 == len(text):
        raise NoteError("note has no signature lines after the blank line")
    body, lines = text[: split + 1], text[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signature lines, more than {MAX_SIGNATURES}")
    for number, line in enumerate(lines, 1):
        _signature_line(line, number)
    return body.encode("utf-8"), lines


def open_checkpoint(note: bytes, verifier: NoteVerifier, origin: str | None = None) -> Checkpoint:
    """Verify that note carries a valid signature by verifier, then parse its text as a checkpoint.
    Signatures by other keys (other name or key hash) are ignored; any by this key must verify.
    If origin is given the checkpoint's origin must equal it."""
    body, lines = split_note(note)
    signatures = [_signature_line(line, number) for number, line in enumerate(lines, 1)]
    ours = [sig for name, hash_, sig in signatures if (name, hash_) == (verifier.name, verifier.key_hash)]
    key = f"{verifier.name}+{verifier.key_hash.hex()}"
    if not ours:
        raise NoteError(f"note has no signature by {key}")
    if not all(verifier.verifies(body, sig) for sig in ours):
        raise NoteError(f"note's signature by {key} does not verify")
    checkpoint = parse_checkpoint(body)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {_show(checkpoint.origin)} is not the expected {_show(origin)}")
    return checkpoint
