"""A consumer's backlog per producer topic, from the producers' watermarks (issue 28 point 1).

Never from Kafka end offsets (the embedded broker misreports them, and offsets count relay markers,
watermarks and republished copies too). Two readings of the same watermarks
(`kernel.messaging.watermark`) give it:

* **published**: the latest watermark of each topic, read by a watcher of its own (`watch`, a
  client of no group reading partition 0 from the consumer group's committed offset there, or its
  start: the relay writes every watermark to every partition, so partition 0 carries them all, and
  those before the committed offset the consumer passed itself) as soon as the relay wrote it,
  however far behind the consumer is: the producer's published `count`;
* **consumed**: the consumer's own reading. A watermark read by the consumer on a partition says
  every record before it on that partition is stored (`consumer.py` hands it over only then), and
  every partition receives every watermark. So with `C` the latest watermark the consumer passed on
  every partition, it has stored `C` events of the topic, plus the records it stored on each
  partition after that watermark there.

`backlog <topic>` = published − consumed (never negative); `backlog` their sum. The latest
watermark passed on each partition is kept in the consumer's store (`consumer_backlog`, written
when one is passed: watermarks are few), so a consumer that restarts far behind knows at once what
it had consumed; the records it stored after that watermark before the restart are not counted
until it passes the next one (the backlog is then too high by at most one watermark interval's
events). A topic whose watermark of the current epoch the consumer never passed on every
partition is unknown and left out (the consumer asks each relay for a watermark at start). The figures are counters of the consumer's status component,
so `GetStatus`, `jjjc status` and the metrics (`jjjc_component_figure`) show them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition

from kernel.eventstore import migrations
from kernel.eventstore.migrations import Migration
from kernel.messaging.watermark import WATERMARK_KEY, Position, Watermark
from kernel.runtime import log as klog

RETRY_SECONDS = 2.0
TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.consumer_backlog (
    consumer   text   NOT NULL,
    topic      text   NOT NULL,
    partition  int    NOT NULL,
    epoch      text   NOT NULL,
    count      bigint NOT NULL,   -- the latest watermark's count the consumer passed on the partition
    partitions int    NOT NULL,   -- the topic's partitions, as that watermark says
    passed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);
"""
MIGRATIONS = (Migration("consumer_backlog", 1, "the latest watermark each consumer passed per partition", TABLE_SQL),)


@dataclass
class _Partition:
    """What the consumer passed on one partition: [epoch, count, records stored after it] per
    watermark, oldest first (older ones dropped once every partition passed a later one)."""

    marks: list[list] = field(default_factory=list)


class Backlog:
    def __init__(self, topics: list[str], pool=None, schema: str = "", consumer: str = ""):
        """`pool`, `schema`, `consumer`: where the watermarks passed are kept (none: memory only)."""
        self.topics = list(topics)
        self.pool, self.schema, self.consumer = pool, schema, consumer
        self.log = klog.get("consumer.backlog").bind(consumer=consumer)
        self.published: dict[str, Watermark] = {}
        self._parts: dict[tuple[str, int], _Partition] = {}
        self._partitions: dict[str, int] = {}  # topic -> its partitions, as its watermarks say

    # -- the consumer's reading (called in order, after the records are stored) ------------------

    async def load(self) -> None:
        """The watermarks passed before this start, from the store."""
        if self.pool is None:
            return
        async with self.pool.acquire() as conn:
            await migrations.apply(conn, self.schema, MIGRATIONS)
            rows = await conn.fetch(
                f"SELECT topic, partition, epoch, count, partitions FROM {self.schema}.consumer_backlog "
                f"WHERE consumer = $1 AND topic = ANY($2::text[])",
                self.consumer,
                self.topics,
            )
        for r in rows:
            self._partitions[r["topic"]] = r["partitions"]
            self._parts[(r["topic"], r["partition"])] = _Partition([[r["epoch"], int(r["count"]), 0]])
            # what the consumer passed was published (the watcher starts after it)
            self.see(r["topic"], Watermark(r["topic"], r["epoch"], Position(), int(r["count"]), r["partitions"]))

    async def keep(self, topic: str, partition: int) -> None:
        """Keep the latest watermark passed on `topic[partition]`; never raises (advisory)."""
        part = self._parts.get((topic, partition))
        if self.pool is None or part is None or not part.marks:
            return
        epoch, count, _ = part.marks[-1]
        try:
            await self.pool.execute(
                f"INSERT INTO {self.schema}.consumer_backlog (consumer, topic, partition, epoch, count, partitions) "
                f"VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (consumer, topic, partition) DO UPDATE SET "
                f"epoch = EXCLUDED.epoch, count = EXCLUDED.count, partitions = EXCLUDED.partitions, passed_at = now()",
                self.consumer,
                topic,
                partition,
                epoch,
                count,
                self._partitions[topic],
            )
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - only the figure after a restart depends on it
            self.log.warning(
                "consumer.backlog_unkept", topic=topic, partition=partition, error=f"{type(e).__name__}: {e}"
            )

    def stored(self, topic: str, partition: int) -> None:
        """A data record of `topic[partition]` is stored (applied, held, a duplicate or kept)."""
        part = self._parts.get((topic, partition))
        if part is not None and part.marks:
            part.marks[-1][2] += 1

    def passed(self, topic: str, partition: int, raw: bytes) -> None:
        """The consumer read a watermark on `topic[partition]`, every record before it stored."""
        try:
            mark = Watermark.decode(raw)
        except ValueError:
            return
        self._partitions[topic] = mark.partitions
        self.see(topic, mark)  # what the consumer read is published too
        part = self._parts.setdefault((topic, partition), _Partition())
        if part.marks and part.marks[-1][0] != mark.epoch:
            part.marks.clear()  # a new epoch: the topic was written anew, counted anew
        part.marks.append([mark.epoch, mark.count, 0])
        self._trim(topic)

    def _trim(self, topic: str) -> None:
        floor = self._passed_everywhere(topic)
        if floor is None:
            return
        for p in range(self._partitions[topic]):
            marks = self._parts[(topic, p)].marks
            while len(marks) > 1 and marks[1][1] <= floor[1]:
                marks.pop(0)

    def _passed_everywhere(self, topic: str) -> tuple[str, int] | None:
        """(epoch, count) of the latest watermark passed on every partition, if there is one."""
        partitions = self._partitions.get(topic)
        if not partitions:
            return None
        lasts = []
        for p in range(partitions):
            part = self._parts.get((topic, p))
            if part is None or not part.marks:
                return None
            lasts.append(part.marks[-1])
        epochs = {m[0] for m in lasts}
        if len(epochs) != 1:
            return None
        return lasts[0][0], min(m[1] for m in lasts)

    def consumed(self, topic: str) -> tuple[str, int] | None:
        """(epoch, events the consumer stored of the topic's current epoch), or None if unknown."""
        floor = self._passed_everywhere(topic)
        if floor is None:
            return None
        epoch, count = floor
        after = sum(
            m[2] for p in range(self._partitions[topic]) for m in self._parts[(topic, p)].marks if m[1] >= count
        )
        return epoch, count + after

    # -- the producer's side --------------------------------------------------------------------

    def see(self, topic: str, mark: Watermark) -> None:
        """A watermark the producer's relay wrote: the latest of its epoch counts (a new epoch
        replaces the old one: the topic was written anew)."""
        last = self.published.get(topic)
        if last is None or last.epoch != mark.epoch or mark.count >= last.count:
            self.published[topic] = mark

    def counters(self) -> dict[str, int]:
        """`backlog <topic>` for each topic known, and `backlog` (their sum) when all are."""
        out: dict[str, int] = {}
        for topic in self.topics:
            mark, consumed = self.published.get(topic), self.consumed(topic)
            if mark is None or consumed is None or consumed[0] != mark.epoch:
                continue
            out[f"backlog {topic}"] = max(mark.count - consumed[1], 0)
        if len(out) == len(self.topics):
            out["backlog"] = sum(out.values())
        return out

    async def watch(self, bootstrap: str, group: str | None = None, *, retry_seconds: float = RETRY_SECONDS) -> None:
        """Read partition 0 of each topic from `group`'s committed offset there (its start if none)
        and keep its latest watermark; until cancelled. Broker trouble is logged once per outage
        and waited out."""
        log = self.log.bind(topics=self.topics)
        failing = False
        while True:
            client = AIOKafkaConsumer(
                bootstrap_servers=bootstrap,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                request_timeout_ms=10000,
            )
            try:
                await client.start()
                tps = [TopicPartition(t, 0) for t in self.topics]
                client.assign(tps)
                committed = await asyncio.to_thread(_committed, bootstrap, group) if group else {}
                for tp in tps:
                    if (tp.topic, 0) in committed:
                        client.seek(tp, committed[(tp.topic, 0)])
                    else:
                        await client.seek_to_beginning(tp)
                while True:
                    batches = await client.getmany(timeout_ms=1000, max_records=1000)
                    failing = False
                    for tp, records in batches.items():
                        for r in records:
                            if r.key == WATERMARK_KEY:
                                try:
                                    self.see(tp.topic, Watermark.decode(r.value))
                                except ValueError:
                                    continue
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - the backlog is advisory: wait and read again
                if not failing:
                    log.warning("consumer.backlog_unreadable", error=f"{type(e).__name__}: {e}", retry_in=retry_seconds)
                failing = True
            finally:
                try:
                    await client.stop()
                except Exception:  # noqa: BLE001, S110 - a client that cannot stop is dropped
                    pass
            await asyncio.sleep(retry_seconds)


def _committed(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    """The consumer group's committed offsets, {(topic, partition): offset} (blocking): where the
    watcher starts, never a measure of anything."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
