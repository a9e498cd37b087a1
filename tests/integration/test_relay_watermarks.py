"""Store positions and watermarks (issue 14, the producer side), on a real PostgreSQL and the real
embedded broker:

* every record the relay sends (publishing, `republish`, `republish_positions`) carries its store
  position in the `store-position` header;
* after N events, a watermark on every partition says count N through the last event's position,
  at a higher offset than every event it covers there; none while nothing moved;
* a deployment without the count column gets it computed once at start;
* after the broker restarted empty, the new epoch's watermarks count the republish correctly;
* a position-range request republishes exactly that range (headers included, in chunks), a
  watermark request produces one at once.

Topics are read with group-less consumers (assign + seek): tansu holds group joins for seconds.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from kernel.domain.clock import FixedClock
from kernel.edge.status import STUCK
from kernel.eventstore.store import EventStore
from kernel.messaging import topics
from kernel.messaging.relay import MARKER_KEY, OutboxRelay
from kernel.messaging.republish import RepublishRequester, RepublishServer
from kernel.messaging.watermark import POSITION_HEADER, WATERMARK_KEY, Position, Watermark
from kernel.runtime.embedded import EmbeddedBroker
from kernel.runtime.settings import republish_topic, topic_name
from tests.factories import clue_event, wait_until

PARTITIONS = 3
INTERVAL = 0.3
needs_private_broker = pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
    reason="restarts a private embedded broker; not possible against a real Kafka",
)


@dataclass(frozen=True)
class Rec:
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: dict

    @property
    def is_event(self) -> bool:
        return self.key not in (MARKER_KEY, WATERMARK_KEY)

    @property
    def mark(self) -> Watermark:
        return Watermark.decode(self.value)


@pytest.fixture
def spec(unique):
    return topics.TopicSpec(f"t{unique}.wm", partitions=PARTITIONS)


async def append(store: EventStore, stream_id: str, n: int = 1) -> None:
    async with store.unit_of_work() as uow:
        version = await uow.stream_version(stream_id)
        await uow.append(stream_id, version, [clue_event(stream_id) for _ in range(n)])


async def positions(store: EventStore) -> dict[str, Position]:
    """event id -> store position, of every stored event."""
    rows = await store.pool.fetch(f"SELECT event_id, order_key, position FROM {store.schema}.events")
    return {str(r["event_id"]): Position(int(r["order_key"]), r["position"]) for r in rows}


async def read(bootstrap: str, topic: str, until, *, quiet: float = 0.5, timeout: float = 20.0) -> list[Rec]:
    """Every record of every partition from the start, until `until(records)` holds and nothing new
    came for `quiet` seconds (end offsets are not trusted on tansu)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        got: list[Rec] = []
        deadline = last_new = time.monotonic()
        deadline += timeout
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=100)
            for tp, msgs in batch.items():
                got += [Rec(tp.partition, m.offset, m.key, m.value, dict(m.headers)) for m in msgs]
                last_new = time.monotonic() if msgs else last_new
            if until(got) and time.monotonic() - last_new >= quiet:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: condition not met in {timeout} s; read {len(got)} records")
    finally:
        await consumer.stop()


def marks(records: list[Rec], epoch: str | None = None) -> list[Rec]:
    return [r for r in records if r.key == WATERMARK_KEY and (epoch is None or r.mark.epoch == epoch)]


def complete(count: int, epoch: str | None = None):
    """Until a watermark with `count` was read on every partition."""
    return lambda records: (
        {r.partition for r in marks(records, epoch) if r.mark.count == count} == set(range(PARTITIONS))
    )


def check_positions(records: list[Rec], stored: dict[str, Position]) -> None:
    for r in records:
        if r.is_event:
            eid = r.headers["event-id"].decode()
            assert r.headers[POSITION_HEADER] == stored[eid].encode().encode(), f"{eid}: wrong position header"


def check_watermarks(records: list[Rec], stored: dict[str, Position], topic: str, *, strict: bool = True) -> None:
    """Each watermark counts the stored events up to its position, and on its partition comes
    after every event it covers (strict: after every copy of them; else after one copy)."""
    events = [r for r in records if r.is_event]
    for w in marks(records):
        m = w.mark
        assert w.headers == {"relay-watermark": b"1"}
        assert (m.topic, m.partitions) == (topic, PARTITIONS)
        assert m.count == sum(1 for p in stored.values() if p <= m.through), f"count of {m}"
        covered: dict[str, list[int]] = {}
        for e in events:
            if e.partition == w.partition and stored[e.headers["event-id"].decode()] <= m.through:
                covered.setdefault(e.headers["event-id"].decode(), []).append(e.offset)
        for eid, offsets in covered.items():
            assert (max(offsets) if strict else min(offsets)) < w.offset, (
                f"{m} at p{w.partition}@{w.offset} before {eid}"
            )
        on_partition = {
            eid
            for eid in stored
            if stored[eid] <= m.through
            and any(e.partition == w.partition and e.headers["event-id"].decode() == eid for e in events)
        }
        assert on_partition == set(covered)


async def relay_row(store: EventStore, spec) -> dict:
    return dict(
        await store.pool.fetchrow(
            f"SELECT order_key, position, epoch, through_count FROM {store.schema}.relay_cursor WHERE topic = $1",
            spec.name,
        )
    )


async def caught_up(store: EventStore, spec, not_epoch: str | None = None):
    async def check():
        row = await relay_row(store, spec)
        return row["epoch"] and row["epoch"] != not_epoch and row["through_count"] == len(await positions(store))

    await wait_until(check, 30, "relay caught up")
    return (await relay_row(store, spec))["epoch"]


async def stop(relay: OutboxRelay, *tasks: asyncio.Task) -> None:
    await relay.stop()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await relay.stop()


# --------------------------------------------------------------------------------------------


async def test_positions_in_headers_and_watermarks_after_what_they_cover(store, bootstrap, spec):
    relay = OutboxRelay(
        store, bootstrap, spec, poll_seconds=0.02, marker_check_seconds=1.0, batch_size=7, watermark_seconds=INTERVAL
    )
    task = asyncio.create_task(relay.run())
    try:
        for i in range(12):
            await append(store, f"clue-{i}", 1 + i % 3)
        epoch = await caught_up(store, spec)
        stored = await positions(store)
        n = len(stored)
        records = await read(bootstrap, spec.name, complete(n))
        check_positions(records, stored)
        check_watermarks(records, stored, spec.name)
        last = max(stored.values())
        for p in range(PARTITIONS):
            final = [r for r in marks(records) if r.partition == p][-1].mark
            assert (final.count, final.through, final.epoch) == (n, last, epoch.partition("@")[0])
        assert (await relay_row(store, spec))["through_count"] == n

        # Nothing moves: no more watermarks.
        before = len(marks(records))
        await asyncio.sleep(6 * INTERVAL)
        records = await read(bootstrap, spec.name, complete(n))
        assert len(marks(records)) == before

        # More events: the next watermark covers them too.
        await append(store, "clue-0", 2)
        await append(store, "clue-new", 1)
        await caught_up(store, spec)
        stored = await positions(store)
        records = await read(bootstrap, spec.name, complete(n + 3))
        check_positions(records, stored)
        check_watermarks(records, stored, spec.name)
        assert relay.published == n + 3 and (await relay.status()).counters["watermarks"] >= 2
    finally:
        await stop(relay, task)


async def test_an_existing_deployment_gets_its_count_computed_once(store, bootstrap, spec):
    relay = OutboxRelay(store, bootstrap, spec, poll_seconds=0.02, watermark_seconds=60)
    task = asyncio.create_task(relay.run())
    try:
        for i in range(5):
            await append(store, f"clue-{i}", 2)
        await caught_up(store, spec)
    finally:
        await stop(relay, task)
    # As before the column existed (and its migration with it): drop it, migrate as a new release
    # starts, and let events wait behind the cursor.
    await store.pool.execute(
        f"ALTER TABLE {store.schema}.relay_cursor DROP COLUMN through_count; DELETE FROM "
        f"{store.schema}.schema_migrations WHERE component = 'store' AND number = 2"
    )
    await store.migrate()
    await append(store, "clue-late", 3)
    relay = OutboxRelay(store, bootstrap, spec, poll_seconds=0.02, watermark_seconds=60)
    await relay.start()
    assert (await relay_row(store, spec))["through_count"] == 10  # up to the cursor, not beyond
    task = asyncio.create_task(relay.run())
    try:
        await caught_up(store, spec)
        mark = await relay.publish_watermark()
        stored = await positions(store)
        assert (mark.count, mark.through) == (13, max(stored.values()))
    finally:
        await stop(relay, task)


async def test_a_stuck_relay_still_says_what_it_published_before_the_stuck_event(store, bootstrap, spec):
    await append(store, "clue-a", 2)
    async with store.unit_of_work() as uow:
        await uow.append("clue-big", 0, [clue_event("clue-big", summary="x" * 20_000)])
    await append(store, "clue-c", 1)
    relay = OutboxRelay(
        store,
        bootstrap,
        spec,
        max_request_size=8_192,
        poll_seconds=0.02,
        stuck_retry_seconds=0.1,
        watermark_seconds=INTERVAL,
    )
    task = asyncio.create_task(relay.run())
    try:
        stored = await positions(store)
        records = await read(bootstrap, spec.name, complete(2))
        check_watermarks(records, stored, spec.name)
        big = (await store.read_range("clue-big", 1, 1))[0]
        assert all(r.mark.through < Position(big.order_key, big.position) for r in marks(records))
        assert (await relay.status()).state == STUCK
    finally:
        await stop(relay, task)


@needs_private_broker
async def test_watermarks_of_the_new_epoch_count_the_republish_after_a_broker_restart(store, spec):
    broker = EmbeddedBroker().start()
    relay = OutboxRelay(
        store,
        broker.bootstrap,
        spec,
        poll_seconds=0.02,
        marker_check_seconds=0.5,
        batch_size=4,
        watermark_seconds=INTERVAL,
    )
    task = asyncio.create_task(relay.run())
    try:
        for i in range(6):
            await append(store, f"clue-{i}", 1 + i % 2)
        first = await caught_up(store, spec)
        stored = await positions(store)
        n = len(stored)
        await read(broker.bootstrap, spec.name, complete(n, first.partition("@")[0]))

        await asyncio.to_thread(broker.restart_empty)
        await append(store, "clue-after", 2)  # while the relay rebuilds
        second = await caught_up(store, spec, not_epoch=first)
        assert second.partition("@")[0] != first.partition("@")[0]
        stored = await positions(store)
        epoch = second.partition("@")[0]
        records = await read(broker.bootstrap, spec.name, complete(n + 2, epoch))
        assert {r.mark.epoch for r in marks(records)} == {epoch}  # nothing of the lost epoch
        check_positions(records, stored)
        check_watermarks(records, stored, spec.name)  # counts from the republish
        assert relay.republishes == 1
    finally:
        await stop(relay, task)
        broker.stop()


async def test_requests_for_a_position_range_and_for_a_watermark(pool, bootstrap, unique):
    prefix = f"t{unique}."
    store = EventStore(pool, f"p_{unique}", FixedClock())
    await store.migrate()
    spec = topics.TopicSpec(topic_name("clues", prefix), PARTITIONS)
    relay = OutboxRelay(store, bootstrap, spec, poll_seconds=0.02, batch_size=3, watermark_seconds=600)
    server = RepublishServer(relay, bootstrap, republish_topic(prefix))
    requester = RepublishRequester(bootstrap, republish_topic(prefix), "test-audit")
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(server.run())]
    try:
        for i in range(4):
            await append(store, f"clue-{i}", 3)
        epoch = (await caught_up(store, spec)).partition("@")[0]
        await asyncio.wait_for(server.ready.wait(), 20)
        stored = await positions(store)
        first = await read(bootstrap, spec.name, lambda rs: sum(r.is_event for r in rs) == 12)
        assert marks(first) == []  # the interval is long
        high = {p: max((r.offset for r in first if r.partition == p), default=-1) for p in range(PARTITIONS)}

        # Positions 3..9 of 12 in store order (after the 2nd, through the 9th): 7 events, 3 chunks.
        order = sorted(stored, key=stored.get)
        after, through = stored[order[1]], stored[order[8]]
        assert await requester.request_positions(spec.name, after, through)
        records = await read(
            bootstrap, spec.name, lambda rs: sum(r.is_event and r.offset > high[r.partition] for r in rs) >= 7
        )
        again = [r for r in records if r.is_event and r.offset > high[r.partition]]
        assert sorted(r.headers["event-id"].decode() for r in again) == sorted(order[2:9])
        for p in range(PARTITIONS):  # in store order on each partition
            ids = [r.headers["event-id"].decode() for r in sorted(again, key=lambda r: r.offset) if r.partition == p]
            assert ids == [e for e in order[2:9] if e in ids]
        check_positions(records, stored)

        async def served():
            return server.served == 1

        await wait_until(served, 5, "served")

        # A watermark at once, on request (and the same range again is the requester's repeat).
        assert await requester.request_watermark(spec.name)
        records = await read(bootstrap, spec.name, complete(12, epoch), timeout=10)
        assert len(marks(records)) == PARTITIONS
        check_watermarks(records, stored, spec.name, strict=False)  # the republished copies come after
        assert await relay.republish_positions(stored[order[-1]], Position(1 << 62, 0)) == 0  # beyond the cursor
        assert await relay.republish_positions(Position(), stored[order[0]]) == 1
    finally:
        await server.stop()
        await relay.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await requester.close()
