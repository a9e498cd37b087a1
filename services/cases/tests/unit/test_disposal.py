"""Hearing, deliberation and disposal, domain.md §3-4: each row a rule, citing its article."""

from dataclasses import replace
from datetime import timedelta

import pytest

from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.facts import FactMissing, PersonFacts, PublicOfficial, Service
from kernel.domain.meetings import TOPIC_MEETING
from kernel.domain.sanctions import Combined, Violation
from services.cases.adapters import mapping
from services.cases.domain import commands as c, events as ev
from services.cases.domain.sanctioning import sanction_outcomes
from services.cases.domain.state import fold
from services.cases.tests.unit.test_case_lifecycle import (
    CASE,
    CM,
    CONSULTED,
    DECIDED,
    DELIBERATION,
    FACTS,
    HASH,
    HEAD,
    HEARD,
    MEETING,
    OTHERS,
    REVIEW,
    SANCTIONS,
    SOURCE,
    TRIAL,
    spec,
)


def person(pid, violations, *combined):
    return ev.PersonSanctions(pid, tuple(Violation(a, s) for a, s in violations), tuple(combined))


def dispose(
    sanctions=SANCTIONS, outcomes=OTHERS, facts=FACTS, meeting=MEETING, by=HEAD, transfer=(), consulted=CONSULTED
):
    return c.DisposeCase(CASE, outcomes, transfer, DECIDED, by, sanctions, facts, meeting, consulted)


def concluded(sanctions, others=OTHERS):
    return REVIEW + [ev.TrialReviewConcluded(CASE, sanction_outcomes(sanctions) + others, "u-trial", sanctions)]


def heard(sanctions, *persons, others=OTHERS):
    return concluded(sanctions, others) + [
        ev.SubjectHeard(CASE, p, "defence", "u-trial", sanction_outcomes(sanctions) + others, sanctions)
        for p in persons
    ]


# P6 (Regs 24): 严重警告 + 警告 -> 撤销党内职务 (the heaviest plus one grade).
TWO = (
    person(
        "P-1",
        [("Regs 28", "PARTY_SERIOUS_WARNING"), ("Regs 98", "PARTY_WARNING")],
        Combined("PARTY_REMOVAL_FROM_POSTS", None, ""),
    ),
)
TWO_DECIDED = (replace(TWO[0], combined=(Combined("PARTY_REMOVAL_FROM_POSTS", None, "P6"),)),)
PARTY_ONLY = (person("P-1", [("Regs 98", "PARTY_SERIOUS_WARNING")], Combined("PARTY_SERIOUS_WARNING", None, "")),)
GOV = (person("P-1", [("PSL 33", "GOVERNMENT_DEMERIT")], Combined("GOVERNMENT_DEMERIT", None, "")),)
NON_MEMBER = (replace(FACTS[0], party=replace(FACTS[0].party, member=False)),)
VILLAGE = (
    PersonFacts(
        "P-1", official=PublicOfficial("GRASSROOTS_MANAGER", False, SOURCE), service=Service("SERVING", None, SOURCE)
    ),
)
RETIRED = (replace(FACTS[0], service=Service("RETIRED", DECIDED, SOURCE)),)


def gov(sanction):
    return (person("P-1", [("PSL 33", sanction)], Combined(sanction, None, "")),)


# (rule, given, command, error, field)
REFUSALS = [
    (
        "PC 43 (P7): a Party sanction needs the person heard",
        concluded(PARTY_ONLY),
        dispose(PARTY_ONLY),
        IllegalState,
        None,
    ),
    ("PSL 43: a government sanction needs the person heard", concluded(GOV), dispose(GOV), IllegalState, None),
    (
        "PC 43: another person's hearing is not this one's",
        heard(PARTY_ONLY, "P-2"),
        dispose(PARTY_ONLY),
        IllegalState,
        None,
    ),
    (
        "Rules 56, SL 51: the standing committee's decision is required",
        HEARD,
        dispose(meeting=None),
        Validation,
        "deliberation",
    ),
    (
        "Rules 56 (local quorum): below the quorum nothing is decided",
        HEARD,
        dispose(meeting=replace(MEETING, attendees=("u-a", "u-b"))),
        Validation,
        "deliberation.attendees",
    ),
    (
        "Rules 56: a topic meeting is not the standing committee",
        HEARD,
        dispose(meeting=replace(MEETING, body=TOPIC_MEETING)),
        Validation,
        "deliberation.body",
    ),
    (
        "SL 67: who recused does not attend",
        HEARD,
        dispose(meeting=replace(MEETING, recused=("u-a",))),
        Validation,
        "deliberation.recused",
    ),
    (
        "Rules 56: the trial reviewer does not record the committee's decision",
        HEARD,
        dispose(by=TRIAL),
        Forbidden,
        None,
    ),
    (
        "P6 (Regs 24): two violations are not combined into the heaviest alone",
        heard(TWO, "P-1"),
        dispose(TWO[:0] + (replace(TWO[0], combined=(Combined("PARTY_SERIOUS_WARNING", None, ""),)),)),
        Validation,
        "sanctions[0].combined[0].mitigation",
    ),
    (
        "G3 (PSL 15): identical sanctions, a period beyond their sum",
        HEARD,
        dispose(
            (
                person(
                    "P-1",
                    [("a", "GOVERNMENT_DEMERIT"), ("b", "GOVERNMENT_DEMERIT")],
                    Combined("GOVERNMENT_DEMERIT", 30, ""),
                ),
            )
        ),
        Validation,
        "sanctions[0].combined[0].period_months",
    ),
    (
        "P1 (Regs 8): no Party sanction for a non-member",
        HEARD,
        dispose(facts=NON_MEMBER),
        Validation,
        "sanctions[0].combined[0].sanction",
    ),
    (
        "G4 (PSL 22): no 降级 for a village director",
        heard(gov("GOVERNMENT_DEMOTION"), "P-1"),
        dispose(gov("GOVERNMENT_DEMOTION"), facts=VILLAGE),
        Validation,
        "sanctions[0].combined[0].sanction",
    ),
    (
        "G6 (PSL 27): no 记过 for a retiree",
        heard(GOV, "P-1"),
        dispose(GOV, facts=RETIRED),
        Validation,
        "sanctions[0].combined[0].sanction",
    ),
    ("SL 52: the facts the rule needs are stated", HEARD, dispose(facts=()), FactMissing, None),
    (
        "SL 52: facts are about the case's subjects",
        HEARD,
        dispose(facts=FACTS + (PersonFacts("P-9"),)),
        Validation,
        "person_facts[1].person_id",
    ),
    ("SL 52: something is decided", HEARD, dispose(sanctions=(), outcomes=()), Validation, "outcomes"),
    (
        "SL 54: a transfer comes with its manifest",
        HEARD,
        dispose(outcomes=OTHERS + (ev.Outcome("TRANSFER_FOR_PROSECUTION", "P-1"),)),
        Validation,
        "transfer",
    ),
    (
        "SL 54: a manifest only with a transfer",
        HEARD,
        dispose(transfer=(ev.Document("x", HASH),)),
        Validation,
        "transfer",
    ),
    (
        "SL 54: each document by its SHA-256",
        HEARD,
        dispose(
            outcomes=OTHERS + (ev.Outcome("TRANSFER_FOR_PROSECUTION", "P-1"),), transfer=(ev.Document("x", "AB" * 32),)
        ),
        Validation,
        "transfer[0].sha256",
    ),
]


@pytest.mark.parametrize("rule,given,command,error,field", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_disposal_refusals(rule, given, command, error, field):
    err = spec.given(given).when(command).raises(error)
    if field:
        assert err.field == field


def test_missing_facts_are_named():
    err = spec.given(HEARD).when(dispose(facts=())).raises(FactMissing)
    assert err.fact == "party" and "facts.party" in str(err)


def test_rules_56_the_committee_disposes_with_its_meeting_the_violations_and_the_facts():
    """SL 51, 52; Rules 56: DELIBERATION -> DISPOSED, recorded by case management."""
    events = spec.given(HEARD).when(dispose(by=CM)).run()
    assert events == [
        ev.CaseDisposed(
            CASE, sanction_outcomes(SANCTIONS) + OTHERS, "u-cm", DECIDED, (), SANCTIONS, FACTS, MEETING, CONSULTED
        )
    ]
    state = fold(HEARD + events)
    assert state.status == "DISPOSED" and state.deliberation == MEETING and state.facts == FACTS


def test_p6_two_violations_combine_into_removal_from_posts_and_the_event_carries_both():
    given = heard(TWO, "P-1")
    [disposed] = spec.given(given).when(dispose(TWO)).run()
    assert disposed.sanctions == TWO_DECIDED
    assert [v.sanction for v in disposed.sanctions[0].violations] == ["PARTY_SERIOUS_WARNING", "PARTY_WARNING"]
    assert disposed.outcomes[0] == ev.Outcome(
        "PARTY_SANCTION", "P-1", "PARTY_REMOVAL_FROM_POSTS", "Regs 28; Regs 98", "P6"
    )


def test_g4_a_village_director_may_receive_a_major_demerit_with_the_allowance_cut():
    given = heard(gov("GOVERNMENT_MAJOR_DEMERIT"), "P-1")
    [disposed] = spec.given(given).when(dispose(gov("GOVERNMENT_MAJOR_DEMERIT"), facts=VILLAGE)).run()
    assert disposed.sanctions[0].consequences == ("ALLOWANCE_CUT",)


def test_no_sanction_needs_no_hearing():
    spec.given(DELIBERATION).when(dispose(sanctions=(), facts=())).then(
        [ev.CaseDisposed(CASE, OTHERS, "u-head", DECIDED, (), (), (), MEETING, CONSULTED)]
    )


# --- hearings (PC 43, PSL 43) ----------------------------------------------------------------------


def test_psl_43_hearing_never_makes_the_proposals_heavier():
    heavier = (person("P-1", [("Regs 98", "PARTY_PROBATION")], Combined("PARTY_PROBATION", None, "")),)
    err = (
        spec.given(concluded(PARTY_ONLY))
        .when(c.HearSubject(CASE, "P-1", "d", OTHERS, TRIAL, heavier))
        .raises(Validation)
    )
    assert err.field == "sanctions" and "PARTY_PROBATION" in str(err)
    new_family = PARTY_ONLY[:0] + (
        replace(
            PARTY_ONLY[0],
            violations=PARTY_ONLY[0].violations + GOV[0].violations,
            combined=PARTY_ONLY[0].combined + GOV[0].combined,
        ),
    )
    spec.given(concluded(PARTY_ONLY)).when(c.HearSubject(CASE, "P-1", "d", OTHERS, TRIAL, new_family)).raises(
        Validation
    )


def test_a_lighter_proposal_after_hearing_replaces_the_proposals_and_is_what_was_heard():
    lighter = (person("P-1", [("Regs 98", "PARTY_WARNING")], Combined("PARTY_WARNING", None, "")),)
    events = (
        spec.given(concluded(PARTY_ONLY)).when(c.HearSubject(CASE, "P-1", " defence ", OTHERS, TRIAL, lighter)).run()
    )
    state = fold(concluded(PARTY_ONLY) + events)
    assert state.heard == ("P-1",) and state.proposed_sanctions[0].combined[0].sanction == "PARTY_WARNING"
    assert state.heard_on[0].combined[0].sanction == "PARTY_WARNING"


def test_psl_43_a_heavier_decision_on_other_grounds_goes_back_to_a_new_hearing_then_is_decided():
    """DELIBERATION -> REHEARING -> (heard again) DELIBERATION -> DISPOSED."""
    given = heard(PARTY_ONLY, "P-1")
    heavier = (
        person(
            "P-1",
            [("Regs 98", "PARTY_SERIOUS_WARNING"), ("Regs 30", "PARTY_WARNING")],
            Combined("PARTY_REMOVAL_FROM_POSTS", None, ""),
        ),
    )
    decided = (replace(heavier[0], combined=(Combined("PARTY_REMOVAL_FROM_POSTS", None, "P6"),)),)
    again = spec.given(given).when(dispose(heavier)).run()
    assert again == [ev.RehearingRequired(CASE, ("P-1",), decided, MEETING, "u-head", DECIDED)]
    state = fold(given + again)
    assert state.status == "REHEARING" and state.rehearing == ("P-1",) and state.proposed_sanctions == decided
    spec.given(given + again).when(dispose(heavier)).raises(IllegalState)  # not before the new hearing
    rehearing = spec.given(given + again).when(c.HearSubject(CASE, "P-1", "again", OTHERS, TRIAL, heavier)).run()
    state = fold(given + again + rehearing)
    assert state.status == "DELIBERATION" and state.rehearing == ()
    [disposed] = spec.given(given + again + rehearing).when(dispose(heavier)).run()
    assert isinstance(disposed, ev.CaseDisposed) and disposed.sanctions == decided


def test_a_lighter_decision_than_what_was_heard_disposes():
    lighter = (person("P-1", [("Regs 98", "PARTY_WARNING")], Combined("PARTY_WARNING", None, "")),)
    [disposed] = spec.given(heard(PARTY_ONLY, "P-1")).when(dispose(lighter)).run()
    assert isinstance(disposed, ev.CaseDisposed)


# --- events recorded before (upcast at the edge) ------------------------------------------------------


def test_an_old_case_disposed_reads_each_sanction_outcome_as_one_violation():
    old = ev.CaseDisposed(
        CASE,
        (
            ev.Outcome("GOVERNMENT_SANCTION", "P-1", "GOVERNMENT_DEMERIT", "政务处分法 art. 33"),
            ev.Outcome("LIGHT_HANDLING", "P-2"),
        ),
        "u-head",
        DECIDED,
    )
    read = mapping.event_from_pb(mapping.event_to_pb(old))
    assert read.outcomes == old.outcomes and read.decided_by == "u-head" and read.deliberation is None
    assert read.sanctions == (
        ev.PersonSanctions(
            "P-1",
            (Violation("政务处分法 art. 33", "GOVERNMENT_DEMERIT"),),
            (Combined("GOVERNMENT_DEMERIT", None, "SINGLE"),),
        ),
    )


def test_a_new_case_disposed_round_trips():
    new = ev.CaseDisposed(CASE, sanction_outcomes(TWO_DECIDED), "u-head", DECIDED, (), TWO_DECIDED, FACTS, MEETING)
    assert mapping.event_from_pb(mapping.event_to_pb(new)) == new
    g3 = ev.PersonSanctions(
        "P-1", (Violation("a", "GOVERNMENT_DEMERIT"),) * 2, (Combined("GOVERNMENT_DEMERIT", 18, "G3"),)
    )
    rehear = ev.RehearingRequired(CASE, ("P-1",), (g3,), MEETING, "u-cm", DECIDED)
    assert mapping.event_from_pb(mapping.event_to_pb(rehear)) == rehear


@pytest.mark.parametrize(
    "consulted, missing",
    [((), "ORG_DEPARTMENT"), (CONSULTED[:1], "PARTY_COMMITTEE"), (CONSULTED[1:], "ORG_DEPARTMENT")],
)
def test_rules_56_where_the_party_committee_approved_the_filing_both_bodies_are_consulted_first(consulted, missing):
    err = spec.given(HEARD).when(dispose(consulted=consulted)).raises(IllegalState)
    assert f"{missing} not yet consulted" in err.current_state and "Rules 56" in err.current_state


@pytest.mark.parametrize(
    "consulted, field",
    [
        (
            (replace(CONSULTED[0], consulted_at=DECIDED + timedelta(hours=1)), CONSULTED[1]),
            "consultations[0].consulted_at",
        ),
        ((CONSULTED[0], CONSULTED[0]), "consultations[1].body"),
        ((replace(CONSULTED[0], body="HR"), CONSULTED[1]), "consultations[0].body"),
        ((replace(CONSULTED[0], reference=" "), CONSULTED[1]), "consultations[0].reference"),
    ],
)
def test_a_consultation_precedes_the_meeting_once_per_body_with_its_reference(consulted, field):
    assert spec.given(HEARD).when(dispose(consulted=consulted)).raises(Validation).field == field


def test_rules_56_a_person_the_party_committee_does_not_manage_needs_no_consultation():
    """The filing took the commission head's approvals only: nothing to consult."""
    given = [e for e in HEARD if getattr(e, "approver_role", "") != "party_committee_head"]
    [disposed] = spec.given(given).when(dispose(consulted=())).run()
    assert disposed.consultations == ()


def test_the_consultations_are_recorded_on_the_disposal_and_survive_the_contract():
    [disposed] = spec.given(HEARD).when(dispose()).run()
    assert disposed.consultations == CONSULTED
    assert mapping.event_from_pb(mapping.event_to_pb(disposed)) == disposed


@pytest.mark.parametrize("serious, consequences", [(False, ()), (True, ("UNIT_RECOMMENDATION",))])
def test_g5_a_15_6_person_gets_the_three_lightest_and_if_serious_a_recommendation_to_the_unit(serious, consequences):
    """G5 (PSL 23): a person performing public duties by law (SL 15(6)); 记大过 allowed, serious -> the unit acts."""
    entry = replace(gov("GOVERNMENT_MAJOR_DEMERIT")[0], serious=serious)
    facts = (replace(FACTS[0], official=PublicOfficial("OTHER_PUBLIC_DUTY", False, SOURCE)),)
    [disposed] = spec.given(heard((entry,), "P-1")).when(dispose((entry,), facts=facts)).run()
    assert disposed.sanctions[0].serious is serious and disposed.sanctions[0].consequences == consequences
