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

Replicas share the group's partitions, so the figure is the group's, not a process's: each
replica keeps in `consumer_backlog` every watermark passed on the partitions it holds (with the
records stored after each: `marks`), when it passes one and at each status read; a status read
on any replica computes consumed from every partition's row (`group_counters`). A partition
another replica holds counts the records stored after its latest watermark as that replica last
kept them (too high by at most one watermark interval's events on it). At a rebalance a replica
forgets the partitions it lost and loads the rows of those it gained; a row moves only forward,
so a replica that lost a partition cannot overwrite its new holder's row.
"""

from __future__ import annotations

import asyncio
import json
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
# Replicas (issue 28): the whole history each partition's holder passed, so any replica computes
# the group's figure. `after`: records stored after the latest watermark (flushed at status reads).
MARKS_SQL = """
ALTER TABLE {s}.consumer_backlog ADD COLUMN IF NOT EXISTS marks jsonb;
ALTER TABLE {s}.consumer_backlog ADD COLUMN IF NOT EXISTS after bigint NOT NULL DEFAULT 0;
"""
MIGRATIONS = (
    Migration("consumer_backlog", 1, "the latest watermark each consumer passed per partition", TABLE_SQL),
    Migration("consumer_backlog", 2, "each partition's watermarks passed, for the group's backlog", MARKS_SQL),
)
MAX_MARKS = 200  # per partition: a bound on memory if no floor is ever known (a figure, not data)
# A holder that lost its partition at a rebalance must not overwrite its new holder's row: the
# row moves only forward (a later watermark, or more records after the same one) or to a new epoch.
KEEP_SQL = """
INSERT INTO {s}.consumer_backlog AS b (consumer, topic, partition, epoch, count, partitions, marks, after)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
ON CONFLICT (consumer, topic, partition) DO UPDATE SET epoch = EXCLUDED.epoch, count = EXCLUDED.count,
    partitions = EXCLUDED.partitions, marks = EXCLUDED.marks, after = EXCLUDED.after, passed_at = now()
WHERE b.epoch <> EXCLUDED.epoch OR b.count < EXCLUDED.count OR (b.count = EXCLUDED.count AND b.after <= EXCLUDED.after)
"""


@dataclass
class _Partition:
    """What the consumer passed on one partition: [epoch, count, records stored after it] per
    watermark, oldest first (older ones dropped once every partition passed a later one)."""

    marks: list[list] = field(default_factory=list)
    dirty: bool = False  # stored records not yet kept


@dataclass
class _View:
    """Watermarks passed per partition, as one process holds them or as the store has the group's."""

    parts: dict[tuple[str, int], _Partition]
    partitions: dict[str, int]  # topic -> its partitions, as its watermarks say

    def passed_everywhere(self, topic: str) -> tuple[str, int] | None:
        """(epoch, count) of the latest watermark passed on every partition, if there is one."""
        partitions = self.partitions.get(topic)
        if not partitions:
            return None
        lasts = []
        for p in range(partitions):
            part = self.parts.get((topic, p))
            if part is None or not part.marks:
                return None
            lasts.append(part.marks[-1])
        epochs = {m[0] for m in lasts}
        if len(epochs) != 1:
            return None
        return lasts[0][0], min(m[1] for m in lasts)

    def consumed(self, topic: str) -> tuple[str, int] | None:
        """(epoch, events the consumer stored of the topic's current epoch), or None if unknown."""
        floor = self.passed_everywhere(topic)
        if floor is None:
            return None
        epoch, count = floor
        after = sum(m[2] for p in range(self.partitions[topic]) for m in self.parts[(topic, p)].marks if m[1] >= count)
        return epoch, count + after


class Backlog:
    def __init__(self, topics: list[str], pool=None, schema: str = "", consumer: str = ""):
        """`pool`, `schema`, `consumer`: where the watermarks passed are kept (none: memory only)."""
        self.topics = list(topics)
        self.pool, self.schema, self.consumer = pool, schema, consumer
        self.log = klog.get("consumer.backlog").bind(consumer=consumer)
        self.published: dict[str, Watermark] = {}
        self._parts: dict[tuple[str, int], _Partition] = {}
        self._partitions: dict[str, int] = {}  # topic -> its partitions, as its watermarks say
        self._view = _View(self._parts, self._partitions)

    # -- the consumer's reading (called in order, after the records are stored) ------------------

    async def load(self, held: set[tuple[str, int]] | None = None) -> None:
        """The watermarks passed before, from the store: of every partition (at start), or of the
        partitions `held` now (after a rebalance; the others are forgotten: their new holder keeps
        them)."""
        if self.pool is None:
            return
        if held is not None:
            for key in [k for k in self._parts if k not in held]:
                del self._parts[key]
        try:
            async with self.pool.acquire() as conn:
                await migrations.apply(conn, self.schema, MIGRATIONS)
                rows = await self._rows(conn)
        except Exception as e:  # noqa: BLE001 - advisory: a rebalance during a store outage goes on
            if held is None:
                raise  # at start the service waits for its store anyway
            # the partitions gained stay unknown (not 0) until a watermark passes on each
            self.log.warning("backlog.load_deferred", error=f"{type(e).__name__}: {e}")
            return
        for r in rows:
            if held is not None and (
                (r["topic"], r["partition"]) not in held or (r["topic"], r["partition"]) in self._parts
            ):
                continue
            self._partitions[r["topic"]] = r["partitions"]
            self._parts[(r["topic"], r["partition"])] = _Partition(_marks(r))
            # what the consumer passed was published (the watcher starts after it)
            self.see(r["topic"], Watermark(r["topic"], r["epoch"], Position(), int(r["count"]), r["partitions"]))

    async def _rows(self, conn):
        return await conn.fetch(
            f"SELECT topic, partition, epoch, count, partitions, marks, after FROM {self.schema}.consumer_backlog "
            f"WHERE consumer = $1 AND topic = ANY($2::text[])",
            self.consumer,
            self.topics,
        )

    async def keep(self, topic: str, partition: int) -> None:
        """Keep what was passed on `topic[partition]` (its watermarks and the records stored after
        the latest); never raises (advisory)."""
        part = self._parts.get((topic, partition))
        if self.pool is None or part is None or not part.marks:
            return
        epoch, count, after = part.marks[-1]
        part.dirty = False
        try:
            await self.pool.execute(
                KEEP_SQL.format(s=self.schema),
                self.consumer,
                topic,
                partition,
                epoch,
                count,
                self._partitions[topic],
                json.dumps(part.marks),
                after,
            )
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - only the figure after a restart depends on it
            part.dirty = True
            self.log.warning(
                "consumer.backlog_unkept", topic=topic, partition=partition, error=f"{type(e).__name__}: {e}"
            )

    def stored(self, topic: str, partition: int) -> None:
        """A data record of `topic[partition]` is stored (applied, held, a duplicate or kept)."""
        part = self._parts.get((topic, partition))
        if part is not None and part.marks:
            part.marks[-1][2] += 1
            part.dirty = True

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
        del part.marks[:-MAX_MARKS]
        self._trim(topic, self._view.passed_everywhere(topic))

    def _trim(self, topic: str, floor: tuple[str, int] | None) -> None:
        """Drop the marks below the latest one passed everywhere (`floor`): no longer needed."""
        if floor is None:
            return
        for (t, _), part in self._parts.items():
            while t == topic and len(part.marks) > 1 and part.marks[1][0] == floor[0] and part.marks[1][1] <= floor[1]:
                part.marks.pop(0)

    def consumed(self, topic: str) -> tuple[str, int] | None:
        """(epoch, events this process stored of the topic's current epoch), or None if unknown."""
        return self._view.consumed(topic)

    # -- the producer's side --------------------------------------------------------------------

    def see(self, topic: str, mark: Watermark) -> None:
        """A watermark the producer's relay wrote: the latest of its epoch counts (a new epoch
        replaces the old one: the topic was written anew)."""
        last = self.published.get(topic)
        if last is None or last.epoch != mark.epoch or mark.count >= last.count:
            self.published[topic] = mark

    def counters(self, view: _View | None = None) -> dict[str, int]:
        """`backlog <topic>` for each topic known, and `backlog` (their sum) when all are; of what
        this process holds (or `view`)."""
        view = view or self._view
        out: dict[str, int] = {}
        for topic in self.topics:
            mark, consumed = self.published.get(topic), view.consumed(topic)
            if mark is None or consumed is None or consumed[0] != mark.epoch:
                continue
            out[f"backlog {topic}"] = max(mark.count - consumed[1], 0)
        if len(out) == len(self.topics):
            out["backlog"] = sum(out.values())
        return out

    async def group_counters(self) -> dict[str, int]:
        """The figures of the whole consumer group (issue 28: replicas share the partitions): what
        this process passed is kept first, then every partition's row is read, whoever holds it.
        A partition another replica holds counts the records stored after its latest watermark as
        that replica last kept them (at its last watermark or status read). Memory only: `counters`."""
        if self.pool is None:
            return self.counters()
        for topic, partition in [k for k, part in self._parts.items() if part.dirty]:
            await self.keep(topic, partition)
        try:
            async with self.pool.acquire() as conn:
                rows = await self._rows(conn)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - store down (the delivery says so): this process's own
            return self.counters()
        view = _View({(r["topic"], r["partition"]): _Partition(_marks(r)) for r in rows}, {})
        for r in rows:
            view.partitions[r["topic"]] = r["partitions"]
        for topic in self.topics:
            self._trim(topic, view.passed_everywhere(topic))
        return self.counters(view)

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


def _marks(row) -> list[list]:
    """A row's watermarks passed, oldest first; a row kept before they were: its latest alone."""
    if row["marks"] is not None:
        return [list(m) for m in json.loads(row["marks"])]
    return [[row["epoch"], int(row["count"]), int(row["after"])]]


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
