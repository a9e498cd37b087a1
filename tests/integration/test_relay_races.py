"""The relay's client races (issue 13, point 5), made to happen on purpose.

The real store, the real broker and aiokafka's real clients; the relay module's client classes
are replaced by subclasses that count open clients and can hold `start()` or `send()` at a gate,
so each window is entered deterministically:

1. `republish` (the republish server's task) while run() is inside `_connect()`: it must wait for
   run()'s producer, not open a second one (which leaked: never stopped).
2. run() drops its clients (a broker error) while `republish` is sending: the drop must wait for
   the send to finish, not stop the producer under it.
3. `stop()` while run() is rebuilding the topic: nothing may be opened, sent or written after it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

import kernel.messaging.relay as relay_mod
from kernel.messaging import topics
from kernel.messaging.relay import OutboxRelay
from kernel.messaging.topics import TopicSpec
from tests.integration.test_relay import (
    PARTITIONS,
    append,
    read_topic,
    relay_state,
    stop_relay,
    stored_events,
    wait_caught_up,
)


class Clients:
    """Open clients by kind, the most ever open at once, and gates on start() and send()."""

    def __init__(self):
        self.open: dict[str, set] = {"producer": set(), "consumer": set()}
        self.max_open = {"producer": 0, "consumer": 0}
        self.start_gate = asyncio.Event()
        self.start_gate.set()
        self.starts_waiting = 0
        self.send_gate = asyncio.Event()
        self.send_gate.set()
        self.sends_waiting = 0

    def opened(self, kind, client):
        self.open[kind].add(client)
        self.max_open[kind] = max(self.max_open[kind], len(self.open[kind]))

    async def close_leftovers(self):
        for client in [c for kind in self.open.values() for c in kind]:
            await client.stop()


@pytest.fixture
def clients(monkeypatch):
    tracker = Clients()

    class Producer(AIOKafkaProducer):
        async def start(self):
            tracker.starts_waiting += 1
            await tracker.start_gate.wait()
            tracker.starts_waiting -= 1
            await super().start()
            tracker.opened("producer", self)

        async def stop(self):
            tracker.open["producer"].discard(self)
            await super().stop()

        async def send(self, *args, **kwargs):
            tracker.sends_waiting += 1
            await tracker.send_gate.wait()
            tracker.sends_waiting -= 1
            return await super().send(*args, **kwargs)

    class Consumer(AIOKafkaConsumer):
        async def start(self):
            await super().start()
            tracker.opened("consumer", self)

        async def stop(self):
            tracker.open["consumer"].discard(self)
            await super().stop()

    monkeypatch.setattr(relay_mod, "AIOKafkaProducer", Producer)
    monkeypatch.setattr(relay_mod, "AIOKafkaConsumer", Consumer)
    yield tracker


@pytest.fixture
def spec(unique):
    return TopicSpec(f"t{unique}.races", partitions=PARTITIONS)


async def until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not reached after {timeout} s"
        await asyncio.sleep(0.01)


async def test_republish_during_connect_waits_for_runs_producer(store, bootstrap, spec, clients):
    await append(store, "clue-r", 2)
    relay = OutboxRelay(store, bootstrap, spec, poll_seconds=0.02, marker_check_seconds=0.5)
    clients.start_gate.clear()  # run() will stop inside _connect()
    task = asyncio.create_task(relay.run())
    republish = None
    try:
        await until(lambda: clients.starts_waiting == 1, what="run() inside _connect")
        republish = asyncio.create_task(relay.republish("clue-r"))
        await asyncio.sleep(0.3)  # republish meets the half-open relay
        clients.start_gate.set()
        await asyncio.wait({republish}, timeout=20)
        assert clients.max_open["producer"] == 1, "two producers open at once"
        assert republish.done() and republish.result() == 2
        await wait_caught_up(store, spec, task)
    finally:
        if republish:
            republish.cancel()
        await stop_relay(relay, task)
        leaked = {kind: len(open_) for kind, open_ in clients.open.items()}
        await clients.close_leftovers()
    assert leaked == {"producer": 0, "consumer": 0}, "a client was left open after stop()"


async def test_drop_waits_for_a_republish_in_flight(store, bootstrap, spec, clients):
    await append(store, "clue-r", 3)
    relay = OutboxRelay(store, bootstrap, spec, poll_seconds=0.02, marker_check_seconds=0.5)
    task = asyncio.create_task(relay.run())
    dropping = asyncio.Event()
    drop, publish_batch = relay._drop_clients, relay.publish_batch
    inject, failures = asyncio.Event(), []

    async def drop_spy():
        dropping.set()
        await drop()

    async def failing_publish_batch():  # one broker error, once republish is sending
        if inject.is_set() and not failures:
            failures.append(1)
            raise RuntimeError("injected broker error")
        return await publish_batch()

    relay._drop_clients, relay.publish_batch = drop_spy, failing_publish_batch
    republish = None
    try:
        await wait_caught_up(store, spec, task)
        stored = await stored_events(store)
        clients.send_gate.clear()
        republish = asyncio.create_task(relay.republish("clue-r"))
        await until(lambda: clients.sends_waiting == 1, what="republish sending")
        inject.set()
        try:  # run() drops its clients now, or waits to
            await asyncio.wait_for(dropping.wait(), 1.0)
            await asyncio.sleep(0.3)
        except TimeoutError:
            pass
        clients.send_gate.set()
        assert await asyncio.wait_for(republish, 20) == 3
        records, _ = await read_topic(bootstrap, spec.name, set(stored), quiet=0.5)
        assert Counter(r.event_id for r in records) == {eid: 2 for eid in stored}  # sent, then again
        await until(lambda: failures and dropping.is_set(), what="the injected error handled")
        await wait_caught_up(store, spec, task)  # run() reconnected and goes on
    finally:
        if republish:
            republish.cancel()
        clients.send_gate.set()
        await stop_relay(relay, task)
        await clients.close_leftovers()


async def test_stop_during_rebuild_opens_and_writes_nothing(store, bootstrap, spec, clients, monkeypatch):
    await append(store, "clue-r", 1)
    entered, release = threading.Event(), threading.Event()
    ensure = topics.ensure_topic

    def held_ensure(bootstrap_, spec_):  # runs in a thread: hold the rebuild there
        entered.set()
        release.wait(20)
        return ensure(bootstrap_, spec_)

    monkeypatch.setattr(topics, "ensure_topic", held_ensure)
    relay = OutboxRelay(store, bootstrap, spec, poll_seconds=0.02, marker_check_seconds=0.5)
    task = asyncio.create_task(relay.run())
    try:
        await until(entered.is_set, what="run() inside the rebuild")
        await relay.stop()
        release.set()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 20)
        leaked = {kind: len(open_) for kind, open_ in clients.open.items()}
        _, epoch = await relay_state(store, spec)
    finally:
        release.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await clients.close_leftovers()
    assert leaked == {"producer": 0, "consumer": 0}, "the rebuild opened clients after stop()"
    assert epoch is None or epoch == "", "the rebuild wrote a marker after stop()"
