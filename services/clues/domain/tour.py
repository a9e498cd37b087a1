"""The tour round (巡视/巡察 轮次; seed 001, domain.md §5 "problems per tour round", issue 27): an
aggregate of the clues service on stream `tour-<uuid>`, its events (`proto/clues/v1/tour_events.proto`,
same names and fields), commands, state, `evolve` and `decide`. Pure: what needs the store (the
units' problems still open from earlier rounds, the clues registered by a transfer) arrives in the
command, as do time and the acting principal.

The round's problem ledger (问题台账) is kept item by item to the end (一张清单到底, 销账管理): each
problem is RECORDED (numbered `<round id>#<n>` from 1), TRANSFERRED to the unit responsible for it
with a due date, RECTIFIED when that unit reports it done, CLOSED (销账) by the tour office once it
has checked the rectification; never a step skipped or taken back. Suggestion letters (巡视建议书)
name problems of the round; clue batches (巡视移交) are recorded once per batch reference.

Errors are the kernel's: Validation (INVALID_ARGUMENT naming the field), IllegalState
(FAILED_PRECONDITION naming the problem's or round's state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from kernel.domain.checks import moment, one_of, text
from kernel.domain.errors import IllegalState, Validation
from kernel.domain.principal import Principal

NONE, OPEN = "", "OPEN"
RECORDED, TRANSFERRED, RECTIFIED, CLOSED = "RECORDED", "TRANSFERRED", "RECTIFIED", "CLOSED"
PROBLEM_STATES = (RECORDED, TRANSFERRED, RECTIFIED, CLOSED)
KINDS = ("REGULAR", "SPECIAL", "MOBILE", "CIRCUIT")
MAX_UNITS, MAX_PROBLEMS_AT_ONCE, MAX_LETTER_PROBLEMS = 100, 500, 300
CATEGORY_LIMIT, DESCRIPTION_LIMIT, NAME_LIMIT, ADDRESS_LIMIT, REFERENCE_LIMIT = 100, 2000, 100, 200, 128
# What one TourCluesTransferred may carry of clue and person ids (estimated, UTF-8): a quarter of the
# store's default MAX_EVENT_BYTES (256 KiB); a larger batch is recorded in several events, in order.
CHUNK_BYTES = 64_000


# -- events (tour_events.proto) ------------------------------------------------------------------


@dataclass(frozen=True)
class InspectedUnit:
    code: str
    name: str


@dataclass(frozen=True)
class TourRoundOpened:
    round_id: str
    reference: str
    kind: str
    units: tuple[InspectedUnit, ...]
    starts_on: date
    ends_on: date
    office: str
    opened_by: str
    carried_over: tuple[str, ...] = ()


@dataclass(frozen=True)
class TourProblemRecorded:
    round_id: str
    problem_id: str
    unit: str
    category: str
    description: str
    recorded_by: str


@dataclass(frozen=True)
class TourProblemTransferred:
    round_id: str
    problem_id: str
    responsible_unit: str
    due_at: datetime
    transferred_by: str


@dataclass(frozen=True)
class TourProblemRectified:
    round_id: str
    problem_id: str
    rectification: str
    reported_by: str


@dataclass(frozen=True)
class TourProblemClosed:
    round_id: str
    problem_id: str
    closed_by: str


@dataclass(frozen=True)
class TourSuggestionLetterIssued:
    round_id: str
    letter_id: str
    addressed_to: str
    problem_ids: tuple[str, ...]
    issued_by: str


@dataclass(frozen=True)
class TourCluesTransferred:
    round_id: str
    batch_reference: str
    clue_ids: tuple[str, ...]
    person_ids: tuple[str, ...]
    transferred_by: str


EVENTS = (
    TourRoundOpened,
    TourProblemRecorded,
    TourProblemTransferred,
    TourProblemRectified,
    TourProblemClosed,
    TourSuggestionLetterIssued,
    TourCluesTransferred,
)


# -- commands ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTourRound:
    """`starts_on`/`ends_on`: the round's first and last day (the edge takes them in the commission's
    time zone); `carried_over`: the units' problems still open from earlier rounds, found by the app."""

    round_id: str
    reference: str
    kind: str
    units: tuple[InspectedUnit, ...]
    starts_on: date | None
    ends_on: date | None
    by: Principal
    carried_over: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewProblem:
    unit: str
    category: str
    description: str


@dataclass(frozen=True)
class RecordTourProblems:
    round_id: str
    problems: tuple[NewProblem, ...]
    by: Principal


@dataclass(frozen=True)
class TransferTourProblem:
    """`at`: now, which `due_at` must follow."""

    round_id: str
    problem_id: str
    responsible_unit: str
    due_at: datetime
    at: datetime
    by: Principal


@dataclass(frozen=True)
class ReportProblemRectified:
    round_id: str
    problem_id: str
    rectification: str
    by: Principal


@dataclass(frozen=True)
class CloseTourProblem:
    round_id: str
    problem_id: str
    by: Principal


@dataclass(frozen=True)
class IssueSuggestionLetter:
    round_id: str
    letter_id: str
    addressed_to: str
    problem_ids: tuple[str, ...]
    by: Principal


@dataclass(frozen=True)
class RecordCluesTransferred:
    """The clues a transfer registered (in the same transaction) and the persons they name."""

    round_id: str
    batch_reference: str
    clue_ids: tuple[str, ...]
    person_ids: tuple[str, ...]
    by: Principal


# -- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    problem_id: str
    number: int
    unit: str
    category: str
    description: str
    state: str = RECORDED
    responsible_unit: str = ""
    due_at: datetime | None = None
    rectification: str = ""


@dataclass(frozen=True)
class TourRound:
    opened: TourRoundOpened | None = None
    problems: tuple[Problem, ...] = ()  # problem n at index n-1
    letters: tuple[TourSuggestionLetterIssued, ...] = ()
    transfers: tuple[TourCluesTransferred, ...] = ()

    @property
    def status(self) -> str:
        return OPEN if self.opened else NONE

    @property
    def round_id(self) -> str:
        return self.opened.round_id if self.opened else ""

    @property
    def office(self) -> str:
        return self.opened.office if self.opened else ""

    def problem(self, problem_id: str, field: str = "problem_id") -> Problem:
        """The round's problem `problem_id`, or Validation naming `field`."""
        prefix = f"{self.round_id}#"
        number = problem_id.removeprefix(prefix) if problem_id.startswith(prefix) else ""
        if not number.isdigit() or not 1 <= int(number) <= len(self.problems):
            raise Validation(field, f"{problem_id!r} is not a problem of round {self.round_id}")
        return self.problems[int(number) - 1]

    def open_problems(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.state != CLOSED)


def problem_id_of(round_id: str, number: int) -> str:
    return f"{round_id}#{number}"


def is_overdue(p: Problem, now: datetime) -> bool:
    """Transferred and not reported rectified by its due date."""
    return p.state == TRANSFERRED and p.due_at is not None and p.due_at < now


def _with(round_: TourRound, problem_id: str, **changes) -> TourRound:
    p = round_.problem(problem_id)
    i = p.number - 1
    return replace(round_, problems=round_.problems[:i] + (replace(p, **changes),) + round_.problems[i + 1 :])


def evolve(state: TourRound, event) -> TourRound:
    match event:
        case TourRoundOpened():
            return replace(state, opened=event)
        case TourProblemRecorded():
            n = len(state.problems) + 1
            p = Problem(event.problem_id, n, event.unit, event.category, event.description)
            return replace(state, problems=state.problems + (p,))
        case TourProblemTransferred():
            return _with(
                state, event.problem_id, state=TRANSFERRED, responsible_unit=event.responsible_unit, due_at=event.due_at
            )
        case TourProblemRectified():
            return _with(state, event.problem_id, state=RECTIFIED, rectification=event.rectification)
        case TourProblemClosed():
            return _with(state, event.problem_id, state=CLOSED)
        case TourSuggestionLetterIssued():
            return replace(state, letters=state.letters + (event,))
        case TourCluesTransferred():
            return replace(state, transfers=state.transfers + (event,))
    return state


# -- decide --------------------------------------------------------------------------------------


def _day(value: date | None, field: str) -> date:
    if not isinstance(value, date):
        raise Validation(field, "is required")
    return value


def _open(state: TourRound, operation: str) -> None:
    if state.status != OPEN:
        raise IllegalState(state.status or "NONE", operation)


def _step(p: Problem, wanted: str, operation: str) -> None:
    if p.state != wanted:
        raise IllegalState(f"{p.problem_id} {p.state}", operation)


def open_round(cmd: OpenTourRound, state: TourRound) -> list:
    if state.status != NONE:
        raise IllegalState(state.status, "open a round that exists")
    reference = text(cmd.reference, "reference", REFERENCE_LIMIT)
    kind = one_of(cmd.kind, KINDS, "kind")
    if not cmd.units:
        raise Validation("units", "at least one unit is inspected")
    if len(cmd.units) > MAX_UNITS:
        raise Validation("units", f"at most {MAX_UNITS} units")
    seen: set[str] = set()
    units = []
    for i, u in enumerate(cmd.units):
        code = text(u.code, f"units[{i}].code", 64)
        if code in seen:
            raise Validation(f"units[{i}].code", f"{code} is listed twice")
        seen.add(code)
        units.append(InspectedUnit(code, text(u.name, f"units[{i}].name", NAME_LIMIT)))
    starts, ends = _day(cmd.starts_on, "starts_on"), _day(cmd.ends_on, "ends_on")
    if ends < starts:
        raise Validation("ends_on", f"is before starts_on ({starts.isoformat()})")
    return [
        TourRoundOpened(
            cmd.round_id,
            reference,
            kind,
            tuple(units),
            starts,
            ends,
            cmd.by.office,
            cmd.by.user,
            tuple(cmd.carried_over),
        )
    ]


def record_problems(cmd: RecordTourProblems, state: TourRound) -> list:
    _open(state, "record problems")
    if not 1 <= len(cmd.problems) <= MAX_PROBLEMS_AT_ONCE:
        raise Validation("problems", f"1 to {MAX_PROBLEMS_AT_ONCE} problems at a time")
    units = {u.code for u in state.opened.units}
    out, n = [], len(state.problems)
    for k, p in enumerate(cmd.problems):
        unit = (p.unit or "").strip()
        if unit not in units:
            raise Validation(f"problems[{k}].unit", f"{unit!r} is not a unit of the round ({', '.join(sorted(units))})")
        out.append(
            TourProblemRecorded(
                state.round_id,
                problem_id_of(state.round_id, n + k + 1),
                unit,
                text(p.category, f"problems[{k}].category", CATEGORY_LIMIT),
                text(p.description, f"problems[{k}].description", DESCRIPTION_LIMIT),
                cmd.by.user,
            )
        )
    return out


def transfer_problem(cmd: TransferTourProblem, state: TourRound) -> list:
    _open(state, "transfer a problem")
    p = state.problem(cmd.problem_id.strip())
    _step(p, RECORDED, "transfer a problem (only a RECORDED one)")
    due = moment(cmd.due_at, "due_at")
    if due <= cmd.at:
        raise Validation("due_at", "must be after now")
    unit = text(cmd.responsible_unit, "responsible_unit", 64)
    return [TourProblemTransferred(state.round_id, p.problem_id, unit, due, cmd.by.user)]


def report_rectified(cmd: ReportProblemRectified, state: TourRound) -> list:
    _open(state, "report a problem rectified")
    p = state.problem(cmd.problem_id.strip())
    _step(p, TRANSFERRED, "report a problem rectified (only a TRANSFERRED one)")
    done = text(cmd.rectification, "rectification", DESCRIPTION_LIMIT)
    return [TourProblemRectified(state.round_id, p.problem_id, done, cmd.by.user)]


def close_problem(cmd: CloseTourProblem, state: TourRound) -> list:
    _open(state, "close a problem")
    p = state.problem(cmd.problem_id.strip())
    _step(p, RECTIFIED, "close a problem (销账: only a RECTIFIED one)")
    return [TourProblemClosed(state.round_id, p.problem_id, cmd.by.user)]


def issue_letter(cmd: IssueSuggestionLetter, state: TourRound) -> list:
    _open(state, "issue a suggestion letter")
    letter = text(cmd.letter_id, "letter_id", REFERENCE_LIMIT)
    if any(x.letter_id == letter for x in state.letters):
        raise Validation("letter_id", f"{letter} was already issued in this round")
    if len(cmd.problem_ids) > MAX_LETTER_PROBLEMS:
        raise Validation("problem_ids", f"at most {MAX_LETTER_PROBLEMS}")
    ids: list[str] = []
    for i, pid in enumerate(cmd.problem_ids):
        p = state.problem(pid.strip(), f"problem_ids[{i}]")
        if p.problem_id in ids:
            raise Validation(f"problem_ids[{i}]", f"{p.problem_id} is listed twice")
        ids.append(p.problem_id)
    to = text(cmd.addressed_to, "addressed_to", ADDRESS_LIMIT)
    return [TourSuggestionLetterIssued(state.round_id, letter, to, tuple(ids), cmd.by.user)]


def record_transfer(cmd: RecordCluesTransferred, state: TourRound) -> list:
    _open(state, "transfer clues")
    batch = text(cmd.batch_reference, "batch_reference", REFERENCE_LIMIT)
    if any(t.batch_reference == batch for t in state.transfers):
        raise Validation("batch_reference", f"{batch} was already transferred in this round")
    if not cmd.clue_ids:
        raise Validation("clues", "at least one clue")
    persons = tuple(dict.fromkeys(cmd.person_ids))
    return [
        TourCluesTransferred(state.round_id, batch, clues, people, cmd.by.user)
        for clues, people in transfer_parts(cmd.clue_ids, persons)
    ]


def transfer_parts(
    clue_ids: Sequence[str], person_ids: Sequence[str], budget: int = CHUNK_BYTES
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The batch's clue ids, then its person ids, cut in order into parts of at most `budget`
    estimated bytes each (one part when it fits; every part at least one id)."""
    items = [("clue", c) for c in clue_ids] + [("person", p) for p in person_ids]
    parts: list[list] = [[]]
    used = 0
    for item in items:
        size = len(item[1].encode()) + 3
        if parts[-1] and used + size > budget:
            parts.append([])
            used = 0
        parts[-1].append(item)
        used += size
    return [(tuple(v for k, v in part if k == "clue"), tuple(v for k, v in part if k == "person")) for part in parts]


DECIDERS = {
    OpenTourRound: open_round,
    RecordTourProblems: record_problems,
    TransferTourProblem: transfer_problem,
    ReportProblemRectified: report_rectified,
    CloseTourProblem: close_problem,
    IssueSuggestionLetter: issue_letter,
    RecordCluesTransferred: record_transfer,
}


def decide(command, state: TourRound) -> list:
    return DECIDERS[type(command)](command, state)
