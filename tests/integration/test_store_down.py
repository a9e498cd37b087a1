"""The store going down is UNAVAILABLE for a command, never a stack trace or a half-written state."""

import uuid

import grpc
import pytest

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from kernel.runtime.embedded import EmbeddedPostgres
from services.clues.main import build as build_clues
from tests.factories import call_metadata, service_settings


async def test_store_down_is_unavailable_for_store_paths_and_raw_queries_alike(bootstrap, unique, tmp_path):
    """RegisterClue goes through the store's unit of work; ListClues queries the pool itself, so
    its driver error reaches the rpc decorator raw and is classified there."""
    pg = EmbeddedPostgres(tmp_path / "pg").start()
    settings = service_settings("clues", pg.url, bootstrap, f"down{unique}", tmp_path, topic_partitions=1)
    clues = await build_clues(settings).start()
    try:
        pg.stop()
        req = clues_pb2.RegisterClueRequest(
            source=events_pb2.CLUE_SOURCE_AUDIT, summary="x", subjects=[identity_pb2.PersonRef(person_id="p", name="n")]
        )
        async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
            stub = clues_grpc.ClueServiceStub(ch)
            for call in (
                stub.RegisterClue(req, metadata=call_metadata(settings, request_id=str(uuid.uuid4()))),
                stub.ListClues(clues_pb2.ListCluesRequest(purpose="the queue"), metadata=call_metadata(settings)),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await call
                assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value.details()
                assert "unreachable" in err.value.details() and "x-request-id" in err.value.details()
                assert "Traceback" not in err.value.details()
    finally:
        await clues.stop()
        pg.stop()
