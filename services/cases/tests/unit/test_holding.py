"""Need to know for cases and measures (issue 17): the holding each state gives, and who may know it,
under the shipped catalogue."""

from datetime import datetime, timezone

import pytest

from kernel.domain.access import Holding, may_know
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from services.cases.app.access import Access
from services.cases.app.measure_rules import load_measure_rules
from services.cases.domain import events as ev, measures as m
from services.cases.domain.state import fold

CAT = catalogue.load()
ACCESS, RULES, ORG = Access.of(CAT), load_measure_rules(), CAT.organisation
CASE, MEASURE = "case-1", "measure-1"
AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
OPENED = ev.FilingOpened(CASE, "clue-1", "CM-1", (Subject("P-1", "Zhou"),), "f", "supervision_1", "u-sup1")
FILED = [
    OPENED,
    ev.FilingApproved(CASE, "PARTY", "commission_head", "u-head"),
    ev.FilingApproved(CASE, "PARTY", "party_committee_head", "u-party"),
    ev.FilingApproved(CASE, "SUPERVISION", "commission_head", "u-head", "plan"),
    ev.CaseFiled(CASE, "clue-1", AT, OPENED.subjects, "supervision_1"),
]
PROPOSED = FILED + [ev.CaseHandOverProposed(CASE, "supervision_1", "investigation_1", "investigate", "u-sup1")]
HANDED = PROPOSED + [ev.CaseHandedOver(CASE, "supervision_1", "investigation_1", "u-head", "commission_head")]
REVIEWED = HANDED + [
    ev.InvestigationStarted(CASE, AT, AT, "u-inv"),
    ev.SentToTrialReview(CASE, "report", "u-inv", AT, AT),
    ev.TrialReviewConcluded(CASE, (), "u-trial"),
]


def who(office: str, role: str) -> Principal:
    return Principal(CAT.offices[office].agency, office, role, f"u-{office}")


def test_a_filing_awaiting_approvals_is_held_by_the_handling_office_and_names_the_filing_approvers():
    assert ACCESS.case(fold([OPENED])) == Holding(
        "supervision_1", "supervision_1", frozenset(), frozenset({"commission_head", "party_committee_head"})
    )


def test_a_hand_over_moves_the_holder_keeps_the_liaison_and_names_its_approver_while_pending():
    assert ACCESS.case(fold(FILED)).approvers == {"commission_head", "party_committee_head"}  # past approvals
    assert ACCESS.case(fold(PROPOSED)).holder == "supervision_1"
    assert ACCESS.case(fold(HANDED)) == Holding(
        "investigation_1", "supervision_1", frozenset(), frozenset({"commission_head", "party_committee_head"})
    )


def test_the_trial_review_office_keeps_its_step_after_the_review():
    assert ACCESS.case(fold(REVIEWED)).steps == {"trial_review"}


def test_an_older_filing_gets_its_liaison_from_the_catalogue():
    resident = ev.FilingOpened(CASE, "clue-1", "CM-1", OPENED.subjects, "f", "resident_group_1", "u-r")
    assert ACCESS.case(fold([resident])).liaison == "supervision_1"


@pytest.mark.parametrize(
    "principal,knows",
    [
        (who("investigation_1", "investigator"), True),  # holder
        (who("supervision_1", "supervisor"), True),  # liaison
        (who("trial_review", "trial_reviewer"), True),  # step
        (who("leadership", "commission_head"), True),  # approvals
        (who("committee_leadership", "party_committee_head"), True),
        (who("case_management", "case_manager"), True),  # sees all
        (who("deputy_leadership_1", "deputy_head"), True),  # oversees investigation_1
        (Principal.system("cases-filing"), True),
        (who("investigation_2", "investigator"), False),
        (who("supervision_2", "supervisor"), False),
        (who("deputy_leadership_2", "deputy_head"), False),
        (who("superior_leadership", "superior_head"), False),
        (who("prosecution_intake", "partner_officer"), False),
    ],
)
def test_who_may_know_a_reviewed_case_after_its_hand_over(principal, knows):
    assert may_know(principal, ACCESS.case(fold(REVIEWED)), ORG) is knows


def test_a_measure_is_held_as_its_case_was_and_names_its_rule_approvers_while_they_are_due():
    requested = ev.MeasureRequested(MEASURE, CASE, "DETENTION", "P-1", "investigation_1", "r", "u-inv", "supervision_1")
    chain = {"commission_head", "superior_head"}  # SL 47 at county level: the leadership, then the upper level
    assert ACCESS.measure(m.fold([requested]), RULES) == Holding(
        "investigation_1", "supervision_1", frozenset(), frozenset(chain)
    )
    active = [requested, ev.MeasureApproved(MEASURE, "superior_head", "u-sup", AT, AT)]
    assert ACCESS.measure(m.fold(active), RULES).approvers == chain  # approved it; next extension too
    extended = active + [ev.MeasureExtended(MEASURE, AT, "r", "superior_head", "u-sup")]
    assert ACCESS.measure(m.fold(extended), RULES).approvers == chain | {"national_head"}
    old = ev.MeasureRequested(MEASURE, CASE, "SEARCH", "P-1", "resident_group_1", "r", "u-r")
    assert ACCESS.measure(m.fold([old]), RULES).liaison == "supervision_1"  # an older one: the catalogue's
