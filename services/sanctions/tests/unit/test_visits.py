"""services.sanctions.domain.visits (issue 22 point 3): follow-up visits (回访教育, seed 000; §4d
FOLLOW_UP_VISIT) inside the effect period, by at least [visits] min_visitors (2; local,
unverified), graded, the result sent to the organisation department and HR. One row per rule."""

from datetime import date

import pytest

from kernel.domain.errors import IllegalState, NotFound, Validation
from services.sanctions.domain import commands as c, decision as d, events as ev
from services.sanctions.domain.issuing import VisitRules
from services.sanctions.domain.rules import SanctionRules
from services.sanctions.tests.unit.test_decision import CASE_MANAGER, GD, GDS, ID, POLICY, issued

TWO = (ev.Visitor("李某", "所在单位党委副书记"), ev.Visitor("王某", "纪检组干部"))


def plan(on: date) -> c.PlanFollowUpVisit:
    return c.PlanFollowUpVisit(ID, on, CASE_MANAGER)


def visit(on: date, visitors=TWO, visit_id="", grade="GOOD") -> c.RecordFollowUpVisit:
    return c.RecordFollowUpVisit(ID, visit_id, on, tuple(visitors), grade, "悔过态度较好", CASE_MANAGER)


def run(state, *commands, policy=POLICY):
    for cmd in commands:
        for e in d.decide(cmd, state, policy):
            state = d.evolve(state, e)
    return state


def test_seed000_a_visit_is_planned_inside_the_period_visit_1_then_visit_2():
    """记过 2026-03-10 → period [2026-03-10, 2027-03-10) (G1): visits planned inside it, numbered."""
    state = run(issued(GD), plan(date(2026, 9, 1)), plan(date(2027, 3, 9)))
    assert list(state.visits) == ["visit-1", "visit-2"]
    assert state.visits["visit-1"].planned.planned_on == date(2026, 9, 1)


@pytest.mark.parametrize("on", [date(2026, 3, 9), date(2027, 3, 10)])
def test_seed000_a_visit_outside_the_effect_period_is_refused(on):
    with pytest.raises(Validation, match=r"^planned_on: refused by seed 000 \(local\): .* outside the effect period"):
        run(issued(GD), plan(on))
    with pytest.raises(Validation, match=r"^visited_on: refused by seed 000"):
        run(issued(GD), visit(on))


def test_seed000_one_visitor_is_refused_two_are_recorded_and_sent_to_org_dept_and_hr():
    """At least 2 visitors (local, unverified); graded; the result sent on (FollowUpVisitRecorded);
    the first visit completes FOLLOW_UP_VISIT; the org dept's and HR's offices know the decision."""
    with pytest.raises(Validation, match=r"^visitors: refused by seed 000 \(local\): .* at least 2 visitors"):
        run(issued(GD), visit(date(2026, 9, 2), TWO[:1]))
    state = run(issued(GD), plan(date(2026, 9, 1)))
    events = d.decide(visit(date(2026, 9, 2), visit_id="visit-1"), state, POLICY)
    (e,) = events
    assert (e.visit_id, e.grade, e.sent_to) == ("visit-1", "GOOD", ("organisation_department", "personnel_bureau"))
    state = d.evolve(state, e)
    assert state.items["FOLLOW_UP_VISIT"].status == d.DONE
    assert {"cadre_management", "personnel_records"} <= set(d.steps(state))
    again = run(state, visit(date(2026, 10, 2)))  # a second visit: recorded, the item stays done
    assert list(again.visits) == ["visit-1", "visit-2"] and again.items["FOLLOW_UP_VISIT"].status == d.DONE


def test_seed000_the_least_number_of_visitors_is_configuration():
    policy = d.DecisionPolicy(rules=SanctionRules(visits=VisitRules(min_visitors=3)))
    with pytest.raises(Validation, match=r"at least 3 visitors \(\[visits\] min_visitors"):
        run(issued(GD, policy=policy), visit(date(2026, 9, 2)), policy=policy)


@pytest.mark.parametrize(
    "command, refusal",
    [
        (visit(date(2026, 9, 2), grade="EXCELLENT"), r"^grade: refused by seed 000"),
        (visit(date(2026, 9, 2), (TWO[0], TWO[0])), r"^visitors: a visitor is named twice"),
        (visit(date(2026, 9, 2), (TWO[0], ev.Visitor("", "x"))), r"^visitors\[1\]\.name"),
        (c.RecordFollowUpVisit(ID, "", date(2026, 9, 2), TWO, "GOOD", "", CASE_MANAGER), r"^summary"),
    ],
)
def test_bad_visit_input_is_refused_naming_the_field(command, refusal):
    with pytest.raises(Validation, match=refusal):
        run(issued(GD), command)


def test_an_unknown_or_recorded_planned_visit():
    with pytest.raises(NotFound):
        run(issued(GD), visit(date(2026, 9, 2), visit_id="visit-9"))
    state = run(issued(GD), plan(date(2026, 9, 1)), visit(date(2026, 9, 2), visit_id="visit-1"))
    with pytest.raises(IllegalState, match="visit-1 recorded"):
        run(state, visit(date(2026, 9, 3), visit_id="visit-1"))


def test_g8_dismissal_has_no_period_and_no_visit():
    with pytest.raises(IllegalState):
        run(issued(GDS), plan(date(2026, 9, 1)))
