"""The witness's decision on one add-checkpoint request (c2sp.org/tlog-witness), pure: no I/O, no clock.

A request body is an old size line "old <N>", at most 63 base64 consistency proof lines (32-byte hashes),
an empty line and a checkpoint note. `decide` answers it against the log keys the witness trusts and the
latest checkpoint it cosigned for the origin, applying tlog-witness's checks in the spec's order:

  400  malformed body, or old size greater than the checkpoint size
  404  unknown origin
  403  no signature by a trusted key for the origin, or a trusted key's signature fails to verify
  409  old size is not the size last cosigned (0 if never): body "<size>\\n", text/x.tlog.size
  422  size 0 with a root other than the empty tree's; a proof with old size 0; a consistency proof
       that does not verify; the same size as last cosigned with another root (a fork)

A refusal once the origin is known and the log's signature verified, that shows the log misbehaving
(a rollback below the size cosigned, a fork, a failed proof), is marked `evidence`: the witness keeps it
(tlog-witness: the witness "MAY log the request ... as it might be proof of log misbehavior"). A smaller
checkpoint that merely arrives late is kept as well: the witness cannot tell it from a log showing someone
an old view, and the operator judges (`python -m tools.witness evidence`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.audit.domain.checkpoint import (
    Checkpoint,
    NoteError,
    NoteVerifier,
    _signature_line,
    parse_checkpoint,
    split_note,
)
from services.audit.domain.merkle import EMPTY_ROOT, ProofError, verify_consistency

MAX_PROOF_LINES = 63  # "The client MUST NOT send more than 63 consistency proof lines."
SIZE_TYPE = "text/x.tlog.size"  # Content-Type of a 409 answer
TEXT_TYPE = "text/plain; charset=utf-8"
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")


class Malformed(ValueError):
    """The request body is not an add-checkpoint body (answered 400)."""


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed add-checkpoint body; `checkpoint` is the note's text parsed, `body` that text's bytes."""

    old: int
    proof: tuple[bytes, ...]
    note: bytes
    body: bytes
    signatures: tuple[str, ...]
    checkpoint: Checkpoint

    @property
    def origin(self) -> str:
        return self.checkpoint.origin


@dataclass(frozen=True)
class Cosign:
    """Every check passed: record (size, root) as the latest for the origin, then cosign `body`.
    `note` is the checkpoint text with only the trusted log signature lines that verified."""

    checkpoint: Checkpoint
    body: bytes
    note: bytes
    old: int


@dataclass(frozen=True)
class Refuse:
    """Answer `status` with `body` of Content-Type `ctype`; `reason` says why (logged, and the text of the
    answer but for 409, whose body the spec fixes). `origin` is None until the origin is known."""

    status: int
    reason: str
    body: bytes
    ctype: str = TEXT_TYPE
    origin: str | None = None
    evidence: bool = False


def _refuse(status: int, reason: str, origin: str | None = None, evidence: bool = False) -> Refuse:
    return Refuse(status, reason, (reason + "\n").encode("utf-8"), TEXT_TYPE, origin, evidence)


def parse_add_checkpoint(data: bytes) -> AddCheckpoint:
    """Parse an add-checkpoint body (tlog-witness "add-checkpoint"); Malformed says what is wrong."""
    if not isinstance(data, (bytes, bytearray)):
        raise Malformed("request body must be bytes")
    data = bytes(data)
    head, sep, note = data.partition(b"\n\n")
    if not sep:
        raise Malformed("request has no empty line between the proof and the checkpoint")
    lines = head.split(b"\n")
    try:
        first = lines[0].decode("ascii")
    except UnicodeDecodeError:
        first = ""
    if not (found := _OLD.fullmatch(first)):
        raise Malformed("first line must be 'old <size>' in decimal without leading zeroes")
    old = int(found.group(1))
    if old > 2**63 - 1:
        raise Malformed("old size exceeds 2**63-1")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Malformed(f"request has {len(lines) - 1} consistency proof lines, more than {MAX_PROOF_LINES}")
    proof = []
    for number, line in enumerate(lines[1:], 2):
        try:
            raw = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            raise Malformed(f"line {number} is not a base64 hash") from None
        if len(raw) != 32 or base64.b64encode(raw) != line:
            raise Malformed(f"line {number} is not a canonical base64 32-byte hash")
        proof.append(raw)
    try:
        body, signatures = split_note(note)
        checkpoint = parse_checkpoint(body)
    except NoteError as e:
        raise Malformed(f"checkpoint: {e}") from None
    return AddCheckpoint(old, tuple(proof), note, body, tuple(signatures), checkpoint)


def _log_signature(request: AddCheckpoint, verifiers: Sequence[NoteVerifier]) -> bytes | None:
    """The note text with the trusted keys' signature lines, if at least one is present and all of them
    verify; None otherwise. Lines by unknown keys are ignored (tlog-witness)."""
    kept = []
    for number, line in enumerate(request.signatures, 1):
        name, hash_, signature = _signature_line(line, number)
        for verifier in verifiers:
            if (name, hash_) == (verifier.name, verifier.key_hash):
                if not verifier.verifies(request.body, signature):
                    return None
                kept.append(line)
    if not kept:
        return None
    return request.body + b"\n" + "".join(line + "\n" for line in kept).encode("utf-8")


def decide(
    request: bytes | AddCheckpoint,
    trusted: Mapping[str, Sequence[NoteVerifier]],
    latest: tuple[int, bytes] | None,
) -> Cosign | Refuse:
    """Decide an add-checkpoint request. `trusted` maps each known origin to its log keys; `latest` is the
    (size, root) last cosigned for the request's origin, None if never (the caller reads it for
    `request.origin`, atomically with recording the outcome)."""
    if not isinstance(request, AddCheckpoint):
        try:
            request = parse_add_checkpoint(request)
        except Malformed as e:
            return _refuse(400, str(e))
    checkpoint, origin = request.checkpoint, request.origin
    verifiers = trusted.get(origin)
    if not verifiers:
        return _refuse(404, f"unknown log origin {origin!r}")
    note = _log_signature(request, verifiers)
    if note is None:
        return _refuse(403, f"checkpoint carries no valid signature by a trusted key for {origin!r}", origin)
    size, root = checkpoint.size, checkpoint.root
    if request.old > size:
        return _refuse(400, f"old size {request.old} is greater than the checkpoint size {size}", origin)
    known_size, known_root = latest if latest is not None else (0, EMPTY_ROOT)
    if request.old != known_size:
        if size < known_size:
            why, evidence = f"rollback: checkpoint size {size} is below the size {known_size} cosigned", True
        elif size == known_size and root != known_root:
            why, evidence = f"fork: checkpoint of size {size} has another root than the one cosigned", True
        else:
            why, evidence = f"old size {request.old} is not the size {known_size} last cosigned", False
        return Refuse(409, why, f"{known_size}\n".encode("ascii"), SIZE_TYPE, origin, evidence)
    if size == 0 and root != EMPTY_ROOT:
        return _refuse(422, "checkpoint of size 0 does not have the empty tree's root", origin, True)
    if request.old == 0 and request.proof:
        return _refuse(422, "consistency proof must be empty when the old size is 0", origin, True)
    if request.old == size and root != known_root:
        return _refuse(422, f"fork: checkpoint of size {size} has another root than the one cosigned", origin, True)
    if request.old > 0:
        try:
            verify_consistency(request.old, size, request.proof, known_root, root)
        except ProofError as e:
            return _refuse(
                422, f"consistency proof from size {request.old} to {size} does not verify: {e}", origin, True
            )
    return Cosign(checkpoint, request.body, note, request.old)
