"""Who may know a clue, step by step (domain.md §1, issue 17), with the shipped catalogue."""

import pytest

from kernel.domain.access import Holding, may_know
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from services.clues.app.clue import Access
from services.clues.domain import events as ev
from services.clues.domain.state import Clue, fold
from services.clues.tests.unit.test_lifecycle import AT, ID, LATER, PLANNED, REG, REGISTERED, SUBJECT

ACCESS = Access.of(catalogue.load())


def held(events) -> Holding:
    return ACCESS.holding(fold(events))


def officer(office: str, role: str = "supervisor") -> Principal:
    return Principal("commission", office, role, f"u-{office}")


def test_nothing_is_held_before_the_clue_exists():
    assert ACCESS.holding(Clue()) is None


def test_the_receiving_office_holds_it_until_registration_is_approved():
    proposed = REG + [ev.RegistrationProposed(ID, "CM-1", "resident_group_1", "u-cm")]
    assert held(REG) == Holding("complaints", "complaints", frozenset({"complaints"}))
    assert held(proposed) == Holding(
        "complaints", "complaints", frozenset({"complaints"}), frozenset({"commission_head"})
    )


def test_the_handling_office_holds_it_with_the_catalogue_liaison_kept_across_escalations():
    registered = REG + [
        ev.RegistrationProposed(ID, "CM-1", "resident_group_1", "u-cm"),
        ev.RegistrationApproved(ID, "u-head"),
    ]
    assert (held(registered).holder, held(registered).liaison) == ("resident_group_1", "supervision_1")
    escalated = registered + [
        ev.EscalationProposed(ID, "supervision_2", "complex", "u-cm"),
        ev.ClueEscalated(ID, "resident_group_1", "supervision_2", "complex", "u-cm", "u-head"),
    ]
    assert (held(escalated).holder, held(escalated).liaison) == ("supervision_2", "supervision_1")
    old = registered + [ev.ClueEscalated(ID, "resident_group_1", "supervision_2", "complex", "u-head")]
    assert held(old) == held(escalated)  # recorded before approvals: the same holder and liaison


def test_steps_are_the_receiving_office_and_every_notice_addressee():
    noticed = REGISTERED + [
        ev.SupervisionNoticeIssued(ID, "N-1", "resident_group_2", LATER, "DISPOSED", "u-cm"),
        ev.SupervisionNoticeSatisfied(ID, "N-1", "CLOSED"),
    ]
    assert held(noticed).steps == {"complaints", "resident_group_2"}  # met, the step stays


def test_approvers_are_the_roles_of_pending_and_past_approvals():
    assert held(REGISTERED).approvers == {"commission_head"}  # registration approved
    committee = PLANNED[:-1] + [ev.PrelimCheckPlanSubmitted(ID, "plan", ("a", "b"), True, "u-insp")]
    assert held(committee).approvers == {"commission_head", "party_committee_head"}  # the plan's needs
    unregistered = REG + [ev.ClueForwarded(ID, "procuratorate", "jurisdiction", "u-cm")]
    assert held(unregistered).approvers == frozenset()


@pytest.mark.parametrize(
    "who,knows",
    [
        (officer("supervision_1"), True),  # the holder
        (officer("supervision_2"), False),  # another office
        (officer("complaints", "complaints_officer"), True),  # received it
        (officer("case_management", "case_manager"), True),  # sees everything
        (Principal("commission", "leadership", "commission_head", "u-head"), True),  # approved it
        (Principal("commission", "deputy_leadership_1", "deputy_head", "u-d1"), True),  # oversees supervision_1
        (Principal("commission", "deputy_leadership_2", "deputy_head", "u-d2"), False),
        (Principal("party_committee", "committee_leadership", "party_committee_head", "u-p"), False),
        (Principal.system("clues-filings"), True),
    ],
)
def test_who_may_know_a_clue_handled_by_supervision_1(who, knows):
    registered = [ev.ClueRegistered(ID, "PETITION", (SUBJECT,), "x", "commission", "complaints", AT, False)] + (
        REGISTERED[1:]
    )
    assert may_know(who, held(registered), ACCESS.organisation) is knows
