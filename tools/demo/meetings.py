"""What the case story's steps are given: the subjects' facts with their source, the meetings
(SL 42, 47, 51; Rules 39, 56), the consultations and the sanctions (P6, G2). Pure builders."""

from __future__ import annotations

from cases.v1 import events_pb2 as cev, service_pb2 as cpb
from common.v1 import meeting_pb2, person_pb2
from kernel.domain.principal import Principal
from tools.demo.cast import CASE_MANAGER
from tools.demo.plan import CaseSpec

SOURCE = "organisation_department"


def filing_subject(spec: CaseSpec, src: person_pb2.FactSource) -> cpb.FilingSubject:
    """A county-managed Party member and civil servant suspected of both (Rules 38; SL 42)."""
    return cpb.FilingSubject(
        person_id=spec.person.person_id,
        at_issue=cev.AT_ISSUE_BOTH,
        party=person_pb2.PartyMembership(member=True, source=src),
        official=person_pb2.PublicOfficial(category=person_pb2.OFFICIAL_CATEGORY_CIVIL_SERVANT, source=src),
        cadre=person_pb2.Cadre(level=person_pb2.MANAGEMENT_LEVEL_COUNTY, source=src),
    )


def person_facts(spec: CaseSpec, src: person_pb2.FactSource) -> person_pb2.PersonFacts:
    """What the disposal's eligibility rules read (P1, PSL 2, G6): a serving county cadre holding a
    Party post (P3: 撤销党内职务 needs one), so the county Party committee approves the decision."""
    return person_pb2.PersonFacts(
        person_id=spec.person.person_id,
        party=person_pb2.PartyMembership(member=True, source=src),
        official=person_pb2.PublicOfficial(category=person_pb2.OFFICIAL_CATEGORY_CIVIL_SERVANT, source=src),
        service=person_pb2.Service(status=person_pb2.SERVICE_STATUS_SERVING, source=src),
        cadre=person_pb2.Cadre(level=person_pb2.MANAGEMENT_LEVEL_COUNTY, source=src),
        posts=[person_pb2.Post(title=f"{spec.person.unit}党组成员", party_post=True, source=src)],
    )


def sanctions(spec: CaseSpec) -> cev.PersonSanctions:
    """Two Party violations combined into 撤销党内职务 (P6, Regs 24) and the government sanction."""
    government = cev.SanctionType.Value(f"SANCTION_TYPE_{spec.government}")
    return cev.PersonSanctions(
        person_id=spec.person.person_id,
        violations=[
            cev.Violation(article="纪律处分条例 art. 28", sanction=cev.SANCTION_TYPE_PARTY_SERIOUS_WARNING),
            cev.Violation(article="纪律处分条例 art. 98", sanction=cev.SANCTION_TYPE_PARTY_WARNING),
            cev.Violation(article=spec.article, sanction=government),
        ],
        combined=[
            cev.CombinedSanction(sanction=cev.SANCTION_TYPE_PARTY_REMOVAL_FROM_POSTS),
            cev.CombinedSanction(sanction=government),
        ],
    )


def meeting(body, held_at, attendees: list[str], outcome: str) -> meeting_pb2.CollectiveDecision:
    return meeting_pb2.CollectiveDecision(
        body=body, held_at=held_at, attendees=attendees, outcome=outcome, minutes_by=CASE_MANAGER.user
    )


def topic_meeting(held_at) -> meeting_pb2.CollectiveDecision:
    """The head's topic meeting on the plan and measures (SL 42; Rules 39), quorum 3."""
    return meeting(
        meeting_pb2.MEETING_BODY_TOPIC_MEETING,
        held_at,
        ["zhang.jianguo", "he.ping", "qian.li"],
        "谈话、调取银行流水，必要时采取留置措施",
    )


def leadership(by: Principal, held_at, outcome: str) -> meeting_pb2.CollectiveDecision:
    """A leadership's collective decision on a detention (SL 47), quorum 3."""
    return meeting(
        meeting_pb2.MEETING_BODY_LEADERSHIP, held_at, [by.user, f"{by.user}.deputy1", f"{by.user}.deputy2"], outcome
    )


def standing_committee(held_at) -> meeting_pb2.CollectiveDecision:
    """The standing committee's deliberation (Rules 56; SL 51), quorum 5."""
    members = ["zhang.jianguo", "he.ping", "qian.li", "feng.xue", "tang.bo", "deng.hui"]
    return meeting(meeting_pb2.MEETING_BODY_STANDING_COMMITTEE, held_at, members, "给予党纪政务处分")


def consultations(at) -> list[meeting_pb2.Consultation]:
    """Rules 56: the organisation department and the person's Party committee, consulted first."""
    return [
        meeting_pb2.Consultation(body=meeting_pb2.CONSULTED_BODY_ORG_DEPARTMENT, consulted_at=at, reference="县组干函〔2026〕12号"),
        meeting_pb2.Consultation(body=meeting_pb2.CONSULTED_BODY_PARTY_COMMITTEE, consulted_at=at, reference="县委函〔2026〕7号"),
    ]  # fmt: skip
