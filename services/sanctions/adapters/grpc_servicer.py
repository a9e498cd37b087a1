"""Thin gRPC edge of the sanctions service: translate, delegate to the pure rules, map errors
(in kernel.edge.grpc_server). PreviewDecision (issue 21 point 2) records nothing."""

from __future__ import annotations

from datetime import date

from cases.v1 import events_pb2
from kernel.domain import facts, sanctions as s
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.clock import Clock
from kernel.domain.errors import Validation
from kernel.edge import common_values
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import EventMapping, datetime_of, enum_value, enum_word
from sanctions.v1 import events_pb2 as sev, service_pb2 as pb, service_pb2_grpc
from services.sanctions.domain import preview as pv
from services.sanctions.domain.rules import DEFAULT_RULES, SanctionRules

NESTED = {
    **common_values.NESTED,
    events_pb2.Violation.DESCRIPTOR.full_name: (events_pb2.Violation, s.Violation),
}
VALUES = EventMapping(pb, (), NESTED)  # no events yet: the request's nested values only


def _day(d: date | None) -> str:
    return "" if d is None else d.isoformat()


class SanctionServicer(service_pb2_grpc.SanctionServiceServicer):
    def __init__(self, clock: Clock, calendar: WorkingCalendar, rules: SanctionRules = DEFAULT_RULES):
        self.clock, self.calendar, self.rules = clock, calendar, rules

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
