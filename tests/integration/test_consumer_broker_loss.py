"""A consumer reads a partition again from its start, once, when its watermarks show a new relay
epoch (the broker lost the topic and the relay wrote it anew from offset 0).

Why: a running consumer may resume at its old fetch offset inside the new log, above events it
never read (the ones the broker lost); one fault run lost 63 that way until the ledger's watermark
judge asked for them again. Whether the position survives depends on who reconnects first, the
consumer or the relay, so this test checks the rewind itself (once per new epoch, nothing lost
or doubled) with the ledger's own repair switched off; the fault suite checks the outcome.
"""

import asyncio
import os
import uuid

import pytest

from kernel.domain.clock import FixedClock
from kernel.eventstore.store import EventStore
from kernel.messaging import topics
from kernel.messaging.consumer import Consumer
from kernel.messaging.relay import OutboxRelay
from kernel.runtime.embedded import EmbeddedBroker
from services.audit.app.recorder import Recorder
from tests.factories import clue_event, service_settings, wait_until

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")), reason="restarts a private embedded broker"
)


async def append_new_streams(store: EventStore, n: int) -> None:
    for _ in range(n):
        stream = f"clue-{uuid.uuid4()}"
        async with store.unit_of_work() as uow:
            await uow.append(stream, 0, [clue_event(stream)])


# Known fault, open: with the CPU busy (two or three busy processes on the 2-core machine), the
# consumer sometimes never fetches again after the broker restarts empty: aiokafka re-joins the
# group ("local member_id was not recognized; resetting and re-joining group") and then nothing is
# fetched, even after 240 s (reproduced 5 times in 12 runs under load; it also fails at 249011d,
# before issue 16). Not strict, so a pass still counts: the rewind itself is right whenever the
# consumer fetches. See the session note of issue 16 for what to do.
@pytest.mark.xfail(reason="known: a consumer may stall after an empty broker restart under CPU load", strict=False)
async def test_a_new_relay_epoch_makes_the_consumer_read_the_partition_again_once(
    pool, store, unique, tmp_path, capsys
):
    broker = EmbeddedBroker().start()
    producer = EventStore(pool, f"p_{unique}", FixedClock())
    await producer.migrate()
    settings = service_settings(
        "audit",
        "postgresql://unused",
        broker.bootstrap,
        f"bl{unique}",
        tmp_path,
        database_schema=store.schema,
        topic_partitions=1,
    )
    relay = OutboxRelay(
        producer,
        broker.bootstrap,
        topics.TopicSpec(settings.topic_of("clues"), 1),
        watermark_seconds=0.2,
        marker_check_seconds=0.5,
    )
    task = asyncio.create_task(relay.run())
    recorder = Recorder(store, consumer="ledger")
    await recorder.migrate()
    consumer = await Consumer(settings, store.pool, ["clues"], "ledger", recorder).start()
    recorder.requester = None  # no repair by range: only the rewind may help
    recorded = lambda: store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.recorded_events")  # noqa: E731
    try:
        await append_new_streams(producer, 20)
        await wait_until(lambda: _at_least(recorded, 20), 60, "the first 20 recorded")
        await asyncio.sleep(1)  # watermarks of the first epoch read
        broker.stop()
        await append_new_streams(producer, 40)  # never in the old log
        broker.start()  # empty: the relay writes all 60 anew from offset 0
        await wait_until(lambda: _at_least(recorded, 60), 60, "all 60 recorded")
        await append_new_streams(producer, 5)  # and on: the new epoch's watermarks keep coming
        await wait_until(lambda: _at_least(recorded, 65), 60, "all 65 recorded")
        await asyncio.sleep(1)
        assert await recorded() == 65
    finally:
        await consumer.stop()
        await relay.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        broker.stop()
    rewinds = [line for line in capsys.readouterr().out.splitlines() if "consumer.partition_rewound" in line]
    assert len(rewinds) == 1, rewinds  # the one partition, once for the one new epoch


async def _at_least(count, n: int) -> bool:
    return await count() >= n
