"""Events of the clue (问题线索) lifecycle, domain.md §2. Past tense; pure data.

Proposals and approvals are separate events carrying the acting user, so the state can refuse an
approval by the proposer and a replay shows who proposed and who approved each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

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
    # Intake routing (domain.md §2; CR 15, IR2021 169, 171): "" = handled here (every clue recorded
    # before routing was kept); "ABOUT_OWN_HEAD" (forwarded upward at once, CR 15), "UPPER_LEVEL"
    # (forwarded up within 5 working days, no entry here, CR 15), "OTHER_BODY" (forwarded, whole or
    # in part, within 5 working days, IR2021 169, 171), "NO_JURISDICTION" (returned to the sender,
    # IR2021 171(4)).
    routing: str = ""
    # The tour round that transferred it, `tour-<uuid>` (issue 27; `domain.tour`); "" otherwise.
    tour_round_id: str = ""


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
    """The clue left the commission (terminal): to another body with jurisdiction (IR2021 169,
    171), up to the upper level (CR 15: at once when it is about the commission's own head), or
    back to its sender when no supervision organ has jurisdiction (IR2021 171(4)). `routing`:
    which ("" on a forward recorded before routing was kept: to another body)."""

    clue_id: str
    to_agency: str
    reason: str
    forwarded_by: str
    routing: str = ""


@dataclass(frozen=True)
class CluePartForwarded:
    """Part of the clue's matters forwarded to another body with jurisdiction (IR2021 171(3)); the
    rest stays here, and the clue with it."""

    clue_id: str
    to_agency: str
    part: str
    reason: str
    forwarded_by: str


@dataclass(frozen=True)
class RecusalDeclared:
    """Someone may not act on the clue (回避, SL 67): a near relative of a subject, a witness, one
    with an interest, or another relationship that may affect fair handling. `person_id`: the
    recused user's personnel-system id (a principal's `user`)."""

    clue_id: str
    person_id: str
    ground: str
    reason: str
    declared_by: str


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
class TalkOrLetterReported:
    """A talk or letter inquiry's situation report (情况报告) and proposed disposal (处置意见), for
    approval (按程序报批, Rules ch. 5): nothing takes effect until it is approved. `light_handling`:
    the form when `outcome` is LIGHT_HANDLING (谈话提醒, 批评教育, 责令检查, 诫勉)."""

    clue_id: str
    outcome: str
    summary: str
    reported_by: str
    light_handling: str = ""


@dataclass(frozen=True)
class TalkOrLetterConcluded:
    """A talk or letter inquiry (谈话函询) ended with `outcome`, in effect. `approved_by`: who approved
    the report (Rules ch. 5); empty on a conclusion recorded before conclusions needed approval
    (it took effect as recorded). `light_handling`: the form of LIGHT_HANDLING ("" on older ones)."""

    clue_id: str
    outcome: str
    summary: str
    concluded_by: str
    approved_by: str = ""
    light_handling: str = ""


@dataclass(frozen=True)
class TalkOrLetterConclusionRejected:
    """The report and proposed disposal sent back: the inquiry goes on (TALK_OR_LETTER)."""

    clue_id: str
    reason: str
    rejected_by: str


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
    """The report and its classified proposal (分类处理意见, SL 41). `light_handling`: the form of a
    LIGHT_HANDLING proposal; `party_organisation`: the organisation a HAND_OVER_TO_PARTY_ORGANISATION
    proposal names (移送有关党组织处理, Rules ch. 6, wording unverified)."""

    clue_id: str
    findings: str
    proposal: str
    reported_by: str
    light_handling: str = ""
    party_organisation: str = ""


@dataclass(frozen=True)
class ReportApproved:
    """The head approved the report's proposal (SL 41); its details as proposed."""

    clue_id: str
    proposal: str
    approved_by: str
    light_handling: str = ""
    party_organisation: str = ""


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
    light_handling: str = ""
    party_organisation: str = ""


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
class ClearingProposed:
    """A shelved clue (暂存待查) re-disposed at a periodic clearing (定期清理, IR2021 168), or on new
    information: one of the four disposals proposed (CLOSED, TALK_OR_LETTER, PRELIM_CHECK, or kept
    SHELVED), taking effect with the disposal approval (DisposalApproved). `clearing`: the clearing
    round, e.g. "2026-H1" ("" when new information reopens it)."""

    clue_id: str
    method: str
    reason: str
    clearing: str
    proposed_by: str


@dataclass(frozen=True)
class ClueReopened:
    """A shelved clue (暂存待查) reopened on new information, for preliminary check. Recorded before
    a re-disposal needed approval (now ClearingProposed and DisposalApproved); it reads as it did."""

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
class ClueFastTracked:
    """Fast-tracked for an integrity-opinion reply (党风廉政意见回复, seed 004; domain.md §5): the
    subject is a candidate the organisation department asked about, the answer PENDING while the
    clue is open. The clue takes top priority (FAST_TRACK) and a supervision notice
    (`notice_id` = `integrity:<request uuid>`) is issued with it, due before the intended date.
    Once per request and clue."""

    clue_id: str
    request_id: str  # audit's `integrity-<uuid>`
    person_id: str
    intended_date: date
    previous_priority: str  # "" or the class before (FAST_TRACK when fast-tracked before)
    notice_id: str


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
    | CluePartForwarded
    | RecusalDeclared
    | RegistrationProposed
    | RegistrationApproved
    | RegistrationRejected
    | DisposalProposed
    | DisposalApproved
    | DisposalRejected
    | TalkOrLetterReported
    | TalkOrLetterConcluded
    | TalkOrLetterConclusionRejected
    | PrelimCheckPlanSubmitted
    | PrelimCheckPlanApproved
    | PrelimCheckReported
    | ReportApproved
    | ReportRejected
    | ReportProposalRevised
    | FilingProposed
    | ClueCaseFiled
    | ClueFilingRejected
    | ClearingProposed
    | ClueReopened
    | SupervisionNoticeIssued
    | SupervisionNoticeSatisfied
    | SupervisionNoticeOverdue
    | EscalationProposed
    | EscalationRejected
    | ClueEscalated
    | ClueFastTracked
)

ALL_EVENTS = Event.__args__  # type: ignore[attr-defined]
