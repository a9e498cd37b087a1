"""Person facts from their sources, end to end (issue 24 points 2 and 4; domain.md §1, G6 of §4a).

A clue about a county-managed cadre and civil servant is filed and investigated (the filing report
states the facts the officer had then); the trial review proposes a Party warning and a 记过. Then
the organisation department reports the person's membership and cadre level and HR reports the
retirement (PSL 27), each over `PersonFactsService.ReportPersonFacts` as itself, with the document
by hash. The standing committee's decision, recorded with no facts stated, is decided on the
reported ones: the 记过 is refused by G6 (no government sanction for a retiree; the benefit
adjustment is the lawful outcome at 降级 level and up), an officer stating the person still serves
needs a reason, and the Party warning alone is disposed with the reported facts on CaseDisposed.
Over Kafka, the audit service's feeds carry the reports: the organisation department's (the person
is a cadre it manages) and HR's (a public official it keeps), never who reported, and no other
partner's."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev, person_facts_pb2 as ppb, person_facts_pb2_grpc
from common.v1 import person_pb2
from kernel.domain.ids import person_stream_id
from kernel.domain.principal import Principal
from services.cases.domain import events as ev
from tests.e2e.platforms import start_platform
from tests.e2e.test_clue_lifecycle import HEAD, Client
from tests.factories import call_metadata, service_settings, wait_until
from tests.stories import (
    INSPECTOR,
    INVESTIGATOR,
    REVIEWER,
    Cases,
    consultations,
    deliberation,
    file_from_a_clue,
    topic_meeting,
    ts,
)

ORG_DEPT = Principal("organisation_department", "cadre_management", "partner_system", "u-org-gateway")
HR = Principal("personnel_bureau", "personnel_records", "partner_system", "u-hr-gateway")
PERSON = "P-R27"
RETIRED_ON = datetime.now(timezone.utc) - timedelta(days=3)
APPROVAL = cev.DocumentRef(title="退休审批表", sha256="7e" * 32)
REPORTED = "cases.v1.PersonFactsReported"


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    """Clues, cases and audit (the feeds) of the shipped COUNTY commission, each in its own schema."""
    data = tmp_path_factory.mktemp("person-facts")

    hosts = await start_platform(database_url, bootstrap, data, "pf", ("clues", "cases", "audit"), clocked=None)
    yield hosts
    for host in hosts:
        await host.stop()


async def report(cases, who: Principal, **parts):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch:
        stub = person_facts_pb2_grpc.PersonFactsServiceStub(ch)
        md = call_metadata(cases.settings, who, request_id=str(uuid.uuid4()), correlation="corr-person")
        return await stub.ReportPersonFacts(
            ppb.ReportPersonFactsRequest(person_id=PERSON, document=APPROVAL, **parts), metadata=md
        )


def source(agency: str) -> person_pb2.FactSource:
    return person_pb2.FactSource(source=agency, as_of=ts(RETIRED_ON))


def proposed() -> cev.PersonSanctions:
    """A Party warning (Regs 98) and a 记过 (PSL 32), each combined to itself."""
    warning, demerit = cev.SANCTION_TYPE_PARTY_WARNING, cev.SANCTION_TYPE_GOVERNMENT_DEMERIT
    return cev.PersonSanctions(
        person_id=PERSON,
        violations=[
            cev.Violation(article="纪律处分条例 art. 98", sanction=warning),
            cev.Violation(article="政务处分法 art. 32", sanction=demerit),
        ],
        combined=[cev.CombinedSanction(sanction=warning), cev.CombinedSanction(sanction=demerit)],
    )


def party_only() -> cev.PersonSanctions:
    whole = proposed()
    return cev.PersonSanctions(person_id=PERSON, violations=whole.violations[:1], combined=whole.combined[:1])


async def to_deliberation(api: Cases, case_id: str) -> None:
    """The filed case investigated, trial-reviewed with `proposed()` and the person heard on it."""
    await api("RecordTopicMeeting", HEAD, case_id=case_id, meeting=topic_meeting())
    await api("ProposeHandOver", INSPECTOR, case_id=case_id, to_office="investigation_1", reason="filed: investigate")
    await api("ApproveHandOver", HEAD, case_id=case_id)
    now = ts(datetime.now(timezone.utc))
    await api("StartInvestigation", INVESTIGATOR, case_id=case_id, announced_at=now, unit_notified_at=now)
    await api("SendToTrialReview", INVESTIGATOR, case_id=case_id, report="report no. 27")
    await api("ConcludeTrialReview", REVIEWER, case_id=case_id, sanctions=[proposed()])
    await api("HearSubject", REVIEWER, case_id=case_id, person_id=PERSON, statement="I accept", sanctions=[proposed()])


async def feed_views(audit, agency: str) -> list[dict]:
    rows = await audit.pool.fetch(
        f"SELECT entry FROM {audit.settings.schema}.feed_entries WHERE event_type = $1 AND stream_id = $2 "
        "AND agency = $3 ORDER BY position",
        REPORTED,
        person_stream_id(PERSON),
        agency,
    )
    return [json.loads(bytes(r["entry"])) for r in rows]


async def test_an_hr_retirement_report_changes_what_the_next_disposal_may_be_g6_psl_27(platform):
    clues, cases, audit = platform
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1,
        grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch2,
    ):
        client, api = Client(clues, ch1), Cases(cases, ch2)
        story = await file_from_a_clue(clues, client, api, (PERSON,))
        await to_deliberation(api, story.case_id)

        # the sources report: the department the membership and cadre level, HR the category and retirement
        await report(
            cases,
            ORG_DEPT,
            party=person_pb2.PartyMembership(member=True, source=source(ORG_DEPT.agency)),
            cadre=person_pb2.Cadre(level=person_pb2.MANAGEMENT_LEVEL_COUNTY, source=source(ORG_DEPT.agency)),
        )
        after = await report(
            cases,
            HR,
            official=person_pb2.PublicOfficial(
                category=person_pb2.OFFICIAL_CATEGORY_CIVIL_SERVANT, source=source(HR.agency)
            ),
            service=person_pb2.Service(
                status=person_pb2.SERVICE_STATUS_RETIRED, since=ts(RETIRED_ON), source=source(HR.agency)
            ),
        )
        assert (after.version, after.facts.service.status) == (2, person_pb2.SERVICE_STATUS_RETIRED)

        decision = dict(case_id=story.case_id, deliberation=deliberation(5), consultations=consultations())
        # G6 (PSL 27): the 记过 for the retiree is refused on the reported facts, naming the lawful outcome
        refused = await api.refused("DisposeCase", HEAD, sanctions=[proposed()], **decision)
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "G6 (PSL 27)" in refused.details() and "BENEFIT_ADJUSTMENT" in refused.details()
        # an officer saying the person still serves must say why the source's report does not hold
        serving = person_pb2.PersonFacts(
            person_id=PERSON,
            service=person_pb2.Service(status=person_pb2.SERVICE_STATUS_SERVING, source=source("commission")),
        )
        stated = await api.refused("DisposeCase", HEAD, sanctions=[proposed()], person_facts=[serving], **decision)
        assert stated.code() == grpc.StatusCode.INVALID_ARGUMENT and stated.details().startswith("facts_reason")
        # the Party warning alone (P1: a member, as the department reported) is disposed on the reported facts
        disposed = await api("DisposeCase", HEAD, sanctions=[party_only()], **decision)
        assert disposed.state == "DISPOSED"
        history = await cases.parts.handlers.cases.load(cases.store, story.case_id)
        (recorded,) = [r.event for r in history.records if isinstance(r.event, ev.CaseDisposed)]
        (facts,) = recorded.facts
        assert (facts.service.status, facts.service.source.source) == ("RETIRED", "personnel_bureau")
        assert (facts.party.member, facts.party.source.source) == (True, "organisation_department")
        assert recorded.facts_reason == ""

    # the feeds, over Kafka through the audit service: the department's cadre and HR's official
    async def both() -> bool:
        return (
            len(await feed_views(audit, "organisation_department")) == 2
            and len(await feed_views(audit, "personnel_bureau")) == 1
        )

    await wait_until(both, 90, "the person facts in the department's and HR's feeds")
    org, (hr,) = await feed_views(audit, "organisation_department"), await feed_views(audit, "personnel_bureau")
    assert [e["view"]["agency"] for e in org] == ["organisation_department", "personnel_bureau"]
    assert hr["view"]["reported"]["service"]["status"] == "SERVICE_STATUS_RETIRED"
    assert hr["view"]["facts"]["cadre"]["level"] == "MANAGEMENT_LEVEL_COUNTY"
    assert all("reported_by" not in e["view"] for e in org + [hr])  # who reported stays out
    for other in ("procuratorate", "court", "finance_bureau", "archives"):
        assert await feed_views(audit, other) == []
