"""What the decision aggregate's state answers: what it awaits, its items' status on a day, what
is in force on a date, who knows it (need to know) and its rows in the service's tables. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.sanctions.domain import events as ev, issuing, items as it
from services.sanctions.domain.decision_state import (
    COMMISSION_HEAD,
    COMMITTEE_APPROVED,
    COMMITTEE_HEAD,
    DONE,
    DRAFTED,
    G12,
    OPEN,
    OPENED,
    OVERDUE,
    REDECISION_REQUIRED,
    Decision,
    ItemState,
    committee_needed,
)
from services.sanctions.domain.rules import DEFAULT_RULES, SanctionRules


def awaiting(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> str:
    """What the next step waits for ("" once issued, or for an impact record)."""
    if state.status == OPENED:
        return "draft by case management"
    if state.status == DRAFTED and committee_needed(state, rules):
        return "approval by the same-level Party committee"
    if state.status in (DRAFTED, COMMITTEE_APPROVED):
        return "issue by the commission head"
    if state.status == REDECISION_REQUIRED:
        return f"re-decision after the criminal judgment ({G12})"
    return ""


def item_status(item: ItemState, today: date) -> str:
    """OPEN, DONE, or OVERDUE: open and past its due date on `today` (§4d, `items.is_overdue`)."""
    if item.status == DONE:
        return DONE
    return OVERDUE if it.is_overdue(item.item, today, done=False) else OPEN


def days_over(item: ItemState, today: date) -> int:
    """Days past the due date on `today`; 0 unless OVERDUE."""
    return (today - item.item.due).days if item_status(item, today) == OVERDUE else 0


@dataclass(frozen=True)
class InForceEntry:
    """One thing in force on a person on a date: an issued sanction in its period with the locks
    holding that day, or an impact in its impact period. `end` None: without end (开除)."""

    decision_id: str
    person_id: str
    family: str
    sanction: str
    impact_kind: str
    start: date
    end: date | None
    locks: tuple[ev.Lock, ...] = ()


def in_force(state: Decision, on: date) -> InForceEntry | None:
    """What of this decision is in force on `on`: a sanction issued (G1, P2: start <= on < end; 开除
    without end, G8) with the locks holding on `on` (until None or on < until), or an impact in its
    period (§5); nothing before the issue. A Party lock (P3's bar) may outlast the period: it holds
    on its own."""
    if state.impact:
        i = state.impact
        if i.start <= on < i.end:
            return InForceEntry(state.decision_id, i.person_id, "", "", i.kind, i.start, i.end)
        return None
    d = state.issued
    if d is None or on < d.start:
        return None
    locks = tuple(x for x in d.locks if x.until is None or on < x.until)
    if (d.end is not None and on >= d.end) and not locks:
        return None
    return InForceEntry(state.decision_id, state.person_id, state.family, d.sanction, "", d.start, d.end, locks)


def steps(state: Decision) -> tuple[str, ...]:
    """Need to know: the offices owning the decision's items once issued, each once (an owning
    partner office knows the decision and may act on its items)."""
    return issuing.owner_offices(i.item for i in state.items.values())


def approvers(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> tuple[str, ...]:
    """Need to know: the commission head, and the same-level Party committee head where its
    approval is needed ([issue] committee_approves); none for an impact record."""
    if not state.opened:
        return ()
    return (COMMISSION_HEAD,) + ((COMMITTEE_HEAD,) if committee_needed(state, rules) else ())


def ledger_rows(state: Decision) -> list[dict]:
    """One row per item of the `execution_ledger` table (OVERDUE is computed on read)."""
    return [
        {
            "decision_id": state.decision_id,
            "item_id": i.item.item_id,
            "case_id": state.case_id,
            "person_id": state.person_id,
            "kind": i.item.kind,
            "owner": i.item.owner,
            "agency": i.item.agency,
            "office": i.item.office,
            "due": i.item.due,
            "latest_due": i.item.latest_due,
            "status": i.status,
            "done_at": i.done_at,
            "receipt": i.receipt_sha256,
            "cause": i.cause,
            "rule": i.item.rule,
        }
        for i in state.items.values()
    ]


def index_row(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> dict:
    """The `decision_index` row of the decision (version added by the caller)."""
    holder = state.opened.holder if state.opened else ""
    liaison = state.opened.liaison if state.opened else ""
    return {
        "decision_id": state.decision_id,
        "case_id": state.case_id,
        "person_id": state.person_id,
        "status": state.status,
        "family": state.family,
        "sanction": state.sanction,
        "impact_kind": state.impact.kind if state.impact else "",
        "start": state.start,
        "end": state.end,
        "holder": holder,
        "liaison": liaison,
        "steps": list(steps(state)),
        "approvers": list(approvers(state, rules)),
    }
