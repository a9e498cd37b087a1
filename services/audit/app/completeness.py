"""Finds and repairs a loss anywhere between a producer's store and the ledger (issue 14).

Each watermark read is kept per (topic, partition). When one can be judged
(`domain.completeness`), the leaves recorded from that topic after the position last found
complete are counted against the producer's count: equal, the topic is complete through the
watermark; fewer, the missing events lie in that position range, and the producer's relay is
asked to publish the range again, then for a fresh watermark to judge the repair by. A repaired
gap is logged with what was missing and for how long. What is known incomplete goes into every
checkpoint signed meanwhile (`extension_lines`) and the service's status.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from kernel.edge.status import DEGRADED, OK, Component
from kernel.eventstore.migrations import Migration
from kernel.messaging.inbox import Source
from kernel.messaging.watermark import Position, Watermark
from kernel.runtime import log as klog
from services.audit.domain.completeness import Seen, Verdict, judge, judgeable

TABLES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.watermarks (
    topic      text   NOT NULL,
    partition  int    NOT NULL,
    epoch      text   NOT NULL,
    through_ok bigint NOT NULL,
    through_at bigint NOT NULL,
    count      bigint NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS {s}.completeness (
    topic          text PRIMARY KEY,
    verified_ok    bigint NOT NULL DEFAULT 0,     -- complete through this store position
    verified_at    bigint NOT NULL DEFAULT 0,
    verified_count bigint NOT NULL DEFAULT 0,     -- the producer's events up to it
    missing        bigint NOT NULL DEFAULT 0,     -- known missing after it (0: none known)
    gap_through_ok bigint,
    gap_through_at bigint,
    gap_since      timestamptz,
    requested_at   timestamptz,
    checked_at     timestamptz
);
"""
MIGRATIONS = (Migration("audit.completeness", 1, "watermarks and what they prove complete", TABLES_SQL),)
ASK_AGAIN_SECONDS = 5.0


class Completeness:
    def __init__(self, pool, schema: str, requester=None):
        """`requester`: a `kernel.messaging.republish.RepublishRequester` (set by the consumer's wiring)."""
        self.pool, self.schema, self.requester = pool, schema, requester
        self.log = klog.get("audit.completeness")

    async def on_watermark(self, raw: bytes, source: Source) -> None:
        """Keep and judge a watermark; never raises (a watermark is advisory: the next one judges)."""
        try:
            mark = Watermark.decode(raw)
            verdict = await self._see(mark, source.partition)
            if verdict is not None:
                await self._act(mark, verdict)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - logged; nothing of the ledger depends on it
            self.log.warning(
                "audit.watermark_unjudged",
                topic=source.topic,
                partition=source.partition,
                error=f"{type(e).__name__}: {e}",
            )

    async def _see(self, mark: Watermark, partition: int) -> Verdict | None:
        s = self.schema
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"completeness:{s}:{mark.topic}"
            )
            await conn.execute(
                f"INSERT INTO {s}.watermarks (topic, partition, epoch, through_ok, through_at, count) "
                f"VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (topic, partition) DO UPDATE SET epoch = EXCLUDED.epoch, "
                f"through_ok = EXCLUDED.through_ok, through_at = EXCLUDED.through_at, count = EXCLUDED.count, "
                f"seen_at = now()",
                mark.topic,
                partition,
                mark.epoch,
                mark.through.order_key,
                mark.through.position,
                mark.count,
            )
            seen = [
                Seen(r["partition"], r["epoch"], Position(r["through_ok"], r["through_at"]), r["count"])
                for r in await conn.fetch(f"SELECT * FROM {s}.watermarks WHERE topic = $1", mark.topic)
            ]
            judged = judgeable(seen, mark.partitions, mark.epoch)
            if judged is None:
                return None
            row = await self._state(conn, mark.topic)
            verified = Position(row["verified_ok"], row["verified_at"])
            recorded = await conn.fetchval(
                f"SELECT count(*) FROM {s}.recorded_events WHERE topic = $1 "
                f"AND (store_order_key, store_position) > ($2, $3) AND (store_order_key, store_position) <= ($4, $5)",
                mark.topic,
                verified.order_key,
                verified.position,
                judged.through.order_key,
                judged.through.position,
            )
            verdict = judge(verified, row["verified_count"], judged, recorded)
            if verdict is not None:
                await self._record(conn, mark.topic, verdict, judged.count, row)
            return verdict

    async def _state(self, conn, topic: str):
        await conn.execute(f"INSERT INTO {self.schema}.completeness (topic) VALUES ($1) ON CONFLICT DO NOTHING", topic)
        return await conn.fetchrow(f"SELECT * FROM {self.schema}.completeness WHERE topic = $1", topic)

    async def _record(self, conn, topic: str, verdict: Verdict, count: int, row) -> None:
        s = self.schema
        if verdict.complete:
            if row["missing"]:
                self.log.warning(
                    "audit.gap_repaired",
                    topic=topic,
                    missing=row["missing"],
                    after=verdict.after.encode(),
                    through=verdict.through.encode(),
                    open_seconds=round((_now() - row["gap_since"]).total_seconds(), 1),
                    events=await self._repaired(conn, topic, verdict, row["gap_since"]),
                )
            await conn.execute(
                f"UPDATE {s}.completeness SET verified_ok = $2, verified_at = $3, verified_count = $4, missing = 0, "
                f"gap_through_ok = NULL, gap_through_at = NULL, gap_since = NULL, requested_at = NULL, "
                f"checked_at = now() WHERE topic = $1",
                topic,
                verdict.through.order_key,
                verdict.through.position,
                count,
            )
            return
        if verdict.missing > 0 and not row["missing"]:
            self.log.error(
                "audit.gap_found",
                topic=topic,
                missing=verdict.missing,
                after=verdict.after.encode(),
                through=verdict.through.encode(),
                action="asking the producer to publish the range again",
            )
        if verdict.missing < 0:  # nothing to ask for: said, and judged again at the next watermark
            self.log.error(
                "audit.ledger_ahead_of_producer",
                topic=topic,
                extra=-verdict.missing,
                after=verdict.after.encode(),
                through=verdict.through.encode(),
                remedy="the producer's store holds fewer events than were recorded: was it restored "
                "from a backup? run python -m services.audit.reconcile",
            )
            return
        await conn.execute(
            f"UPDATE {s}.completeness SET missing = $2, gap_through_ok = $3, gap_through_at = $4, "
            f"gap_since = COALESCE(gap_since, now()), checked_at = now() WHERE topic = $1",
            topic,
            verdict.missing,
            verdict.through.order_key,
            verdict.through.position,
        )

    async def _repaired(self, conn, topic: str, verdict: Verdict, since) -> list[str]:
        """The events of the range recorded after the gap was found: the ones that were missing
        (everything else of the range had been read before it was judged)."""
        rows = await conn.fetch(
            f"SELECT stream_id, version, store_order_key, store_position FROM {self.schema}.recorded_events "
            f"WHERE topic = $1 AND (store_order_key, store_position) > ($2, $3) AND (store_order_key, "
            f"store_position) <= ($4, $5) AND ingested_at >= $6 ORDER BY store_order_key, store_position LIMIT 20",
            topic,
            verdict.after.order_key,
            verdict.after.position,
            verdict.through.order_key,
            verdict.through.position,
            since,
        )
        return [f"{r['stream_id']} v{r['version']} at {r['store_order_key']}:{r['store_position']}" for r in rows]

    async def _act(self, mark: Watermark, verdict: Verdict) -> None:
        """Ask for a missing range again (not more often than every few seconds), then for a
        watermark to judge the repair by."""
        if verdict.missing <= 0 or self.requester is None:
            return
        asked = await self.pool.fetchval(
            f"UPDATE {self.schema}.completeness SET requested_at = now() WHERE topic = $1 AND "
            f"(requested_at IS NULL OR requested_at < now() - make_interval(secs => $2)) RETURNING true",
            mark.topic,
            ASK_AGAIN_SECONDS,
        )
        if asked:
            await self.requester.request_positions(mark.topic, verdict.after, verdict.through)
            await self.requester.request_watermark(mark.topic)

    async def known(self, conn=None) -> list:
        query = f"SELECT * FROM {self.schema}.completeness ORDER BY topic"
        return await (conn.fetch(query) if conn else self.pool.fetch(query))

    async def extension_lines(self, conn) -> tuple[str, ...]:
        """One checkpoint extension line per producer known incomplete."""
        return tuple(
            f"incomplete {r['topic']} missing {r['missing']} complete-through "
            f"{Position(r['verified_ok'], r['verified_at']).encode()}"
            for r in await self.known(conn)
            if r["missing"]
        )

    async def status(self) -> Component:
        rows = await self.known()
        problems = tuple(
            f"{r['topic']}: {r['missing']} event(s) missing after store position "
            f"{Position(r['verified_ok'], r['verified_at']).encode()} since {r['gap_since']:%Y-%m-%d %H:%M:%S}"
            f"; asked the producer to publish them again. If it lasts, run python -m "
            f"services.audit.reconcile"
            for r in rows
            if r["missing"]
        )
        counters = {f"complete_count {r['topic']}": r["verified_count"] for r in rows}
        counters.update({f"missing {r['topic']}": max(r["missing"], 0) for r in rows})
        return Component(
            name="ledger completeness", state=DEGRADED if problems else OK, counters=counters, problems=problems
        )


def _now() -> datetime:
    return datetime.now(timezone.utc)
