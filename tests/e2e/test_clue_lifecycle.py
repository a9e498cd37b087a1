"""The clue lifecycle over gRPC, with approvals by separate principals, the hand-over to the cases
service through Kafka (the test publishes what the cases service will: CaseFiled, FilingRejected),
and the audit history of every step."""

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest
from aiokafka import AIOKafkaProducer

from audit.v1 import service_pb2 as audit_pb2, service_pb2_grpc as audit_grpc
from cases.v1 import events_pb2 as cases_pb2
from clues.v1 import events_pb2 as ev_pb2, service_pb2 as pb, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link, NewEvent
from tests.factories import ALICE, call_metadata, ts

HEAD = Principal("commission", "leadership", "commission_head", "u-head")
INSPECTOR = Principal("commission", "supervision_1", "supervisor", "u-insp")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
CASES = Principal.system("cases-filing")
PURPOSE = "follow the clue through its lifecycle"  # every read states one (issue 17)


@pytest.fixture(scope="module")
def platform(shared_platform):
    """The shared clues and audit (no cases service: the test publishes its answers)."""
    return shared_platform


class Client:
    def __init__(self, host, channel):
        self.host, self.stub = host, clues_grpc.ClueServiceStub(channel)

    async def __call__(self, rpc: str, who: Principal = ALICE, **fields):
        request = getattr(pb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=str(uuid.uuid4()), correlation="corr-lc")
        return await getattr(self.stub, rpc)(request, metadata=md)

    async def refused(self, rpc: str, who: Principal = ALICE, **fields) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await self(rpc, who, **fields)
        return err.value

    async def get(self, clue_id):
        return await self.stub.GetClue(
            pb.GetClueRequest(clue_id=clue_id, purpose=PURPOSE), metadata=call_metadata(self.host.settings)
        )


async def publish_from_cases(clues, payload, case_id: str):
    """What the cases service's relay will publish: a sealed envelope keyed by the case stream,
    linked to the clue it answers."""
    now = datetime.now(timezone.utc)
    event = NewEvent(
        str(uuid.uuid4()), payload, now, CASES, "corr-lc", links=(Link("clue", payload.clue_id, "origin"),)
    )
    raw = env_mod.seal(env_mod.build(event, case_id, 1, now))
    producer = AIOKafkaProducer(bootstrap_servers=clues.settings.kafka_bootstrap)
    await producer.start()
    try:
        for _ in range(2):  # delivered twice: the second must change nothing
            await producer.send_and_wait(clues.settings.topic_of("cases"), raw, key=case_id.encode())
    finally:
        await producer.stop()


async def wait_state(client, clue_id, state, seconds=60):
    for _ in range(seconds * 4):
        got = await client.get(clue_id)
        if got.state == state:
            return got
        await asyncio.sleep(0.25)
    raise AssertionError(f"{clue_id} stayed {got.state}, never {state}")


async def to_report(client, proposal=ev_pb2.REPORT_PROPOSAL_FILE_CASE, lower_committee=True, registered=None):
    reg = registered or await client(
        "RegisterClue",
        source=ev_pb2.CLUE_SOURCE_PETITION,
        summary="bribes for permits",
        subjects=[identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba", post="county head")],
    )
    cid = reg.clue_id
    await client("ProposeRegistration", clue_id=cid, handling_office="supervision_1")
    await client("ApproveRegistration", HEAD, clue_id=cid)
    await client("ProposeDisposal", clue_id=cid, method=ev_pb2.DISPOSAL_METHOD_PRELIM_CHECK, reason="specific")
    await client("ApproveDisposal", HEAD, clue_id=cid)
    await client(
        "SubmitPrelimCheckPlan",
        INSPECTOR,
        clue_id=cid,
        work_plan="interview, bank records",
        team=["u-insp", "u-insp2"],
        subject_heads_lower_committee=lower_committee,
    )
    await client("ApprovePrelimCheckPlan", HEAD, clue_id=cid)
    if lower_committee:
        await client("ApprovePrelimCheckPlan", COMMITTEE, clue_id=cid)
    await client("ReportPrelimCheck", INSPECTOR, clue_id=cid, findings="money traced", proposal=proposal)
    return cid


# What audit tells of a clue from its receipt to its filing proposal once its report is approved
# (Rules 23-35), step by step: the event and who recorded it. The stories of tests/stories.py go on
# from it into the case.
CLUE_TO_FILING = [
    ("ClueRegistered", "u-alice"),
    ("RegistrationProposed", "u-alice"),
    ("RegistrationApproved", "u-head"),
    ("DisposalProposed", "u-alice"),
    ("DisposalApproved", "u-head"),
    ("PrelimCheckPlanSubmitted", "u-insp"),
    ("PrelimCheckPlanApproved", "u-head"),
    ("PrelimCheckPlanApproved", "u-party"),
    ("PrelimCheckReported", "u-insp"),
    ("ReportApproved", "u-head"),
    ("FilingProposed", "u-head"),
]


async def test_from_receipt_to_a_filed_case(platform):
    clues, audit = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        cid = await to_report(client)
        approved = await client("ApproveReport", HEAD, clue_id=cid)
        assert approved.state == "AWAITING_FILING"
        case_id = f"case-{uuid.uuid4()}"
        await publish_from_cases(clues, cases_pb2.CaseFiled(case_id=case_id, clue_id=cid), case_id)
        got = await wait_state(client, cid, "CASE_FILED")
        assert got.case_id == case_id and got.handling_office == "supervision_1"
        assert got.clue_number.startswith(f"case_management-{datetime.now().year}-")
    history = await audit_history(audit, cid, expect=12)
    steps = [(e.envelope.event_type.split(".")[-1], e.envelope.principal.user) for e in history.events]
    assert steps == [*CLUE_TO_FILING, ("ClueCaseFiled", "system:clues-filings")]
    assert all(e.envelope.correlation_id == "corr-lc" for e in history.events)
    story = await replay(audit, case_id, expect=13)  # 复盘 from the case: the clue's steps come first
    told = [(s.event_type.split(".")[-1], s.principal.user) for s in story.steps]
    assert told == steps[:-1] + [("CaseFiled", "system:cases-filing"), steps[-1]]
    assert [s.id for s in story.subjects] == [case_id, cid] and story.subjects[1].relation == "origin"
    approvals = [(s.approval.user, s.approval.role) for s in story.steps if s.approval.user]
    assert approvals == [("u-head", "commission_head")] * 3 + [
        ("u-party", "party_committee_head"),
        ("u-head", "commission_head"),
    ]
    before = story.steps[-2].recorded_at  # as it stood before the case was filed
    before.FromNanoseconds(before.ToNanoseconds() - 1)
    then = await replay(audit, cid, expect=11, as_of=before)
    assert [s.event_type.split(".")[-1] for s in then.steps][-1] == "FilingProposed"
    assert [s.id for s in then.subjects] == [cid]


async def test_a_refused_filing_returns_the_clue_to_reported(platform):
    clues, _ = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        cid = await to_report(client, lower_committee=False)
        await client("ApproveReport", HEAD, clue_id=cid)
        case_stream = f"case-{uuid.uuid4()}"
        await publish_from_cases(clues, cases_pb2.FilingRejected(clue_id=cid, reason="facts unclear"), case_stream)
        got = await wait_state(client, cid, "REPORTED")
        assert got.pending_kind == ""
        await client(
            "ReviseReportProposal",
            INSPECTOR,
            clue_id=cid,
            proposal=ev_pb2.REPORT_PROPOSAL_CLOSE,
            reason="filing refused",
        )
        closed = await client("ApproveReport", HEAD, clue_id=cid)
        assert closed.state == "CLOSED"


async def test_approvals_are_checked_by_role_by_person_and_by_state(platform):
    clues, _ = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        reg = await client(
            "RegisterClue",
            source=ev_pb2.CLUE_SOURCE_INSPECTION_TOUR,
            summary="tour finding",
            subjects=[identity_pb2.PersonRef(person_id="P-78", name="Wu Jiu")],
        )
        cid = reg.clue_id
        err = await client.refused("ProposeDisposal", clue_id=cid, method=ev_pb2.DISPOSAL_METHOD_CLOSED, reason="x")
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "RECEIVED" in err.details()
        await client("ProposeRegistration", clue_id=cid, handling_office="supervision_2")
        err = await client.refused("ApproveRegistration", clue_id=cid)  # a case manager may not approve
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "clues.registration" in err.details()
        proposer_head = Principal("commission", "leadership", "commission_head", "u-alice")
        err = await client.refused("ApproveRegistration", proposer_head, clue_id=cid)  # nor the proposer
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "u-alice" in err.details()
        err = await client.refused("ApproveRegistration", HEAD, clue_id=cid, expected_version=1)
        assert err.code() == grpc.StatusCode.ABORTED
        ok = await client("ApproveRegistration", HEAD, clue_id=cid, expected_version=2)
        assert (ok.state, ok.version) == ("REGISTERED", 3)
        err = await client.refused("ProposeDisposal", clue_id=cid, method=0, reason="x")
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "method" in err.details()
        err = await client.refused("ForwardClue", clue_id=f"clue-{uuid.uuid4()}", to_agency="court", reason="x")
        assert err.code() == grpc.StatusCode.NOT_FOUND
        assert len(await clues.store.read_stream(cid)) == 3  # nothing refused left a trace


async def test_clue_numbers_are_unique_per_office_and_year_under_concurrency(platform):
    clues, _ = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        ids = [
            (
                await client(
                    "RegisterClue",
                    source=ev_pb2.CLUE_SOURCE_AUDIT,
                    summary=f"n{i}",
                    subjects=[identity_pb2.PersonRef(person_id=f"P-{i}", name="N")],
                )
            ).clue_id
            for i in range(12)
        ]
        await asyncio.gather(*(client("ProposeRegistration", clue_id=i, handling_office="supervision_1") for i in ids))
        numbers = [(await client.get(i)).clue_number for i in ids]
    assert len(set(numbers)) == 12
    seq = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seq == list(range(seq[0], seq[0] + 12))  # gap-free


async def _audit(audit, rpc, request, count, expect, what, seconds=60):
    """`rpc(request)` on the audit service, once its answer holds at least `expect` items."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = audit_grpc.AuditServiceStub(ch)
        for _ in range(seconds * 4):
            try:
                answer = await getattr(stub, rpc)(request, metadata=call_metadata(audit.settings))
                if count(answer) >= expect:
                    return answer
            except grpc.aio.AioRpcError as e:
                assert e.code() == grpc.StatusCode.NOT_FOUND
            await asyncio.sleep(0.25)
    raise AssertionError(f"audit never held {expect} of {what}")


async def audit_history(audit, stream_id, expect):
    return await _audit(
        audit,
        "GetStreamHistory",
        audit_pb2.GetStreamHistoryRequest(stream_id=stream_id, purpose=PURPOSE),
        lambda h: len(h.events),
        expect,
        f"{stream_id}'s events",
    )


async def replay(audit, subject, expect, as_of=None):
    """GetHistory of `subject`, once audit tells at least `expect` steps of it."""
    return await _audit(
        audit,
        "GetHistory",
        audit_pb2.GetHistoryRequest(subject=subject, as_of=as_of, purpose=PURPOSE),
        lambda h: len(h.steps),
        expect,
        f"{subject}'s story",
    )


async def test_a_tour_round_registers_all_its_clues_or_none(platform):
    clues, _ = platform

    def item(i, summary=None):
        return pb.RegisterClueRequest(
            source=ev_pb2.CLUE_SOURCE_INSPECTION_TOUR,
            summary=summary or f"finding {i}",
            subjects=[identity_pb2.PersonRef(person_id=f"P-T{i}", name=f"Cadre {i}")],
        )

    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        done = await client("RegisterClueBatch", batch_reference="2026 round 1", clues=[item(i) for i in range(30)])
        assert len(set(done.clue_ids)) == 30
        got = await client.get(done.clue_ids[29])
        assert got.state == "RECEIVED" and got.subjects[0].person_id == "P-T29"
        before = await clues.pool.fetchval(f"SELECT count(*) FROM {clues.settings.schema}.events")
        err = await client.refused(
            "RegisterClueBatch", batch_reference="2026 round 2", clues=[item(0), item(1), item(2, summary=" ")]
        )
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "clues[2].summary" in err.details()
        err = await client.refused("RegisterClueBatch", batch_reference=" ", clues=[item(0)])
        assert "batch_reference" in err.details()
        err = await client.refused("RegisterClueBatch", batch_reference="empty", clues=[])
        assert "clues" in err.details()
        assert await clues.pool.fetchval(f"SELECT count(*) FROM {clues.settings.schema}.events") == before


async def test_a_supervision_notice_is_tracked_until_the_clue_is_disposed_and_escalation_keeps_history(platform):
    clues, _ = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        reg = await client(
            "RegisterClue",
            source=ev_pb2.CLUE_SOURCE_SUPERIOR_ASSIGNMENT,
            summary="assigned",
            subjects=[identity_pb2.PersonRef(person_id="P-81", name="Lu Shi")],
        )
        cid = reg.clue_id
        await client("ProposeRegistration", clue_id=cid, handling_office="resident_group_2")
        await client("ApproveRegistration", HEAD, clue_id=cid)
        now = datetime.now(timezone.utc)
        err = await client.refused(
            "IssueSupervisionNotice",
            clue_id=cid,
            notice_id="DB-1",
            due_at=ts(now - timedelta(days=1)),
            required="DISPOSED",
        )
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "due_at" in err.details()
        await client(
            "IssueSupervisionNotice",
            clue_id=cid,
            notice_id="DB-1",
            due_at=ts(now + timedelta(days=30)),
            required="DISPOSED",
        )
        listed = await client.stub.ListSupervisionNotices(
            pb.ListSupervisionNoticesRequest(office="resident_group_2", purpose=PURPOSE),
            metadata=call_metadata(clues.settings),
        )
        [notice] = [n for n in listed.notices if n.clue_id == cid]
        assert not notice.HasField("satisfied_at") and not notice.overdue
        moved = await client("EscalateClue", HEAD, clue_id=cid, to_office="supervision_1", reason="leadership takes it")
        assert moved.state == "REGISTERED"
        await client("ProposeDisposal", clue_id=cid, method=ev_pb2.DISPOSAL_METHOD_TALK_OR_LETTER, reason="talk")
        await client("ApproveDisposal", HEAD, clue_id=cid)
        listed = await client.stub.ListSupervisionNotices(
            pb.ListSupervisionNoticesRequest(office="resident_group_2", purpose=PURPOSE),
            metadata=call_metadata(clues.settings),
        )
        [notice] = [n for n in listed.notices if n.clue_id == cid]
        assert notice.HasField("satisfied_at")
        got = await client.get(cid)
        assert got.handling_office == "supervision_1"
    types = [s.event_type.split(".")[-1] for s in await clues.store.read_stream(cid)]
    assert types[-4:] == ["ClueEscalated", "DisposalProposed", "DisposalApproved", "SupervisionNoticeSatisfied"]
