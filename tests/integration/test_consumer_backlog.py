"""A consumer's backlog from the producers' watermarks (issue 28 point 1: `jjjc status` shows each
consumer's backlog, never from Kafka end offsets): the consumer stalls, the producer publishes N
events and a watermark, and the consumer's status says `backlog N` for that topic; once it goes on
and has read the next watermark everywhere, `backlog 0`. The same across a restart: a consumer stopped while the producer publishes N starts
again with `backlog N` (what it passed before is kept in its store)."""

import asyncio
import uuid

from kernel.eventstore.store import EventStore
from kernel.messaging import topics
from kernel.messaging.consumer import Consumer
from kernel.messaging.relay import OutboxRelay
from services.audit.app.recorder import Recorder
from tests.factories import clue_event, service_settings, wait_until

PARTITIONS = 2


class GatedRecorder(Recorder):
    """The ledger's recorder, stalled while its gate is closed (a consumer that cannot keep up)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = asyncio.Event()
        self.gate.set()

    async def record_batch(self, deliveries):
        await self.gate.wait()
        return await super().record_batch(deliveries)


async def append_new_streams(store: EventStore, n: int) -> None:
    for _ in range(n):
        stream = f"clue-{uuid.uuid4()}"
        async with store.unit_of_work() as uow:
            await uow.append(stream, 0, [clue_event(stream)])


async def test_issue28_a_stalled_consumer_shows_the_producers_new_events_as_its_backlog_then_zero(
    pool, store, bootstrap, unique, tmp_path
):
    producer, settings, topic, relay, task, recorder, consumer, recorded = await _running(
        pool, store, bootstrap, f"bk{unique}", tmp_path
    )

    async def backlog_is(n: int) -> bool:
        counters = (await consumer.status()).counters
        return counters.get(f"backlog {topic}") == n and counters.get("backlog") == n

    try:
        await append_new_streams(producer, 3)
        await wait_until(lambda: _equal(recorded, 3), 60, "the first 3 recorded")
        await wait_until(lambda: backlog_is(0), 60, "backlog 0 once the watermark is read on every partition")

        recorder.gate.clear()  # the consumer stalls
        await append_new_streams(producer, 10)
        await wait_until(lambda: backlog_is(10), 60, "backlog 10 while the consumer stalls")
        assert await recorded() == 3

        recorder.gate.set()  # and goes on
        await wait_until(lambda: backlog_is(0), 60, "backlog 0 once caught up")
        assert await recorded() == 13
    finally:
        await consumer.stop()
        await relay.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_issue28_a_consumer_stopped_while_events_are_published_starts_again_with_them_as_its_backlog(
    pool, store, bootstrap, unique, tmp_path
):
    producer, settings, topic, relay, task, recorder, consumer, recorded = await _running(
        pool, store, bootstrap, f"bs{unique}", tmp_path
    )

    async def backlog_is(n: int) -> bool:
        return (await consumer.status()).counters.get(f"backlog {topic}") == n

    try:
        await append_new_streams(producer, 4)
        await wait_until(lambda: _equal(recorded, 4), 60, "the first 4 recorded")
        await wait_until(lambda: backlog_is(0), 60, "backlog 0 once the watermark is read on every partition")
        await consumer.stop()

        await append_new_streams(producer, 7)  # while no consumer runs
        recorder = GatedRecorder(store, consumer="ledger")
        recorder.gate.clear()  # it starts, and stalls on the first batch
        consumer = await Consumer(settings, store.pool, ["clues"], "ledger", recorder).start()
        await wait_until(lambda: backlog_is(7), 60, "backlog 7 after the restart")
        assert await recorded() == 4

        recorder.gate.set()
        await wait_until(lambda: backlog_is(0), 60, "backlog 0 once caught up")
        assert await recorded() == 11
    finally:
        recorder.gate.set()
        await consumer.stop()
        await relay.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _equal(count, n: int) -> bool:
    return await count() == n


async def _running(pool, store, bootstrap, prefix: str, tmp_path):
    """A producer's store with its relay publishing, and the ledger's consumer of it on `store`."""
    producer = EventStore(pool, f"p_{prefix}", store.clock)
    await producer.migrate()
    settings = service_settings(
        "audit",
        "postgresql://unused",
        bootstrap,
        prefix,
        tmp_path,
        database_schema=store.schema,
        topic_partitions=PARTITIONS,
    )
    topic = settings.topic_of("clues")
    relay = OutboxRelay(
        producer, bootstrap, topics.TopicSpec(topic, PARTITIONS), watermark_seconds=0.2, marker_check_seconds=0.5
    )
    task = asyncio.create_task(relay.run())
    recorder = GatedRecorder(store, consumer="ledger")
    await recorder.migrate()
    consumer = await Consumer(settings, store.pool, ["clues"], "ledger", recorder).start()
    recorded = lambda: store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.recorded_events")  # noqa: E731
    return producer, settings, topic, relay, task, recorder, consumer, recorded
