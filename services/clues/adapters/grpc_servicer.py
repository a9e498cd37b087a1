"""Thin gRPC edge of the clues service: translate, delegate, map errors (in kernel.grpc_server)."""
from __future__ import annotations

import uuid

from clues.v1 import service_pb2, service_pb2_grpc
from kernel.clock import Clock
from kernel.grpc_server import metadata_value, rpc
from services.clues.adapters import mapping
from services.clues.app.handlers import ClueHandlers, CommandContext, clue_id_for
from services.clues.domain import model


class ClueServicer(service_pb2_grpc.ClueServiceServicer):
    def __init__(self, handlers: ClueHandlers, clock: Clock):
        self.handlers, self.clock = handlers, clock

    @rpc
    async def RegisterClue(self, request, context, *, principal, correlation_id):
        request_id = metadata_value(context, "x-request-id") or str(uuid.uuid4())
        received = request.received_at.ToDatetime(tzinfo=self.clock.now().tzinfo) \
            if request.HasField("received_at") else self.clock.now()
        cmd = model.RegisterClue(
            clue_id=clue_id_for(request_id), source=mapping.source_from_pb(request.source),
            subjects=mapping.subjects_from_pb(request.subjects), summary=request.summary,
            received_at=received, has_informant=request.HasField("informant"), by=principal)
        informant = ({"name": request.informant.name, "contact": request.informant.contact,
                      "details": request.informant.details} if request.HasField("informant") else None)
        clue_id, version = await self.handlers.register(cmd, informant, CommandContext(request_id, correlation_id))
        return service_pb2.RegisterClueResponse(clue_id=clue_id, version=version)

    @rpc
    async def GetClue(self, request, context, *, principal, correlation_id):
        state, version = await self.handlers.get(request.clue_id.strip())
        return mapping.clue_to_pb(state, version)
