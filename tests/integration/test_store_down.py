"""The store going down is UNAVAILABLE for a command, never a stack trace or a half-written state."""
import uuid

import grpc
import pytest

from common.v1 import identity_pb2
from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from kernel.embedded import EmbeddedPostgres
from services.clues.main import build as build_clues
from tests.factories import call_metadata, service_settings


async def test_register_clue_with_store_down_is_unavailable(bootstrap, unique, tmp_path):
    pg = EmbeddedPostgres(tmp_path / "pg").start()
    settings = service_settings("clues", pg.url, bootstrap, f"down{unique}", tmp_path, topic_partitions=1)
    clues = await build_clues(settings).start()
    try:
        pg.stop()
        req = clues_pb2.RegisterClueRequest(source=events_pb2.CLUE_SOURCE_AUDIT, summary="x",
                                            subjects=[identity_pb2.PersonRef(person_id="p", name="n")])
        async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await clues_grpc.ClueServiceStub(ch).RegisterClue(
                    req, metadata=call_metadata(settings, request_id=str(uuid.uuid4())))
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "Traceback" not in err.value.details()
    finally:
        await clues.stop()
        pg.stop()
