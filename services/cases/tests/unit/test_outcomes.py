"""Outcome vocabulary, validation and severity (domain.md §3-4)."""

import pytest

from kernel.domain.errors import Validation
from kernel.domain.person import Subject
from services.cases.domain.events import Outcome
from services.cases.domain.outcomes import (
    GOVERNMENT_SANCTIONS,
    PARTY_SANCTIONS,
    check_not_heavier,
    heavier,
    not_heavier,
    validate_outcomes,
)

SUBJECTS = (Subject("P-1", "Zhou Ba"), Subject("P-2", "Wu Jiu"))


def party(sanction, person="P-1"):
    return Outcome("PARTY_SANCTION", person, sanction, "纪律处分条例 art. 98")


def gov(sanction, person="P-1"):
    return Outcome("GOVERNMENT_SANCTION", person, sanction, "政务处分法 art. 33")


def test_sanctions_are_listed_lightest_first():
    assert PARTY_SANCTIONS == (
        "PARTY_WARNING",
        "PARTY_SERIOUS_WARNING",
        "PARTY_REMOVAL_FROM_POSTS",
        "PARTY_PROBATION",
        "PARTY_EXPULSION",
    )
    assert GOVERNMENT_SANCTIONS == (
        "GOVERNMENT_WARNING",
        "GOVERNMENT_DEMERIT",
        "GOVERNMENT_MAJOR_DEMERIT",
        "GOVERNMENT_DEMOTION",
        "GOVERNMENT_REMOVAL",
        "GOVERNMENT_DISMISSAL",
    )


def test_valid_outcomes_come_back_cleaned():
    given = (Outcome("PARTY_SANCTION", " P-1 ", "PARTY_WARNING", " art. 1 ", " gifts "), Outcome("NO_SANCTION", "P-2"))
    assert validate_outcomes(given, SUBJECTS, "outcomes") == (
        Outcome("PARTY_SANCTION", "P-1", "PARTY_WARNING", "art. 1", "gifts"),
        Outcome("NO_SANCTION", "P-2"),
    )


@pytest.mark.parametrize(
    "outcomes,field",
    [
        ((), "outcomes"),
        ((Outcome("NO_SANCTION", "P-1"), Outcome("PARDON", "P-2")), "outcomes[1].kind"),
        ((Outcome("NO_SANCTION", "P-3"),), "outcomes[0].person_id"),
        ((Outcome("NO_SANCTION", " "),), "outcomes[0].person_id"),
        ((Outcome("PARTY_SANCTION", "P-1", "", "art. 1"),), "outcomes[0].sanction"),
        ((party("PARTY_WARNING"), Outcome("PARTY_SANCTION", "P-2", "GOVERNMENT_WARNING", "a")), "outcomes[1].sanction"),
        ((Outcome("GOVERNMENT_SANCTION", "P-1", "PARTY_EXPULSION", "a"),), "outcomes[0].sanction"),
        ((Outcome("LIGHT_HANDLING", "P-1", "PARTY_WARNING"),), "outcomes[0].sanction"),
        ((Outcome("PARTY_SANCTION", "P-1", "PARTY_WARNING", " "),), "outcomes[0].article"),
        ((Outcome("GOVERNMENT_SANCTION", "P-1", "GOVERNMENT_WARNING"),), "outcomes[0].article"),
        ((Outcome("ACCOUNTABILITY", "P-1", detail="x" * 4001),), "outcomes[0].detail"),
        ((party("PARTY_WARNING"), party("PARTY_EXPULSION")), "outcomes[1].kind"),  # one per family
    ],
)
def test_bad_outcomes_name_the_field(outcomes, field):
    with pytest.raises(Validation) as e:
        validate_outcomes(outcomes, SUBJECTS, "outcomes")
    assert e.value.field == field


def test_one_sanction_of_each_family_for_one_person_is_fine():
    assert len(validate_outcomes((party("PARTY_EXPULSION"), gov("GOVERNMENT_DISMISSAL")), SUBJECTS, "o")) == 2


@pytest.mark.parametrize("family", [PARTY_SANCTIONS, GOVERNMENT_SANCTIONS], ids=["party", "government"])
def test_within_a_family_only_lighter_or_equal_is_not_heavier(family):
    make = party if family is PARTY_SANCTIONS else gov
    for i, before in enumerate(family):
        for j, after in enumerate(family):
            assert not_heavier((make(before),), (make(after),)) == (j <= i), (before, after)


@pytest.mark.parametrize(
    "before,after,ok",
    [
        ((party("PARTY_PROBATION"),), (), True),  # dropped
        ((party("PARTY_PROBATION"),), (Outcome("NO_SANCTION", "P-1"),), True),
        ((party("PARTY_WARNING"),), (party("PARTY_WARNING"), gov("GOVERNMENT_WARNING")), False),  # new family
        ((gov("GOVERNMENT_DEMERIT"),), (gov("GOVERNMENT_DEMERIT"), party("PARTY_WARNING")), False),
        ((party("PARTY_EXPULSION"),), (party("PARTY_WARNING", "P-2"),), False),  # new person
        ((party("PARTY_WARNING"), gov("GOVERNMENT_DISMISSAL")), (gov("GOVERNMENT_WARNING"),), True),
    ],
)
def test_new_sanctions_are_heavier_dropped_ones_are_not(before, after, ok):
    assert not_heavier(before, after) is ok


def test_the_refusal_names_the_field_and_says_what_got_heavier():
    assert heavier((party("PARTY_WARNING"),), (party("PARTY_PROBATION"),)) == [
        "P-1 gets PARTY_PROBATION, heavier than PARTY_WARNING"
    ]
    with pytest.raises(Validation) as e:
        check_not_heavier((), (gov("GOVERNMENT_WARNING", "P-2"),), "proposals")
    assert e.value.field == "proposals" and "P-2 gets GOVERNMENT_WARNING" in str(e.value)
