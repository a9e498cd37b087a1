"""The declared limits keep every valid command inside the platform's size bounds (issue 15).

Worst cases are computed from the rules alone: every string at its maximum length in 4-byte UTF-8
characters, every repeated field full, every number at its widest varint. A command's events carry
its request's content plus what they copy from the aggregate (a filing copies the clue's subjects)
and the envelope's own fields, so each mutating RPC's worst request must stay within half of the
append bound (MAX_EVENT_BYTES); a batch counts per item, since each item is its own event.
"""

from __future__ import annotations

import pytest
from google.protobuf.descriptor import FieldDescriptor

from common.v1 import rules_pb2
from kernel.edge.contract import rules_of
from kernel.runtime.settings import ServiceSettings
from services.audit.domain.integrity_request import CHUNK_BYTES
from tests.contract_walk import rpc_methods, servicer_method

pytestmark = pytest.mark.unit
F = rules_pb2.IdFormat
ID_BYTES = {
    F.ID_FORMAT_STREAM: 50,
    F.ID_FORMAT_CLUE: 41,
    F.ID_FORMAT_CASE: 41,
    F.ID_FORMAT_MEASURE: 44,
    F.ID_FORMAT_PERSON: 64,
    F.ID_FORMAT_CODE: 64,
    F.ID_FORMAT_SHA256: 64,
    F.ID_FORMAT_UUID: 36,
    F.ID_FORMAT_MONTH: 7,
    F.ID_FORMAT_REFERENCE: 128 * 4,
    F.ID_FORMAT_PAGE_TOKEN: 512,
    F.ID_FORMAT_CLUE_REF: 40 * 4,
    F.ID_FORMAT_TOUR: 41,
}
# Batches: the repeated field whose items each become one event.
PER_ITEM = {
    "clues.v1.ClueService.RegisterClueBatch": "clues",
    # issue 27: each problem its own TourProblemRecorded; each clue its own ClueRegistered (the round's
    # TourCluesTransferred is cut into parts of at most services.clues.domain.tour.CHUNK_BYTES of ids)
    "clues.v1.TourService.RecordTourProblems": "problems",
    "clues.v1.TourService.TransferTourClues": "clues",
}
# Chunked: the repeated field whose items are cut into events of at most CHUNK_BYTES each (issue 26:
# a 500-candidate integrity-opinion request is received, signed off and replied in parts).
CHUNKED = {
    "audit.v1.IntegrityService.SubmitIntegrityRequest": "candidates",
    "audit.v1.IntegrityService.SignOffCandidates": "candidates",
}
SETTINGS = ServiceSettings(service="clues", database_url="-", kafka_bootstrap="-")


def worst_bytes(message, skip: str = "") -> int:
    """The largest serialised size of a valid `message` (without the field named `skip`)."""
    total = 0
    for fd, rule in rules_of(message):
        if fd.name == skip:
            continue
        one = 2 + _value_bytes(fd, rule)  # tag and, for length-delimited values, their length
        total += one * (rule.max_items if fd.is_repeated else 1)
    return total


def _value_bytes(fd: FieldDescriptor, rule) -> int:
    kind = rule.WhichOneof("kind")
    if kind in ("line", "text"):
        return 3 + 4 * getattr(rule, kind)
    if kind == "id":
        return 2 + ID_BYTES[rule.id]
    if kind == "word":
        return 1 + max(len(w) for w in rule.word.of)
    if kind == "time":
        return 1 + 11 + 5
    if kind == "message":
        return 3 + worst_bytes(fd.message_type)
    return 10  # a varint: numbers, pages, enums, flags


def test_the_id_table_covers_every_format():
    assert set(ID_BYTES) == set(F.values()) - {F.ID_FORMAT_UNSPECIFIED}


@pytest.mark.parametrize(
    "method", [m for m in rpc_methods() if getattr(servicer_method(m), "mutating", False)], ids=lambda m: m.full_name
)
def test_every_valid_command_fits_the_append_bound(method):
    item = PER_ITEM.get(method.full_name) or CHUNKED.get(method.full_name)
    size = worst_bytes(method.input_type, skip=item or "")
    if item:
        size += worst_bytes(method.input_type.fields_by_name[item].message_type)
    if method.full_name in CHUNKED:
        size += CHUNK_BYTES  # the run of items before the last one that still fit
    print(f"{method.full_name}: worst {size:,} bytes per event")
    assert size <= SETTINGS.max_event_bytes // 2


@pytest.mark.parametrize("method", [m for m in rpc_methods() if m.full_name not in PER_ITEM], ids=lambda m: m.full_name)
def test_every_valid_request_fits_the_grpc_receive_limit(method):
    assert worst_bytes(method.input_type) <= SETTINGS.request_max_bytes


def test_a_batch_is_bounded_by_the_receive_limit_and_says_so():
    from clues.v1 import service_pb2

    batch = service_pb2.DESCRIPTOR.message_types_by_name["RegisterClueBatchRequest"]
    per_clue = worst_bytes(batch.fields_by_name["clues"].message_type)
    assert per_clue * 1000 > SETTINGS.request_max_bytes  # so the byte limit, not the count, can bind
    with open("proto/clues/v1/service.proto", encoding="utf-8") as f:
        assert "REQUEST_MAX_BYTES" in f.read()
