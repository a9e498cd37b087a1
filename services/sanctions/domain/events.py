"""The sanctions service's domain events (处分决定执行), one stream per decision `decision-<uuid>`.

Each class has its protobuf message of the same name in `proto/sanctions/v1/events.proto`, field
for field (the kernel's mapping: dates <-> `YYYY-MM-DD`, datetimes <-> Timestamps, words <-> enum
values). Words: families PARTY_SANCTION / GOVERNMENT_SANCTION (`kernel.domain.sanctions`), impact
kinds ADMONISHMENT / ORGANISATIONAL_HANDLING / ACCOUNTABILITY, recipients PERSON / UNIT, causes
of `items.CAUSES`. Pure: no I/O, no generated code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kernel.domain.facts import PersonFacts
from kernel.domain.meetings import CollectiveDecision
from kernel.domain.sanctions import Combined, Violation
from services.sanctions.domain.government import ReviewRoute
from services.sanctions.domain.party import Lock

__all__ = ["Lock", "ReviewRoute"]


@dataclass(frozen=True)
class Document:
    """A document by content hash (`DocumentRef`)."""

    title: str
    sha256: str


@dataclass(frozen=True)
class Witness:
    """A witness to a refusal to sign (G13; two complete the delivery, local)."""

    name: str
    capacity: str


@dataclass(frozen=True)
class ExecutionItem:
    """One execution item of an issued decision (§4d), owned by a catalogue agency and office.
    `item_id`: its kind, or `<kind>:<n>` for the n-th of a kind (APPRAISAL:2); `owner`: §4d's
    owner column (ARCHIVES, HR, …); `agency`, `office`: who that is in the catalogue."""

    kind: str
    owner: str
    due: date
    latest_due: date
    rule: str
    item_id: str
    agency: str
    office: str


@dataclass(frozen=True)
class DecisionOpened:
    """A disposal (CaseDisposed) opened a decision for one person's combined sanction of one family."""

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
    liaison: str = ""


@dataclass(frozen=True)
class DecisionDrafted:
    """Case management drafted the document (the last draft counts)."""

    decision_id: str
    title: str
    legal_basis: tuple[str, ...]
    review_route: ReviewRoute
    announcement_scope: str
    gains_found: bool
    appraisals: tuple[date, ...]
    removal_from_office: Document | None
    drafted_by: str
    probation_months: int = 0
    in_lieu_of_removal: bool = False  # P3 (Regs 11)


@dataclass(frozen=True)
class DecisionCommitteeApproved:
    """The same-level Party committee approved the draft (where it manages the person; local)."""

    decision_id: str
    approved_by: str
    approver_role: str


@dataclass(frozen=True)
class DecisionIssued:
    """Issued: in force from `start` (G1, P2), lifting on `end` (None: 开除), its items due."""

    decision_id: str
    document_number: str
    issued_by: str
    sanction: str
    start: date
    end: date | None
    period_months: int
    locks: tuple[Lock, ...]
    items: tuple[ExecutionItem, ...]
    legal_basis: tuple[str, ...]
    review_route: ReviewRoute
    consequences: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionDelivered:
    """Delivered to the person or the unit (G13, PSL 46); completes DELIVER_PERSON / DELIVER_UNIT."""

    decision_id: str
    recipient: str
    means: str
    delivered_at: datetime
    receipt_sha256: str
    refused_to_sign: bool
    witnesses: tuple[Witness, ...]
    recorded_by: str
    item_id: str


@dataclass(frozen=True)
class ExecutionItemReported:
    """The owning agency reported an item done, with its receipt by hash."""

    decision_id: str
    item_id: str
    kind: str
    agency: str
    office: str
    reported_by: str
    done_at: datetime
    receipt_sha256: str
    note: str = ""


@dataclass(frozen=True)
class ExecutionBlockageRecorded:
    """The owning office recorded why an item is stuck (seed 000); a later one replaces it."""

    decision_id: str
    item_id: str
    cause: str
    note: str
    recorded_by: str
    office: str


@dataclass(frozen=True)
class CriminalJudgmentRecorded:
    """G12 (PSL 14, 49): a criminal judgment on the person; the decision is to be re-decided.
    `required_sanction`: GOVERNMENT_DISMISSAL for an intentional crime, "" otherwise."""

    decision_id: str
    judgment: Document
    judgment_number: str
    intentional: bool
    sentence: str
    recorded_by: str
    required_sanction: str = ""


@dataclass(frozen=True)
class ImpactRecorded:
    """Another outcome with an impact period (诫勉, organisational handling, 问责; domain.md §5)."""

    decision_id: str
    kind: str
    person_id: str
    case_id: str
    clue_id: str
    start: date
    end: date
    article: str
    detail: str
    source_event_id: str
    holder: str = ""  # the source case's (or clue's) holding office: it holds the record (need to know)
    liaison: str = ""


# --- time (issue 22) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SanctionLifted:
    """G9 (PSL 26): lifted at the period's end; the locks end, post, rank and pay not restored."""

    decision_id: str
    on: date
    locks_ended: tuple[str, ...]
    not_restored: tuple[str, ...]
    after_cases: tuple[str, ...] = ()  # G10: the cases that held it back until decided


@dataclass(frozen=True)
class LiftBlocked:
    """G10 (PSL 13, 26): a case filed on the person within the period is open at its end."""

    decision_id: str
    on: date
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class EffectPeriodEnded:
    """P8 (Regs 46): a Party effect period ended; nothing is cancelled."""

    decision_id: str
    on: date


@dataclass(frozen=True)
class ProbationReviewDue:
    """P4 (Regs 12): the probation ended; the deciding office decides (a task on its queue)."""

    decision_id: str
    on: date


@dataclass(frozen=True)
class ProbationDecided:
    """P4 (Regs 12): RESTORE, EXTEND (`new_end`) or EXPEL, with what now holds."""

    decision_id: str
    outcome: str
    decided_on: date
    decided_by: str
    new_end: date | None
    locks: tuple[Lock, ...]


@dataclass(frozen=True)
class ExecutionItemOverdue:
    """§4d: an item passed its due date (stage DUE) or latest due date (LATEST_DUE) undone."""

    decision_id: str
    item_id: str
    kind: str
    owner: str
    agency: str
    office: str
    due: date
    stage: str


@dataclass(frozen=True)
class Visitor:
    """A person on a follow-up visit."""

    name: str
    capacity: str


@dataclass(frozen=True)
class FollowUpVisitPlanned:
    """A follow-up visit (回访教育, seed 000) planned inside the effect period."""

    decision_id: str
    visit_id: str
    planned_on: date
    planned_by: str


@dataclass(frozen=True)
class FollowUpVisitRecorded:
    """A follow-up visit carried out and graded; sent to the org dept and HR (`sent_to`)."""

    decision_id: str
    visit_id: str
    visited_on: date
    visitors: tuple[Visitor, ...]
    grade: str
    summary: str
    recorded_by: str
    sent_to: tuple[str, ...]


@dataclass(frozen=True)
class AppealLodged:
    """An appeal (A1) or review (A2, A3) lodged; execution goes on (A4)."""

    decision_id: str
    appeal_id: str
    kind: str
    received_on: date | None
    applied_on: date
    apply_by: date | None
    late: bool
    decide_by: date | None
    lodged_by: str


@dataclass(frozen=True)
class AppealAccepted:
    """A1 (Rules 59): a Party appeal accepted with its team; due in 3 months."""

    decision_id: str
    appeal_id: str
    team: tuple[str, ...]
    accepted_on: date
    decide_by: date
    accepted_by: str


@dataclass(frozen=True)
class AppealDecided:
    """A5 (PSL 57-60): upheld, changed (never heavier, A4) or revoked, with its ground; the
    compensating items created and the open items closed."""

    decision_id: str
    appeal_id: str
    outcome: str
    ground: str
    changed_to: str
    decided_on: date
    decided_by: str
    items: tuple[ExecutionItem, ...]
    closed_items: tuple[str, ...]
    late: bool = False
    new_end: date | None = None


@dataclass(frozen=True)
class AppealOverdue:
    """An appeal or review passed its decide-by date undecided."""

    decision_id: str
    appeal_id: str
    decide_by: date


ALL_EVENTS = (
    DecisionOpened,
    DecisionDrafted,
    DecisionCommitteeApproved,
    DecisionIssued,
    DecisionDelivered,
    ExecutionItemReported,
    ExecutionBlockageRecorded,
    CriminalJudgmentRecorded,
    ImpactRecorded,
    SanctionLifted,
    LiftBlocked,
    EffectPeriodEnded,
    ProbationReviewDue,
    ProbationDecided,
    ExecutionItemOverdue,
    FollowUpVisitPlanned,
    FollowUpVisitRecorded,
    AppealLodged,
    AppealAccepted,
    AppealDecided,
    AppealOverdue,
)
