"""The duties common to investigation measures (调查措施), domain.md §3, the bullets under the
measures table. Pure; hooked into `measures.py`'s tables (its evolve folds these events into
`Measure.duties`, its decide runs these commands, its timers and ledger row take theirs from here).

* **Notice** (SL 50 ¶1; 64): after 管护, 留置 or 禁闭 (every kind whose rule has `notice_within`)
  the unit and family are told within 24 hours (`GiveDetentionNotice`), unless telling would
  obstruct the investigation: an approved, recorded deferral (`DeferNotice`, before the notice is
  due, by a configured role) stops the clock; when the obstruction ends (`EndNoticeDeferral`) the
  notice is due at once (the ledger flags it overdue from that instant, a timer records it). The
  release is told too (`GiveReleaseNotice`, after an end RELEASED, due within the same time).
* **Change requests** (SL 50 ¶2): the person or a near relative asks to change or lift the measure
  (`RequestChange`); a configured role decides within 3 days (`DecideChange`), giving reasons when
  refusing; a timer records the request overdue if undecided. Ending the measure answers them.
* **Two staff** (SL 44): `RecordExecution` names at least two staff with their ID numbers, the
  written notice and the record signed on site (each document by SHA-256), once, after approval:
  the approval says the measure may be used; the execution says how it was.
* **Recordings** (SL 44 ¶2): a search, seizure or sealing is ended COMPLETED only with its
  recording (`EndMeasure.recording`, by SHA-256); an interrogation's recording is the case's
  `RecordActivity`, which names the running detention it belongs to.
* **Expiry is an alert** (SL 74(7)): the expiry timer raises `MeasureExpired` once; an EXPIRED
  measure's holding names the configured alert roles (the leaders), so it stays on their queue
  (ListMeasures `expired_only`) as on the office's ledger until it is ended.
* **Custody** (IR2025 134): `TransferCustody` records the procuratorate taking the detained person,
  with its document, and ends the detention (outcome CUSTODY_TRANSFERRED); case management records
  it, and the procuratorate's report-back will use the same command.

What is local or unverified is configuration (`DutyRules`, deploy/config/measure_duties.toml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from kernel.domain.checks import moment, one_of
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.cases.domain import events as ev
from services.cases.domain.outcomes import text

ACTIVE, EXPIRED, ENDED = "ACTIVE", "EXPIRED", "ENDED"
RUNNING = (ACTIVE, EXPIRED)
RELEASED, COMPLETED, CUSTODY_TRANSFERRED = "RELEASED", "COMPLETED", "CUSTODY_TRANSFERRED"
APPLICANTS = ("PERSON", "NEAR_RELATIVE")  # SL 50 ¶2: the person or a near relative (近亲属)
ASKS = ("CHANGE", "LIFT")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DutyRules:
    """The duties' configuration (deploy/config/measure_duties.toml; these defaults are the values
    domain.md §3 states, so rules built in tests without the file mean the same)."""

    deferral_approvers: tuple[str, ...] = ("commission_head",)  # approve a notice deferral (local)
    change_deciders: tuple[str, ...] = ("commission_head",)  # decide a change request (local)
    change_within: timedelta = timedelta(days=3)  # SL 50 ¶2
    min_staff: int = 2  # SL 44
    recorded_kinds: tuple[str, ...] = ("SEARCH", "SEIZURE", "SEALING")  # SL 44 ¶2
    custody_kinds: tuple[str, ...] = ("DETENTION",)  # IR2025 134
    alert_roles: tuple[str, ...] = ("commission_head",)  # SL 74(7): who sees every expired measure


# -- commands ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeferNotice:
    measure_id: str
    reason: str
    at: datetime
    by: Principal


@dataclass(frozen=True)
class EndNoticeDeferral:
    """The obstruction ended at `at`; the notice given at once may come with it (both times)."""

    measure_id: str
    reason: str
    at: datetime
    by: Principal
    unit_notified_at: datetime | None = None
    family_notified_at: datetime | None = None


@dataclass(frozen=True)
class GiveReleaseNotice:
    measure_id: str
    unit_notified_at: datetime
    family_notified_at: datetime
    by: Principal


@dataclass(frozen=True)
class RequestChange:
    measure_id: str
    change_id: str
    applicant: str
    applicant_name: str
    asked: str
    grounds: str
    received_at: datetime
    by: Principal


@dataclass(frozen=True)
class DecideChange:
    measure_id: str
    change_id: str
    granted: bool
    reasons: str
    at: datetime
    by: Principal


@dataclass(frozen=True)
class RecordChangeOverdue:
    """From a timer: the change request `change_id` was due to be decided at `due`."""

    measure_id: str
    change_id: str
    due: datetime


@dataclass(frozen=True)
class RecordExecution:
    measure_id: str
    staff: tuple[ev.Staff, ...]
    written_notice: ev.Document | None
    signed_record: ev.Document | None
    executed_at: datetime
    by: Principal
    # a search (SL 27; measure_safeguards): its warrant, witnesses, the searched person's sex
    warrant: ev.Document | None = None
    witnesses: tuple[str, ...] = ()
    searched_sex: str = ""


@dataclass(frozen=True)
class TransferCustody:
    measure_id: str
    document: ev.Document | None
    taken_at: datetime
    by: Principal


# -- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingChange:
    change_id: str
    received_at: datetime
    due: datetime
    overdue: bool = False


@dataclass(frozen=True)
class Duties:
    """What the duties recorded on one measure (`Measure.duties`)."""

    executed: bool = False
    deferred: bool = False  # a notice deferral is in force
    notice_due_now: datetime | None = None  # the deferral ended then: the notice is due at once
    changes: tuple[PendingChange, ...] = ()  # undecided change requests
    released_at: datetime | None = None  # ended RELEASED then: the release notice is owed
    release_notice_given: bool = False
    custody: bool = False


def _duties(state, **changes):
    return replace(state, duties=replace(state.duties, **changes))


def _change_overdue(s, e: ev.MeasureChangeOverdue):
    changes = tuple(replace(p, overdue=True) if p.change_id == e.change_id else p for p in s.duties.changes)
    return _duties(s, changes=changes)


EVOLVE = {
    ev.MeasureExecuted: lambda s, e: _duties(s, executed=True),
    ev.NoticeDeferred: lambda s, e: _duties(s, deferred=True),
    ev.NoticeDeferralEnded: lambda s, e: _duties(s, deferred=False, notice_due_now=e.ended_at),
    ev.ReleaseNoticeGiven: lambda s, e: _duties(s, release_notice_given=True),
    ev.MeasureChangeRequested: lambda s, e: _duties(
        s, changes=(*s.duties.changes, PendingChange(e.change_id, e.received_at, e.due))
    ),
    ev.MeasureChangeDecided: lambda s, e: _duties(
        s, changes=tuple(p for p in s.duties.changes if p.change_id != e.change_id)
    ),
    ev.MeasureChangeOverdue: _change_overdue,
    ev.CustodyTransferred: lambda s, e: _duties(s, custody=True),
}


def ended(state, e: ev.MeasureEnded):
    """The end answers the change requests; a release owes its notice (SL 50)."""
    return _duties(state, changes=(), released_at=e.ended_at if e.outcome == RELEASED else None)


# -- decide --------------------------------------------------------------------------------------

_moment = partial(moment, since="the measure started")


def _require(state, statuses: tuple[str, ...], operation: str) -> None:
    if state.status not in statuses:
        raise IllegalState(state.status, operation)


def _role(by: Principal, roles: tuple[str, ...], act: str) -> None:
    if by.role not in roles:
        raise Forbidden(f"{act} is for {' or '.join(roles)}, not {by.role}")


def _notice_within(state, rules, operation: str):
    within = rules.of(state.requested.kind).notice_within
    if within is None:
        raise IllegalState(f"{state.status} ({state.requested.kind} owes no notice)", operation)
    return within


def document(value: ev.Document | None, field: str) -> ev.Document:
    """A document by title and lowercase hex SHA-256."""
    if value is None:
        raise Validation(field, "is required")
    if not _SHA256.fullmatch(value.sha256 or ""):
        raise Validation(f"{field}.sha256", "must be 64 lowercase hex digits (SHA-256)")
    return ev.Document(text(value.title, f"{field}.title"), value.sha256)


def recording(value: ev.Recording, field: str = "recording") -> ev.Recording:
    if not _SHA256.fullmatch(value.sha256 or ""):
        raise Validation(f"{field}.sha256", "must be 64 lowercase hex digits (SHA-256)")
    if not isinstance(value.duration_seconds, int) or value.duration_seconds <= 0:
        raise Validation(f"{field}.duration_seconds", "must be a positive number of seconds")
    return ev.Recording(
        value.sha256,
        value.duration_seconds,
        text(value.kind, f"{field}.kind"),
        text(value.archive_ref, f"{field}.archive_ref", False),
    )


def defer_notice(cmd: DeferNotice, state, rules):
    """SL 50 ¶1: an approved deferral, recorded with its reason, before the notice is due."""
    operation = "defer the notice"
    _require(state, RUNNING, operation)
    within = _notice_within(state, rules, operation)
    d = state.duties
    if state.notice_given or d.deferred or d.notice_due_now or state.notice_overdue:
        what = (
            "notice already given"
            if state.notice_given
            else "notice already deferred"
            if d.deferred
            else "a deferral ended: the notice is due now"
            if d.notice_due_now
            else "notice overdue"
        )
        raise IllegalState(f"{state.status} ({what})", operation)
    _role(cmd.by, rules.duties.deferral_approvers, "deferring a notice")
    at, due = moment(cmd.at, "at"), within.after(state.starts_at)  # decided ahead of a planned start too
    if at >= due:
        raise IllegalState(f"{state.status} (the notice was due {due.isoformat()})", operation)
    return [ev.NoticeDeferred(cmd.measure_id, text(cmd.reason, "reason"), cmd.by.user, cmd.by.role, at)]


def end_deferral(cmd: EndNoticeDeferral, state, rules):
    """SL 50 ¶1: when the obstruction ends, the notice is due immediately (given with it, or after)."""
    operation = "end the notice deferral"
    _require(state, RUNNING, operation)
    if not state.duties.deferred:
        raise IllegalState(f"{state.status} (no notice deferred)", operation)
    at = _moment(cmd.at, "at", state.starts_at)
    out = [ev.NoticeDeferralEnded(cmd.measure_id, text(cmd.reason, "reason"), cmd.by.user, at)]
    told = (cmd.unit_notified_at, cmd.family_notified_at)
    if any(t is not None for t in told) and not state.notice_given:
        unit = _moment(cmd.unit_notified_at, "unit_notified_at", state.starts_at)
        family = _moment(cmd.family_notified_at, "family_notified_at", state.starts_at)
        out.append(ev.DetentionNoticeGiven(cmd.measure_id, unit, family, cmd.by.user))
    return out


def give_release_notice(cmd: GiveReleaseNotice, state, rules):
    operation = "give the release notice"
    _require(state, (ENDED,), operation)
    _notice_within(state, rules, operation)
    if state.outcome != RELEASED:
        raise IllegalState(f"{state.status} ({state.outcome}: not a release)", operation)
    if state.duties.release_notice_given:
        raise IllegalState(f"{state.status} (release notice already given)", operation)
    since = state.duties.released_at or state.starts_at
    unit = moment(cmd.unit_notified_at, "unit_notified_at", since, "the release")
    family = moment(cmd.family_notified_at, "family_notified_at", since, "the release")
    return [ev.ReleaseNoticeGiven(cmd.measure_id, unit, family, cmd.by.user)]


def _pending(state, change_id: str) -> PendingChange | None:
    return next((p for p in state.duties.changes if p.change_id == change_id), None)


def request_change(cmd: RequestChange, state, rules):
    """SL 50 ¶2: the person or a near relative applies; decided within `change_within`."""
    _require(state, RUNNING, "request a change of the measure")
    change_id = text(cmd.change_id, "change_id")
    if _pending(state, change_id):
        raise IllegalState(f"{state.status} (change request {change_id} already recorded)", "request a change")
    applicant = one_of(cmd.applicant, APPLICANTS, "applicant")
    asked = one_of(cmd.asked, ASKS, "asked")
    received = _moment(cmd.received_at, "received_at", state.starts_at)
    return [
        ev.MeasureChangeRequested(
            cmd.measure_id,
            change_id,
            applicant,
            text(cmd.applicant_name, "applicant_name"),
            asked,
            text(cmd.grounds, "grounds"),
            received,
            received + rules.duties.change_within,
            cmd.by.user,
        )
    ]


def decide_change(cmd: DecideChange, state, rules):
    """SL 50 ¶2: granted or refused; reasons are required when refused. Granting records the
    decision; the measure is then changed or lifted by its own command (EndMeasure)."""
    operation = "decide the change request"
    _require(state, RUNNING, operation)
    pending = _pending(state, (cmd.change_id or "").strip())
    if pending is None:
        raise IllegalState(f"{state.status} (no change request {cmd.change_id!r} awaits a decision)", operation)
    _role(cmd.by, rules.duties.change_deciders, "deciding a change request")
    at = moment(cmd.at, "at", pending.received_at, "the request was received")
    reasons = text(cmd.reasons, "reasons", required=not cmd.granted)
    return [
        ev.MeasureChangeDecided(cmd.measure_id, pending.change_id, cmd.granted, reasons, cmd.by.user, cmd.by.role, at)
    ]


def change_overdue(cmd: RecordChangeOverdue, state, rules):
    p = _pending(state, cmd.change_id) if state.status in RUNNING else None
    current = p is not None and not p.overdue and p.due == cmd.due
    return [ev.MeasureChangeOverdue(cmd.measure_id, cmd.change_id, cmd.due)] if current else []


def record_execution(cmd: RecordExecution, state, rules):
    """SL 44: at least two staff showing their IDs, the written notice, the signed record."""
    operation = "record the measure's execution"
    _require(state, RUNNING, operation)
    if state.duties.executed:
        raise IllegalState(f"{state.status} (execution already recorded)", operation)
    staff = tuple(
        ev.Staff(text(s.name, f"staff[{i}].name"), text(s.id_number, f"staff[{i}].id_number"))
        for i, s in enumerate(cmd.staff or ())
    )
    need = rules.duties.min_staff
    if len(staff) < need:
        raise Validation("staff", f"at least {need} staff with their ID numbers (SL 44); {len(staff)} named")
    if len({s.id_number for s in staff}) < len(staff):
        raise Validation("staff", "each staff member once: an ID number is repeated")
    return [
        ev.MeasureExecuted(
            cmd.measure_id,
            staff,
            document(cmd.written_notice, "written_notice"),
            document(cmd.signed_record, "signed_record"),
            _moment(cmd.executed_at, "executed_at", state.starts_at),
            cmd.by.user,
        )
    ]


def transfer_custody(cmd: TransferCustody, state, rules):
    """IR2025 134: the procuratorate took custody; the detention ends with it (expired or not)."""
    operation = "record the procuratorate taking custody"
    _require(state, RUNNING, operation)
    kind = state.requested.kind
    if kind not in rules.duties.custody_kinds:
        kinds = ", ".join(rules.duties.custody_kinds)
        raise IllegalState(f"{state.status} ({kind}: custody is taken over from {kinds} only)", operation)
    doc = document(cmd.document, "document")
    taken = _moment(cmd.taken_at, "taken_at", state.starts_at)
    reason = f"taken into custody by the procuratorate (IR2025 134): {doc.title}"
    return [
        ev.CustodyTransferred(cmd.measure_id, doc, taken, cmd.by.user, cmd.by.role),
        ev.MeasureEnded(cmd.measure_id, CUSTODY_TRANSFERRED, reason, cmd.by.user, taken),
    ]


def blocking_closure(command, running, custody_kinds: tuple[str, ...]) -> list[str]:
    """The running measures (measure_id, kind, person_id) that keep `command` from closing the case:
    all, but a detention of a person the disposal transfers for prosecution (SL 54): it runs on
    until the procuratorate takes custody (IR2025 134, TransferCustody)."""
    outcomes = getattr(command, "outcomes", ()) or ()
    transferred = {o.person_id for o in outcomes if o.kind == "TRANSFER_FOR_PROSECUTION"}
    return [mid for mid, kind, person in running if not (kind in custody_kinds and person in transferred)]


def check_end_outcome(outcome: str) -> None:
    """For `measures.end`: CUSTODY_TRANSFERRED only through TransferCustody, with its document."""
    if outcome == CUSTODY_TRANSFERRED:
        raise Validation("outcome", "CUSTODY_TRANSFERRED is recorded by TransferCustody with its document (IR2025 134)")


def end_recording(outcome: str, rec: ev.Recording | None, state, rules) -> ev.Recording | None:
    """For `measures.end`: a search, seizure or sealing COMPLETED only with its recording (SL 44 ¶2).
    The recording, checked, or None."""
    kind = state.requested.kind
    if rec is None:
        if outcome == COMPLETED and kind in rules.duties.recorded_kinds:
            raise Validation("recording", f"a {kind} is completed only with its recording's SHA-256 (SL 44 ¶2)")
        return None
    return recording(rec)


# SL 44 ¶2: the measure a recorded activity belongs to (an interrogation: the person held)
ACTIVITY_KINDS = {
    "INTERROGATION": ("DETENTION", "PROTECTIVE_CUSTODY", "COMPELLED_APPEARANCE", "CONFINEMENT"),
    "SEARCH": ("SEARCH",),
    "SEIZURE": ("SEIZURE",),
    "SEALING": ("SEALING",),
}


def check_activity_measure(activity: str, case_id: str, measure_id: str, measure: dict | None) -> None:
    """A recorded activity naming a measure (the case's RecordActivity, SL 44 ¶2) names one of this
    case's, of a kind it belongs to: an interrogation of a person held names the running detention
    (管护, compelled appearance, 禁闭), a search, seizure or sealing its own measure, approved.
    `measure`: its ledger line (case_id, kind, status), None when there is none."""
    if measure is None or measure["case_id"] != case_id:
        raise Validation("measure_id", f"{measure_id} is not a measure of {case_id}")
    kinds = ACTIVITY_KINDS.get(activity, ())
    if measure["kind"] not in kinds:
        raise Validation("measure_id", f"an {activity} belongs to a {' or '.join(kinds)}, not a {measure['kind']}")
    allowed = RUNNING if activity == "INTERROGATION" else (*RUNNING, ENDED)
    if measure["status"] not in allowed:
        raise IllegalState(f"{measure['status']} ({measure['kind']} {measure_id})", f"record an {activity} under it")


DECIDE = {
    DeferNotice: defer_notice,
    EndNoticeDeferral: end_deferral,
    GiveReleaseNotice: give_release_notice,
    RequestChange: request_change,
    DecideChange: decide_change,
    RecordChangeOverdue: change_overdue,
    RecordExecution: record_execution,
    TransferCustody: transfer_custody,
}
FROM_TIMER = (RecordChangeOverdue,)


def timer_command(event):
    """The command a duty's timer event stands for (None: not one of these)."""
    if isinstance(event, ev.MeasureChangeOverdue):
        return RecordChangeOverdue(event.measure_id, event.change_id, event.due)
    return None


# -- notice, timers, alerts, ledger --------------------------------------------------------------


def notice_due(state, within, pending: bool) -> datetime | None:
    """When the notice owed now is due: after a deferral ended, at once; at the start, `within` of
    it (`pending`: not given, overdue or deferred); after a release, `within` of it."""
    if within is None:
        return None
    if pending:
        return state.duties.notice_due_now or within.after(state.starts_at)
    d = state.duties
    if state.status == ENDED and d.released_at is not None and not d.release_notice_given:
        return within.after(d.released_at)
    return None


def notice_timer_key(state, measure_id: str, utc_key) -> str:
    """The start notice keeps its key; the one due after a deferral is a new timer (a timer fires
    once, and the start one was cancelled by the deferral)."""
    due_now = state.duties.notice_due_now
    return f"notice:{measure_id}" if due_now is None else f"notice:{measure_id}:{utc_key(due_now)}"


def timers(state) -> dict[str, tuple[datetime, object]]:
    """Each undecided change request's deadline, while the measure runs (SL 50 ¶2)."""
    if state.status not in RUNNING:
        return {}
    mid = state.requested.measure_id
    return {
        f"change:{mid}:{p.change_id}": (p.due, ev.MeasureChangeOverdue(mid, p.change_id, p.due))
        for p in state.duties.changes
        if not p.overdue
    }


def alert_roles(status: str, rules: DutyRules) -> frozenset[str]:
    """SL 74(7): an expired measure not ended is on the leaders' queue (their roles see it)."""
    return frozenset(rules.alert_roles) if status == EXPIRED else frozenset()


def ledger_columns(state) -> dict:
    """The duties' part of the measure's ledger line."""
    d = state.duties
    return {
        "notice_deferred": d.deferred,
        "executed": d.executed,
        "changes_pending": len(d.changes),
        "change_due": min((p.due for p in d.changes), default=None),
        "change_overdue": any(p.overdue for p in d.changes),
        "release_notice_given": d.release_notice_given,
        "outcome": state.outcome,
    }
