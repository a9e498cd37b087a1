"""Thin gRPC edge of `cases.v1.ProsecutionService` (issue 24; SL 54, IR2025 134, CPL 172): the
procuratorate reports back on what its feed delivered; the commission answers. Translate, delegate
(the case's and the measure's command path), map errors (kernel.edge.grpc_server).

A partner principal knows only a case disposed with a transfer for prosecution and the detention
of a person it transferred (`CaseAggregate.may_know`, `MeasureAggregate.admit`): anything else is
NOT_FOUND, as for an unknown id."""

from __future__ import annotations

from cases.v1 import prosecution_pb2 as pb, prosecution_pb2_grpc
from kernel.domain.clock import Clock
from kernel.domain.errors import NotFound, Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import datetime_of, timestamp
from services.cases.adapters import mapping
from services.cases.app.handlers import CaseHandlers
from services.cases.domain import events as ev, measure_duties as md, measure_safeguards as ms, prosecution as pr


class ProsecutionServicer(prosecution_pb2_grpc.ProsecutionServiceServicer):
    def __init__(self, handlers: CaseHandlers, clock: Clock):
        self.handlers, self.clock = handlers, clock

    def _when(self, request, field: str):
        if not request.HasField(field):
            raise Validation(field, "required")
        return datetime_of(getattr(request, field), field, self.clock.now().tzinfo)

    @staticmethod
    def _document(request) -> ev.Document | None:
        return mapping.EVENTS.dataclass_of(ev.Document, request.document) if request.HasField("document") else None

    async def _run(self, request, call, command) -> dict:
        return await self.handlers.handle(call, request.case_id.strip(), 0, self.clock.now(), command)

    @rpc("cases.prosecution_report", mutating=True)
    async def ReportCustodyTaken(self, request, context, call):
        """IR2025 134: the officer's TransferCustody command, as the procuratorate."""
        document, taken = self._document(request), self._when(request, "taken_at")
        measure_id = request.measure_id.strip() or await self._detention_of(request, call)
        command = md.TransferCustody(measure_id, document, taken, call.principal)
        result = await self.handlers.handle_measure(call, command.measure_id, 0, self.clock.now(), command)
        # SL 50 ¶4, as recorded; from the stored measure, so a retried request answers the same
        runner = self.handlers.measures
        state = (await runner.load(self.handlers.store, runner.stream_id(command.measure_id, "measure_id"))).state
        days = ms.offset_days(state.starts_at, taken, self.handlers.rules.safeguards.part_day)
        return pb.ReportCustodyTakenResponse(**result, detention_days=days)

    @rpc("cases.prosecution_report", mutating=True)
    async def ReturnForSupplementaryInvestigation(self, request, context, call):
        cmd = pr.ReturnForSupplementaryInvestigation(
            request.case_id.strip(),
            request.person_id.strip(),
            self._document(request),
            self._when(request, "returned_at"),
            call.principal,
        )
        result = await self._run(request, call, cmd)
        t = await self._person(request)
        r = t.open_return
        return pb.ReturnForSupplementaryInvestigationResponse(
            case_id=result["case_id"],
            version=result["version"],
            round=r.round if r else t.returns,
            due=timestamp(r.due) if r else None,
        )

    @rpc("cases.prosecution_report", mutating=True)
    async def ReportProsecutionDecision(self, request, context, call):
        cmd = pr.ReportProsecutionDecision(
            request.case_id.strip(),
            request.person_id.strip(),
            request.decision.strip(),
            self._document(request),
            self._when(request, "decided_at"),
            call.principal,
        )
        result = await self._run(request, call, cmd)
        d = (await self._person(request)).decision
        return pb.ReportProsecutionDecisionResponse(
            case_id=result["case_id"], version=result["version"], due=timestamp(d.due), late=d.late
        )

    @rpc("cases.prosecution_answer", mutating=True)
    async def CompleteSupplementaryInvestigation(self, request, context, call):
        completed = self._when(request, "completed_at")
        cmd = pr.CompleteSupplementaryInvestigation(
            request.case_id.strip(), request.person_id.strip(), self._document(request), completed, call.principal
        )
        before = await self._person(request, known_by=call.principal)
        result = await self._run(request, call, cmd)
        due = before.open_return.due if before.open_return else None
        return pb.CompleteSupplementaryInvestigationResponse(
            case_id=result["case_id"], version=result["version"], late=bool(due and completed > due)
        )

    @rpc("cases.prosecution_answer", mutating=True)
    async def ReferForReconsideration(self, request, context, call):
        cmd = pr.ReferForReconsideration(
            request.case_id.strip(),
            request.person_id.strip(),
            self._document(request),
            self._when(request, "referred_at"),
            request.upper_procuratorate,
            call.principal,
        )
        result = await self._run(request, call, cmd)
        return pb.ReferForReconsiderationResponse(case_id=result["case_id"], version=result["version"])

    async def _detention_of(self, request, call) -> str:
        """The running detention of the transferred person on the case the feed delivered (the
        procuratorate names a transfer by case and person; it never saw the measure's id)."""
        if not request.case_id.strip() or not request.person_id.strip():
            raise Validation("measure_id", "required, or the case_id and person_id of the transfer")
        await self._person(request, known_by=call.principal)  # the transfer its feed delivered, or NOT_FOUND
        kinds = list(self.handlers.cases.aggregate.custody_kinds)
        # the running one; else the one already ended (a retried request answers as it first did)
        found = await self.handlers.store.pool.fetchval(
            f"SELECT measure_id FROM {self.handlers.store.schema}.measure_ledger WHERE case_id = $1 "
            f"AND person_id = $2 AND kind = ANY($3::text[]) AND status <> ALL($4::text[]) "
            f"ORDER BY (status IN ('ACTIVE', 'EXPIRED')) DESC, measure_id LIMIT 1",
            request.case_id.strip(),
            request.person_id.strip(),
            kinds,
            ["REQUESTED", "REFUSED"],
        )
        if found is None:
            raise NotFound("detention", f"{request.case_id.strip()}/{request.person_id.strip()}")
        return found

    async def _person(self, request, known_by=None) -> pr.Transferred:
        """The transferred person as the case now records them (after the command: its answer)."""
        runner = self.handlers.cases
        stream_id = runner.stream_id(request.case_id.strip(), "case_id")
        history = await (
            runner.read(self.handlers.store, known_by, stream_id)
            if known_by
            else runner.load(self.handlers.store, stream_id)
        )
        return pr.delivered(history.state, request.person_id)
