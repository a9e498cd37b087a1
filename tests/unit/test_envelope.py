from datetime import datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from clues.v1 import events_pb2
from kernel.domain.errors import Validation
from kernel.eventstore import envelope
from tests.factories import clue_event

AT = datetime(2026, 3, 2, tzinfo=timezone.utc)


def test_seal_is_deterministic_and_round_trips():
    e = clue_event("clue-1", event_id="6f1c0d1e-0000-4000-8000-000000000001")
    env = envelope.build(e, "clue-1", 1, AT)
    raw = envelope.seal(env)
    assert raw == envelope.seal(envelope.build(e, "clue-1", 1, AT))
    back = envelope.parse(raw)
    assert back.event_type == "clues.v1.ClueRegistered"
    assert envelope.unpack(back, events_pb2.ClueRegistered).summary == "s"
    assert envelope.principal_of(back).user == "u-alice"


def test_content_ignores_log_time_and_position_only():
    e = clue_event("clue-1")
    a = envelope.build(e, "clue-1", 1, AT)
    b = envelope.build(e, "clue-1", 3, datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert envelope.content_bytes(a) == envelope.content_bytes(b)
    c = envelope.build(clue_event("clue-1", summary="other", event_id=e.event_id), "clue-1", 1, AT)
    assert envelope.content_bytes(a) != envelope.content_bytes(c)


@pytest.mark.parametrize("raw,field", [(b"\xff\xff", "envelope"), (b"", "envelope.event_id")])
def test_parse_rejects_malformed(raw, field):
    with pytest.raises(Validation) as err:
        envelope.parse(raw)
    assert err.value.field == field


def test_naive_timestamp_refused():
    e = clue_event("clue-1")
    with pytest.raises(Validation):
        envelope.build(e, "clue-1", 1, datetime(2026, 1, 1))


def test_derived_event_ids_are_stable_per_request_and_index():
    a = envelope.derived_event_id("req-1", 0, "clues")
    assert a == envelope.derived_event_id("req-1", 0, "clues")
    assert a != envelope.derived_event_id("req-1", 1, "clues")


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 5, 6, 9, 30, 15, 123456, tzinfo=timezone.utc),
        datetime(2026, 5, 6, 9, 30, tzinfo=timezone(timedelta(hours=8))),
        datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=timezone.utc),
        datetime(1, 1, 1, tzinfo=timezone.utc),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    ],
)
def test_fast_timestamps_equal_protobufs_own_conversion(at):
    from google.protobuf import timestamp_pb2

    from kernel.eventstore.envelope import _ts

    expected = timestamp_pb2.Timestamp()
    expected.FromDatetime(at)
    assert _ts(at) == expected


def test_build_gives_the_bytes_of_the_plain_construction():
    """`build` is tuned for speed; its sealed bytes must equal the obvious construction's."""
    from dataclasses import replace

    from google.protobuf import any_pb2, timestamp_pb2

    from common.v1 import envelope_pb2
    from kernel.eventstore.envelope import Link

    event = replace(
        clue_event("clue-b"),
        links=(Link("person", "P-1", "subject"), Link("clue", "clue-a")),
        causation_id="req-1",
        request_id="req-1",
    )
    recorded = datetime(2026, 5, 6, 9, 0, 1, 5, tzinfo=timezone(timedelta(hours=8)))

    def ts(at):
        t = timestamp_pb2.Timestamp()
        t.FromDatetime(at)
        return t

    payload = any_pb2.Any()
    payload.Pack(event.payload)
    p = event.principal
    plain = envelope_pb2.Envelope(
        event_id=event.event_id,
        stream_id="clue-b",
        version=3,
        event_type=event.event_type,
        schema_version=1,
        occurred_at=ts(event.occurred_at),
        recorded_at=ts(recorded),
        principal=envelope_pb2.Principal(agency=p.agency, office=p.office, role=p.role, user=p.user),
        correlation_id=event.correlation_id,
        causation_id="req-1",
        request_id="req-1",
        links=[envelope_pb2.Link(kind=l.kind, id=l.id, relation=l.relation) for l in event.links],
        payload=payload,
    )
    assert envelope.seal(envelope.build(event, "clue-b", 3, recorded)) == envelope.seal(plain)


def test_instant_is_the_timestamps_utc_datetime_to_the_microsecond():
    for seconds, nanos in ((0, 0), (1_780_000_000, 999_999_999), (1_780_000_000, 1_500), (-86_400, 5_000)):
        ts = Timestamp(seconds=seconds, nanos=nanos)
        assert envelope.instant(ts) == ts.ToDatetime(tzinfo=timezone.utc) and envelope.instant(ts).tzinfo is not None
