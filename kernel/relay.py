"""Outbox relay: publishes committed events from the store to the service's topic.

* The stored envelope bytes go out unchanged (key = stream id, so a stream stays in one
  partition and in order); Kafka headers repeat event id, type and correlation id.
* At least once, never skipping: the cursor (see `kernel.store`) advances only after the broker
  acknowledged the whole batch; a crash in between republishes, and consumers de-duplicate.
* Broker loss is detected by a marker record this relay wrote (its epoch, at a remembered
  partition-0 offset), never by end offsets (the embedded broker misreports them). If the topic
  or the marker is gone, the relay recreates the topic, writes a new marker and republishes the
  whole store.
* A broker outage never fails a command: the store commits, the relay retries and catches up.
"""
from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from kernel import envelope as env_mod
from kernel import log as klog
from kernel import topics
from kernel.status import Component
from kernel.store import Cursor, EventStore, StoredEvent

MARKER_KEY = b"__relay_marker__"


class OutboxRelay:
    def __init__(self, store: EventStore, bootstrap: str, spec: "topics.TopicSpec", *,
                 poll_seconds: float = 0.05, marker_check_seconds: float = 2.0, batch_size: int = 500):
        self.store, self.bootstrap, self.spec = store, bootstrap, spec
        self.poll_seconds, self.marker_check_seconds, self.batch_size = poll_seconds, marker_check_seconds, batch_size
        self.log = klog.get("relay").bind(topic=spec.name, schema=store.schema)
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._next_marker_check = 0.0
        self._stopping = asyncio.Event()
        self.published = 0
        self.republishes = 0
        self._verified = False

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.store.pool.execute(
            f"INSERT INTO {self.store.schema}.relay_cursor (topic) VALUES ($1) ON CONFLICT DO NOTHING",
            self.spec.name)

    async def stop(self) -> None:
        self._stopping.set()
        for client in (self._producer, self._consumer):
            if client is not None:
                try:
                    await client.stop()
                except Exception:  # noqa: BLE001 - stopping a client on a dead broker
                    pass
        self._producer = self._consumer = None

    async def run(self) -> None:
        """Publish until stopped; any broker error drops the clients and retries with backoff."""
        await self.start()
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                await self._connect()
                if time.monotonic() >= self._next_marker_check:
                    await self.check_marker()
                if await self.publish_batch() == 0:
                    await self._sleep(self.poll_seconds)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - broker trouble: reconnect, re-check the marker
                self.log.warning("relay.broker_error", error=f"{type(e).__name__}: {e}", retry_in=backoff)
                await self._drop_clients()
                self._next_marker_check = 0.0
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    async def _connect(self) -> None:
        if self._producer is None:
            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=2,
                                        enable_idempotence=False, request_timeout_ms=10000)
            await producer.start()
            self._producer = producer
        if self._consumer is None:
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                        enable_auto_commit=False, auto_offset_reset="none")
            await consumer.start()
            self._consumer = consumer

    async def _drop_clients(self) -> None:
        producer, consumer, self._producer, self._consumer = self._producer, self._consumer, None, None
        for client in (producer, consumer):
            if client is not None:
                try:
                    await asyncio.wait_for(client.stop(), timeout=5)
                except Exception:  # noqa: BLE001
                    pass

    async def status(self) -> Component:
        return Component(name=f"relay {self.spec.name}",
                         counters={"published": self.published, "republishes": self.republishes})

    # -- cursor ------------------------------------------------------------------------------
    async def _cursor(self) -> tuple[Cursor, str]:
        row = await self.store.pool.fetchrow(
            f"SELECT order_key, position, epoch FROM {self.store.schema}.relay_cursor WHERE topic = $1",
            self.spec.name)
        return Cursor(int(row["order_key"]), row["position"]), row["epoch"]

    async def _save_cursor(self, cursor: Cursor, count: int) -> None:
        await self.store.pool.execute(
            f"UPDATE {self.store.schema}.relay_cursor SET order_key = $2, position = $3, "
            f"published = published + $4, updated_at = now() WHERE topic = $1",
            self.spec.name, cursor.order_key, cursor.position, count)

    # -- publishing --------------------------------------------------------------------------
    async def publish_batch(self) -> int:
        cursor, _ = await self._cursor()
        events = await self.store.read_all(cursor, self.batch_size)
        if not events:
            return 0
        await self._send(events)
        await self._save_cursor(events[-1].cursor, len(events))
        self.published += len(events)
        self.log.info("relay.published", count=len(events), last_position=events[-1].position)
        return len(events)

    async def _send(self, events: list[StoredEvent]) -> None:
        futures = []
        for e in events:
            headers = env_mod.kafka_headers(env_mod.parse(e.envelope))
            futures.append(await self._producer.send(
                self.spec.name, value=e.envelope, key=e.stream_id.encode(), headers=headers))
        await asyncio.gather(*futures)

    async def republish(self, stream_id: str, first: int = 1, last: int | None = None) -> int:
        """Publish a stream (or a version range of it) again, e.g. when a consumer saw a gap."""
        events = await self.store.read_range(stream_id, first, last)
        if events:
            await self._connect()
            await self._send(events)
        self.log.info("relay.republished", stream_id=stream_id, first=first, last=last, count=len(events))
        return len(events)

    # -- broker-loss detection ---------------------------------------------------------------
    async def check_marker(self) -> bool:
        """True if our marker is still where we wrote it; else rebuild the topic from the store."""
        self._next_marker_check = time.monotonic() + self.marker_check_seconds
        _, epoch = await self._cursor()
        if epoch and await self._marker_present(epoch):
            if not self._verified:   # start-up check of an existing topic's configuration
                await self._verify_topic()
            return True
        if self._stopping.is_set():
            # stop() closed the consumer under the read, which then comes back empty: that says
            # nothing about the topic, and a rebuild would reset the cursor (a whole-store
            # republish) and open clients after stop().
            return False
        await self._rebuild_topic(lost=bool(epoch))
        return False

    async def _marker_present(self, epoch: str) -> bool:
        marker_id, _, offset = epoch.partition("@")
        count = await asyncio.to_thread(topics.partition_count, self.bootstrap, self.spec.name)
        if count != self.spec.partitions:
            return False
        tp = TopicPartition(self.spec.name, 0)
        self._consumer.assign([tp])
        self._consumer.seek(tp, int(offset))
        try:
            batch = await self._consumer.getmany(tp, timeout_ms=3000, max_records=1)
        except Exception:  # noqa: BLE001 - offset out of range: the marker's log is gone
            return False
        records = batch.get(tp, [])
        return bool(records) and records[0].key == MARKER_KEY and records[0].value == marker_id.encode()

    async def _verify_topic(self) -> None:
        for problem in await asyncio.to_thread(topics.verify_topic, self.bootstrap, self.spec):
            self.log.error("relay.topic_misconfigured", problem=problem)
        self._verified = True

    async def _rebuild_topic(self, lost: bool) -> None:
        # Fresh clients around the rebuild: the old producer's cached metadata may describe a topic
        # we are about to delete (e.g. one a client auto-created with the broker's default partition
        # count after an empty restart); it would keep partitioning by that count, and tansu acks
        # records sent to a partition the recreated topic does not have: lost, cursor advanced.
        # Dropping the consumer first also stops its fetches from auto-creating the topic again.
        await self._drop_clients()
        count = await asyncio.to_thread(topics.partition_count, self.bootstrap, self.spec.name)
        if count is not None and count != self.spec.partitions:
            self.log.warning("relay.topic_wrong_partitions", found=count, wanted=self.spec.partitions)
            await asyncio.to_thread(topics.delete_topic, self.bootstrap, self.spec.name)
        await asyncio.to_thread(topics.ensure_topic, self.bootstrap, self.spec)
        await self._verify_topic()
        await self._connect()
        marker_id = uuid.uuid4().hex
        meta = await self._producer.send_and_wait(self.spec.name, value=marker_id.encode(), key=MARKER_KEY,
                                                  partition=0, headers=[("relay-marker", b"1")])
        await self.store.pool.execute(
            f"UPDATE {self.store.schema}.relay_cursor SET order_key = '0', position = 0, epoch = $2, "
            f"updated_at = now() WHERE topic = $1", self.spec.name, f"{marker_id}@{meta.offset}")
        if lost:
            self.republishes += 1
            self.log.warning("relay.topic_lost", action="recreated topic; republishing the whole store")
        else:
            self.log.info("relay.topic_ready", partitions=self.spec.partitions)
