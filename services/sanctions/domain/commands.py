"""Commands on a decision (处分决定): imperative, carrying who acts and when (the domain reads no
clock). Dates are the service's calendar days; times are aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kernel.domain.facts import PersonFacts
from kernel.domain.meetings import CollectiveDecision
from kernel.domain.principal import Principal
from kernel.domain.sanctions import Combined, Violation
from services.sanctions.domain.events import Document, Visitor, Witness
from services.sanctions.domain.government import ReviewRoute


@dataclass(frozen=True)
class OpenDecision:
    """From the inbound translator: one person's combined sanction of one family in CaseDisposed."""

    decision_id: str
    case_id: str
    clue_id: str
    person_id: str
    family: str
    combined: Combined
    violations: tuple[Violation, ...]
    consequences: tuple[str, ...]
    serious: bool
    facts: PersonFacts | None
    deliberation: CollectiveDecision | None
    disposed_at: datetime
    source_event_id: str
    holder: str
    liaison: str
    by: Principal


@dataclass(frozen=True)
class DraftDecision:
    """Case management drafts the document from the collective decision (OPENED or DRAFTED)."""

    decision_id: str
    title: str
    legal_basis: tuple[str, ...]
    review_route: ReviewRoute | None
    announcement_scope: str
    gains_found: bool
    appraisals: tuple[date, ...]
    removal_from_office: Document | None
    probation_months: int
    by: Principal
    in_lieu_of_removal: bool = False  # P3 (Regs 11): 严重警告/留党察看 instead of 撤销党内职务


@dataclass(frozen=True)
class ApproveDecision:
    """The same-level Party committee approves a drafted decision (local)."""

    decision_id: str
    by: Principal


@dataclass(frozen=True)
class IssueDecision:
    """The commission head issues it: document number and decision date."""

    decision_id: str
    document_number: str
    decided_on: date
    by: Principal


@dataclass(frozen=True)
class RecordDelivery:
    """Delivery to the person or the unit (G13, PSL 46), or a witnessed refusal to sign."""

    decision_id: str
    recipient: str
    means: str
    delivered_at: datetime
    receipt_sha256: str
    refused_to_sign: bool
    witnesses: tuple[Witness, ...]
    by: Principal


@dataclass(frozen=True)
class ReportItem:
    """The owning agency reports an item done (`by.agency` must own it: NOT_FOUND otherwise)."""

    decision_id: str
    item_id: str
    done_at: datetime
    receipt_sha256: str
    note: str
    by: Principal


@dataclass(frozen=True)
class RecordBlockage:
    """The owning office records why an open item is stuck (`by.office` must own it)."""

    decision_id: str
    item_id: str
    cause: str
    note: str
    by: Principal


@dataclass(frozen=True)
class RecordJudgment:
    """G12 (PSL 14, 49): an officer records a criminal judgment with its document."""

    decision_id: str
    judgment: Document
    judgment_number: str
    intentional: bool
    sentence: str
    by: Principal


@dataclass(frozen=True)
class RecordImpact:
    """From the inbound translator: another outcome with an impact period for one person."""

    decision_id: str
    kind: str
    person_id: str
    case_id: str
    clue_id: str
    decided_on: date
    article: str
    detail: str
    source_event_id: str
    by: Principal
    holder: str = ""  # the source case's (or clue's) holding office, from its event's holding links
    liaison: str = ""


# --- time (issue 22) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndPeriod:
    """A timer's (the period's end): G9 lift or G10 block (government), P8 end or P4 review due
    (Party). `open_cases`: the cases filed on the person within the period and still open, as the
    service's case directory knows them (read in the command's transaction)."""

    decision_id: str
    on: date
    by: Principal
    open_cases: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetryLift:
    """G10: a case holding a lift back was decided; lift if none is left open (`open_cases`)."""

    decision_id: str
    on: date
    by: Principal
    open_cases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecideProbation:
    """P4 (Regs 12): RESTORE, EXTEND or EXPEL at the probation's end."""

    decision_id: str
    outcome: str
    decided_on: date
    by: Principal


@dataclass(frozen=True)
class RecordItemOverdue:
    """A timer's: an item passed its due (DUE) or latest due (LATEST_DUE) date undone."""

    decision_id: str
    item_id: str
    stage: str
    by: Principal


@dataclass(frozen=True)
class PlanFollowUpVisit:
    decision_id: str
    planned_on: date
    by: Principal


@dataclass(frozen=True)
class RecordFollowUpVisit:
    decision_id: str
    visit_id: str  # "" for a visit without a plan
    visited_on: date
    visitors: tuple[Visitor, ...]
    grade: str
    summary: str
    by: Principal


@dataclass(frozen=True)
class LodgeAppeal:
    """A1 PARTY_APPEAL, A2 REVIEW, A3 RECHECK. `received_on` None: for REVIEW, the recorded
    delivery to the person."""

    decision_id: str
    kind: str
    received_on: date | None
    applied_on: date
    by: Principal


@dataclass(frozen=True)
class AcceptAppeal:
    """A1 (Rules 59): `original_handlers` are the case's investigators and trial reviewers (user
    ids), as the service's case directory knows them (read in the command's transaction)."""

    decision_id: str
    appeal_id: str
    team: tuple[str, ...]
    accepted_on: date
    by: Principal
    original_handlers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecideAppeal:
    decision_id: str
    appeal_id: str
    outcome: str
    ground: str
    changed_to: str
    property_taken: bool
    decided_on: date
    by: Principal


@dataclass(frozen=True)
class RecordAppealOverdue:
    """A timer's: an appeal passed its decide-by date undecided."""

    decision_id: str
    appeal_id: str
    by: Principal
