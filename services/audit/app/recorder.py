"""Records every consumed event in the audit ledger, exactly once, through the inbox.

A batch of deliveries is one transaction: the inbox decides (duplicates skipped, gaps held,
contradictions quarantined), the accepted envelopes become leaves of the Merkle ledger over
exactly the bytes received (Kafka coordinates kept beside them), and the tree's head moves.
A delivery contradicting what was recorded (same event id, other bytes; or another event at a
taken version) is kept aside in `quarantine`, logged as an error, and never blocks its partition.
A delivery that is not an envelope at all fails its batch with `Validation` before anything is
written: the consumer then delivers the batch record by record and keeps that one aside
(`kernel.messaging.delivery`), so it is neither recorded nor lost.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from kernel.domain.errors import Validation
from kernel.eventstore import envelope as env_mod, migrations
from kernel.eventstore.envelope import principal_of
from kernel.eventstore.projections import Paced
from kernel.eventstore.store import EventStore
from kernel.messaging import quarantine as kept
from kernel.messaging.inbox import BatchOutcome, Source
from kernel.runtime import log as klog
from services.audit.app import completeness, ledger, projections
from services.audit.app.completeness import Completeness
from services.audit.app.holdings import Reader
from services.audit.domain.merkle import leaf_hash

# everything the recorder writes (checkpoints are `app.checkpoints`')
MIGRATIONS = (*ledger.MIGRATIONS, *kept.MIGRATIONS, *completeness.MIGRATIONS, *projections.MIGRATIONS)


class Recorder:
    def __init__(
        self,
        store: EventStore,
        consumer: str = "audit-recorder",
        *,
        on_gap: Callable[[str, str, int, int], Awaitable[object]] | None = None,
    ):
        """`on_gap(topic, stream_id, first, last)` runs after a held delivery committed, e.g.
        `RepublishRequester.request`; its failures are logged, never raised."""
        self.store = store
        self.on_gap = on_gap
        self.inbox = ledger.LedgerInbox(store.schema, consumer)
        self.completeness = Completeness(store.pool, store.schema)
        self.log = klog.get("audit.recorder")
        self.gaps: list[tuple[str, int, int]] = []

    async def migrate(self, *, progress_every: float = 2.0, chunk: int = projections.CHUNK) -> None:
        """The recorder's tables, then every projection brought up to the ledger: a long catch-up
        (a projection new to a large ledger) says how far it is every `progress_every` seconds, so
        `make run` shows what audit is busy with before it serves (issue 28)."""
        started = time.monotonic()
        paced = Paced(self._catching_up, every=progress_every)
        async with self.store.pool.acquire() as conn:
            await migrations.apply(conn, self.store.schema, MIGRATIONS)
            made = await ledger.backfill(conn, self.store.schema)
            await ledger.backfill_times(conn, self.store.schema)
            indexed = await projections.catch_up(conn, self.store.schema, report=paced, chunk=chunk)
        if made:
            self.log.warning(
                "audit.ledger_backfilled",
                leaves=made,
                reason="rows recorded before the ledger existed became leaves, in recording order",
            )
        if indexed:
            self.log.info("audit.projections_caught_up", leaves=indexed, seconds=round(time.monotonic() - started, 1))

    def _catching_up(self, done: int, total: int, seconds_left: int | None) -> None:
        self.log.info(
            "audit.projections_catching_up",
            leaves=done,
            of=total,
            percent=100 * done // max(total, 1),
            seconds_left=seconds_left,
            effect="audit serves once its projections are up to the ledger",
        )

    async def record(self, raw: bytes, source: Source) -> int:
        """Store one delivery; returns how many events it made durable (0 for a duplicate)."""
        return await self.record_batch([(raw, source)])

    async def record_batch(self, deliveries: list[tuple[bytes, Source]]) -> int:
        """Store many deliveries in one transaction; returns how many events became leaves.
        A delivery that is not an envelope raises `Validation` naming where it came from."""
        items = []
        for raw, source in deliveries:
            try:
                items.append((env_mod.parse(raw), raw, source))
            except Validation as e:
                raise e.within(f"{source.topic}[{source.partition}]@{source.offset}") from e
        async with self.store.unit_of_work() as uow:
            head = await ledger.lock_head(uow.conn, self.store.schema)
            outcome = await self.inbox.receive_batch(uow.conn, items)
            if outcome.accepted:
                new = await ledger.append(
                    uow.conn, self.store.schema, head, outcome.accepted, [leaf_hash(a.raw) for a in outcome.accepted]
                )
                await projections.apply(
                    uow.conn,
                    self.store.schema,
                    [(a.envelope, head.size + i) for i, a in enumerate(outcome.accepted)],
                    new.size,
                )
            quarantined = await ledger.quarantine(uow.conn, self.store.schema, outcome.conflicts)
            if outcome.duplicates:
                taken = {a.envelope.event_id for a in outcome.accepted}
                await ledger.remember_positions(
                    uow.conn,
                    self.store.schema,
                    [(env.event_id, src) for env, _, src in items if env.event_id not in taken],
                )
        await self._report(outcome, head.size, quarantined, {env.stream_id: src.topic for env, _, src in items})
        return len(outcome.accepted)

    @property
    def requester(self):
        return self.completeness.requester

    @requester.setter
    def requester(self, requester) -> None:
        """The consumer's republish requester: completeness asks producers for missing ranges."""
        self.completeness.requester = requester

    async def on_watermark(self, raw: bytes, source: Source) -> None:
        await self.completeness.on_watermark(raw, source)

    async def _report(self, outcome: BatchOutcome, first_leaf: int, quarantined: int, topics: dict) -> None:
        if outcome.accepted:  # one line per unit of work (a batch), not per event
            first = outcome.accepted[0].envelope
            last = first_leaf + len(outcome.accepted) - 1
            self.log.info(
                "audit.recorded",
                events=len(outcome.accepted),
                leaves=f"{first_leaf}..{last}",
                duplicates=outcome.duplicates,
                first_event_id=first.event_id,
                correlation_id=first.correlation_id,
                user=principal_of(first).user,
            )
        for c in outcome.conflicts:
            self.log.error(
                "audit.quarantined",
                kind=c.kind,
                event_id=c.envelope.event_id,
                stream_id=c.envelope.stream_id,
                version=c.envelope.version,
                topic=c.source.topic,
                partition=c.source.partition,
                offset=c.source.offset,
                new=quarantined > 0,
            )
        for gap in outcome.gaps:
            self.gaps.append(gap)
            self.log.warning("audit.gap_held", stream_id=gap[0], missing_from=gap[1], missing_to=gap[2])
            if self.on_gap:
                try:
                    await self.on_gap(topics[gap[0]], *gap)
                except Exception as e:  # noqa: BLE001 - the gap stays held; the sweeper asks again
                    self.log.warning("audit.gap_request_failed", stream_id=gap[0], error=repr(e))

    async def stream_history(self, stream_id: str, reader: Reader | None = None):
        """The stream's recorded rows in version order; none when `reader` may not know it (need
        to know, issue 17: the same answer as a stream never recorded; default: audit's own)."""
        reader = reader or Reader.everything()
        async with self.store.pool.acquire() as conn:
            if not await reader.may_know(conn, self.store.schema, stream_id):
                return []
            return await conn.fetch(
                f'SELECT envelope, topic, partition, "offset", ingested_at FROM {self.store.schema}.recorded_events '
                f"WHERE stream_id = $1 ORDER BY version",
                stream_id,
            )
