"""Small builders shared by tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timezone

from google.protobuf import timestamp_pb2

from clues.v1 import events_pb2
from kernel.domain.principal import Principal
from kernel.edge import tokens
from kernel.eventstore.envelope import NewEvent
from kernel.runtime.settings import ServiceSettings

ALICE = Principal("commission", "case_management", "case_manager", "u-alice")
OPERATOR = Principal("commission", "platform_operations", "platform_operator", "u-ops")


def service_settings(service: str, database_url: str, bootstrap: str, prefix: str, data_dir, **kw) -> ServiceSettings:
    """Settings of one service under test: port 0, its own topic prefix and consumer group."""
    base = dict(
        service=service,
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        grpc_port=0,
        topic_prefix=f"{prefix}.",
        topic_partitions=3,
        consumer_group=f"{prefix}-{service}",
        data_dir=data_dir,
        marker_check_seconds=1.0,
    )
    return ServiceSettings(**{**base, **kw})


def token_for(settings: ServiceSettings, principal: Principal = ALICE, ttl: int = 3600) -> str:
    """A token signed with the platform key the service under test verifies with."""
    return tokens.TokenSigner(tokens.load_or_create_private_key(settings.signing_key_file)).issue(principal, ttl)


def call_metadata(
    settings: ServiceSettings,
    principal: Principal = ALICE,
    *,
    request_id: str | None = None,
    correlation: str | None = None,
) -> list[tuple[str, str]]:
    md = [("authorization", f"Bearer {token_for(settings, principal)}")]
    md += [("x-correlation-id", correlation)] if correlation else []
    return md + ([("x-request-id", request_id)] if request_id else [])


def clue_event(stream_id: str = "", summary: str = "s", event_id: str | None = None) -> NewEvent:
    payload = events_pb2.ClueRegistered(clue_id=stream_id, summary=summary)
    return NewEvent(
        event_id=event_id or str(uuid.uuid4()),
        payload=payload,
        occurred_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
        principal=ALICE,
        correlation_id="corr-1",
    )


def ts(at: datetime) -> timestamp_pb2.Timestamp:
    """A protobuf Timestamp of an aware datetime."""
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(at)
    return out


async def wait_until(predicate, seconds: float = 20.0, what: str = "condition") -> None:
    """Poll an async `predicate()` until it holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def committed_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    """The consumer group's committed offsets, {(topic, partition): offset} (blocking)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
