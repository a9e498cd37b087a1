"""Domain <-> protobuf for the sanctions service, field by field (`kernel.edge.mapping.EventMapping`):
calendar days as `YYYY-MM-DD`, words as enum values, the cases' violations and combined sanctions
and the common person facts and collective decisions as their messages."""

from __future__ import annotations

from dataclasses import replace

from cases.v1 import events_pb2 as cases_pb2
from kernel.domain import sanctions
from kernel.edge import common_values
from kernel.edge.mapping import Codec, EventMapping
from sanctions.v1 import events_pb2
from services.sanctions.domain import events as ev

NESTED = {
    events_pb2.Lock.DESCRIPTOR.full_name: (events_pb2.Lock, ev.Lock),
    events_pb2.ExecutionItem.DESCRIPTOR.full_name: (events_pb2.ExecutionItem, ev.ExecutionItem),
    events_pb2.ReviewRoute.DESCRIPTOR.full_name: (events_pb2.ReviewRoute, ev.ReviewRoute),
    events_pb2.DocumentRef.DESCRIPTOR.full_name: (events_pb2.DocumentRef, ev.Document),
    events_pb2.Witness.DESCRIPTOR.full_name: (events_pb2.Witness, ev.Witness),
    events_pb2.Visitor.DESCRIPTOR.full_name: (events_pb2.Visitor, ev.Visitor),
    cases_pb2.Violation.DESCRIPTOR.full_name: (cases_pb2.Violation, sanctions.Violation),
    cases_pb2.CombinedSanction.DESCRIPTOR.full_name: (cases_pb2.CombinedSanction, sanctions.Combined),
    **common_values.NESTED,  # person facts and collective decisions (common.v1)
}
EVENTS = EventMapping(events_pb2, ev.ALL_EVENTS, NESTED)
PB_OF_NAME = EVENTS.pb_of_name
event_to_pb = EVENTS.to_pb


def event_from_pb(msg):
    """The event of a payload; a combined sanction's period 0 is the statutory one (None), as the
    cases service reads it."""
    event = EVENTS.from_pb(msg)
    if isinstance(event, ev.DecisionOpened) and event.combined is not None:
        event = replace(event, combined=replace(event.combined, period_months=event.combined.period_months or None))
    return event


CODEC = Codec(event_to_pb, event_from_pb, PB_OF_NAME)
