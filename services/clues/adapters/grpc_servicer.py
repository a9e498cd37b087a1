"""Thin gRPC edge of the clues service: translate, delegate, map errors (in kernel.edge.grpc_server)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from clues.v1 import events_pb2, service_pb2 as pb, service_pb2_grpc
from kernel.domain.clock import Clock
from kernel.domain.errors import Forbidden, Validation
from kernel.edge.catalogue import office_code
from kernel.edge.grpc_server import rpc
from services.clues.adapters import mapping
from services.clues.app.handlers import ClueHandlers
from services.clues.app.ledger import PRIORITY_RANK, timeline_of
from services.clues.app.reconciliation import Reconciler
from services.clues.domain import commands as c
from services.clues.domain.warnings import colour

MAX_LIST = 1000
FAR = datetime(9999, 1, 1, tzinfo=timezone.utc)


class ClueServicer(service_pb2_grpc.ClueServiceServicer):
    def __init__(self, handlers: ClueHandlers, clock: Clock, offices: Mapping[str, object]):
        """`offices`: the catalogue's offices, by code; an office named in a request must be one."""
        self.handlers, self.clock, self.offices = handlers, clock, offices
        self.reconciler = Reconciler(handlers)

    def _office(self, value: str, field: str, optional: bool = False) -> str:
        return office_code(self.offices, value, field, optional)

    def _registration(self, request, call, k: int = 0, batch_reference: str = ""):
        """A RegisterClue command and the informant to seal, from one request item."""
        received = (
            request.received_at.ToDatetime(tzinfo=self.clock.now().tzinfo)
            if request.HasField("received_at")
            else self.clock.now()
        )
        cmd = c.RegisterClue(
            clue_id=call.derived_id("clue", k),
            source=mapping.source_from_pb(request.source),
            subjects=mapping.subjects_from_pb(request.subjects),
            summary=request.summary,
            received_at=received,
            has_informant=request.HasField("informant"),
            by=call.principal,
            batch_reference=batch_reference,
            priority=mapping.enum_word(events_pb2.CluePriority, request.priority),
        )
        informant = (
            {"name": request.informant.name, "contact": request.informant.contact, "details": request.informant.details}
            if request.HasField("informant")
            else None
        )
        return cmd, informant

    @rpc("clues.register", mutating=True)
    async def RegisterClue(self, request, context, call):
        result = await self.handlers.register(*self._registration(request, call), call)
        return pb.RegisterClueResponse(clue_id=result["clue_id"], version=result["version"])

    @rpc("clues.register", mutating=True)
    async def RegisterClueBatch(self, request, context, call):
        if not request.batch_reference.strip():
            raise Validation("batch_reference", "must not be empty")
        items = [self._registration(item, call, k, request.batch_reference) for k, item in enumerate(request.clues)]
        return pb.RegisterClueBatchResponse(**await self.handlers.register_batch(items, call))

    @rpc("clues.read_informant")
    async def GetInformant(self, request, context, call):
        informant = await self.handlers.read_informant(
            c.ReadInformant(request.clue_id.strip(), request.purpose, call.principal), call, self.clock.now()
        )
        return pb.GetInformantResponse(informant=pb.Informant(**informant))

    @rpc("clues.read")
    async def GetClue(self, request, context, call):
        state, version, timeline = await self.handlers.get(request.clue_id)
        warning = colour(self.handlers.scheme, timeline, self.clock.now(), self.handlers.calendar)
        return mapping.clue_to_pb(state, version, warning)

    @rpc("clues.read")
    async def ListClues(self, request, context, call):
        limit = request.limit or MAX_LIST
        if limit > MAX_LIST:
            raise Validation("limit", f"at most {MAX_LIST}")
        wanted = mapping.enum_word(events_pb2.WarningColour, request.colour)
        rows = await self.handlers.ledger_rows(
            office=self._office(request.office, "office", optional=True),
            stage=request.stage.strip(),
            priority=mapping.enum_word(events_pb2.CluePriority, request.priority),
            limit=MAX_LIST * 10,
        )
        now, h = self.clock.now(), self.handlers
        lines = [(row, colour(h.scheme, timeline_of(row), now, h.calendar)) for row in rows]
        lines = [(row, w) for row, w in lines if not wanted or w.colour == wanted]
        lines.sort(key=lambda x: (PRIORITY_RANK[x[0]["priority"]], x[1].deadline or FAR, x[0]["received_at"]))
        return pb.ListCluesResponse(clues=[mapping.summary_to_pb(row, w) for row, w in lines[:limit]])

    async def _simple(self, request, call, response, command, now: datetime | None = None):
        """Run `command` (or what it builds) on the request's clue; answer with its version and state."""
        return response(
            **await self.handlers.handle(
                call, request.clue_id, request.expected_version, now or self.clock.now(), command
            )
        )

    @rpc("clues.forward", mutating=True)
    async def ForwardClue(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.ForwardClueResponse,
            c.ForwardClue(request.clue_id.strip(), request.to_agency, request.reason, call.principal),
        )

    @rpc("clues.registration", mutating=True)
    async def ProposeRegistration(self, request, context, call):
        office, now = self._office(request.handling_office, "handling_office"), self.clock.now()

        async def numbered(uow, state):  # the number is taken in the command's own transaction
            number = await self.handlers.next_number(uow, call.principal.office, now)
            return c.ProposeRegistration(request.clue_id.strip(), number, office, call.principal)

        return await self._simple(request, call, pb.ProposeRegistrationResponse, numbered, now)

    @rpc("clues.registration", act="approve", mutating=True)
    async def ApproveRegistration(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.ApproveRegistrationResponse,
            c.ApproveRegistration(request.clue_id.strip(), call.principal),
        )

    @rpc("clues.registration", act="approve", mutating=True)
    async def RejectRegistration(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.RejectRegistrationResponse,
            c.RejectRegistration(request.clue_id.strip(), request.reason, call.principal),
        )

    @rpc("clues.disposal", mutating=True)
    async def ProposeDisposal(self, request, context, call):
        method = mapping.enum_word(events_pb2.DisposalMethod, request.method)
        return await self._simple(
            request,
            call,
            pb.ProposeDisposalResponse,
            c.ProposeDisposal(request.clue_id.strip(), method, request.reason, call.principal),
        )

    @rpc("clues.disposal", act="approve", mutating=True)
    async def ApproveDisposal(self, request, context, call):
        return await self._simple(
            request, call, pb.ApproveDisposalResponse, c.ApproveDisposal(request.clue_id.strip(), call.principal)
        )

    @rpc("clues.disposal", act="approve", mutating=True)
    async def RejectDisposal(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.RejectDisposalResponse,
            c.RejectDisposal(request.clue_id.strip(), request.reason, call.principal),
        )

    @rpc("clues.talk_or_letter", mutating=True)
    async def ConcludeTalkOrLetter(self, request, context, call):
        outcome = mapping.enum_word(events_pb2.TalkOutcome, request.outcome)
        return await self._simple(
            request,
            call,
            pb.ConcludeTalkOrLetterResponse,
            c.ConcludeTalkOrLetter(request.clue_id.strip(), outcome, request.summary, call.principal),
        )

    @rpc("clues.prelim_check_plan", mutating=True)
    async def SubmitPrelimCheckPlan(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.SubmitPrelimCheckPlanResponse,
            c.SubmitPrelimCheckPlan(
                request.clue_id.strip(),
                request.work_plan,
                tuple(request.team),
                request.subject_heads_lower_committee,
                call.principal,
            ),
        )

    @rpc("clues.prelim_check_plan", act="approve", mutating=True)
    async def ApprovePrelimCheckPlan(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.ApprovePrelimCheckPlanResponse,
            c.ApprovePrelimCheckPlan(request.clue_id.strip(), call.principal),
        )

    @rpc("clues.prelim_check_report", mutating=True)
    async def ReportPrelimCheck(self, request, context, call):
        proposal = mapping.enum_word(events_pb2.ReportProposal, request.proposal)
        return await self._simple(
            request,
            call,
            pb.ReportPrelimCheckResponse,
            c.ReportPrelimCheck(request.clue_id.strip(), request.findings, proposal, call.principal),
        )

    @rpc("clues.prelim_check_report", act="approve", mutating=True)
    async def ApproveReport(self, request, context, call):
        return await self._simple(
            request, call, pb.ApproveReportResponse, c.ApproveReport(request.clue_id.strip(), call.principal)
        )

    @rpc("clues.prelim_check_report", act="approve", mutating=True)
    async def RejectReport(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.RejectReportResponse,
            c.RejectReport(request.clue_id.strip(), request.reason, call.principal),
        )

    @rpc("clues.prelim_check_report", mutating=True)
    async def ReviseReportProposal(self, request, context, call):
        proposal = mapping.enum_word(events_pb2.ReportProposal, request.proposal)
        return await self._simple(
            request,
            call,
            pb.ReviseReportProposalResponse,
            c.ReviseReportProposal(request.clue_id.strip(), proposal, request.reason, call.principal),
        )

    @rpc("clues.reopen", mutating=True)
    async def ReopenClue(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.ReopenClueResponse,
            c.ReopenClue(request.clue_id.strip(), request.new_information, call.principal),
        )

    @rpc("clues.supervise", mutating=True)
    async def IssueSupervisionNotice(self, request, context, call):
        if not request.HasField("due_at"):
            raise Validation("due_at", "required")
        now = self.clock.now()
        return await self._simple(
            request,
            call,
            pb.IssueSupervisionNoticeResponse,
            c.IssueSupervisionNotice(
                request.clue_id.strip(),
                request.notice_id,
                self._office(request.to_office, "to_office", optional=True),
                request.due_at.ToDatetime(tzinfo=now.tzinfo),
                request.required.strip(),
                now,
                call.principal,
            ),
        )

    @rpc("clues.escalate", mutating=True)
    async def EscalateClue(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.EscalateClueResponse,
            c.EscalateClue(
                request.clue_id.strip(), self._office(request.to_office, "to_office"), request.reason, call.principal
            ),
        )

    @rpc("clues.read")
    async def ListSupervisionNotices(self, request, context, call):
        now = self.clock.now()
        rows = await self.handlers.notices(
            office=self._office(request.office, "office", optional=True),
            overdue_at=now if request.overdue_only else None,
        )
        return pb.ListSupervisionNoticesResponse(notices=[mapping.notice_to_pb(r, now) for r in rows])

    @rpc("clues.reconcile", mutating=True)
    async def SubmitOfficeLedger(self, request, context, call):
        office, who = self._office(request.office, "office"), call.principal
        if office != who.office and who.role != "case_manager":
            raise Forbidden(f"{who.role} of {who.office} may submit only its own office's ledger, not {office}'s")
        entries = [(e.clue.strip(), e.status.strip()) for e in request.entries]
        event, submission = await self.reconciler.submit(call, office, request.month.strip(), entries, self.clock.now())
        return pb.SubmitOfficeLedgerResponse(reconciliation=mapping.event_to_pb(event), submission=submission)

    @rpc("clues.reconcile")
    async def GetReconciliation(self, request, context, call):
        event, submission = await self.reconciler.latest(self._office(request.office, "office"), request.month.strip())
        return pb.GetReconciliationResponse(reconciliation=mapping.event_to_pb(event), submission=submission)

    @rpc("clues.reconcile")
    async def GetStockTake(self, request, context, call):
        for name in ("start", "end"):
            if not request.HasField(name):
                raise Validation(name, "required")
        tz = self.clock.now().tzinfo
        take = await self.reconciler.stock_take(
            request.start.ToDatetime(tzinfo=tz),
            request.end.ToDatetime(tzinfo=tz),
            self._office(request.office, "office", optional=True),
            self.clock.now(),
        )
        return mapping.stock_take_to_pb(take)
