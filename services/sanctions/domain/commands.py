"""Commands on a decision (处分决定): imperative, carrying who acts and when (the domain reads no
clock). Dates are the service's calendar days; times are aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kernel.domain.facts import PersonFacts
from kernel.domain.meetings import CollectiveDecision
from kernel.domain.principal import Principal
from kernel.domain.sanctions import Combined, Violation
from services.sanctions.domain.events import Document, Witness
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
