"""kernel.edge.mapping's request times: an out-of-range Timestamp is bad input naming its field;
calendar days are `YYYY-MM-DD` strings by their dataclass type hints."""

from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from kernel.domain.errors import Validation
from kernel.edge.mapping import DAYS, ONE_DAY, OPTIONAL_DAY, EventMapping, date_fields, datetime_of
from sanctions.v1 import events_pb2 as sanctions_pb2


def test_a_request_time_is_aware_and_an_impossible_one_names_its_field():
    assert datetime_of(Timestamp(seconds=1_780_000_000), "at") == datetime.fromtimestamp(1_780_000_000, timezone.utc)
    with pytest.raises(Validation, match="starts_at"):
        datetime_of(Timestamp(seconds=253_402_300_800), "starts_at")  # year 10000


# -- calendar days <-> `YYYY-MM-DD` (the sanctions' periods and due dates, issue 21) ---------------


@dataclass(frozen=True)
class _Lock:
    kind: str
    until: date | None
    rule: str


@dataclass(frozen=True)
class _Drafted:
    when: datetime
    days: tuple[date, ...]
    first: date


def test_only_fields_typed_as_days_are_days_a_datetime_is_not():
    assert date_fields(_Lock) == {"until": OPTIONAL_DAY}
    assert date_fields(_Drafted) == {"days": DAYS, "first": ONE_DAY}


def test_a_day_is_its_iso_text_and_no_day_the_empty_string_and_back():
    mapping = EventMapping(sanctions_pb2, (), {"sanctions.v1.Lock": (sanctions_pb2.Lock, _Lock)})
    for lock, text in (
        (_Lock("PROMOTION_LOCK", date(2027, 3, 1), "G7 (PSL 19-21)"), "2027-03-01"),
        (_Lock("NO_READMISSION", None, "P2 (Regs 10)"), ""),
    ):
        msg = mapping.message(sanctions_pb2.Lock, lock)
        assert msg.until == text
        assert mapping.dataclass_of(_Lock, msg) == lock


def test_the_sanctions_events_days_round_trip_through_their_messages():
    from services.sanctions.domain import events as ev
    from services.sanctions.domain.government import ReviewRoute

    mapping = EventMapping(
        sanctions_pb2,
        ev.ALL_EVENTS,
        {
            "sanctions.v1.Lock": (sanctions_pb2.Lock, ev.Lock),
            "sanctions.v1.ExecutionItem": (sanctions_pb2.ExecutionItem, ev.ExecutionItem),
            "sanctions.v1.ReviewRoute": (sanctions_pb2.ReviewRoute, ReviewRoute),
        },
    )
    issued = ev.DecisionIssued(
        "decision-1",
        "京纪〔2026〕12号",
        "u1",
        "GOVERNMENT_DEMERIT",
        date(2026, 12, 1),
        date(2028, 6, 1),
        18,
        (ev.Lock("PROMOTION_LOCK", date(2028, 6, 1), "G7 (PSL 19-21)"),),
        (
            ev.ExecutionItem(
                "ANNOUNCE",
                "UNIT",
                date(2026, 12, 8),
                date(2026, 12, 15),
                "G13 (PSL 45)",
                "ANNOUNCE",
                "employer_unit",
                "unit_office",
            ),
        ),
        ("PSL 12",),
        ReviewRoute("本委", "上级监委", 1),
    )
    msg = mapping.to_pb(issued)
    assert (msg.start, msg.end, msg.items[0].due, msg.locks[0].until) == (
        "2026-12-01",
        "2028-06-01",
        "2026-12-08",
        "2028-06-01",
    )
    assert mapping.from_pb(msg) == issued
    assert mapping.from_pb(mapping.to_pb(issued.__class__(**{**issued.__dict__, "end": None}))).end is None
