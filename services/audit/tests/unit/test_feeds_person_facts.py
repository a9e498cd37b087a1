"""Partner feeds of person facts (issue 24; domain.md §1): what a source reported about a person
reaches the organisation department when the person is a cadre it manages (selector `cadre`) and HR
when the person is a public official it keeps (selector `official`, SL 15), from the shipped file;
who reported it never leaves."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cases.v1 import events_pb2 as cases
from common.v1 import envelope_pb2, person_pb2
from services.audit.app import feed_config
from services.audit.domain import feeds
from services.audit.domain.feeds import views

SHIPPED = feed_config.load_feed_config(feed_config.DEFAULT_FILE)
REPORTED = cases.PersonFactsReported.DESCRIPTOR.full_name
AT = datetime(2026, 12, 7, 8, 30, tzinfo=timezone.utc)
ORG, HR = "organisation_department", "personnel_bureau"


def _env() -> envelope_pb2.Envelope:
    env = envelope_pb2.Envelope(event_id="e-1", stream_id="person-1", version=1, event_type=REPORTED)
    env.occurred_at.FromDatetime(AT)
    env.links.add(kind="person", id="P-1", relation="subject")
    return env


def _reported(level: int = 0, category: int = 0) -> cases.PersonFactsReported:
    """HR reports P-1 retired; the person's facts after it carry `level` and `category` if given."""
    src = person_pb2.FactSource(source=HR)
    src.as_of.FromDatetime(AT)
    service = person_pb2.Service(status=person_pb2.SERVICE_STATUS_RETIRED, source=src)
    msg = cases.PersonFactsReported(person_id="P-1", agency=HR, reported_by="u-hr")
    msg.reported.CopyFrom(person_pb2.PersonFacts(person_id="P-1", service=service))
    msg.facts.CopyFrom(person_pb2.PersonFacts(person_id="P-1", service=service))
    if level:
        msg.facts.cadre.CopyFrom(person_pb2.Cadre(level=level, source=src))
    if category:
        msg.facts.official.CopyFrom(person_pb2.PublicOfficial(category=category, source=src))
    msg.document.title, msg.document.sha256 = "退休审批表", "ab" * 32
    return msg


ROWS = [
    # (rule, facts after the report, agencies whose feed carries it)
    ("domain.md §1: a county cadre who is a civil servant: the department and HR", (5, 2), {ORG, HR}),
    ("干部管理权限: a cadre who is no public official: the department only", (5, 1), {ORG}),
    ("SL 15: a civil servant no committee manages: HR only", (1, 2), {HR}),
    ("neither a cadre nor an official: no partner", (1, 1), set()),
    ("nothing known but the retirement: no partner", (0, 0), set()),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_person_facts_reach_the_agencies_that_manage_the_person_issue_24(row):
    _, (level, category), agencies = row
    got = views(SHIPPED, _env(), _reported(level, category))
    assert set(got) == agencies
    for view in got.values():
        assert "reported_by" not in view  # who reported it stays out
        assert view["reported"]["service"]["status"] == "SERVICE_STATUS_RETIRED"
        assert view["document"]["sha256"] == "ab" * 32


def test_the_official_selector_applies_only_to_events_with_person_facts():
    assert feeds.selector_problem(cases.PersonFactsReported.DESCRIPTOR, "official") == ""
    assert "no public-official category" in feeds.selector_problem(cases.CaseWithdrawn.DESCRIPTOR, "official")
