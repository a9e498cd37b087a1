"""Recorded rows to `audit.v1` messages: events, and replay steps with their approvals and recordings.

Payloads are read by reflection over the published contracts (imported below so that their types
are known), never through another service's code: an approval is a payload naming `approved_by`,
or `rejected_by` / `refused_by` (and `approver_role` where several are needed or it is recorded); a
recording reference is any `common.v1.RecordingRef` at any depth. A payload of a type this build does not know still makes a
step, without those two.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from audit.v1 import service_pb2 as pb
from cases.v1 import events_pb2 as _cases  # noqa: F401 - registers the cases contract's types
from clues.v1 import events_pb2 as _clues  # noqa: F401 - registers the clues contract's types
from common.v1 import recording_pb2
from kernel.edge.mapping import timestamp
from kernel.eventstore.envelope import Envelope, parse

RECORDING = recording_pb2.RecordingRef.DESCRIPTOR.full_name


def recorded(row) -> pb.RecordedEvent:
    raw = bytes(row["envelope"])
    return pb.RecordedEvent(
        envelope=parse(raw),
        envelope_bytes=raw,
        topic=row["topic"],
        partition=row["partition"],
        offset=row["offset"],
        ingested_at=timestamp(row["ingested_at"]),
    )


def payload_of(env: Envelope) -> Message | None:
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(env.payload.TypeName())
    except KeyError:
        return None
    msg = message_factory.GetMessageClass(descriptor)()
    return msg if env.payload.Unpack(msg) else None


def approval_of(msg: Message | None, env: Envelope) -> pb.Approval | None:
    if msg is None:
        return None
    fields = msg.DESCRIPTOR.fields_by_name
    for name, decision in (
        ("approved_by", pb.APPROVAL_DECISION_APPROVED),
        ("rejected_by", pb.APPROVAL_DECISION_REJECTED),
        ("refused_by", pb.APPROVAL_DECISION_REJECTED),
    ):
        if name in fields and getattr(msg, name):
            role = getattr(msg, "approver_role", "") if "approver_role" in fields else ""
            return pb.Approval(decision=decision, user=getattr(msg, name), role=role or env.principal.role)
    return None


def messages_in(msg: Message | None) -> Iterator[Message]:
    """`msg` and every message inside it, depth first, in field order (map entries left out)."""
    if msg is None:
        return
    yield msg
    for field, value in msg.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE or field.message_type.GetOptions().map_entry:
            continue
        for item in value if field.is_repeated else [value]:
            yield from messages_in(item)


def recordings_of(msg: Message | None) -> list[recording_pb2.RecordingRef]:
    """Every RecordingRef in `msg` (itself included), depth first, in field order."""
    return [m for m in messages_in(msg) if m.DESCRIPTOR.full_name == RECORDING]


def step(row, position: int) -> pb.HistoryStep:
    event = recorded(row)
    env = event.envelope
    msg = payload_of(env)
    return pb.HistoryStep(
        position=position,
        leaf_index=row["leaf_index"],
        event_type=env.event_type,
        stream_id=env.stream_id,
        version=env.version,
        principal=env.principal,
        occurred_at=env.occurred_at,
        recorded_at=env.recorded_at,
        approval=approval_of(msg, env),
        recordings=recordings_of(msg),
        event=event,
    )
