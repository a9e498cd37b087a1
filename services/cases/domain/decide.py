"""decide(command, case) -> events: the rules of domain.md §3 and nothing else (no I/O, no clock)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from kernel.domain.calendar import plus_months
from kernel.domain.checks import moment as _moment, one_of as _one_of, require as _require
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.ids import check_stream_id
from kernel.domain.person import Subject
from services.cases.domain import commands as c, events as ev
from services.cases.domain.outcomes import check_not_heavier, text, validate_outcomes
from services.cases.domain.state import (
    DELIBERATION,
    DISPOSED,
    FILED,
    FILING,
    INVESTIGATING,
    NONE,
    OPEN,
    REINVESTIGATE,
    SUPPLEMENTARY_INVESTIGATION,
    UNDER_TRIAL_REVIEW,
    WITHDRAWN,
    Case,
)

HEAD, COMMITTEE_HEAD = "commission_head", "party_committee_head"
# Filing approvals per side, in the order they must come (domain.md §3): both sides file the case.
FILING_STEPS = {"PARTY": (HEAD, COMMITTEE_HEAD), "SUPERVISION": (HEAD,)}
RETURN_TARGETS = (REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION)
ACTIVITIES = ("INTERROGATION", "SEARCH", "SEALING", "SEIZURE")
GRADES = ("EXCELLENT", "PASS", "FLAWED", "FAIL")
CRITERIA = (
    "CLEAR_FACTS",
    "SOLID_EVIDENCE",
    "CORRECT_CHARACTERISATION",
    "APPROPRIATE_HANDLING",
    "COMPLETE_PAPERWORK",
    "CORRECT_PROCEDURE",
    "PROPER_MANAGEMENT",
    "FULL_EXECUTION",
)
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class CasePolicy:
    """Time limits of the trial review (Rules art. 55-56); configuration, loaded by the app."""

    trial_review_months: int = 1
    extension_months: int = 1
    max_extensions: int = 1

    def __post_init__(self):
        if self.trial_review_months < 1 or self.extension_months < 1 or self.max_extensions < 0:
            raise ValueError(f"{self}: months must be at least 1 and max_extensions not negative")


DEFAULT_POLICY = CasePolicy()


# --- checks --------------------------------------------------------------------------------------


def _role(by, roles: tuple[str, ...], operation: str) -> None:
    if by.role not in roles:
        raise Forbidden(f"only {' or '.join(roles)} may {operation}, not {by.role}")


def _not_proposer(state: Case, by, operation: str) -> None:
    """Proposing and approving a filing are two people."""
    if by.user == state.proposed_by:
        raise Forbidden(f"{by.user} proposed this filing and may not {operation} it")


def _subjects(subjects, field: str) -> tuple[Subject, ...]:
    if not subjects:
        raise Validation(field, "at least one subject is required")
    out, seen = [], set()
    for i, s in enumerate(subjects):
        person_id = text(s.person_id, f"{field}[{i}].person_id")
        if person_id in seen:
            raise Validation(f"{field}[{i}].person_id", f"{person_id} is listed twice")
        seen.add(person_id)
        out.append(
            Subject(
                person_id,
                text(s.name, f"{field}[{i}].name"),
                text(s.post, f"{field}[{i}].post", False),
                text(s.unit, f"{field}[{i}].unit", False),
            )
        )
    return tuple(out)


def _sha256(value: str, field: str) -> str:
    if not _SHA256.fullmatch(value or ""):
        raise Validation(field, "must be 64 lowercase hex digits (SHA-256)")
    return value


# --- filing (立案) -------------------------------------------------------------------------------


def open_filing(cmd: c.OpenFiling, state: Case, _: CasePolicy):
    _require(state, (NONE,), "open a filing for a case that exists")
    case_id = check_stream_id(cmd.case_id, "case", "case_id")
    origin = check_stream_id(cmd.origin_case_id, "case", "origin_case_id") if (cmd.origin_case_id or "").strip() else ""
    clue_id = text(cmd.clue_id, "clue_id", required=not origin)  # a case comes from a clue or a case
    if origin == case_id:
        raise Validation("origin_case_id", "a case cannot be its own accountability case")
    return [
        ev.FilingOpened(
            case_id,
            clue_id,
            text(cmd.clue_number, "clue_number", False),
            _subjects(cmd.subjects, "subjects"),
            text(cmd.findings, "findings"),
            text(cmd.handling_office, "handling_office"),
            text(cmd.proposed_by, "proposed_by"),
            origin,
            text(cmd.liaison_office, "liaison_office", False),
        )
    ]


def _filed(state: Case, at: datetime, simple: bool = False) -> ev.CaseFiled:
    o = state.opened
    return ev.CaseFiled(o.case_id, o.clue_id, at, o.subjects, o.handling_office, simple, o.origin_case_id)


def _awaited(state: Case) -> list[tuple[str, str]]:
    """(side, role) of every filing approval still missing, in order."""
    return [(side, role) for side, steps in FILING_STEPS.items() for role in steps[len(state.approved_roles(side)) :]]


def approve_filing(cmd: c.ApproveFiling, state: Case, _: CasePolicy):
    operation = "approve the filing"
    _require(state, (FILING,), operation)
    side = _one_of(cmd.side, tuple(FILING_STEPS), "side")
    at = _moment(cmd.at, "at")
    _not_proposer(state, cmd.by, "approve")
    steps, given = FILING_STEPS[side], state.approved_roles(side)
    _role(cmd.by, steps, f"approve the {side} side of a filing")
    if cmd.by.role in given:
        raise IllegalState(f"{state.status} ({side} approval by {cmd.by.role} already given)", operation)
    if cmd.by.role != steps[len(given)]:
        raise IllegalState(f"{state.status} (awaiting {steps[len(given)]} on the {side} side first)", operation)
    if side == "SUPERVISION":
        plan = text(cmd.plan, "plan")  # the meeting the head chairs sets the plan and measures
    elif (cmd.plan or "").strip():
        raise Validation("plan", "only the SUPERVISION side's approval carries a plan")
    else:
        plan = ""
    approval = ev.FilingApproved(state.case_id, side, cmd.by.role, cmd.by.user, plan)
    return [approval] + ([_filed(state, at)] if _awaited(state) == [(side, cmd.by.role)] else [])


def fast_track(cmd: c.FastTrackFiling, state: Case, policy: CasePolicy):
    """A simple case with clear facts: filed and sent to trial review in one approval."""
    _require(state, (FILING,), "fast-track the filing")
    _role(cmd.by, (HEAD,), "fast-track a simple case")
    _not_proposer(state, cmd.by, "approve")
    report, at = text(cmd.report, "report"), _moment(cmd.at, "at")
    return [
        ev.FilingApproved(state.case_id, "SIMPLE", cmd.by.role, cmd.by.user),
        _filed(state, at, simple=True),
        ev.SentToTrialReview(state.case_id, report, cmd.by.user, at, plus_months(at, policy.trial_review_months)),
    ]


def reject_filing(cmd: c.RejectFiling, state: Case, _: CasePolicy):
    _require(state, (FILING,), "reject the filing")
    _role(cmd.by, (HEAD, COMMITTEE_HEAD), "reject a filing")
    _not_proposer(state, cmd.by, "reject")
    return [
        ev.FilingRejected(state.case_id, state.clue_id, text(cmd.reason, "reason"), cmd.by.user, _moment(cmd.at, "at"))
    ]


# --- investigation and trial review (审查调查, 案件审理) -------------------------------------------


def start_investigation(cmd: c.StartInvestigation, state: Case, _: CasePolicy):
    _require(state, (FILED,), "start the investigation")
    announced, notified = _moment(cmd.announced_at, "announced_at"), _moment(cmd.unit_notified_at, "unit_notified_at")
    for field, value in (("announced_at", announced), ("unit_notified_at", notified)):
        if value < state.filed_at:
            raise Validation(field, f"is before the filing ({state.filed_at.isoformat()})")
    return [ev.InvestigationStarted(state.case_id, announced, notified, cmd.by.user)]


def send_to_review(cmd: c.SendToTrialReview, state: Case, policy: CasePolicy):
    _require(state, (INVESTIGATING, REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION), "send the case to trial review")
    report, at = text(cmd.report, "report"), _moment(cmd.at, "at")
    return [ev.SentToTrialReview(state.case_id, report, cmd.by.user, at, plus_months(at, policy.trial_review_months))]


def return_from_review(cmd: c.ReturnFromTrialReview, state: Case, _: CasePolicy):
    _require(state, (UNDER_TRIAL_REVIEW,), "return the case from trial review")
    return [
        ev.TrialReviewReturned(
            state.case_id, _one_of(cmd.to, RETURN_TARGETS, "to"), text(cmd.reason, "reason"), cmd.by.user
        )
    ]


def extend_review(cmd: c.ExtendTrialReview, state: Case, policy: CasePolicy):
    operation = "extend the trial review"
    _require(state, (UNDER_TRIAL_REVIEW,), operation)
    _role(cmd.by, (HEAD,), operation)
    if state.extensions >= policy.max_extensions:
        raise IllegalState(
            f"{state.status} (already extended {state.extensions} of {policy.max_extensions} times allowed)", operation
        )
    if cmd.at is not None and _moment(cmd.at, "at") >= state.trial_review_due:  # approved in time, or not at all
        raise IllegalState(f"{state.status} (overdue since {state.trial_review_due.isoformat()})", operation)
    return [
        ev.TrialReviewExtended(
            state.case_id,
            plus_months(state.trial_review_due, policy.extension_months),
            text(cmd.reason, "reason"),
            cmd.by.user,
            cmd.by.role,
        )
    ]


def review_overdue(cmd: c.RecordTrialReviewOverdue, state: Case, _: CasePolicy):
    """A timer set for a due that has since moved (extension, return, conclusion) is stale: no-op."""
    if state.status != UNDER_TRIAL_REVIEW or state.overdue or cmd.due != state.trial_review_due:
        return []
    return [ev.TrialReviewOverdue(state.case_id, cmd.due)]


def conclude_review(cmd: c.ConcludeTrialReview, state: Case, _: CasePolicy):
    _require(state, (UNDER_TRIAL_REVIEW,), "conclude the trial review")
    return [
        ev.TrialReviewConcluded(
            state.case_id, validate_outcomes(cmd.proposals, state.subjects, "proposals"), cmd.by.user
        )
    ]


# --- deliberation and disposal -------------------------------------------------------------------


def hear_subject(cmd: c.HearSubject, state: Case, _: CasePolicy):
    _require(state, (DELIBERATION,), "hear a subject")
    person_id = text(cmd.person_id, "person_id")
    if person_id not in {s.person_id for s in state.subjects}:
        raise Validation("person_id", f"{person_id} is not a subject of the case")
    statement = text(cmd.statement, "statement")
    proposals = validate_outcomes(cmd.proposals, state.subjects, "proposals")
    check_not_heavier(state.proposals, proposals, "proposals")
    return [ev.SubjectHeard(state.case_id, person_id, statement, cmd.by.user, proposals)]


def _transfer(documents, transferring: bool) -> tuple[ev.Document, ...]:
    if transferring and not documents:
        raise Validation("transfer", "a TRANSFER_FOR_PROSECUTION outcome needs the package manifest")
    if documents and not transferring:
        raise Validation("transfer", "a manifest is given only with a TRANSFER_FOR_PROSECUTION outcome")
    return tuple(
        ev.Document(text(d.title, f"transfer[{i}].title"), _sha256(d.sha256, f"transfer[{i}].sha256"))
        for i, d in enumerate(documents)
    )


def dispose(cmd: c.DisposeCase, state: Case, _: CasePolicy):
    operation = "dispose of the case"
    _require(state, (DELIBERATION,), operation)
    _role(cmd.by, (HEAD,), operation)
    outcomes = validate_outcomes(cmd.outcomes, state.subjects, "outcomes")
    check_not_heavier(state.proposals, outcomes, "outcomes")
    unheard = sorted({o.person_id for o in outcomes if o.kind == "GOVERNMENT_SANCTION"} - set(state.heard))
    if unheard:  # the right to defend comes before any government sanction
        raise IllegalState(f"{state.status} ({', '.join(unheard)} not yet heard)", "decide a government sanction")
    transfer = _transfer(cmd.transfer or (), any(o.kind == "TRANSFER_FOR_PROSECUTION" for o in outcomes))
    return [ev.CaseDisposed(state.case_id, outcomes, cmd.by.user, _moment(cmd.at, "at"), transfer)]


def withdraw(cmd: c.WithdrawCase, state: Case, _: CasePolicy):
    _require(state, OPEN, "withdraw the case")
    told = _moment(cmd.unit_told_at, "unit_told_at")
    if told < state.filed_at:
        raise Validation("unit_told_at", f"is before the filing ({state.filed_at.isoformat()})")
    return [ev.CaseWithdrawn(state.case_id, text(cmd.reason, "reason"), cmd.by.user, told)]


def open_accountability(cmd: c.OpenAccountabilityCase, state: Case, _: CasePolicy):
    """一案双查: the new case's filing (with these subjects) is opened by the application."""
    _require(state, OPEN + (DISPOSED,), "open an accountability case")
    new_id = check_stream_id(cmd.accountability_case_id, "case", "accountability_case_id")
    if new_id == state.case_id:
        raise Validation("accountability_case_id", "must be a new case, not this one")
    if new_id in state.accountability_case_ids:
        raise Validation("accountability_case_id", f"{new_id} was already opened from this case")
    _subjects(cmd.subjects, "subjects")
    office = text(cmd.handling_office, "handling_office", False)
    if office and office != state.holder:  # it inherits this case's holding; another office takes it by hand-over
        raise Validation("handling_office", f"must be this case's holder {state.holder} (or empty), not {office}")
    return [ev.AccountabilityCaseOpened(state.case_id, new_id, text(cmd.reason, "reason"), cmd.by.user)]


# --- record and review ---------------------------------------------------------------------------


def record_activity(cmd: c.RecordActivity, state: Case, _: CasePolicy):
    _require(state, OPEN, "record an activity")
    activity, r = _one_of(cmd.activity, ACTIVITIES, "activity"), cmd.recording
    if r is None:
        raise Validation("recording", "is required")
    if not isinstance(r.duration_seconds, int) or r.duration_seconds <= 0:
        raise Validation("recording.duration_seconds", "must be a positive number of seconds")
    recording = ev.Recording(
        _sha256(r.sha256, "recording.sha256"),
        r.duration_seconds,
        text(r.kind, "recording.kind"),
        text(r.archive_ref, "recording.archive_ref", False),
    )
    measure = check_stream_id(cmd.measure_id, "measure", "measure_id") if (cmd.measure_id or "").strip() else ""
    return [ev.ActivityRecorded(state.case_id, activity, recording, cmd.by.user, measure)]


def _criteria(criteria) -> tuple[ev.Criterion, ...]:
    out = []
    for i, k in enumerate(criteria):
        _one_of(k.criterion, CRITERIA, f"criteria[{i}].criterion")
        out.append(ev.Criterion(k.criterion, bool(k.met), text(k.note, f"criteria[{i}].note", False)))
    named = [k.criterion for k in out]
    if sorted(named) != sorted(CRITERIA):
        missing, twice = set(CRITERIA) - set(named), {n for n in named if named.count(n) > 1}
        raise Validation(
            "criteria",
            "must list each of the eight criteria once (missing: "
            f"{', '.join(sorted(missing)) or '-'}; twice: {', '.join(sorted(twice)) or '-'})",
        )
    return tuple(out)


def grade_quality(cmd: c.GradeQuality, state: Case, _: CasePolicy):
    """A later review supersedes an earlier one."""
    _require(state, (DISPOSED, WITHDRAWN), "grade the case's quality")
    grade, criteria = _one_of(cmd.grade, GRADES, "grade"), _criteria(cmd.criteria)
    unmet = [k.criterion for k in criteria if not k.met]
    if grade == "EXCELLENT" and unmet:
        raise Validation("grade", f"EXCELLENT needs every criterion met; unmet: {', '.join(unmet)}")
    return [ev.QualityReviewed(state.case_id, grade, criteria, cmd.by.user)]


# --- hand-over (移交审查调查) ----------------------------------------------------------------------


def propose_hand_over(cmd: c.ProposeHandOver, state: Case, _: CasePolicy):
    """Need to know (issue 17): the holder changes only by a hand-over the head approves; one at a time."""
    operation = "propose a hand-over"
    _require(state, OPEN, operation)
    if state.hand_over is not None:
        raise IllegalState(f"{state.status} (a hand-over to {state.hand_over.to_office} awaits approval)", operation)
    to = text(cmd.to_office, "to_office")
    if to == state.holder:
        raise Validation("to_office", f"{to} already holds the case")
    return [ev.CaseHandOverProposed(state.case_id, state.holder, to, text(cmd.reason, "reason"), cmd.by.user)]


def _pending_hand_over(state: Case, by, operation: str) -> ev.CaseHandOverProposed:
    _require(state, OPEN, operation)
    if state.hand_over is None:
        raise IllegalState(f"{state.status} (no hand-over awaits approval)", operation)
    _role(by, (HEAD,), operation)
    if by.user == state.hand_over.proposed_by:
        raise Forbidden(f"{by.user} proposed this hand-over and may not decide it")
    return state.hand_over


def approve_hand_over(cmd: c.ApproveHandOver, state: Case, _: CasePolicy):
    pending = _pending_hand_over(state, cmd.by, "approve the hand-over")
    return [ev.CaseHandedOver(state.case_id, pending.from_office, pending.to_office, cmd.by.user, cmd.by.role)]


def reject_hand_over(cmd: c.RejectHandOver, state: Case, _: CasePolicy):
    pending = _pending_hand_over(state, cmd.by, "reject the hand-over")
    reason = text(cmd.reason, "reason")
    return [ev.CaseHandOverRejected(state.case_id, pending.to_office, reason, cmd.by.user, cmd.by.role)]


_DECIDE = {
    c.OpenFiling: open_filing,
    c.ApproveFiling: approve_filing,
    c.FastTrackFiling: fast_track,
    c.RejectFiling: reject_filing,
    c.StartInvestigation: start_investigation,
    c.SendToTrialReview: send_to_review,
    c.ReturnFromTrialReview: return_from_review,
    c.ExtendTrialReview: extend_review,
    c.RecordTrialReviewOverdue: review_overdue,
    c.ConcludeTrialReview: conclude_review,
    c.HearSubject: hear_subject,
    c.DisposeCase: dispose,
    c.WithdrawCase: withdraw,
    c.OpenAccountabilityCase: open_accountability,
    c.RecordActivity: record_activity,
    c.GradeQuality: grade_quality,
    c.ProposeHandOver: propose_hand_over,
    c.ApproveHandOver: approve_hand_over,
    c.RejectHandOver: reject_hand_over,
}


def decide(command, state: Case, policy: CasePolicy = DEFAULT_POLICY) -> list:
    """The events of `command` on `state`; raises (and so changes nothing) if it is refused."""
    if state.opened and command.case_id != state.case_id:
        raise Validation("case_id", f"the command is for {command.case_id}, this case is {state.case_id}")
    return _DECIDE[type(command)](command, state, policy)
