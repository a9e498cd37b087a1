"""Domain <-> protobuf for the clues service (the domain never imports generated code).

Events map field by field through `kernel.edge.mapping.EventMapping`; the one exception is
`ClueRegistered`'s receiving office, an `OfficeRef` made of two domain fields.
"""

from __future__ import annotations

from datetime import datetime

from clues.v1 import events_pb2, service_pb2
from common.v1 import awaiting_pb2, identity_pb2
from kernel.edge.mapping import (
    Codec,
    EventMapping,
    enum_value,
    enum_word,
    persons_from_pb as subjects_from_pb,
    timestamp as _ts,
)
from services.clues.domain import events as ev, reconciliation as rec
from services.clues.domain.awaiting import Awaited
from services.clues.domain.state import Clue
from services.clues.domain.warnings import Warning

PUBLISHED = ev.ALL_EVENTS + (rec.OfficeLedgerReconciled,)
# Messages nested in events, and the domain dataclasses they carry (same field names).
NESTED = {
    identity_pb2.PersonRef.DESCRIPTOR.full_name: (identity_pb2.PersonRef, ev.Subject),
    events_pb2.LedgerDifference.DESCRIPTOR.full_name: (events_pb2.LedgerDifference, rec.Difference),
}
OFFICE = ("receiving_agency", "receiving_office")  # one OfficeRef in the message
EVENTS = EventMapping(events_pb2, PUBLISHED, NESTED, skip={ev.ClueRegistered: OFFICE})
PB_OF_NAME = EVENTS.pb_of_name
EVENT_TYPES = EVENTS.event_types
__all__ = ["enum_value", "enum_word", "subjects_from_pb"]


def source_from_pb(value: int) -> str:
    return enum_word(events_pb2.ClueSource, value)


def event_to_pb(event):
    msg = EVENTS.to_pb(event)
    if isinstance(event, ev.ClueRegistered):
        msg.receiving_office.CopyFrom(
            identity_pb2.OfficeRef(agency_id=event.receiving_agency, office_id=event.receiving_office)
        )
    return msg


def event_from_pb(msg):
    if msg.DESCRIPTOR.full_name != events_pb2.ClueRegistered.DESCRIPTOR.full_name:
        return EVENTS.from_pb(msg)
    office = msg.receiving_office
    return EVENTS.from_pb(msg, receiving_agency=office.agency_id, receiving_office=office.office_id)


def clue_to_pb(state: Clue, version: int, warning: Warning) -> service_pb2.GetClueResponse:
    r = event_to_pb(state.registered)
    pending = state.pending
    return service_pb2.GetClueResponse(
        colour=enum_value(events_pb2.WarningColour, warning.colour),
        priority=enum_value(events_pb2.CluePriority, state.priority),
        deadline=_ts(warning.deadline) if warning.deadline else None,
        clue_id=r.clue_id,
        state=state.status,
        source=r.source,
        subjects=r.subjects,
        summary=r.summary,
        receiving_office=r.receiving_office,
        received_at=r.received_at,
        version=version,
        has_sealed_informant=r.has_sealed_informant,
        clue_number=state.clue_number,
        handling_office=state.handling_office,
        pending_kind=pending.kind if pending else "",
        pending_value=pending.value if pending else "",
        pending_proposed_by=pending.proposed_by if pending else "",
        case_id=state.case_id,
        outcome=state.outcome,
        routing=r.routing,
        pending_detail=pending.detail if pending else "",
        outcome_detail=state.outcome_detail,
    )


def awaiting_to_pb(
    a: Awaited, clue_id: str, reference: str, office: str, colour: str, now: datetime
) -> awaiting_pb2.AwaitingItem:
    """One step the clue waits for (`office`: its holder; `colour`: the clue's, RED once the step
    is past due)."""
    return awaiting_pb2.AwaitingItem(
        service="clues",
        file_id=clue_id,
        reference=reference or clue_id,
        step=a.step,
        summary=a.summary,
        role=a.role,
        office=office,
        since=_ts(a.since),
        due=_ts(a.due) if a.due else None,
        colour="RED" if a.due and a.due < now else colour,
    )


def summary_to_pb(row, warning: Warning) -> service_pb2.ClueSummary:
    return service_pb2.ClueSummary(
        clue_id=row["clue_id"],
        clue_number=row["clue_number"],
        state=row["status"],
        handling_office=row["handling_office"],
        receiving_office=row["receiving_office"],
        priority=enum_value(events_pb2.CluePriority, row["priority"]),
        colour=enum_value(events_pb2.WarningColour, warning.colour),
        deadline=_ts(warning.deadline) if warning.deadline else None,
        received_at=_ts(row["received_at"]),
        stage_since=_ts(row["stage_since"]),
        summary=row["summary"],
    )


def notice_to_pb(row, now: datetime) -> service_pb2.SupervisionNotice:
    satisfied = row["satisfied_at"]
    return service_pb2.SupervisionNotice(
        clue_id=row["clue_id"],
        notice_id=row["notice_id"],
        to_office=row["to_office"],
        due_at=_ts(row["due_at"]),
        required=row["required"],
        issued_at=_ts(row["issued_at"]),
        satisfied_at=_ts(satisfied) if satisfied else None,
        overdue=satisfied is None and row["due_at"] < now,
    )


def stock_take_to_pb(take) -> service_pb2.GetStockTakeResponse:
    return service_pb2.GetStockTakeResponse(
        start=_ts(take.start),
        end=_ts(take.end),
        office=take.office,
        received=take.received,
        disposed_by_method=dict(take.disposed_by_method),
        concluded_by_status=dict(take.concluded_by_status),
        open_by_stage=dict(take.open_by_stage),
        open_by_colour=dict(take.open_by_colour),
        overdue=take.overdue,
        notices_issued=take.notices_issued,
        notices_met=take.notices_met,
        notices_overdue=take.notices_overdue,
    )


CODEC = Codec(event_to_pb, event_from_pb, PB_OF_NAME)
