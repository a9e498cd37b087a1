"""The outbox relay end to end: PostgreSQL store -> `OutboxRelay` -> the real embedded broker.

What is proved here, each against a real PostgreSQL and a real tansu broker:

* concurrent writers (random delays inside transactions, rollbacks, inbox rows written before
  the events, streams shared between writers) while the relay publishes: every committed event
  reaches the topic at least once, nothing rolled back does, the record value is the stored
  envelope byte for byte, key = stream id, headers carry id / type / correlation id, and within
  its partition each stream's versions never skip ahead (repeats only re-send what was sent);
* the broker goes down: commands still commit, and once the broker is back (empty, on the same
  port) the relay sees its marker gone, recreates the topic and republishes the whole store;
* the broker restarts empty while the relay is idle: everything reappears, byte-identical, after
  exactly one republish;
* `republish(stream, first, last)` sends exactly that range again, byte-identical.

Topics are read with group-less consumers (assign + seek_to_beginning): tansu holds group joins
for seconds and misreports end offsets, so a read ends when every expected event was seen and
the topic then stayed quiet for a while.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from kernel.eventstore import envelope as env_mod
from kernel.eventstore.store import Cursor, EventStore
from kernel.messaging.relay import MARKER_KEY, OutboxRelay
from kernel.messaging.topics import TopicSpec
from kernel.messaging.watermark import WATERMARK_KEY
from kernel.runtime.embedded import EmbeddedBroker
from tests.factories import clue_event
from tests.workload import Mix, random_writer

ON_TANSU = not os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
needs_private_broker = pytest.mark.skipif(
    not ON_TANSU, reason="restarts a private embedded broker; not possible against a real Kafka"
)

# Tuning of the concurrent run (a few seconds on 2 cores).
WRITERS = 24
TX_PER_WRITER = 15
SHARED_STREAMS = 6
OWN_STREAM_SHARE = 0.25
INBOX_FIRST_SHARE = 0.3
ROLLBACK_SHARE = 0.05
RELAY_BATCH = 25  # small batches, so the relay's cursor moves many times
PARTITIONS = 3
MIX = Mix(WRITERS, TX_PER_WRITER, SHARED_STREAMS, OWN_STREAM_SHARE, INBOX_FIRST_SHARE, ROLLBACK_SHARE)


@pytest.fixture
def spec(unique):
    return TopicSpec(f"t{unique}.relay", partitions=PARTITIONS)


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: dict[str, bytes]

    @property
    def event_id(self) -> str:
        return self.headers["event-id"].decode()


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


async def append(store: EventStore, stream_id: str, n: int = 1) -> list:
    async with store.unit_of_work() as uow:
        version = await uow.stream_version(stream_id)
        return await uow.append(stream_id, version, [clue_event(stream_id) for _ in range(n)])


async def stored_events(store: EventStore) -> dict[str, tuple[str, int, bytes]]:
    """Every stored event: event id -> (stream id, version, envelope bytes)."""
    rows = await store.pool.fetch(f"SELECT stream_id, version, event_id, envelope FROM {store.schema}.events")
    return {str(r["event_id"]): (r["stream_id"], r["version"], bytes(r["envelope"])) for r in rows}


async def relay_state(store: EventStore, spec: TopicSpec) -> tuple[Cursor, str]:
    row = await store.pool.fetchrow(
        f"SELECT order_key, position, epoch FROM {store.schema}.relay_cursor WHERE topic = $1", spec.name
    )
    if row is None:
        return Cursor(), ""
    return Cursor(int(row["order_key"]), row["position"]), row["epoch"]


async def wait_caught_up(
    store: EventStore, spec: TopicSpec, relay_task: asyncio.Task, timeout: float = 20.0, not_epoch: str | None = None
) -> str:
    """Until the relay has a marker (an epoch other than `not_epoch`) and its cursor is at the end
    of the store. Call only when no writer is open, so 'at the end' cannot change under us."""
    deadline = time.monotonic() + timeout
    while True:
        assert not relay_task.done(), f"relay task ended: {relay_task.exception()!r}"
        cursor, epoch = await relay_state(store, spec)
        if epoch and epoch != not_epoch and not await store.read_all(cursor, limit=1):
            return epoch
        if time.monotonic() > deadline:
            raise AssertionError(f"relay not caught up after {timeout} s (cursor {cursor}, epoch {epoch!r})")
        await asyncio.sleep(0.05)


async def read_topic(
    bootstrap: str, topic: str, expect: set[str], *, quiet: float = 1.0, timeout: float = 20.0
) -> tuple[list[Record], int]:
    """Every record of every partition from the beginning (markers separated out).

    Reads until every event id in `expect` was seen and nothing new arrived for `quiet` seconds
    (end offsets are not trusted on tansu). Returns (event records in fetch order, marker count).
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[Record] = []
    markers = 0
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        last_new = time.monotonic()
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=200)
            for tp, msgs in batch.items():
                for m in msgs:
                    if m.key == WATERMARK_KEY:  # what the relay published: tested in test_relay_watermarks
                        continue
                    if m.key == MARKER_KEY:
                        markers += 1
                        continue
                    rec = Record(tp.partition, m.offset, m.key, m.value, dict(m.headers))
                    records.append(rec)
                    seen.add(rec.event_id)
                    last_new = time.monotonic()
            now = time.monotonic()
            if expect <= seen and now - last_new >= quiet:
                return records, markers
            if now > deadline:
                missing = expect - seen
                raise AssertionError(
                    f"topic {topic}: {len(missing)} of {len(expect)} events not seen "
                    f"after {timeout} s (e.g. {sorted(missing)[:3]})"
                )
    finally:
        await consumer.stop()


def check_records(records: list[Record], stored: dict[str, tuple[str, int, bytes]]) -> Counter:
    """Every record is a stored event, byte for byte, with its key and headers; streams stay in
    one partition and never skip ahead there (a repeat only re-sends versions already sent).
    Returns how often each event id was seen."""
    seen = Counter()
    partition_of: dict[str, int] = {}
    per_partition: dict[int, list[Record]] = defaultdict(list)
    for r in records:
        assert r.event_id in stored, f"record {r.event_id} on the topic is not a stored event"
        stream, version, raw = stored[r.event_id]
        assert r.value == raw, f"{stream} v{version}: record value differs from the stored envelope"
        assert r.key == stream.encode()
        env = env_mod.parse(raw)
        assert r.headers["event-type"] == env.event_type.encode()
        assert r.headers["correlation-id"] == env.correlation_id.encode() == b"corr-1"
        assert r.headers["event-id"] == env.event_id.encode()
        assert partition_of.setdefault(stream, r.partition) == r.partition, f"{stream} in two partitions"
        per_partition[r.partition].append(r)
        seen[r.event_id] += 1
    for partition, recs in per_partition.items():
        recs.sort(key=lambda r: r.offset)
        prev: dict[str, int] = defaultdict(int)  # version of the stream's previous record here
        for r in recs:
            stream, version, _ = stored[r.event_id]
            # Next version, or a jump back (a resend restarting at a version already sent).
            assert version <= prev[stream] + 1, (
                f"p{partition}@{r.offset}: {stream} v{version} follows v{prev[stream]}: skipped ahead"
            )
            prev[stream] = version
    return seen


async def stop_relay(relay: OutboxRelay, task: asyncio.Task | None) -> None:
    await relay.stop()
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await relay.stop()  # clients run() may have created after the first stop


# --------------------------------------------------------------------------------------------
# 1. Concurrent writers while the relay publishes
# --------------------------------------------------------------------------------------------


async def test_relay_publishes_every_committed_event_once_in_stream_order(store, bootstrap, spec):
    seed = int(os.environ.get("RELAY_TEST_SEED", random.randrange(1 << 30)))
    committed: set[str] = set()
    rolled_back: set[str] = set()
    stats = Counter()

    async def writer(w: int) -> None:
        await random_writer(
            store,
            w,
            seed,
            MIX,
            stats,
            on_commit=lambda stored, _: committed.update(e.event_id for e in stored),
            on_rollback=lambda events: rolled_back.update(e.event_id for e in events),
        )

    relay = OutboxRelay(store, bootstrap, spec, poll_seconds=0.01, marker_check_seconds=1.0, batch_size=RELAY_BATCH)
    await relay.start()
    task = asyncio.create_task(relay.run())
    started = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.gather(*(writer(w) for w in range(WRITERS))), 30)
        writing = time.monotonic() - started
        published_while_writing = relay.published
        await wait_caught_up(store, spec, task)
        caught_up = time.monotonic() - started
        stored = await stored_events(store)
        records, markers = await read_topic(bootstrap, spec.name, set(stored))
    finally:
        await stop_relay(relay, task)
    elapsed = time.monotonic() - started

    seen = check_records(records, stored)
    dupes = sum(n - 1 for n in seen.values())
    print(
        f"\n[relay] seed={seed} committed_tx={stats['committed_tx']} events={len(committed)} "
        f"rolled_back_tx={stats['rolled_back_tx']} conflicts={stats['conflicts']} "
        f"inbox_first_committed={stats['inbox_first_committed']} "
        f"published_while_writing={published_while_writing} records={len(records)} "
        f"duplicates={dupes} markers={markers} republishes={relay.republishes} | "
        f"writing {writing:.2f}s, caught up {caught_up:.2f}s, total {elapsed:.2f}s"
    )

    assert set(stored) == committed  # the store holds what writers committed
    assert len(committed) >= 100 and stats["rolled_back_tx"] > 0 and stats["inbox_first_committed"] > 0
    assert set(seen) == committed  # all committed, at least once
    assert not set(seen) & rolled_back  # nothing rolled back
    assert markers >= 1 and relay.republishes == 0
    assert published_while_writing > 0  # it followed the writers live
    # Each stream, in its partition, reached its last stored version.
    last_version = defaultdict(int)
    for stream, version, _ in stored.values():
        last_version[stream] = max(last_version[stream], version)
    assert {stored[r.event_id][0] for r in records} == set(last_version)


# --------------------------------------------------------------------------------------------
# 2. Broker down: commands commit, the relay republishes once the broker is back
# --------------------------------------------------------------------------------------------


@needs_private_broker
async def test_broker_outage_never_fails_a_command_and_the_relay_catches_up(store, spec):
    broker = EmbeddedBroker().start()
    relay = OutboxRelay(store, broker.bootstrap, spec, poll_seconds=0.02, marker_check_seconds=0.5)
    task = None
    try:
        await relay.start()
        task = asyncio.create_task(relay.run())
        before = [e for i in range(5) for e in await append(store, f"before-{i}", 2)]
        first_epoch = await wait_caught_up(store, spec, task)
        assert relay.published == len(before)

        broker.stop()
        t0 = time.monotonic()
        during = [e for i in range(5) for e in await append(store, f"during-{i}", 2)]
        during += await append(store, "before-0", 1)  # a stream with events published earlier
        append_seconds = time.monotonic() - t0
        assert append_seconds < 2, "appending waited on the broker"
        await asyncio.sleep(1.5)  # the relay fails meanwhile, and retries
        assert not task.done()
        cursor, epoch = await relay_state(store, spec)
        assert epoch == first_epoch and relay.published == len(before)  # nothing claimed as sent ...
        assert len(await store.read_all(cursor)) == len(during)  # ... and nothing skipped

        broker.start()  # same port, empty (memory only)
        t1 = time.monotonic()
        await wait_caught_up(store, spec, task, timeout=30, not_epoch=first_epoch)
        recovered = time.monotonic() - t1

        stored = await stored_events(store)
        assert set(stored) == {e.event_id for e in before + during}
        records, markers = await read_topic(broker.bootstrap, spec.name, set(stored))
        seen = check_records(records, stored)
        print(
            f"\n[relay outage] appends while down {append_seconds * 1000:.0f} ms, "
            f"recovered {recovered:.2f}s after restart, republishes={relay.republishes}, "
            f"records={len(records)}, markers={markers}"
        )
        assert set(seen) == set(stored)  # the old events came back too
        assert relay.republishes == 1
        assert markers == 1
    finally:
        await stop_relay(relay, task)
        broker.stop()


# --------------------------------------------------------------------------------------------
# 3. Broker restarted empty while the relay is idle
# --------------------------------------------------------------------------------------------


@needs_private_broker
async def test_broker_restarted_empty_gets_everything_back_byte_identical(store, spec):
    broker = EmbeddedBroker().start()
    relay = OutboxRelay(store, broker.bootstrap, spec, poll_seconds=0.02, marker_check_seconds=0.5)
    task = None
    try:
        await relay.start()
        task = asyncio.create_task(relay.run())
        for i in range(8):
            await append(store, f"clue-{i}", 1 + i % 3)
        first_epoch = await wait_caught_up(store, spec, task)
        stored = await stored_events(store)
        before, _ = await read_topic(broker.bootstrap, spec.name, set(stored), quiet=0.5)
        check_records(before, stored)
        assert relay.republishes == 0

        broker.restart_empty()
        t0 = time.monotonic()
        await wait_caught_up(store, spec, task, timeout=30, not_epoch=first_epoch)
        recovered = time.monotonic() - t0
        after, markers = await read_topic(broker.bootstrap, spec.name, set(stored), quiet=0.5)
        seen = check_records(after, stored)
        assert set(seen) == set(stored)
        assert {r.event_id: r.value for r in after} == {r.event_id: r.value for r in before}
        assert markers == 1

        await asyncio.sleep(3 * relay.marker_check_seconds)  # the new marker is found: no more rebuilds
        assert relay.republishes == 1
        print(f"\n[relay restart] {len(stored)} events back {recovered:.2f}s after the restart")
    finally:
        await stop_relay(relay, task)
        broker.stop()


# --------------------------------------------------------------------------------------------
# 4. Republishing a range
# --------------------------------------------------------------------------------------------


async def test_republish_sends_exactly_the_range_again(store, bootstrap, spec):
    relay = OutboxRelay(store, bootstrap, spec, poll_seconds=0.02, marker_check_seconds=1.0)
    task = None
    try:
        await relay.start()
        task = asyncio.create_task(relay.run())
        target = "clue-target"
        await append(store, target, 6)
        await append(store, "clue-other", 3)
        await wait_caught_up(store, spec, task)
        stored = await stored_events(store)
        first, _ = await read_topic(bootstrap, spec.name, set(stored), quiet=0.5)
        assert Counter(r.event_id for r in first) == Counter(set(stored))  # once each
        high = defaultdict(lambda: -1)
        for r in first:
            high[r.partition] = max(high[r.partition], r.offset)

        assert await relay.republish(target, 2, 4) == 3
        by_version = {v: eid for eid, (s, v, _) in stored.items() if s == target}
        wanted = [by_version[v] for v in (2, 3, 4)]
        records, _ = await read_topic(bootstrap, spec.name, set(stored), quiet=0.5)
        again = sorted((r for r in records if r.offset > high[r.partition]), key=lambda r: r.offset)
        assert [r.event_id for r in again] == wanted
        assert all(r.value == stored[r.event_id][2] and r.key == target.encode() for r in again)
        assert {r.partition for r in again} == {r.partition for r in first if r.key == target.encode()}
        check_records(records, stored)

        assert await relay.republish(target, 7, None) == 0  # beyond the stream: nothing
        assert await relay.republish("no-such-stream", 1, None) == 0
    finally:
        await stop_relay(relay, task)


# --------------------------------------------------------------------------------------------
# 5. Stopping the relay in the middle of a marker check
# --------------------------------------------------------------------------------------------


async def test_stop_during_marker_check_is_not_taken_for_a_lost_topic(store, bootstrap, spec):
    """stop() closes the consumer under the marker read, which then comes back empty. That must
    not count as a lost topic: a rebuild would reset the cursor (the next start republishes the
    whole store) and open new clients after stop(). Reaches into the relay to hit the window."""
    await append(store, "clue-1", 2)
    first = OutboxRelay(store, bootstrap, spec)
    try:
        await first.start()
        await first._connect()
        assert await first.check_marker() is False  # no epoch yet: creates the topic
        assert await first.check_marker() is True
        assert await first.publish_batch() == 2
    finally:
        await first.stop()
    cursor, epoch = await relay_state(store, spec)
    for _ in range(5):
        relay = OutboxRelay(store, bootstrap, spec)
        try:
            await relay._connect()
            check = asyncio.create_task(relay.check_marker())
            while not relay._consumer.assignment():  # assigned: the read is under way
                await asyncio.sleep(0)
            await relay.stop()
            await asyncio.gather(check, return_exceptions=True)
            assert relay.republishes == 0
            assert relay._producer is None and relay._consumer is None
            assert await relay_state(store, spec) == (cursor, epoch)  # no reset, same marker
        finally:
            await relay.stop()
