"""Domain <-> protobuf for the clues service (the domain never imports generated code).

Domain events and their protobuf messages share names and field names, so one pair of functions
maps them all: datetimes <-> Timestamps, `Subject` <-> `common.v1.PersonRef`, domain words
<-> enum values (`TALK_OR_LETTER` <-> `DISPOSAL_METHOD_TALK_OR_LETTER`). The one exception is
`ClueRegistered`'s receiving office, an `OfficeRef` made of two domain fields.
"""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timezone

from google.protobuf import timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor

from clues.v1 import events_pb2, service_pb2
from common.v1 import identity_pb2
from services.clues.domain import events as ev, reconciliation as rec
from services.clues.domain.state import Clue
from services.clues.domain.warnings import Warning

PUBLISHED = ev.ALL_EVENTS + (rec.OfficeLedgerReconciled,)
PB_OF = {cls: getattr(events_pb2, cls.__name__) for cls in PUBLISHED}
DOMAIN_OF = {pb.DESCRIPTOR.full_name: cls for cls, pb in PB_OF.items()}
PB_OF_NAME = {pb.DESCRIPTOR.full_name: pb for pb in PB_OF.values()}
EVENT_TYPES = tuple(DOMAIN_OF)
# Messages nested in events, and the domain dataclasses they carry (same field names).
NESTED = {identity_pb2.PersonRef.DESCRIPTOR.full_name: (identity_pb2.PersonRef, ev.Subject),
          events_pb2.LedgerDifference.DESCRIPTOR.full_name: (events_pb2.LedgerDifference, rec.Difference)}


def _enum_prefix(enum_descriptor) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_descriptor.name).upper() + "_"


def enum_value(enum_type, word: str) -> int:
    """Domain word -> enum number; 0 (UNSPECIFIED) for an unknown word, which the domain refuses."""
    value = enum_type.DESCRIPTOR.values_by_name.get(_enum_prefix(enum_type.DESCRIPTOR) + word)
    return value.number if value else 0


def enum_word(enum_descriptor, number: int) -> str:
    value = enum_descriptor.values_by_number.get(number)
    return value.name.removeprefix(_enum_prefix(enum_descriptor)) if value and number else ""


def source_from_pb(value: int) -> str:
    return enum_word(events_pb2.ClueSource.DESCRIPTOR, value)


def subjects_from_pb(subjects) -> tuple[ev.Subject, ...]:
    return tuple(ev.Subject(s.person_id.strip(), s.name.strip(), s.post.strip(), s.unit.strip()) for s in subjects)


def _nested_to_pb(fd: FieldDescriptor, value):
    pb, _ = NESTED[fd.message_type.full_name]
    fields = pb.DESCRIPTOR.fields_by_name
    return pb(**{f.name: _to_pb_value(fields[f.name], getattr(value, f.name)) for f in dataclasses.fields(value)})


def _nested_from_pb(fd: FieldDescriptor, msg):
    if fd.message_type.full_name == "common.v1.PersonRef":
        return subjects_from_pb([msg])[0]
    _, cls = NESTED[fd.message_type.full_name]
    return cls(**{f.name: _from_pb_value(msg.DESCRIPTOR.fields_by_name[f.name], getattr(msg, f.name))
                  for f in dataclasses.fields(cls)})


def _ts(at: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


def _to_pb_value(fd: FieldDescriptor, value):
    if fd.enum_type is not None:
        return fd.enum_type.values_by_name[_enum_prefix(fd.enum_type) + value].number if value else 0
    if isinstance(value, datetime):
        return _ts(value)
    if fd.message_type is not None and fd.message_type.full_name in NESTED:
        return [_nested_to_pb(fd, v) for v in value]
    return list(value) if isinstance(value, tuple) else value


def _from_pb_value(fd: FieldDescriptor, value):
    if fd.enum_type is not None:
        return enum_word(fd.enum_type, value)
    if fd.message_type is not None and fd.message_type.full_name == "google.protobuf.Timestamp":
        return value.ToDatetime(tzinfo=timezone.utc)
    if fd.message_type is not None and fd.message_type.full_name in NESTED:
        return tuple(_nested_from_pb(fd, v) for v in value)
    return tuple(value) if fd.is_repeated else value


def event_to_pb(event):
    pb = PB_OF[type(event)]
    fields = pb.DESCRIPTOR.fields_by_name
    values = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    office = None
    if isinstance(event, ev.ClueRegistered):
        office = identity_pb2.OfficeRef(agency_id=values.pop("receiving_agency"),
                                        office_id=values.pop("receiving_office"))
    msg = pb(**{k: _to_pb_value(fields[k], v) for k, v in values.items()})
    if office is not None:
        msg.receiving_office.CopyFrom(office)
    return msg


def event_from_pb(msg):
    cls = DOMAIN_OF[msg.DESCRIPTOR.full_name]
    fields = msg.DESCRIPTOR.fields_by_name
    if cls is ev.ClueRegistered:
        office = msg.receiving_office
        rest = {f.name: _from_pb_value(fields[f.name], getattr(msg, f.name)) for f in dataclasses.fields(cls)
                if f.name not in ("receiving_agency", "receiving_office")}
        return cls(**rest, receiving_agency=office.agency_id, receiving_office=office.office_id)
    return cls(**{f.name: _from_pb_value(fields[f.name], getattr(msg, f.name)) for f in dataclasses.fields(cls)})


def clue_to_pb(state: Clue, version: int, warning: Warning) -> service_pb2.GetClueResponse:
    r = event_to_pb(state.registered)
    pending = state.pending
    return service_pb2.GetClueResponse(
        colour=enum_value(events_pb2.WarningColour, warning.colour), priority=r.priority,
        deadline=_ts(warning.deadline) if warning.deadline else None,
        clue_id=r.clue_id, state=state.status, source=r.source, subjects=r.subjects, summary=r.summary,
        receiving_office=r.receiving_office, received_at=r.received_at, version=version,
        has_sealed_informant=r.has_sealed_informant, clue_number=state.clue_number,
        handling_office=state.handling_office, pending_kind=pending.kind if pending else "",
        pending_value=pending.value if pending else "", pending_proposed_by=pending.proposed_by if pending else "",
        case_id=state.case_id, outcome=state.outcome)


def summary_to_pb(row, warning: Warning) -> service_pb2.ClueSummary:
    return service_pb2.ClueSummary(
        clue_id=row["clue_id"], clue_number=row["clue_number"], state=row["status"],
        handling_office=row["handling_office"], receiving_office=row["receiving_office"],
        priority=enum_value(events_pb2.CluePriority, row["priority"]),
        colour=enum_value(events_pb2.WarningColour, warning.colour),
        deadline=_ts(warning.deadline) if warning.deadline else None, received_at=_ts(row["received_at"]),
        stage_since=_ts(row["stage_since"]), summary=row["summary"])


def notice_to_pb(row, now: datetime) -> service_pb2.SupervisionNotice:
    satisfied = row["satisfied_at"]
    return service_pb2.SupervisionNotice(
        clue_id=row["clue_id"], notice_id=row["notice_id"], to_office=row["to_office"], due_at=_ts(row["due_at"]),
        required=row["required"], issued_at=_ts(row["issued_at"]), satisfied_at=_ts(satisfied) if satisfied else None,
        overdue=satisfied is None and row["due_at"] < now)


def stock_take_to_pb(take) -> service_pb2.GetStockTakeResponse:
    return service_pb2.GetStockTakeResponse(
        start=_ts(take.start), end=_ts(take.end), office=take.office, received=take.received,
        disposed_by_method=dict(take.disposed_by_method), concluded_by_status=dict(take.concluded_by_status),
        open_by_stage=dict(take.open_by_stage), open_by_colour=dict(take.open_by_colour), overdue=take.overdue,
        notices_issued=take.notices_issued, notices_met=take.notices_met, notices_overdue=take.notices_overdue)
