"""Measures before filing through Kafka (SL 25, 41; domain.md §2 "Before filing"): the clues service
takes a clue to preliminary check on an approved plan; the cases service's clue directory reads it
from `clues.events.v1` (with the holding its links state); a 管护 on the clue is requested, approved
and on the office's ledger; the clue is reported, the case filed from it, and the measure follows
the clue into the case (MeasureAttachedToCase), listed under it."""

import asyncio
import uuid

import grpc
import pytest

from cases.v1 import events_pb2 as cev, service_pb2 as cpb
from clues.v1 import events_pb2 as clue_ev
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from tests.e2e.platforms import start_platform
from tests.e2e.test_case_story import PURPOSE, Cases, subject
from tests.e2e.test_clue_lifecycle import HEAD, INSPECTOR, Client
from tests.factories import call_metadata, service_settings
from tests.stories import file_reported

OFFICE_HEAD = Principal("commission", "supervision_1", "office_head", "u-sup1h")  # requests measures
GROUNDS = cev.CustodyGrounds(
    conduct=cev.CUSTODY_CONDUCT_CONFESSED, risks=[cev.CUSTODY_RISK_SUICIDE], detail="confessed; said he would end it"
)


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    data = tmp_path_factory.mktemp("before_filing")
    hosts = await start_platform(database_url, bootstrap, data, "mb", ("clues", "cases", "audit"), clocked=None)
    yield hosts
    for host in hosts:
        await host.stop()


async def under_check(client) -> str:
    """A clue registered to supervision_1 and under preliminary check on its approved plan."""
    reg = await client(
        "RegisterClue",
        source=clue_ev.CLUE_SOURCE_PETITION,
        summary="bribes for permits",
        subjects=[identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba", post="county head")],
    )
    cid = reg.clue_id
    await client("ProposeRegistration", clue_id=cid, handling_office="supervision_1")
    await client("ApproveRegistration", HEAD, clue_id=cid)
    await client("ProposeDisposal", clue_id=cid, method=clue_ev.DISPOSAL_METHOD_PRELIM_CHECK, reason="specific")
    await client("ApproveDisposal", HEAD, clue_id=cid)
    plan = {
        "work_plan": "interview, bank records",
        "team": ["u-insp", "u-insp2"],
        "subject_heads_lower_committee": False,
    }
    await client("SubmitPrelimCheckPlan", INSPECTOR, clue_id=cid, **plan)
    await client("ApprovePrelimCheckPlan", HEAD, clue_id=cid)
    return cid


async def request_when_known(api, clue_id: str, seconds: int = 60):
    """The directory follows the topic: until it has read the plan's approval, the clue is unknown
    (NOT_FOUND) or not yet under check (FAILED_PRECONDITION)."""
    fields = {"clue_id": clue_id, "kind": cev.MEASURE_KIND_PROTECTIVE_CUSTODY, "person_id": "P-77"}
    for _ in range(seconds * 4):
        try:
            return await api("RequestMeasure", OFFICE_HEAD, reason="confessed", custody_grounds=GROUNDS, **fields)
        except grpc.aio.AioRpcError as e:
            assert e.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION), e.details()
        await asyncio.sleep(0.25)
    raise AssertionError(f"the cases service never knew {clue_id} under preliminary check")


async def test_custody_on_a_clue_over_kafka_follows_it_into_its_case(platform):
    clues, cases, _ = platform
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1,
        grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch2,
    ):
        client, api = Client(clues, ch1), Cases(cases, ch2)
        cid = await under_check(client)
        made = await request_when_known(api, cid)
        mid = made.measure_id
        assert (await api("ApproveMeasure", HEAD, measure_id=mid)).state == "ACTIVE"
        md = call_metadata(cases.settings, OFFICE_HEAD)
        listed = await api.stub.ListMeasures(
            cpb.ListMeasuresRequest(office="supervision_1", purpose=PURPOSE), metadata=md
        )
        assert [(m.measure_id, m.clue_id, m.case_id) for m in listed.measures] == [(mid, cid, "")]

        await client(
            "ReportPrelimCheck",
            INSPECTOR,
            clue_id=cid,
            findings="money traced",
            proposal=clue_ev.REPORT_PROPOSAL_FILE_CASE,
        )
        case_id = await file_reported(clues, client, api, cid, [subject(cev.AT_ISSUE_BOTH)])  # the clue follows

        got = await api.stub.GetMeasure(cpb.GetMeasureRequest(measure_id=mid, purpose=PURPOSE), metadata=md)
        assert (got.measure.case_id, got.measure.clue_id, got.measure.state) == (case_id, cid, "ACTIVE")
        under_case = await api.stub.ListMeasures(
            cpb.ListMeasuresRequest(office="supervision_1", case_id=case_id, purpose=PURPOSE), metadata=md
        )
        assert [m.measure_id for m in under_case.measures] == [mid]
        assert list((await api.case(case_id, OFFICE_HEAD)).measure_ids) == [mid]
        types = [e.event_type.split(".")[-1] for e in await cases.store.read_stream(mid)]
        assert types == ["MeasureRequested", "MeasureApproved", "MeasureAttachedToCase"]
