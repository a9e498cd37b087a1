"""No consumer moves past what it has not stored (issue 13): a store outage longer than the poll
interval is waited out, a record that keeps failing is kept in quarantine with its stream held
behind it, and a restart with the cause fixed releases it. Real broker, real PostgreSQL, both the
batch path (the audit ledger) and the per-event path (a follower).
"""

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer

from kernel.domain.errors import Unavailable
from kernel.edge.status import DEGRADED, OK, RETRYING, StatusBoard
from kernel.eventstore import envelope as env_mod
from kernel.messaging.consumer import Consumer
from kernel.messaging.follower import Follower
from services.audit.app.recorder import Recorder
from tests.factories import clue_event, committed_offsets, service_settings, wait_until

AT = datetime(2026, 3, 2, tzinfo=timezone.utc)
POLL_SECONDS = 2.0  # the consumer's max poll interval in these tests
OUTAGE_SECONDS = 3 * POLL_SECONDS


def until(predicate):
    return wait_until(predicate, 60)


class Faults:
    """What the store does to the handler: down until `down_until`, or failing on `poison` ids."""

    def __init__(self):
        self.down_until = 0.0
        self.poison: set[str] = set()
        self.calls = 0

    def down(self) -> bool:
        return asyncio.get_running_loop().time() < self.down_until

    def check(self, raws: list[bytes]) -> None:
        self.calls += 1
        if self.down():
            raise Unavailable("event store unreachable: injected outage")
        for raw in raws:
            if env_mod.parse(raw).event_id in self.poison:
                raise RuntimeError("injected bug: this event cannot be applied")


class FlakyPool:
    """The consumer's view of the pool: unreachable while the injected outage lasts."""

    def __init__(self, pool, faults: Faults):
        self.pool, self.faults = pool, faults

    def acquire(self):
        if self.faults.down():
            raise ConnectionRefusedError("injected outage")
        return self.pool.acquire()

    def __getattr__(self, name):
        return getattr(self.pool, name)


class FlakyRecorder(Recorder):
    def __init__(self, store, faults: Faults):
        super().__init__(store, consumer="flaky-ledger")
        self.faults = faults

    async def record_batch(self, deliveries):
        self.faults.check([raw for raw, _ in deliveries])
        return await super().record_batch(deliveries)


class FlakyFollower(Follower):
    """Applies each event by a row in `applied`, in the inbox's transaction."""

    def __init__(self, store, faults: Faults):
        super().__init__(store, "flaky-follower")
        self.faults = faults

    async def apply(self, uow, env):
        self.faults.check([])
        if env.event_id in self.faults.poison:
            raise RuntimeError("injected bug: this event cannot be applied")
        await uow.conn.execute(f"INSERT INTO {self.store.schema}.applied (event_id) VALUES ($1)", env.event_id)


def envelopes(streams: list[str], per_stream: int) -> list[tuple[str, bytes]]:
    out = []
    for v in range(1, per_stream + 1):
        for s in streams:
            out.append((s, env_mod.seal(env_mod.build(clue_event(s, f"v{v}"), s, v, AT))))
    return out


async def publish(bootstrap: str, topic: str, items: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for stream, raw in items:
            await producer.send(topic, value=raw, key=stream.encode())
        await producer.flush()
    finally:
        await producer.stop()


def settings_for(store, bootstrap, unique, tmp_path):
    # the consumer works through the store's pool; the URL is never dialled
    return service_settings(
        "audit",
        "postgresql://unused",
        bootstrap,
        f"ns{unique}",
        tmp_path,
        database_schema=store.schema,
        topic_partitions=2,
        consumer_max_poll_seconds=POLL_SECONDS,
        consumer_session_seconds=6.0,
        consumer_attempts=3,
        consumer_max_backoff_seconds=0.5,
        held_sweep_seconds=1.0,
    )


async def start_consumer(store, bootstrap, unique, tmp_path, handler, board=None):
    pool = FlakyPool(store.pool, handler.faults) if hasattr(handler, "faults") else store.pool
    return await Consumer(
        settings_for(store, bootstrap, unique, tmp_path), pool, ["clues"], "c", handler, status=board
    ).start()


@pytest.fixture
async def applied_table(store):
    await store.pool.execute(f"CREATE TABLE {store.schema}.applied (event_id uuid PRIMARY KEY)")


async def test_ledger_waits_out_an_outage_across_the_poll_interval_and_a_rebalance(store, bootstrap, unique, tmp_path):
    faults = Faults()
    recorder = FlakyRecorder(store, faults)
    await recorder.migrate()
    board = StatusBoard("audit")
    consumer = await start_consumer(store, bootstrap, unique, tmp_path, recorder, board)
    topic = consumer.topics[0]
    streams = [f"clue-{uuid.uuid4()}" for _ in range(6)]
    first, second = envelopes(streams, 10)[:30], envelopes(streams, 10)[30:]
    joiner_board = StatusBoard("audit")
    joiner = await start_consumer(store, bootstrap, unique, tmp_path, FlakyRecorder(store, faults), joiner_board)
    try:
        await publish(bootstrap, topic, first)
        recorded = lambda: store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.recorded_events")  # noqa: E731
        await until(lambda: _at_least(recorded, 30))
        assert joiner.app.consumer.assignment(), "the second member never took a partition"
        faults.down_until = asyncio.get_running_loop().time() + OUTAGE_SECONDS
        await publish(bootstrap, topic, second)
        await asyncio.sleep(POLL_SECONDS)
        # each member waits out the outage on the partitions it holds (which one gets records of the
        # second batch depends on the streams' keys): at least one is retrying, past the poll interval
        retrying = [
            s
            for b in (board, joiner_board)
            for s in await b.read()
            if s.state == RETRYING and s.counters.get("store_retries", 0) > 0
        ]
        assert retrying, "no member was waiting out the outage"
        # the second member leaves while both are stuck mid-delivery: its partitions move to the first
        await joiner.stop()
        joiner = None
        await until(lambda: _at_least(recorded, 60))
        rows = await store.pool.fetch(
            f'SELECT event_id, stream_id, version, partition, "offset" FROM {store.schema}.recorded_events'
        )
        assert len(rows) == 60 == len({r["event_id"] for r in rows}), "an event was lost or recorded twice"
        for s in streams:
            assert sorted(r["version"] for r in rows if r["stream_id"] == s) == list(range(1, 11))
        [status] = await board.read()
        assert status.state == OK and status.counters["kept_total"] == 0
        await asyncio.sleep(2 * 2.8)  # two commit intervals
        last: dict[int, int] = {}
        for r in rows:
            last[r["partition"]] = max(last.get(r["partition"], -1), r["offset"])
        committed = {
            p: o
            for (t, p), o in (await asyncio.to_thread(committed_offsets, bootstrap, f"ns{unique}-audit-c")).items()
            if t == topic
        }
        assert committed and all(committed[p] <= last[p] + 1 for p in committed), (committed, last)
    finally:
        await consumer.stop()
        if joiner is not None:
            await joiner.stop()


async def test_follower_keeps_a_failing_record_and_holds_its_stream(store, bootstrap, unique, tmp_path, applied_table):
    faults = Faults()
    follower = FlakyFollower(store, faults)
    board = StatusBoard("cases")
    bad_stream, good_stream = f"clue-{uuid.uuid4()}", f"clue-{uuid.uuid4()}"
    items = envelopes([bad_stream, good_stream], 3)
    bad = env_mod.parse([raw for s, raw in items if s == bad_stream][1])  # version 2 of the bad stream
    faults.poison.add(bad.event_id)
    consumer = await start_consumer(store, bootstrap, unique, tmp_path, follower, board)
    applied = lambda: store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.applied")  # noqa: E731
    try:
        faults.down_until = asyncio.get_running_loop().time() + OUTAGE_SECONDS  # per-event path waits too
        await publish(bootstrap, consumer.topics[0], items)
        await until(lambda: _at_least(applied, 4))  # good 1..3, bad 1; bad 2 kept, bad 3 held behind it
        await until(lambda: _kept(board, 1))
        assert await applied() == 4
        held = await store.pool.fetch(f"SELECT stream_id, version FROM {store.schema}.inbox_held")
        assert [(r["stream_id"], r["version"]) for r in held] == [(bad_stream, 3)]
        [status] = await board.read()
        assert status.state == DEGRADED and "consumer_quarantine" in status.problems[0]
        kept = await store.pool.fetchrow(
            f"SELECT event_id, stream_id, version, error FROM {store.schema}.consumer_quarantine"
        )
        assert (kept["event_id"], kept["stream_id"], kept["version"]) == (bad.event_id, bad_stream, 2)
        assert "injected bug" in kept["error"]
    finally:
        await consumer.stop()

    faults.poison.clear()  # the cause is fixed: a restart tries kept records again
    board = StatusBoard("cases")
    consumer = await start_consumer(store, bootstrap, unique, tmp_path, FlakyFollower(store, faults), board)
    try:
        await until(lambda: _at_least(applied, 6))
        assert await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.inbox_held") == 0
        [status] = await board.read()
        assert status.state == OK and status.counters["kept_total"] == 0
    finally:
        await consumer.stop()


async def test_a_record_that_is_not_an_envelope_is_kept_not_skipped(store, bootstrap, unique, tmp_path):
    recorder = Recorder(store, consumer="ledger-malformed")
    await recorder.migrate()
    consumer = await start_consumer(store, bootstrap, unique, tmp_path, recorder)
    stream = f"clue-{uuid.uuid4()}"
    try:
        await publish(bootstrap, consumer.topics[0], [(stream, b"\x00not an envelope")] + envelopes([stream], 2))
        kept = lambda: store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.consumer_quarantine")  # noqa: E731
        await until(lambda: _at_least(kept, 1))
        recorded = lambda: store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.recorded_events")  # noqa: E731
        await until(lambda: _at_least(recorded, 2))
    finally:
        await consumer.stop()


async def _at_least(count, n: int) -> bool:
    return await count() >= n


async def _kept(board: StatusBoard, n: int) -> bool:
    [status] = await board.read()
    return status.counters["kept_total"] >= n
