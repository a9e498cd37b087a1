"""What the decision aggregate's state answers: what it awaits, its items' status on a day, what
is in force on a date, who knows it (need to know) and its rows in the service's tables. Pure.

Issue 22: the sanction and period as they now stand (`standing`, `period_of`: a review that
changed it, A5; a probation extended or ended by expulsion, P4), nothing in force after a lift
(G9) or a revocation (A5) while a blocked lift (G10) keeps the locks, CLOSED items, and the
offices a follow-up visit's result was sent to among the steps (need to know)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kernel.domain import sanctions as s
from services.sanctions.domain import events as ev, government as g, issuing, items as it, party as p
from services.sanctions.domain.decision_state import (
    CLOSED,
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
    REVOKED,
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
    if _probation_undecided(state):
        return "probation decision by the deciding office (P4, Regs 12)"
    if state.lift_blocked is not None and state.lifted is None:
        return f"the lift once {', '.join(state.lift_blocked.case_ids)} decided (G10, PSL 13, 26)"
    for a in state.appeals.values():
        if a.decided is None and a.accepted is None and a.lodged.kind == "PARTY_APPEAL":
            return f"acceptance of {a.appeal_id} by the deciding or approving body (A1, Rules 59)"
        if a.decided is None:
            return f"decision of {a.appeal_id} by {a.decide_by} ({_RULE.get(a.lodged.kind, 'A5')})"
    return ""


def _probation_undecided(state: Decision) -> bool:
    """P4: a probation's end was reached and awaits its decision: none yet, or an extension whose
    new end has come (extended once; then restore or expel)."""
    due, decided = state.probation_due, state.probation
    if due is None:
        return False
    return decided is None or (
        decided.outcome == "EXTEND" and decided.new_end is not None and due.on >= decided.new_end
    )


_RULE = {"PARTY_APPEAL": "A1, Rules 59", "REVIEW": "A2, SL 56", "RECHECK": "A3, SL 56"}
PARTY_EXPULSION = "PARTY_EXPULSION"


def standing(state: Decision) -> str:
    """The sanction that stands now: the issued one, a review's change (A5, PSL 58), or 开除党籍
    after a probation ended by expulsion (P4); "" before the issue."""
    sanction = state.issued.sanction if state.issued else ""
    if state.probation is not None and state.probation.outcome == "EXPEL":
        sanction = PARTY_EXPULSION
    for a in state.appeals.values():
        if a.decided is not None and a.decided.outcome == "CHANGE" and a.decided.changed_to:
            sanction = a.decided.changed_to
    return sanction


def period_of(state: Decision) -> tuple[date | None, date | None]:
    """The effect period [start, end) as it now stands: the issued one, extended (P4 EXTEND's
    new end) or changed by a review (A5, its new end); (None, None) before the issue. An expulsion
    decided at a probation's end (P4) has no end."""
    if state.issued is None:
        return (state.impact.start, state.impact.end) if state.impact else (None, None)
    start, end = state.issued.start, state.issued.end
    if state.probation is not None:
        if state.probation.outcome == "EXTEND" and state.probation.new_end:
            end = state.probation.new_end
        if state.probation.outcome == "EXPEL":
            end = None
    for a in state.appeals.values():
        if a.decided is not None and a.decided.outcome == "CHANGE":
            end = a.decided.new_end
    return start, end


def item_status(item: ItemState, today: date) -> str:
    """OPEN, DONE, CLOSED (no longer due, A5), or OVERDUE: open and past its due date on `today`
    (§4d, `items.is_overdue`)."""
    if item.status in (DONE, CLOSED):
        return item.status
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
    period (§5); nothing before the issue. A Party lock (P3's bar, P4's restored bar) may outlast
    the period: it holds on its own. Issue 22: the sanction and period as they stand (`standing`,
    `period_of`); nothing from a revocation on (A5, PSL 57: locks lifted); nothing from a lift on
    (G9, PSL 26: the locks end); a lift blocked by an open case (G10) keeps the locks until it."""
    if state.impact:
        i = state.impact
        if i.start <= on < i.end:
            return InForceEntry(state.decision_id, i.person_id, "", "", i.kind, i.start, i.end)
        return None
    d = state.issued
    if d is None or on < d.start:
        return None
    revoked = next((a.decided for a in state.appeals.values() if a.decided and a.decided.outcome == "REVOKE"), None)
    if state.status == REVOKED or revoked is not None:
        if revoked is None or on >= revoked.decided_on:
            return None
    if state.lifted is not None and on >= state.lifted.on:
        return None
    start, end = period_of(state)
    sanction = standing(state)
    locks = _locks_as_they_stand(state, sanction, end)
    if state.lift_blocked is not None and end is not None and on >= end:
        # G10 (PSL 13, 26): not lifted (yet, on `on`); what the lift ends still holds until it
        locks = tuple(ev.Lock(x.kind, None, x.rule) if x.until == end else x for x in locks)
    locks = tuple(x for x in locks if x.until is None or on < x.until)
    if (end is not None and on >= end) and not locks:
        return None
    return InForceEntry(state.decision_id, state.person_id, state.family, sanction, "", start, end, locks)


def locks_of(state: Decision) -> tuple[ev.Lock, ...]:
    """The decision's locks as they now stand (GetDecision); none before the issue."""
    if state.issued is None:
        return ()
    return _locks_as_they_stand(state, standing(state), period_of(state)[1])


def _locks_as_they_stand(state: Decision, sanction: str, end: date | None) -> tuple[ev.Lock, ...]:
    """The issued locks, with a review's change (A5: the changed sanction's locks to its new end)
    and a probation's decision (P4: RESTORE's bar, EXTEND's, EXPEL's) over them."""
    locks = tuple(state.issued.locks)
    changed = [a.decided for a in state.appeals.values() if a.decided and a.decided.outcome == "CHANGE"]
    if changed:
        locks = changed_locks(sanction, state.issued.start, end)
    p = state.probation
    if p is not None:
        if p.outcome == "EXPEL":
            locks = tuple(p.locks)
        else:
            kinds = {x.kind for x in p.locks}
            locks = tuple(x for x in locks if x.kind not in kinds) + tuple(p.locks)
    return locks


def changed_locks(sanction: str, start: date, end: date | None) -> tuple[ev.Lock, ...]:
    """A5 (PSL 58): the locks of a sanction changed on review, to its new end: G7 (PSL 19-21) for a
    government one, P2 (Regs 10-13) for a Party one (never P3's in-lieu bar: the change decides
    the sanction itself)."""
    if s.family_of(sanction) == s.GOVERNMENT:
        return tuple(ev.Lock(kind, end, "G7 (PSL 19-21)") for kind in g.locks(sanction))
    return p._locks(sanction, start, end, False, p.DEFAULT_RULES)


def steps(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> tuple[str, ...]:
    """Need to know: the offices owning the decision's items once issued, each once (an owning
    partner office knows the decision and may act on its items), and the [owners] offices of the
    agencies a follow-up visit's result was sent to (seed 000: the org dept, HR)."""
    owning = issuing.owner_offices(i.item for i in state.items.values())
    sent = [a for v in state.visits.values() if v.recorded for a in v.recorded.sent_to]
    return tuple(dict.fromkeys(owning + issuing.offices_of(sent, rules.owners)))


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
        "sanction": standing(state) or state.sanction,
        "impact_kind": state.impact.kind if state.impact else "",
        "start": state.start,
        "end": period_of(state)[1] if state.issued else state.end,
        "holder": holder,
        "liaison": liaison,
        "steps": list(steps(state, rules)),
        "approvers": list(approvers(state, rules)),
    }
