"""Kafka topics `partner.<agency>.v1` (issue 23 point 3): audit's feed publisher against a real
PostgreSQL and the real embedded broker.

Entries are written to `feed_entries` as audit's ingest writes them (one row per agency and
position, the entry bytes its feed tree hashes); the publisher sends them to the agency's topic.
What is proved here:

* each agency's entries reach its topic once each (no fault: exactly once), the value byte for
  byte, key = the source stream id, headers event-id / position / agency / leaf-index; one
  stream's entries in one partition, in position order; the topics exist from the start, also an
  agency's that has no entry yet;
* a topic holds only its agency's entries (the other agency's, written interleaved, never);
* killed at random points while entries keep coming, then restarted: the union of what reached
  the topics is exactly each feed once a consumer de-duplicates by the `position` header (at
  least once, nothing lost), and within a partition positions never skip ahead;
* the operators' status board shows one component per agency: published, nothing unpublished.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from kernel.edge.status import OK, STUCK, StatusBoard
from kernel.messaging import topics
from kernel.runtime.embedded import EmbeddedBroker
from services.audit.app import feeds as audit_feeds
from services.audit.app.feed_publisher import FeedPublisher
from tests.factories import wait_until
from tests.integration import test_relay as relay

ON_TANSU = not os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
needs_private_broker = pytest.mark.skipif(
    not ON_TANSU, reason="restarts a private embedded broker; not possible against a real Kafka"
)
PARTITIONS = 3
AGENCIES = ("court", "procuratorate")
IDLE = "archives"  # configured, never gets an entry here: its topic exists all the same


@dataclass(frozen=True)
class Row:
    agency: str
    position: int
    leaf_index: int
    event_id: str
    stream_id: str
    entry: bytes


class Record(relay.Record):
    """A record read back from a partner topic, as the relay's tests read theirs."""

    @property
    def position(self) -> int:
        return int(self.headers["position"])


@pytest.fixture
async def schema(pool, unique):
    """An audit schema holding `feed_entries` as audit's feeds make it (app/feeds.py)."""
    name = f"feeds_{unique}"
    await pool.execute(f"CREATE SCHEMA {name}")
    async with pool.acquire() as conn:
        await audit_feeds.create(conn, name)
    return name


class Feeds:
    """Writes entries as ingest does: a leaf selected for some agencies becomes one entry each,
    at the agency's next position, in one transaction."""

    def __init__(self, pool, schema: str):
        self.pool, self.schema = pool, schema
        self.rows: dict[str, list[Row]] = defaultdict(list)
        self.leaves = 0

    async def write(self, n: int, streams: list[str], rng: random.Random) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            for _ in range(n):
                leaf, self.leaves = self.leaves, self.leaves + 1
                stream, event_id = rng.choice(streams), str(uuid.uuid4())
                for agency in [a for a in AGENCIES if rng.random() < 0.7] or [rng.choice(AGENCIES)]:
                    position = len(self.rows[agency])
                    entry = json.dumps(
                        {"agency": agency, "position": position, "leaf_index": leaf, "event_id": event_id,
                         "stream_id": stream, "view": {"note": f"for {agency} only"}},
                        sort_keys=True, separators=(",", ":"),
                    ).encode()  # fmt: skip
                    row = Row(agency, position, leaf, event_id, stream, entry)
                    await conn.execute(
                        f"INSERT INTO {self.schema}.feed_entries (agency, position, leaf_index, event_id, "
                        f"event_type, stream_id, entry, recorded_at) VALUES ($1, $2, $3, $4, 'cases.v1.CaseDisposed', $5, $6, now())",
                        agency, position, leaf, uuid.UUID(event_id), stream, entry,
                    )  # fmt: skip
                    self.rows[agency].append(row)


async def started(pool, schema: str, bootstrap: str, prefix: str, **options) -> FeedPublisher:
    """A publisher of the three agencies, its table made, running in its task."""
    pub = FeedPublisher(
        pool, schema, bootstrap, (*AGENCIES, IDLE), prefix=prefix, partitions=PARTITIONS,
        poll_seconds=0.02, check_seconds=1.0, **options,
    )  # fmt: skip
    await pub.migrate()
    return pub.start()


async def caught_up(pool, schema: str, feeds: Feeds, seconds: float = 30.0) -> None:
    async def done() -> bool:
        rows = await pool.fetch(f"SELECT agency, next_position FROM {schema}.feed_published")
        at = {r["agency"]: r["next_position"] for r in rows}
        return all(at.get(a, 0) == len(feeds.rows[a]) for a in AGENCIES)

    await wait_until(done, seconds, "the publisher to catch up with every feed")


async def read_topic(bootstrap: str, topic: str, expect: int, *, quiet: float = 1.0, timeout: float = 30.0):
    """Every record of the topic from the beginning, until `expect` distinct positions were seen
    and nothing new came for `quiet` seconds (end offsets are not trusted on tansu)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[Record] = []
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline, last_new = time.monotonic() + timeout, time.monotonic()
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=200)
            for tp, msgs in batch.items():
                for m in msgs:
                    records.append(Record(tp.partition, m.offset, m.key, m.value, dict(m.headers)))
                    last_new = time.monotonic()
            seen = {r.position for r in records}
            if len(seen) >= expect and time.monotonic() - last_new >= quiet:
                return records
            assert time.monotonic() < deadline, f"{topic}: {len(seen)} of {expect} positions after {timeout} s"
    finally:
        await consumer.stop()


def check_topic(agency: str, records: list[Record], rows: list[Row]) -> dict[int, int]:
    """Every record is one of the agency's entries, byte for byte, keyed and headed as published;
    a stream stays in one partition; within a partition positions never skip ahead (a repeat only
    re-sends positions already sent). Returns how often each position was seen."""
    seen: dict[int, int] = defaultdict(int)
    partition_of: dict[str, int] = {}
    per_partition: dict[int, list[Record]] = defaultdict(list)
    for r in records:
        assert r.headers["agency"] == agency.encode(), f"{agency}'s topic holds an entry of {r.headers['agency']}"
        row = rows[r.position]
        assert r.value == row.entry and json.loads(r.value)["agency"] == agency
        assert r.key == row.stream_id.encode()
        assert r.headers["event-id"] == row.event_id.encode()
        assert r.headers["leaf-index"] == str(row.leaf_index).encode()
        assert partition_of.setdefault(row.stream_id, r.partition) == r.partition, f"{row.stream_id} split"
        per_partition[r.partition].append(r)
        seen[r.position] += 1
    for partition, recs in per_partition.items():
        highest = -1
        for r in sorted(recs, key=lambda r: r.offset):
            # the partition's next entry, or a repeat (resent after a crash), never a jump ahead
            later = [
                row.position for row in rows if row.position > highest and partition_of.get(row.stream_id) == partition
            ]
            assert r.position <= highest or r.position == min(later), f"p{partition}@{r.offset} skipped ahead"
            highest = max(highest, r.position)
    return seen


async def test_each_agency_topic_gets_its_entries_once_in_order_per_source_stream(pool, schema, bootstrap, unique):
    """Issue 23 point 3: keyed by source stream, ordered per stream, ids in headers; a topic
    holds only its agency's entries; topics made at start, the idle agency's too."""
    rng, feeds, prefix = random.Random(23), Feeds(pool, schema), f"pt{unique}."
    streams = [f"case-{i}" for i in range(7)]
    await feeds.write(30, streams, rng)
    pub = await started(pool, schema, bootstrap, prefix, batch_size=7)
    board = StatusBoard("audit")
    pub.register(board)
    try:
        for _ in range(5):  # more entries while it publishes
            await feeds.write(rng.randint(1, 12), streams, rng)
            await asyncio.sleep(rng.uniform(0, 0.2))
        await caught_up(pool, schema, feeds)
        for agency in AGENCIES:
            rows = feeds.rows[agency]
            records = await read_topic(bootstrap, topics.partner_topic(agency, prefix), len(rows))
            seen = check_topic(agency, records, rows)
            assert sorted(seen) == list(range(len(rows))) and set(seen.values()) == {1}, "once each"
        assert await asyncio.to_thread(topics.partition_count, bootstrap, topics.partner_topic(IDLE, prefix)) == (
            PARTITIONS
        )
        status = {c.name: c for c in await board.read()}
        for agency in AGENCIES:
            c = status[f"partner topic {topics.partner_topic(agency, prefix)}"]
            assert c.state == OK and c.counters["published"] == len(feeds.rows[agency])
            assert c.counters["unpublished"] == 0 and c.counters["next_position"] == len(feeds.rows[agency])
        assert status[f"partner topic {topics.partner_topic(IDLE, prefix)}"].counters["published"] == 0
    finally:
        await pub.close()


async def test_killed_at_random_points_and_restarted_nothing_is_lost(pool, schema, bootstrap, unique):
    """At least once: the published position moves only after the broker acknowledged; a
    publisher killed at any point and started again sends what was not acknowledged; a consumer
    de-duplicating by position sees exactly each feed, in order per stream."""
    rng, feeds, prefix = random.Random(2323), Feeds(pool, schema), f"pk{unique}."
    streams = [f"case-{i}" for i in range(5)]
    await feeds.write(20, streams, rng)
    for _ in range(8):
        pub = await started(pool, schema, bootstrap, prefix, batch_size=4)
        await feeds.write(rng.randint(0, 10), streams, rng)
        await asyncio.sleep(rng.uniform(0.0, 0.6))
        await pub.close()  # cancelled wherever it was: mid-batch, between send and save, idle
    pub = await started(pool, schema, bootstrap, prefix, batch_size=4)
    try:
        await caught_up(pool, schema, feeds)
        for agency in AGENCIES:
            rows = feeds.rows[agency]
            records = await read_topic(bootstrap, topics.partner_topic(agency, prefix), len(rows))
            seen = check_topic(agency, records, rows)
            assert sorted(seen) == list(range(len(rows))), "de-duplicated by position: exactly the feed"
    finally:
        await pub.close()


@needs_private_broker
async def test_a_broker_restarted_empty_gets_every_feed_back(pool, schema, unique):
    """Broker loss (the last acknowledged record gone) while idle: each topic is recreated and its
    agency's feed published again from its start, once; the idle agency's topic comes back too."""
    broker = EmbeddedBroker().start()
    rng, feeds, prefix = random.Random(2324), Feeds(pool, schema), f"pl{unique}."
    await feeds.write(15, [f"case-{i}" for i in range(4)], rng)
    pub = await started(pool, schema, broker.bootstrap, prefix, batch_size=6)
    try:
        await caught_up(pool, schema, feeds)
        broker.restart_empty()

        async def republished() -> bool:
            return all(pub.agencies[a].republishes == 1 for a in AGENCIES)

        await wait_until(republished, 30, "every agency's topic to be found lost and rebuilt")
        await caught_up(pool, schema, feeds)
        for agency in AGENCIES:
            rows = feeds.rows[agency]
            records = await read_topic(broker.bootstrap, topics.partner_topic(agency, prefix), len(rows), quiet=0.5)
            seen = check_topic(agency, records, rows)
            assert sorted(seen) == list(range(len(rows))) and set(seen.values()) == {1}
        idle = topics.partner_topic(IDLE, prefix)
        assert await asyncio.to_thread(topics.partition_count, broker.bootstrap, idle) == PARTITIONS
        await asyncio.sleep(3 * pub.check_seconds)  # the new records are found: no more rebuilds
        assert {pub.agencies[a].republishes for a in AGENCIES} == {1}
    finally:
        await pub.close()
        broker.stop()


async def test_an_entry_too_large_sticks_its_agency_only_and_says_so(pool, schema, bootstrap, unique):
    """An entry the producer refuses as too large: its agency's topic is stuck on it (the entries
    before it published, none after, the position kept before it), the status names it and the
    remedy; the other agency's topic goes on."""
    rng, feeds, prefix = random.Random(2325), Feeds(pool, schema), f"ps{unique}."
    await feeds.write(6, ["case-1"], rng)
    big = feeds.rows["court"][3]
    await pool.execute(
        f"UPDATE {schema}.feed_entries SET entry = $3 WHERE agency = $1 AND position = $2",
        "court", big.position, big.entry + b" " * 4000,
    )  # fmt: skip
    pub = await started(pool, schema, bootstrap, prefix, max_message_bytes=3000, stuck_retry_seconds=0.2)
    board = StatusBoard("audit")
    pub.register(board)
    try:
        status = {}

        async def stuck() -> bool:
            status.update({c.name: c for c in await board.read()})
            return status[f"partner topic {topics.partner_topic('court', prefix)}"].state == STUCK

        await wait_until(stuck, 20, "the court's topic to be stuck on its large entry")
        court = status[f"partner topic {topics.partner_topic('court', prefix)}"]
        assert court.counters["next_position"] == big.position == court.counters["published"]
        assert f"feed entry {big.position} of court" in court.problems[0] and "max.message.bytes" in court.problems[0]
        await wait_until(
            lambda: _at(pool, schema, "procuratorate", len(feeds.rows["procuratorate"])), 20, "the procuratorate"
        )
        await asyncio.sleep(0.6)  # retried meanwhile: still before the large entry
        assert await _at(pool, schema, "court", big.position)
        records = await read_topic(bootstrap, topics.partner_topic("court", prefix), big.position, quiet=0.5)
        assert sorted(check_topic("court", records, feeds.rows["court"])) == list(range(big.position))
    finally:
        await pub.close()


async def _at(pool, schema: str, agency: str, position: int) -> bool:
    return await pool.fetchval(f"SELECT next_position FROM {schema}.feed_published WHERE agency = $1", agency) == (
        position
    )
