"""Domain <-> protobuf for the cases service, field by field (`kernel.edge.mapping.EventMapping`)."""

from __future__ import annotations

from dataclasses import replace

from cases.v1 import events_pb2
from common.v1 import identity_pb2, recording_pb2
from kernel.domain import sanctions
from kernel.edge import common_values
from kernel.edge.mapping import Codec, EventMapping
from services.cases.domain import events as ev
from services.cases.domain.sanctioning import from_outcomes

NESTED = {
    identity_pb2.PersonRef.DESCRIPTOR.full_name: (identity_pb2.PersonRef, ev.Subject),
    events_pb2.Outcome.DESCRIPTOR.full_name: (events_pb2.Outcome, ev.Outcome),
    events_pb2.TransferDocument.DESCRIPTOR.full_name: (events_pb2.TransferDocument, ev.Document),
    events_pb2.Criterion.DESCRIPTOR.full_name: (events_pb2.Criterion, ev.Criterion),
    recording_pb2.RecordingRef.DESCRIPTOR.full_name: (recording_pb2.RecordingRef, ev.Recording),
    events_pb2.DocumentRef.DESCRIPTOR.full_name: (events_pb2.DocumentRef, ev.Document),  # measures' (SL 44; IR2025 134)
    events_pb2.ExecutingStaff.DESCRIPTOR.full_name: (events_pb2.ExecutingStaff, ev.Staff),  # SL 44
    events_pb2.SubjectAtIssue.DESCRIPTOR.full_name: (events_pb2.SubjectAtIssue, ev.SubjectAtIssue),
    **common_values.NESTED,  # person facts and collective decisions (common.v1)
    events_pb2.Violation.DESCRIPTOR.full_name: (events_pb2.Violation, sanctions.Violation),
    events_pb2.CombinedSanction.DESCRIPTOR.full_name: (events_pb2.CombinedSanction, sanctions.Combined),
    events_pb2.PersonSanctions.DESCRIPTOR.full_name: (events_pb2.PersonSanctions, ev.PersonSanctions),
    events_pb2.Charge.DESCRIPTOR.full_name: (events_pb2.Charge, ev.Charge),  # SL 48 (issue 19)
    events_pb2.CustodyGrounds.DESCRIPTOR.full_name: (events_pb2.CustodyGrounds, ev.CustodyGrounds),  # SL 25
}
EVENTS = EventMapping(events_pb2, ev.ALL_EVENTS, NESTED)
PB_OF_NAME = EVENTS.pb_of_name
event_to_pb = EVENTS.to_pb


def event_from_pb(msg):
    """The event of a payload, upcast where its shape changed (issue 18): a conclusion, hearing or
    disposal recorded before violations were reads each sanction outcome as one violation with its
    article, combined by rule SINGLE; a combined sanction's period 0 is the statutory one (None)."""
    event = EVENTS.from_pb(msg)
    if isinstance(event, _WITH_SANCTIONS):
        entries = event.sanctions or from_outcomes(getattr(event, "outcomes", None) or getattr(event, "proposals", ()))
        event = replace(event, sanctions=tuple(_statutory(e) for e in entries))
    return event


_WITH_SANCTIONS = (ev.TrialReviewConcluded, ev.SubjectHeard, ev.CaseDisposed, ev.RehearingRequired)


def _statutory(entry: ev.PersonSanctions) -> ev.PersonSanctions:
    combined = tuple(replace(k, period_months=k.period_months or None) for k in entry.combined)
    return replace(entry, combined=combined)


CODEC = Codec(event_to_pb, event_from_pb, PB_OF_NAME)
