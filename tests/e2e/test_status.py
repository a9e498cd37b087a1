"""control.v1.GetStatus over gRPC: operators see each service's relay and consumers; an officer
is refused."""
import grpc
import pytest

from control.v1 import control_pb2, control_pb2_grpc
from services.audit.main import build as build_audit
from services.clues.main import build as build_clues
from tests.factories import ALICE, OPERATOR, call_metadata, service_settings


@pytest.fixture
async def platform(database_url, bootstrap, unique, tmp_path):
    def settings(service):
        return service_settings(service, database_url, bootstrap, f"st{unique}", tmp_path,
                                database_schema=f"{service}_{unique}")   # nothing kept by earlier tests
    clues = await build_clues(settings("clues")).start()
    audit = await build_audit(settings("audit")).start()
    yield clues, audit
    await clues.stop()
    await audit.stop()


async def status(host, principal):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
        return await control_pb2_grpc.ControlServiceStub(ch).GetStatus(
            control_pb2.GetStatusRequest(), metadata=call_metadata(host.settings, principal))


async def test_operators_read_each_part_of_a_service(platform):
    clues, audit = platform
    got = await status(clues, OPERATOR)
    assert got.service == "clues"
    parts = {c.name: c for c in got.components}
    relay = parts.pop(f"relay {clues.settings.topic}")
    [consumer] = parts.values()            # the follower of the cases service's answers
    assert consumer.name.startswith("consumer ") and consumer.state == "ok"
    assert relay.state == "ok" and "published" in relay.counters
    got = await status(audit, OPERATOR)
    [ledger] = got.components          # audit owns no topic: its one part is the ledger's consumer
    assert ledger.name.startswith("consumer ") and ledger.state == "ok"
    assert {"kept_total", "held_streams", "store_retries"} <= set(ledger.counters)


async def test_an_officer_may_not_read_the_status(platform):
    clues, _ = platform
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await status(clues, ALICE)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
