"""Thin gRPC edge of the clues service: translate, delegate, map errors (in kernel.grpc_server)."""
from __future__ import annotations

from clues.v1 import service_pb2, service_pb2_grpc
from kernel.clock import Clock
from kernel.grpc_server import rpc
from services.clues.adapters import mapping
from services.clues.app.handlers import ClueHandlers
from services.clues.domain import model


class ClueServicer(service_pb2_grpc.ClueServiceServicer):
    def __init__(self, handlers: ClueHandlers, clock: Clock):
        self.handlers, self.clock = handlers, clock

    @rpc("clues.register", mutating=True)
    async def RegisterClue(self, request, context, call):
        received = request.received_at.ToDatetime(tzinfo=self.clock.now().tzinfo) \
            if request.HasField("received_at") else self.clock.now()
        cmd = model.RegisterClue(
            clue_id=call.derived_id("clue"), source=mapping.source_from_pb(request.source),
            subjects=mapping.subjects_from_pb(request.subjects), summary=request.summary,
            received_at=received, has_informant=request.HasField("informant"), by=call.principal)
        informant = ({"name": request.informant.name, "contact": request.informant.contact,
                      "details": request.informant.details} if request.HasField("informant") else None)
        return service_pb2.RegisterClueResponse(**await self.handlers.register(cmd, informant, call))

    @rpc("clues.read")
    async def GetClue(self, request, context, call):
        state, version = await self.handlers.get(request.clue_id.strip())
        return mapping.clue_to_pb(state, version)
