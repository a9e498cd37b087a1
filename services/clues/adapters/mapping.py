"""Domain <-> protobuf for the clues service (the domain never imports generated code)."""
from __future__ import annotations

from datetime import timezone

from clues.v1 import events_pb2, service_pb2
from common.v1 import identity_pb2
from google.protobuf import timestamp_pb2

from services.clues.domain import model

_SOURCE_PREFIX = "CLUE_SOURCE_"


def source_from_pb(value: int) -> str:
    name = events_pb2.ClueSource.Name(value) if value in events_pb2.ClueSource.values() else ""
    return name.removeprefix(_SOURCE_PREFIX) if value else ""


def subjects_from_pb(subjects) -> tuple[model.Subject, ...]:
    return tuple(model.Subject(s.person_id.strip(), s.name.strip(), s.post.strip(), s.unit.strip())
                 for s in subjects)


def _ts(at) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


def event_to_pb(e: model.ClueRegistered) -> events_pb2.ClueRegistered:
    return events_pb2.ClueRegistered(
        clue_id=e.clue_id, source=events_pb2.ClueSource.Value(_SOURCE_PREFIX + e.source),
        subjects=[identity_pb2.PersonRef(person_id=s.person_id, name=s.name, post=s.post, unit=s.unit)
                  for s in e.subjects],
        summary=e.summary, received_at=_ts(e.received_at),
        receiving_office=identity_pb2.OfficeRef(agency_id=e.receiving_agency, office_id=e.receiving_office),
        has_sealed_informant=e.has_sealed_informant)


def event_from_pb(msg: events_pb2.ClueRegistered) -> model.ClueRegistered:
    return model.ClueRegistered(
        msg.clue_id, source_from_pb(msg.source), subjects_from_pb(msg.subjects), msg.summary,
        msg.receiving_office.agency_id, msg.receiving_office.office_id,
        msg.received_at.ToDatetime(tzinfo=timezone.utc),
        msg.has_sealed_informant)


def clue_to_pb(state: model.Received, version: int) -> service_pb2.GetClueResponse:
    r = event_to_pb(state.registered)
    return service_pb2.GetClueResponse(
        clue_id=r.clue_id, state=state.status, source=r.source, subjects=r.subjects, summary=r.summary,
        receiving_office=r.receiving_office, received_at=r.received_at, version=version,
        has_sealed_informant=r.has_sealed_informant)
