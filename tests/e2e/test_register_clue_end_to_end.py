"""RegisterClue -> clues store -> relay -> clues.events.v1 -> Faust agent in audit -> audit store
-> GetStreamHistory, over real gRPC, against the embedded PostgreSQL and broker."""

import asyncio
import uuid

import grpc
import pytest
from aiokafka import AIOKafkaProducer

from audit.v1 import service_pb2 as audit_pb2, service_pb2_grpc as audit_grpc
from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import unpack
from tests.factories import ALICE, call_metadata

CANARY = "INFORMANT-CANARY-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def platform(shared_platform):
    """The shared clues and audit: each test uses fresh ids; the garbage records of the last go to
    the shared topic, which only this module fills with garbage (it counts them there)."""
    return shared_platform


async def wait_for_history(stub, stream_id, host, seconds=60):
    for _ in range(int(seconds * 4)):
        try:
            return await stub.GetStreamHistory(
                audit_pb2.GetStreamHistoryRequest(stream_id=stream_id, purpose="check the record"),
                metadata=metadata(host),
            )
        except grpc.aio.AioRpcError as e:
            assert e.code() == grpc.StatusCode.NOT_FOUND
        await asyncio.sleep(0.25)
    raise AssertionError(f"{stream_id} never reached the audit store")


def metadata(host, request_id=None, correlation="corr-e2e"):
    return call_metadata(host.settings, request_id=request_id, correlation=correlation)


async def test_registered_clue_reaches_audit_history(platform):
    clues, audit = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        stub = clues_grpc.ClueServiceStub(ch)
        req = clues_pb2.RegisterClueRequest(
            source=events_pb2.CLUE_SOURCE_PETITION,
            summary="took bribes for permits",
            subjects=[identity_pb2.PersonRef(person_id="p-100", name="Zhang San", post="bureau chief")],
            informant=clues_pb2.Informant(name=CANARY, contact=CANARY, details=CANARY),
        )
        request_id = str(uuid.uuid4())
        resp = await stub.RegisterClue(req, metadata=metadata(clues, request_id))
        again = await stub.RegisterClue(req, metadata=metadata(clues, request_id))  # retry: same clue, nothing appended
        assert again.clue_id == resp.clue_id
        got = await stub.GetClue(
            clues_pb2.GetClueRequest(clue_id=resp.clue_id, purpose="check the registration"), metadata=metadata(clues)
        )
        assert got.state == "RECEIVED" and got.has_sealed_informant and got.version == 1

    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = audit_grpc.AuditServiceStub(ch)
        history = await wait_for_history(stub, resp.clue_id, audit)
        assert len(history.events) == 1, "event never reached the audit store"
        recorded = history.events[0]
        assert recorded.envelope.principal.user == ALICE.user
        assert recorded.envelope.correlation_id == "corr-e2e"
        assert recorded.envelope.request_id == request_id
        assert unpack(recorded.envelope, events_pb2.ClueRegistered).summary == "took bribes for permits"
        stored = (await clues.store.read_stream(resp.clue_id))[0].envelope
        assert recorded.envelope_bytes == stored  # published unchanged
        assert CANARY.encode() not in stored


@pytest.mark.parametrize(
    "mutate,code,field",
    [
        (lambda r: r.ClearField("subjects"), grpc.StatusCode.INVALID_ARGUMENT, "subjects"),
        (lambda r: setattr(r, "summary", " "), grpc.StatusCode.INVALID_ARGUMENT, "summary"),
        (lambda r: setattr(r, "source", 0), grpc.StatusCode.INVALID_ARGUMENT, "source"),
    ],
)
async def test_bad_input_is_refused_and_leaves_nothing(platform, mutate, code, field):
    clues, _ = platform
    req = clues_pb2.RegisterClueRequest(
        source=events_pb2.CLUE_SOURCE_AUDIT,
        summary="x",
        subjects=[identity_pb2.PersonRef(person_id="p-1", name="Li Si")],
    )
    mutate(req)
    request_id = str(uuid.uuid4())
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await clues_grpc.ClueServiceStub(ch).RegisterClue(req, metadata=metadata(clues, request_id))
    assert err.value.code() == code and field in err.value.details()
    clue_id = CommandContext(ALICE, "", "clues.register", request_id).derived_id("clue")
    assert await clues.store.read_stream(clue_id) == []


async def test_missing_principal_is_unauthenticated_and_unknown_clue_not_found(platform):
    clues, _ = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        stub = clues_grpc.ClueServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetClue(clues_pb2.GetClueRequest(clue_id="clue-x"))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetClue(
                clues_pb2.GetClueRequest(clue_id=f"clue-{uuid.uuid4()}", purpose="look it up"), metadata=metadata(clues)
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_same_request_id_with_other_content_is_refused(platform):
    clues, _ = platform
    request_id = str(uuid.uuid4())
    req = clues_pb2.RegisterClueRequest(
        source=events_pb2.CLUE_SOURCE_AUDIT,
        summary="first",
        subjects=[identity_pb2.PersonRef(person_id="p-2", name="Wang Wu")],
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        stub = clues_grpc.ClueServiceStub(ch)
        first = await stub.RegisterClue(req, metadata=metadata(clues, request_id))
        req.summary = "second"
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.RegisterClue(req, metadata=metadata(clues, request_id))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "x-request-id" in err.value.details()
    assert len(await clues.store.read_stream(first.clue_id)) == 1


async def test_malformed_record_does_not_block_audit(platform, bootstrap):
    clues, audit = platform
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for partition in range(3):  # garbage ahead of real events on every partition
            await producer.send_and_wait(clues.settings.topic, b"\xff not an envelope", key=b"k", partition=partition)
    finally:
        await producer.stop()
    req = clues_pb2.RegisterClueRequest(
        source=events_pb2.CLUE_SOURCE_AUDIT,
        summary="after garbage",
        subjects=[identity_pb2.PersonRef(person_id="p-3", name="Zhao Liu")],
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        resp = await clues_grpc.ClueServiceStub(ch).RegisterClue(req, metadata=metadata(clues, str(uuid.uuid4())))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = audit_grpc.AuditServiceStub(ch)
        history = await wait_for_history(stub, resp.clue_id, audit)
        assert len(history.events) == 1
    kept = await audit.pool.fetchval(
        f"SELECT count(*) FROM {audit.settings.schema}.consumer_quarantine WHERE topic = $1 AND event_id IS NULL",
        clues.settings.topic,
    )
    assert kept == 3, "each malformed record is kept aside, not skipped"
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = audit_grpc.AuditServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetStreamHistory(
                audit_pb2.GetStreamHistoryRequest(stream_id=" ", purpose="check the record"), metadata=metadata(audit)
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "stream_id" in err.value.details()
