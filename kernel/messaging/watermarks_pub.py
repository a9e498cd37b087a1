"""The relay's side of `kernel.messaging.watermark`: what it has published, written to every partition.

* The relay counts what it published in the current epoch: `relay_cursor.through_count`, moved
  with the cursor (after the acks), reset to 0 with it when the topic is rebuilt, and computed once
  (a count up to the cursor) for a deployment that had no such column.
* A watermark is read from that row under the relay's lock and sent to every partition with the
  clients run() checked (`_ready`), so it always follows, on each partition, every event it covers
  (those were acknowledged before the cursor moved). Periodic ones go out at most every
  `interval` seconds and only when (epoch, cursor) differ from the last one sent; a failure is
  logged and retried at the next interval (a watermark is advisory). On demand, one is sent at
  once (`OutboxRelay.publish_watermark`).
"""

from __future__ import annotations

import time

from kernel.messaging.watermark import WATERMARK_KEY, Position, Watermark
from kernel.runtime import log as klog

WATERMARK_HEADERS = [("relay-watermark", b"1")]

# Rows at or below the cursor never change (see kernel.eventstore.store): counting them once is exact.
INIT_COUNT_SQL = """
UPDATE {s}.relay_cursor c SET through_count = (
    SELECT count(*) FROM {s}.events e WHERE (e.order_key, e.position) <= (c.order_key, c.position))
WHERE c.topic = $1 AND c.through_count IS NULL
"""


async def ensure_count(store, topic: str) -> None:
    """Compute a missing count once (a new cursor, or one from before watermarks); the column
    itself comes with the store's migration (`kernel.eventstore.store`)."""
    await store.pool.execute(INIT_COUNT_SQL.format(s=store.schema), topic)


class WatermarkPublisher:
    def __init__(self, relay, interval: float):
        self.relay, self.interval = relay, interval
        self.next_at = time.monotonic() + interval
        self.last: Watermark | None = None
        self.sent = 0
        self.failed = 0
        self.log = klog.get("relay.watermark").bind(topic=relay.spec.name)

    def due(self) -> bool:
        return time.monotonic() >= self.next_at

    async def periodic(self) -> Watermark | None:
        """From run(): if due, send one unless nothing moved; never raises (advisory)."""
        if not self.due():
            return None
        self.next_at = time.monotonic() + self.interval
        relay = self.relay
        try:
            async with relay._lock:
                if not relay._ready.is_set():
                    return None
                return await self.send(only_if_moved=True)
        except Exception as e:  # noqa: BLE001 - logged; the next interval tries again
            if not relay._stopping.is_set():
                self.failed += 1
                self.log.warning("relay.watermark_failed", error=f"{type(e).__name__}: {e}", retry_in=self.interval)
            return None

    async def current(self) -> Watermark | None:
        """The watermark the cursor row stands for (None before the topic's first marker)."""
        relay = self.relay
        sql = (
            f"SELECT order_key, position, epoch, through_count FROM {relay.store.schema}.relay_cursor WHERE topic = $1"
        )
        row = await relay.store.pool.fetchrow(sql, relay.spec.name)
        if row is not None and row["through_count"] is None:  # start() did not run: compute it once
            await ensure_count(relay.store, relay.spec.name)
            row = await relay.store.pool.fetchrow(sql, relay.spec.name)
        if row is None or not row["epoch"] or row["through_count"] is None:
            return None
        count = row["through_count"]
        return Watermark(
            relay.spec.name,
            row["epoch"].partition("@")[0],
            Position(int(row["order_key"]), row["position"]),
            count,
            relay.spec.partitions,
        )

    async def send(self, *, only_if_moved: bool = False) -> Watermark | None:
        """Send the current watermark to every partition and wait for the acks; the lock is held."""
        relay = self.relay
        producer = relay._current_producer()  # RelayStopped after stop()
        mark = await self.current()
        if mark is None:
            return None
        last = self.last
        if only_if_moved and last is not None and (last.epoch, last.through) == (mark.epoch, mark.through):
            return None
        futures = [
            await producer.send(
                relay.spec.name, value=mark.encode(), key=WATERMARK_KEY, partition=p, headers=WATERMARK_HEADERS
            )
            for p in range(mark.partitions)
        ]
        await relay._settle(futures)
        self.last = mark
        self.sent += 1
        self.log.info(
            "relay.watermark",
            epoch=mark.epoch,
            through=mark.through.encode(),
            count=mark.count,
            partitions=mark.partitions,
        )
        return mark
