"""decide(command, case) -> events: the rules of domain.md §3 and nothing else (no I/O, no clock)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.domain.calendar import plus_months
from kernel.domain.checks import moment as _moment, one_of as _one_of, require as _require
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.ids import check_stream_id
from kernel.domain.meetings import STANDING_COMMITTEE
from kernel.domain.person import Subject
from services.cases.domain import commands as c, disposal, events as ev, filing, prosecution as pr, trial
from services.cases.domain.outcomes import text
from services.cases.domain.state import (
    DISPOSED,
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
RETURN_TARGETS = trial.RETURN_TARGETS  # Rules 55, with their approvers in domain/trial.py
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
    """Time limits of the trial review (Rules art. 55-56) and the standing committee's quorum (Rules
    56; SL 51): configuration (deploy/config/trial_review.toml, `services.cases.app.trial_rules`);
    these defaults are the shipped file's, for tests."""

    trial_review_months: int = 1
    extension_months: int = 1
    max_extensions: int = 1
    standing_committee_quorum: int = 5  # least attendees of the standing committee's deliberation (local)
    filing: filing.FilingRules = filing.DEFAULT_RULES  # the commission's level, the topic meeting's quorum
    prosecution: pr.ProsecutionRules = pr.DEFAULT_RULES  # SL 54, CPL 172 (issue 24; deploy/config/prosecution.toml)

    def __post_init__(self):
        if (
            min(self.trial_review_months, self.extension_months, self.standing_committee_quorum) < 1
            or self.max_extensions < 0
        ):
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
            by_person=True,  # issue 18: the sides follow the persons (domain/filing.py)
        )
    ]


# --- investigation and trial review (审查调查, 案件审理) -------------------------------------------


def send_to_review(cmd: c.SendToTrialReview, state: Case, policy: CasePolicy):
    _require(state, (INVESTIGATING, REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION), "send the case to trial review")
    report, at = text(cmd.report, "report"), _moment(cmd.at, "at")
    return [ev.SentToTrialReview(state.case_id, report, cmd.by.user, at, plus_months(at, policy.trial_review_months))]


def return_from_review(cmd: c.ReturnFromTrialReview, state: Case, _: CasePolicy):
    return trial.propose_return(cmd, state)


def approve_return(cmd: c.ApproveTrialReviewReturn, state: Case, _: CasePolicy):
    return trial.approve_return(cmd, state)


def reject_return(cmd: c.RejectTrialReviewReturn, state: Case, _: CasePolicy):
    return trial.reject_return(cmd, state)


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
    return trial.conclude(cmd, state)


# --- deliberation and disposal -------------------------------------------------------------------


def hear_subject(cmd: c.HearSubject, state: Case, _: CasePolicy):
    return disposal.hear(cmd, state)


def dispose(cmd: c.DisposeCase, state: Case, policy: CasePolicy):
    return disposal.dispose(cmd, state, {STANDING_COMMITTEE: policy.standing_committee_quorum})


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


def _with_prosecution_rules(rule):
    return lambda cmd, state, policy: rule(cmd, state, policy.prosecution)


_DECIDE = {
    c.OpenFiling: open_filing,
    c.PrepareFiling: filing.prepare,
    c.ApproveFiling: filing.approve,
    c.FastTrackFiling: filing.fast_track,
    c.RejectFiling: filing.reject,
    c.RecordTopicMeeting: filing.topic_meeting,
    c.StartInvestigation: filing.start_investigation,
    c.SendToTrialReview: send_to_review,
    c.ReturnFromTrialReview: return_from_review,
    c.ApproveTrialReviewReturn: approve_return,
    c.RejectTrialReviewReturn: reject_return,
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
    **{k: _with_prosecution_rules(f) for k, f in pr.DECIDE.items()},  # SL 54 (issue 24)
}


def decide(command, state: Case, policy: CasePolicy = DEFAULT_POLICY) -> list:
    """The events of `command` on `state`; raises (and so changes nothing) if it is refused."""
    if state.opened and command.case_id != state.case_id:
        raise Validation("case_id", f"the command is for {command.case_id}, this case is {state.case_id}")
    return _DECIDE[type(command)](command, state, policy)
