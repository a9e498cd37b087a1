"""Consuming other services' topics: a Faust agent per consumer, held gaps asked for again.

Every record goes to `handle(raw, source)` (which runs the inbox and the consumer's effects in
one transaction), or, for a handler with `record_batch`, up to BATCH records at a time to it (one
transaction per batch: the audit ledger's ingest). Relay markers are skipped and a malformed
record is logged and skipped, so it never blocks its partition. A gap the inbox holds is asked
for from the producing relay at once (`on_gap`) and again by a sweeper while it stays held.
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Protocol

import faust

from kernel import log as klog, topics as topics_mod
from kernel.errors import Validation
from kernel.inbox import Inbox, Source
from kernel.relay import MARKER_KEY
from kernel.republish import HeldGapSweeper, RepublishRequester
from kernel.settings import ServiceSettings, republish_topic

Handle = Callable[[bytes, Source], Awaitable[object]]
HandleBatch = Callable[[list[tuple[bytes, Source]]], Awaitable[object]]
BATCH, BATCH_WITHIN_SECONDS = 1000, 0.05


class Handler(Protocol):
    """What a consumer feeds: `record(raw, source)` runs its inbox (`inbox`) and effects in one
    transaction and calls `on_gap(topic, stream, first, last)` after a held delivery committed."""
    inbox: Inbox
    on_gap: Callable[[str, str, int, int], Awaitable[object]] | None

    async def record(self, raw: bytes, source: Source) -> object: ...


def faust_app(settings: ServiceSettings, topic_names: list[str], handle: Handle, name: str,
              handle_batch: HandleBatch | None = None) -> faust.App:
    """A new App per start (a stopped App cannot restart); its group is `<consumer group>-<name>`."""
    group = f"{settings.consumer_group}-{name}"
    datadir = settings.data_dir / "faust" / group
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        group, broker=f"kafka://{settings.kafka_bootstrap}", web_enabled=False, autodiscover=False,
        datadir=str(datadir), broker_session_timeout=6.0, broker_heartbeat_interval=1.0,
        consumer_auto_offset_reset="earliest", topic_allow_declare=False, topic_disable_leader=True)
    topic = app.topic(*topic_names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    log = klog.get(f"{settings.service}.consumer")

    async def ingest_batches(stream):
        async for events in stream.take_events(BATCH, within=BATCH_WITHIN_SECONDS):
            await handle_batch([(e.message.value, Source(e.message.topic, e.message.partition, e.message.offset))
                                for e in events if e.message.key != MARKER_KEY])

    @app.agent(topic, name=f"{group}-ingest")
    async def ingest(stream):
        if handle_batch is not None:
            return await ingest_batches(stream)
        async for event in stream.events():
            message = event.message
            if message.key == MARKER_KEY:
                continue
            source = Source(message.topic, message.partition, message.offset)
            try:
                await handle(message.value, source)
            except Validation as e:
                log.error("consumer.malformed_record", consumer=name, topic=source.topic,
                          partition=source.partition, offset=source.offset, problem=str(e))
    return app


class Consumer:
    """Lifecycle of one consumer in a service: topics ensured, gap requests, sweeper, Faust app."""

    def __init__(self, settings: ServiceSettings, pool, producers: list[str], name: str, handler: Handler):
        self.settings, self.pool, self.name, self.handler = settings, pool, name, handler
        self.topics = [settings.topic_of(p) for p in producers]
        self.requester = RepublishRequester(settings.kafka_bootstrap, republish_topic(settings.topic_prefix),
                                            requested_by=f"{settings.consumer_group}-{name}")
        handler.on_gap = self.requester.request   # ask for a gap as soon as it is held

    async def start(self) -> "Consumer":
        s = self.settings
        for topic in self.topics:  # consumers wait for topics; creating them with the owner's spec is equivalent
            await asyncio.to_thread(topics_mod.ensure_topic, s.kafka_bootstrap,
                                    topics_mod.TopicSpec(topic, s.topic_partitions, s.replication_factor))
        self.sweeper = HeldGapSweeper(self.handler.inbox, self.pool, self.requester,   # and again while held
                                      interval_seconds=float(s.extra.get("held_sweep_seconds", 5.0)))
        self._sweeper_task = asyncio.create_task(self.sweeper.run(), name=f"{s.service}-{self.name}-sweeper")
        self.app = faust_app(s, self.topics, self.handler.record, self.name,
                             getattr(self.handler, "record_batch", None))
        await self.app.start()
        return self

    async def stop(self) -> None:
        await self.app.stop()
        self.sweeper.stop()
        await asyncio.gather(self._sweeper_task, return_exceptions=True)
        await self.requester.close()
