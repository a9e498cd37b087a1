"""control.v1.GetStatus over gRPC: operators see each service's relay and consumers; an officer
is refused. GetCheckpoint says through where the ledger is complete for each producer."""

import asyncio

import grpc
import pytest

from audit.v1 import service_pb2 as audit_pb2, service_pb2_grpc as audit_grpc
from control.v1 import control_pb2, control_pb2_grpc
from kernel.runtime.version import platform_version
from services.audit.main import build as build_audit
from services.clues.main import build as build_clues
from tests.factories import ALICE, OPERATOR, call_metadata, clue_event, service_settings


@pytest.fixture
async def platform(database_url, bootstrap, unique, tmp_path):
    def settings(service):
        return service_settings(
            service, database_url, bootstrap, f"st{unique}", tmp_path, database_schema=f"{service}_{unique}"
        )  # nothing kept by earlier tests

    clues = await build_clues(settings("clues")).start()
    audit = await build_audit(settings("audit")).start()
    yield clues, audit
    await clues.stop()
    await audit.stop()


async def status(host, principal):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
        return await control_pb2_grpc.ControlServiceStub(ch).GetStatus(
            control_pb2.GetStatusRequest(), metadata=call_metadata(host.settings, principal)
        )


async def test_operators_read_each_part_of_a_service(platform):
    clues, audit = platform
    got = await status(clues, OPERATOR)
    assert got.service == "clues"
    assert got.version == platform_version() != ""  # issue 28: the one jjjc --version and jjjc_build_info say
    parts = {c.name: c for c in got.components}
    relay = parts.pop(f"relay {clues.settings.topic}")
    store = parts.pop("store")  # issue 28: the store's events, relay backlog and pending timers
    assert store.state == "ok" and {"events", "relay_backlog", "timers_pending", "timers_due"} <= set(store.counters)
    # the followers of the cases service's answers and of audit's fast tracks (issue 26)
    consumers = list(parts.values())
    assert len(consumers) == 2 and all(c.name.startswith("consumer ") and c.state == "ok" for c in consumers)
    assert relay.state == "ok" and "published" in relay.counters
    got = await status(audit, OPERATOR)
    parts = {c.name: c for c in got.components}
    own = parts.pop(f"relay {audit.settings.topic}")  # audit's own facts (the reads it serves)
    completeness = parts.pop("ledger completeness")
    parts.pop("store")
    partner = [parts.pop(n) for n in list(parts) if n.startswith("partner topic ")]  # issue 23, one per agency
    assert partner and all(c.state == "ok" and "unpublished" in c.counters for c in partner)
    [ledger] = parts.values()  # the ledger's consumer
    assert own.state == "ok" and ledger.name.startswith("consumer ") and ledger.state == "ok"
    assert {"kept_total", "held_streams", "store_retries"} <= set(ledger.counters)
    assert completeness.name == "ledger completeness" and completeness.state == "ok"


async def test_an_officer_may_not_read_the_status(platform):
    clues, _ = platform
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await status(clues, ALICE)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_get_checkpoint_says_through_where_each_producer_is_complete(database_url, bootstrap, unique, tmp_path):
    def settings(service):
        return service_settings(
            service,
            database_url,
            bootstrap,
            f"cc{unique}",
            tmp_path,
            relay_watermark_seconds=0.3,
            database_schema=f"{service}_cc{unique}",
        )

    clues = await build_clues(settings("clues")).start()
    audit = await build_audit(settings("audit")).start()
    try:
        for i in range(3):
            async with clues.store.unit_of_work() as uow:
                await uow.append(f"clue-cc{unique}-{i}", 0, [clue_event(f"clue-cc{unique}-{i}")])
        async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
            stub = audit_grpc.AuditServiceStub(ch)
            md = call_metadata(audit.settings, OPERATOR)
            for _ in range(240):
                signed = (await stub.SignCheckpoint(audit_pb2.SignCheckpointRequest(), metadata=md)).checkpoint
                done = [c for c in signed.completeness if c.topic == clues.settings.topic and c.complete_count == 3]
                if done:
                    break
                await asyncio.sleep(0.25)
        [complete] = done
        assert complete.missing == 0 and not complete.HasField("missing_since")
        assert complete.complete_through.count(":") == 1 and b"incomplete" not in signed.note
        # issue 28: the ledger's consumer says its backlog per producer from the watermarks: the
        # clues' 3 events are recorded, so none (the producers not running here are not known)
        figure = f"backlog {clues.settings.topic}"
        for _ in range(240):
            [ledger] = [c for c in (await status(audit, OPERATOR)).components if c.name.startswith("consumer ")]
            if ledger.counters.get(figure) == 0:
                break
            await asyncio.sleep(0.25)
        assert ledger.counters[figure] == 0, dict(ledger.counters)
    finally:
        await clues.stop()
        await audit.stop()
