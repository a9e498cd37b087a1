"""A detention at a CITY commission through the cases service's gRPC edge (issue 19; SL 47, 48): the
commission's level comes from the platform file's [commission], so this test runs the service on
its own copy with `level = "CITY"`. The leadership's collective decision, then the upper level's
entered by its head, start it; one person's approval is refused naming the field or the role; the
extension goes upward, the +2 months only on a job crime likely to bring ten years or more, by the
national commission; recounting is not for a city commission; converting it into ordered waiting
links the new measure. A 管护 states its grounds and is extended by the days its approver chose."""

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev, service_pb2 as cpb, service_pb2_grpc as cases_grpc
from common.v1 import meeting_pb2, person_pb2
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.edge.mapping import timestamp
from kernel.eventstore import envelope
from kernel.runtime.platform import DEFAULT_FILE as PLATFORM_FILE
from kernel.runtime.settings import extend
from services.cases.app.measure_rules import DEFAULT_FILE as MEASURES_FILE
from services.cases.domain import commands as c
from services.cases.main import CasesSettings, build as build_cases
from services.cases.tests import filing_facts
from tests.factories import call_metadata, service_settings
from tests.integration.test_cases_filing import ctx
from tests.integration.test_cases_timers import on_case

INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "u-inv")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
HEAD2 = Principal("commission", "leadership", "commission_head", "u-head2")
SUPERIOR = Principal("superior_commission", "superior_leadership", "superior_head", "u-sup")
NATIONAL = Principal("national_commission", "national_leadership", "national_head", "u-nat")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
SYSTEM = Principal.system("tests")


async def start_at(level: str, database_url, bootstrap, tmp_path, **own):
    """The cases service of a commission at `level` (its own platform file; `own`: the cases
    service's own settings, e.g. its measure rules file)."""
    platform = tmp_path / "platform.toml"
    text = PLATFORM_FILE.read_text(encoding="utf-8")
    assert 'level = "COUNTY"' in text
    platform.write_text(text.replace('level = "COUNTY"', f'level = "{level}"'), encoding="utf-8")
    prefix = f"lv{uuid.uuid4().hex[:8]}"
    settings = service_settings(
        "cases", database_url, bootstrap, prefix, tmp_path, database_schema=f"cases_{prefix}", platform_file=platform
    )
    return await build_cases(extend(CasesSettings, settings, **own)).start()


@pytest.fixture
async def city(database_url, bootstrap, tmp_path):
    host = await start_at("CITY", database_url, bootstrap, tmp_path)
    try:
        yield host
    finally:
        await host.stop()


@pytest.fixture
async def province(database_url, bootstrap, tmp_path):
    host = await start_at("PROVINCIAL", database_url, bootstrap, tmp_path)
    try:
        yield host
    finally:
        await host.stop()


async def case_under_investigation(handlers) -> str:
    """A case under investigation at the city commission: its subject a county cadre, whom the city
    Party committee does not manage (the head alone approves the filing, Rules 38)."""
    case_id, at = f"case-{uuid.uuid4()}", datetime.now(timezone.utc) - timedelta(hours=1)
    opening = c.OpenFiling(
        case_id,
        f"clue-{uuid.uuid4()}",
        "cm-1",
        (Subject("P-1", "Zhou Ba"),),
        "findings",
        "investigation_1",
        "u-insp",
        HEAD,
    )
    async with handlers.store.unit_of_work() as uow:
        await handlers.cases.execute(uow, ctx(HEAD), case_id, opening, at, new=True)
    await on_case(handlers, case_id, filing_facts.prepare(case_id, managed=True, by=INVESTIGATOR), at)
    for side in ("PARTY", "SUPERVISION"):
        await on_case(handlers, case_id, c.ApproveFiling(case_id, side, "", at, HEAD), at)
    await on_case(handlers, case_id, filing_facts.topic_meeting(case_id, at, HEAD), at)
    await on_case(handlers, case_id, c.StartInvestigation(case_id, at, at, INVESTIGATOR), at)
    return case_id


class Api:
    def __init__(self, host):
        self.host = host
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
        self.stub = cases_grpc.CaseServiceStub(self.channel)

    async def __call__(self, rpc: str, who: Principal, **fields):
        request = getattr(cpb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=str(uuid.uuid4()))
        return await getattr(self.stub, rpc)(request, metadata=md)

    async def refused(self, rpc: str, who: Principal, **fields) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await self(rpc, who, **fields)
        return err.value


def decision(by: Principal, *others: str) -> meeting_pb2.CollectiveDecision:
    return meeting_pb2.CollectiveDecision(
        body=meeting_pb2.MEETING_BODY_LEADERSHIP,
        held_at=timestamp(datetime.now(timezone.utc) - timedelta(minutes=5)),
        attendees=[by.user, *(others or ("u-d1", "u-d2"))],
        outcome="detain P-1: risk of collusion",
        minutes_by="u-sec",
    )


def charge(job_crime=True, band=cev.SENTENCE_BAND_TEN_YEARS_OR_MORE) -> cev.Charge:
    return cev.Charge(crime="受贿罪", job_crime=job_crime, sentence_band=band)


async def test_a_detention_at_city_level_is_decided_collectively_then_approved_upward(city):
    api, handlers = Api(city), city.parts.handlers
    assert handlers.rules.level == "CITY"
    case_id = await case_under_investigation(handlers)
    made = await api(
        "RequestMeasure",
        INVESTIGATOR,
        case_id=case_id,
        kind=cev.MEASURE_KIND_DETENTION,
        person_id="P-1",
        reason="collusion",
    )
    mid = made.measure_id

    err = await api.refused("ApproveMeasure", HEAD, measure_id=mid)  # SL 47: not one person's approval
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "meeting" in err.details()
    err = await api.refused("ApproveMeasure", SUPERIOR, measure_id=mid, meeting=decision(SUPERIOR))
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "commission_head" in err.details()
    local = await api("ApproveMeasure", HEAD, measure_id=mid, meeting=decision(HEAD))
    assert local.state == "REQUESTED"  # the upper level's approval awaited (city level, SL 47)
    err = await api.refused("ApproveMeasure", HEAD, measure_id=mid, meeting=decision(HEAD))
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "superior_head" in err.details()
    upper = await api("ApproveMeasure", SUPERIOR, measure_id=mid, meeting=decision(SUPERIOR, "u-s1", "u-s2"))
    assert upper.state == "ACTIVE"

    err = await api.refused("ExtendMeasure", HEAD, measure_id=mid, reason="accounts abroad")
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED  # approved upward (SL 48 ¶1)
    assert (await api("ExtendMeasure", SUPERIOR, measure_id=mid, reason="accounts abroad")).state == "ACTIVE"
    err = await api.refused("ExtendMeasure", NATIONAL, measure_id=mid, reason="complex", special=True)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "charge" in err.details()
    weak = charge(band=cev.SENTENCE_BAND_THREE_TO_TEN_YEARS)
    err = await api.refused("ExtendMeasure", NATIONAL, measure_id=mid, reason="complex", special=True, charge=weak)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "ten years" in err.details()
    await api("ExtendMeasure", NATIONAL, measure_id=mid, reason="complex", special=True, charge=charge())

    discovered = timestamp(datetime.now(timezone.utc) - timedelta(minutes=1))
    err = await api.refused(
        "RecountDetention",
        NATIONAL,
        measure_id=mid,
        discovered_at=discovered,
        ground=cpb.RECOUNT_GROUND_DIFFERENT_CRIME,
        charge=charge(),
        reason="another crime",
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "provincial" in err.details()  # SL 48 ¶3

    waiting = await api(
        "RequestMeasure",
        INVESTIGATOR,
        case_id=case_id,
        kind=cev.MEASURE_KIND_ORDERED_WAITING,
        person_id="P-1",
        reason="no longer needed",
    )
    ended = await api(
        "EndMeasure",
        INVESTIGATOR,
        measure_id=mid,
        outcome=cev.MEASURE_OUTCOME_CONVERTED,
        reason="no longer needed",
        converted_to=waiting.measure_id,
    )
    assert ended.state == "ENDED"

    rows = await city.store.read_stream(mid)
    assert [r.event_type.split(".")[-1] for r in rows] == [
        "MeasureRequested",
        "MeasureApprovalGiven",
        "MeasureApproved",
        "MeasureExtended",
        "MeasureExtended",
        "MeasureEnded",
    ]
    events = [r.event for r in handlers.measures.decode(rows)]
    assert (events[0].commission_level, events[1].step, events[1].meeting.body) == ("CITY", "LOCAL", "LEADERSHIP")
    assert (events[2].step, events[2].approver_role, events[2].commission_level) == ("UPPER", "superior_head", "CITY")
    assert events[2].meeting.attendees == ("u-sup", "u-s1", "u-s2")
    assert (events[4].special, events[4].charge.sentence_band) == (True, "TEN_YEARS_OR_MORE")
    assert events[5].converted_to == waiting.measure_id
    links = {(link.kind, link.id) for link in envelope.parse(rows[5].envelope).links}
    assert ("measure", waiting.measure_id) in links


async def test_protective_custody_states_its_grounds_and_takes_the_days_chosen(city):
    api = Api(city)
    case_id = await case_under_investigation(city.parts.handlers)
    base = dict(case_id=case_id, kind=cev.MEASURE_KIND_PROTECTIVE_CUSTODY, person_id="P-1", reason="confessed")
    err = await api.refused("RequestMeasure", INVESTIGATOR, **base)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "custody_grounds" in err.details()  # SL 25
    grounds = cev.CustodyGrounds(
        conduct=cev.CUSTODY_CONDUCT_CONFESSED, risks=[cev.CUSTODY_RISK_FLIGHT], detail="confessed, then packed a bag"
    )
    mid = (await api("RequestMeasure", INVESTIGATOR, **base, custody_grounds=grounds)).measure_id
    await api("ApproveMeasure", HEAD, measure_id=mid)
    before = (
        await api.stub.GetMeasure(
            cpb.GetMeasureRequest(measure_id=mid, purpose="check"), metadata=call_metadata(city.settings, HEAD)
        )
    ).measure
    err = await api.refused("ExtendMeasure", HEAD, measure_id=mid, reason="special case")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "length" in err.details()  # chosen: 1-3 days
    err = await api.refused("ExtendMeasure", HEAD, measure_id=mid, reason="special case", length_days=4)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    await api("ExtendMeasure", HEAD, measure_id=mid, reason="special case", length_days=2)  # SL 46 ¶4
    after = (
        await api.stub.GetMeasure(
            cpb.GetMeasureRequest(measure_id=mid, purpose="check"), metadata=call_metadata(city.settings, HEAD)
        )
    ).measure
    assert after.ends_at.ToDatetime() - before.ends_at.ToDatetime() == timedelta(days=2)


async def test_a_provincial_detention_is_filed_with_the_ncc_and_may_be_recounted(province):
    """SL 47: decided by the leadership alone, 备案 owed and recorded once; SL 48 ¶3: recounted once,
    by the national commission."""
    api = Api(province)
    case_id = await case_under_investigation(province.parts.handlers)
    made = await api(
        "RequestMeasure", INVESTIGATOR, case_id=case_id, kind=cev.MEASURE_KIND_DETENTION, person_id="P-1", reason="r"
    )
    mid = made.measure_id
    assert (await api("ApproveMeasure", HEAD, measure_id=mid, meeting=decision(HEAD))).state == "ACTIVE"
    now = timestamp(datetime.now(timezone.utc))
    await api("RecordNationalFiling", INVESTIGATOR, measure_id=mid, filed_at=now, reference="省纪委备〔2026〕1号")
    err = await api.refused("RecordNationalFiling", INVESTIGATOR, measure_id=mid, filed_at=now, reference="again")
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "already" in err.details()
    recount = dict(measure_id=mid, ground=cpb.RECOUNT_GROUND_DIFFERENT_CRIME, charge=charge(), reason="another crime")
    err = await api.refused("RecountDetention", SUPERIOR, discovered_at=now, **recount)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "national_head" in err.details()
    assert (await api("RecountDetention", NATIONAL, discovered_at=now, **recount)).state == "ACTIVE"
    err = await api.refused("RecountDetention", NATIONAL, discovered_at=now, **recount)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "once" in err.details()
    types = [r.event_type.split(".")[-1] for r in await province.store.read_stream(mid)]
    assert types == ["MeasureRequested", "MeasureApproved", "MeasureFiledWithNational", "DetentionRecounted"]


async def test_compelled_appearances_run_24_hours_only_before_custody_and_never_back_to_back(city):
    """SL 46: 12 hours, 24 when a 管护 or 留置 of the person follows; SL 46 ¶2: never consecutive (the
    person's other appearances read from the measure ledger and their streams)."""
    api = Api(city)
    case_id = await case_under_investigation(city.parts.handlers)
    appear = dict(
        case_id=case_id, kind=cev.MEASURE_KIND_COMPELLED_APPEARANCE, person_id="P-1", reason="refused to come"
    )
    first = (await api("RequestMeasure", INVESTIGATOR, **appear)).measure_id
    second = (await api("RequestMeasure", INVESTIGATOR, **appear)).measure_id
    await api("ApproveMeasure", HEAD, measure_id=first)
    err = await api.refused("ApproveMeasure", HEAD, measure_id=second)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and first in err.details()  # still runs

    err = await api.refused("ExtendMeasure", HEAD, measure_id=first, reason="custody follows")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "followed_by" in err.details()
    custody = await api(
        "RequestMeasure",
        INVESTIGATOR,
        case_id=case_id,
        kind=cev.MEASURE_KIND_DETENTION,
        person_id="P-1",
        reason="detention follows",
    )
    await api("ExtendMeasure", HEAD, measure_id=first, reason="detention follows", followed_by=custody.measure_id)
    state, _ = await city.parts.handlers.get_measure(SYSTEM, first)
    assert state.ends_at - state.starts_at == timedelta(hours=24) and state.followed_by == custody.measure_id

    await api("EndMeasure", INVESTIGATOR, measure_id=first, outcome=cev.MEASURE_OUTCOME_RELEASED, reason="done")
    err = await api.refused("ApproveMeasure", HEAD, measure_id=second)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "never consecutive" in err.details()


async def test_where_configured_the_party_committee_head_approves_a_detention_of_its_cadres(
    database_url, bootstrap, tmp_path
):
    """The committee step (unverified for measures: off in the shipped file) takes the person's cadre
    level from the request's person facts, recorded as of the request; a request without them is
    FAILED_PRECONDITION naming the fact."""
    rules = tmp_path / "measures.toml"
    text = MEASURES_FILE.read_text(encoding="utf-8")
    marker = "[kinds.DETENTION.levels.CITY]\n"
    assert marker in text
    rules.write_text(text.replace(marker, marker + "committee_head = true\n"), encoding="utf-8")
    host = await start_at("CITY", database_url, bootstrap, tmp_path, measure_rules_file=rules)
    try:
        api = Api(host)
        case_id = await case_under_investigation(host.parts.handlers)
        base = dict(case_id=case_id, kind=cev.MEASURE_KIND_DETENTION, person_id="P-1", reason="collusion")
        err = await api.refused("RequestMeasure", INVESTIGATOR, **base)
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "facts.cadre" in err.details()
        src = person_pb2.FactSource(source="organisation_department", as_of=timestamp(datetime.now(timezone.utc)))
        facts = person_pb2.PersonFacts(
            person_id="P-1", cadre=person_pb2.Cadre(level=person_pb2.MANAGEMENT_LEVEL_CITY, source=src)
        )
        mid = (await api("RequestMeasure", INVESTIGATOR, **base, person_facts=facts)).measure_id
        assert (await api("ApproveMeasure", HEAD, measure_id=mid, meeting=decision(HEAD))).state == "REQUESTED"
        err = await api.refused("ApproveMeasure", SUPERIOR, measure_id=mid, meeting=decision(SUPERIOR))
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "party_committee_head" in err.details()
        assert (await api("ApproveMeasure", COMMITTEE, measure_id=mid)).state == "REQUESTED"
        upper = await api("ApproveMeasure", SUPERIOR, measure_id=mid, meeting=decision(SUPERIOR, "u-s1", "u-s2"))
        assert upper.state == "ACTIVE"
        [requested, *_] = host.parts.handlers.measures.decode(await host.store.read_stream(mid))
        assert requested.event.person_facts.cadre.level == "CITY"
    finally:
        await host.stop()


async def test_no_measure_is_approved_before_the_topic_meeting_on_plan_and_measures(city):
    """SL 42; Rules 39: after filing the head chairs the topic meeting on plan and measures; a
    measure requested before it waits for it."""
    handlers, api = city.parts.handlers, Api(city)
    case_id, at = f"case-{uuid.uuid4()}", datetime.now(timezone.utc) - timedelta(hours=1)
    opening = c.OpenFiling(
        case_id,
        f"clue-{uuid.uuid4()}",
        "cm-2",
        (Subject("P-1", "Zhou Ba"),),
        "findings",
        "investigation_1",
        "u-insp",
        HEAD,
    )
    async with handlers.store.unit_of_work() as uow:
        await handlers.cases.execute(uow, ctx(HEAD), case_id, opening, at, new=True)
    await on_case(handlers, case_id, filing_facts.prepare(case_id, managed=True, by=INVESTIGATOR), at)
    for side in ("PARTY", "SUPERVISION"):
        await on_case(handlers, case_id, c.ApproveFiling(case_id, side, "", at, HEAD), at)
    base = dict(case_id=case_id, kind=cev.MEASURE_KIND_INQUIRY, person_id="P-1", reason="bank records")
    mid = (await api("RequestMeasure", INVESTIGATOR, **base)).measure_id
    err = await api.refused("ApproveMeasure", HEAD, measure_id=mid)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "topic meeting" in err.details()
    await on_case(handlers, case_id, filing_facts.topic_meeting(case_id, at, HEAD), at)
    assert (await api("ApproveMeasure", HEAD, measure_id=mid)).state == "ACTIVE"


async def test_two_compelled_appearances_of_one_person_approved_at_once_never_both_run(city):
    """SL 46 ¶2 under concurrency: two heads approving two appearances of P-1 at the same moment;
    the person's appearances are locked while one is judged, so exactly one runs."""
    api = Api(city)
    case_id = await case_under_investigation(city.parts.handlers)
    appear = dict(
        case_id=case_id, kind=cev.MEASURE_KIND_COMPELLED_APPEARANCE, person_id="P-1", reason="refused to come"
    )
    ids = [(await api("RequestMeasure", INVESTIGATOR, **appear)).measure_id for _ in range(2)]
    results = await asyncio.gather(
        *(api("ApproveMeasure", who, measure_id=mid) for who, mid in zip((HEAD, HEAD2), ids, strict=True)),
        return_exceptions=True,
    )
    approved = [r for r in results if not isinstance(r, Exception)]
    refused = [r.code() for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert (len(approved), refused) == (1, [grpc.StatusCode.FAILED_PRECONDITION]), results
