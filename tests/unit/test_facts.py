"""Person facts (kernel.domain.facts) and collective decisions (kernel.domain.meetings): a round
trip through their proto, a fact a rule needs that the command lacks named as FAILED_PRECONDITION,
a meeting below its quorum refused."""

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from common.v1 import meeting_pb2, person_pb2
from kernel.domain import facts as f, meetings
from kernel.domain.errors import IllegalState, Validation
from kernel.edge.common_values import NESTED, facts_from_pb
from kernel.edge.mapping import EventMapping

AT = datetime(2026, 3, 1, tzinfo=timezone.utc)
SRC = f.FactSource("organisation_department", AT)
FACTS = f.PersonFacts(
    "P-1042",
    party=f.PartyMembership(False, SRC),
    official=f.PublicOfficial(f.GRASSROOTS_MANAGER, False, f.FactSource("unit", AT)),
    cadre=f.Cadre(f.COUNTY, True, SRC),
    posts=(f.Post("village director", False, False, True, False, True, SRC),),
    service=f.Service(f.RETIRED, AT, f.FactSource("personnel_bureau", AT)),
)


def test_facts_go_through_their_proto_and_back():
    mapping = EventMapping(person_pb2, (), NESTED)
    pb = mapping.message(person_pb2.PersonFacts, FACTS)
    assert pb.official.category == person_pb2.OFFICIAL_CATEGORY_GRASSROOTS_MANAGER
    assert facts_from_pb([pb], mapping) == (FACTS,)
    assert facts_from_pb([person_pb2.PersonFacts(person_id="P-1")], mapping) == (f.PersonFacts("P-1"),)


def test_a_fact_not_stated_is_a_failed_precondition_naming_it():
    bare = f.facts_of([FACTS], "P-7")
    assert bare == f.PersonFacts("P-7")
    with pytest.raises(IllegalState, match=r"facts\.party: the Party membership of P-7 is not stated"):
        bare.need_party()
    with pytest.raises(IllegalState, match=r"facts\.official: .*SL 15"):
        bare.need_official()
    assert not f.facts_of([FACTS], "P-1042").is_member and f.facts_of([FACTS], "P-1042").is_official


def test_a_meeting_decides_only_at_its_quorum_with_nobody_both_recused_and_attending():
    m = meetings.CollectiveDecision(
        meetings.STANDING_COMMITTEE, AT, ("u-1", "u-2", "u-3"), ("u-9",), "expel from the Party", "u-3"
    )
    quorum = {meetings.STANDING_COMMITTEE: 3}
    assert meetings.check_meeting(m, meetings.STANDING_COMMITTEE, quorum, "deliberation") == m
    with pytest.raises(Validation, match=r"deliberation\.attendees: 2 attended; .* at least 3"):
        meetings.check_meeting(
            replace(m, attendees=("u-1", "u-2", "u-2")), meetings.STANDING_COMMITTEE, quorum, "deliberation"
        )
    with pytest.raises(Validation, match=r"deliberation\.recused: u-1 recused"):
        meetings.check_meeting(replace(m, recused=("u-1",)), meetings.STANDING_COMMITTEE, quorum, "deliberation")
    with pytest.raises(Validation, match=r"meeting\.body"):
        meetings.check_meeting(m, meetings.TOPIC_MEETING, quorum, "meeting")
    with pytest.raises(Validation, match=r"deliberation: the STANDING_COMMITTEE meeting's decision is required"):
        meetings.check_meeting(None, meetings.STANDING_COMMITTEE, quorum, "deliberation")
    mapping = EventMapping(meeting_pb2, (), NESTED)
    pb = mapping.message(meeting_pb2.CollectiveDecision, m)
    assert pb.body == meeting_pb2.MEETING_BODY_STANDING_COMMITTEE
    assert mapping.dataclass_of(meetings.CollectiveDecision, pb) == m
