"""Commands on a clue: imperative, carrying who acts and when (the domain reads no clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kernel.domain.principal import Principal
from services.clues.domain.events import Subject


@dataclass(frozen=True)
class RegisterClue:
    clue_id: str
    source: str
    subjects: tuple[Subject, ...]
    summary: str
    received_at: datetime
    has_informant: bool
    by: Principal
    batch_reference: str = ""
    priority: str = ""
    routing: str = ""  # intake routing (events.ClueRegistered.routing); "" = handled here
    forward_to: str = ""  # ABOUT_OWN_HEAD: the upper-level commission it goes to at once (CR 15)
    tour_round_id: str = ""  # the round transferring it (TourService.TransferTourClues, issue 27)


@dataclass(frozen=True)
class ReadInformant:
    clue_id: str
    purpose: str
    by: Principal


@dataclass(frozen=True)
class ForwardClue:
    """Forward the clue: `routing` UPPER_LEVEL (CR 15), OTHER_BODY ("" too; IR2021 169, 171) or
    RETURN_TO_SENDER (IR2021 171(4)); with `part`, only that part to another body (171(3))."""

    clue_id: str
    to_agency: str
    reason: str
    by: Principal
    routing: str = ""
    part: str = ""


@dataclass(frozen=True)
class DeclareRecusal:
    """Record that `person_id` may not act on the clue (回避, SL 67), on `ground`."""

    clue_id: str
    person_id: str
    ground: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class ProposeRegistration:
    clue_id: str
    clue_number: str  # assigned by the handler from the office's counter
    handling_office: str
    by: Principal


@dataclass(frozen=True)
class ApproveRegistration:
    clue_id: str
    by: Principal


@dataclass(frozen=True)
class RejectRegistration:
    clue_id: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class ProposeDisposal:
    clue_id: str
    method: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class ApproveDisposal:
    clue_id: str
    by: Principal


@dataclass(frozen=True)
class RejectDisposal:
    clue_id: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class ConcludeTalkOrLetter:
    """Report a talk or letter inquiry (情况报告) with its proposed disposal (处置意见), for approval."""

    clue_id: str
    outcome: str
    summary: str
    by: Principal
    light_handling: str = ""


@dataclass(frozen=True)
class ApproveTalkOrLetterConclusion:
    clue_id: str
    by: Principal


@dataclass(frozen=True)
class RejectTalkOrLetterConclusion:
    clue_id: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class SubmitPrelimCheckPlan:
    clue_id: str
    work_plan: str
    team: tuple[str, ...]
    subject_heads_lower_committee: bool
    by: Principal


@dataclass(frozen=True)
class ApprovePrelimCheckPlan:
    clue_id: str
    by: Principal


@dataclass(frozen=True)
class ReportPrelimCheck:
    clue_id: str
    findings: str
    proposal: str
    by: Principal
    light_handling: str = ""
    party_organisation: str = ""


@dataclass(frozen=True)
class ApproveReport:
    clue_id: str
    by: Principal


@dataclass(frozen=True)
class RejectReport:
    clue_id: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class ReviseReportProposal:
    clue_id: str
    proposal: str
    reason: str
    by: Principal
    light_handling: str = ""
    party_organisation: str = ""


@dataclass(frozen=True)
class RecordCaseFiled:
    clue_id: str
    case_id: str
    filed_at: datetime


@dataclass(frozen=True)
class RecordFilingRejected:
    clue_id: str
    reason: str


@dataclass(frozen=True)
class ProposeClearing:
    """At a periodic clearing (定期清理, IR2021 168), propose one of the four disposals for a shelved
    clue; the disposal's approver approves it (ApproveDisposal)."""

    clue_id: str
    method: str
    reason: str
    clearing: str
    by: Principal


@dataclass(frozen=True)
class ReopenClue:
    """New information on a shelved clue: a preliminary check proposed, for the disposal approval."""

    clue_id: str
    new_information: str
    by: Principal


@dataclass(frozen=True)
class IssueSupervisionNotice:
    clue_id: str
    notice_id: str
    to_office: str  # empty: the handling office
    due_at: datetime
    required: str
    issued_at: datetime
    by: Principal


@dataclass(frozen=True)
class EscalateClue:
    """Propose an escalation; `approves`: the caller's role approves escalations (the head), so
    it takes effect at once with the approval recorded."""

    clue_id: str
    to_office: str
    reason: str
    by: Principal
    approves: bool = False


@dataclass(frozen=True)
class ApproveEscalation:
    clue_id: str
    by: Principal


@dataclass(frozen=True)
class RejectEscalation:
    clue_id: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class RecordWarning:
    """A warning timer fires (三色预警): the clue turned `colour` in `stage` under `rule`."""

    clue_id: str
    colour: str
    stage: str
    rule: str
    deadline: datetime


@dataclass(frozen=True)
class RecordNoticeOverdue:
    """A supervision notice's timer fires: its due date passed."""

    clue_id: str
    notice_id: str
    due_at: datetime


@dataclass(frozen=True)
class FastTrackClue:
    """Audit asked for a fast track (`audit.v1.IntegrityFastTrackRequested`, domain.md §5; seed
    004): the clue about a candidate of an integrity-opinion request is open, so it takes top
    priority and a supervision notice due `notice_due_at` (before the intended date)."""

    clue_id: str
    request_id: str  # `integrity-<uuid>`
    person_id: str
    intended_date: date
    notice_due_at: datetime
    issued_by: str = "system:clues-fast-track"  # the notice's issuer: the process acting for audit
