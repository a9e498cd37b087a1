"""Consuming other services' topics: a Faust agent per consumer that never moves past what its
store does not hold; held gaps asked for again.

Records are taken without acknowledgement (`noack_take`), up to BATCH at a time, and handed to
`kernel.messaging.delivery.Delivery`, which returns only when each is durably in the consumer's store
(applied, held, a duplicate, or kept in quarantine with its error); only then are they
acknowledged, so Kafka offsets are committed only for stored records. A crash, a cancellation or
a rebalance in between acknowledges nothing: the records come again and the inbox makes the
repeat harmless. (Faust's `take_events` acknowledges a batch even when its processing raised:
that is how the ledger lost events when PostgreSQL restarted.)

A handler with `record_batch` gets a whole batch in one transaction (the audit ledger's ingest);
otherwise each record is delivered alone through `record`, except that a handler naming the event
types it acts on (`event_types`, see `kernel.messaging.follower`) gets each run of other records,
known by their headers and never decoded, in one `pass_by` (issue 30). Relay markers are acknowledged unread;
watermarks go to `on_watermark` (and a new relay epoch on a partition makes it read again).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Protocol

import faust

from kernel.edge.status import Component, StatusBoard
from kernel.eventstore.envelope import STREAM_HEADER, TYPE_HEADER
from kernel.messaging import fetch_wait, topics as topics_mod
from kernel.messaging.backlog import Backlog
from kernel.messaging.delivery import Delivery, Policy, Record
from kernel.messaging.inbox import VERSION_HEADER, Inbox, Source
from kernel.messaging.relay import MARKER_KEY
from kernel.messaging.republish import HeldGapSweeper, RepublishRequester
from kernel.messaging.watermark import WATERMARK_KEY, Watermark, position_of
from kernel.runtime import log as klog
from kernel.runtime.settings import ServiceSettings, republish_topic

# A batch closes when full or when this window ends (Faust's take: one batch, one transaction);
# idle, a record waits for the window's end: at most 20 ms (issue 30; ServiceSettings.relay_poll_seconds).
BATCH, BATCH_WITHIN_SECONDS = 1000, 0.02


class Handler(Protocol):
    """What a consumer feeds: `record(raw, source)` runs its inbox (`inbox`) and effects in one
    transaction and calls `on_gap(topic, stream, first, last)` after a held delivery committed;
    optionally `record_batch(records)` does the same for many in one transaction, and
    `on_watermark(raw, source)` takes a relay's watermark (`kernel.messaging.watermark`) once the records
    before it on its partition are stored; it must not raise."""

    inbox: Inbox
    on_gap: Callable[[str, str, int, int], Awaitable[object]] | None

    async def record(self, raw: bytes, source: Source) -> object: ...


def faust_app(
    settings: ServiceSettings,
    topic_names: list[str],
    delivery: Delivery,
    name: str,
    batched: bool,
    on_fatal: Callable[[], object],
    on_watermark: Callable[[bytes, Source], Awaitable[object]] | None = None,
    backlog: Backlog | None = None,
    skips: Callable[[Source], bool] = lambda source: False,
) -> faust.App:
    """A new App per start (a stopped App cannot restart); its group is `<consumer group>-<name>`.
    Fetch sizes allow the largest event the producers may store (`kafka_message_bytes`)."""
    group = f"{settings.consumer_group}-{name}"
    datadir = settings.data_dir / "faust" / group
    datadir.mkdir(parents=True, exist_ok=True)
    app = fetch_wait.App(
        group,
        fetch_wait_seconds=settings.consumer_fetch_wait_seconds,
        broker=f"kafka://{settings.kafka_bootstrap}",
        web_enabled=False,
        autodiscover=False,
        datadir=str(datadir),
        broker_session_timeout=settings.consumer_session_seconds,
        broker_heartbeat_interval=1.0,
        broker_max_poll_interval=settings.consumer_max_poll_seconds,
        consumer_auto_offset_reset="earliest",
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_max_fetch_size=max(settings.kafka_message_bytes, 1024**2),
        broker_commit_interval=settings.consumer_commit_seconds,
        # Never wait at a rebalance or stop for records still being stored: they are not
        # acknowledged, so they come again after it.
        stream_wait_empty=False,
    )
    topic = app.topic(*topic_names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

    epochs: dict = {}  # partition -> the relay epochs its watermarks said
    if backlog is not None:  # replicas share the partitions: each keeps the backlog of those it holds

        async def held(sender, assigned, **_):
            await backlog.load({(tp.topic, tp.partition) for tp in assigned})

        app.on_partitions_assigned.connect(held)

    @app.agent(topic, name=f"{group}-ingest")
    async def ingest(stream):
        try:
            async for events in stream.noack_take(BATCH, within=BATCH_WITHIN_SECONDS):
                records = [
                    (e.message.value, _source(e.message))
                    for e in events
                    if e.message.key not in (MARKER_KEY, WATERMARK_KEY)
                ]
                if batched:
                    await delivery.deliver(records)
                else:
                    for run in _runs(records, skips):
                        await delivery.deliver(run)
                for e in events:  # after the events before them on their partition are stored
                    if backlog is not None and e.message.key not in (MARKER_KEY, WATERMARK_KEY):
                        backlog.stored(e.message.topic, e.message.partition)
                    if e.message.key != WATERMARK_KEY or await _rewound(app, epochs, e.message):
                        continue
                    if backlog is not None:
                        backlog.passed(e.message.topic, e.message.partition, e.message.value)
                        await backlog.keep(e.message.topic, e.message.partition)
                    if on_watermark is not None:
                        await on_watermark(e.message.value, _source(e.message))
                for e in events:  # only now: every record is in the store
                    await stream.ack(e)
        except Exception as e:  # noqa: BLE001 - `deliver` raises nothing else: this is a bug
            # Faust would restart the agent past its lost buffer, and acks out of offset order let
            # it commit past unstored records: stop the service instead (the runner restarts it;
            # it resumes from committed offsets, which cover stored records only).
            klog.get("consumer").critical(
                "consumer.agent_failed", consumer=name, error=f"{type(e).__name__}: {e}", action="stopping the service"
            )
            on_fatal()

    return app


async def _rewound(app: faust.App, epochs: dict, message) -> bool:
    """Read a partition again from its start when its watermarks say a new relay epoch: the broker
    lost the topic and the relay wrote it anew from offset 0, so the fetch position this consumer
    kept lies inside the new log, above records it never read. Nothing is lost by reading again:
    the inbox skips what is stored."""
    try:
        epoch = Watermark.decode(message.value).epoch
    except ValueError:
        return False
    seen = epochs.setdefault(message.tp, set())
    new = bool(seen) and epoch not in seen  # a first epoch is where reading started: nothing above it
    seen.add(epoch)  # once per epoch: a log holding two epochs is read twice, not forever
    if not new:
        return False
    klog.get("consumer").warning(
        "consumer.partition_rewound",
        topic=message.tp.topic,
        partition=message.tp.partition,
        offset=message.offset,
        reason="a new relay epoch: the topic was written anew",
    )
    await app.consumer.seek(message.tp, 0)
    return True


def _source(message) -> Source:
    position = position_of(message.headers)
    said = {key: bytes(value) for key, value in message.headers or () if key in _ROUTING}
    try:
        version = int(said.get(VERSION_HEADER, b"0"))
    except ValueError:  # not ours to judge: decoded and checked as a record without it
        version = 0
    return Source(
        message.topic,
        message.partition,
        message.offset,
        position.encode() if position else "",
        said.get(TYPE_HEADER, b"").decode(errors="replace"),
        said.get(STREAM_HEADER, b"").decode(errors="replace"),
        version,
    )


_ROUTING = (TYPE_HEADER, STREAM_HEADER, VERSION_HEADER)


def _runs(records: list[Record], skips: Callable[[Source], bool]) -> list[list[Record]]:
    """The records in order, each alone except consecutive ones to skip, which go together."""
    runs: list[list[Record]] = []
    for record in records:
        if skips(record[1]) and runs and skips(runs[-1][0][1]):
            runs[-1].append(record)
        else:
            runs.append([record])
    return runs


def _skips(handler) -> Callable[[Source], bool]:
    """Whether a record's headers name an event the handler does not act on (never, for a
    handler that names no types, or for a record without the headers)."""
    wanted = getattr(handler, "event_types", None)
    if wanted is None:
        return lambda source: False
    return lambda source: source.routed() and source.event_type not in wanted


class Consumer:
    """Lifecycle of one consumer in a service: topics ensured, gap requests, sweeper, Faust app."""

    def __init__(
        self,
        settings: ServiceSettings,
        pool,
        producers: list[str],
        name: str,
        handler: Handler,
        status: StatusBoard | None = None,
        on_fatal: Callable[[], object] | None = None,
    ):
        self.settings, self.pool, self.name, self.handler, self.board = settings, pool, name, handler, status
        self.skips = _skips(handler)
        self.on_fatal = on_fatal or (lambda: os.kill(os.getpid(), signal.SIGTERM))
        self.topics = [settings.topic_of(p) for p in producers]
        self.requester = RepublishRequester(
            settings.kafka_bootstrap,
            republish_topic(settings.topic_prefix),
            requested_by=f"{settings.consumer_group}-{name}",
            replication_factor=settings.replication_factor,
        )
        handler.on_gap = self.requester.request  # ask for a gap as soon as it is held
        if hasattr(handler, "requester"):  # a handler that asks producers for more
            handler.requester = self.requester

    async def start(self) -> Consumer:
        s = self.settings
        for topic in self.topics:  # consumers wait for topics; creating them with the owner's spec is equivalent
            await asyncio.to_thread(
                topics_mod.ensure_topic,
                s.kafka_bootstrap,
                topics_mod.TopicSpec(
                    topic, s.topic_partitions, s.replication_factor, max_message_bytes=s.kafka_message_bytes
                ),
            )
        batch = getattr(self.handler, "record_batch", None)
        self.delivery = Delivery(
            self.handler.inbox.consumer,
            self.pool,
            self.handler.inbox.schema,
            batch or _one_at_a_time(self.handler, self.skips),
            _policy(s),
        )
        await self.delivery.retry_kept()
        # issue 28: the backlog per producer, from the producers' watermarks
        self.backlog = Backlog(self.topics, self.pool, self.handler.inbox.schema, self.handler.inbox.consumer)
        await self.backlog.load()
        self._backlog_task = asyncio.create_task(
            self.backlog.watch(s.kafka_bootstrap, f"{s.consumer_group}-{self.name}"),
            name=f"{s.service}-{self.name}-backlog",
        )
        if self.board is not None:
            self.board.register(self.status)
        self.sweeper = HeldGapSweeper(
            self.handler.inbox,
            self.pool,
            self.requester,  # and again while held
            interval_seconds=s.held_sweep_seconds,
        )
        self._sweeper_task = asyncio.create_task(self.sweeper.run(), name=f"{s.service}-{self.name}-sweeper")
        self.app = faust_app(
            s,
            self.topics,
            self.delivery,
            self.name,
            batched=batch is not None,
            on_fatal=self.on_fatal,
            on_watermark=getattr(self.handler, "on_watermark", None),
            backlog=self.backlog,
            skips=self.skips,
        )
        await self.app.start()
        # a fresh watermark on every partition, so the backlog is known once it is read; in the
        # background: a slow broker does not hold the start up
        self._ask_task = asyncio.create_task(self._ask_watermarks(), name=f"{s.service}-{self.name}-watermarks")
        return self

    async def _ask_watermarks(self) -> None:
        for topic in self.topics:
            await self.requester.request_watermark(topic)  # never raises

    async def status(self) -> Component:
        """The delivery's state and counters, with the consumer group's backlog per producer topic
        (`backlog <topic>`, and `backlog` when every topic's is known; the same from any replica:
        `kernel.messaging.backlog`)."""
        part = await self.delivery.status()
        return dataclasses.replace(part, counters={**part.counters, **await self.backlog.group_counters()})

    async def stop(self) -> None:
        await self.app.stop()
        self.sweeper.stop()
        self._backlog_task.cancel()
        self._ask_task.cancel()
        await asyncio.gather(self._sweeper_task, self._backlog_task, self._ask_task, return_exceptions=True)
        await self.requester.close()


def _one_at_a_time(handler: Handler, skips: Callable[[Source], bool]):
    async def handle(records: list[Record]) -> None:
        if all(skips(source) for _, source in records):
            await handler.pass_by(records)
            return
        for raw, source in records:
            await handler.record(raw, source)

    return handle


def _policy(s: ServiceSettings) -> Policy:
    return Policy(attempts=s.consumer_attempts, max_backoff=s.consumer_max_backoff_seconds)
