"""Domain <-> protobuf for the cases service, field by field (`kernel.edge.mapping.EventMapping`)."""

from __future__ import annotations

from cases.v1 import events_pb2
from common.v1 import identity_pb2, recording_pb2
from kernel.edge.mapping import Codec, EventMapping
from services.cases.domain import events as ev

NESTED = {
    identity_pb2.PersonRef.DESCRIPTOR.full_name: (identity_pb2.PersonRef, ev.Subject),
    events_pb2.Outcome.DESCRIPTOR.full_name: (events_pb2.Outcome, ev.Outcome),
    events_pb2.TransferDocument.DESCRIPTOR.full_name: (events_pb2.TransferDocument, ev.Document),
    events_pb2.Criterion.DESCRIPTOR.full_name: (events_pb2.Criterion, ev.Criterion),
    recording_pb2.RecordingRef.DESCRIPTOR.full_name: (recording_pb2.RecordingRef, ev.Recording),
}
EVENTS = EventMapping(events_pb2, ev.ALL_EVENTS, NESTED)
PB_OF_NAME = EVENTS.pb_of_name
event_to_pb = EVENTS.to_pb
event_from_pb = EVENTS.from_pb


CODEC = Codec(event_to_pb, event_from_pb, PB_OF_NAME)
