"""Outcomes besides sanctions, and each person's violations and combined sanctions as a case states
them (domain.md §3-4; the law itself is kernel.domain.sanctions, tested in tests/unit)."""

import pytest

from kernel.domain import sanctions as s
from kernel.domain.errors import Validation
from kernel.domain.person import Subject
from services.cases.domain.events import Outcome, PersonSanctions
from services.cases.domain.outcomes import GOVERNMENT_SANCTIONS, PARTY_SANCTIONS, validate_outcomes
from services.cases.domain.sanctioning import from_outcomes, person_sanctions, sanction_map, sanction_outcomes

SUBJECTS = (Subject("P-1", "Zhou Ba"), Subject("P-2", "Wu Jiu"))
V = s.Violation


def entry(person, violations, *combined):
    return PersonSanctions(person, tuple(violations), tuple(combined))


def test_the_families_are_the_kernels_lightest_first():
    assert PARTY_SANCTIONS is s.PARTY_SANCTIONS and GOVERNMENT_SANCTIONS is s.GOVERNMENT_SANCTIONS
    assert PARTY_SANCTIONS[0] == "PARTY_WARNING" and GOVERNMENT_SANCTIONS[-1] == "GOVERNMENT_DISMISSAL"


def test_valid_outcomes_come_back_cleaned():
    given = (Outcome("LIGHT_HANDLING", " P-1 ", "", " art. 1 ", " gifts "), Outcome("NO_SANCTION", "P-2"))
    assert validate_outcomes(given, SUBJECTS, "outcomes") == (
        Outcome("LIGHT_HANDLING", "P-1", "", "art. 1", "gifts"),
        Outcome("NO_SANCTION", "P-2"),
    )
    assert validate_outcomes((), SUBJECTS, "outcomes", required=False) == ()


@pytest.mark.parametrize(
    "outcomes,field",
    [
        ((), "outcomes"),
        ((Outcome("NO_SANCTION", "P-1"), Outcome("PARDON", "P-2")), "outcomes[1].kind"),
        ((Outcome("NO_SANCTION", "P-3"),), "outcomes[0].person_id"),
        ((Outcome("NO_SANCTION", " "),), "outcomes[0].person_id"),
        ((Outcome("PARTY_SANCTION", "P-1", "PARTY_WARNING", "art. 1"),), "outcomes[0].kind"),  # in `sanctions`
        ((Outcome("GOVERNMENT_SANCTION", "P-1", "GOVERNMENT_WARNING", "a"),), "outcomes[0].kind"),
        ((Outcome("LIGHT_HANDLING", "P-1", "PARTY_WARNING"),), "outcomes[0].sanction"),
        ((Outcome("ACCOUNTABILITY", "P-1", detail="x" * 4001),), "outcomes[0].detail"),
    ],
)
def test_bad_outcomes_name_the_field(outcomes, field):
    with pytest.raises(Validation) as e:
        validate_outcomes(outcomes, SUBJECTS, "outcomes")
    assert e.value.field == field


def test_two_violations_combine_by_p6_and_a_government_one_by_its_own_family():
    """P6 (Regs 24): 严重警告 + 警告 -> 撤销党内职务; a person may have one of each family."""
    given = entry(
        "P-1",
        [V(" Regs 28 ", "PARTY_SERIOUS_WARNING"), V("Regs 98", "PARTY_WARNING"), V("PSL 33", "GOVERNMENT_DEMERIT")],
        s.Combined("PARTY_REMOVAL_FROM_POSTS", None, ""),
        s.Combined("GOVERNMENT_DEMERIT", 0, "anything"),
    )
    (got,) = person_sanctions((given,), SUBJECTS, "sanctions")
    assert got.violations[0].article == "Regs 28"
    assert got.combined == (
        s.Combined("PARTY_REMOVAL_FROM_POSTS", None, s.P6),
        s.Combined("GOVERNMENT_DEMERIT", None, s.SINGLE),
    )
    assert sanction_map((got,)) == {
        ("P-1", s.PARTY): "PARTY_REMOVAL_FROM_POSTS",
        ("P-1", s.GOVERNMENT): "GOVERNMENT_DEMERIT",
    }
    assert sanction_outcomes((got,)) == (
        Outcome("PARTY_SANCTION", "P-1", "PARTY_REMOVAL_FROM_POSTS", "Regs 28; Regs 98", "P6"),
        Outcome("GOVERNMENT_SANCTION", "P-1", "GOVERNMENT_DEMERIT", "PSL 33", "SINGLE"),
    )


def test_g3_identical_government_sanctions_take_a_decided_period():
    given = entry(
        "P-2",
        [V("PSL 33", "GOVERNMENT_MAJOR_DEMERIT")] * 3,
        s.Combined("GOVERNMENT_MAJOR_DEMERIT", 36, ""),
    )
    (got,) = person_sanctions((given,), SUBJECTS, "sanctions")
    assert got.combined == (s.Combined("GOVERNMENT_MAJOR_DEMERIT", 36, s.G3),)


@pytest.mark.parametrize(
    "entries,field",
    [
        ((entry("P-9", [V("a", "PARTY_WARNING")], s.Combined("PARTY_WARNING", None, "")),), "sanctions[0].person_id"),
        ((entry("P-1", []),), "sanctions[0].violations"),
        (
            (entry("P-1", [V(" ", "PARTY_WARNING")], s.Combined("PARTY_WARNING", None, "")),),
            "sanctions[0].violations[0].article",
        ),
        ((entry("P-1", [V("a", "PARDON")]),), "sanctions[0].violations[0].sanction"),
        ((entry("P-1", [V("a", "PARTY_WARNING")]),), "sanctions[0].combined"),  # the combined one is stated
        (
            (entry("P-1", [V("a", "PARTY_WARNING")], s.Combined("GOVERNMENT_WARNING", None, "")),),
            "sanctions[0].combined[0].sanction",  # no government violation
        ),
        (
            (
                entry(
                    "P-1",
                    [V("a", "PARTY_WARNING")],
                    s.Combined("PARTY_WARNING", None, ""),
                    s.Combined("PARTY_WARNING", None, ""),
                ),
            ),
            "sanctions[0].combined[1].sanction",  # one per family
        ),
        (
            (
                entry(
                    "P-1",
                    [V("a", "PARTY_SERIOUS_WARNING"), V("b", "PARTY_WARNING")],
                    s.Combined("PARTY_SERIOUS_WARNING", None, ""),
                ),
            ),
            "sanctions[0].combined[0].mitigation",  # P6: lighter than heaviest plus one, unmitigated
        ),
        (
            (entry("P-1", [V("a", "GOVERNMENT_DEMERIT")] * 2, s.Combined("GOVERNMENT_DEMERIT", 30, "")),),
            "sanctions[0].combined[0].period_months",  # G3: 12-24 months
        ),
        (
            (
                entry("P-1", [V("a", "PARTY_WARNING")], s.Combined("PARTY_WARNING", None, "")),
                entry("P-1", [V("a", "PARTY_WARNING")], s.Combined("PARTY_WARNING", None, "")),
            ),
            "sanctions[1].person_id",
        ),
    ],
)
def test_bad_sanctions_name_the_field(entries, field):
    with pytest.raises(Validation) as e:
        person_sanctions(entries, SUBJECTS, "sanctions")
    assert e.value.field == field


def test_an_old_sanction_outcome_reads_as_one_violation_combined_single():
    """Upcast (issue 18): events recorded before violations were."""
    old = (
        Outcome("PARTY_SANCTION", "P-1", "PARTY_SERIOUS_WARNING", "Regs 98"),
        Outcome("GOVERNMENT_SANCTION", "P-1", "GOVERNMENT_DEMERIT", "PSL 33"),
        Outcome("LIGHT_HANDLING", "P-2"),
    )
    assert from_outcomes(old) == (
        entry(
            "P-1",
            [V("Regs 98", "PARTY_SERIOUS_WARNING"), V("PSL 33", "GOVERNMENT_DEMERIT")],
            s.Combined("PARTY_SERIOUS_WARNING", None, s.SINGLE),
            s.Combined("GOVERNMENT_DEMERIT", None, s.SINGLE),
        ),
    )
