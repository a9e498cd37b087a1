"""A filing's facts and topic meeting for tests that only need a case filed (issue 18)."""

from datetime import datetime, timezone

from kernel.domain import facts as f
from kernel.domain.meetings import TOPIC_MEETING, CollectiveDecision
from kernel.domain.principal import Principal
from services.cases.domain import commands as c, events as ev

OFFICER = Principal("commission", "supervision_1", "supervisor", "u-officer")
_SRC = f.FactSource("organisation_department", datetime(2026, 1, 5, tzinfo=timezone.utc))


def prepare(
    case_id: str, person_id: str = "P-1", at_issue: str = "BOTH", managed: bool = False, by: Principal = OFFICER
) -> c.PrepareFiling:
    """A member and civil servant; managed: a county cadre (the shipped county commission's Party
    committee then approves after the head)."""
    facts = f.PersonFacts(
        person_id,
        f.PartyMembership(True, _SRC),
        f.PublicOfficial(f.CIVIL_SERVANT, False, _SRC),
        f.Cadre(f.COUNTY if managed else f.CITY, False, _SRC),
    )
    return c.PrepareFiling(case_id, (facts,), (ev.SubjectAtIssue(person_id, at_issue),), False, by)


def topic_meeting(case_id: str, at: datetime, by: Principal) -> c.RecordTopicMeeting:
    m = CollectiveDecision(TOPIC_MEETING, at, (by.user, "u-deputy-1", "u-deputy-2"), (), "plan and measures", "u-cm")
    return c.RecordTopicMeeting(case_id, m, by)
