"""Commands on a case: imperative, carrying who acts and when (the domain reads no clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from services.cases.domain.events import Criterion, Document, Outcome, Recording


@dataclass(frozen=True)
class OpenFiling:
    """From the filing process manager (a clue's FilingProposed) or an accountability case."""

    case_id: str
    clue_id: str
    clue_number: str
    subjects: tuple[Subject, ...]
    findings: str
    handling_office: str
    proposed_by: str  # user id of the proposer, who may not approve the filing
    by: Principal
    origin_case_id: str = ""
    liaison_office: str = ""  # named by the application from the catalogue (or the origin case)


@dataclass(frozen=True)
class ApproveFiling:
    case_id: str
    side: str  # PARTY or SUPERVISION
    plan: str  # the supervision-side meeting's plan and measures; empty for PARTY
    at: datetime  # when the last approval files the case
    by: Principal


@dataclass(frozen=True)
class FastTrackFiling:
    """A simple case with clear facts: one approval files it and sends it to trial review."""

    case_id: str
    report: str
    at: datetime
    by: Principal


@dataclass(frozen=True)
class RejectFiling:
    case_id: str
    reason: str
    at: datetime
    by: Principal


@dataclass(frozen=True)
class StartInvestigation:
    case_id: str
    announced_at: datetime
    unit_notified_at: datetime
    by: Principal


@dataclass(frozen=True)
class SendToTrialReview:
    case_id: str
    report: str
    at: datetime  # the trial review office accepts it: the time limit runs from here
    by: Principal


@dataclass(frozen=True)
class ReturnFromTrialReview:
    case_id: str
    to: str  # REINVESTIGATE or SUPPLEMENTARY_INVESTIGATION
    reason: str
    by: Principal


@dataclass(frozen=True)
class ExtendTrialReview:
    case_id: str
    reason: str
    by: Principal
    at: datetime | None = None  # when approved: at or past the due it is too late


@dataclass(frozen=True)
class RecordTrialReviewOverdue:
    """From the trial review timer; `due` is the limit the timer was set for."""

    case_id: str
    due: datetime


@dataclass(frozen=True)
class ConcludeTrialReview:
    case_id: str
    proposals: tuple[Outcome, ...]
    by: Principal


@dataclass(frozen=True)
class HearSubject:
    case_id: str
    person_id: str
    statement: str
    proposals: tuple[Outcome, ...]  # all subjects' proposals after hearing
    by: Principal


@dataclass(frozen=True)
class DisposeCase:
    case_id: str
    outcomes: tuple[Outcome, ...]
    transfer: tuple[Document, ...]
    at: datetime
    by: Principal


@dataclass(frozen=True)
class WithdrawCase:
    case_id: str
    reason: str
    unit_told_at: datetime
    by: Principal


@dataclass(frozen=True)
class OpenAccountabilityCase:
    """一案双查: `subjects` are those who failed to supervise, for the new case's filing."""

    case_id: str
    accountability_case_id: str  # a fresh case-<uuid>, chosen by the application
    reason: str
    subjects: tuple[Subject, ...]
    handling_office: str  # "" or the case's holder: the new case inherits this case's holding
    by: Principal


@dataclass(frozen=True)
class RecordActivity:
    case_id: str
    activity: str
    recording: Recording
    measure_id: str  # empty when the activity belongs to no measure
    by: Principal


@dataclass(frozen=True)
class GradeQuality:
    case_id: str
    grade: str
    criteria: tuple[Criterion, ...]
    by: Principal


@dataclass(frozen=True)
class ProposeHandOver:
    """移交审查调查: hand the case to `to_office` (a catalogued office), for the head's approval."""

    case_id: str
    to_office: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class ApproveHandOver:
    case_id: str
    by: Principal


@dataclass(frozen=True)
class RejectHandOver:
    case_id: str
    reason: str
    by: Principal
