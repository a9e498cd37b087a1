"""Commands are idempotent by request id, proven over gRPC with retries racing each other."""

import asyncio
import uuid

import grpc
import pytest

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from tests.factories import call_metadata

RACERS = 16


@pytest.fixture(scope="module")
def clues(shared_platform):
    """The shared clues service: nothing else writes its schema while a test counts it."""
    return shared_platform[0]


def request(summary: str) -> clues_pb2.RegisterClueRequest:
    return clues_pb2.RegisterClueRequest(
        source=events_pb2.CLUE_SOURCE_PETITION,
        summary=summary,
        subjects=[identity_pb2.PersonRef(person_id="p-7", name="Sun Qi")],
    )


async def _register(host, req, request_id, principal=None):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:  # a channel per racer
        md = call_metadata(host.settings, *([principal] if principal else []), request_id=request_id)
        try:
            return await clues_grpc.ClueServiceStub(ch).RegisterClue(req, metadata=md)
        except grpc.aio.AioRpcError as e:
            return e


async def _count(host, sql, *args):
    """`sql` with {s} the service's schema."""
    async with host.pool.acquire() as conn:
        return await conn.fetchval(sql.format(s=host.settings.schema), *args)


async def test_racing_retries_return_one_result_and_append_once(clues):
    request_id = str(uuid.uuid4())
    results = await asyncio.gather(*(_register(clues, request("same content"), request_id) for _ in range(RACERS)))
    errors = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert not errors, [(e.code(), e.details()) for e in errors]
    assert {(r.clue_id, r.version) for r in results} == {(results[0].clue_id, 1)}
    assert len(await clues.store.read_stream(results[0].clue_id)) == 1
    # a late retry after everything settled is still the same answer
    late = await _register(clues, request("same content"), request_id)
    assert (late.clue_id, late.version) == (results[0].clue_id, 1)


async def test_racing_different_contents_under_one_request_id_one_wins_the_rest_refused(clues):
    request_id = str(uuid.uuid4())
    racers = [request(f"content {i % 2}") for i in range(RACERS)]
    results = await asyncio.gather(*(_register(clues, r, request_id) for r in racers))
    ok = [(req.summary, res) for req, res in zip(racers, results) if not isinstance(res, grpc.aio.AioRpcError)]
    refused = [res for res in results if isinstance(res, grpc.aio.AioRpcError)]
    winner = {summary for summary, _ in ok}
    assert len(winner) == 1 and len(ok) == RACERS // 2 and len(refused) == RACERS // 2
    assert len({res.clue_id for _, res in ok}) == 1
    for e in refused:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "x-request-id" in e.details()
    stored = await clues.store.read_stream(ok[0][1].clue_id)
    assert len(stored) == 1
    assert await _count(clues, "SELECT count(*) FROM {s}.requests WHERE request_id = $1", request_id) == 1


async def test_same_request_id_from_another_user_is_refused(clues):
    request_id = str(uuid.uuid4())
    first = await _register(clues, request("mine"), request_id)
    bob = Principal("commission", "case_management", "case_manager", "u-bob")
    other = await _register(clues, request("mine"), request_id, bob)
    assert isinstance(other, grpc.aio.AioRpcError) and other.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(await clues.store.read_stream(first.clue_id)) == 1


@pytest.mark.parametrize("request_id", [None, "", "has spaces", "x" * 129, "semi;colon"])
async def test_a_mutating_call_without_a_usable_request_id_is_refused(clues, request_id):
    before = await _count(clues, "SELECT count(*) FROM {s}.events")
    result = await _register(clues, request("no id"), request_id)
    assert isinstance(result, grpc.aio.AioRpcError)
    assert result.code() == grpc.StatusCode.INVALID_ARGUMENT and "x-request-id" in result.details()
    assert await _count(clues, "SELECT count(*) FROM {s}.events") == before


async def test_a_refused_command_leaves_its_request_id_free(clues):
    """Bad input claims nothing: the corrected request may reuse the id."""
    request_id = str(uuid.uuid4())
    bad = await _register(clues, request(" "), request_id)
    assert isinstance(bad, grpc.aio.AioRpcError) and "summary" in bad.details()
    good = await _register(clues, request("corrected"), request_id)
    assert good.version == 1
