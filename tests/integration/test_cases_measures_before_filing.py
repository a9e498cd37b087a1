"""Measures before filing (domain.md §2 "Before filing", §3; SL 25, 41), over gRPC on a real
PostgreSQL: the cases service follows the clue's events into its clue directory; a 管护 is requested
on a clue under preliminary check on its approved plan, approved as a case's would be and listed on
its office's ledger; when the case is filed from the clue the measure follows it once
(MeasureAttachedToCase), however the filing's transaction is replayed, and is listed under the case.
Refusals name their field or state: no such clue (NOT_FOUND, as for an unknown id and for an office
that may not know it), the plan not approved and the case already filed (FAILED_PRECONDITION), a
kind not allowed before filing (INVALID_ARGUMENT kind), a person not a subject (person_id), a case
and a clue at once (clue_id)."""

import asyncio
import itertools
import uuid
from datetime import datetime, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev, service_pb2 as cpb
from clues.v1 import events_pb2 as clue_ev
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import NewEvent
from kernel.eventstore.projections import Fold, rebuild
from kernel.messaging.inbox import Source
from services.cases.adapters.mapping import CODEC
from services.cases.adapters.translators import case_id_for
from services.cases.app import clue_directory, measure_ledger
from services.cases.app.measure import MeasureAggregate
from services.cases.domain import events as ev
from services.cases.main import build as build_cases
from tests.e2e.test_case_story import PURPOSE, Cases, subject
from tests.factories import call_metadata, service_settings


def who(office: str, role: str, user: str, agency: str = "commission") -> Principal:
    return Principal(agency, office, role, user)


HEAD = who("leadership", "commission_head", "u-head")
COMMITTEE = who("committee_leadership", "party_committee_head", "u-party", "party_committee")
SUP1 = who("supervision_1", "office_head", "u-sup1")  # the check's office asks (cases.measure: office_head)
SUP2 = who("supervision_2", "office_head", "u-sup2")
OFFSETS = itertools.count()
CUSTODY = cev.MEASURE_KIND_PROTECTIVE_CUSTODY


@pytest.fixture(scope="module")
async def cases(database_url, bootstrap, tmp_path_factory):
    prefix = f"bf{uuid.uuid4().hex[:8]}"
    settings = service_settings(
        "cases",
        database_url,
        bootstrap,
        prefix,
        tmp_path_factory.mktemp("before_filing"),
        database_schema=f"cases_{prefix}",
    )
    host = await build_cases(settings).start()
    yield host
    await host.stop()


@pytest.fixture
async def api(cases):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as channel:
        yield Cases(cases, channel)


class Clue:
    """A clue's events as the clues service publishes them (no holding links: the directory reads
    the holder from the events, the liaison from the catalogue), delivered to the cases service's
    followers (redelivering them changes nothing)."""

    def __init__(self, cases):
        self.cases, self.clue_id, self.version, self.sent = cases, f"clue-{uuid.uuid4()}", 0, []

    async def send(self, payload, lagging: bool = False) -> str:
        self.version += 1
        at = datetime.now(timezone.utc)
        event = NewEvent(str(uuid.uuid4()), payload, at, SUP1, "corr-bf")
        raw = env_mod.seal(env_mod.build(event, self.clue_id, self.version, at))
        self.sent.append(raw)
        await self.to(raw, lagging)
        return event.event_id

    async def to(self, raw: bytes, lagging: bool = False) -> None:
        """To both followers of clues.events.v1, as the topic delivers it: the filings and the
        directory (`lagging`: the directory has not read it yet)."""
        parts = self.cases.parts
        for consumer in (parts.filings,) if lagging else (parts.clue_directory, parts.filings):
            await consumer.handler.record(raw, Source("bf", 0, next(OFFSETS)))

    async def under_check(self, approved: bool = True) -> None:
        """Received, registered to supervision_1, disposed for preliminary check, its plan submitted
        (and approved by the head)."""
        c = self.clue_id
        subjects = [identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba")]
        office = identity_pb2.OfficeRef(agency_id="commission", office_id="complaints")
        await self.send(clue_ev.ClueRegistered(clue_id=c, subjects=subjects, summary="s", receiving_office=office))
        await self.send(clue_ev.RegistrationProposed(clue_id=c, clue_number="n", handling_office="supervision_1"))
        await self.send(clue_ev.RegistrationApproved(clue_id=c, approved_by="u-head"))
        prelim = clue_ev.DISPOSAL_METHOD_PRELIM_CHECK
        await self.send(clue_ev.DisposalProposed(clue_id=c, method=prelim, reason="r", proposed_by="u-sup1"))
        await self.send(clue_ev.DisposalApproved(clue_id=c, method=prelim, approved_by="u-head"))
        await self.send(clue_ev.PrelimCheckPlanSubmitted(clue_id=c, work_plan="p", team=["a", "b"]))
        if approved:
            await self.approve_plan()

    async def in_talk(self) -> None:
        """Received, registered to supervision_1, disposed for a talk or letter inquiry (谈话函询)."""
        c = self.clue_id
        subjects = [identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba")]
        office = identity_pb2.OfficeRef(agency_id="commission", office_id="complaints")
        await self.send(clue_ev.ClueRegistered(clue_id=c, subjects=subjects, summary="s", receiving_office=office))
        await self.send(clue_ev.RegistrationProposed(clue_id=c, clue_number="n", handling_office="supervision_1"))
        await self.send(clue_ev.RegistrationApproved(clue_id=c, approved_by="u-head"))
        talk = clue_ev.DISPOSAL_METHOD_TALK_OR_LETTER
        await self.send(clue_ev.DisposalApproved(clue_id=c, method=talk, approved_by="u-head"))

    async def approve_plan(self) -> None:
        await self.send(clue_ev.PrelimCheckPlanApproved(clue_id=self.clue_id, approver_role="commission_head"))

    async def propose_filing(self, lagging: bool = False) -> str:
        """Reported, the report approved, the filing proposed: the filing process manager opens the case."""
        c, file_case = self.clue_id, clue_ev.REPORT_PROPOSAL_FILE_CASE
        await self.send(clue_ev.PrelimCheckReported(clue_id=c, findings="f", proposal=file_case), lagging)
        await self.send(clue_ev.ReportApproved(clue_id=c, proposal=file_case, approved_by="u-head"), lagging)
        proposal = clue_ev.FilingProposed(
            clue_id=c,
            findings="money traced",
            handling_office="supervision_1",
            clue_number="n",
            proposed_by="u-sup1",
            subjects=[identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba")],
        )
        return case_id_for(await self.send(proposal, lagging))


GROUNDS = cev.CustodyGrounds(  # SL 25: confessed in a preliminary check's inquiry, with a flight risk
    conduct=cev.CUSTODY_CONDUCT_CONFESSED, risks=[cev.CUSTODY_RISK_FLIGHT], detail="bought a ticket abroad"
)


def custody(clue_id: str, **fields) -> dict:
    request = {"clue_id": clue_id, "kind": CUSTODY, "person_id": "P-77", "reason": "confessed", **fields}
    return {**request, "custody_grounds": GROUNDS} if request["kind"] == CUSTODY else request


async def refusal(api, rpc: str, by: Principal, **fields) -> tuple[str, str]:
    e = await api.refused(rpc, by, **fields)
    return e.code().name, e.details()


async def file(api, case_id: str, last: bool = True) -> None:
    """The filing's facts and approvals (`last`: the one that files it too)."""
    await api("PrepareFiling", SUP1, case_id=case_id, subjects=[subject(cev.AT_ISSUE_BOTH)])
    approvals = [
        (by, side) for side in (cev.FILING_SIDE_PARTY, cev.FILING_SIDE_SUPERVISION) for by in (HEAD, COMMITTEE)
    ]
    for by, side in approvals if last else approvals[:-1]:
        await api("ApproveFiling", by, case_id=case_id, side=side)


async def types(cases, stream_id: str) -> list[str]:
    return [e.event_type.split(".")[-1] for e in await cases.store.read_stream(stream_id)]


def metadata(api, by: Principal):
    return call_metadata(api.host.settings, by)


async def ledger(api, by=SUP1, **fields):
    request = cpb.ListMeasuresRequest(**{"office": "supervision_1", "purpose": PURPOSE, **fields})
    return (await api.stub.ListMeasures(request, metadata=metadata(api, by))).measures


async def test_custody_on_a_clue_follows_it_into_its_case_sl_25_41(cases, api):
    clue = Clue(cases)
    await clue.under_check(approved=False)
    code, details = await refusal(api, "RequestMeasure", SUP1, **custody(clue.clue_id))
    assert code == "FAILED_PRECONDITION" and "PRELIM_CHECK (work plan not approved)" in details
    await clue.approve_plan()
    for raw in clue.sent:  # redelivered: the directory changes nothing twice
        await clue.to(raw)

    made = await api("RequestMeasure", SUP1, **custody(clue.clue_id))
    mid = made.measure_id
    assert made.state == "REQUESTED"
    assert (await api("ApproveMeasure", HEAD, measure_id=mid)).state == "ACTIVE"  # the head (SL 46), as on a case
    [line] = await ledger(api)
    assert (line.measure_id, line.clue_id, line.case_id, line.state) == (mid, clue.clue_id, "", "ACTIVE")
    assert [m.measure_id for m in await ledger(api, by=SUP2)] == []  # need to know, as for a case's measure

    case_id = await clue.propose_filing()
    await file(api, case_id)
    assert (await api.case(case_id)).state == "FILED"
    assert await types(cases, mid) == ["MeasureRequested", "MeasureApproved", "MeasureAttachedToCase"]
    got = await api.stub.GetMeasure(
        cpb.GetMeasureRequest(measure_id=mid, purpose=PURPOSE), metadata=metadata(api, SUP1)
    )
    assert (got.measure.case_id, got.measure.clue_id) == (case_id, clue.clue_id)
    [line] = await ledger(api, case_id=case_id)
    assert (line.measure_id, line.case_id, line.state) == (mid, case_id, "ACTIVE")
    assert list((await api.case(case_id, SUP1)).measure_ids) == [mid]

    # the filing's follow-up replayed (a redelivery, a restart): nothing more is recorded
    filed = ev.CaseFiled(case_id, clue.clue_id, datetime.now(timezone.utc), (), "supervision_1")
    async with cases.store.unit_of_work() as uow:
        ctx = CommandContext(Principal.system("tests"), "corr-bf", "replay", str(uuid.uuid4()))
        again = await clue_directory.follow_into_case(cases.parts.handlers.measures, uow, ctx, filed, filed.filed_at)
    assert again == [mid]
    assert await types(cases, mid) == ["MeasureRequested", "MeasureApproved", "MeasureAttachedToCase"]
    [attached] = [e for e in await cases.store.read_stream(mid) if e.event_type.endswith("MeasureAttachedToCase")]
    envelope = env_mod.parse(attached.envelope)
    assert envelope.principal.user == "system:cases-clue-measures"
    assert ("case", case_id) in {(link.kind, link.id) for link in envelope.links}

    # the ledger rebuilt from the measures' events is the ledger the commands kept
    [projection] = measure_ledger.projections(Fold.of(MeasureAggregate, CODEC), cases.parts.handlers.rules)
    async with cases.pool.acquire() as conn:
        assert (await rebuild(conn, cases.store.schema, projection, replace=False)).equal

    # once filed, a measure is requested on the case, no longer on the clue
    code, details = await refusal(api, "RequestMeasure", SUP1, **custody(clue.clue_id))
    assert code == "FAILED_PRECONDITION" and f"CASE_FILED (filed as {case_id}" in details


async def test_refusals_name_the_field_or_state(cases, api):
    clue = Clue(cases)
    await clue.under_check()
    unknown = f"clue-{uuid.uuid4()}"
    assert (await refusal(api, "RequestMeasure", SUP1, **custody(unknown)))[0] == "NOT_FOUND"
    code, details = await refusal(api, "RequestMeasure", SUP2, **custody(clue.clue_id))  # may not know it
    assert code == "NOT_FOUND" and clue.clue_id in details
    code, details = await refusal(api, "RequestMeasure", SUP1, **custody(clue.clue_id, kind=cev.MEASURE_KIND_SEARCH))
    assert code == "INVALID_ARGUMENT" and details.startswith("kind") and "not allowed before filing" in details
    code, details = await refusal(api, "RequestMeasure", SUP1, **custody(clue.clue_id, person_id="P-9"))
    assert code == "INVALID_ARGUMENT" and details.startswith("person_id")
    both = custody(clue.clue_id, case_id=f"case-{uuid.uuid4()}")
    code, details = await refusal(api, "RequestMeasure", SUP1, **both)
    assert code == "INVALID_ARGUMENT" and details.startswith("clue_id")
    neither = {k: v for k, v in custody(clue.clue_id).items() if k != "clue_id"}
    code, details = await refusal(api, "RequestMeasure", SUP1, **neither)
    assert code == "INVALID_ARGUMENT" and details.startswith("case_id")
    await clue.send(clue_ev.PrelimCheckReported(clue_id=clue.clue_id, findings="f"))
    code, details = await refusal(api, "RequestMeasure", SUP1, **custody(clue.clue_id))
    assert code == "FAILED_PRECONDITION" and "clue REPORTED" in details
    assert (
        await cases.pool.fetchval(
            f"SELECT count(*) FROM {cases.store.schema}.measure_ledger WHERE clue_id = $1", clue.clue_id
        )
        == 0
    )  # nothing refused left a trace


async def test_a_measure_requested_while_the_case_is_filed_follows_it_or_is_refused(cases, api):
    """The directory lags behind the filing (it has not read the report yet): requests racing the
    last filing approval either come first and follow the case, or see it filed and are refused.
    None is left behind on the clue."""
    clue = Clue(cases)
    await clue.under_check()
    case_id = await clue.propose_filing(lagging=True)
    await file(api, case_id, last=False)

    async def request(delay: float):
        await asyncio.sleep(delay)  # spread around the approval: some before it, some after
        try:
            return (
                await api("RequestMeasure", SUP1, **custody(clue.clue_id, kind=cev.MEASURE_KIND_INQUIRY))
            ).measure_id
        except grpc.aio.AioRpcError as e:
            assert e.code() == grpc.StatusCode.FAILED_PRECONDITION and "CASE_FILED" in e.details(), e.details()
            return None

    side = cev.FILING_SIDE_SUPERVISION
    approval = api("ApproveFiling", COMMITTEE, case_id=case_id, side=side)
    *made, _ = await asyncio.gather(*(request(k * 0.01) for k in range(16)), approval)
    made = [mid for mid in made if mid]
    rows = await cases.pool.fetch(
        f"SELECT measure_id, case_id FROM {cases.store.schema}.measure_ledger WHERE clue_id = $1", clue.clue_id
    )
    assert sorted(r["measure_id"] for r in rows) == sorted(made)
    assert {r["case_id"] for r in rows} <= {case_id}  # every one that was made follows the case
    for mid in made:  # each once
        assert (await types(cases, mid)).count("MeasureAttachedToCase") == 1


async def test_custody_during_a_talk_but_no_inquiry_before_a_check_sl_25_41(cases, api):
    """SL 25: one who confesses in a talk or letter inquiry may be taken into 管护; the check's
    measures (SL 41) wait for the preliminary check."""
    clue = Clue(cases)
    await clue.in_talk()
    code, details = await refusal(api, "RequestMeasure", SUP1, **custody(clue.clue_id, kind=cev.MEASURE_KIND_INQUIRY))
    assert code == "FAILED_PRECONDITION" and "clue TALK_OR_LETTER" in details
    made = await api("RequestMeasure", SUP1, **custody(clue.clue_id))
    assert (await api("ApproveMeasure", HEAD, measure_id=made.measure_id)).state == "ACTIVE"
