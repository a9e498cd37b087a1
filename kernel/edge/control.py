"""`control.v1.ControlService`, offered by every service: its status, and its clock (read; moved
in test mode only)."""

from __future__ import annotations

from google.protobuf import timestamp_pb2

from control.v1 import control_pb2 as pb, control_pb2_grpc as pb_grpc
from kernel.domain.clock import ServiceClock
from kernel.domain.errors import Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.status import StatusBoard
from kernel.runtime import log as klog
from kernel.runtime.version import platform_version

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ControlService"].full_name


class ControlServicer(pb_grpc.ControlServiceServicer):
    def __init__(self, clock: ServiceClock, board: StatusBoard):
        self.clock, self.board = clock, board

    def _state(self) -> pb.ClockState:
        now = timestamp_pb2.Timestamp()
        now.FromDatetime(self.clock.now())
        return pb.ClockState(
            now=now,
            time_zone=str(self.clock.tz),
            settable=self.clock.settable,
            moved=self.clock.moved,
            frozen=self.clock.frozen,
        )

    @rpc("control.clock.read")
    async def GetClock(self, request, context, call):
        return pb.GetClockResponse(clock=self._state())

    @rpc("control.clock.set")
    async def SetClock(self, request, context, call):
        if not request.HasField("at"):
            raise Validation("at", "required: the instant the clock should show")
        self.clock.set(request.at.ToDatetime(tzinfo=self.clock.tz), freeze=request.freeze)
        klog.get("control").warning(
            "clock.moved", now=self.clock.now().isoformat(), frozen=self.clock.frozen, by=call.principal.user
        )
        return pb.SetClockResponse(clock=self._state())

    @rpc("control.clock.set")
    async def ResetClock(self, request, context, call):
        self.clock.reset()
        klog.get("control").warning("clock.reset", now=self.clock.now().isoformat(), by=call.principal.user)
        return pb.ResetClockResponse(clock=self._state())

    @rpc("control.status.read")
    async def GetStatus(self, request, context, call):
        return pb.GetStatusResponse(
            service=self.board.service,
            version=platform_version(),
            components=[
                pb.ComponentStatus(name=c.name, state=c.state, counters=c.counters, problems=list(c.problems))
                for c in await self.board.read()
            ],
        )


def register(server, clock: ServiceClock, board: StatusBoard) -> None:
    pb_grpc.add_ControlServiceServicer_to_server(ControlServicer(clock, board), server)
