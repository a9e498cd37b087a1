"""The tour rounds' events (`proto/clues/v1/tour_events.proto`) <-> the domain's dataclasses
(`services.clues.domain.tour`), field by field (`kernel.edge.mapping.EventMapping`): the kind as a
`TourKind` value, the days as `YYYY-MM-DD`; and a problem as the ledger lists it (issue 27)."""

from __future__ import annotations

from datetime import datetime

from clues.v1 import tour_events_pb2, tours_pb2
from kernel.edge.mapping import Codec, EventMapping, enum_value, timestamp
from services.clues.domain import tour as t

NESTED = {tour_events_pb2.InspectedUnit.DESCRIPTOR.full_name: (tour_events_pb2.InspectedUnit, t.InspectedUnit)}
EVENTS = EventMapping(tour_events_pb2, t.EVENTS, NESTED)
CODEC = Codec(EVENTS.to_pb, EVENTS.from_pb, EVENTS.pb_of_name)


def problem_to_pb(row, now: datetime) -> tours_pb2.TourProblem:
    """One row of `tour_problems` (`services.clues.app.tours`) as the ledger lists it."""
    due, closed = row["due_at"], row["closed_at"]
    return tours_pb2.TourProblem(
        problem_id=row["problem_id"],
        round_id=row["round_id"],
        round_reference=row["reference"],
        unit=row["unit"],
        category=row["category"],
        description=row["description"],
        state=enum_value(tours_pb2.TourProblemState, row["state"]),
        responsible_unit=row["responsible_unit"],
        due_at=timestamp(due) if due else None,
        rectification=row["rectification"],
        overdue=row["state"] == t.TRANSFERRED and due is not None and due < now,
        recorded_at=timestamp(row["recorded_at"]),
        closed_at=timestamp(closed) if closed else None,
    )
