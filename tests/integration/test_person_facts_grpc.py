"""cases.v1.PersonFactsService over gRPC against PostgreSQL (issue 24; domain.md §1): the
organisation department and HR report the facts they source, each dated, with the document by
hash, on the person's stream; another source's part is INVALID_ARGUMENT naming it, an agency that
is no source or an officer PERMISSION_DENIED; officers read the latest facts, on the record.
PrepareFiling takes the latest reported facts in its transaction where the request states none;
stating facts of a person with reported facts needs `facts_reason`, recorded on FilingPrepared."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev, person_facts_pb2 as ppb, person_facts_pb2_grpc, service_pb2 as cpb
from common.v1 import person_pb2
from kernel.domain.ids import person_stream_id
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.edge.mapping import timestamp as ts
from services.cases.domain import commands as c, events as ev
from tests.factories import call_metadata
from tests.integration.test_cases_measure_duties import HEAD, MANAGER, api, cases  # noqa: F401 - the fixtures
from tests.integration.test_cases_timers import ctx
from tests.stories import reads_of

ORG = Principal("organisation_department", "cadre_management", "partner_system", "u-org")
HR = Principal("personnel_bureau", "personnel_records", "partner_system", "u-hr")
COURT = Principal("court", "court_filing", "partner_system", "u-court")
DOC = cev.DocumentRef(title="退休审批表", sha256="ab" * 32)
AS_OF = datetime.now(timezone.utc) - timedelta(days=10)


def src(agency: str, at: datetime = AS_OF) -> person_pb2.FactSource:
    return person_pb2.FactSource(source=agency, as_of=ts(at))


def retired(agency: str = "personnel_bureau") -> person_pb2.Service:
    return person_pb2.Service(status=person_pb2.SERVICE_STATUS_RETIRED, since=ts(AS_OF), source=src(agency))


class Facts:
    def __init__(self, host, channel):
        self.host, self.stub = host, person_facts_pb2_grpc.PersonFactsServiceStub(channel)

    async def __call__(self, rpc: str, who: Principal, **fields):
        request = getattr(ppb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=str(uuid.uuid4()), correlation="corr-facts")
        return await getattr(self.stub, rpc)(request, metadata=md)

    async def refused(self, rpc: str, who: Principal, **fields) -> tuple[str, str]:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await self(rpc, who, **fields)
        return err.value.code().name, err.value.details()


@pytest.fixture
async def facts(cases):  # noqa: F811
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as channel:
        yield Facts(cases, channel)


def person() -> str:
    return f"P-{uuid.uuid4().hex[:10]}"


async def test_hr_reports_a_retirement_and_an_officer_reads_it_on_the_record_psl_27(cases, facts):  # noqa: F811
    who = person()
    done = await facts(
        "ReportPersonFacts",
        HR,
        person_id=who,
        service=retired(),
        official=person_pb2.PublicOfficial(category=person_pb2.OFFICIAL_CATEGORY_CIVIL_SERVANT, source=src(HR.agency)),
        document=DOC,
    )
    assert (done.person_stream_id, done.version) == (person_stream_id(who), 1)
    assert done.facts.service.status == person_pb2.SERVICE_STATUS_RETIRED
    org = await facts(
        "ReportPersonFacts",
        ORG,
        person_id=who,
        party=person_pb2.PartyMembership(member=True, source=src(ORG.agency)),
        document=DOC,
    )
    assert org.version == 2 and org.facts.party.member and org.facts.service.source.source == "personnel_bureau"
    read = await facts("GetPersonFacts", MANAGER, person_id=who, purpose="prepare the filing")
    assert (read.version, read.facts) == (2, org.facts)
    assert ("u-cm", "cases.person_facts_read/GetPersonFacts", "prepare the filing") in await reads_of(cases, who)
    stored = [e.event_type for e in await cases.store.read_stream(person_stream_id(who))]
    assert stored == ["cases.v1.PersonFactsReported"] * 2


async def test_only_a_source_reports_and_only_the_parts_it_sources_domain_1(facts):
    who = person()
    party = person_pb2.PartyMembership(member=True, source=src(HR.agency))
    code, details = await facts.refused("ReportPersonFacts", HR, person_id=who, party=party, document=DOC)
    assert code == "INVALID_ARGUMENT" and details.startswith("party")  # membership is the org dept's
    code, details = await facts.refused(
        "ReportPersonFacts", HR, person_id=who, service=retired(ORG.agency), document=DOC
    )
    assert code == "INVALID_ARGUMENT" and "service.source.source" in details  # the source is the reporter
    court = person_pb2.Service(status=person_pb2.SERVICE_STATUS_RETIRED, source=src("court"))
    assert (await facts.refused("ReportPersonFacts", COURT, person_id=who, service=court, document=DOC))[0] == (
        "PERMISSION_DENIED"
    )
    assert (await facts.refused("ReportPersonFacts", MANAGER, person_id=who, service=retired(), document=DOC))[0] == (
        "PERMISSION_DENIED"
    )
    assert (await facts.refused("GetPersonFacts", MANAGER, person_id=who, purpose="p"))[0] == "NOT_FOUND"
    assert (await facts.refused("GetPersonFacts", HR, person_id=who, purpose="p"))[0] == "PERMISSION_DENIED"


async def filing(cases, who: str) -> str:  # noqa: F811
    """A case awaiting its filing report, about `who`."""
    case_id = f"case-{uuid.uuid4()}"
    opening = c.OpenFiling(
        case_id, f"clue-{uuid.uuid4()}", "cm-1", (Subject(who, "Zhou Ba"),), "f", "investigation_1", "u-insp", HEAD
    )
    async with cases.parts.handlers.store.unit_of_work() as uow:
        await cases.parts.handlers.cases.execute(uow, ctx(HEAD), case_id, opening, datetime.now(timezone.utc), new=True)
    return case_id


async def prepared(cases, case_id: str) -> ev.FilingPrepared:  # noqa: F811
    history = await cases.parts.handlers.cases.load(cases.store, case_id)
    return next(r.event for r in reversed(history.records) if isinstance(r.event, ev.FilingPrepared))


async def report_all(facts, who: str) -> None:
    """The org dept's membership and cadre level, HR's category: all the filing rules read (Rules 38)."""
    await facts(
        "ReportPersonFacts",
        ORG,
        person_id=who,
        party=person_pb2.PartyMembership(member=True, source=src(ORG.agency)),
        cadre=person_pb2.Cadre(level=person_pb2.MANAGEMENT_LEVEL_CITY, source=src(ORG.agency)),
        document=DOC,
    )
    official = person_pb2.PublicOfficial(category=person_pb2.OFFICIAL_CATEGORY_CIVIL_SERVANT, source=src(HR.agency))
    await facts("ReportPersonFacts", HR, person_id=who, official=official, document=DOC)


@pytest.fixture
async def reported(cases, facts):  # noqa: F811
    """A person whose facts the organisation department and HR reported, and a case whose filing
    names them (issue 24): the person and the case id."""
    who = person()
    await report_all(facts, who)
    return who, await filing(cases, who)


async def test_the_filing_takes_the_latest_reported_facts_where_the_request_states_none_issue_24(
    cases,  # noqa: F811
    api,  # noqa: F811
    reported,
):
    who, case_id = reported
    subject = cpb.FilingSubject(person_id=who, at_issue=cev.AT_ISSUE_BOTH)
    done = await api("PrepareFiling", MANAGER, case_id=case_id, subjects=[subject])
    assert done.state == "FILING"
    (stated,) = (await prepared(cases, case_id)).person_facts
    assert (stated.party.source.source, stated.cadre.level, stated.official.source.source) == (
        "organisation_department",
        "CITY",
        "personnel_bureau",
    )
    assert (await prepared(cases, case_id)).facts_reason == ""


async def test_stating_other_facts_than_the_reported_needs_a_reason_recorded_on_the_filing_issue_24(
    cases,  # noqa: F811
    api,  # noqa: F811
    reported,
):
    who, case_id = reported
    stated = cpb.FilingSubject(
        person_id=who,
        at_issue=cev.AT_ISSUE_BOTH,
        cadre=person_pb2.Cadre(level=person_pb2.MANAGEMENT_LEVEL_COUNTY, source=src("commission")),
    )
    e = await api.refused("PrepareFiling", MANAGER, case_id=case_id, subjects=[stated])
    assert e.code().name == "INVALID_ARGUMENT" and e.details().startswith("facts_reason")
    reason = "appointed county-managed last week; the department's report is pending"
    await api("PrepareFiling", MANAGER, case_id=case_id, subjects=[stated], facts_reason=reason)
    recorded = await prepared(cases, case_id)
    assert recorded.facts_reason == reason
    (f,) = recorded.person_facts
    assert (f.cadre.level, f.cadre.source.source, f.party.source.source) == ("COUNTY", "commission", ORG.agency)
