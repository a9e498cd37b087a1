"""Transparency-log trust policy (c2sp.org/tlog-policy): which logs sign, which witnesses cosign
(c2sp.org/tlog-cosignature, Ed25519 `cosignature/v1`), and the quorum of cosignatures that makes a
checkpoint trustworthy. A policy file is the deployment's statement of whose cosignatures the audit
ledger collects and an offline verifier demands (issue 25).

Pure: no I/O. Malformed policy text raises PolicyError naming the line number; a note that does not
verify, or whose cosignatures do not meet the quorum, raises NoteError.

Syntax (tlog-policy "Policy file syntax and structure"):

    log <vkey> [<url>]                  a log; its key name is the log's origin line
    witness <name> <vkey> [<url>]       a witness (cosignature vkey, type 0x04)
    group <name> all|any|<k> <name>...  k of the n members (witnesses or earlier groups)
    quorum <name>                       exactly one; `none` (predefined) requires no cosignature

Items are separated by spaces and tabs only; blank and `#` comment lines are ignored; names are
defined before use; witnesses and groups share one namespace; `none` is no group member; each name
is listed as a group member at most once in the whole file (so a witness counts towards the quorum
in only one way); 1 <= k <= n; two logs, or two witnesses, wrapping the same public key are refused;
the only octets allowed are 0x09, 0x0A, 0x20-0x7E and 0x80-0xFF. Names are opaque: no Unicode
normalisation is applied (the name "K" differs from a Kelvin sign).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from services.audit.domain.checkpoint import Checkpoint, NoteError, NoteVerifier, open_checkpoint, parse_checkpoint
from services.audit.domain.cosignature import CosignatureVerifier, split_note

NONE = "none"  # the predefined quorum name that requires no cosignature (tlog-policy "Defining the quorum")
MAX_LOGS = MAX_WITNESSES = MAX_GROUPS = 256  # the spec recommends supporting at least 32 of each
MAX_POLICY_BYTES = 1 << 20
_FORBIDDEN = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
_BLANKS = re.compile(r"[ \t]+")
_DECIMAL = re.compile(r"[1-9][0-9]*|0")


class PolicyError(ValueError):
    """Policy text is malformed; the message names the line number and what is wrong."""


@dataclass(frozen=True)
class PolicyWitness:
    """A witness named in the policy: its policy name (used only inside the policy), its cosignature
    verifier and its submission prefix URL ("" when the policy gives none)."""

    name: str
    verifier: CosignatureVerifier
    url: str = ""


@dataclass(frozen=True)
class Group:
    """At least `threshold` of `members` (witness or group names) must have witnessed."""

    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    """A parsed tlog-policy. logs and witnesses keep file order; groups by name; quorum is a witness
    name, a group name or `none`; text is the policy text as given."""

    logs: tuple[NoteVerifier, ...]
    witnesses: tuple[PolicyWitness, ...]
    groups: dict[str, Group]
    quorum: str
    text: str

    def _met(self, name: str, cosigned: frozenset[str]) -> bool:
        if name == NONE:
            return True
        group = self.groups.get(name)
        if group is None:
            return name in cosigned
        return sum(self._met(member, cosigned) for member in group.members) >= group.threshold

    def satisfied_by(self, cosigned: Iterable[str]) -> bool:
        """Whether cosignatures by these witnesses (policy names) meet the quorum (tlog-policy: a group
        witnesses a checkpoint iff at least k of its n members have)."""
        return self._met(self.quorum, frozenset(cosigned))

    def explain(self, cosigned: Iterable[str]) -> str:
        """One line saying what the quorum needs and what it has, e.g.
        "quorum `partners` needs 2 of court, procuratorate, finance; has court"."""
        have = frozenset(cosigned)
        if self.quorum == NONE:
            return "quorum none needs no cosignature"
        group = self.groups.get(self.quorum)
        if group is None:
            has = self.quorum if self.quorum in have else "none"
            return f"quorum `{self.quorum}` needs a cosignature by {self.quorum}; has {has}"
        met = [member for member in group.members if self._met(member, have)]
        return (
            f"quorum `{group.name}` needs {group.threshold} of {', '.join(group.members)}; "
            f"has {', '.join(met) or 'none'}"
        )


NO_WITNESSES = Policy(logs=(), witnesses=(), groups={}, quorum=NONE, text="quorum none\n")


def _text(data: str | bytes) -> str:
    """Policy bytes as str: the allowed octets only; octets with the high bit set are opaque (kept
    byte for byte through surrogateescape, never normalised)."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if not isinstance(raw, (bytes, bytearray)):
        raise PolicyError(f"policy must be text or bytes, not {type(data).__name__}")
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"policy is {len(raw)} bytes, more than {MAX_POLICY_BYTES}")
    if found := _FORBIDDEN.search(raw):
        line = raw.count(b"\n", 0, found.start()) + 1
        raise PolicyError(
            f"line {line}: octet 0x{found.group()[0]:02x} is not allowed (only tab, newline, 0x20-0x7E, 0x80-0xFF)"
        )
    return bytes(raw).decode("utf-8", "surrogateescape")


class _Parser:
    def __init__(self) -> None:
        self.logs: list[NoteVerifier] = []
        self.witnesses: list[PolicyWitness] = []
        self.groups: dict[str, Group] = {}
        self.names: set[str] = set()
        self.members: set[str] = set()
        self.quorum: str | None = None

    def _new_name(self, name: str, number: int) -> str:
        if name == NONE:
            raise PolicyError(f"line {number}: `none` is predefined and cannot name a witness or group")
        if name in self.names:
            raise PolicyError(f"line {number}: name {name!r} is already defined")
        self.names.add(name)
        return name

    def _defined(self, name: str, number: int, what: str) -> str:
        if name not in self.names:
            raise PolicyError(f"line {number}: {what} {name!r} is not defined on an earlier line")
        return name

    def log(self, args: list[str], number: int) -> None:
        if not 1 <= len(args) <= 2:
            raise PolicyError(f"line {number}: expected `log <vkey> [<url>]`")
        try:
            verifier = NoteVerifier(args[0])
        except NoteError as e:
            raise PolicyError(f"line {number}: log key: {e}") from None
        if any(log.public_key_bytes == verifier.public_key_bytes for log in self.logs):
            raise PolicyError(f"line {number}: duplicate log key (same public key as an earlier log)")
        if len(self.logs) >= MAX_LOGS:
            raise PolicyError(f"line {number}: more than {MAX_LOGS} logs")
        self.logs.append(verifier)

    def witness(self, args: list[str], number: int) -> None:
        if not 2 <= len(args) <= 3:
            raise PolicyError(f"line {number}: expected `witness <name> <vkey> [<url>]`")
        try:
            verifier = CosignatureVerifier(args[1])
        except NoteError as e:
            raise PolicyError(f"line {number}: witness key: {e}") from None
        if any(w.verifier.public_key_bytes == verifier.public_key_bytes for w in self.witnesses):
            raise PolicyError(f"line {number}: duplicate witness key (same public key as an earlier witness)")
        if len(self.witnesses) >= MAX_WITNESSES:
            raise PolicyError(f"line {number}: more than {MAX_WITNESSES} witnesses")
        name = self._new_name(args[0], number)
        self.witnesses.append(PolicyWitness(name, verifier, args[2] if len(args) == 3 else ""))

    def group(self, args: list[str], number: int) -> None:
        if len(args) < 3:
            raise PolicyError(
                f"line {number}: expected `group <name> all|any|<k> <member>...` with at least one member"
            )
        name, k, members = args[0], args[1], args[2:]
        for member in members:
            if member == NONE:
                raise PolicyError(f"line {number}: `none` cannot be a group member")
            self._defined(member, number, "group member")
            if member in self.members:
                raise PolicyError(f"line {number}: {member!r} is already listed as a group member")
            self.members.add(member)
        if k == "all":
            threshold = len(members)
        elif k == "any":
            threshold = 1
        elif _DECIMAL.fullmatch(k) and len(k) <= 4:
            threshold = int(k)
        else:
            raise PolicyError(f"line {number}: group threshold {k!r} is not all, any or a decimal number")
        if not 1 <= threshold <= len(members):
            raise PolicyError(
                f"line {number}: group threshold {threshold} is not between 1 and {len(members)} (members)"
            )
        if len(self.groups) >= MAX_GROUPS:
            raise PolicyError(f"line {number}: more than {MAX_GROUPS} groups")
        self.groups[self._new_name(name, number)] = Group(name, threshold, tuple(members))

    def quorum_line(self, args: list[str], number: int) -> None:
        if len(args) != 1:
            raise PolicyError(f"line {number}: expected `quorum <name>`")
        if self.quorum is not None:
            raise PolicyError(f"line {number}: a second quorum line; a policy has exactly one")
        self.quorum = args[0] if args[0] == NONE else self._defined(args[0], number, "quorum")


def parse_policy(text: str | bytes) -> Policy:
    """Parse tlog-policy text (str or bytes). PolicyError names the line and the rule broken."""
    decoded = _text(text)
    parser = _Parser()
    keywords = {"log": parser.log, "witness": parser.witness, "group": parser.group, "quorum": parser.quorum_line}
    for number, line in enumerate(decoded.split("\n"), 1):
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        keyword, *args = _BLANKS.split(stripped)
        if keyword not in keywords:
            raise PolicyError(f"line {number}: unknown keyword {keyword!r} (expected log, witness, group or quorum)")
        keywords[keyword](args, number)
    if parser.quorum is None:
        raise PolicyError("policy has no quorum line (`quorum none` requires no cosignature)")
    return Policy(tuple(parser.logs), tuple(parser.witnesses), parser.groups, parser.quorum, decoded)


def cosigners(policy: Policy, note: bytes) -> dict[str, int]:
    """Policy witness name -> cosignature timestamp for every valid cosignature in note by a policy
    witness (tlog-cosignature). Lines by keys the policy does not know are ignored; a line by a known
    witness (name and key hash) that does not verify raises NoteError."""
    body, lines = split_note(note)
    found: dict[str, int] = {}
    for witness in policy.witnesses:
        for line in lines:
            timestamp = witness.verifier.timestamp_of(body, line)
            if timestamp is not None:
                found[witness.name] = max(timestamp, found.get(witness.name, timestamp))
    return found


def open_witnessed(note: bytes, policy: Policy, origin: str | None = None) -> tuple[Checkpoint, dict[str, int]]:
    """Verify note as a checkpoint signed by one of policy.logs (the one whose key name is the
    checkpoint's origin, tlog-policy "Defining a log") and cosigned to the policy's quorum. Returns the
    checkpoint and the cosigners (see `cosigners`). NoteError if no policy log signed it, if origin is
    given and differs, or "witness policy not met: ..." when the quorum is not met."""
    body, _ = split_note(note)
    claimed = parse_checkpoint(body).origin
    if origin is not None and claimed != origin:
        raise NoteError(f"checkpoint origin {claimed!r} is not the expected {origin!r}")
    logs = [log for log in policy.logs if log.name == claimed]
    if not logs:
        raise NoteError(f"no log in the policy is named {claimed!r} (the checkpoint's origin)")
    checkpoint, failure = None, None
    for log in logs:
        try:
            checkpoint = open_checkpoint(note, log, claimed)
            break
        except NoteError as e:
            failure = e
    if checkpoint is None:
        raise NoteError(f"no valid signature by the policy's log {claimed!r}: {failure}")
    found = cosigners(policy, note)
    if not policy.satisfied_by(found):
        raise NoteError("witness policy not met: " + policy.explain(found))
    return checkpoint, found
