"""Thin gRPC edge of `clues.v1.TourService` (tour rounds, issue 27; seed 001, domain.md §5):
translate, delegate to `services.clues.app.tours.Tours`, map errors (in kernel.edge.grpc_server).
Reads are put on the record (`kernel.eventstore.reads.record_read`) before their answer leaves."""

from __future__ import annotations

from clues.v1 import events_pb2, tour_events_pb2, tours_pb2 as pb, tours_pb2_grpc
from kernel.domain.clock import Clock
from kernel.domain.errors import Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import datetime_of, enum_word
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.reads import FileRef, record_read
from services.clues.adapters.grpc_servicer import registration
from services.clues.adapters.tour_mapping import EVENTS, problem_to_pb
from services.clues.app.tours import COLUMNS, MAX_LIST, Tours, problem_rows
from services.clues.domain import tour as t

TOUR_SOURCE = "INSPECTION_TOUR"


class TourServicer(tours_pb2_grpc.TourServiceServicer):
    def __init__(self, tours: Tours, clock: Clock):
        self.tours, self.clock = tours, clock

    async def _read(self, call: CommandContext, rpc_name: str, purpose: str, files, query: str = "") -> None:
        await record_read(self.tours.store, call, rpc_name, purpose, files, now=self.clock.now(), query=query)

    def _day(self, request, field: str):
        """The day, in the commission's time zone, of the request's instant `field` (None: unset)."""
        if not request.HasField(field):
            return None
        return datetime_of(getattr(request, field), field).astimezone(self.clock.now().tzinfo).date()

    async def _change(self, request, call, command) -> dict:
        return await self.tours.handle(call, request.round_id, request.expected_version, command, self.clock.now())

    @rpc("tours.manage", mutating=True)
    async def OpenTourRound(self, request, context, call):
        cmd = t.OpenTourRound(
            call.derived_id("tour"),
            request.reference,
            enum_word(tour_events_pb2.TourKind, request.kind),
            tuple(t.InspectedUnit(u.code.strip(), u.name.strip()) for u in request.units),
            self._day(request, "starts_on"),
            self._day(request, "ends_on"),
            call.principal,
        )
        result = await self.tours.open(call, cmd, self.clock.now())
        rows = await self.tours.problems(call.principal, ids=result["carried_over"], limit=len(result["carried_over"]))
        now = self.clock.now()
        return pb.OpenTourRoundResponse(
            round_id=result["round_id"],
            version=result["version"],
            carried_over=[problem_to_pb(r, now) for r in rows],
        )

    @rpc("tours.manage", mutating=True)
    async def RecordTourProblems(self, request, context, call):
        problems = tuple(t.NewProblem(p.unit, p.category, p.description) for p in request.problems)
        result = await self._change(
            request, call, t.RecordTourProblems(request.round_id.strip(), problems, call.principal)
        )
        return pb.RecordTourProblemsResponse(version=result["version"], problem_ids=result["problem_ids"])

    @rpc("tours.manage", mutating=True)
    async def TransferTourProblem(self, request, context, call):
        due = datetime_of(request.due_at, "due_at") if request.HasField("due_at") else None
        cmd = t.TransferTourProblem(
            request.round_id.strip(),
            request.problem_id,
            request.responsible_unit,
            due,
            self.clock.now(),
            call.principal,
        )
        return pb.TransferTourProblemResponse(version=(await self._change(request, call, cmd))["version"])

    @rpc("tours.manage", mutating=True)
    async def ReportProblemRectified(self, request, context, call):
        cmd = t.ReportProblemRectified(
            request.round_id.strip(), request.problem_id, request.rectification, call.principal
        )
        return pb.ReportProblemRectifiedResponse(version=(await self._change(request, call, cmd))["version"])

    @rpc("tours.manage", mutating=True)
    async def CloseTourProblem(self, request, context, call):
        cmd = t.CloseTourProblem(request.round_id.strip(), request.problem_id, call.principal)
        return pb.CloseTourProblemResponse(version=(await self._change(request, call, cmd))["version"])

    @rpc("tours.manage", mutating=True)
    async def IssueSuggestionLetter(self, request, context, call):
        cmd = t.IssueSuggestionLetter(
            request.round_id.strip(),
            request.letter_id,
            request.addressed_to,
            tuple(request.problem_ids),
            call.principal,
        )
        return pb.IssueSuggestionLetterResponse(version=(await self._change(request, call, cmd))["version"])

    @rpc("tours.manage", mutating=True)
    async def TransferTourClues(self, request, context, call):
        round_id = self.tours.stream_id(request.round_id)
        batch = request.batch_reference.strip()
        if not batch:
            raise Validation("batch_reference", "must not be empty")
        await self.tours.get(round_id, call.principal)  # NOT_FOUND before anything about its clues
        for k, item in enumerate(request.clues):
            source = enum_word(events_pb2.ClueSource, item.source)
            if source != TOUR_SOURCE:
                raise Validation(
                    f"clues[{k}].source", "a tour round transfers clues of source CLUE_SOURCE_INSPECTION_TOUR"
                )
        items = [registration(item, call, self.clock, k, batch, round_id) for k, item in enumerate(request.clues)]
        result = await self.tours.transfer_clues(call, round_id, batch, items, self.clock.now())
        return pb.TransferTourCluesResponse(clue_ids=result["clue_ids"], version=result["version"])

    @rpc("tours.read")
    async def GetTourRound(self, request, context, call):
        history = await self.tours.get(request.round_id, call.principal)
        state, now = history.state, self.clock.now()
        rows = [dict(zip(COLUMNS, r)) for r in problem_rows(history, self.tours.organisation)]
        answer = pb.GetTourRoundResponse(
            round_id=state.round_id,
            version=history.version,
            opened=EVENTS.to_pb(state.opened),
            problems=[problem_to_pb(r, now) for r in rows],
            letters=[EVENTS.to_pb(x) for x in state.letters],
            transfers=[EVENTS.to_pb(x) for x in state.transfers],
            open_problems=len(state.open_problems()),
        )
        await self._read(call, "GetTourRound", request.purpose, [FileRef("tour", state.round_id)])
        return answer

    @rpc("tours.read")
    async def ListTourProblems(self, request, context, call):
        limit = request.limit or MAX_LIST
        if limit > MAX_LIST:
            raise Validation("limit", f"at most {MAX_LIST}")
        round_id = request.round_id.strip()
        unit = request.unit.strip()
        rows = await self.tours.problems(
            call.principal, round_id=round_id, unit=unit, open_only=request.open_only, limit=limit
        )
        now = self.clock.now()
        answer = pb.ListTourProblemsResponse(problems=[problem_to_pb(r, now) for r in rows])
        files = [FileRef("tour", x) for x in dict.fromkeys(r["round_id"] for r in rows)]
        query = "&".join(
            f"{k}={v}"
            for k, v in (
                ("round_id", round_id),
                ("unit", unit),
                ("open_only", request.open_only),
                ("limit", request.limit),
            )
            if v
        )
        await self._read(call, "ListTourProblems", request.purpose, files, query=query)
        return answer
