"""Thin gRPC edge of the audit service."""
from __future__ import annotations

from audit.v1 import service_pb2, service_pb2_grpc
from google.protobuf import timestamp_pb2

from kernel.envelope import parse
from kernel.errors import NotFound
from kernel.grpc_server import rpc
from kernel.store import check_identifier
from services.audit.app.recorder import Recorder


def _ts(at) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


class AuditServicer(service_pb2_grpc.AuditServiceServicer):
    def __init__(self, recorder: Recorder):
        self.recorder = recorder

    @rpc("audit.read")
    async def GetStreamHistory(self, request, context, call):
        stream_id = check_identifier(request.stream_id.strip(), "stream_id")
        rows = await self.recorder.stream_history(stream_id)
        if not rows:
            raise NotFound("stream", stream_id)
        return service_pb2.GetStreamHistoryResponse(stream_id=stream_id, events=[
            service_pb2.RecordedEvent(envelope=parse(bytes(r["envelope"])), envelope_bytes=bytes(r["envelope"]),
                                      topic=r["topic"], partition=r["partition"], offset=r["offset"],
                                      ingested_at=_ts(r["ingested_at"])) for r in rows])
