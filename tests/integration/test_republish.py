"""Republish on request, against a real PostgreSQL and the real embedded broker:

consumer (audit Recorder + inbox) holds a gap -> RepublishRequester -> control topic ->
RepublishServer -> OutboxRelay.republish -> event topic -> consumer fills the gap.

Topics are read with group-less consumers (assign + seek): tansu holds group joins for seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from contextlib import asynccontextmanager

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from kernel.domain.clock import FixedClock
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.store import EventStore
from kernel.messaging import topics
from kernel.messaging.inbox import Source
from kernel.messaging.relay import MARKER_KEY, NotReady, OutboxRelay
from kernel.messaging.republish import (
    HeldGapSweeper,
    RepublishRequest,
    RepublishRequester,
    RepublishServer,
    rerequest_held,
)
from kernel.messaging.watermark import WATERMARK_KEY
from kernel.runtime.embedded import EmbeddedBroker, free_port
from kernel.runtime.settings import republish_topic, topic_name
from services.audit.app.recorder import Recorder
from tests.factories import clue_event, wait_until

PARTITIONS = 3
needs_private_broker = pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
    reason="restarts a private embedded broker; not possible against a real Kafka",
)


class TopicReader:
    """A group-less consumer over every partition of a topic, from the beginning."""

    def __init__(self, bootstrap: str, topic: str, partitions: int):
        self.bootstrap, self.topic, self.partitions = bootstrap, topic, partitions

    async def __aenter__(self):
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await self.consumer.start()
        tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        return self

    async def __aexit__(self, *exc):
        await self.consumer.stop()

    async def until(self, predicate, seconds: float = 20.0) -> list:
        """Records (markers and watermarks skipped) read until `predicate(all records so far)` holds."""
        got: list = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            batch = await self.consumer.getmany(timeout_ms=200)
            got += [r for recs in batch.values() for r in recs if r.key not in (MARKER_KEY, WATERMARK_KEY)]
            if predicate(got):
                return got
        raise AssertionError(f"{self.topic}: condition not met in {seconds} s; read {len(got)} records")


def of_stream(records, stream_id):
    return [r for r in records if r.key == stream_id.encode()]


def version(record) -> int:
    return env_mod.parse(record.value).version


def source(record) -> Source:
    return Source(record.topic, record.partition, record.offset)


@asynccontextmanager
async def producer_side(pool, bootstrap, unique, prefix, *, start_server: bool = True):
    """A producing service's store with an OutboxRelay and (optionally) a RepublishServer."""
    store = EventStore(pool, f"p_{unique}", FixedClock())
    await store.migrate()
    relay = OutboxRelay(
        store,
        bootstrap,
        topics.TopicSpec(topic_name("clues", prefix), PARTITIONS),
        poll_seconds=0.05,
        marker_check_seconds=1.0,
    )
    server = RepublishServer(relay, bootstrap, republish_topic(prefix))
    calls = []
    real = relay.republish

    async def spy(stream_id, first=1, last=None):
        calls.append((stream_id, first, last))
        return await real(stream_id, first, last)

    relay.republish = spy
    tasks = [asyncio.create_task(relay.run())]
    if start_server:
        tasks.append(asyncio.create_task(server.run()))
    try:
        yield store, relay, server, calls, tasks
    finally:
        await server.stop()
        await relay.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def append_stream(store, stream_id: str, n: int) -> list[bytes]:
    for v in range(1, n + 1):
        async with store.unit_of_work() as uow:
            await uow.append(stream_id, v - 1, [clue_event(stream_id, summary=f"v{v}")])
    return [e.envelope for e in await store.read_stream(stream_id)]


async def consumer_side(pool, unique, requester):
    store = EventStore(pool, f"c_{unique}", FixedClock())
    await store.migrate()
    recorder = Recorder(store, consumer="test-audit", on_gap=requester.request)
    await recorder.migrate()
    return store, recorder


async def recorded_versions(recorder, stream_id):
    return [env_mod.parse(bytes(r["envelope"])).version for r in await recorder.stream_history(stream_id)]


async def held_versions(recorder, stream_id):
    rows = await recorder.store.pool.fetch(
        f"SELECT version FROM {recorder.store.schema}.inbox_held WHERE stream_id = $1 ORDER BY version", stream_id
    )
    return [r["version"] for r in rows]


# -- the request ---------------------------------------------------------------------------


def test_request_round_trips_as_json_keyed_by_topic():
    req = RepublishRequest("t.clues.events.v1", "clue-1", 2, 4, "audit")
    assert json.loads(req.encode()) == {
        "topic": "t.clues.events.v1",
        "stream_id": "clue-1",
        "first": 2,
        "last": 4,
        "requested_by": "audit",
    }
    assert req.key == b"t.clues.events.v1"
    assert RepublishRequest.decode(req.encode()) == req


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"topic": "t"}',
        b'{"topic": "t", "stream_id": "s", "first": 3, "last": 2}',
        b'{"topic": "t", "stream_id": "s", "first": 0, "last": 2}',
        b'{"topic": "", "stream_id": "s", "first": 1, "last": 2}',
    ],
)
def test_malformed_requests_are_refused(raw):
    with pytest.raises(ValueError):
        RepublishRequest.decode(raw)


# -- end to end ----------------------------------------------------------------------------


async def test_gap_is_requested_and_the_republished_version_fills_it(pool, bootstrap, unique):
    prefix = f"t{unique}."
    topic, control = topic_name("clues", prefix), republish_topic(prefix)
    stream = f"clue-{unique}"
    requester = RepublishRequester(bootstrap, control, requested_by="test-audit")
    async with producer_side(pool, bootstrap, unique, prefix) as (store, relay, server, calls, _):
        v1, v2, v3 = await append_stream(store, stream, 3)
        await asyncio.wait_for(server.ready.wait(), 20)
        _, recorder = await consumer_side(pool, unique, requester)

        async with TopicReader(bootstrap, topic, PARTITIONS) as reader:
            first_pass = of_stream(await reader.until(lambda rs: len(of_stream(rs, stream)) >= 3), stream)
            assert [r.value for r in first_pass] == [v1, v2, v3]  # published unchanged, in order
            r1, _, r3 = first_pass

            # The consumer gets v1 and then v3: v2 never reached it.
            assert await recorder.record(r1.value, source(r1)) == 1
            assert await recorder.record(r3.value, source(r3)) == 0
            assert await held_versions(recorder, stream) == [3]
            assert recorder.gaps == [(stream, 2, 2)]
            assert requester.sent == 1  # asked at once, by the recorder

            # The producer's relay serves the request: v2 comes again, after v3, in the same partition.
            again = of_stream(await reader.until(lambda rs: of_stream(rs, stream)), stream)
            assert [version(r) for r in again] == [2]
            republished = again[0]
            assert republished.value == v2 and republished.partition == r3.partition
            assert republished.offset > r3.offset
            assert calls == [(stream, 2, 2)] and server.served == 1

            assert await recorder.record(republished.value, source(republished)) == 2  # v2 and the held v3

        assert await recorded_versions(recorder, stream) == [1, 2, 3]
        assert [bytes(r["envelope"]) for r in await recorder.stream_history(stream)] == [v1, v2, v3]
        assert await held_versions(recorder, stream) == []
        async with pool.acquire() as conn:
            assert await recorder.inbox.held_gaps(conn) == []

        # The request itself, as it stands on the control topic.
        async with TopicReader(bootstrap, control, 1) as reader:
            requests = await reader.until(lambda rs: rs)
        assert requests[0].key == topic.encode()
        assert RepublishRequest.decode(requests[0].value) == RepublishRequest(topic, stream, 2, 2, "test-audit")
    await requester.close()


async def test_gap_held_before_the_server_started_is_asked_again_by_the_sweeper(pool, bootstrap, unique):
    """The server starts at the end of the control topic, so a request sent while no server ran
    is never served; the held gap is re-requested and then served. Requests for another topic
    are left alone."""
    prefix = f"t{unique}."
    topic, control = topic_name("clues", prefix), republish_topic(prefix)
    stream = f"clue-{unique}"
    requester = RepublishRequester(bootstrap, control, requested_by="test-audit", repeat_after_seconds=0)
    async with producer_side(pool, bootstrap, unique, prefix, start_server=False) as (
        store,
        relay,
        server,
        calls,
        tasks,
    ):
        await append_stream(store, stream, 4)
        _, recorder = await consumer_side(pool, unique, requester)
        async with TopicReader(bootstrap, topic, PARTITIONS) as reader:
            r1, r2, r3, r4 = of_stream(await reader.until(lambda rs: len(of_stream(rs, stream)) >= 4), stream)
            await recorder.record(r1.value, source(r1))
            await recorder.record(r3.value, source(r3))
            await recorder.record(r4.value, source(r4))
            assert requester.sent == 2  # (2, 2) then (2, 3): nobody listening yet

            tasks.append(asyncio.create_task(server.run()))
            await asyncio.wait_for(server.ready.wait(), 20)
            await asyncio.sleep(0.5)
            assert calls == []  # the earlier requests are not served
            assert await requester.request("t-other.events.v1", stream, 2, 2)  # not this relay's topic

            sweeper = HeldGapSweeper(recorder.inbox, pool, requester, interval_seconds=0.2)
            sweep = asyncio.create_task(sweeper.run())
            try:
                again = of_stream(await reader.until(lambda rs: of_stream(rs, stream)), stream)
            finally:
                sweeper.stop()
                await sweep
            assert version(again[0]) == 2 and again[0].value == r2.value
            assert calls[0] == (stream, 2, 2)  # the held gap from the inbox: v3, v4 are held
            assert server.ignored >= 1
            assert await recorder.record(again[0].value, source(again[0])) == 3

        assert await recorded_versions(recorder, stream) == [1, 2, 3, 4]
        assert await held_versions(recorder, stream) == []
        assert await rerequest_held(recorder.inbox, pool, requester) == 0  # nothing left to ask
    await requester.close()


async def test_requester_never_raises_when_the_broker_is_unreachable(unique):
    requester = RepublishRequester(
        f"127.0.0.1:{free_port()}", f"t{unique}.relay.republish.v1", "test", timeout_seconds=1.0
    )
    started = time.monotonic()
    assert await requester.request("t.clues.events.v1", "clue-x", 2, 2) is False
    assert time.monotonic() - started < 5
    assert requester.failed == 1 and requester.sent == 0
    await requester.close()


@needs_private_broker
async def test_server_keeps_serving_after_the_broker_restarts_empty(pool, unique, tmp_path):
    broker = await asyncio.to_thread(EmbeddedBroker().start)
    try:
        bootstrap, prefix = broker.bootstrap, f"t{unique}."
        topic, control = topic_name("clues", prefix), republish_topic(prefix)
        stream = f"clue-{unique}"
        requester = RepublishRequester(
            bootstrap, control, requested_by="test-audit", timeout_seconds=5, repeat_after_seconds=0
        )
        async with producer_side(pool, bootstrap, unique, prefix) as (store, relay, server, calls, _):
            await append_stream(store, stream, 2)
            await asyncio.wait_for(server.ready.wait(), 20)
            assert await requester.request(topic, stream, 1, 1)
            await wait_until(lambda: _true(calls), what="a first request served")

            await asyncio.to_thread(broker.restart_empty)  # every topic and offset is gone
            calls.clear()

            async def served_again():
                await requester.request(topic, stream, 2, 2)  # never raises, may fail for a while
                await asyncio.sleep(0.3)
                return (stream, 2, 2) in calls

            await wait_until(served_again, seconds=60, what="a request served after the broker restart")
            async with TopicReader(bootstrap, topic, PARTITIONS) as reader:
                await reader.until(lambda rs: 2 in [version(r) for r in of_stream(rs, stream)])
        await requester.close()
    finally:
        await asyncio.to_thread(broker.stop)


async def _true(value) -> bool:
    return bool(value)


@pytest.mark.parametrize("error", [NotReady("relay not connected"), RuntimeError("broker hiccup")])
async def test_a_relay_not_ready_is_not_asked_again_at_once(error):
    """NotReady already waited for the relay: the consumer's next ask is the retry. Other errors
    are retried right away. (No broker: the server's serving step alone.)"""
    calls = []

    class Relay:
        spec = topics.TopicSpec("t.events.v1", 1)

        async def republish(self, *args):
            calls.append(args)
            raise error

    server = RepublishServer(Relay(), "127.0.0.1:1", "t.relay.republish.v1")
    await server._republish(RepublishRequest("t.events.v1", "clue-1", 2, 3, "test"))
    assert len(calls) == (1 if isinstance(error, NotReady) else server.attempts) and server.served == 0
