"""The person's safeguards around investigation measures (调查措施), domain.md §3: the rows and
bullets of the measures table the other measure modules leave. Pure; hooked into `measures.py`'s
tables (its evolve folds these events into `Measure.safeguards`, its decide runs these commands and
wraps the execution record and the custody hand-over, its timers and ledger row take theirs here).

* **Freeze, seal, seize** (冻结、查封、扣押; SL 26, 28): once the property is found unrelated to the
  case (`FindUnrelated`: what, when, by whom) it is released within 3 days (configuration): the
  release is the measure's end LIFTED or RELEASED (`EndMeasure`); a timer raises
  `MeasureReleaseOverdue` once when the due date passes unreleased; the ledger line shows both.
* **Search** (搜查; SL 27): executed with a search warrant (搜查证, a document by SHA-256), in the
  presence of at least one witness (见证人, by name), and a woman's body searched by women only:
  the execution record (`RecordExecution`, SL 44) states the searched person's sex and each
  searching staff member's.
* **Complaints** (申诉; SL 69): the person, a near relative or an interested party complains of a
  measure (past its limit and not lifted, unrelated property, not released, property misused,
  other unlawful conduct); the commission decides within 1 month; the complainant may seek the
  upper commission's review within 1 month of the decision, decided within 2 months. Who decides
  is configuration; a timer raises `MeasureComplaintOverdue` once per stage.
* **Offset** (折抵; SL 50 ¶4): when the procuratorate takes custody (`TransferCustody`,
  IR2025 134) the record states the days in detention and what they offset: 1 day of detention =
  2 days of 管制, or 1 day of 拘役 or fixed-term prison. domain.md states the rule for detention
  only, so 管护 before it is not counted; how a part-day counts is configuration (unverified).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from kernel.domain.calendar import plus_months
from kernel.domain.checks import moment, one_of
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.cases.domain import events as ev, measure_duties as md
from services.cases.domain.outcomes import text

ACTIVE, EXPIRED, ENDED = md.ACTIVE, md.EXPIRED, md.ENDED
RUNNING = md.RUNNING
RELEASES = ("LIFTED", "RELEASED")  # how property found unrelated leaves the measure (SL 26, 28)
SEXES = ("FEMALE", "MALE")  # SL 27: a woman is searched by women
COMPLAINANTS = ("PERSON", "NEAR_RELATIVE", "INTERESTED_PARTY")  # SL 69: 被调查人及其近亲属、利害关系人
# SL 69 (1)-(5): what a complaint is about
GROUNDS = ("PAST_LIMIT", "UNRELATED_PROPERTY", "NOT_RELEASED", "PROPERTY_MISUSED", "OTHER_UNLAWFUL")
DECISION, REVIEW = "DECISION", "REVIEW"  # the stage a complaint's timer watches
FILED, DECIDED, REVIEW_SOUGHT, CLOSED = "FILED", "DECIDED", "REVIEW_SOUGHT", "CLOSED"
PART_DAYS = ("WHOLE", "NONE")  # a part-day counts as a whole day, or not at all (unverified)
DECIDED_WITHIN, REVIEW_SOUGHT_WITHIN, REVIEW_DECIDED_WITHIN = 1, 1, 2  # months, SL 69 (law)


@dataclass(frozen=True)
class SafeguardRules:
    """The safeguards' configuration (deploy/config/measure_safeguards.toml; these defaults are the
    values domain.md §3 states, so rules built in tests without the file mean the same)."""

    property_kinds: tuple[str, ...] = ("FREEZING", "SEALING", "SEIZURE")  # SL 26, 28
    release_within: timedelta = timedelta(days=3)  # SL 26, 28
    search_kinds: tuple[str, ...] = ("SEARCH",)  # SL 27
    min_witnesses: int = 1  # SL 27
    complaint_deciders: tuple[str, ...] = ("commission_head",)  # SL 69: the commission (who: local)
    review_deciders: tuple[str, ...] = ("superior_head",)  # SL 69: the upper commission (who: local)
    part_day: str = "WHOLE"  # SL 50 ¶4: how a part-day of detention counts (unverified)


# -- commands ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindUnrelated:
    """The frozen, sealed or seized property was found unrelated to the case (SL 26, 28)."""

    measure_id: str
    what: str
    found_at: datetime
    by: Principal


@dataclass(frozen=True)
class RecordReleaseOverdue:
    """From a timer: property found unrelated was due to be released at `due`."""

    measure_id: str
    due: datetime


@dataclass(frozen=True)
class FileComplaint:
    measure_id: str
    complaint_id: str
    complainant: str
    complainant_name: str
    ground: str
    detail: str
    received_at: datetime
    by: Principal


@dataclass(frozen=True)
class DecideComplaint:
    """The commission's decision (`review` False) or the upper commission's on review (True)."""

    measure_id: str
    complaint_id: str
    upheld: bool
    reasons: str
    at: datetime
    by: Principal
    review: bool = False


@dataclass(frozen=True)
class SeekComplaintReview:
    measure_id: str
    complaint_id: str
    sought_at: datetime
    by: Principal


@dataclass(frozen=True)
class RecordComplaintOverdue:
    """From a timer: the complaint's `stage` (DECISION, REVIEW) was due to be decided at `due`."""

    measure_id: str
    complaint_id: str
    stage: str
    due: datetime


# -- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Complaint:
    complaint_id: str
    stage: str  # FILED, DECIDED, REVIEW_SOUGHT, CLOSED
    due: datetime | None  # the open stage's deadline (decision, review sought by, review decided)
    overdue: bool = False
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Safeguards:
    """What the safeguards recorded on one measure (`Measure.safeguards`)."""

    unrelated_at: datetime | None = None
    release_due: datetime | None = None
    release_overdue: bool = False
    complaints: tuple[Complaint, ...] = ()


def _set(state, **changes):
    return replace(state, safeguards=replace(state.safeguards, **changes))


def _complaint(state, complaint_id: str, **changes):
    cs = tuple(replace(c, **changes) if c.complaint_id == complaint_id else c for c in state.safeguards.complaints)
    return _set(state, complaints=cs)


def _decided(s, e: ev.MeasureComplaintDecided):
    if e.review:
        return _complaint(s, e.complaint_id, stage=CLOSED, due=None, overdue=False)
    return _complaint(s, e.complaint_id, stage=DECIDED, due=e.review_sought_by, overdue=False, decided_at=e.decided_at)


EVOLVE = {
    ev.MeasureFoundUnrelated: lambda s, e: _set(s, unrelated_at=e.found_at, release_due=e.release_due),
    ev.MeasureReleaseOverdue: lambda s, e: (
        _set(s, release_overdue=True) if s.status in RUNNING and s.safeguards.release_due == e.due else s
    ),
    ev.MeasureComplaintFiled: lambda s, e: _set(
        s, complaints=(*s.safeguards.complaints, Complaint(e.complaint_id, FILED, e.due))
    ),
    ev.MeasureComplaintDecided: _decided,
    ev.MeasureComplaintReviewSought: lambda s, e: _complaint(s, e.complaint_id, stage=REVIEW_SOUGHT, due=e.due),
    ev.MeasureComplaintOverdue: lambda s, e: _complaint(s, e.complaint_id, overdue=True),
}


# -- decide --------------------------------------------------------------------------------------

_moment = partial(moment, since="the measure started")


def _role(by: Principal, roles: tuple[str, ...], act: str) -> None:
    if by.role not in roles:
        raise Forbidden(f"{act} is for {' or '.join(roles)}, not {by.role}")


def find_unrelated(cmd: FindUnrelated, state, rules):
    """SL 26, 28: the finding (what, when, by whom) starts the release's due date."""
    operation = "record the property found unrelated to the case"
    md._require(state, RUNNING, operation)
    kind, sg = state.requested.kind, rules.safeguards
    if kind not in sg.property_kinds:
        raise IllegalState(f"{state.status} ({kind} holds no property: {', '.join(sg.property_kinds)} do)", operation)
    if state.safeguards.unrelated_at is not None:
        raise IllegalState(
            f"{state.status} (found unrelated already, release due {state.safeguards.release_due})", operation
        )
    found = _moment(cmd.found_at, "found_at", state.starts_at)
    return [
        ev.MeasureFoundUnrelated(
            cmd.measure_id, text(cmd.what, "what"), found, cmd.by.user, cmd.by.role, found + sg.release_within
        )
    ]


def release_overdue(cmd: RecordReleaseOverdue, state, rules):
    s = state.safeguards
    current = state.status in RUNNING and s.release_due == cmd.due and not s.release_overdue
    return [ev.MeasureReleaseOverdue(cmd.measure_id, cmd.due)] if current else []


def check_end(outcome: str, state) -> None:
    """For `measures.end`: property found unrelated leaves the measure released (SL 26, 28)."""
    if state.safeguards.unrelated_at is not None and outcome not in RELEASES:
        raise Validation("outcome", f"property found unrelated is released: {' or '.join(RELEASES)} (SL 26, 28)")


def _find(state, complaint_id: str) -> Complaint | None:
    return next((c for c in state.safeguards.complaints if c.complaint_id == complaint_id), None)


def file_complaint(cmd: FileComplaint, state, rules):
    """SL 69: received, to be decided within 1 month; about a measure approved (running or ended)."""
    operation = "file a complaint about the measure"
    md._require(state, (*RUNNING, ENDED), operation)
    complaint_id = text(cmd.complaint_id, "complaint_id")
    if _find(state, complaint_id):
        raise IllegalState(f"{state.status} (complaint {complaint_id} already recorded)", operation)
    received = _moment(cmd.received_at, "received_at", state.starts_at)
    return [
        ev.MeasureComplaintFiled(
            cmd.measure_id,
            complaint_id,
            one_of(cmd.complainant, COMPLAINANTS, "complainant"),
            text(cmd.complainant_name, "complainant_name"),
            one_of(cmd.ground, GROUNDS, "ground"),
            text(cmd.detail, "detail"),
            received,
            plus_months(received, DECIDED_WITHIN),
            cmd.by.user,
        )
    ]


def decide_complaint(cmd: DecideComplaint, state, rules):
    """SL 69: the commission decides (configured roles), with reasons; the upper commission decides
    a review sought (configured roles). Each once."""
    operation = "decide the complaint's review" if cmd.review else "decide the complaint"
    c = _find(state, (cmd.complaint_id or "").strip())
    if c is None:
        raise IllegalState(f"{state.status} (no complaint {cmd.complaint_id!r})", operation)
    awaited = REVIEW_SOUGHT if cmd.review else FILED
    if c.stage != awaited:
        raise IllegalState(f"complaint {c.stage}", operation)
    sg = rules.safeguards
    _role(cmd.by, sg.review_deciders if cmd.review else sg.complaint_deciders, operation.replace("decide", "deciding"))
    at = moment(cmd.at, "at", c.decided_at or state.starts_at, "the complaint's last step")
    review_by = None if cmd.review else plus_months(at, REVIEW_SOUGHT_WITHIN)
    return [
        ev.MeasureComplaintDecided(
            cmd.measure_id,
            c.complaint_id,
            cmd.upheld,
            text(cmd.reasons, "reasons"),
            cmd.by.user,
            cmd.by.role,
            at,
            review=cmd.review,
            review_sought_by=review_by,
        )
    ]


def seek_review(cmd: SeekComplaintReview, state, rules):
    """SL 69: within 1 month of the decision; the upper commission decides within 2 months."""
    operation = "seek the upper commission's review"
    c = _find(state, (cmd.complaint_id or "").strip())
    if c is None:
        raise IllegalState(f"{state.status} (no complaint {cmd.complaint_id!r})", operation)
    if c.stage != DECIDED:
        raise IllegalState(f"complaint {c.stage}", operation)
    sought = moment(cmd.sought_at, "sought_at", c.decided_at, "the decision")
    if sought > c.due:
        raise IllegalState(f"complaint {c.stage} (a review was to be sought by {c.due.isoformat()})", operation)
    due = plus_months(sought, REVIEW_DECIDED_WITHIN)
    return [ev.MeasureComplaintReviewSought(cmd.measure_id, c.complaint_id, sought, due, cmd.by.user)]


def complaint_overdue(cmd: RecordComplaintOverdue, state, rules):
    c = _find(state, cmd.complaint_id)
    stage = {FILED: DECISION, REVIEW_SOUGHT: REVIEW}.get(c.stage) if c else None
    current = stage == cmd.stage and c.due == cmd.due and not c.overdue
    return [ev.MeasureComplaintOverdue(cmd.measure_id, cmd.complaint_id, cmd.stage, cmd.due)] if current else []


def _sex(value: str, field: str) -> str:
    return one_of(value, SEXES, field)


def record_execution(cmd: md.RecordExecution, state, rules):
    """SL 44 and, for a search, SL 27: the warrant by SHA-256, at least one witness named, the
    searched person's sex and each searching staff member's; a woman searched by women only."""
    kind, sg = state.requested.kind if state.requested else "", rules.safeguards
    search = kind in sg.search_kinds
    extra = {}
    if search:
        warrant = md.document(cmd.warrant, "warrant")
        witnesses = tuple(text(w, f"witnesses[{i}]") for i, w in enumerate(cmd.witnesses or ()))
        if len(witnesses) < sg.min_witnesses:
            raise Validation("witnesses", f"at least {sg.min_witnesses} witness named (SL 27); {len(witnesses)} named")
        searched = _sex(cmd.searched_sex, "searched_sex")
        sexes = tuple(_sex(s.sex, f"staff[{i}].sex") for i, s in enumerate(cmd.staff or ()))
        if searched == "FEMALE":
            for i, sex in enumerate(sexes):
                if sex != "FEMALE":
                    raise Validation(f"staff[{i}].sex", "a woman is searched by women only (SL 27)")
        extra = dict(warrant=warrant, witnesses=witnesses, searched_sex=searched)
    else:
        for name in ("warrant", "witnesses", "searched_sex"):
            if getattr(cmd, name):
                raise Validation(name, f"only for a {' or '.join(sg.search_kinds)} (SL 27)")
    events = md.record_execution(cmd, state, rules)
    if not search:
        return events
    staff = tuple(replace(s, sex=c.sex) for s, c in zip(events[0].staff, cmd.staff, strict=True))
    return [replace(events[0], staff=staff, **extra), *events[1:]]


def offset_days(started: datetime, taken: datetime, part_day: str) -> int:
    """SL 50 ¶4: the days in detention from its start to custody; a part-day counts as `part_day`
    says (WHOLE: as a day; NONE: not at all; unverified, configuration)."""
    days, rest = divmod(taken - started, timedelta(days=1))
    return days + (1 if rest and part_day == "WHOLE" else 0)


def transfer_custody(cmd: md.TransferCustody, state, rules):
    """IR2025 134 with SL 50 ¶4: the custody record states the days in detention and their offset
    (1 day = 2 days of 管制, or 1 day of 拘役 or prison). Detention only: domain.md gives no rule
    for 管护 before it."""
    events = md.transfer_custody(cmd, state, rules)
    days = offset_days(state.starts_at, events[0].taken_at, rules.safeguards.part_day)
    offset = dict(detention_days=days, control_offset_days=2 * days, prison_offset_days=days)
    return [replace(events[0], **offset), *events[1:]]


DECIDE = {
    FindUnrelated: find_unrelated,
    RecordReleaseOverdue: release_overdue,
    FileComplaint: file_complaint,
    DecideComplaint: decide_complaint,
    SeekComplaintReview: seek_review,
    RecordComplaintOverdue: complaint_overdue,
    md.RecordExecution: record_execution,  # wraps the duties' (SL 27 for a search)
    md.TransferCustody: transfer_custody,  # wraps the duties' (SL 50 ¶4)
}
FROM_TIMER = (RecordReleaseOverdue, RecordComplaintOverdue)


def timer_command(event):
    """The command a safeguard's timer event stands for (None: not one of these)."""
    if isinstance(event, ev.MeasureReleaseOverdue):
        return RecordReleaseOverdue(event.measure_id, event.due)
    if isinstance(event, ev.MeasureComplaintOverdue):
        return RecordComplaintOverdue(event.measure_id, event.complaint_id, event.stage, event.due)
    return None


# -- timers and ledger ---------------------------------------------------------------------------


def timers(state) -> dict[str, tuple[datetime, object]]:
    """The release's due date while the measure runs (SL 26, 28); each complaint's open deadline
    (decision, review decision: SL 69), the measure running or ended."""
    mid, sg, out = state.requested.measure_id, state.safeguards, {}
    if state.status in RUNNING and sg.release_due and not sg.release_overdue:
        out[f"release:{mid}"] = (sg.release_due, ev.MeasureReleaseOverdue(mid, sg.release_due))
    for c in sg.complaints:
        stage = {FILED: DECISION, REVIEW_SOUGHT: REVIEW}.get(c.stage)
        if stage and not c.overdue:
            out[f"complaint:{mid}:{c.complaint_id}:{stage}"] = (
                c.due,
                ev.MeasureComplaintOverdue(mid, c.complaint_id, stage, c.due),
            )
    return out


def decider_roles(state, rules: SafeguardRules) -> frozenset[str]:
    """The roles a complaint awaits (SL 69: the commission's deciders, on review the upper
    commission's), so they may know the measure while it does (need to know, issue 17)."""
    stages = {c.stage for c in state.safeguards.complaints}
    roles = set(rules.complaint_deciders) if FILED in stages else set()
    return frozenset(roles | (set(rules.review_deciders) if REVIEW_SOUGHT in stages else set()))


def ledger_columns(state) -> dict:
    """The safeguards' part of the measure's ledger line."""
    sg = state.safeguards
    waiting = [c for c in sg.complaints if c.stage in (FILED, REVIEW_SOUGHT)]
    return {
        "unrelated_at": sg.unrelated_at,
        "release_due": sg.release_due if state.status in RUNNING else None,
        "release_overdue": sg.release_overdue,
        "released_at": state.ended_at if sg.unrelated_at is not None and state.status == ENDED else None,
        "complaints_pending": len(waiting),
        "complaint_due": min((c.due for c in waiting), default=None),
        "complaint_overdue": any(c.overdue for c in waiting),
    }


def awaited(state, rules: SafeguardRules) -> list[tuple[str, str, str, datetime | None, datetime | None, bool]]:
    """What the safeguards wait for, as (step, role, summary, since, due, at the holder): property
    found unrelated released (SL 26, 28); each complaint decided, by the commission or on review by
    the upper commission (SL 69)."""
    sg, out = state.safeguards, []
    if state.status in RUNNING and sg.release_due:
        out.append(("EndMeasure", "investigator", "release the property found unrelated (SL 26, 28)",
                    sg.unrelated_at, sg.release_due, True))  # fmt: skip
    for c in sg.complaints:
        deciders = {FILED: rules.complaint_deciders, REVIEW_SOUGHT: rules.review_deciders}.get(c.stage, ())
        what = "complaint" if c.stage == FILED else "complaint's review by the upper commission"
        out += [("DecideMeasureComplaint", role, f"{what} (SL 69)", None, c.due, False) for role in deciders]
    return out
