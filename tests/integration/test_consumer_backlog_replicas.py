"""The consumer backlog is the group's (issue 28): two consumers of one group on one schema (as
two replicas of a service) share the topic's partitions, and each reports the whole group's
backlog, from the producers' watermarks and what the store records as passed per partition,
never from Kafka end offsets."""

import asyncio
import dataclasses

from kernel.messaging.backlog import Backlog
from kernel.messaging.consumer import Consumer
from kernel.messaging.watermark import Position, Watermark
from tests.factories import wait_until
from tests.integration.test_consumer_backlog import GatedRecorder, _equal, _running, append_new_streams


async def test_issue28_each_of_two_consumers_of_one_group_reports_the_groups_backlog(
    pool, store, bootstrap, unique, tmp_path
):
    producer, settings, topic, relay, task, first, a, recorded = await _running(
        pool, store, bootstrap, f"br{unique}", tmp_path
    )
    second = GatedRecorder(store, consumer="ledger")
    other = tmp_path / "replica"
    other.mkdir()
    b = await Consumer(dataclasses.replace(settings, data_dir=other), store.pool, ["clues"], "ledger", second).start()

    async def both(n: int) -> bool:
        figures = [(await c.status()).counters for c in (a, b)]
        return all(f.get(f"backlog {topic}") == n and f.get("backlog") == n for f in figures)

    async def shared() -> bool:
        return all(c.app.consumer.assignment() for c in (a, b))

    try:
        await wait_until(shared, 90, "the two consumers sharing the partitions")
        await append_new_streams(producer, 6)
        await wait_until(lambda: _equal(recorded, 6), 60, "the first 6 recorded")
        await wait_until(lambda: both(0), 60, "backlog 0 on both once the watermarks are passed")

        for r in (first, second):
            r.gate.clear()  # the group stalls
        await append_new_streams(producer, 10)
        await wait_until(lambda: both(10), 60, "backlog 10 on both while the group stalls")
        assert await recorded() == 6

        for r in (first, second):
            r.gate.set()
        await wait_until(lambda: both(0), 60, "backlog 0 on both once caught up")
        assert await recorded() == 16
    finally:
        for r in (first, second):
            r.gate.set()
        for c in (a, b):
            await c.stop()
        await relay.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_issue28_a_partition_row_moves_only_forward_and_follows_a_rebalance(store):
    """A replica that lost a partition at a rebalance cannot overwrite its new holder's row; the
    new holder loads the row and counts on from it; any replica's figure is the group's."""
    topic, consumer = "p.clues.events.v1", "ledger"
    a, b = (Backlog([topic], store.pool, store.schema, consumer) for _ in range(2))
    await a.load()

    def mark(count: int) -> bytes:
        return Watermark(topic, "e1", Position(1, count), count, 2).encode()

    for p in (0, 1):  # a held both partitions and passed the watermark of 10 on each
        a.passed(topic, p, mark(10))
        await a.keep(topic, p)
    await b.load({(topic, 1)})  # the rebalance gives partition 1 to b
    b.passed(topic, 1, mark(20))
    await b.keep(topic, 1)
    for _ in range(3):
        a.stored(topic, 1)  # a's stale view of partition 1, kept after b's
    await a.keep(topic, 1)
    a.see(topic, Watermark.decode(mark(30)))
    b.see(topic, Watermark.decode(mark(30)))
    a.stored(topic, 0)
    # 10 passed everywhere, 1 stored after it on p0, none after it on p1 (a's stale 3 refused)
    expected = {f"backlog {topic}": 30 - 10 - 1, "backlog": 19}
    assert await a.group_counters() == await b.group_counters() == expected

    await a.load({(topic, 0)})  # a's own rebalance: it forgets partition 1
    assert set(a._parts) == {(topic, 0)}
