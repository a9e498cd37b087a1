"""The relay and Kafka's size limits, against the real store and the embedded broker.

* A stored event the producer refuses (a relay configured with a max_request_size below the
  envelope bound) makes the relay stuck on it: the events before it are published, nothing after
  it, the cursor stays before it, it is retried slowly, logged once (per minute) with id, stream,
  version, position, size, limit and remedy, and shown as STUCK by `status()`. A relay with a big
  enough limit on the same store then publishes everything, in stream order, the stuck event too.
* A topic reporting a smaller `max.message.bytes` than the spec's is refused: nothing is
  published to it, the relay is STUCK naming found and needed; raising the topic's limit unsticks
  it without a restart. (tansu stores and reports topic configs but enforces none, so a broker-
  side refusal cannot be produced here; that path shares the code of the one tested.)
"""

from __future__ import annotations

import asyncio
import time

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from structlog.testing import capture_logs

from kernel.edge.status import OK, STUCK
from kernel.eventstore.store import EventStore
from kernel.messaging.relay import NotReady, OutboxRelay
from kernel.messaging.topics import TopicSpec
from tests.factories import clue_event
from tests.integration.test_relay import (
    PARTITIONS,
    check_records,
    read_topic,
    relay_state,
    stop_relay,
    stored_events,
    wait_caught_up,
)

BOUND = 327_680  # kafka_message_bytes at the default envelope bound
LOW = 8_192  # a relay configured below it
BIG = 20_000  # summary length of the oversized event (> LOW, < BOUND)


async def append(store: EventStore, stream_id: str, summary: str = "s"):
    async with store.unit_of_work() as uow:
        version = await uow.stream_version(stream_id)
        [event] = await uow.append(stream_id, version, [clue_event(stream_id, summary=summary)])
    return event


async def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"{what} not reached after {timeout} s"
        await asyncio.sleep(0.05)


async def test_oversized_event_stops_the_relay_until_one_with_a_big_enough_limit_runs(store, bootstrap, unique):
    spec = TopicSpec(f"t{unique}.limits", PARTITIONS, max_message_bytes=BOUND)
    a1 = await append(store, "clue-a")
    big = await append(store, "clue-b", "x" * BIG)
    later = [await append(store, "clue-a"), await append(store, "clue-b"), await append(store, "clue-c")]
    stored = await stored_events(store)
    big_position = (await store.read_range("clue-b", 1, 1))[0].position

    low = OutboxRelay(
        store,
        bootstrap,
        spec,
        max_request_size=LOW,
        poll_seconds=0.02,
        marker_check_seconds=0.5,
        stuck_retry_seconds=0.1,
    )
    task = None
    try:
        with capture_logs() as logs:
            task = asyncio.create_task(low.run())

            async def retried_stuck():
                status = await low.status()
                return status.state == STUCK and status.counters["stuck_attempts"] >= 4

            await wait_for(retried_stuck, what="stuck, retried")
            status = await low.status()
    finally:
        await stop_relay(low, task)

    [problem] = status.problems
    assert big.event_id in problem and "clue-b" in problem and f"position {big_position}" in problem
    assert f"at least {BOUND} bytes" in problem
    assert status.counters["stuck_position"] == big_position and status.counters["published"] == 1
    stuck_logs = [e for e in logs if e["event"] == "relay.stuck"]
    assert len(stuck_logs) == 1, "logged once a minute, not at every retry"
    entry = stuck_logs[0]
    assert entry["log_level"] == "error"
    assert (entry["event_id"], entry["stream_id"], entry["version"], entry["position"], entry["limit"]) == (
        big.event_id,
        "clue-b",
        1,
        big_position,
        LOW,
    )
    assert entry["size"] > LOW and "the event is kept" in entry["remedy"]
    assert not [e for e in logs if e["event"] == "relay.broker_error"], "no client churn while stuck"
    cursor, _ = await relay_state(store, spec)
    assert cursor.position < big_position  # the cursor stayed before it
    records, _ = await read_topic(bootstrap, spec.name, {a1.event_id}, quiet=1.0)
    assert [r.event_id for r in records] == [a1.event_id]  # nothing after it went out

    fits = OutboxRelay(store, bootstrap, spec, poll_seconds=0.02, marker_check_seconds=0.5)
    task = asyncio.create_task(fits.run())
    try:
        await wait_caught_up(store, spec, task)
        assert (await fits.status()).state == OK and fits.published == 1 + len(later)
        records, _ = await read_topic(bootstrap, spec.name, set(stored))
    finally:
        await stop_relay(fits, task)
    seen = check_records(records, stored)  # stream order, byte-identical
    assert set(seen) == set(stored)
    b_order = [r.event_id for r in records if r.key == b"clue-b"]
    assert b_order == [big.event_id, later[1].event_id]


async def test_topic_with_a_smaller_limit_is_refused_until_raised(store, bootstrap, unique):
    spec = TopicSpec(f"t{unique}.limits", PARTITIONS, max_message_bytes=BOUND)
    with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        admin.create_topics(
            {
                spec.name: {
                    "num_partitions": PARTITIONS,
                    "replication_factor": 1,
                    "configs": {"max.message.bytes": "4096"},
                }
            }
        )
    events = [await append(store, f"clue-{i}") for i in range(3)]
    relay = OutboxRelay(
        store,
        bootstrap,
        spec,
        poll_seconds=0.02,
        marker_check_seconds=0.2,
        stuck_retry_seconds=0.1,
        ready_wait_seconds=0.3,
    )
    task = None
    try:
        with capture_logs() as logs:
            task = asyncio.create_task(relay.run())

            async def refused():
                status = await relay.status()
                return status.state == STUCK and status.counters["stuck_attempts"] >= 3

            await wait_for(refused, what="topic refused")
        [problem] = (await relay.status()).problems
        assert "max.message.bytes=4096" in problem and f"at least {BOUND}" in problem
        [logged] = [e for e in logs if e["event"] == "relay.topic_refused"]
        assert logged["log_level"] == "error" and logged["needed"] == BOUND
        assert relay.published == 0
        with pytest.raises(NotReady):  # republish sends nothing either
            await relay.republish("clue-0")
        records, _ = await read_topic(bootstrap, spec.name, set(), quiet=0.5)
        assert records == []

        with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:  # the operator raises the limit
            admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, spec.name, configs={"max.message.bytes": str(BOUND)})]
            )
        await wait_caught_up(store, spec, task)
        assert (await relay.status()).state == OK and relay.published == len(events)
    finally:
        await stop_relay(relay, task)
