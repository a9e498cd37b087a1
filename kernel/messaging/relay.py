"""Outbox relay: publishes committed events from the store to the service's topic.

* The stored envelope bytes go out unchanged (key = stream id, so a stream stays in one
  partition and in order); Kafka headers repeat event id, type and correlation id.
* At least once, never skipping: the cursor (see `kernel.eventstore.store`) advances only after the broker
  acknowledged the whole batch; a crash in between republishes, and consumers de-duplicate.
* Broker loss is detected by a marker record this relay wrote (its epoch, at a remembered
  partition-0 offset), never by end offsets (the embedded broker misreports them). If the topic
  or the marker is gone, the relay recreates the topic, writes a new marker and republishes the
  whole store.
* A broker outage never fails a command: the store commits, the relay retries and catches up.
* Size: the producer's `max_request_size` and the topic's `max.message.bytes` (set at creation,
  checked at start) are the service's `kafka_message_bytes`, above the envelope bound the store
  enforces at append. A topic or broker reporting a smaller limit is refused (nothing is
  published to it). A stored event the producer or broker still refuses makes the relay stuck on
  it: the cursor stays before it, nothing after it is sent, the clients are kept, the send is
  retried every `stuck_retry_seconds` (a raised limit unsticks it without a restart), and the
  event (id, stream, version, position, size, limit, remedy) is logged at most once per
  `stuck_log_seconds` and shown by `status()`. A broker-side refusal cannot recall records the
  producer already had in flight behind it: those may arrive before it (consumers hold them
  behind the gap until it comes), but the cursor never passes it.
* Concurrency: `run()` alone opens clients. One lock covers the clients' lifecycle (connect,
  drop, topic rebuild) and every send, so `republish` (another task) waits for run()'s checked
  producer and never sends through one being dropped or rebuilt. `stop()` does not wait for the
  lock (it closes the clients under whatever is in progress); once it ran, no client is opened.
* Positions and watermarks (`kernel.messaging.watermark`): every record carries its store position in the
  header `store-position`; the relay counts what it published in the epoch and writes watermarks
  to every partition, periodically and on demand (`kernel.messaging.watermarks_pub`). `republish_positions`
  sends a range of the store again (a consumer that found events missing below a watermark).
* Replicas: one relay per (schema, topic) publishes at a time: `run()` first takes the advisory
  lock `relay:<schema>:<topic>` (`kernel.messaging.leadership`). The other replicas' relays wait
  as standbys, opening no Kafka client and serving no republish, and try again every
  `standby_retry_seconds`; when the publisher's session ends a standby takes over exactly as a
  restarted relay would (from the stored cursor: what was acknowledged but not yet recorded is
  sent again, and consumers de-duplicate). The publisher checks its session every
  `leader_check_seconds` and steps down (closes its clients first) when it is gone. Fencing, for
  a publisher that has not noticed yet: the cursor moves, and the epoch changes on a rebuild, only
  by compare-and-set from the values this relay read, so a stale publisher can send duplicates
  but never move the cursor back or count an event twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field, replace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from kernel.edge.status import RETRYING, STUCK, Component
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.store import DEFAULT_MAX_EVENT_BYTES, Cursor, EventStore, StoredEvent
from kernel.messaging import topics
from kernel.messaging.inbox import VERSION_HEADER
from kernel.messaging.leadership import Leadership, LostLeadership
from kernel.messaging.watermark import POSITION_HEADER, Position, Watermark
from kernel.messaging.watermarks_pub import WatermarkPublisher, ensure_count
from kernel.runtime import log as klog
from kernel.runtime.settings import KAFKA_HEADROOM_BYTES

MARKER_KEY = b"__relay_marker__"
# ServiceSettings.kafka_message_bytes at the default envelope bound.
DEFAULT_MAX_REQUEST_SIZE = DEFAULT_MAX_EVENT_BYTES + KAFKA_HEADROOM_BYTES
# Client-side (aiokafka, before sending) and broker-side answers to a record over a limit.
TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


class RelayStopped(Exception):
    """stop() was called: nothing more is opened, sent or written."""


class NotReady(Exception):
    """republish found no connected, checked producer in time (the consumer asks again)."""


def _rows(status: str) -> int:
    """Rows an UPDATE touched, from asyncpg's status string ("UPDATE 1")."""
    return int(status.split()[-1])


class Stuck(Exception):
    """Publishing cannot go on until an operator acts; nothing is skipped meanwhile."""

    def __init__(self, key: str, log_event: str, problem: str, **fields):
        super().__init__(problem)
        self.key, self.log_event, self.problem, self.fields = key, log_event, problem, fields


class _Refused(Exception):
    """events[index] was refused as too large; every event before it was acknowledged."""

    def __init__(self, index: int, error: Exception):
        super().__init__(index, error)
        self.index, self.error = index, error


@dataclass
class _StuckState:
    key: str
    problem: str
    since: float  # wall clock, for status
    logged_at: float  # monotonic; -inf: log at once
    attempts: int = 0
    counters: dict = field(default_factory=dict)


def store_position(e: StoredEvent) -> Position:
    return Position(e.order_key, e.position)


def record_headers(e: StoredEvent) -> list[tuple[str, bytes]]:
    """The envelope's headers plus the event's store position and stream version: a consumer skips
    an event it does not act on from these, undecoded, and still advances the stream (issue 30)."""
    return env_mod.kafka_headers(env_mod.parse(e.envelope)) + [
        (POSITION_HEADER, store_position(e).encode().encode()),
        (VERSION_HEADER, str(e.version).encode()),
    ]


def record_size(e: StoredEvent) -> int:
    """The event's size as a one-record batch: what aiokafka compares with max_request_size."""
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(e.stream_id.encode(), e.envelope, record_headers(e))


async def stop_quietly(client) -> None:
    """Stop a Kafka client, bounded, ignoring a dead broker's errors."""
    if client is None:
        return
    try:
        await asyncio.wait_for(client.stop(), timeout=5)
    except Exception:  # noqa: BLE001 - stopping a client on a dead broker
        pass


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        bootstrap: str,
        spec: topics.TopicSpec,
        *,
        max_request_size: int = DEFAULT_MAX_REQUEST_SIZE,
        poll_seconds: float = 0.025,  # ServiceSettings.relay_poll_seconds says why
        marker_check_seconds: float = 2.0,
        batch_size: int = 500,
        stuck_retry_seconds: float = 5.0,
        stuck_log_seconds: float = 60.0,
        ready_wait_seconds: float = 10.0,
        watermark_seconds: float = 5.0,
        standby_retry_seconds: float = 1.0,
        leader_check_seconds: float = 1.0,
    ):
        # The topic must take whatever this relay may send, unless the caller says more.
        if spec.max_message_bytes is None:
            spec = replace(spec, max_message_bytes=max_request_size)
        self.store, self.bootstrap, self.spec = store, bootstrap, spec
        self.max_request_size = max_request_size
        self.poll_seconds, self.marker_check_seconds, self.batch_size = poll_seconds, marker_check_seconds, batch_size
        self.stuck_retry_seconds, self.stuck_log_seconds = stuck_retry_seconds, stuck_log_seconds
        self.ready_wait_seconds = ready_wait_seconds
        self.standby_retry_seconds, self.leader_check_seconds = standby_retry_seconds, leader_check_seconds
        self.leader_key = f"relay:{store.schema}:{spec.name}"
        self.log = klog.get("relay").bind(topic=spec.name, schema=store.schema)
        self._leader = Leadership(
            store.pool,
            self.leader_key,
            self.log,
            "relay",
            retry_seconds=standby_retry_seconds,
            check_seconds=leader_check_seconds,
        )
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()  # client lifecycle and sending
        self._ready = asyncio.Event()  # producer connected, topic checked and not refused
        self._next_marker_check = 0.0
        self._stopping = asyncio.Event()
        self._refusal: str | None = None  # the topic's limit is too small: publish nothing
        self._stuck: _StuckState | None = None
        self.published = 0
        self.republishes = 0
        self._verified = False
        self._watermarks = WatermarkPublisher(self, watermark_seconds)

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.store.pool.execute(
            f"INSERT INTO {self.store.schema}.relay_cursor (topic) VALUES ($1) ON CONFLICT DO NOTHING", self.spec.name
        )
        await ensure_count(self.store, self.spec.name)

    async def stop(self) -> None:
        """Close the clients now, under whatever is in progress; nothing is opened afterwards.
        The publisher's lock goes after its clients are closed."""
        self._stopping.set()
        await self._close_clients()
        await self._resign(close_clients=False)  # closed just now, without waiting for the lock

    async def run(self) -> None:
        """Become the publisher (or wait as a standby), then publish until stopped or no longer
        the publisher; broker errors drop the clients and retry with backoff; a stuck event or a
        refused topic keeps them and retries slowly."""
        await self.start()
        try:
            while not self._stopping.is_set():
                if await self._lead():
                    await self._publish()  # until stopped, or the lock is lost: then another may take it
                await self._sleep(self.standby_retry_seconds)
        finally:
            await self._resign()

    # -- one publisher at a time -----------------------------------------------------------
    async def _lead(self) -> bool:
        """Try once to take the publisher's lock (`kernel.messaging.leadership`); True if held."""
        was = self._leader.held
        if not await self._leader.take(self._stopping.is_set):
            return False
        if not was:  # what the previous publisher knew is re-learnt: the topic checked, the marker read
            self._verified, self._next_marker_check = False, 0.0
        return True

    # What tests and status read of the leadership.
    leading = property(lambda self: self._leader.held)
    takeovers = property(lambda self: self._leader.takeovers)
    _standby = property(lambda self: self._leader.standby)
    _leader_conn = property(lambda self: self._leader.conn)

    async def _resign(self, *, close_clients: bool = True) -> None:
        """Stop being the publisher: close the clients, then end the lock's transaction."""
        if not self._leader.held:
            return
        if close_clients:
            await self._drop_clients()
        await self._leader.release()

    async def _publish(self) -> None:
        """Publish while this relay holds the lock; return when stopped or no longer holding it."""
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                await self._step()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except RelayStopped:
                break
            except LostLeadership as lost:
                self.log.warning("relay.publisher_lost", reason=str(lost), action="standing by")
                await self._resign()
                return
            except Stuck as stuck:
                self._report_stuck(stuck)
                await self._watermarks.periodic()  # what was published before it still counts
                await self._sleep(self.stuck_retry_seconds)
            except Exception as e:  # noqa: BLE001 - broker trouble: reconnect, re-check the marker
                if self._stopping.is_set():
                    break
                self.log.warning("relay.broker_error", error=f"{type(e).__name__}: {e}", retry_in=backoff)
                await self._drop_clients()
                self._next_marker_check = 0.0
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _step(self) -> None:
        await self._leader.check()
        await self._connect()
        if self._watermarks.due():
            self._next_marker_check = 0.0  # a periodic watermark follows a marker found just now
        if time.monotonic() >= self._next_marker_check:
            await self.check_marker()
        if self._refusal:
            raise Stuck("topic-limit", "relay.topic_refused", self._refusal, needed=self.spec.max_message_bytes)
        published = await self.publish_batch()
        self._unstick()
        await self._watermarks.periodic()
        if not published:
            await self._sleep(self.poll_seconds)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    def _check_running(self) -> None:
        if self._stopping.is_set():
            raise RelayStopped()

    async def _connect(self) -> None:
        async with self._lock:
            await self._open_clients()

    async def _open_clients(self) -> None:
        """Open the missing clients; the lock is held. Refused after stop(): they would leak."""
        self._check_running()
        if self._producer is None:
            self._producer = await self._started(
                AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    linger_ms=2,  # gathers a burst's records into one request; idle, adds at most 2 ms
                    enable_idempotence=False,
                    request_timeout_ms=10000,
                    max_request_size=self.max_request_size,
                )
            )
        if self._consumer is None:
            self._consumer = await self._started(
                AIOKafkaConsumer(
                    bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="none"
                )
            )

    async def _started(self, client):
        try:
            await client.start()
        except BaseException:
            await stop_quietly(client)
            raise
        if self._stopping.is_set():  # stop() ran during start() and could not see this client
            await stop_quietly(client)
            raise RelayStopped()
        return client

    async def _drop_clients(self) -> None:
        async with self._lock:
            await self._close_clients()

    async def _close_clients(self) -> None:
        self._ready.clear()
        producer, consumer, self._producer, self._consumer = self._producer, self._consumer, None, None
        for client in (producer, consumer):
            await stop_quietly(client)

    def _set_ready(self) -> None:
        if self._refusal is None and self._producer is not None and not self._stopping.is_set():
            self._ready.set()
        else:
            self._ready.clear()

    # -- status: stuck on an event or a refused topic --------------------------------------
    async def status(self) -> Component:
        counters = {
            "published": self.published,
            "republishes": self.republishes,
            "watermarks": self._watermarks.sent,
            "publishing": int(self.leading),  # 0: a standby, another replica's relay publishes
            "takeovers": self.takeovers,
        }
        stuck, problem = self._stuck, self._leader.problem()
        if stuck is None and problem:
            return Component(name=f"relay {self.spec.name}", state=RETRYING, counters=counters, problems=(problem,))
        if stuck is None:
            return Component(name=f"relay {self.spec.name}", counters=counters)
        counters.update(stuck_since=int(stuck.since), stuck_attempts=stuck.attempts, **stuck.counters)
        return Component(name=f"relay {self.spec.name}", state=STUCK, counters=counters, problems=(stuck.problem,))

    def _report_stuck(self, stuck: Stuck) -> None:
        """Count the attempt; log at once when newly stuck, then at most once per stuck_log_seconds."""
        state = self._stuck
        if state is None or state.key != stuck.key:
            state = self._stuck = _StuckState(stuck.key, stuck.problem, time.time(), float("-inf"))
        state.problem, state.attempts = stuck.problem, state.attempts + 1
        if "position" in stuck.fields:
            state.counters = {"stuck_position": stuck.fields["position"]}
        now = time.monotonic()
        if now - state.logged_at >= self.stuck_log_seconds:
            state.logged_at = now
            self.log.error(
                stuck.log_event,
                problem=stuck.problem,
                attempts=state.attempts,
                stuck_for_seconds=round(time.time() - state.since, 1),
                **stuck.fields,
            )

    def _unstick(self) -> None:
        if self._stuck is not None:
            self.log.info(
                "relay.unstuck",
                stuck_on=self._stuck.key,
                attempts=self._stuck.attempts,
                stuck_for_seconds=round(time.time() - self._stuck.since, 1),
            )
            self._stuck = None

    def _too_large(self, e: StoredEvent, error: Exception) -> Stuck:
        size = record_size(e)
        mine = size > self.max_request_size  # aiokafka refused it before sending
        refused_by = "the relay's max_request_size" if mine else "the broker (topic or broker limit)"
        needed = max(size, self.spec.max_message_bytes or 0)
        remedy = (
            f"raise the broker/topic limit (message.max.bytes / max.message.bytes) or the relay's "
            f"max request size (MAX_EVENT_BYTES + {KAFKA_HEADROOM_BYTES}) to at least {needed} bytes; "
            f"the event is kept and will be published once it fits"
        )
        problem = (
            f"stuck on event {e.event_id} (stream {e.stream_id} version {e.version}, position "
            f"{e.position}, {size} bytes): refused by {refused_by}"
            f"{f' of {self.max_request_size} bytes' if mine else ''}; {remedy}"
        )
        return Stuck(
            e.event_id,
            "relay.stuck",
            problem,
            event_id=e.event_id,
            stream_id=e.stream_id,
            version=e.version,
            position=e.position,
            size=size,
            limit=self.max_request_size if mine else None,
            refused_by=refused_by,
            remedy=remedy,
            error=f"{type(error).__name__}: {error}",
        )

    # -- cursor ------------------------------------------------------------------------------
    async def _cursor(self) -> tuple[Cursor, str]:
        row = await self.store.pool.fetchrow(
            f"SELECT order_key, position, epoch FROM {self.store.schema}.relay_cursor WHERE topic = $1", self.spec.name
        )
        return Cursor(int(row["order_key"]), row["position"]), row["epoch"]

    async def _save_cursor(self, cursor: Cursor, count: int, read: tuple[Cursor, str]) -> bool:
        """Move the cursor from `read` (the cursor and epoch this relay read) to `cursor`; False
        if another relay moved either meanwhile (then nothing is written: its count stands)."""
        (was, epoch) = read
        status = await self.store.pool.execute(
            f"UPDATE {self.store.schema}.relay_cursor SET order_key = $2, position = $3, "
            f"published = published + $4, through_count = through_count + $4, updated_at = now() "
            f"WHERE topic = $1 AND order_key = $5 AND position = $6 AND epoch = $7",
            self.spec.name,
            cursor.order_key,
            cursor.position,
            count,
            was.order_key,
            was.position,
            epoch,
        )
        return _rows(status) == 1

    # -- publishing --------------------------------------------------------------------------
    async def publish_batch(self) -> int:
        """Publish the next batch; raise Stuck on an event refused as too large (those before
        it are acknowledged and the cursor moves to just before it)."""
        read = await self._cursor()
        events = await self.store.read_all(read[0], self.batch_size)
        if not events:
            return 0
        try:
            async with self._lock:
                await self._send(self._current_producer(), events)
        except _Refused as refused:
            await self._advance(events[: refused.index], read)
            raise self._too_large(events[refused.index], refused.error) from refused.error
        await self._advance(events, read)
        return len(events)

    async def _advance(self, events: list[StoredEvent], read: tuple[Cursor, str]) -> None:
        if not events:
            return
        if not await self._save_cursor(events[-1].cursor, len(events), read):
            # Another relay published from the same cursor (a publisher that lost its lock and had
            # not noticed yet, or this one): what it sent stands; ours were duplicates.
            self._leader.check_soon()
            self.log.warning("relay.cursor_moved", count=len(events), action="re-reading the cursor")
            return
        self.published += len(events)
        self.log.info("relay.published", count=len(events), last_position=events[-1].position)

    def _current_producer(self) -> AIOKafkaProducer:
        self._check_running()
        if self._producer is None:
            raise RuntimeError("relay producer not connected")
        return self._producer

    async def _send(self, producer: AIOKafkaProducer, events: list[StoredEvent]) -> None:
        """Send in order and wait for every ack; the lock is held. A record refused as too large
        raises _Refused: nothing after it is handed to the producer."""
        futures = []
        for i, e in enumerate(events):
            try:
                futures.append(
                    await producer.send(
                        self.spec.name, value=e.envelope, key=e.stream_id.encode(), headers=record_headers(e)
                    )
                )
            except TOO_LARGE as error:
                await self._settle(futures)
                raise _Refused(i, error) from error
        await self._settle(futures)

    @staticmethod
    async def _settle(futures) -> None:
        """Wait for every ack; the first failure in send order decides what is raised."""
        for i, result in enumerate(await asyncio.gather(*futures, return_exceptions=True)):
            if isinstance(result, TOO_LARGE):
                raise _Refused(i, result) from result
            if isinstance(result, BaseException):
                raise result

    async def republish(self, stream_id: str, first: int = 1, last: int | None = None) -> int:
        """Publish a stream (or a version range of it) again, e.g. when a consumer saw a gap.
        Sends through run()'s producer once it is connected and the topic checked."""
        events = await self.store.read_range(stream_id, first, last)
        if events:
            await self._send_when_ready(events)
        self.log.info("relay.republished", stream_id=stream_id, first=first, last=last, count=len(events))
        return len(events)

    async def republish_positions(self, after: Position, through: Position) -> int:
        """Publish again, in order and in chunks of `batch_size`, every event with
        after < (order_key, position) <= through, capped at the cursor (what this epoch published;
        the rest comes anyway). Same send path and headers as `republish`."""
        cursor, _ = await self._cursor()
        through = min(through, Position(cursor.order_key, cursor.position))
        at, sent = Cursor(after.order_key, after.position), 0
        while Position(at.order_key, at.position) < through:
            events = [e for e in await self.store.read_all(at, self.batch_size) if store_position(e) <= through]
            if not events:
                break
            await self._send_when_ready(events)
            sent += len(events)
            at = events[-1].cursor
        self.log.info("relay.republished_positions", after=after.encode(), through=through.encode(), count=sent)
        return sent

    async def publish_watermark(self) -> Watermark | None:
        """Send a watermark now (None if the topic has no marker yet), once run() has a connected,
        checked producer: NotReady after `ready_wait_seconds`, RelayStopped after stop()."""
        return await self._when_ready(self._watermarks.send)

    async def _send_when_ready(self, events: list[StoredEvent]) -> None:
        """Send again (a republish): an event refused as too large is Stuck, naming it."""
        try:
            await self._when_ready(lambda: self._send(self._current_producer(), events))
        except _Refused as refused:
            raise self._too_large(events[refused.index], refused.error) from refused.error

    async def _when_ready(self, action):
        """`action()` under the lock, with run()'s checked producer."""
        deadline = time.monotonic() + self.ready_wait_seconds
        while True:
            self._check_running()
            if self._standby:
                raise NotReady(f"relay for {self.spec.name!r} is a standby: another replica's relay publishes")
            if not self._ready.is_set():
                try:
                    await asyncio.wait_for(self._ready.wait(), timeout=max(deadline - time.monotonic(), 0.001))
                except TimeoutError:
                    raise NotReady(
                        f"relay for {self.spec.name!r} not connected with a checked topic after "
                        f"{self.ready_wait_seconds} s"
                    ) from None
            async with self._lock:
                if self._ready.is_set():  # not dropped or rebuilt while we waited for the lock
                    return await action()

    # -- broker-loss detection ---------------------------------------------------------------
    async def check_marker(self) -> bool:
        """True if our marker is still where we wrote it; else rebuild the topic from the store."""
        self._next_marker_check = time.monotonic() + self.marker_check_seconds
        _, epoch = await self._cursor()
        if epoch and await self._marker_present(epoch):
            if not self._verified:  # start-up check of an existing topic's configuration
                await self._verify_topic()
            self._set_ready()
            return True
        if self._stopping.is_set():
            # stop() closed the consumer under the read, which then comes back empty: that says
            # nothing about the topic, and a rebuild would reset the cursor (a whole-store
            # republish) and open clients after stop().
            return False
        await self._rebuild_topic(lost=bool(epoch), was=epoch)
        return False

    async def _marker_present(self, epoch: str) -> bool:
        marker_id, _, offset = epoch.partition("@")
        count = await asyncio.to_thread(topics.partition_count, self.bootstrap, self.spec.name)
        if count != self.spec.partitions:
            return False
        consumer = self._consumer
        if consumer is None:  # stop() closed it
            raise RelayStopped()
        tp = TopicPartition(self.spec.name, 0)
        consumer.assign([tp])
        consumer.seek(tp, int(offset))
        try:
            batch = await consumer.getmany(tp, timeout_ms=3000, max_records=1)
        except Exception:  # noqa: BLE001 - offset out of range: the marker's log is gone
            return False
        records = batch.get(tp, [])
        return bool(records) and records[0].key == MARKER_KEY and records[0].value == marker_id.encode()

    async def _verify_topic(self) -> None:
        check = await asyncio.to_thread(topics.verify_topic, self.bootstrap, self.spec)
        for problem in check.problems:
            self.log.error("relay.topic_misconfigured", problem=problem)
        self._refusal = check.refusal  # reported by run() as stuck, re-checked at each marker check
        self._verified = check.refusal is None

    async def _rebuild_topic(self, lost: bool, was: str = "") -> None:
        # Fresh clients around the rebuild: the old producer's cached metadata may describe a topic
        # we are about to delete (e.g. one a client auto-created with the broker's default partition
        # count after an empty restart); it would keep partitioning by that count, and tansu acks
        # records sent to a partition the recreated topic does not have: lost, cursor advanced.
        # Dropping the consumer first also stops its fetches from auto-creating the topic again.
        # The lock keeps republish from sending meanwhile; stop() may come at any await, after
        # which nothing is opened, sent or written.
        async with self._lock:
            await self._close_clients()
            count = await asyncio.to_thread(topics.partition_count, self.bootstrap, self.spec.name)
            self._check_running()
            if count is not None and count != self.spec.partitions:
                self.log.warning("relay.topic_wrong_partitions", found=count, wanted=self.spec.partitions)
                await asyncio.to_thread(topics.delete_topic, self.bootstrap, self.spec.name)
            await asyncio.to_thread(topics.ensure_topic, self.bootstrap, self.spec)
            self._check_running()
            await self._verify_topic()
            await self._open_clients()
            marker_id = uuid.uuid4().hex
            meta = await self._producer.send_and_wait(
                self.spec.name, value=marker_id.encode(), key=MARKER_KEY, partition=0, headers=[("relay-marker", b"1")]
            )
            self._check_running()
            status = await self.store.pool.execute(
                f"UPDATE {self.store.schema}.relay_cursor SET order_key = '0', position = 0, epoch = $2, "
                f"through_count = 0, updated_at = now() WHERE topic = $1 AND epoch = $3",
                self.spec.name,
                f"{marker_id}@{meta.offset}",
                was,
            )
            if _rows(status) != 1:  # another relay wrote its marker first: it publishes
                raise LostLeadership("another relay rebuilt the topic meanwhile")
            self._set_ready()
        if lost:
            self.republishes += 1
            self.log.warning("relay.topic_lost", action="recreated topic; republishing the whole store")
        else:
            self.log.info("relay.topic_ready", partitions=self.spec.partitions)
