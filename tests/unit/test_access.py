"""Need to know (kernel.domain.access) with the shipped catalogue: each actor of issue 17 allowed,
an officer of another office refused; holdings survive the trip through event links."""

from __future__ import annotations

import pytest

from kernel.domain.access import Holding, holding_links, holding_of_links, may_know, visible_offices
from kernel.domain.principal import Principal
from kernel.edge import catalogue

ORG = catalogue.load().organisation
FILE = ORG.holding("investigation_1", "supervision_1").with_steps("trial_review").with_approvers({"commission_head"})


def who(office: str, role: str, agency: str = "commission") -> Principal:
    return Principal(agency, office, role, f"u-{office}-{role}")


@pytest.mark.parametrize(
    "p",
    [
        who("investigation_1", "investigator"),  # holder
        who("supervision_1", "supervisor"),  # liaison
        who("trial_review", "trial_reviewer"),  # a step
        who("leadership", "commission_head"),  # an approval names the role
        who("case_management", "case_manager"),  # sees all
        who("case_management", "auditor"),
        who("deputy_leadership_1", "deputy_head"),  # oversees investigation_1
        Principal.system("scheduler"),
    ],
)
def test_each_actor_of_the_file_may_know_it(p):
    assert may_know(p, FILE, ORG)


@pytest.mark.parametrize(
    "p",
    [
        who("investigation_2", "investigator"),
        who("supervision_2", "supervisor"),
        who("complaints", "complaints_officer"),
        who("leadership", "auditor"),
        who("deputy_leadership_2", "deputy_head"),  # oversees other offices
        who("prosecution_intake", "partner_system", "procuratorate"),
        who("committee_leadership", "party_committee_head", "party_committee"),  # no approval names it here
    ],
)
def test_anyone_else_may_not(p):
    assert not may_know(p, FILE, ORG)


def test_an_unknown_holding_is_open_only_to_those_who_see_everything():
    assert may_know(who("case_management", "case_manager"), None, ORG)
    assert not may_know(who("investigation_1", "investigator"), None, ORG)


def test_a_resident_groups_files_are_liaised_by_the_catalogues_supervision_office():
    h = ORG.holding("resident_group_2")
    assert (h.holder, h.liaison) == ("resident_group_2", "supervision_2")
    assert may_know(who("supervision_2", "supervisor"), h, ORG)
    assert ORG.holding("supervision_1").liaison == "supervision_1"


def test_a_holding_survives_the_links_of_an_event():
    assert holding_of_links(holding_links(FILE)) == FILE
    assert holding_of_links([("person", "p-1", "subject")]) is None
    assert holding_of_links(holding_links(Holding("x"))) == Holding("x")


def test_list_queries_see_their_office_and_what_their_leader_oversees():
    assert visible_offices(who("case_management", "case_manager"), ORG) is None
    assert visible_offices(who("supervision_1", "supervisor"), ORG) == {"supervision_1"}
    assert "investigation_1" in visible_offices(who("deputy_leadership_1", "deputy_head"), ORG)


def test_the_catalogue_refuses_a_liaison_or_oversight_that_names_no_office():
    data = catalogue.DEFAULT_FILE.read_text().replace('liaison = "supervision_1"', 'liaison = "nowhere"', 1)
    import tomllib

    with pytest.raises(catalogue.CatalogueError, match=r"offices\.\w+\.liaison: unknown office 'nowhere'"):
        catalogue.parse(tomllib.loads(data))
