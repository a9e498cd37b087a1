"""Follow-up visits (回访教育, seed 000; domain.md §4d FOLLOW_UP_VISIT) during a sanction's effect
period: planned, then carried out by at least `[visits] min_visitors` visitors (2; local,
unverified), graded GOOD, AVERAGE or POOR, the result sent to the agencies of `[visits] send_to`
(the organisation department and HR; local) as the event FollowUpVisitRecorded. The first visit
carried out completes the FOLLOW_UP_VISIT item. Pure: `DECIDE` and `EVOLVE` join the decision's
façade (`decision._MODULES`). Visits never block execution (A4): nothing here touches other items.

Errors: Validation naming the field ("refused by seed 000 (local): ..."), IllegalState naming the
decision's state (no effect period, not issued), NotFound for an unknown planned visit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timezone

from kernel.domain.checks import text
from kernel.domain.errors import IllegalState, NotFound, Validation
from services.sanctions.domain import commands as c, events as ev, items as it
from services.sanctions.domain.decision_reads import period_of
from services.sanctions.domain.decision_state import (
    DONE,
    IN_EFFECT,
    LINE_LIMIT,
    OPEN,
    Decision,
    DecisionPolicy,
    VisitState,
    one_line,
    require_status,
)
from services.sanctions.domain.issuing import GRADES

SEED = "seed 000 (local)"
SUMMARY_LIMIT, MAX_VISITORS = 2000, 10


def _in_period(state: Decision, day: date, name: str, operation: str) -> date:
    """`day` inside the effect period [start, end) as it now stands; IllegalState without one."""
    if not isinstance(day, date):
        raise Validation(name, "is required")
    start, end = period_of(state)
    if end is None:
        raise IllegalState(
            f"{state.sanction} without an effect period", f"{operation}: a follow-up visit is made during the period"
        )
    if not start <= day < end:
        raise Validation(name, f"refused by {SEED}: {day} is outside the effect period [{start}, {end})")
    return day


def plan_visit(cmd: c.PlanFollowUpVisit, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, IN_EFFECT, "plan a follow-up visit")
    day = _in_period(state, cmd.planned_on, "planned_on", "plan a follow-up visit")
    visit_id = f"visit-{len(state.visits) + 1}"
    return [ev.FollowUpVisitPlanned(cmd.decision_id, visit_id, day, cmd.by.user)]


def record_visit(cmd: c.RecordFollowUpVisit, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, IN_EFFECT, "record a follow-up visit")
    visit_id = (cmd.visit_id or "").strip()
    if visit_id:
        found = state.visits.get(visit_id)
        if found is None:
            raise NotFound("follow-up visit", f"{state.decision_id}/{visit_id}")
        if found.recorded is not None:
            raise IllegalState(f"{visit_id} recorded", f"record {visit_id} again")
    else:
        visit_id = f"visit-{len(state.visits) + 1}"
    day = _in_period(state, cmd.visited_on, "visited_on", "record a follow-up visit")
    need = policy.rules.visits.min_visitors
    if len(cmd.visitors) < need:
        raise Validation(
            "visitors",
            f"refused by {SEED}: a follow-up visit is carried out by at least {need} visitors "
            f"([visits] min_visitors, unverified), not {len(cmd.visitors)}",
        )
    if len(cmd.visitors) > MAX_VISITORS:
        raise Validation("visitors", f"at most {MAX_VISITORS}")
    visitors = tuple(
        ev.Visitor(
            one_line(v.name, f"visitors[{i}].name", LINE_LIMIT),
            one_line(v.capacity, f"visitors[{i}].capacity", LINE_LIMIT),
        )
        for i, v in enumerate(cmd.visitors)
    )
    if len({v.name for v in visitors}) != len(visitors):
        raise Validation("visitors", "a visitor is named twice")
    if cmd.grade not in GRADES:
        raise Validation("grade", f"refused by {SEED}: one of {', '.join(GRADES)}")
    summary = text(cmd.summary, "summary", SUMMARY_LIMIT)
    return [
        ev.FollowUpVisitRecorded(
            cmd.decision_id,
            visit_id,
            day,
            visitors,
            cmd.grade,
            summary,
            cmd.by.user,
            tuple(policy.rules.visits.send_to),
        )
    ]


DECIDE = {
    c.PlanFollowUpVisit: plan_visit,
    c.RecordFollowUpVisit: record_visit,
}


# --- evolve ----------------------------------------------------------------------------------------


def _planned(state: Decision, e: ev.FollowUpVisitPlanned) -> Decision:
    return replace(state, visits={**state.visits, e.visit_id: VisitState(e.visit_id, planned=e)})


def _recorded(state: Decision, e: ev.FollowUpVisitRecorded) -> Decision:
    before = state.visits.get(e.visit_id) or VisitState(e.visit_id)
    visits = {**state.visits, e.visit_id: replace(before, recorded=e)}
    items = dict(state.items)
    # the first visit carried out completes the (first open) FOLLOW_UP_VISIT item (§4d, seed 000)
    for item_id, i in state.items.items():
        if i.item.kind == it.FOLLOW_UP_VISIT and i.status == OPEN:
            done_at = datetime.combine(e.visited_on, time(), timezone.utc)
            items[item_id] = replace(i, status=DONE, done_at=done_at, note=e.visit_id, reported_by=e.recorded_by)
            break
    return replace(state, visits=visits, items=items)


EVOLVE = {
    ev.FollowUpVisitPlanned: _planned,
    ev.FollowUpVisitRecorded: _recorded,
}
