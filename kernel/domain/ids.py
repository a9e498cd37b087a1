"""Identifier conventions shared by every service.

* A stream id is `<context>-<uuid>` (lowercase canonical uuid): `clue-…`, `case-…`,
  `decision-…`, `measure-…`. It is also the Kafka record key, so per-stream order holds.
* Streams written only by durable timers are `<context>-timers-<uuid>` (the aggregate's uuid), so
  a timer firing never competes with a user's command for the aggregate stream's next version.
* A person is one id everywhere: the personnel system's stable person id (`common.v1.PersonRef`).
  The facts its sources report about it (issue 24) are on `person-<uuid5(NAMESPACE_URL,
  "person/" + person id)>` (`person_stream_id`).
* Agencies, offices and roles are catalogue codes (`kernel.edge.catalogue`).
"""

from __future__ import annotations

import re
import uuid

from kernel.domain.errors import Validation

CONTEXTS = (
    "clue",
    "case",
    "decision",
    "measure",
    "notice",
    "reconciliation",
    "request",
    "read",
    "person",
    "integrity",
    "tour",
)
UUID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def stream_id(context: str, ident: uuid.UUID) -> str:
    return f"{context}-{ident}"


def person_stream_id(person_id: str) -> str:
    """The stream of the facts reported about a person (issue 24; domain.md §1): one per person id."""
    return stream_id("person", uuid.uuid5(uuid.NAMESPACE_URL, "person/" + person_id))


def check_stream_id(value: str, context: str, field: str) -> str:
    """`value` stripped, if it is a `<context>-<uuid>` stream id; else Validation naming `field`."""
    value = (value or "").strip()
    if not re.fullmatch(f"{re.escape(context)}-{UUID_PATTERN}", value):
        raise Validation(field, f"must look like {context}-<uuid>, e.g. {context}-{uuid.UUID(int=0)}")
    return value


def timer_kind(stream_id: str) -> str:
    """The aggregate kind of a timer stream (`clue-timers-<uuid>` -> `clue`), "" for another stream."""
    context, timers, _ = stream_id.partition("-timers-")
    return context if timers else ""


def aggregate_of(timer_stream: str) -> str:
    """The aggregate a timer stream belongs to: `clue-timers-<uuid>` -> `clue-<uuid>`."""
    context, _, ident = timer_stream.partition("-timers-")
    return f"{context}-{ident}"


def timer_stream_id(aggregate_stream_id: str) -> str:
    """The stream a timer of this aggregate writes to: `<context>-timers-<uuid>`."""
    context, _, ident = aggregate_stream_id.partition("-")
    return f"{context}-timers-{ident}"
