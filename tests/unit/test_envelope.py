from datetime import datetime, timezone

import pytest

from clues.v1 import events_pb2
from kernel import envelope
from kernel.errors import Validation
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
