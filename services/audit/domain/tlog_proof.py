"""Transparency-log proofs (c2sp.org/tlog-proof): one logged entry's offline-verifiable proof, as text.

    c2sp.org/tlog-proof@v1
    extra <base64 opaque data>          (optional; never trusted: it is not authenticated)
    index <zero-based leaf index>       (ASCII decimal, no leading zero)
    <base64 32-byte hash>               (zero or more: the RFC 6962 §2.1.1 inclusion path, leaf's
    ...                                  sibling first, up to the root's child)
                                        (an empty line)
    <the checkpoint note, verbatim>     (c2sp.org/tlog-checkpoint in a c2sp.org/signed-note, with
                                         the log's signature and any witness cosignatures)

Audit's bundles (`app.bundles`, format `jjjc-audit-bundle/v2`) carry one such text per event, so
that any tlog-proof verifier checks an event with the ledger's key and the witness policy alone;
`verify_bundle --extract` writes them as `<leaf>.tlog-proof` files (the extension the spec
recommends). Pure: no I/O. Malformed text raises ProofFormatError naming the line.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.audit.domain.checkpoint import MAX_SIZE, NoteError, canonical_b64, parse_checkpoint, split_note

HEADER = "c2sp.org/tlog-proof@v1"  # the first line (tlog-proof, "Format")
EXTENSION = ".tlog-proof"  # the file extension proofs SHOULD be stored with
HASH_SIZE = 32  # SHA-256 (RFC 6962)
MAX_HASHES = 63  # an inclusion path in a tree of at most 2**63-1 leaves
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class ProofFormatError(ValueError):
    """A tlog-proof text is malformed; the message says which line and what is wrong."""


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof: the entry's leaf index, its inclusion path (bottom-up), the checkpoint
    note verbatim (bytes, signatures and cosignatures included) and the unauthenticated extra data
    (None when the proof has no `extra` line). Parsing checks the form only: verify the note's
    signatures and the path against its root separately."""

    index: int
    hashes: tuple[bytes, ...]
    note: bytes
    extra: bytes | None = None


def _b64(text: str, what: str) -> bytes:
    """Canonical padded standard base64 (RFC 4648 §4), as in signed notes."""
    return canonical_b64(text, what, ProofFormatError)


def _check_note(note: bytes, what: str) -> None:
    """The note must be a signed note whose text is a checkpoint (signatures are checked elsewhere)."""
    try:
        body, _ = split_note(note)
        parse_checkpoint(body)
    except NoteError as e:
        raise ProofFormatError(f"{what}: {e}") from None


def format_proof(index: int, hashes: Sequence[bytes], checkpoint_note: bytes, extra: bytes | None = None) -> str:
    """The tlog-proof text of the entry at `index`: its inclusion path `hashes` (32 bytes each,
    leaf's sibling first) in the checkpoint `checkpoint_note` (a signed note, copied verbatim).
    ProofFormatError if an argument could not make a proof that parses back to the same values."""
    if type(index) is not int or not 0 <= index < MAX_SIZE:
        raise ProofFormatError(f"index {index!r} is not an integer from 0 to 2**63-2")
    if len(hashes) > MAX_HASHES:
        raise ProofFormatError(f"an inclusion path has at most {MAX_HASHES} hashes, not {len(hashes)}")
    for k, h in enumerate(hashes):
        if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_SIZE:
            raise ProofFormatError(f"hash {k} is not {HASH_SIZE} bytes")
    note = bytes(checkpoint_note)
    _check_note(note, "checkpoint")
    lines = [HEADER]
    if extra is not None:
        lines.append(f"extra {base64.b64encode(bytes(extra)).decode('ascii')}")
    lines.append(f"index {index}")
    lines += [base64.b64encode(bytes(h)).decode("ascii") for h in hashes]
    return "\n".join(lines) + "\n\n" + note.decode("utf-8")


def parse_proof(text: str | bytes) -> TlogProof:
    """Parse a tlog-proof text, refusing any deviation from c2sp.org/tlog-proof: the header line,
    an optional `extra` line, `index N` in canonical decimal, canonical base64 32-byte hashes, one
    empty line, and a signed checkpoint note."""
    if isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            raise ProofFormatError("proof is not encodable as UTF-8") from None
    elif isinstance(text, (bytes, bytearray)):
        data = bytes(text)
    else:
        raise ProofFormatError(f"proof must be text or bytes, not {type(text).__name__}")
    head, blank, note = data.partition(b"\n\n")
    if not blank:
        raise ProofFormatError("proof has no empty line before the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise ProofFormatError("proof lines before the checkpoint are not ASCII") from None
    if lines[0] != HEADER:
        raise ProofFormatError(f"line 1 must be {HEADER!r}")
    number, extra = 2, None
    if len(lines) > 1 and lines[1].startswith("extra "):
        extra = _b64(lines[1][len("extra ") :], "line 2 (extra)")
        number = 3
    if len(lines) < number:
        raise ProofFormatError(f"line {number} must be `index <N>`")
    index_line = lines[number - 1]
    if not index_line.startswith("index ") or not _DECIMAL.fullmatch(digits := index_line[len("index ") :]):
        raise ProofFormatError(f"line {number} must be `index <N>`, N in decimal with no leading zero")
    if len(digits) > 19 or int(digits) >= MAX_SIZE:
        raise ProofFormatError(f"line {number}: index exceeds 2**63-2")
    hashes = []
    for k, line in enumerate(lines[number:], number + 1):
        raw = _b64(line, f"line {k} (hash)")
        if len(raw) != HASH_SIZE:
            raise ProofFormatError(f"line {k} (hash) is {len(raw)} bytes, not {HASH_SIZE}")
        hashes.append(raw)
    if len(hashes) > MAX_HASHES:
        raise ProofFormatError(f"proof has {len(hashes)} hashes, more than {MAX_HASHES}")
    _check_note(note, "checkpoint after the empty line")
    return TlogProof(int(digits), tuple(hashes), note, extra)
