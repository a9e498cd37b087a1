"""Commands on a case: imperative, carrying who acts and when (the domain reads no clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.domain.facts import PersonFacts
from kernel.domain.meetings import CollectiveDecision, Consultation
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from services.cases.domain.events import Criterion, Document, Outcome, PersonSanctions, Recording


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
class PrepareFiling:
    """The filing report (立案审查调查呈批报告): per subject the facts and what is at issue (Rules 38)."""

    case_id: str
    person_facts: tuple  # of kernel.domain.facts.PersonFacts
    at_issue: tuple  # of events.SubjectAtIssue
    serious: bool  # SL 42 ¶3
    by: Principal
    facts_reason: str = ""  # why stated facts differ from the reported ones (issue 24)


@dataclass(frozen=True)
class RecordTopicMeeting:
    """The topic meeting (专题会议) on plan and measures, after filing (SL 42; Rules 39)."""

    case_id: str
    meeting: object  # kernel.domain.meetings.CollectiveDecision, or None when not given
    by: Principal


@dataclass(frozen=True)
class ApproveFiling:
    case_id: str
    side: str  # PARTY, SUPERVISION, or SIMPLE (the Party committee head after a fast track)
    plan: str  # filings before issue 18 only: the supervision side's plan and measures
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
    family_notified_at: datetime | None = None  # a serious case (SL 42 ¶3)
    published_at: datetime | None = None  # a serious case (SL 42 ¶3)
    at: datetime | None = None  # now: a simple case goes to trial review at once


@dataclass(frozen=True)
class SendToTrialReview:
    case_id: str
    report: str
    at: datetime  # the trial review office accepts it: the time limit runs from here
    by: Principal


@dataclass(frozen=True)
class ReturnFromTrialReview:
    """The trial reviewer proposes the return; it is approved by the head (REINVESTIGATE) or the
    responsible deputy (SUPPLEMENTARY_INVESTIGATION), Rules 55."""

    case_id: str
    to: str  # REINVESTIGATE or SUPPLEMENTARY_INVESTIGATION
    reason: str
    by: Principal


@dataclass(frozen=True)
class ApproveTrialReviewReturn:
    case_id: str
    by: Principal


@dataclass(frozen=True)
class RejectTrialReviewReturn:
    case_id: str
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
    proposals: tuple[Outcome, ...]  # outcomes other than sanctions
    by: Principal
    sanctions: tuple[PersonSanctions, ...] = ()  # per person: violations and proposed combined sanctions


@dataclass(frozen=True)
class HearSubject:
    case_id: str
    person_id: str
    statement: str
    proposals: tuple[Outcome, ...]  # all subjects' proposals after hearing, other than sanctions
    by: Principal
    sanctions: tuple[PersonSanctions, ...] = ()  # all subjects' proposed sanctions after hearing


@dataclass(frozen=True)
class DisposeCase:
    """The standing committee's decision (Rules 56; SL 51), recorded by the head or case management."""

    case_id: str
    outcomes: tuple[Outcome, ...]  # other than sanctions
    transfer: tuple[Document, ...]
    at: datetime
    by: Principal
    sanctions: tuple[PersonSanctions, ...] = ()  # per person: violations and the combined sanction per family
    facts: tuple[PersonFacts, ...] = ()  # of the sanctioned persons, as stated at the decision (P1, G4-G6)
    deliberation: CollectiveDecision | None = None  # the standing committee's meeting
    consultations: tuple[Consultation, ...] = ()  # before it (Rules 56)
    facts_reason: str = ""  # why stated facts differ from the reported ones (issue 24)


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
