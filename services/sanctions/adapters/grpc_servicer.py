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
from kernel.domain.errors import IllegalState, NotFound, Validation
from kernel.domain.ids import check_stream_id
from kernel.edge import common_values
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import EventMapping, datetime_of, enum_value, enum_word, timestamp
from kernel.edge.paging import after_of, page_size, page_token
from kernel.eventstore.commands import run_once
from kernel.eventstore.reads import FileRef, record_read
from sanctions.v1 import events_pb2 as sev, service_pb2 as pb, service_pb2_grpc
from services.sanctions.app import case_directory
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
REQUEST_FIELD = {
    "decided_on": "decided_at",
    "planned_on": "planned_at",
    "visited_on": "visited_at",
    "applied_on": "applied_at",
    "accepted_on": "accepted_at",
    "received_on": "received_at",
}


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
        # as the decision now stands (a review's change, A5; a probation's decision, P4)
        answer.sanction = enum_value(events_pb2.SanctionType, d.standing(state))
        start, end = d.period_of(state)
        answer.start, answer.end = _day(start), _day(end)
        answer.locks.extend(locks_to_pb(d.locks_of(state)))
    answer.deliveries.extend(delivery_to_pb(x) for x in state.deliveries.values())
    answer.items.extend(item_state_to_pb(state, i, today) for i in state.items.values())
    if state.judgment is not None and state.judgment.required_sanction:
        answer.required_sanction = enum_value(events_pb2.SanctionType, state.judgment.required_sanction)
    time_to_pb(state, answer)
    return answer


def time_to_pb(state: d.Decision, answer: pb.GetDecisionResponse) -> None:
    """Issue 22's facts of the decision: the lift (G9) or what holds it back (G10), the Party
    period's end (P8), the probation's decision (P4), the follow-up visits (seed 000) and the
    appeals and reviews (A1-A5)."""
    if state.lifted is not None:
        answer.lifted_on = _day(state.lifted.on)
    elif state.lift_blocked is not None:
        answer.lift_blocked_by.extend(state.lift_blocked.case_ids)
    answer.period_ended = state.period_ended is not None
    answer.probation_outcome = state.probation.outcome if state.probation is not None else ""
    answer.visits.extend(visit_to_pb(v) for v in state.visits.values())
    answer.appeals.extend(appeal_to_pb(a) for a in state.appeals.values())


def visit_to_pb(v: d.VisitState) -> pb.FollowUpVisit:
    out = pb.FollowUpVisit(visit_id=v.visit_id, planned_on=_day(v.planned.planned_on) if v.planned else "")
    if v.recorded is not None:
        r = v.recorded
        out.visited_on, out.grade = _day(r.visited_on), r.grade
        out.visitors.extend(sev.Visitor(name=x.name, capacity=x.capacity) for x in r.visitors)
        out.sent_to.extend(r.sent_to)
    return out


def appeal_to_pb(a: d.AppealState) -> pb.AppealState:
    return pb.AppealState(
        appeal_id=a.appeal_id,
        kind=a.lodged.kind,
        status=a.status,
        applied_on=_day(a.lodged.applied_on),
        late=a.lodged.late,
        decide_by=_day(a.decide_by),
        overdue=a.overdue,
        outcome=a.decided.outcome if a.decided else "",
        ground=a.decided.ground if a.decided else "",
        team=list(a.accepted.team) if a.accepted else [],
    )


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

    @rpc("sanctions.judgment_report", mutating=True)
    async def ReportJudgment(self, request, context, call):
        """G12 (PSL 14, 49; issue 24): the court's judgment on a person a case transferred for
        prosecution, recorded on each decision in effect on them from that case by RecordJudgment's
        command, in one transaction."""
        case_id = check_stream_id(request.case_id, "case", "case_id")
        person_id = request.person_id.strip()
        judgment = _document(request, "judgment")
        if judgment is None:
            raise Validation("judgment", "required")
        runner, now = self.handlers.decisions, self.clock.now()

        async def work(uow) -> dict:
            conn, schema = uow.conn, uow.store.schema
            if not await case_directory.transferred(conn, schema, case_id, person_id):
                raise NotFound("transferred person", f"{case_id}/{person_id}")
            found = await case_directory.judged_decisions(conn, schema, case_id, person_id)
            if not found:
                raise IllegalState("NO_DECISION_IN_EFFECT", "record the judgment (no decision in effect on the person)")
            out, required = [], ""
            for i, decision_id in enumerate(found):
                command = c.RecordJudgment(
                    decision_id,
                    judgment,
                    request.judgment_number.strip(),
                    request.intentional,
                    request.sentence.strip(),
                    call.principal,
                )
                change = await runner.execute(uow, call.item(i), decision_id, command, now)
                out.append(runner.aggregate.result(change))
                recorded = [e for e in change.events if isinstance(e, ev.CriminalJudgmentRecorded)]
                required = required or next((e.required_sanction for e in recorded if e.required_sanction), "")
            return {"decisions": out, "required_sanction": required}

        try:
            result = await run_once(self.handlers.store, call, work)
        except Validation as e:
            raise renamed(e) from e
        return pb.ReportJudgmentResponse(
            decisions=[changed(r) for r in result["decisions"]],
            required_sanction=enum_value(events_pb2.SanctionType, result["required_sanction"] or ""),
        )

    # -- time (issue 22): probation, follow-up visits, appeals and reviews ------------------

    async def _after(self, call, decision_id: str) -> d.Decision:
        """The decision as it stands after the command (the caller may know it: it just acted)."""
        state, _ = await self.handlers.get(call.principal, decision_id)
        return state

    def day(self, request, field: str) -> date:
        """A required timestamp's calendar day in the service's zone."""
        return self.at(request, field).date()

    @rpc("sanctions.probation", mutating=True)
    async def DecideProbation(self, request, context, call):
        """P4 (Regs 12): RESTORE, EXTEND (once) or EXPEL, once ProbationReviewDue was raised."""
        command = c.DecideProbation(
            self.decision_id(request), request.outcome.strip(), self.day(request, "decided_at"), call.principal
        )
        return pb.DecideProbationResponse(decision=changed(await self.run(call, request, command)))

    @rpc("sanctions.visit", mutating=True)
    async def PlanFollowUpVisit(self, request, context, call):
        """Seed 000: a follow-up visit planned inside the effect period (`visit-1`, `visit-2` …)."""
        command = c.PlanFollowUpVisit(self.decision_id(request), self.day(request, "planned_at"), call.principal)
        result = await self.run(call, request, command)
        return pb.PlanFollowUpVisitResponse(decision=changed(result), visit_id=result.get("visit_id", ""))

    @rpc("sanctions.visit", mutating=True)
    async def RecordFollowUpVisit(self, request, context, call):
        """Seed 000: at least [visits] min_visitors (2; local, unverified), graded, sent to the org
        dept and HR; the first visit completes FOLLOW_UP_VISIT."""
        command = c.RecordFollowUpVisit(
            decision_id=self.decision_id(request),
            visit_id=request.visit_id.strip(),
            visited_on=self.day(request, "visited_at"),
            visitors=tuple(ev.Visitor(v.name.strip(), v.capacity.strip()) for v in request.visitors),
            grade=request.grade.strip(),
            summary=request.summary.strip(),
            by=call.principal,
        )
        result = await self.run(call, request, command)
        visit_id = command.visit_id or result.get("visit_id", "")
        return pb.RecordFollowUpVisitResponse(decision=changed(result), visit_id=visit_id)

    @rpc("sanctions.appeal", mutating=True)
    async def LodgeAppeal(self, request, context, call):
        """A1 申诉 (Party), A2 复审 / A3 复核 (government; late flagged); execution goes on (A4)."""
        command = c.LodgeAppeal(
            decision_id=self.decision_id(request),
            kind=request.kind.strip(),
            received_on=self.day(request, "received_at") if request.HasField("received_at") else None,
            applied_on=self.day(request, "applied_at"),
            by=call.principal,
        )
        result = await self.run(call, request, command)
        appeal = (await self._after(call, command.decision_id)).appeals[result["appeal_id"]]
        return pb.LodgeAppealResponse(
            decision=changed(result),
            appeal_id=appeal.appeal_id,
            late=appeal.lodged.late,
            decide_by=_day(appeal.decide_by),
        )

    @rpc("sanctions.appeal", mutating=True)
    async def AcceptAppeal(self, request, context, call):
        """A1 (Rules 59): the team may not include the case's investigators or trial reviewers
        (the handlers read in the command's transaction)."""
        command = c.AcceptAppeal(
            decision_id=self.decision_id(request),
            appeal_id=request.appeal_id.strip(),
            team=tuple(x.strip() for x in request.team),
            accepted_on=self.day(request, "accepted_at"),
            by=call.principal,
        )
        result = await self.run(call, request, command)
        appeal = (await self._after(call, command.decision_id)).appeals[command.appeal_id]
        return pb.AcceptAppealResponse(decision=changed(result), decide_by=_day(appeal.decide_by))

    @rpc("sanctions.appeal_decide", mutating=True)
    async def DecideAppeal(self, request, context, call):
        """A5 (PSL 57-60), never heavier (A4): the compensating items created, the open ones closed."""
        command = c.DecideAppeal(
            decision_id=self.decision_id(request),
            appeal_id=request.appeal_id.strip(),
            outcome=request.outcome.strip(),
            ground=request.ground.strip(),
            changed_to=enum_word(events_pb2.SanctionType.DESCRIPTOR, request.changed_to),
            property_taken=request.property_taken,
            decided_on=self.day(request, "decided_at"),
            by=call.principal,
        )
        result = await self.run(call, request, command)
        decided = (await self._after(call, command.decision_id)).appeals[command.appeal_id].decided
        return pb.DecideAppealResponse(
            decision=changed(result),
            items=[item_to_pb(i) for i in decided.items],
            closed_items=list(decided.closed_items),
        )


def _document(request, field: str) -> ev.Document | None:
    if not request.HasField(field):
        return None
    doc = getattr(request, field)
    return ev.Document(doc.title.strip(), doc.sha256.strip())


def _sort_key(row) -> str:
    """The decision index's paging key of a row (its own, or the decision id)."""
    return str(row.get("sort_key") or row["decision_id"])
