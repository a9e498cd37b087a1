"""Records every consumed event in the audit store, exactly once, through the inbox.

The envelope bytes are stored exactly as received (the future ledger hashes them); Kafka
coordinates are kept beside them. A redelivery is a no-op; an event that arrives ahead of a
missing version is held by the inbox until the gap is filled.
"""
from __future__ import annotations

from typing import Awaitable, Callable

from kernel import log as klog
from kernel.envelope import principal_of
from kernel.inbox import Inbox, Source
from kernel.store import EventStore

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.recorded_events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid   NOT NULL UNIQUE,
    stream_id   text   NOT NULL,
    version     bigint NOT NULL,
    event_type  text   NOT NULL,
    envelope    bytea  NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    "offset"    bigint NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, version)
)"""


class Recorder:
    def __init__(self, store: EventStore, consumer: str = "audit-recorder", *,
                 on_gap: Callable[[str, str, int, int], Awaitable[object]] | None = None):
        """`on_gap(topic, stream_id, first, last)` runs after a held delivery committed, e.g.
        `RepublishRequester.request`; its failures are logged, never raised."""
        self.store = store
        self.on_gap = on_gap
        self.inbox = Inbox(store.schema, consumer)
        self.log = klog.get("audit.recorder")
        self.gaps: list[tuple[str, int, int]] = []

    async def migrate(self) -> None:
        async with self.store.pool.acquire() as conn:
            await conn.execute(TABLE_SQL.format(s=self.store.schema))

    async def record(self, raw: bytes, source: Source) -> int:
        """Store one delivery; returns how many events it made durable (0 for a duplicate)."""
        async with self.store.unit_of_work() as uow:
            outcome = await self.inbox.receive(uow.conn, raw, source)
            for a in outcome.accepted:
                await uow.conn.execute(
                    f'INSERT INTO {self.store.schema}.recorded_events (event_id, stream_id, version, event_type, '
                    f'envelope, topic, partition, "offset") VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8)',
                    a.envelope.event_id, a.envelope.stream_id, a.envelope.version, a.envelope.event_type,
                    a.raw, a.source.topic, a.source.partition, a.source.offset)
        for a in outcome.accepted:
            self.log.info("audit.recorded", event_id=a.envelope.event_id, stream_id=a.envelope.stream_id,
                          version=a.envelope.version, correlation_id=a.envelope.correlation_id,
                          user=principal_of(a.envelope).user)
        if outcome.conflict:
            self.log.error("audit.conflicting_duplicate", topic=source.topic, offset=source.offset)
        if outcome.gap:
            self.gaps.append(outcome.gap)
            self.log.warning("audit.gap_held", stream_id=outcome.gap[0], missing_from=outcome.gap[1],
                             missing_to=outcome.gap[2])
            if self.on_gap:
                try:
                    await self.on_gap(source.topic, *outcome.gap)
                except Exception as e:  # noqa: BLE001 - the gap stays held; the sweeper asks again
                    self.log.warning("audit.gap_request_failed", stream_id=outcome.gap[0], error=repr(e))
        return len(outcome.accepted)

    async def stream_history(self, stream_id: str):
        return await self.store.pool.fetch(
            f'SELECT envelope, topic, partition, "offset", ingested_at FROM {self.store.schema}.recorded_events '
            f"WHERE stream_id = $1 ORDER BY version", stream_id)
