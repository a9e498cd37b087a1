"""The integrity-opinion request (党风廉政意见回复; domain.md §5, seed 004), audit's own aggregate on
stream `integrity-<uuid>`: its events, commands, state, `evolve` and `decide`. Pure: the proposals
are judged by the app beforehand (`integrity.judge` over the dossiers, which need the store) and
arrive in the command, as do time and the acting principal.

PROPOSED (received, every candidate's answer proposed) → SIGNED_OFF (every liaison office signed
its candidates off) → REPLIED (the head signed the reply). A sign-off is possible until the reply;
an office may sign off again (its latest sign-off counts). Every PENDING candidate's open clue is
fast-tracked once per request and clue, with the request (`IntegrityFastTrackRequested`).

Errors are the kernel's: Validation (INVALID_ARGUMENT naming the field), IllegalState
(FAILED_PRECONDITION naming the state, and the candidates not signed off), Forbidden (a candidate
of another office).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from kernel.domain.checks import text
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.person import Subject
from services.audit.domain.integrity import (
    ANSWERS,
    NO_OBJECTION,
    OBJECTION,
    PENDING,
    USES,
    IntegrityRules,
    Proposal,
    Reason,
    reply_text,
)

NONE, PROPOSED, SIGNED_OFF, REPLIED = "", "PROPOSED", "SIGNED_OFF", "REPLIED"
STATES = (PROPOSED, SIGNED_OFF, REPLIED)
MAX_CANDIDATES = 500
COMMENT_LIMIT, REFERENCE_LIMIT = 500, 128
NAMED_AT_MOST = 20  # the candidates not signed off named in a refusal
# What one event's candidates, proposals, sign-offs or reply lines may take (estimated, UTF-8): a
# quarter of the store's default MAX_EVENT_BYTES (256 KiB), leaving room for the envelope and the
# estimate's slack; a larger request is received, signed off and replied in several events.
CHUNK_BYTES = 64_000


def chunks(items: Sequence, size_of: Callable[[object], int], budget: int = CHUNK_BYTES) -> list[tuple]:
    """`items` in order, cut into runs whose estimated sizes sum to at most `budget` (each run at
    least one item)."""
    out: list[tuple] = []
    run: list = []
    used = 0
    for item in items:
        size = size_of(item)
        if run and used + size > budget:
            out.append(tuple(run))
            run, used = [], 0
        run.append(item)
        used += size
    if run or not out:
        out.append(tuple(run))
    return out


def _bytes(*texts: str) -> int:
    return sum(len(t.encode()) + 3 for t in texts)


def _candidate_size(pair) -> int:
    c, p = pair
    reasons = sum(_bytes(r.check, r.text, r.ref, r.rule) + 8 for r in p.reasons)
    return 32 + _bytes(c.person.person_id, c.person.name, c.person.post, c.person.unit, c.liaison_office) + reasons


def _signed_off_size(c: CandidateSignedOff) -> int:
    return 16 + _bytes(c.person_id, c.comment)


def _line_size(line: CandidateReplyLine) -> int:
    return 16 + _bytes(line.person_id, line.name, line.reply_text)


# -- events (the messages of proto/audit/v1/events.proto, field by field) ---------------------------


@dataclass(frozen=True)
class RequestedCandidate:
    person: Subject
    liaison_office: str


@dataclass(frozen=True)
class CandidateProposal:
    person_id: str
    answer: str
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class IntegrityRequestReceived:
    request_id: str
    reference: str
    intended_use: str
    intended_date: date
    due_at: datetime
    requested_by_agency: str
    candidates: tuple[RequestedCandidate, ...]
    proposals: tuple[CandidateProposal, ...]
    tree_size: int
    part: int = 1  # of `parts`: the candidates of a large request come in several events (MAX_EVENT_BYTES)
    parts: int = 1


@dataclass(frozen=True)
class IntegrityFastTrackRequested:
    request_id: str
    person_id: str
    clue_id: str
    intended_date: date
    notice_due_at: datetime


@dataclass(frozen=True)
class CandidateSignedOff:
    person_id: str
    answer: str = ""  # in a command: "" keeps the proposed answer
    comment: str = ""


@dataclass(frozen=True)
class IntegrityCandidatesSignedOff:
    request_id: str
    office: str
    signed_off_by: str
    candidates: tuple[CandidateSignedOff, ...]


@dataclass(frozen=True)
class CandidateReplyLine:
    person_id: str
    name: str
    answer: str
    reply_text: str


@dataclass(frozen=True)
class IntegrityReplySigned:
    request_id: str
    reference: str
    signed_by: str
    replies: tuple[CandidateReplyLine, ...]
    part: int = 1  # of `parts`: the lines of a large reply come in several events (MAX_EVENT_BYTES)
    parts: int = 1


EVENTS = (
    IntegrityRequestReceived,
    IntegrityFastTrackRequested,
    IntegrityCandidatesSignedOff,
    IntegrityReplySigned,
)


# -- commands --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitRequest:
    """The organisation department's request with the proposals judged from the dossiers as of
    `now` (`tree_size`: the ledger size read). `today`: the service zone's day of `now`;
    `notice_due_at`: when a fast-tracked clue's notice falls due (`integrity.notice_due`)."""

    request_id: str
    reference: str
    intended_use: str
    intended_date: date | None
    due_at: datetime
    agency: str
    candidates: tuple[RequestedCandidate, ...]
    proposals: tuple[Proposal, ...]
    tree_size: int
    now: datetime
    today: date
    notice_due_at: datetime


@dataclass(frozen=True)
class SignOff:
    """A liaison office signs off some of its candidates (none named: all it has not signed off
    yet, as proposed)."""

    request_id: str
    office: str
    by: str
    candidates: tuple[CandidateSignedOff, ...] = ()


@dataclass(frozen=True)
class SignReply:
    """The head signs the reply (the role is the operation's, `integrity.sign`)."""

    request_id: str
    by: str


# -- state -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """A candidate as its office signed it off (the latest sign-off counts)."""

    answer: str
    comment: str
    office: str
    by: str


@dataclass(frozen=True)
class IntegrityRequest:
    request_id: str = ""
    received: IntegrityRequestReceived | None = None
    signed: Mapping[str, Signed] = field(default_factory=dict)
    fast_tracked: tuple[IntegrityFastTrackRequested, ...] = ()
    reply: IntegrityReplySigned | None = None

    @property
    def status(self) -> str:
        if self.received is None:
            return NONE
        if self.reply is not None:
            return REPLIED
        return SIGNED_OFF if not self.unsigned else PROPOSED

    @property
    def candidates(self) -> tuple[RequestedCandidate, ...]:
        return self.received.candidates if self.received else ()

    @property
    def subjects(self) -> tuple[Subject, ...]:
        """The candidates, as recusal reads a file's subjects (SL 67: nobody signs off or signs the
        reply about themselves)."""
        return tuple(c.person for c in self.candidates)

    @property
    def proposals(self) -> dict[str, CandidateProposal]:
        return {p.person_id: p for p in self.received.proposals} if self.received else {}

    @property
    def unsigned(self) -> list[str]:
        """The person ids of the candidates not signed off yet, in the request's order."""
        return [c.person.person_id for c in self.candidates if c.person.person_id not in self.signed]

    def answer_of(self, person_id: str) -> str:
        """The answer as signed off, else as proposed."""
        signed = self.signed.get(person_id)
        return signed.answer if signed else self.proposals[person_id].answer

    def counts(self) -> dict[str, int]:
        """How many candidates per proposed answer."""
        out = dict.fromkeys(ANSWERS, 0)
        for p in self.proposals.values():
            out[p.answer] += 1
        return out


def evolve(state: IntegrityRequest, event) -> IntegrityRequest:
    """The state after `event` (events are facts: never refused here)."""
    if isinstance(event, IntegrityRequestReceived):
        if state.received is None:
            return replace(state, request_id=event.request_id, received=event)
        before = state.received  # a further part: its candidates and proposals follow
        received = replace(
            before, candidates=before.candidates + event.candidates, proposals=before.proposals + event.proposals
        )
        return replace(state, received=received)
    if isinstance(event, IntegrityFastTrackRequested):
        return replace(state, fast_tracked=(*state.fast_tracked, event))
    if isinstance(event, IntegrityCandidatesSignedOff):
        signed = dict(state.signed)
        for c in event.candidates:
            signed[c.person_id] = Signed(c.answer, c.comment, event.office, event.signed_off_by)
        return replace(state, signed=signed)
    if isinstance(event, IntegrityReplySigned):
        if state.reply is None:
            return replace(state, reply=event)
        return replace(state, reply=replace(state.reply, replies=state.reply.replies + event.replies))
    raise TypeError(f"not an integrity request event: {type(event).__name__}")


def decide(command, state: IntegrityRequest, rules: IntegrityRules) -> list:
    """The events of `command` on `state`; raises (and so changes nothing) if it is refused."""
    if state.request_id and command.request_id != state.request_id:
        raise Validation("request_id", f"the command is for {command.request_id}, this is {state.request_id}")
    if isinstance(command, SubmitRequest):
        return _submit(command, state)
    if isinstance(command, SignOff):
        return _sign_off(command, state)
    if isinstance(command, SignReply):
        return _sign_reply(command, state, rules)
    raise TypeError(f"not an integrity request command: {type(command).__name__}")


def _submit(c: SubmitRequest, state: IntegrityRequest) -> list:
    if state.status != NONE:
        raise IllegalState(state.status, "submit the request again")
    reference = text(c.reference, "reference", REFERENCE_LIMIT)
    if c.intended_use not in USES:
        raise Validation("intended_use", f"must be one of {', '.join(USES)}")
    if c.intended_date is None:
        raise Validation("intended_date", "is required (YYYY-MM-DD)")
    if c.intended_date < c.today:
        raise Validation("intended_date", f"{c.intended_date.isoformat()} is before today ({c.today.isoformat()})")
    if c.due_at <= c.now:
        raise Validation("due_at", "must be after now")
    if not c.candidates:
        raise Validation("candidates", "at least one candidate is required")
    if len(c.candidates) > MAX_CANDIDATES:
        raise Validation("candidates", f"at most {MAX_CANDIDATES}")
    if len(c.proposals) != len(c.candidates):
        raise Validation("candidates", "one proposal per candidate is required")
    seen: set[str] = set()
    for i, cand in enumerate(c.candidates):
        pid = cand.person.person_id
        if not pid:
            raise Validation(f"candidates[{i}].person.person_id", "must not be empty")
        if not cand.person.name:
            raise Validation(f"candidates[{i}].person.name", "must not be empty")
        if pid in seen:
            raise Validation(f"candidates[{i}].person.person_id", f"names {pid} again: each person once")
        if not cand.liaison_office:
            raise Validation(f"candidates[{i}].liaison_office", "no liaison office for this candidate")
        seen.add(pid)
    pairs = [
        (cand, CandidateProposal(cand.person.person_id, p.answer, p.reasons))
        for cand, p in zip(c.candidates, c.proposals)
    ]
    runs = chunks(pairs, _candidate_size)
    received = [
        IntegrityRequestReceived(
            c.request_id,
            reference,
            c.intended_use,
            c.intended_date,
            c.due_at,
            c.agency,
            tuple(cand for cand, _ in run),
            tuple(p for _, p in run),
            c.tree_size,
            k,
            len(runs),
        )
        for k, run in enumerate(runs, 1)
    ]
    # seed 004: each PENDING candidate's open clue fast-tracked, once per request and clue
    fast: dict[str, IntegrityFastTrackRequested] = {}
    for cand, p in zip(c.candidates, c.proposals):
        if p.answer != PENDING:
            continue
        for clue_id in p.open_clues:
            fast.setdefault(
                clue_id,
                IntegrityFastTrackRequested(
                    c.request_id, cand.person.person_id, clue_id, c.intended_date, c.notice_due_at
                ),
            )
    return [*received, *fast.values()]


def _sign_off(c: SignOff, state: IntegrityRequest) -> list:
    if state.status == REPLIED:
        raise IllegalState(REPLIED, "sign off candidates once the reply is signed")
    own = [x.person.person_id for x in state.candidates if x.liaison_office == c.office]
    if not own:
        raise Forbidden(f"office {c.office} checks no candidate of {state.request_id}")
    proposals = state.proposals
    if not c.candidates:
        todo = [CandidateSignedOff(pid, proposals[pid].answer, "") for pid in own if pid not in state.signed]
        return _signed_off(state.request_id, c, todo)
    out: list[CandidateSignedOff] = []
    seen: set[str] = set()
    for i, given in enumerate(c.candidates):
        pid = given.person_id.strip()
        where = f"candidates[{i}]"
        if pid not in proposals:
            raise Validation(f"{where}.person_id", f"{pid!r} is no candidate of {state.request_id}")
        if pid not in own:
            raise Forbidden(f"{where}: {pid} is checked by another liaison office than {c.office}")
        if pid in seen:
            raise Validation(f"{where}.person_id", f"names {pid} again")
        seen.add(pid)
        proposed = proposals[pid].answer
        answer = given.answer or proposed
        if answer not in ANSWERS:
            raise Validation(f"{where}.answer", f"must be one of {', '.join(ANSWERS)}")
        comment = given.comment.strip()
        if len(comment) > COMMENT_LIMIT:
            raise Validation(f"{where}.comment", f"longer than {COMMENT_LIMIT} characters")
        if answer != proposed and not comment:
            raise Validation(f"{where}.comment", f"required to change the proposed {proposed} to {answer}")
        out.append(CandidateSignedOff(pid, answer, comment))
    return _signed_off(state.request_id, c, out)


def _signed_off(request_id: str, c: SignOff, done: list[CandidateSignedOff]) -> list:
    """One event per run of candidates that fits an event (none: nothing to sign off)."""
    if not done:
        return []
    return [IntegrityCandidatesSignedOff(request_id, c.office, c.by, run) for run in chunks(done, _signed_off_size)]


def _sign_reply(c: SignReply, state: IntegrityRequest, rules: IntegrityRules) -> list:
    if state.status == REPLIED:
        raise IllegalState(REPLIED, "sign the reply again")
    unsigned = state.unsigned
    if unsigned:
        named = ", ".join(unsigned[:NAMED_AT_MOST]) + (
            f" and {len(unsigned) - NAMED_AT_MOST} more" if len(unsigned) > NAMED_AT_MOST else ""
        )
        raise IllegalState(f"{PROPOSED} (candidates not signed off: {named})", "sign the reply")
    runs = chunks([line(state, x, rules) for x in state.candidates], _line_size)
    return [
        IntegrityReplySigned(state.request_id, state.received.reference, c.by, run, k, len(runs))
        for k, run in enumerate(runs, 1)
    ]


def line(state: IntegrityRequest, candidate: RequestedCandidate, rules: IntegrityRules) -> CandidateReplyLine:
    """The reply to one candidate as it stands (the signed-off answer, else the proposed one)."""
    pid = candidate.person.person_id
    answer = state.answer_of(pid)
    signed = state.signed.get(pid)
    words = reply_text(
        answer, candidate.person.name, state.proposals[pid].reasons, signed.comment if signed else "", rules.texts
    )
    return CandidateReplyLine(pid, candidate.person.name, answer, words)


__all__ = [
    "EVENTS",
    "NO_OBJECTION",
    "OBJECTION",
    "PENDING",
    "PROPOSED",
    "REPLIED",
    "SIGNED_OFF",
    "CandidateProposal",
    "CandidateReplyLine",
    "CandidateSignedOff",
    "IntegrityCandidatesSignedOff",
    "IntegrityFastTrackRequested",
    "IntegrityReplySigned",
    "IntegrityRequest",
    "IntegrityRequestReceived",
    "RequestedCandidate",
    "SignOff",
    "SignReply",
    "Signed",
    "SubmitRequest",
    "decide",
    "evolve",
    "line",
]
