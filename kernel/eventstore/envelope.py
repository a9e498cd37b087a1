"""Building, sealing and reading the event envelope (`common.v1.Envelope`).

The envelope is serialised exactly once, by `seal`, when the event is appended; from then on
only those bytes travel (store -> relay -> Kafka -> audit ledger).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from google.protobuf import timestamp_pb2
from google.protobuf.message import DecodeError, Message

from common.v1 import envelope_pb2
from kernel.domain.errors import Validation
from kernel.domain.principal import Principal

Envelope = envelope_pb2.Envelope


@dataclass(frozen=True)
class Link:
    kind: str
    id: str
    relation: str = ""


@dataclass(frozen=True)
class NewEvent:
    """An event ready to append: the typed payload and everything the envelope records."""

    event_id: str
    payload: Message
    occurred_at: datetime
    principal: Principal
    correlation_id: str
    causation_id: str = ""
    request_id: str = ""
    links: tuple[Link, ...] = field(default_factory=tuple)
    schema_version: int = 1

    @property
    def event_type(self) -> str:
        return self.payload.DESCRIPTOR.full_name


def new_event_id() -> str:
    return str(uuid.uuid4())


def derived_event_id(request_id: str, index: int, namespace: str) -> str:
    """Deterministic event id for the index-th event a request produced (retries match)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}/{request_id}/{index}"))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _ts(at: datetime) -> timestamp_pb2.Timestamp:
    """Same value as `Timestamp.FromDatetime`, at a fifth of its cost (it is on every append)."""
    if at.tzinfo is None:
        raise Validation("occurred_at", "timestamps must carry a time zone")
    d = at - _EPOCH
    return timestamp_pb2.Timestamp(seconds=d.days * 86400 + d.seconds, nanos=d.microseconds * 1000)


def instant(ts: timestamp_pb2.Timestamp) -> datetime:
    """`ts` as an aware UTC datetime (microseconds); `ToDatetime`'s value at a third of its cost."""
    return _EPOCH + timedelta(0, ts.seconds, ts.nanos // 1000)


def build(event: NewEvent, stream_id: str, version: int, recorded_at: datetime) -> Envelope:
    """The envelope of `event` at `version` of `stream_id` (on every append: kept lean)."""
    p = event.principal
    env = Envelope(
        event_id=event.event_id,
        stream_id=stream_id,
        version=version,
        event_type=event.payload.DESCRIPTOR.full_name,
        schema_version=event.schema_version,
        correlation_id=event.correlation_id,
        causation_id=event.causation_id,
        request_id=event.request_id,
    )
    env.occurred_at.CopyFrom(_ts(event.occurred_at))
    env.recorded_at.CopyFrom(_ts(recorded_at))
    principal = env.principal
    principal.agency, principal.office, principal.role, principal.user = p.agency, p.office, p.role, p.user
    for link in event.links:
        env.links.add(kind=link.kind, id=link.id, relation=link.relation)
    env.payload.Pack(event.payload)
    return env


def seal(envelope: Envelope) -> bytes:
    """The one serialisation of an envelope (deterministic, so equal content gives equal bytes)."""
    return envelope.SerializeToString(deterministic=True)


def content_bytes(envelope: Envelope) -> bytes:
    """Identity of an event for idempotency: everything but its log time and stream position."""
    copy = Envelope()
    copy.CopyFrom(envelope)
    copy.ClearField("recorded_at")
    copy.ClearField("version")
    return seal(copy)


def parse(raw: bytes) -> Envelope:
    """Decode envelope bytes; malformed bytes or a missing identity raise `Validation`."""
    env = Envelope()
    try:
        env.ParseFromString(raw)
    except DecodeError as e:
        raise Validation("envelope", f"malformed envelope bytes: {e}") from e
    for name in ("event_id", "stream_id", "event_type"):
        if not getattr(env, name):
            raise Validation(f"envelope.{name}", "missing")
    if env.version < 1:
        raise Validation("envelope.version", "must be >= 1")
    return env


def unpack(env: Envelope, message_type: type[Message]) -> Message:
    msg = message_type()
    if not env.payload.Unpack(msg):
        raise Validation("envelope.payload", f"is {env.payload.TypeName()}, not {msg.DESCRIPTOR.full_name}")
    return msg


# The record headers that repeat the envelope (the relay adds the stream version and position).
TYPE_HEADER, STREAM_HEADER = "event-type", "stream-id"


def kafka_headers(env: Envelope) -> list[tuple[str, bytes]]:
    """Headers repeat event id, type and correlation id so consumers can route without decoding."""
    return [
        ("event-id", env.event_id.encode()),
        (TYPE_HEADER, env.event_type.encode()),
        ("correlation-id", env.correlation_id.encode()),
        (STREAM_HEADER, env.stream_id.encode()),
    ]


def principal_of(env: Envelope) -> Principal:
    p = env.principal
    return Principal(p.agency, p.office, p.role, p.user)
