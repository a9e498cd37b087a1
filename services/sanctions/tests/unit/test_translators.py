"""The inbound translator on real envelopes (issue 21 points 1 and 3): a disposal's combined
sanctions open one decision per person and family (G2/G3 PSL 15, P6 Regs 24), its impact outcomes
and a talk's 诫勉 record impacts (domain.md §5); ids derive from the source event."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from cases.v1 import events_pb2 as cases_pb2
from clues.v1 import events_pb2 as clues_pb2
from common.v1 import person_pb2
from kernel.domain import sanctions as s
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link, NewEvent
from services.sanctions.adapters.translators import decision_id_for, impact_id_for, translate
from services.sanctions.domain import commands as c

CASE = "case-00000000-0000-0000-0000-0000000000c1"
CLUE = "clue-00000000-0000-0000-0000-0000000000a1"
BY = Principal.system("sanctions-decisions")
BEIJING = timezone(timedelta(hours=8))
HELD = [("office", "investigation_1", "holder"), ("office", "supervision_1", "liaison")]
AT = datetime(2026, 11, 30, 17, tzinfo=timezone.utc)  # 1 December in Beijing


def _envelope(payload, stream_id: str, links=(), event_id="e-1"):
    event = NewEvent(event_id, payload, AT, Principal.system("t"), "c", links=tuple(Link(*x) for x in links))
    return env_mod.parse(env_mod.seal(env_mod.build(event, stream_id, 9, AT)))


def _disposed(**fields):
    msg = cases_pb2.CaseDisposed(case_id=CASE, decided_by="u-head", **fields)
    msg.decided_at.FromDatetime(AT)
    return msg


def _facts(person_id: str):
    facts = person_pb2.PersonFacts(person_id=person_id)
    facts.cadre.level = person_pb2.MANAGEMENT_LEVEL_COUNTY
    facts.cadre.source.source = "组织部"
    facts.cadre.source.as_of.FromDatetime(AT)
    return facts


def test_each_persons_combined_sanction_of_each_family_opens_one_decision_g2_p6():
    both = cases_pb2.PersonSanctions(
        person_id="P-1",
        violations=[
            cases_pb2.Violation(article="Regs 28", sanction=cases_pb2.SANCTION_TYPE_PARTY_SERIOUS_WARNING),
            cases_pb2.Violation(article="PSL 33", sanction=cases_pb2.SANCTION_TYPE_GOVERNMENT_DEMERIT),
        ],
        combined=[
            cases_pb2.CombinedSanction(sanction=cases_pb2.SANCTION_TYPE_PARTY_SERIOUS_WARNING, rule="SINGLE"),
            cases_pb2.CombinedSanction(sanction=cases_pb2.SANCTION_TYPE_GOVERNMENT_DEMERIT, rule="SINGLE"),
        ],
        consequences=["UNIT_RECOMMENDATION"],
        serious=True,
    )
    msg = _disposed(sanctions=[both], facts=[_facts("P-1"), _facts("P-2")])
    links = [("case", CASE, "case"), ("clue", CLUE, "origin"), *HELD]
    party, government = translate(_envelope(msg, CASE, links), BY, BEIJING)
    assert isinstance(party, c.OpenDecision) and isinstance(government, c.OpenDecision)
    assert party.decision_id == decision_id_for("e-1", "P-1", s.PARTY) != government.decision_id
    assert (party.family, government.family) == (s.PARTY, s.GOVERNMENT)
    assert party.violations == (s.Violation("Regs 28", "PARTY_SERIOUS_WARNING"),)
    assert government.violations == (s.Violation("PSL 33", "GOVERNMENT_DEMERIT"),)
    assert government.combined == s.Combined("GOVERNMENT_DEMERIT", None, "SINGLE")  # 0: the statutory period
    assert (party.clue_id, party.holder, party.liaison) == (CLUE, "investigation_1", "supervision_1")
    assert party.facts.person_id == "P-1" and party.facts.cadre.level == "COUNTY"
    assert (government.serious, government.consequences, government.disposed_at) == (
        True,
        ("UNIT_RECOMMENDATION",),
        AT,
    )
    assert (party.source_event_id, party.by) == ("e-1", BY)
    # a redelivery (the same event id) names the same decisions
    again = translate(_envelope(msg, CASE, links), BY, BEIJING)
    assert [x.decision_id for x in again] == [party.decision_id, government.decision_id]


def test_a_disposal_recorded_before_violations_reads_each_sanction_outcome_as_one_single():
    old = _disposed(
        outcomes=[
            cases_pb2.Outcome(
                kind=cases_pb2.OUTCOME_KIND_GOVERNMENT_SANCTION,
                person_id="P-1",
                sanction=cases_pb2.SANCTION_TYPE_GOVERNMENT_WARNING,
                article="PSL 30",
            ),
            cases_pb2.Outcome(kind=cases_pb2.OUTCOME_KIND_NO_SANCTION, person_id="P-2"),
        ]
    )
    (opened,) = translate(_envelope(old, CASE), BY, BEIJING)
    assert opened.combined == s.Combined("GOVERNMENT_WARNING", None, s.SINGLE)
    assert opened.violations == (s.Violation("PSL 30", "GOVERNMENT_WARNING"),)
    assert (opened.clue_id, opened.holder, opened.facts, opened.deliberation) == ("", "", None, None)


def test_impact_outcomes_record_impacts_on_the_disposal_day_in_the_service_zone_section_5():
    msg = _disposed(
        outcomes=[
            cases_pb2.Outcome(kind=cases_pb2.OUTCOME_KIND_ADMONISHMENT, person_id="P-1", article="Rules 37"),
            cases_pb2.Outcome(kind=cases_pb2.OUTCOME_KIND_ORGANISATIONAL_HANDLING, person_id="P-2", detail="免职"),
            cases_pb2.Outcome(kind=cases_pb2.OUTCOME_KIND_ACCOUNTABILITY, person_id="P-3"),
            cases_pb2.Outcome(kind=cases_pb2.OUTCOME_KIND_LIGHT_HANDLING, person_id="P-4"),
        ]
    )
    impacts = translate(_envelope(msg, CASE, [("clue", CLUE, "origin"), *HELD]), BY, BEIJING)
    assert [(i.kind, i.person_id) for i in impacts] == [
        ("ADMONISHMENT", "P-1"),
        ("ORGANISATIONAL_HANDLING", "P-2"),
        ("ACCOUNTABILITY", "P-3"),
    ]
    first = impacts[0]
    assert isinstance(first, c.RecordImpact)
    assert first.decision_id == impact_id_for("e-1", "P-1", "ADMONISHMENT")
    assert (first.case_id, first.clue_id, first.decided_on, first.article) == (
        CASE,
        CLUE,
        date(2026, 12, 1),
        "Rules 37",
    )
    assert (first.holder, first.liaison) == ("investigation_1", "supervision_1")


def test_a_talk_concluded_with_admonishment_records_an_impact_per_subject_of_the_clue():
    talk = clues_pb2.TalkOrLetterConcluded(
        clue_id=CLUE,
        outcome=clues_pb2.TALK_OUTCOME_LIGHT_HANDLING,
        light_handling=clues_pb2.LIGHT_HANDLING_ADMONISHMENT,
    )
    links = [("person", "P-1", "subject"), ("person", "P-2", "subject"), *HELD]
    impacts = translate(_envelope(talk, CLUE, links, "e-talk"), BY, BEIJING)
    assert [(i.person_id, i.kind, i.case_id, i.clue_id, i.decided_on) for i in impacts] == [
        ("P-1", "ADMONISHMENT", "", CLUE, date(2026, 12, 1)),
        ("P-2", "ADMONISHMENT", "", CLUE, date(2026, 12, 1)),
    ]
    assert impacts[0].holder == "investigation_1"
    criticism = clues_pb2.TalkOrLetterConcluded(
        clue_id=CLUE,
        outcome=clues_pb2.TALK_OUTCOME_LIGHT_HANDLING,
        light_handling=clues_pb2.LIGHT_HANDLING_CRITICISM_AND_EDUCATION,
    )
    assert translate(_envelope(criticism, CLUE, links), BY, BEIJING) == []


def test_other_events_are_of_no_concern():
    assert translate(_envelope(cases_pb2.CaseWithdrawn(case_id=CASE), CASE), BY, BEIJING) == []
