"""Consumers skip events they do not act on from the record's headers, undecoded, and those events
still move the stream's version (issue 30 point 3): a gap across skipped events is still detected,
and skipped events never block, reorder or repeat the acted-on ones. Real PostgreSQL; the last
test goes through the real broker with the relay's own headers.
"""

import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer

from clues.v1 import events_pb2
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import NewEvent
from kernel.eventstore.store import StoredEvent
from kernel.messaging import consumer as consumer_mod
from kernel.messaging.consumer import Consumer
from kernel.messaging.follower import Follower, acting_on
from kernel.messaging.inbox import Source
from kernel.messaging.relay import record_headers
from tests.factories import ALICE, service_settings, wait_until

AT = datetime(2026, 3, 2, tzinfo=timezone.utc)
ACTED = events_pb2.FilingProposed.DESCRIPTOR.full_name
TOPIC = "t.clues.events.v1"


@acting_on(ACTED)
def proposal_of(env):
    return env.event_id


class Proposals(Follower):
    """Acts on `FilingProposed` only: a row per event it applied, in the inbox's transaction."""

    def __init__(self, store):
        super().__init__(store, "proposals")
        self.translate, self.gaps = proposal_of, []
        self.on_gap = self._gap

    async def _gap(self, topic, stream, first, last):
        self.gaps.append((stream, first, last))

    async def apply(self, uow, env):
        if self.translate(env) is not None:
            await uow.conn.execute(
                f"INSERT INTO {self.store.schema}.applied (stream_id, version) VALUES ($1, $2)",
                env.stream_id,
                env.version,
            )


@pytest.fixture
async def follower(store):
    await store.pool.execute(
        f"CREATE TABLE {store.schema}.applied (seq bigserial, stream_id text, version bigint, UNIQUE (stream_id, version))"
    )
    return Proposals(store)


def event(stream: str, version: int, acted: bool) -> StoredEvent:
    payload = events_pb2.FilingProposed(clue_id=stream) if acted else events_pb2.ClueRegistered(clue_id=stream)
    new = NewEvent(str(uuid.uuid4()), payload, AT, ALICE, "corr-skip")
    raw = env_mod.seal(env_mod.build(new, stream, version, AT))
    return StoredEvent(stream, version, new.event_id, payload.DESCRIPTOR.full_name, raw)


class Message:
    """A consumed record as Faust hands it over: what `consumer._source` reads."""

    def __init__(self, e: StoredEvent, offset: int, headers=None):
        self.topic, self.partition, self.offset = TOPIC, 0, offset
        self.headers = record_headers(e) if headers is None else headers


def record(e: StoredEvent, offset: int, raw: bytes | None = None, headers=None) -> tuple[bytes, Source]:
    return (e.envelope if raw is None else raw, consumer_mod._source(Message(e, offset, headers)))


async def deliver(follower: Follower, records: list[tuple[bytes, Source]]) -> None:
    """As the consumer's agent does for a per-event handler: runs of records, each stored in turn."""
    skips = consumer_mod._skips(follower)
    handle = consumer_mod._one_at_a_time(follower, skips)
    for run in consumer_mod._runs(records, skips):
        await handle(run)


async def applied(store) -> list[tuple[str, int]]:
    rows = await store.pool.fetch(f"SELECT stream_id, version FROM {store.schema}.applied ORDER BY seq")
    return [(r[0], r[1]) for r in rows]


async def inbox_of(store, stream: str) -> tuple[list[int], int | None, list[int]]:
    """Inbox rows' versions, the stream's last version, held versions."""
    s = store.schema
    rows = await store.pool.fetch(f"SELECT version FROM {s}.inbox WHERE stream_id = $1 ORDER BY version", stream)
    last = await store.pool.fetchval(f"SELECT version FROM {s}.inbox_streams WHERE stream_id = $1", stream)
    held = await store.pool.fetch(f"SELECT version FROM {s}.inbox_held WHERE stream_id = $1 ORDER BY version", stream)
    return [r[0] for r in rows], last, [r[0] for r in held]


def stream_of(kinds: str) -> tuple[str, list[StoredEvent]]:
    """A stream whose versions are acted on ("a") or not ("s"), in order."""
    stream = f"clue-{uuid.uuid4()}"
    return stream, [event(stream, v, k == "a") for v, k in enumerate(kinds, start=1)]


async def test_relay_headers_name_type_stream_and_version(follower):
    stream, events = stream_of("sa")
    skipped, acted = (record(e, k)[1] for k, e in enumerate(events))
    assert (skipped.event_type, skipped.stream_id, skipped.version) == (events[0].event_type, stream, 1)
    assert acted.version == 2 and follower.event_types == {ACTED}
    skips = consumer_mod._skips(follower)
    assert skips(skipped) and not skips(acted) and not skips(Source(TOPIC, 0, 1))


async def test_skipped_events_are_not_decoded_and_move_the_stream_without_inbox_rows(store, follower):
    stream, events = stream_of("sasas")
    # what is skipped is never decoded: bytes that do not parse go through, as their headers say
    records = [record(e, k, raw=b"\xff not an envelope" if not k % 2 else None) for k, e in enumerate(events)]
    await deliver(follower, records)
    assert await applied(store) == [(stream, 2), (stream, 4)]
    assert await inbox_of(store, stream) == ([2, 4], 5, [])
    assert follower.gaps == []


async def test_skipped_and_acted_redeliveries_change_nothing(store, follower):
    stream, events = stream_of("sas")
    records = [record(e, k) for k, e in enumerate(events)]
    await deliver(follower, records)
    await deliver(follower, records[::-1] + records)
    assert await applied(store) == [(stream, 2)]
    assert await inbox_of(store, stream) == ([2], 3, [])


async def test_a_gap_across_skipped_events_is_detected_and_filled_in_order(store, follower):
    stream, events = stream_of("sssaa")
    v1, v2, v3, v4, v5 = (record(e, k) for k, e in enumerate(events))
    await deliver(follower, [v1, v3])  # v2 missing: v3, though skipped, waits behind it
    assert await inbox_of(store, stream) == ([], 1, [3])
    assert follower.gaps == [(stream, 2, 2)]
    await deliver(follower, [v5, v4])  # acted-on events ahead of the gap are held, not applied
    assert await applied(store) == []
    assert await inbox_of(store, stream) == ([], 1, [3, 4, 5])
    await deliver(follower, [v2])  # the skipped v2 fills the gap: the rest follow in version order
    assert await applied(store) == [(stream, 4), (stream, 5)]
    assert (await inbox_of(store, stream))[1:] == (5, [])


async def test_a_skipped_event_releases_an_acted_successor_held_behind_it(store, follower):
    stream, (skipped, acted) = stream_of("sa")
    other, (other_acted,) = stream_of("a")
    await deliver(follower, [record(acted, 0), record(other_acted, 1)])  # v2 waits for v1
    assert await applied(store) == [(other, 1)]
    assert follower.gaps == [(stream, 1, 1)]
    await deliver(follower, [record(skipped, 2)])
    assert await applied(store) == [(other, 1), (stream, 2)]
    assert await inbox_of(store, stream) == ([2], 2, [])


async def test_records_without_the_headers_are_decoded_as_before(store, follower):
    stream, events = stream_of("sa")
    await deliver(follower, [record(e, k, headers=[]) for k, e in enumerate(events)])
    assert await applied(store) == [(stream, 2)]
    assert await inbox_of(store, stream) == ([1, 2], 2, []), "an old record leaves its inbox row as before"


async def test_through_the_broker_skipped_events_never_block_or_reorder_acted_ones(
    store, follower, bootstrap, unique, tmp_path
):
    streams = [stream_of("sasaasss"), stream_of("ssssa"), stream_of("asas")]
    settings = service_settings(
        "cases", "postgresql://unused", bootstrap, f"ns{unique}", tmp_path, database_schema=store.schema
    )
    consumer = await Consumer(settings, store.pool, ["clues"], "skips", follower).start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for k in range(8):  # interleaved streams, each in version order, with the relay's headers
            for stream, events in streams:
                if k < len(events):
                    e = events[k]
                    await producer.send(consumer.topics[0], e.envelope, key=stream.encode(), headers=record_headers(e))
        await producer.flush()
        want = {(s, e.version) for s, events in streams for e in events if e.event_type == ACTED}
        await wait_until(
            lambda: _done(store, len(want), sum(len(events) for _, events in streams)), 60, "every event stored"
        )
        got = await applied(store)
        assert set(got) == want and len(got) == len(want)
        for s, _ in streams:
            assert [v for st, v in got if st == s] == sorted(v for st, v in want if st == s)
        for s, events in streams:
            acted = [e.version for e in events if e.event_type == ACTED]
            assert await inbox_of(store, s) == (acted, len(events), [])
    finally:
        await producer.stop()
        await consumer.stop()


async def _done(store, acted: int, versions: int) -> bool:
    """Every acted-on event applied and every stream at its last version."""
    s = store.schema
    return (
        await store.pool.fetchval(f"SELECT count(*) FROM {s}.applied") >= acted
        and await store.pool.fetchval(f"SELECT coalesce(sum(version), 0) FROM {s}.inbox_streams") >= versions
    )
