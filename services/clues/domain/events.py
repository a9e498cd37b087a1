"""Events of the clue (问题线索) lifecycle, domain.md §2. Past tense; pure data.

Proposals and approvals are separate events carrying the acting user, so the state can refuse an
approval by the proposer and a replay shows who proposed and who approved each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.domain.person import Subject


@dataclass(frozen=True)
class ClueRegistered:
    clue_id: str
    source: str
    subjects: tuple[Subject, ...]
    summary: str
    receiving_agency: str
    receiving_office: str
    received_at: datetime
    has_sealed_informant: bool
    batch_reference: str = ""
    priority: str = ""


@dataclass(frozen=True)
class ClueWarningRaised:
    """Raised by a warning timer: the clue turned yellow or red (三色预警) under a scheme rule."""

    clue_id: str
    colour: str
    stage: str
    rule: str
    deadline: datetime


@dataclass(frozen=True)
class InformantIdentityRead:
    """Someone read the sealed informant identity (self-supervision, 治权之权): who and why."""

    clue_id: str
    read_by: str
    purpose: str


@dataclass(frozen=True)
class ClueForwarded:
    """Another body has jurisdiction (Implementing Regulations art. 169/171)."""

    clue_id: str
    to_agency: str
    reason: str
    forwarded_by: str


@dataclass(frozen=True)
class RegistrationProposed:
    """Case management numbers the clue and proposes a handling office (Rules art. 23)."""

    clue_id: str
    clue_number: str
    handling_office: str
    proposed_by: str


@dataclass(frozen=True)
class RegistrationApproved:
    clue_id: str
    approved_by: str


@dataclass(frozen=True)
class RegistrationRejected:
    clue_id: str
    reason: str
    rejected_by: str


@dataclass(frozen=True)
class DisposalProposed:
    """One of the four disposal methods (四种处置方式) proposed for the head's approval."""

    clue_id: str
    method: str
    reason: str
    proposed_by: str


@dataclass(frozen=True)
class DisposalApproved:
    clue_id: str
    method: str
    approved_by: str


@dataclass(frozen=True)
class DisposalRejected:
    clue_id: str
    reason: str
    rejected_by: str


@dataclass(frozen=True)
class TalkOrLetterConcluded:
    """Outcome of a talk or letter inquiry (谈话函询)."""

    clue_id: str
    outcome: str
    summary: str
    concluded_by: str


@dataclass(frozen=True)
class PrelimCheckPlanSubmitted:
    """Work plan and team of a preliminary check (初步核实)."""

    clue_id: str
    work_plan: str
    team: tuple[str, ...]
    subject_heads_lower_committee: bool
    submitted_by: str


@dataclass(frozen=True)
class PrelimCheckPlanApproved:
    clue_id: str
    approver_role: str
    approved_by: str


@dataclass(frozen=True)
class PrelimCheckReported:
    clue_id: str
    findings: str
    proposal: str
    reported_by: str


@dataclass(frozen=True)
class ReportApproved:
    clue_id: str
    proposal: str
    approved_by: str


@dataclass(frozen=True)
class ReportRejected:
    clue_id: str
    reason: str
    rejected_by: str


@dataclass(frozen=True)
class ReportProposalRevised:
    clue_id: str
    proposal: str
    reason: str
    revised_by: str


@dataclass(frozen=True)
class FilingProposed:
    """Handed to the cases service, which holds the filing approvals (立案)."""

    clue_id: str
    subjects: tuple[Subject, ...]
    findings: str
    handling_office: str
    clue_number: str
    proposed_by: str


@dataclass(frozen=True)
class ClueCaseFiled:
    """The cases service filed a case from this clue (`cases.v1.CaseFiled`)."""

    clue_id: str
    case_id: str
    filed_at: datetime


@dataclass(frozen=True)
class ClueFilingRejected:
    """The cases service refused the filing (`cases.v1.FilingRejected`)."""

    clue_id: str
    reason: str


@dataclass(frozen=True)
class ClueReopened:
    """A shelved clue (暂存待查) reopened on new information, for preliminary check."""

    clue_id: str
    new_information: str
    reopened_by: str


@dataclass(frozen=True)
class SupervisionNoticeIssued:
    """Supervision notice (督办通知书): case management orders the handling office to bring the
    clue to a result by a date (seed 004: "report the result to us before 15 June")."""

    clue_id: str
    notice_id: str
    to_office: str
    due_at: datetime
    required: str  # "DISPOSED" | "CONCLUDED"
    issued_by: str


@dataclass(frozen=True)
class SupervisionNoticeSatisfied:
    clue_id: str
    notice_id: str
    result: str  # the clue's state that satisfied it


@dataclass(frozen=True)
class SupervisionNoticeOverdue:
    """Raised by the notice's timer on the clue's timer stream when the due date passes unmet."""

    clue_id: str
    notice_id: str
    due_at: datetime


@dataclass(frozen=True)
class EscalationProposed:
    """An escalation (提级办理 / 领办) proposed for the head's approval: the holder changes only
    by an approved escalation (issue 17)."""

    clue_id: str
    to_office: str
    reason: str
    proposed_by: str


@dataclass(frozen=True)
class EscalationRejected:
    clue_id: str
    reason: str
    rejected_by: str


@dataclass(frozen=True)
class ClueEscalated:
    """Escalation (提级办理 / 领办): a higher office takes the clue over; the history stays.
    `approved_by`: who approved it (the head, at once when the head escalates); empty on an
    escalation recorded before escalations needed approval."""

    clue_id: str
    from_office: str
    to_office: str
    reason: str
    escalated_by: str
    approved_by: str = ""


Event = (
    ClueRegistered
    | ClueWarningRaised
    | InformantIdentityRead
    | ClueForwarded
    | RegistrationProposed
    | RegistrationApproved
    | RegistrationRejected
    | DisposalProposed
    | DisposalApproved
    | DisposalRejected
    | TalkOrLetterConcluded
    | PrelimCheckPlanSubmitted
    | PrelimCheckPlanApproved
    | PrelimCheckReported
    | ReportApproved
    | ReportRejected
    | ReportProposalRevised
    | FilingProposed
    | ClueCaseFiled
    | ClueFilingRejected
    | ClueReopened
    | SupervisionNoticeIssued
    | SupervisionNoticeSatisfied
    | SupervisionNoticeOverdue
    | EscalationProposed
    | EscalationRejected
    | ClueEscalated
)

ALL_EVENTS = Event.__args__  # type: ignore[attr-defined]
