"""Person facts from their sources (issue 24; domain.md §1): who reports which part, how the latest
is kept, and how a command that needs facts takes them (one row per rule)."""

from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain import facts as f
from kernel.domain.errors import Forbidden, Validation
from kernel.domain.ids import check_stream_id, person_stream_id
from services.cases.domain import events as ev, person_facts as pf

AT = datetime(2026, 6, 1, tzinfo=timezone.utc)
ORG, HR = pf.ORG_DEPT, pf.HR
DOC = ev.Document("退休审批表", "ab" * 32)


def src(agency, at=AT):
    return f.FactSource(agency, at)


def report(agency, **parts):
    return pf.ReportPersonFacts("P-1", agency, f.PersonFacts("P-1", **parts), DOC, AT, "u-partner")


def post(title, party, agency):
    return f.Post(title, party, False, False, False, False, src(agency))


PARTY = f.PartyMembership(True, src(ORG))
OFFICIAL = f.PublicOfficial("CIVIL_SERVANT", False, src(HR))
CADRE = f.Cadre("COUNTY", False, src(ORG))
RETIRED = f.Service("RETIRED", AT, src(HR))


@pytest.mark.parametrize(
    "cmd",
    [
        report(ORG, party=PARTY),  # §1: Party membership, org dept
        report(ORG, cadre=CADRE),  # §1: cadre management level, org dept
        report(ORG, posts=(post("county Party secretary", True, ORG),)),  # §1: Party posts, org dept
        report(HR, official=OFFICIAL),  # §1: public-official category (SL 15), HR
        report(HR, service=RETIRED),  # §1: retired (PSL 27), HR
        report(HR, posts=(post("director, housing bureau", False, HR),)),  # §1: non-Party posts, HR
    ],
    ids=["party_org", "cadre_org", "party_post_org", "official_hr", "retired_hr", "post_hr"],
)
def test_domain_1_each_source_reports_its_own_parts(cmd):
    (event,) = pf.decide(cmd, pf.PersonRecord())
    assert event.agency == cmd.agency and event.facts.person_id == "P-1"


@pytest.mark.parametrize(
    "cmd, field",
    [
        (report(HR, party=f.PartyMembership(True, src(HR))), "party"),  # §1: membership is the org dept's
        (report(HR, cadre=f.Cadre("COUNTY", False, src(HR))), "cadre"),
        (report(ORG, service=f.Service("RETIRED", AT, src(ORG))), "service"),  # PSL 27 status is HR's
        (report(ORG, official=f.PublicOfficial("NONE", False, src(ORG))), "official"),
        (report(ORG, posts=(post("director", False, ORG),)), "posts[0]"),  # non-Party posts are HR's
        (report(HR, posts=(post("branch secretary", True, HR),)), "posts[0]"),  # Party posts the org dept's
        (report(HR, service=f.Service("RETIRED", AT, src(ORG))), "service.source.source"),  # source = reporter
        (report(HR), "party"),  # nothing reported
    ],
    ids=["hr_party", "hr_cadre", "org_service", "org_official", "org_state_post", "hr_party_post", "source", "none"],
)
def test_domain_1_another_sources_part_is_refused_naming_the_field(cmd, field):
    with pytest.raises(Validation) as e:
        pf.decide(cmd, pf.PersonRecord())
    assert e.value.field == field


def test_domain_1_an_agency_that_is_no_source_is_refused():
    with pytest.raises(Forbidden):
        pf.decide(report("court", service=f.Service("RETIRED", AT, src("court"))), pf.PersonRecord())


def fold(*cmds):
    state = pf.PersonRecord()
    for cmd in cmds:
        for e in pf.decide(cmd, state):
            state = pf.evolve(state, e)
    return state


def test_reports_of_both_sources_add_up():
    state = fold(report(ORG, party=PARTY, cadre=CADRE), report(HR, service=RETIRED))
    assert (state.facts.party, state.facts.cadre, state.facts.service) == (PARTY, CADRE, RETIRED)
    assert state.reports == 2


def test_the_latest_dated_fact_holds_an_older_report_is_recorded_but_does_not_replace_it():
    later = f.Service("SERVING", None, src(HR, AT + timedelta(days=30)))
    assert fold(report(HR, service=later), report(HR, service=RETIRED)).facts.service == later
    assert fold(report(HR, service=RETIRED), report(HR, service=later)).facts.service == later


def test_a_posts_report_replaces_that_agencys_posts_only():
    party, state_post = post("county Party secretary", True, ORG), post("county head", False, HR)
    state = fold(report(ORG, posts=(party,)), report(HR, posts=(state_post,)))
    new = post("deputy head", False, HR)
    assert fold(report(ORG, posts=(party,)), report(HR, posts=(state_post,)), report(HR, posts=(new,))).facts.posts == (
        party,
        new,
    )
    assert state.facts.posts == (party, state_post)


def test_a_person_stream_is_person_uuid5_of_the_person_id():
    stream = person_stream_id("P-1")
    assert check_stream_id(stream, "person", "x") == stream == person_stream_id("P-1") != person_stream_id("P-2")


REPORTED = {"P-1": f.PersonFacts("P-1", party=PARTY, service=RETIRED)}


def test_issue_24_a_person_stated_nothing_about_takes_the_reported_facts():
    assert pf.resolve((), REPORTED, "", "person_facts") == (REPORTED["P-1"],)
    assert pf.resolve((f.PersonFacts("P-1"),), REPORTED, "", "subjects") == (REPORTED["P-1"],)


def test_issue_24_a_part_not_stated_comes_from_the_reported():
    stated = f.PersonFacts("P-1", cadre=CADRE)
    (got,) = pf.resolve((stated,), REPORTED, "the org dept's record is a year old", "subjects")
    assert (got.party, got.cadre, got.service) == (PARTY, CADRE, RETIRED)


def test_issue_24_stating_facts_of_a_person_with_reported_facts_needs_a_reason():
    with pytest.raises(Validation) as e:
        pf.resolve((f.PersonFacts("P-1", service=f.Service("SERVING", None, src("commission"))),), REPORTED, " ", "x")
    assert e.value.field == "facts_reason"


def test_issue_24_a_person_without_reports_is_decided_on_what_is_stated():
    stated = (f.PersonFacts("P-2", party=PARTY),)
    assert pf.resolve(stated, {}, "", "person_facts") == stated


def test_issue_24_the_reason_has_a_limit():
    with pytest.raises(Validation) as e:
        pf.check_reason("x" * 501)
    assert e.value.field == "facts_reason"


def test_issue_24_a_filing_takes_only_the_parts_a_filing_report_states():
    (got,) = pf.resolve((f.PersonFacts("P-1"),), REPORTED, "", "subjects", pf.FILING_PARTS)
    assert (got.party, got.service) == (PARTY, None)


def test_both_sources_posts_together_are_within_the_contracts_bound():
    many = tuple(post(f"Party post {i}", True, ORG) for i in range(12))
    with pytest.raises(Validation) as e:
        fold(report(ORG, posts=many), report(HR, posts=tuple(post(f"post {i}", False, HR) for i in range(9))))
    assert e.value.field == "posts"
