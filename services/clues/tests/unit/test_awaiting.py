"""What a clue waits for, by whom and by when (issue 20; domain.md §2), with the shipped catalogue
and the default warning scheme: one row per situation of the lifecycle table."""

from dataclasses import replace
from datetime import timedelta

import pytest

from kernel.domain.calendar import load_calendar
from kernel.edge import catalogue
from services.clues.app.clue import roles_of
from services.clues.app.schemes import load_scheme
from services.clues.domain import events as ev
from services.clues.domain.awaiting import SUMMARY_LIMIT, Awaited, Roles, awaiting, basis, order, steps
from services.clues.domain.state import fold
from services.clues.tests.unit.test_lifecycle import AT, ID, LATER, PLANNED, REG, REGISTERED, SITUATIONS

ROLES = roles_of(catalogue.load())
SCHEME, CALENDAR = load_scheme(), load_calendar()
OFFICERS = ("resident_officer", "supervisor", "office_head")  # of the holding office


def at(office: str, step: str, roles=OFFICERS) -> set:
    return {(step, r, office) for r in roles}


def head(step: str) -> set:
    return {(step, "commission_head", "")}


TABLE = [
    # (situation, awaited: (step, role, office whose officers act; "" = wherever held), article)
    ("NONE", set(), "nothing exists"),
    ("RECEIVED", {("ProposeRegistration", "case_manager", "")}, "Rules 23: case management numbers it"),
    ("RECEIVED+proposed", head("ApproveRegistration"), "Rules 23: the head approves"),
    (
        "RECEIVED routed upward",
        {("ForwardClue", "case_manager", ""), ("ForwardClue", "complaints_officer", "complaints")},
        "CR 15: forwarded up within 5 working days",
    ),
    ("FORWARDED", set(), "gone: nothing waits"),
    ("REGISTERED", at("supervision_1", "ProposeDisposal"), "SL 40: the handling office proposes"),
    (
        "REGISTERED+escalation proposed",
        at("supervision_1", "ProposeDisposal") | head("ApproveEscalation"),
        "提级办理: the head approves",
    ),
    ("DISPOSAL_PROPOSED", head("ApproveDisposal"), "SL 40: the head approves"),
    ("TALK_OR_LETTER", at("supervision_1", "ConcludeTalkOrLetter"), "Rules ch. 5: the report"),
    ("TALK_OR_LETTER+reported", head("ApproveTalkOrLetterConclusion"), "Rules ch. 5: approved to take effect"),
    ("SHELVED", set(), "IR2021 168: cleared periodically, nothing due"),
    ("SHELVED+clearing proposed", head("ApproveDisposal"), "IR2021 168: the disposal approval"),
    ("PRELIM_CHECK", at("supervision_1", "SubmitPrelimCheckPlan"), "Rules 33: plan and team"),
    ("PRELIM_CHECK+plan", head("ApprovePrelimCheckPlan"), "Rules 33: the head approves the plan"),
    ("PRELIM_CHECK+plan approved", at("supervision_1", "ReportPrelimCheck"), "SL 41: the report"),
    ("REPORTED", head("ApproveReport"), "SL 41: the head approves the report"),
    ("AWAITING_FILING", set(), "the cases service acts"),
    ("REPORTED after refused filing", at("supervision_1", "ReviseReportProposal"), "filing refused"),
    ("CLOSED", set(), "closed"),
    ("CASE_FILED", set(), "filed"),
]


@pytest.mark.parametrize("situation,expected,article", TABLE, ids=[row[0] for row in TABLE])
def test_each_situation_awaits_its_step_from_its_roles(situation, expected, article):
    assert {(s.step, s.role, s.office) for s in steps(fold(SITUATIONS[situation]), ROLES)} == expected, article


def test_every_situation_of_the_lifecycle_table_has_a_row():
    assert {row[0] for row in TABLE} == set(SITUATIONS)


def test_rules_33_the_party_committee_head_approves_the_plan_when_the_subject_heads_the_lower_committee():
    plan = PLANNED[:-1] + [ev.PrelimCheckPlanSubmitted(ID, "plan", ("a", "b"), True, "u-insp")]
    waits = {(s.step, s.role) for s in steps(fold(plan), ROLES)}
    assert waits == {("ApprovePrelimCheckPlan", "commission_head"), ("ApprovePrelimCheckPlan", "party_committee_head")}
    head_done = plan + [ev.PrelimCheckPlanApproved(ID, "commission_head", "u-head")]
    assert {(s.step, s.role) for s in steps(fold(head_done), ROLES)} == {
        ("ApprovePrelimCheckPlan", "party_committee_head")
    }


def test_ir2021_171_another_bodys_clue_is_forwarded_and_once_a_part_went_the_rest_is_registered():
    other = [replace(REG[0], routing="OTHER_BODY")]
    assert {s.step for s in steps(fold(other), ROLES)} == {"ForwardClue"}
    part = other + [ev.CluePartForwarded(ID, "audit office", "the tender", "theirs", "u-cm")]
    assert {s.step for s in steps(fold(part), ROLES)} == {"ProposeRegistration"}


def test_a_supervision_notice_awaits_the_office_addressed_by_its_due_date():
    noticed = REGISTERED + [ev.SupervisionNoticeIssued(ID, "N-1", "resident_group_2", LATER, "DISPOSED", "u-cm")]
    found = [s for s in steps(fold(noticed), ROLES) if s.step == "SupervisionNotice"]
    assert {(s.role, s.office, s.due_at) for s in found} == {(r, "resident_group_2", LATER) for r in OFFICERS}
    met = noticed + [ev.SupervisionNoticeSatisfied(ID, "N-1", "DISPOSAL_PROPOSED")]
    assert not [s for s in steps(fold(met), ROLES) if s.step == "SupervisionNotice"]


def timed(events, start=AT, step=timedelta(days=1)):
    return [(e, start + k * step, k + 1) for k, e in enumerate(events)]


def test_since_is_when_the_step_became_due_and_due_the_stage_deadline_of_the_scheme():
    """Default scheme: a REGISTERED clue's disposal is proposed within 15 days of registration
    (local) and the clue disposed within 1 month of receipt (national limit, unverified)."""
    history = timed(REGISTERED)  # received AT, registration approved AT + 2 days
    [first, *_] = awaiting(history, ROLES, SCHEME, CALENDAR)
    registered_at = AT + timedelta(days=2)
    assert (first.step, first.since) == ("ProposeDisposal", registered_at)
    assert first.due == min(registered_at + timedelta(days=15), AT.replace(month=6))


def test_since_survives_later_events_that_leave_the_step_waiting():
    history = timed(REGISTERED + [ev.RecusalDeclared(ID, "P-9", "NEAR_RELATIVE", "cousin", "u-cm")])
    assert {a.since for a in awaiting(history, ROLES, SCHEME, CALENDAR)} == {AT + timedelta(days=2)}


def test_a_notice_step_is_due_on_its_own_date_and_sorts_by_due():
    soon = AT + timedelta(days=4)
    noticed = REGISTERED + [ev.SupervisionNoticeIssued(ID, "N-1", "supervision_1", soon, "DISPOSED", "u-cm")]
    found = awaiting(timed(noticed), ROLES, SCHEME, CALENDAR)
    assert found[0].step == "SupervisionNotice" and found[0].due == soon
    assert found == sorted(found, key=order)


def test_items_without_a_due_date_sort_last():
    a = Awaited("A", "r", "s", "", AT, None)
    b = Awaited("B", "r", "s", "", LATER, LATER)
    assert sorted([a, b], key=order) == [b, a]


def test_a_terminal_clue_waits_for_nothing():
    assert awaiting(timed(SITUATIONS["CLOSED"]), ROLES, SCHEME, CALENDAR) == []


def test_summaries_are_one_line_of_at_most_200_characters():
    long = REGISTERED + [ev.EscalationProposed(ID, "x" * 400, "complex", "u-cm")]
    for s in steps(fold(long), Roles(approve={"clues.escalate": frozenset({"commission_head"})})):
        assert len(s.summary) <= SUMMARY_LIMIT and "\n" not in s.summary


def test_an_approver_is_never_the_proposer_so_no_approval_awaits_them():
    """Domain.md §2: an approver is never the proposer (nor the subject: the ledger's filter)."""
    plan = PLANNED  # submitted by u-insp
    proposals = {
        "ApproveRegistration": SITUATIONS["RECEIVED+proposed"],
        "ApproveDisposal": SITUATIONS["DISPOSAL_PROPOSED"],
        "ApproveTalkOrLetterConclusion": SITUATIONS["TALK_OR_LETTER+reported"],
        "ApprovePrelimCheckPlan": plan,
        "ApproveReport": SITUATIONS["REPORTED"],
        "ApproveEscalation": SITUATIONS["REGISTERED+escalation proposed"],
    }
    for step, events in proposals.items():
        [found] = [s for s in steps(fold(events), ROLES) if s.step == step]
        assert found.not_by in ("u-cm", "u-insp"), step
    assert all(not s.not_by for s in steps(fold(REGISTERED), ROLES))  # a step to perform excludes nobody


def test_the_basis_changes_with_who_acts_the_scheme_the_calendar_or_the_zone_and_nothing_else():
    same = basis(Roles(dict(ROLES.perform), dict(ROLES.approve), ROLES.anywhere), SCHEME, CALENDAR, "Asia/Shanghai")
    assert basis(ROLES, SCHEME, CALENDAR, "Asia/Shanghai") == same
    assert basis(ROLES, load_scheme(name="stage"), CALENDAR, "Asia/Shanghai") != same
    assert basis(replace(ROLES, anywhere=frozenset()), SCHEME, CALENDAR, "Asia/Shanghai") != same
    assert basis(ROLES, SCHEME, replace(CALENDAR, holidays=frozenset()), "Asia/Shanghai") != same
    assert basis(ROLES, SCHEME, CALENDAR, "UTC") != same
