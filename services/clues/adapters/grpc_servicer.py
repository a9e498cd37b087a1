"""Thin gRPC edge of the clues service: translate, delegate, map errors (in kernel.edge.grpc_server)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime, timezone

from clues.v1 import events_pb2, service_pb2 as pb, service_pb2_grpc
from kernel.domain.access import may_know, visible_offices
from kernel.domain.clock import Clock
from kernel.domain.errors import Forbidden, NotFound, Validation
from kernel.domain.principal import Principal
from kernel.domain.recusal import visible
from kernel.edge.catalogue import Catalogue, office_code
from kernel.edge.grpc_server import rpc
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.reads import FileRef, record_read
from services.clues.adapters import mapping
from services.clues.app.handlers import ClueHandlers
from services.clues.app.ledger import PRIORITY_RANK, Seen, holding_of_row, timeline_of
from services.clues.app.reconciliation import Reconciler
from services.clues.domain import commands as c
from services.clues.domain.awaiting import Awaited
from services.clues.domain.warnings import colour

MAX_LIST = 1000
FAR = datetime(9999, 1, 1, tzinfo=timezone.utc)
INFINITY = datetime.max.replace(tzinfo=timezone.utc)  # asyncpg's 'infinity' timestamptz


class ClueServicer(service_pb2_grpc.ClueServiceServicer):
    def __init__(self, handlers: ClueHandlers, clock: Clock, catalogue: Catalogue):
        """`catalogue`: an office named in a request must be one of its offices; it says who may
        know what (`handlers.access`) and who approves an escalation."""
        self.handlers, self.clock, self.catalogue = handlers, clock, catalogue
        self.offices, self.org = catalogue.offices, handlers.access.organisation
        self.reconciler = Reconciler(handlers)

    def _office(self, value: str, field: str, optional: bool = False) -> str:
        return office_code(self.offices, value, field, optional)

    # -- need to know (domain.md §1, issue 17) ---------------------------------------------------

    def _seen(self, p: Principal) -> Seen | None:
        """What a list query may return to `p` (None: everything)."""
        offices = visible_offices(p, self.org)
        return None if offices is None else Seen(sorted(offices), p.office, p.role)

    def _known(self, p: Principal, rows) -> list:
        """The rows whose clue `p` may know, judged by the one policy (the query's filter is its
        mirror in SQL, so this drops nothing it let through), less those about `p` (SL 67)."""
        return [r for r in rows if may_know(p, holding_of_row(r), self.org) and visible(p, json.loads(r["subjects"]))]

    def _office_known(self, p: Principal, office: str) -> str:
        """An office's reconciliation and stock-take: for its own officers, the leader overseeing
        it and case management; to anyone else the office is unknown (NOT_FOUND)."""
        offices = visible_offices(p, self.org)
        if offices is not None and office not in offices:
            raise NotFound("office", office)
        return office

    async def _read(self, call: CommandContext, rpc_name: str, purpose: str, files, persons=(), query: str = ""):
        """The read on the record, before its answer leaves (kernel.eventstore.reads)."""
        await record_read(
            self.handlers.store, call, rpc_name, purpose, files, persons, now=self.clock.now(), query=query
        )

    def _registration(self, request, call, k: int = 0, batch_reference: str = ""):
        """A RegisterClue command and the informant to seal, from one request item."""
        return registration(request, call, self.clock, k, batch_reference)

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
    async def GetInformant(self, request, context, call):  # recorded as InformantIdentityRead
        informant = await self.handlers.read_informant(
            c.ReadInformant(request.clue_id.strip(), request.purpose, call.principal), call, self.clock.now()
        )
        return pb.GetInformantResponse(informant=pb.Informant(**informant))

    @rpc("clues.read")
    async def GetClue(self, request, context, call):
        state, version, timeline, waits = await self.handlers.view(request.clue_id.strip(), call.principal)
        now = self.clock.now()
        warning = colour(self.handlers.scheme, timeline, now, self.handlers.calendar)
        answer = mapping.clue_to_pb(state, version, warning)
        r = state.registered
        held = state.handling_office or r.receiving_office
        answer.awaiting.extend(
            mapping.awaiting_to_pb(a, r.clue_id, state.clue_number, held, warning.colour, now) for a in waits
        )
        await self._read(call, "GetClue", request.purpose, [FileRef("clue", r.clue_id)], subject_ids(r.subjects))
        return answer

    @rpc("clues.read")
    async def ListClues(self, request, context, call):
        limit = request.limit or MAX_LIST
        if limit > MAX_LIST:
            raise Validation("limit", f"at most {MAX_LIST}")
        wanted = mapping.enum_word(events_pb2.WarningColour, request.colour)
        filters = dict(
            office=self._office(request.office, "office", optional=True),
            stage=request.stage.strip(),
            priority=mapping.enum_word(events_pb2.CluePriority, request.priority),
        )
        rows = await self.handlers.ledger_rows(**filters, limit=MAX_LIST * 10, seen=self._seen(call.principal))
        now, h = self.clock.now(), self.handlers
        lines = [
            (row, colour(h.scheme, timeline_of(row), now, h.calendar)) for row in self._known(call.principal, rows)
        ]
        lines = [(row, w) for row, w in lines if not wanted or w.colour == wanted]
        lines.sort(key=lambda x: (PRIORITY_RANK[x[0]["priority"]], x[1].deadline or FAR, x[0]["received_at"]))
        chosen = [row for row, _ in lines[:limit]]
        answer = pb.ListCluesResponse(clues=[mapping.summary_to_pb(row, w) for row, w in lines[:limit]])
        query = _query(**filters, colour=wanted, limit=request.limit or "")
        await self._read(call, "ListClues", request.purpose, *_files_of(chosen), query=query)
        return answer

    @rpc("clues.read")
    async def ListAwaitingMe(self, request, context, call):
        """What waits for the caller's role (and office), under need to know, less what they may
        not act on (a subject, a declared recusal: SL 67; their own proposal); keyset pages."""
        p, size = call.principal, request.page_size or MAX_LIST
        after = awaiting_cursor(p, request.page_token)
        now, h, seen = self.clock.now(), self.handlers, self._seen(p)
        chosen = []
        while len(chosen) <= size:  # rows the policy drops (SL 67) are made up from further rows
            rows = await h.awaiting_page(
                role=p.role, office=p.office, person=p.person_id, after=after, limit=size + 1, seen=seen
            )
            chosen += self._known(p, rows)
            if len(rows) <= size:
                break
            after = _key(rows[-1])
        more, chosen = len(chosen) > size, chosen[:size]
        items = []
        for row in chosen:
            t = timeline_of(row)  # days counted in the service's zone, as GetClue counts them
            t = replace(t, stage_since=t.stage_since.astimezone(h.tz), received_at=t.received_at.astimezone(h.tz))
            warning = colour(h.scheme, t, now, h.calendar)
            a = Awaited(row["step"], row["role"], row["summary"], row["acting_office"], row["since"], row["due"])
            items.append(
                mapping.awaiting_to_pb(a, row["clue_id"], row["clue_number"], row["holder"], warning.colour, now)
            )
        token = awaiting_token(p, _key(chosen[-1])) if more else ""
        answer = pb.ListAwaitingMeResponse(items=items, next_page_token=token)
        query = _query(
            role=p.role, office=p.office, page_size=request.page_size or "", page="next" if request.page_token else ""
        )
        await self._read(call, "ListAwaitingMe", request.purpose, *_files_of(chosen), query=query)
        return answer

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
            c.ForwardClue(
                request.clue_id.strip(),
                request.to_agency,
                request.reason,
                call.principal,
                mapping.enum_word(events_pb2.ClueRouting, request.routing),
                request.part,
            ),
        )

    @rpc("clues.recusal", mutating=True)
    async def DeclareRecusal(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.DeclareRecusalResponse,
            c.DeclareRecusal(
                request.clue_id.strip(),
                request.person_id.strip(),
                mapping.enum_word(events_pb2.RecusalGround, request.ground),
                request.reason,
                call.principal,
            ),
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
            c.ConcludeTalkOrLetter(
                request.clue_id.strip(),
                outcome,
                request.summary,
                call.principal,
                mapping.enum_word(events_pb2.LightHandling, request.light_handling),
            ),
        )

    @rpc("clues.talk_or_letter", act="approve", mutating=True)
    async def ApproveTalkOrLetterConclusion(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.ApproveTalkOrLetterConclusionResponse,
            c.ApproveTalkOrLetterConclusion(request.clue_id.strip(), call.principal),
        )

    @rpc("clues.talk_or_letter", act="approve", mutating=True)
    async def RejectTalkOrLetterConclusion(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.RejectTalkOrLetterConclusionResponse,
            c.RejectTalkOrLetterConclusion(request.clue_id.strip(), request.reason, call.principal),
        )

    @rpc("clues.disposal", mutating=True)
    async def ProposeClearing(self, request, context, call):
        method = mapping.enum_word(events_pb2.DisposalMethod, request.method)
        return await self._simple(
            request,
            call,
            pb.ProposeClearingResponse,
            c.ProposeClearing(request.clue_id.strip(), method, request.reason, request.clearing, call.principal),
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
            c.ReportPrelimCheck(
                request.clue_id.strip(),
                request.findings,
                proposal,
                call.principal,
                mapping.enum_word(events_pb2.LightHandling, request.light_handling),
                request.party_organisation,
            ),
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
            c.ReviseReportProposal(
                request.clue_id.strip(),
                proposal,
                request.reason,
                call.principal,
                mapping.enum_word(events_pb2.LightHandling, request.light_handling),
                request.party_organisation,
            ),
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
        approves = self.catalogue.may(call.principal, "clues.escalate", "approve")  # the head: at once
        return await self._simple(
            request,
            call,
            pb.EscalateClueResponse,
            c.EscalateClue(
                request.clue_id.strip(),
                self._office(request.to_office, "to_office"),
                request.reason,
                call.principal,
                approves,
            ),
        )

    @rpc("clues.escalate", act="approve", mutating=True)
    async def ApproveEscalation(self, request, context, call):
        return await self._simple(
            request, call, pb.ApproveEscalationResponse, c.ApproveEscalation(request.clue_id.strip(), call.principal)
        )

    @rpc("clues.escalate", act="approve", mutating=True)
    async def RejectEscalation(self, request, context, call):
        return await self._simple(
            request,
            call,
            pb.RejectEscalationResponse,
            c.RejectEscalation(request.clue_id.strip(), request.reason, call.principal),
        )

    @rpc("clues.read")
    async def ListSupervisionNotices(self, request, context, call):
        now, office = self.clock.now(), self._office(request.office, "office", optional=True)
        rows = await self.handlers.notices(
            office=office, overdue_at=now if request.overdue_only else None, seen=self._seen(call.principal)
        )
        rows = self._known(call.principal, rows)
        answer = pb.ListSupervisionNoticesResponse(notices=[mapping.notice_to_pb(r, now) for r in rows])
        query = _query(office=office, overdue_only="true" if request.overdue_only else "")
        await self._read(call, "ListSupervisionNotices", request.purpose, *_files_of(rows), query=query)
        return answer

    @rpc("clues.reconcile", mutating=True)
    async def SubmitOfficeLedger(self, request, context, call):
        office = self._office_known(call.principal, self._office(request.office, "office"))
        entries = [(e.clue.strip(), e.status.strip()) for e in request.entries]
        event, submission = await self.reconciler.submit(call, office, request.month.strip(), entries, self.clock.now())
        return pb.SubmitOfficeLedgerResponse(reconciliation=mapping.event_to_pb(event), submission=submission)

    @rpc("clues.reconcile")
    async def GetReconciliation(self, request, context, call):
        office, month = (
            self._office_known(call.principal, self._office(request.office, "office")),
            request.month.strip(),
        )
        event, submission = await self.reconciler.latest(office, month)
        answer = pb.GetReconciliationResponse(reconciliation=mapping.event_to_pb(event), submission=submission)
        await self._read(
            call, "GetReconciliation", request.purpose, [FileRef("office", office)], query=f"month={month}"
        )
        return answer

    @rpc("clues.reconcile")
    async def GetStockTake(self, request, context, call):
        for name in ("start", "end"):
            if not request.HasField(name):
                raise Validation(name, "required")
        office, who = self._office(request.office, "office", optional=True), call.principal
        if office:
            self._office_known(who, office)
        elif visible_offices(who, self.org) is not None:
            raise Forbidden(f"a stock-take of every office is case management's; {who.office} may name its own office")
        tz = self.clock.now().tzinfo
        start, end = request.start.ToDatetime(tzinfo=tz), request.end.ToDatetime(tzinfo=tz)
        take = await self.reconciler.stock_take(start, end, office, self.clock.now())
        answer = mapping.stock_take_to_pb(take)
        files = [FileRef("office", office)] if office else []
        query = _query(office=office or "*", start=start.isoformat(), end=end.isoformat())
        await self._read(call, "GetStockTake", request.purpose, files, query=query)
        return answer


def registration(request, call, clock: Clock, k: int = 0, batch_reference: str = "", tour_round_id: str = ""):
    """A RegisterClue command and the informant to seal, from one request item (a RegisterClueRequest:
    of RegisterClue, RegisterClueBatch or a tour round's TransferTourClues, issue 27)."""
    received = (
        request.received_at.ToDatetime(tzinfo=clock.now().tzinfo) if request.HasField("received_at") else clock.now()
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
        routing=mapping.enum_word(events_pb2.ClueRouting, request.routing),
        forward_to=request.forward_to,
        tour_round_id=tour_round_id,
    )
    informant = (
        {"name": request.informant.name, "contact": request.informant.contact, "details": request.informant.details}
        if request.HasField("informant")
        else None
    )
    return cmd, informant


def subject_ids(subjects) -> list[str]:
    return [s.person_id for s in subjects]


def _files_of(rows) -> tuple[list[FileRef], list[str]]:
    """The clues a list query returned and the persons they are about (the ledger's `subjects`)."""
    files = [FileRef("clue", r["clue_id"]) for r in rows]
    persons = [p for r in rows for p in json.loads(r["subjects"])]
    return files, persons


def _key(row) -> tuple:
    """An awaiting row's place in the order: (due or infinity, since, clue id, n)."""
    return row["due_key"], row["since"], row["clue_id"], row["n"]


def awaiting_token(p: Principal, key: tuple) -> str:
    """The next page's token: after `key`, for the caller's role and office."""
    due, since, clue_id, n = key
    body = {"r": p.role, "o": p.office, "d": _iso(due), "s": since.isoformat(), "c": clue_id, "n": n}
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()


def awaiting_cursor(p: Principal, token: str) -> tuple | None:
    """The keyset a token says to continue after; Validation naming `page_token` for one this
    service did not issue to this role and office."""
    if not token:
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        due = INFINITY if body["d"] == "infinity" else datetime.fromisoformat(body["d"])
        key = (due, datetime.fromisoformat(body["s"]), str(body["c"]), int(body["n"]))
        role, office = body["r"], body["o"]
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as e:
        raise Validation("page_token", "is not a token this service issued; start again without one") from e
    if (role, office) != (p.role, p.office):
        raise Validation("page_token", "was issued to another role or office; start again without one")
    return key


def _iso(due) -> str:
    return "infinity" if due == INFINITY else due.isoformat()


def _query(**filters) -> str:
    """A list query's filter as text, e.g. "office=supervision_1 stage=REGISTERED"."""
    return " ".join(f"{k}={v}" for k, v in filters.items() if v)
