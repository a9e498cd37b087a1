"""The edge of every service (issue 15): authentication before decoding, the contract before any
handler, refusals that name the field in the standard error details, and nothing recorded."""

import uuid
from datetime import datetime, timezone

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.edge.grpc_server import RULE_BROKEN
from tests.factories import OPERATOR, call_metadata, ts

REGISTER = "/clues.v1.ClueService/RegisterClue"
CORRUPT = b"\x0a\xff\xff\xff\xff\x0f"  # a length prefix far past the end of the body


@pytest.fixture(scope="module")
def clues(shared_platform):
    """The shared clues service: nothing else writes its schema while a test counts it."""
    return shared_platform[0]


def register(**kw) -> clues_pb2.RegisterClueRequest:
    base = dict(
        source=events_pb2.CLUE_SOURCE_PETITION,
        summary="gifts at the festival",
        subjects=[identity_pb2.PersonRef(person_id="p-9", name="Zhou Jiu")],
    )
    return clues_pb2.RegisterClueRequest(**{**base, **kw})


async def call(host, method: str, body: bytes, metadata=()):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
        raw = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            return await raw(body, metadata=metadata, timeout=10)
        except grpc.aio.AioRpcError as e:
            return e


async def counts(host) -> tuple[int, int]:
    s = host.settings.schema
    async with host.pool.acquire() as conn:
        return (
            await conn.fetchval(f"SELECT count(*) FROM {s}.events"),
            await conn.fetchval(f"SELECT count(*) FROM {s}.requests"),
        )


async def test_an_undecodable_body_without_credentials_is_unauthenticated(clues):
    refused = await call(clues, REGISTER, CORRUPT)
    assert refused.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_an_undecodable_body_with_credentials_is_invalid_and_says_nothing_of_the_decoder(clues):
    before = await counts(clues)
    refused = await call(clues, REGISTER, CORRUPT, call_metadata(clues.settings, request_id=str(uuid.uuid4())))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "RegisterClue request message" in refused.details()
    assert "Error" not in refused.details() and "Wire" not in refused.details()
    assert await counts(clues) == before


async def test_a_broken_rule_names_the_field_in_the_standard_details_and_leaves_nothing(clues):
    before = await counts(clues)
    early = register(received_at=ts(datetime(1, 1, 1, tzinfo=timezone.utc)))
    refused = await call(
        clues, REGISTER, early.SerializeToString(), call_metadata(clues.settings, request_id=str(uuid.uuid4()))
    )
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.details().startswith("received_at: ")
    status = rpc_status.from_call(refused)
    bad, info = error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(bad) and status.details[1].Unpack(info)
    assert bad.field_violations[0].field == "received_at" and "2000-01-01" in bad.field_violations[0].description
    assert info.reason == RULE_BROKEN
    assert await counts(clues) == before


async def test_the_queue_stays_readable_for_everyone(clues):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        stub = clues_grpc.ClueServiceStub(ch)
        await stub.RegisterClue(register(), metadata=call_metadata(clues.settings, request_id=str(uuid.uuid4())))
        listed = await stub.ListClues(
            clues_pb2.ListCluesRequest(purpose="the queue"), metadata=call_metadata(clues.settings)
        )
    assert listed.clues


@pytest.mark.parametrize("correlation", ["c" * 1_000, "two words", '{"json": 1}'])
async def test_a_hostile_correlation_id_is_refused_by_name(clues, correlation):
    before = await counts(clues)
    refused = await call(
        clues,
        REGISTER,
        register().SerializeToString(),
        call_metadata(clues.settings, request_id=str(uuid.uuid4())) + [("x-correlation-id", correlation)],
    )
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.details().startswith("x-correlation-id: ")
    assert await counts(clues) == before


async def test_a_role_is_checked_before_the_contract(clues):
    early = register(received_at=ts(datetime(1970, 1, 1, tzinfo=timezone.utc)))
    refused = await call(
        clues,
        REGISTER,
        early.SerializeToString(),
        call_metadata(clues.settings, OPERATOR, request_id=str(uuid.uuid4())),
    )
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_setting_the_clock_out_of_range_is_invalid_even_where_the_clock_may_not_move(clues):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        stub = control_pb2_grpc.ControlServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.SetClock(
                control_pb2.SetClockRequest(at={"seconds": 253_402_300_799, "nanos": 999_999_999}),
                metadata=call_metadata(clues.settings, OPERATOR),
            )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("at: ")
