"""Filing by person (domain.md §3; services/cases/domain/filing.py), table-driven, each row citing its
article: the sides each kind of person needs (Rules 38; SL 42), the same-level Party committee head
only for the cadres it manages and only after the commission head, the fast track with that
approval and the announcement, a serious case's notices (SL 42 ¶3), missing facts named, the topic
meeting at its quorum (SL 42; Rules 39); filings recorded before keep their rules."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from cases.v1 import events_pb2
from kernel.domain import facts as f
from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.facts import FactMissing
from kernel.domain.meetings import STANDING_COMMITTEE, TOPIC_MEETING, CollectiveDecision
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from services.cases.adapters import mapping
from services.cases.domain import commands as c, events as ev
from services.cases.domain.decide import CasePolicy, decide
from services.cases.domain.filing import Commission, FilingRules
from services.cases.domain.state import fold

CASE = "case-00000000-0000-4000-8000-000000000011"
CLUE = "clue-00000000-0000-4000-8000-000000000015"
AS_OF = datetime(2026, 2, 1, tzinfo=timezone.utc)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
LATER = AT + timedelta(days=1)
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
OFFICER = Principal("commission", "supervision_1", "supervisor", "u-insp2")
INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "u-inv")
ONE = (Subject("P-1", "Zhou Ba", "bureau director"),)
SRC = f.FactSource("organisation_department", AS_OF)
spec = DeciderSpec(decide, fold)
OPENED = [ev.FilingOpened(CASE, CLUE, "CM-1", ONE, "gifts traced", "supervision_1", "u-insp", by_person=True)]
LEGACY = [ev.FilingOpened(CASE, CLUE, "CM-1", ONE, "gifts traced", "supervision_1", "u-insp")]  # before issue 18


def person(pid="P-1", member=True, category=f.CIVIL_SERVANT, level=f.NONE) -> f.PersonFacts:
    return f.PersonFacts(
        pid,
        party=f.PartyMembership(member, SRC),
        official=f.PublicOfficial(category, False, f.FactSource("personnel_bureau", AS_OF)),
        cadre=f.Cadre(level, False, SRC),
    )


def prepare(facts=None, issue="BOTH", serious=False, pid="P-1") -> c.PrepareFiling:
    facts = person() if facts is None else facts
    return c.PrepareFiling(CASE, (facts,), (ev.SubjectAtIssue(pid, issue),), serious, OFFICER)


def prepared(facts=None, issue="BOTH", serious=False, policy=CasePolicy()) -> list:
    return OPENED + decide(prepare(facts, issue, serious), fold(OPENED), policy)


def approve(side, by=HEAD, plan=""):
    return c.ApproveFiling(CASE, side, plan, AT, by)


def meeting(attendees=("u-head", "u-d1", "u-d2"), held=LATER) -> CollectiveDecision:
    return CollectiveDecision(TOPIC_MEETING, held, attendees, (), "plan: interviews, bank records", "u-cm")


def filed(history, policy=CasePolicy()) -> list:
    state = fold(history)
    for side in state.prepared.sides:
        history = history + decide(approve(side), fold(history), policy)
        if "P-1" in state.prepared.managed:
            history = history + decide(approve(side, COMMITTEE), fold(history), policy)
    assert fold(history).status == "FILED"
    return history


# --- the sides each person needs ------------------------------------------------------------------

SIDES = [
    # (member, category, at issue, sides, article)
    (True, f.NONE, "PARTY_DISCIPLINE", ("PARTY",), "Rules 38: a member, Party discipline only -> 立案审查"),
    (True, f.CIVIL_SERVANT, "PARTY_DISCIPLINE", ("PARTY",), "Rules 38: an official member, Party discipline only"),
    (False, f.CIVIL_SERVANT, "OFFICIAL_MISCONDUCT", ("SUPERVISION",), "SL 42, SL 15(1): a non-member official"),
    (False, f.GRASSROOTS_MANAGER, "OFFICIAL_MISCONDUCT", ("SUPERVISION",), "SL 42, SL 15(5): a village director"),
    (True, f.SOE_MANAGER, "OFFICIAL_MISCONDUCT", ("SUPERVISION",), "SL 42, SL 15(3): job-related only"),
    (True, f.CIVIL_SERVANT, "BOTH", ("PARTY", "SUPERVISION"), "Rules 38 commentary; SL 42: both together"),
]


@pytest.mark.parametrize("member, category, issue, sides, article", SIDES, ids=[r[-1] for r in SIDES])
def test_the_sides_follow_the_person(member, category, issue, sides, article):
    [event] = spec.given(OPENED).when(prepare(person(member=member, category=category), issue)).run()
    assert (event.sides, event.managed, event.commission_level) == (sides, (), "COUNTY")
    assert event.person_facts == (person(member=member, category=category),)  # recorded as of the filing


REFUSED = [
    (False, f.NONE, "PARTY_DISCIPLINE", "neither a Party member nor a public official", "Rules 38; SL 15"),
    (False, f.NONE, "OFFICIAL_MISCONDUCT", "neither a Party member nor a public official", "Rules 38; SL 15"),
    (False, f.CIVIL_SERVANT, "PARTY_DISCIPLINE", "not a Party member: no Party-side filing", "Rules 38"),
    (False, f.CIVIL_SERVANT, "BOTH", "not a Party member", "Rules 38"),
    (True, f.NONE, "OFFICIAL_MISCONDUCT", "not a public official (SL 15): no supervision-side", "SL 42; SL 15"),
    (True, f.NONE, "BOTH", "not a public official", "SL 42; SL 15"),
]


@pytest.mark.parametrize("member, category, issue, why, article", REFUSED, ids=[r[-1] + " " + r[2] for r in REFUSED])
def test_a_person_no_side_can_file_is_refused_naming_why(member, category, issue, why, article):
    err = spec.given(OPENED).when(prepare(person(member=member, category=category), issue)).raises(IllegalState)
    assert why in str(err) and "P-1" in str(err)


MISSING = [
    ("PARTY_DISCIPLINE", replace(person(), party=None), "party"),
    ("OFFICIAL_MISCONDUCT", replace(person(), official=None), "official"),
    ("BOTH", replace(person(), cadre=None), "cadre"),  # whether the committee manages the person
    ("PARTY_DISCIPLINE", f.PersonFacts("P-1"), "party"),
]


@pytest.mark.parametrize("issue, facts, fact", MISSING)
def test_a_fact_the_rule_needs_and_the_command_lacks_is_named(issue, facts, fact):
    err = spec.given(OPENED).when(prepare(facts, issue)).raises(FactMissing, fact=fact)
    assert f"facts.{fact}" in str(err)


def test_what_is_at_issue_and_whose_facts_are_checked_by_field():
    cmd = prepare()
    spec.given(OPENED).when(replace(cmd, at_issue=())).raises(Validation, field="at_issue")
    spec.given(OPENED).when(replace(cmd, person_facts=(person("P-9"),))).raises(
        Validation, field="person_facts[0].person_id"
    )
    spec.given(OPENED).when(prepare(issue="GUILT")).raises(Validation, field="at_issue[0].at_issue")
    # SL 42 ¶3 concerns serious job-related violations or crimes: a Party-only filing is not "serious"
    spec.given(OPENED).when(prepare(issue="PARTY_DISCIPLINE", serious=True)).raises(Validation, field="serious")


def test_the_facts_stand_once_an_approval_was_given_and_an_old_filing_states_none():
    history = prepared()
    history += decide(approve("PARTY"), fold(history))
    spec.given(history).when(prepare()).raises(
        IllegalState, current_state="FILING (approvals were given on the facts stated)"
    )
    spec.given(LEGACY).when(prepare()).raises(IllegalState)
    spec.given(OPENED).when(approve("PARTY")).raises(IllegalState)  # nothing stated: PrepareFiling first


# --- who approves: the committee head for the cadres it manages, after the commission head ------------

LEVELS = [
    # (commission level, cadre level, committee head approves?, article)
    ("COUNTY", f.COUNTY, True, "Rules 38: the county committee manages 县管 cadres"),
    ("COUNTY", f.CITY, False, "Rules 38: a 市管 cadre is not the county committee's"),
    ("COUNTY", f.NONE, False, "Rules 38: not a managed cadre"),
    ("CITY", f.CITY, True, "Rules 38: 市管"),
    ("CITY", f.COUNTY, False, "Rules 38: a 县管 cadre is not the city committee's"),
    ("PROVINCIAL", f.PROVINCIAL, True, "Rules 38: 省管"),
    ("NATIONAL", f.CENTRAL, True, "Rules 38: 中管, the Party Central Committee"),
    ("NATIONAL", f.PROVINCIAL, False, "Rules 38: a 省管 cadre is not the Centre's"),
]


@pytest.mark.parametrize("level, cadre, committee, article", LEVELS, ids=[r[-1] for r in LEVELS])
def test_the_committee_head_approves_only_the_cadres_that_committee_manages(level, cadre, committee, article):
    policy = CasePolicy(filing=FilingRules(Commission(level)))
    history = prepared(person(level=cadre), "OFFICIAL_MISCONDUCT", policy=policy)
    assert fold(history).prepared.managed == (("P-1",) if committee else ())
    after_head = decide(approve("SUPERVISION"), fold(history), policy)
    assert [type(e) for e in after_head] == ([ev.FilingApproved] if committee else [ev.FilingApproved, ev.CaseFiled])
    if committee:  # the committee head's approval, after the head's, files it
        history += after_head
        assert [type(e) for e in decide(approve("SUPERVISION", COMMITTEE), fold(history), policy)] == [
            ev.FilingApproved,
            ev.CaseFiled,
        ]
    else:
        with pytest.raises(Forbidden, match="manages no subject on the SUPERVISION side"):
            decide(approve("SUPERVISION", COMMITTEE), fold(history), policy)


def test_the_committee_head_never_acts_before_the_commission_head():
    """Rules 38: 经纪检监察机关主要负责人审批，报同级党委主要负责人批准 — in that order, to approve or refuse."""
    history = prepared(person(level=f.COUNTY), "BOTH")
    spec.given(history).when(approve("PARTY", COMMITTEE)).raises(
        IllegalState, current_state="FILING (awaiting commission_head on the PARTY side first)"
    )
    refuse = c.RejectFiling(CASE, "not now", AT, COMMITTEE)
    spec.given(history).when(refuse).raises(IllegalState)
    history += decide(approve("PARTY"), fold(history))
    assert [type(e) for e in spec.given(history).when(refuse).run()] == [ev.FilingRejected]
    # a side whose subjects the committee does not manage: its head has nothing to refuse
    unmanaged = prepared(person(level=f.CITY), "BOTH")
    unmanaged += decide(approve("PARTY"), fold(unmanaged))
    spec.given(unmanaged).when(refuse).raises(IllegalState)
    # the commission head may refuse at any time
    assert [type(e) for e in spec.given(prepared()).when(c.RejectFiling(CASE, "weak", AT, HEAD)).run()] == [
        ev.FilingRejected
    ]


def test_a_non_member_official_is_filed_on_the_supervision_side_only():
    """SL 42: 立案调查 alone; the Party side is not asked for, and not accepted."""
    history = prepared(person(member=False), "OFFICIAL_MISCONDUCT")
    spec.given(history).when(approve("PARTY")).raises(Validation, field="side")
    events = spec.given(history).when(approve("SUPERVISION")).run()
    assert events == [
        ev.FilingApproved(CASE, "SUPERVISION", "commission_head", "u-head"),
        ev.CaseFiled(CASE, CLUE, AT, ONE, "supervision_1"),
    ]
    # the plan is the topic meeting's now, not the approval's
    spec.given(history).when(approve("SUPERVISION", plan="interviews")).raises(Validation, field="plan")


def test_a_member_with_party_discipline_only_is_filed_on_the_party_side_only():
    history = prepared(person(category=f.NONE), "PARTY_DISCIPLINE")
    spec.given(history).when(approve("SUPERVISION")).raises(Validation, field="side")
    assert [type(e) for e in decide(approve("PARTY"), fold(history))] == [ev.FilingApproved, ev.CaseFiled]


def test_both_sides_file_the_case_only_when_every_needed_approval_is_in():
    history = prepared(person(level=f.COUNTY), "BOTH")
    for side, by, files in (
        ("SUPERVISION", HEAD, False),
        ("PARTY", HEAD, False),
        ("SUPERVISION", COMMITTEE, False),
        ("PARTY", COMMITTEE, True),
    ):
        events = decide(approve(side, by), fold(history))
        assert (ev.CaseFiled in [type(e) for e in events]) is files, (side, by.role)
        history += events
    spec.given(history).when(approve("PARTY")).raises(IllegalState, current_state="FILED")


RESIDENT = CasePolicy(filing=FilingRules(Commission("COUNTY", True, "superior_head")))
DISPATCHING = Principal("superior", "superior_leadership", "superior_head", "u-sup")


def test_a_resident_groups_filing_takes_the_dispatching_heads_approval_between_the_two_heads():
    """提级审批 (seed 003, local practice): the group's head, the dispatching commission's head, then
    the same-level Party committee head for its cadres (Rules 38), each side; recorded when prepared."""
    history = prepared(person(level=f.COUNTY), "OFFICIAL_MISCONDUCT", policy=RESIDENT)
    assert fold(history).prepared.escalated_to == "superior_head"
    spec_resident = DeciderSpec(lambda cmd, s: decide(cmd, s, RESIDENT), fold)
    spec_resident.given(history).when(approve("SUPERVISION", DISPATCHING)).raises(
        IllegalState, current_state="FILING (awaiting commission_head on the SUPERVISION side first)"
    )
    history += decide(approve("SUPERVISION"), fold(history), RESIDENT)
    spec_resident.given(history).when(approve("SUPERVISION", COMMITTEE)).raises(
        IllegalState, current_state="FILING (awaiting superior_head on the SUPERVISION side first)"
    )
    refused = spec_resident.given(history).when(c.RejectFiling(CASE, "not now", AT, COMMITTEE)).raises(IllegalState)
    assert "superior_head decides first" in refused.current_state
    history += decide(approve("SUPERVISION", DISPATCHING), fold(history), RESIDENT)
    events = decide(approve("SUPERVISION", COMMITTEE), fold(history), RESIDENT)
    assert [type(e) for e in events] == [ev.FilingApproved, ev.CaseFiled]


def test_a_resident_groups_fast_track_and_refusal_go_through_the_dispatching_head_too():
    history = prepared(person(level=f.CITY), "OFFICIAL_MISCONDUCT", policy=RESIDENT)
    fast = decide(c.FastTrackFiling(CASE, "clear facts", AT, HEAD), fold(history), RESIDENT)
    assert [type(e) for e in fast] == [ev.FilingApproved]  # not filed: the dispatching head approves next
    history += fast
    assert (
        decide(c.RejectFiling(CASE, "not simple", AT, DISPATCHING), fold(history), RESIDENT)[0].reason == "not simple"
    )
    filed = decide(approve("SIMPLE", DISPATCHING), fold(history), RESIDENT)
    assert [type(e) for e in filed] == [ev.FilingApproved, ev.CaseFiled]


def test_a_commissions_own_filing_names_no_dispatching_head_even_if_configured():
    policy = CasePolicy(filing=FilingRules(Commission("COUNTY", False, "superior_head")))
    assert fold(prepared(person(level=f.CITY), "OFFICIAL_MISCONDUCT", policy=policy)).prepared.escalated_to == ""


# --- the fast track (simple case) ----------------------------------------------------------------------


def test_the_fast_track_still_needs_the_committee_head_and_records_the_announcement():
    """Rules 38 (the committee head for its cadres) on the fast track too; SL 42 ¶3 the announcement."""
    history = prepared(person(level=f.COUNTY), "BOTH")
    spec.given(history).when(approve("SIMPLE", COMMITTEE)).raises(IllegalState)  # not fast-tracked yet
    fast = decide(c.FastTrackFiling(CASE, "report: facts clear", AT, HEAD), fold(history))
    assert fast == [ev.FilingApproved(CASE, "SIMPLE", "commission_head", "u-head", report="report: facts clear")]
    history += fast
    spec.given(history).when(approve("PARTY")).raises(IllegalState)  # the normal path is closed now
    history += (
        spec.given(history)
        .when(approve("SIMPLE", COMMITTEE))
        .then(
            [
                ev.FilingApproved(CASE, "SIMPLE", "party_committee_head", "u-party"),
                ev.CaseFiled(CASE, CLUE, AT, ONE, "supervision_1", True),
            ]
        )
    )
    start = c.StartInvestigation(CASE, LATER, LATER, INVESTIGATOR, at=LATER)
    spec.given(history).when(replace(start, announced_at=None)).raises(Validation, field="announced_at")
    started, sent = spec.given(history).when(start).run()  # no topic meeting: nothing to investigate
    assert started == ev.InvestigationStarted(CASE, LATER, LATER, "u-inv")
    assert (type(sent), sent.report, sent.accepted_at, fold(history + [started, sent]).status) == (
        ev.SentToTrialReview,
        "report: facts clear",
        LATER,
        "UNDER_TRIAL_REVIEW",
    )


def test_the_fast_track_of_an_unmanaged_cadre_files_on_the_heads_approval():
    history = prepared(person(member=False), "OFFICIAL_MISCONDUCT")
    events = decide(c.FastTrackFiling(CASE, "report", AT, HEAD), fold(history))
    assert [type(e) for e in events] == [ev.FilingApproved, ev.CaseFiled] and events[1].simple


# --- topic meeting, announcement, serious cases ------------------------------------------------------


def test_the_investigation_starts_after_the_topic_meeting_at_its_quorum():
    """SL 42; Rules 39: the head chairs a topic meeting on plan and measures; quorum configured."""
    history = filed(prepared())
    start = c.StartInvestigation(CASE, LATER, LATER, INVESTIGATOR)
    spec.given(history).when(start).raises(
        IllegalState, current_state="FILED (no topic meeting on plan and measures yet: SL 42; Rules 39)"
    )
    record = c.RecordTopicMeeting(CASE, meeting(), HEAD)
    spec.given(history).when(replace(record, by=INVESTIGATOR)).raises(Forbidden)
    spec.given(history).when(replace(record, meeting=None)).raises(Validation, field="meeting")
    spec.given(history).when(replace(record, meeting=meeting(("u-head", "u-d1")))).raises(
        Validation, field="meeting.attendees"
    )
    spec.given(history).when(replace(record, meeting=meeting(held=AT - timedelta(hours=1)))).raises(
        Validation, field="meeting.held_at"
    )
    spec.given(history).when(replace(record, meeting=meeting(("u-d1", "u-d2", "u-d3")))).raises(
        Validation, field="meeting.attendees"
    )  # the head chairs it
    spec.given(history).when(replace(record, meeting=replace(meeting(), body=STANDING_COMMITTEE))).raises(
        Validation, field="meeting.body"
    )
    held = spec.given(history).when(record).then([ev.TopicMeetingHeld(CASE, meeting(), "u-head")])
    spec.given(history + held).when(record).raises(IllegalState)
    assert spec.given(history + held).when(start).run() == [ev.InvestigationStarted(CASE, LATER, LATER, "u-inv")]
    # the quorum is configuration (local practice)
    five = CasePolicy(filing=FilingRules(quorum={TOPIC_MEETING: 5}))
    with pytest.raises(Validation, match="at least 5"):
        decide(record, fold(history), five)


def test_a_serious_case_notifies_the_family_and_publishes_before_the_investigation():
    """SL 42 ¶3: 涉嫌严重职务违法或者职务犯罪的，应当通知被调查人家属，并向社会公开发布."""
    history = filed(prepared(serious=True))
    history += decide(c.RecordTopicMeeting(CASE, meeting(), HEAD), fold(history))
    start = c.StartInvestigation(CASE, LATER, LATER, INVESTIGATOR)
    spec.given(history).when(start).raises(Validation, field="family_notified_at")
    spec.given(history).when(replace(start, family_notified_at=LATER)).raises(Validation, field="published_at")
    spec.given(history).when(replace(start, family_notified_at=LATER, published_at=AT - timedelta(days=1))).raises(
        Validation, field="published_at"
    )
    complete = replace(start, family_notified_at=LATER, published_at=LATER)
    spec.given(history).when(complete).then([ev.InvestigationStarted(CASE, LATER, LATER, "u-inv", LATER, LATER)])
    ordinary = filed(prepared())
    ordinary += decide(c.RecordTopicMeeting(CASE, meeting(), HEAD), fold(ordinary))
    spec.given(ordinary).when(complete).raises(Validation, field="family_notified_at")


# --- filings recorded before issue 18 keep their rules ------------------------------------------------


def test_an_old_filing_reads_and_goes_on_as_before():
    """An old FilingOpened (no by_person) upcasts to both sides, the committee head on the Party side."""
    old = events_pb2.FilingOpened(case_id=CASE, clue_id=CLUE, findings="f", handling_office="supervision_1")
    assert mapping.event_from_pb(old).by_person is False
    history = LEGACY + [ev.FilingApproved(CASE, "SUPERVISION", "commission_head", "u-head", "plan")]
    spec.given(history).when(approve("PARTY", COMMITTEE)).raises(IllegalState)  # still never before the head
    history += decide(approve("PARTY"), fold(history))
    history += (
        spec.given(history)
        .when(approve("PARTY", COMMITTEE))
        .then(
            [
                ev.FilingApproved(CASE, "PARTY", "party_committee_head", "u-party"),
                ev.CaseFiled(CASE, CLUE, AT, ONE, "supervision_1"),
            ]
        )
    )
    spec.given(LEGACY).when(approve("SUPERVISION")).raises(Validation, field="plan")  # as before
    # no topic meeting was required of them
    assert [type(e) for e in decide(c.StartInvestigation(CASE, LATER, LATER, INVESTIGATOR), fold(history))] == [
        ev.InvestigationStarted
    ]
    fast = decide(c.FastTrackFiling(CASE, "report", AT, HEAD), fold(LEGACY))
    assert [type(e) for e in fast] == [ev.FilingApproved, ev.CaseFiled, ev.SentToTrialReview]


def test_the_new_filing_events_survive_their_proto():
    for event in (
        prepared(person(level=f.COUNTY), serious=True)[-1],
        ev.TopicMeetingHeld(CASE, meeting(), "u-head"),
        ev.InvestigationStarted(CASE, LATER, LATER, "u-inv", LATER, LATER),
        ev.FilingApproved(CASE, "SIMPLE", "commission_head", "u-head", report="r"),
        OPENED[0],
    ):
        assert (
            mapping.event_from_pb(
                type(mapping.event_to_pb(event)).FromString(mapping.event_to_pb(event).SerializeToString())
            )
            == event
        )
