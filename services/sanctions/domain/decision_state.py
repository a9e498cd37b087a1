"""The decision (处分决定) aggregate's state: its statuses, what `decide` judges with, and the
checks its commands share. Pure. The aggregate as the app layer sees it is `decision` (the
façade joining every command module's `decide` and `evolve`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone, tzinfo

from kernel.domain.calendar import WorkingCalendar
from kernel.domain.checks import text
from kernel.domain.errors import IllegalState, Validation
from services.sanctions.domain import events as ev, items as it
from services.sanctions.domain.rules import DEFAULT_RULES, SanctionRules

# Status words (proto DecisionStatus without its prefix); "" before the first event.
NONE, OPENED, DRAFTED, COMMITTEE_APPROVED = "", "OPENED", "DRAFTED", "COMMITTEE_APPROVED"
ISSUED, REDECISION_REQUIRED, IMPACT_RECORDED = "ISSUED", "REDECISION_REQUIRED", "IMPACT_RECORDED"
LIFTED, REVOKED = "LIFTED", "REVOKED"  # G9 (PSL 26), A5 (PSL 57): issue 22
IN_EFFECT = (ISSUED, REDECISION_REQUIRED)
# Item status words; OVERDUE is computed on a day (§4d), never stored.
OPEN, DONE, OVERDUE = "OPEN", "DONE", "OVERDUE"
CLOSED = "CLOSED"  # no longer due: closed by a review that revoked or changed the decision (A5)
# Recipients and means of delivery (G13, PSL 46).
PERSON, UNIT = "PERSON", "UNIT"
RECIPIENTS = (PERSON, UNIT)
DELIVERY_ITEM = {PERSON: it.DELIVER_PERSON, UNIT: it.DELIVER_UNIT}
MEANS = ("IN_PERSON", "LEFT_WITH_WITNESSES", "POST", "ENTRUSTED", "ANNOUNCEMENT")
# Who approves and who issues (roles of the catalogue).
COMMITTEE_HEAD, COMMISSION_HEAD = "party_committee_head", "commission_head"
G12 = "G12 (PSL 14, 49)"
NOTE_LIMIT, TITLE_LIMIT, LINE_LIMIT = 500, 200, 100
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DecisionPolicy:
    """What `decide` judges with: the configured rules (sanctions.toml), the working calendar (G13
    delivery in working days) and the service's zone (a datetime's calendar day)."""

    rules: SanctionRules = DEFAULT_RULES
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    zone: tzinfo = timezone.utc

    def day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()


DEFAULT_POLICY = DecisionPolicy()


@dataclass(frozen=True)
class Subject:
    """The decision's person, as recusal (SL 67) reads a file's subjects."""

    person_id: str


@dataclass(frozen=True)
class ItemState:
    """One execution item as it stands: OPEN or DONE (with when and the receipt), the blockage
    cause its owning office recorded ("" none)."""

    item: ev.ExecutionItem
    status: str = OPEN
    done_at: datetime | None = None
    receipt_sha256: str = ""
    cause: str = ""
    note: str = ""
    reported_by: str = ""


@dataclass(frozen=True)
class VisitState:
    """A follow-up visit (seed 000): planned, then carried out (`recorded`)."""

    visit_id: str
    planned: ev.FollowUpVisitPlanned | None = None
    recorded: ev.FollowUpVisitRecorded | None = None


@dataclass(frozen=True)
class AppealState:
    """An appeal or review (A1-A3): LODGED, ACCEPTED (A1) or DECIDED (A5); `overdue` once its
    decide-by date passed undecided."""

    appeal_id: str
    lodged: ev.AppealLodged
    accepted: ev.AppealAccepted | None = None
    decided: ev.AppealDecided | None = None
    overdue: bool = False

    @property
    def status(self) -> str:
        return "DECIDED" if self.decided else ("ACCEPTED" if self.accepted else "LODGED")

    @property
    def decide_by(self):
        return self.accepted.decide_by if self.accepted else self.lodged.decide_by


@dataclass(frozen=True)
class Decision:
    decision_id: str = ""
    status: str = NONE
    opened: ev.DecisionOpened | None = None
    draft: ev.DecisionDrafted | None = None
    approval: ev.DecisionCommitteeApproved | None = None
    issued: ev.DecisionIssued | None = None
    deliveries: dict[str, ev.DecisionDelivered] = field(default_factory=dict)  # recipient → delivery
    items: dict[str, ItemState] = field(default_factory=dict)  # item_id → state, §4d order
    judgment: ev.CriminalJudgmentRecorded | None = None
    impact: ev.ImpactRecorded | None = None
    # issue 22 (time): the period's end (G9/G10, P8, P4), the overdue stages raised (§4d), the
    # follow-up visits (seed 000) and the appeals and reviews (A1-A5)
    lifted: ev.SanctionLifted | None = None
    lift_blocked: ev.LiftBlocked | None = None
    period_ended: ev.EffectPeriodEnded | None = None
    probation_due: ev.ProbationReviewDue | None = None
    probation: ev.ProbationDecided | None = None
    overdue_raised: frozenset[tuple[str, str]] = frozenset()  # (item_id, stage)
    visits: dict[str, VisitState] = field(default_factory=dict)  # visit_id → state
    appeals: dict[str, AppealState] = field(default_factory=dict)  # appeal_id → state, in lodging order

    @property
    def person_id(self) -> str:
        return self.opened.person_id if self.opened else (self.impact.person_id if self.impact else "")

    @property
    def case_id(self) -> str:
        return self.opened.case_id if self.opened else (self.impact.case_id if self.impact else "")

    @property
    def clue_id(self) -> str:
        return self.opened.clue_id if self.opened else (self.impact.clue_id if self.impact else "")

    @property
    def family(self) -> str:
        return self.opened.family if self.opened else ""

    @property
    def sanction(self) -> str:
        """The issued sanction, else the combined one; "" for an impact record."""
        if self.issued:
            return self.issued.sanction
        return self.opened.combined.sanction if self.opened else ""

    @property
    def subjects(self) -> tuple[Subject, ...]:
        return (Subject(self.person_id),) if self.person_id else ()

    @property
    def start(self) -> date | None:
        return self.issued.start if self.issued else (self.impact.start if self.impact else None)

    @property
    def end(self) -> date | None:
        return self.issued.end if self.issued else (self.impact.end if self.impact else None)


def committee_needed(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> bool:
    """Whether the same-level Party committee approves before the issue ([issue] committee_approves,
    local): the person's cadre level is listed; no cadre fact, not needed."""
    return bool(state.opened) and rules.issue.committee_needed(state.opened.facts)


def with_item(state: Decision, item_id: str, **changes) -> dict[str, ItemState]:
    """The items with `item_id`'s state changed (an unknown id: unchanged)."""
    if item_id not in state.items:
        return state.items
    return {**state.items, item_id: replace(state.items[item_id], **changes)}


# --- checks the commands share --------------------------------------------------------------------


def check_sha256(value: str, name: str) -> str:
    if not SHA256.fullmatch(value or ""):
        raise Validation(name, "must be 64 lowercase hex digits (SHA-256)")
    return value


def optional_text(value: str, name: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Validation(name, f"at most {limit} characters")
    return value


def one_line(value: str, name: str, limit: int) -> str:
    value = text(value, name, limit)
    if "\n" in value or "\r" in value:
        raise Validation(name, "must be one line")
    return value


def check_document(doc: ev.Document | None, name: str) -> ev.Document | None:
    if doc is None:
        return None
    return ev.Document(one_line(doc.title, f"{name}.title", TITLE_LIMIT), check_sha256(doc.sha256, f"{name}.sha256"))


def not_impact(state: Decision, operation: str) -> None:
    if state.status == IMPACT_RECORDED:
        raise IllegalState(IMPACT_RECORDED, f"{operation}: an impact record has no decision document")


def require_status(state: Decision, statuses: tuple[str, ...], operation: str) -> None:
    not_impact(state, operation)
    if state.status not in statuses:
        raise IllegalState(state.status or "NOT_OPENED", f"{operation} (only {' or '.join(statuses)})")


def as_refusal(e: Validation) -> Validation:
    return Validation(e.field, e.problem if e.problem.startswith("refused by") else f"refused by {e.problem}")
