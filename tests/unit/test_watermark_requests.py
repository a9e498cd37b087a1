"""The republish request's three kinds on the wire: old stream requests decode as they always did,
position ranges and watermark requests round-trip, and anything malformed is refused."""

import json

import pytest

from kernel.messaging.republish import POSITIONS, STREAM, WATERMARK, RepublishRequest
from kernel.messaging.watermark import Position


def test_a_stream_request_is_encoded_exactly_as_before():
    req = RepublishRequest("t.clues.events.v1", "clue-1", 2, 4, "audit")
    assert json.loads(req.encode()) == {
        "topic": "t.clues.events.v1",
        "stream_id": "clue-1",
        "first": 2,
        "last": 4,
        "requested_by": "audit",
    }
    assert req.kind == STREAM and RepublishRequest.decode(req.encode()) == req
    old = b'{"first":2,"last":4,"requested_by":"audit","stream_id":"clue-1","topic":"t.clues.events.v1"}'
    assert RepublishRequest.decode(old) == req
    assert RepublishRequest.decode(b'{"first":1,"last":1,"stream_id":"s","topic":"t"}').requested_by == ""


def test_a_position_range_round_trips():
    req = RepublishRequest.positions("t.clues.events.v1", Position(740, 3), Position(745, 9), "audit")
    assert json.loads(req.encode()) == {
        "topic": "t.clues.events.v1",
        "stream_id": "",
        "first": 0,
        "last": 0,
        "after": "740:3",
        "through": "745:9",
        "requested_by": "audit",
    }
    back = RepublishRequest.decode(req.encode())
    assert back == req and back.kind == POSITIONS and back.key == b"t.clues.events.v1"
    # first/last may be left out of the new kinds
    assert RepublishRequest.decode(b'{"topic":"t","stream_id":"","after":"0:0","through":"1:1"}').kind == POSITIONS


def test_a_watermark_request_round_trips():
    req = RepublishRequest.for_watermark("t.clues.events.v1", "audit")
    assert json.loads(req.encode()) == {
        "topic": "t.clues.events.v1",
        "stream_id": "",
        "first": 0,
        "last": 0,
        "watermark": True,
        "requested_by": "audit",
    }
    back = RepublishRequest.decode(req.encode())
    assert back == req and back.kind == WATERMARK


def test_the_kinds_are_told_apart_for_de_duplication():
    a = RepublishRequest.positions("t", Position(1, 1), Position(1, 5), "x")
    b = RepublishRequest.positions("t", Position(1, 1), Position(1, 6), "x")
    w = RepublishRequest.for_watermark("t", "x")
    s = RepublishRequest("t", "s", 1, 1, "x")
    assert len({a.what, b.what, w.what, s.what}) == 4


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b"5",
        b'{"topic": "t"}',
        # the stream kind, as before
        b'{"topic": "t", "stream_id": "s", "first": 3, "last": 2}',
        b'{"topic": "t", "stream_id": "s", "first": 0, "last": 2}',
        b'{"topic": "", "stream_id": "s", "first": 1, "last": 2}',
        b'{"topic": "t", "stream_id": "s", "last": 2}',
        b'{"topic": "t", "stream_id": "", "first": 1, "last": 2}',
        # a stream with positions or a watermark is ambiguous
        b'{"topic": "t", "stream_id": "s", "first": 1, "last": 2, "after": "0:0", "through": "1:1"}',
        b'{"topic": "t", "stream_id": "s", "first": 1, "last": 2, "watermark": true}',
        # position ranges
        b'{"topic": "t", "stream_id": "", "after": "0:0"}',
        b'{"topic": "t", "stream_id": "", "through": "1:1"}',
        b'{"topic": "t", "stream_id": "", "after": "1:1", "through": "1:1"}',
        b'{"topic": "t", "stream_id": "", "after": "2:0", "through": "1:9"}',
        b'{"topic": "t", "stream_id": "", "after": "0:-1", "through": "1:1"}',
        b'{"topic": "t", "stream_id": "", "after": "x", "through": "1:1"}',
        b'{"topic": "t", "stream_id": "", "after": 0, "through": "1:1"}',
        b'{"topic": "t", "stream_id": "", "after": "0:0", "through": "1:1", "first": 1, "last": 1}',
        b'{"topic": "", "stream_id": "", "after": "0:0", "through": "1:1"}',
        # watermark requests
        b'{"topic": "t", "stream_id": "", "watermark": 1}',
        b'{"topic": "t", "stream_id": "", "watermark": "yes"}',
        b'{"topic": "t", "stream_id": "", "watermark": false}',
        b'{"topic": "t", "stream_id": "", "watermark": true, "after": "0:0", "through": "1:1"}',
        b'{"topic": "", "stream_id": "", "watermark": true}',
        b'{"topic": "t", "stream_id": "", "watermark": true, "requested_by": 7}',
    ],
)
def test_malformed_requests_are_refused(raw):
    with pytest.raises(ValueError):
        RepublishRequest.decode(raw)
