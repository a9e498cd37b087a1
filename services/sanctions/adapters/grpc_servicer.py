"""Thin gRPC edge of the sanctions service: translate, delegate, map errors (in
kernel.edge.grpc_server). PreviewDecision (issue 21 point 2) records nothing; the decisions' calls
(point 1, 3, 4) run on the one command path through `DecisionHandlers`; every read is on the record
(domain.md §1) and answers only what the caller may know (NOT_FOUND otherwise)."""

from __future__ import annotations

from datetime import date, datetime

from cases.v1 import events_pb2
from kernel.domain import facts, sanctions as s
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.clock import Clock
from kernel.domain.errors import Validation
from kernel.domain.ids import check_stream_id
from kernel.edge import common_values
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import EventMapping, datetime_of, enum_value, enum_word, timestamp
from kernel.edge.paging import after_of, page_size, page_token
from kernel.eventstore.reads import FileRef, record_read
from sanctions.v1 import events_pb2 as sev, service_pb2 as pb, service_pb2_grpc
from services.sanctions.domain import commands as c, decision as d, events as ev, preview as pv
from services.sanctions.domain.government import ReviewRoute
from services.sanctions.domain.rules import DEFAULT_RULES, SanctionRules

NESTED = {
    **common_values.NESTED,
    events_pb2.Violation.DESCRIPTOR.full_name: (events_pb2.Violation, s.Violation),
}
VALUES = EventMapping(pb, (), NESTED)  # the preview request's nested values (no events)


def _day(d: date | None) -> str:
    return "" if d is None else d.isoformat()


# Command fields the request names otherwise: a refusal names the field the caller sent.
REQUEST_FIELD = {"decided_on": "decided_at"}


def renamed(e: Validation) -> Validation:
    """A command's refusal naming the request's field."""
    head, _, rest = e.field.partition(".")
    field = REQUEST_FIELD.get(head)
    return Validation(field + (f".{rest}" if rest else ""), e.problem) if field else e


def locks_to_pb(locks) -> list:
    return [sev.Lock(kind=x.kind, until=_day(x.until), rule=x.rule) for x in locks]


def item_to_pb(i) -> sev.ExecutionItem:
    return sev.ExecutionItem(
        kind=i.kind,
        owner=i.owner,
        due=_day(i.due),
        latest_due=_day(i.latest_due),
        rule=i.rule,
        item_id=getattr(i, "item_id", ""),
        agency=getattr(i, "agency", ""),
        office=getattr(i, "office", ""),
    )


def item_state_to_pb(state: d.Decision, item_state, today: date) -> pb.ItemState:
    """One item of a decision as it stands on the service's `today` (OVERDUE: open and past due)."""
    item, status = item_state.item, d.item_status(item_state, today)
    return pb.ItemState(
        item=item_to_pb(item),
        status=status,
        done_at=timestamp(item_state.done_at) if item_state.done_at else None,
        receipt_sha256=item_state.receipt_sha256 or "",
        cause=enum_value(sev.BlockageCause, item_state.cause or ""),
        decision_id=state.decision_id,
        person_id=state.person_id,
        days_overdue=d.days_over(item_state, today),
    )


def row_to_pb(row, today: date) -> pb.ItemState:
    """A row of the execution ledger (OVERDUE computed on `today`, as the ledger does)."""
    status = row["status"]
    if status == "OPEN" and row["due"] < today:
        status = "OVERDUE"
    return pb.ItemState(
        item=sev.ExecutionItem(
            kind=row["kind"],
            owner=row["owner"],
            due=_day(row["due"]),
            latest_due=_day(row["latest_due"]),
            rule=row["rule"],
            item_id=row["item_id"],
            agency=row["agency"],
            office=row["office"],
        ),
        status=status,
        done_at=timestamp(row["done_at"]) if row.get("done_at") else None,
        receipt_sha256=row.get("receipt") or row.get("receipt_sha256") or "",
        cause=enum_value(sev.BlockageCause, row.get("cause") or ""),
        decision_id=row["decision_id"],
        person_id=row["person_id"],
        days_overdue=(today - row["due"]).days if status == "OVERDUE" else 0,
    )


def delivery_to_pb(x: ev.DecisionDelivered) -> pb.Delivery:
    return pb.Delivery(
        recipient=enum_value(sev.Recipient, x.recipient),
        means=enum_value(sev.DeliveryMeans, x.means),
        delivered_at=timestamp(x.delivered_at),
        receipt_sha256=x.receipt_sha256,
        refused_to_sign=x.refused_to_sign,
        witnesses=[sev.Witness(name=w.name, capacity=w.capacity) for w in x.witnesses],
    )


def decision_to_pb(
    state: d.Decision, version: int, today: date, rules: SanctionRules = DEFAULT_RULES
) -> pb.GetDecisionResponse:
    """A decision (or impact record) as it stands."""
    opened, draft, issued, impact = state.opened, state.draft, state.issued, state.impact
    answer = pb.GetDecisionResponse(
        decision_id=state.decision_id,
        version=version,
        status=enum_value(sev.DecisionStatus, state.status),
        case_id=state.case_id or "",
        clue_id=state.clue_id or "",
        person_id=state.person_id or "",
        awaiting=d.awaiting(state, rules),
    )
    if opened is not None:
        answer.family = enum_value(sev.SanctionFamily, state.family)
        answer.sanction = enum_value(events_pb2.SanctionType, state.sanction)
    if impact is not None:
        answer.impact = enum_value(sev.ImpactKind, impact.kind)
        answer.start, answer.end = _day(impact.start), _day(impact.end)
    if draft is not None:
        answer.title = draft.title
        answer.legal_basis.extend(draft.legal_basis)
        route = draft.review_route
        answer.review_route.CopyFrom(
            sev.ReviewRoute(
                review_body=route.review_body,
                recheck_body=route.recheck_body,
                apply_within_months=route.apply_within_months,
            )
        )
    if issued is not None:
        answer.document_number = issued.document_number
        answer.start, answer.end = _day(issued.start), _day(issued.end)
        answer.locks.extend(locks_to_pb(issued.locks))
    answer.deliveries.extend(delivery_to_pb(x) for x in state.deliveries.values())
    answer.items.extend(item_state_to_pb(state, i, today) for i in state.items.values())
    if state.judgment is not None and state.judgment.required_sanction:
        answer.required_sanction = enum_value(events_pb2.SanctionType, state.judgment.required_sanction)
    return answer


def summary_to_pb(row) -> pb.DecisionSummary:
    """A row of the decision index."""
    return pb.DecisionSummary(
        decision_id=row["decision_id"],
        status=enum_value(sev.DecisionStatus, row["status"]),
        case_id=row.get("case_id") or "",
        person_id=row.get("person_id") or "",
        family=enum_value(sev.SanctionFamily, row.get("family") or ""),
        sanction=enum_value(events_pb2.SanctionType, row.get("sanction") or ""),
        impact=enum_value(sev.ImpactKind, row.get("impact_kind") or ""),
        start=_day(row.get("start")),
        end=_day(row.get("end")),
    )


def in_force_to_pb(entry: d.InForceEntry) -> pb.InForce:
    return pb.InForce(
        decision_id=entry.decision_id,
        family=enum_value(sev.SanctionFamily, entry.family),
        sanction=enum_value(events_pb2.SanctionType, entry.sanction),
        impact=enum_value(sev.ImpactKind, entry.impact_kind),
        start=_day(entry.start),
        end=_day(entry.end),
        locks=locks_to_pb(entry.locks),
    )


def changed(result: dict) -> pb.DecisionChanged:
    """The `DecisionChanged` of a command's result."""
    return pb.DecisionChanged(
        decision_id=result["decision_id"],
        version=result["version"],
        status=enum_value(sev.DecisionStatus, result.get("state") or result.get("status") or ""),
    )


class DecisionEdge:
    """What both servicers share: the handlers, the clock and its calendar day, commands run once
    per request id, reads on the record."""

    handlers: object
    clock: Clock

    @property
    def tz(self):
        return self.clock.now().tzinfo

    def today(self) -> date:
        """The service's calendar day (its clock's zone)."""
        return self.clock.now().date()

    def at(self, request, field: str) -> datetime:
        """A required timestamp of the request, read in the service's zone."""
        if not request.HasField(field):
            raise Validation(field, "required")
        return datetime_of(getattr(request, field), field, self.tz)

    def decision_id(self, request) -> str:
        return check_stream_id(request.decision_id, "decision", "decision_id")

    async def run(self, call, request, command) -> dict:
        """`command` on the decision, once per request id (checked against the request's
        `expected_version` where it has one); a refusal names the request's field."""
        expected = request.expected_version if "expected_version" in request.DESCRIPTOR.fields_by_name else 0
        try:
            return await self.handlers.handle(call, command.decision_id, expected, self.clock.now(), command)
        except Validation as e:
            raise renamed(e) from e

    async def read(self, call, rpc: str, purpose: str, files, persons, query: str = "") -> None:
        """Every read on the record (domain.md §1), after it was answered, before the answer leaves."""
        await record_read(
            self.handlers.store,
            call,
            rpc,
            purpose,
            list(files),
            sorted(set(persons)),
            now=self.clock.now(),
            query=query,
        )


class SanctionServicer(DecisionEdge, service_pb2_grpc.SanctionServiceServicer):
    def __init__(self, handlers, clock: Clock, calendar: WorkingCalendar, rules: SanctionRules = DEFAULT_RULES):
        """`handlers`: the decisions' `DecisionHandlers` (None serves PreviewDecision alone)."""
        self.handlers, self.clock, self.calendar, self.rules = handlers, clock, calendar, rules

    @rpc("sanctions.preview")
    async def PreviewDecision(self, request, context, call):
        """G1-G14, P1-P10, §4d: what `sanction` would bring, or the refusal naming the rule."""
        if not request.HasField("decided_at"):
            raise Validation("decided_at", "required")
        decided_on = datetime_of(request.decided_at, "decided_at", self.clock.now().tzinfo).date()
        person = VALUES.dataclass_of(facts.PersonFacts, request.person_facts)
        violations = tuple(VALUES.dataclass_of(s.Violation, v) for v in request.violations)
        family = enum_word(sev.SanctionFamily.DESCRIPTOR, request.family)
        heard_on = enum_word(events_pb2.SanctionType.DESCRIPTOR, request.heard_on) or None
        p = pv.preview(
            family,
            person,
            violations,
            enum_word(events_pb2.SanctionType.DESCRIPTOR, request.sanction),
            decided_on,
            self.calendar,
            period_months=request.period_months or None,
            mitigation=request.mitigation,
            heard_on=heard_on,
            in_lieu_of_removal=request.in_lieu_of_removal,
            serious=request.serious,
            removal_from_office_recorded=request.removal_from_office_recorded,
            rules=self.rules,
        )
        return pb.PreviewDecisionResponse(
            person_id=p.person_id,
            sanction=enum_value(events_pb2.SanctionType, p.sanction),
            rule=p.rule,
            start=_day(p.start),
            end=_day(p.end),
            period_months=p.period_months or 0,
            locks=[sev.Lock(kind=x.kind, until=_day(x.until), rule=x.rule) for x in p.locks],
            items=[
                sev.ExecutionItem(
                    kind=i.kind, owner=i.owner, due=_day(i.due), latest_due=_day(i.latest_due), rule=i.rule
                )
                for i in p.items
            ],
            consequences=list(p.consequences),
        )

    # -- reads -------------------------------------------------------------------------------

    @rpc("sanctions.read")
    async def GetDecision(self, request, context, call):
        """One decision the caller may know (NOT_FOUND otherwise); the read is on the record."""
        state, version = await self.handlers.get(call.principal, self.decision_id(request))
        answer = decision_to_pb(state, version, self.today(), self.rules)
        await self.read(
            call, "GetDecision", request.purpose, [FileRef("decision", answer.decision_id)], [answer.person_id]
        )
        return answer

    @rpc("sanctions.read")
    async def ListDecisions(self, request, context, call):
        """Exactly one of case_id and person_id; only the decisions the caller may know."""
        case_id, person_id = request.case_id.strip(), request.person_id.strip()
        if bool(case_id) == bool(person_id):
            raise Validation("case_id", "give exactly one of case_id and person_id")
        if case_id:
            case_id = check_stream_id(case_id, "case", "case_id")
        size = page_size(request.page_size)
        rows = await self.handlers.list_decisions(
            call.principal,
            case_id=case_id,
            person_id=person_id,
            after=after_of("ListDecisions", request.page_token),
            limit=size + 1,
        )
        page = list(rows[:size])
        token = page_token("ListDecisions", _sort_key(page[-1])) if len(rows) > size else ""
        query = f"case_id={case_id}" if case_id else f"person_id={person_id}"
        files = [FileRef("decision", r["decision_id"]) for r in page]
        await self.read(call, "ListDecisions", request.purpose, files, [r["person_id"] for r in page], query)
        return pb.ListDecisionsResponse(decisions=[summary_to_pb(r) for r in page], next_page_token=token)

    @rpc("sanctions.read")
    async def GetInForce(self, request, context, call):
        """What is in force on the person on the day (only decisions the caller may know)."""
        person_id = request.person_id.strip()
        on = self.at(request, "on").date() if request.HasField("on") else self.today()
        entries = sorted(
            await self.handlers.in_force(call.principal, person_id, on), key=lambda e: (e.start, e.decision_id)
        )
        files = [FileRef("decision", e.decision_id) for e in entries]
        await self.read(call, "GetInForce", request.purpose, files, [person_id], f"person_id={person_id} on={on}")
        return pb.GetInForceResponse(
            person_id=person_id, on=on.isoformat(), in_force=[in_force_to_pb(e) for e in entries]
        )

    # -- the decision's steps ----------------------------------------------------------------

    @rpc("sanctions.draft", mutating=True)
    async def DraftDecision(self, request, context, call):
        """The draft, checked by the rules at once (G13, A1, and the issue's rules)."""
        route = request.review_route
        command = c.DraftDecision(
            decision_id=self.decision_id(request),
            title=request.title.strip(),
            legal_basis=tuple(b.strip() for b in request.legal_basis),
            review_route=(
                ReviewRoute(route.review_body.strip(), route.recheck_body.strip(), route.apply_within_months)
                if request.HasField("review_route")
                else None
            ),
            announcement_scope=request.announcement_scope.strip(),
            gains_found=request.gains_found,
            appraisals=tuple(
                datetime_of(t, f"appraisals[{i}]", self.tz).date() for i, t in enumerate(request.appraisals)
            ),
            removal_from_office=_document(request, "removal_from_office"),
            probation_months=request.probation_months,
            by=call.principal,
            in_lieu_of_removal=request.in_lieu_of_removal,
        )
        return pb.DraftDecisionResponse(decision=changed(await self.run(call, request, command)))

    @rpc("sanctions.approve", mutating=True)
    async def ApproveDecision(self, request, context, call):
        command = c.ApproveDecision(self.decision_id(request), call.principal)
        return pb.ApproveDecisionResponse(decision=changed(await self.run(call, request, command)))

    @rpc("sanctions.issue", mutating=True)
    async def IssueDecision(self, request, context, call):
        """The rules run again (the same as PreviewDecision's); the items come with their owners."""
        decided_on = self.at(request, "decided_at").date()
        command = c.IssueDecision(
            self.decision_id(request), request.document_number.strip(), decided_on, call.principal
        )
        result = await self.run(call, request, command)
        state, _ = await self.handlers.get(call.principal, command.decision_id)
        items = [item_to_pb(i) for i in state.issued.items] if state.issued is not None else []
        return pb.IssueDecisionResponse(decision=changed(result), items=items)

    @rpc("sanctions.deliver", mutating=True)
    async def RecordDelivery(self, request, context, call):
        """G13 (PSL 46): once per recipient; a refusal to sign with its witnesses (local: two)."""
        command = c.RecordDelivery(
            decision_id=self.decision_id(request),
            recipient=enum_word(sev.Recipient, request.recipient),
            means=enum_word(sev.DeliveryMeans, request.means),
            delivered_at=self.at(request, "delivered_at"),
            receipt_sha256=request.receipt_sha256.strip(),
            refused_to_sign=request.refused_to_sign,
            witnesses=tuple(ev.Witness(w.name.strip(), w.capacity.strip()) for w in request.witnesses),
            by=call.principal,
        )
        return pb.RecordDeliveryResponse(decision=changed(await self.run(call, request, command)))

    @rpc("sanctions.judgment", mutating=True)
    async def RecordJudgment(self, request, context, call):
        """G12 (PSL 14, 49): the decision is to be re-decided."""
        command = c.RecordJudgment(
            decision_id=self.decision_id(request),
            judgment=_document(request, "judgment"),
            judgment_number=request.judgment_number.strip(),
            intentional=request.intentional,
            sentence=request.sentence.strip(),
            by=call.principal,
        )
        if command.judgment is None:
            raise Validation("judgment", "required")
        result = await self.run(call, request, command)
        state, _ = await self.handlers.get(call.principal, command.decision_id)
        required = state.judgment.required_sanction if state.judgment is not None else ""
        return pb.RecordJudgmentResponse(
            decision=changed(result), required_sanction=enum_value(events_pb2.SanctionType, required or "")
        )


def _document(request, field: str) -> ev.Document | None:
    if not request.HasField(field):
        return None
    doc = getattr(request, field)
    return ev.Document(doc.title.strip(), doc.sha256.strip())


def _sort_key(row) -> str:
    """The decision index's paging key of a row (its own, or the decision id)."""
    return str(row.get("sort_key") or row["decision_id"])
