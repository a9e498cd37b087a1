"""Republish on request: consumers that hold a stream behind a gap ask its producer to send the
missing versions again, and the producer's relay serves the request from its store.

* The control topic (`kernel.runtime.settings.republish_topic`, one partition) carries
  `RepublishRequest`s as JSON, keyed by the producing topic's name, written to partition 0.
  Every relay's `RepublishServer` reads all of it and serves only the requests for its own topic.
* Requests are fire-and-forget and may be lost (broker down, broker restarted empty, a server that
  was not running: servers start at the END of the control topic). That is by design: the gap
  stays held in the consumer's inbox, and `HeldGapSweeper` asks again every few seconds until
  the missing versions arrive. A republished event that the consumer already has is a duplicate
  its inbox skips, so asking twice is harmless.
* `RepublishRequester.request` never raises on broker trouble: it logs a warning and returns
  False, so a consumer's unit of work is never failed by the control path.
* Three kinds of request, one JSON shape: a stream's version range (`stream_id`, `first..last`:
  the original kind, encoded exactly as before), a store-position range (`stream_id` "" with
  `after` < `through`, encoded `kernel.messaging.watermark.Position`s; served by `republish_positions`) and a
  watermark (`stream_id` "" with `"watermark": true`; served by `publish_watermark`). A server
  that predates the new kinds refuses them as malformed (no stream id), so they are never
  mistaken for something else.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from kernel.messaging import topics
from kernel.messaging.relay import NotReady, Stuck, stop_quietly
from kernel.messaging.watermark import Position
from kernel.runtime import log as klog

STREAM, POSITIONS, WATERMARK = "stream", "positions", "watermark"


@dataclass(frozen=True)
class RepublishRequest:
    topic: str  # the producing topic whose relay should serve this
    stream_id: str
    first: int  # first missing version
    last: int  # last missing version (inclusive)
    requested_by: str  # consumer name, for the logs
    after: Position | None = None  # a position range: after < position <= through
    through: Position | None = None
    watermark: bool = False  # a watermark now

    @classmethod
    def positions(cls, topic: str, after: Position, through: Position, requested_by: str) -> RepublishRequest:
        return cls(topic, "", 0, 0, requested_by, after=after, through=through)

    @classmethod
    def for_watermark(cls, topic: str, requested_by: str) -> RepublishRequest:
        return cls(topic, "", 0, 0, requested_by, watermark=True)

    @property
    def kind(self) -> str:
        return WATERMARK if self.watermark else POSITIONS if self.after is not None else STREAM

    @property
    def key(self) -> bytes:
        return self.topic.encode()

    @property
    def what(self) -> tuple:
        """What is asked for (the same ask twice is served once)."""
        return (self.kind, self.stream_id, self.first, self.last, self.after, self.through)

    def encode(self) -> bytes:
        data = {
            "topic": self.topic,
            "stream_id": self.stream_id,
            "first": self.first,
            "last": self.last,
            "requested_by": self.requested_by,
        }
        if self.after is not None or self.through is not None:
            data.update(after=self.after.encode(), through=self.through.encode())
        if self.watermark:
            data["watermark"] = True
        return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def decode(cls, raw: bytes) -> RepublishRequest:
        """Parse and check a request; ValueError for anything malformed."""
        try:
            data = json.loads(raw)
            after, through = data.get("after"), data.get("through")
            req = cls(
                topic=data["topic"],
                stream_id=data["stream_id"],
                first=data.get("first", 0),
                last=data.get("last", 0),
                requested_by=data.get("requested_by", ""),
                after=None if after is None else Position.decode(after),
                through=None if through is None else Position.decode(through),
                watermark=data.get("watermark", False),
            )
            if req.stream_id and not {"first", "last"} <= data.keys():  # required for a stream, as ever
                raise KeyError("first/last")
        except (TypeError, KeyError, AttributeError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"malformed republish request: {e}") from e
        if not (
            isinstance(req.topic, str)
            and req.topic
            and isinstance(req.stream_id, str)
            and isinstance(req.requested_by, str)
            and isinstance(req.watermark, bool)
        ):
            raise ValueError("republish request without topic or stream id")
        if req.stream_id:
            if req.after is not None or req.through is not None or req.watermark:
                raise ValueError("a stream's republish request with positions or a watermark")
            if not (isinstance(req.first, int) and isinstance(req.last, int) and 1 <= req.first <= req.last):
                raise ValueError(f"bad version range {req.first!r}..{req.last!r}")
            return req
        if req.first != 0 or req.last != 0 or type(req.first) is not int or type(req.last) is not int:
            raise ValueError("a version range without a stream id")
        if req.watermark:
            if req.after is not None or req.through is not None:
                raise ValueError("a watermark request with positions")
            return req
        if req.after is None or req.through is None:
            raise ValueError("republish request without topic or stream id (or positions, or watermark)")
        if not req.after < req.through:
            raise ValueError(f"bad position range {req.after.encode()}..{req.through.encode()}")
        return req


class RepublishRequester:
    """Consumer side: publishes requests on the control topic (producer created lazily).

    The same request (topic, stream, range) is not sent again within `repeat_after_seconds`:
    every delivery behind one gap reports it, and the sweeper re-asks anyway.
    """

    def __init__(
        self,
        bootstrap: str,
        control_topic: str,
        requested_by: str,
        *,
        timeout_seconds: float = 10.0,
        repeat_after_seconds: float = 1.0,
        replication_factor: int = 1,
    ):
        self.bootstrap, self.control_topic, self.requested_by = bootstrap, control_topic, requested_by
        self.control_spec = topics.TopicSpec(control_topic, 1, replication_factor=replication_factor)
        self.timeout_seconds, self.repeat_after_seconds = timeout_seconds, repeat_after_seconds
        self.log = klog.get("republish.requester").bind(control_topic=control_topic, requested_by=requested_by)
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self._recent: dict[tuple, float] = {}
        self.sent = 0
        self.failed = 0

    async def request(self, topic: str, stream_id: str, first: int, last: int) -> bool:
        """Ask for versions first..last of a stream of `topic`; True if the broker took it."""
        if not topic or not stream_id or last < first:
            self.log.warning("republish.request_skipped", topic=topic, stream_id=stream_id, first=first, last=last)
            return False
        return await self._ask(
            RepublishRequest(topic, stream_id, first, last, self.requested_by),
            stream_id=stream_id,
            first=first,
            last=last,
        )

    async def request_positions(self, topic: str, after: Position, through: Position) -> bool:
        """Ask for every event of `topic`'s store with after < position <= through; never raises."""
        if not topic or not after < through:
            self.log.warning("republish.request_skipped", topic=topic, after=after.encode(), through=through.encode())
            return False
        return await self._ask(
            RepublishRequest.positions(topic, after, through, self.requested_by),
            after=after.encode(),
            through=through.encode(),
        )

    async def request_watermark(self, topic: str) -> bool:
        """Ask `topic`'s relay for a watermark now; never raises."""
        if not topic:
            self.log.warning("republish.request_skipped", topic=topic, watermark=True)
            return False
        return await self._ask(RepublishRequest.for_watermark(topic, self.requested_by), watermark=True)

    async def _ask(self, req: RepublishRequest, **fields) -> bool:
        """Send `req` unless the same was sent within `repeat_after_seconds`; True if the broker took it."""
        key = (req.topic, *req.what)
        now = time.monotonic()
        if now - self._recent.get(key, float("-inf")) < self.repeat_after_seconds:
            return False
        try:
            await asyncio.wait_for(self._send(req), timeout=self.timeout_seconds)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - broker trouble: the held gap is re-requested later
            self.failed += 1
            self.log.warning("republish.request_failed", topic=req.topic, **fields, error=f"{type(e).__name__}: {e}")
            await self._drop()
            return False
        self._recent = {k: t for k, t in self._recent.items() if now - t < self.repeat_after_seconds}
        self._recent[key] = now
        if not req.watermark:  # a watermark asked after this republish judges it: never "the same" as one before
            self._recent.pop((req.topic, *RepublishRequest.for_watermark(req.topic, "").what), None)
        self.sent += 1
        self.log.info("republish.requested", topic=req.topic, **fields)
        return True

    async def _send(self, req: RepublishRequest) -> None:
        async with self._lock:
            if self._producer is None:
                await asyncio.to_thread(topics.ensure_topic, self.bootstrap, self.control_spec)
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    linger_ms=0,
                    enable_idempotence=False,
                    request_timeout_ms=10000,
                )
                try:
                    await producer.start()
                except BaseException:
                    await stop_quietly(producer)
                    raise
                self._producer = producer
            producer = self._producer
        # Always partition 0: after a broker restart a producer may auto-create the control topic
        # with the broker's default partition count (4 on tansu), and a server assigned before
        # that would never see the partition the key hashes to.
        await producer.send_and_wait(self.control_topic, value=req.encode(), key=req.key, partition=0)

    async def _drop(self) -> None:
        producer, self._producer = self._producer, None
        await stop_quietly(producer)

    async def close(self) -> None:
        await self._drop()


class RepublishServer:
    """Producer side: serves requests for `relay.spec.name` through `relay.republish`.

    A groupless consumer assigned to every partition of the control topic, positioned at the end
    when it (re)connects; any broker error drops it and reconnects with backoff. `ready` is set
    once the consumer is positioned (requests sent after that are seen).
    """

    def __init__(
        self,
        relay,
        bootstrap: str,
        control_topic: str,
        *,
        attempts: int = 3,
        poll_timeout_ms: int = 500,
        replication_factor: int = 1,
    ):
        self.relay, self.bootstrap, self.control_topic = relay, bootstrap, control_topic
        # the control topic is created as replicated as the platform's own (TOPIC_REPLICATION_FACTOR)
        self.control_spec = topics.TopicSpec(control_topic, 1, replication_factor=replication_factor)
        self.attempts, self.poll_timeout_ms = attempts, poll_timeout_ms
        self.topic = relay.spec.name
        self.log = klog.get("republish.server").bind(topic=self.topic, control_topic=control_topic)
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()
        self.served = 0
        self.ignored = 0

    async def run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                if self._consumer is None:
                    await self._connect()
                batch = await self._consumer.getmany(timeout_ms=self.poll_timeout_ms)
                await self._serve([r for records in batch.values() for r in records])
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - broker trouble: reconnect (at the end) later
                if self._stopping.is_set():
                    break
                self.log.warning("republish.server_error", error=f"{type(e).__name__}: {e}", retry_in=backoff)
                await self._drop()
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def stop(self) -> None:
        self._stopping.set()
        await self._drop()

    async def _connect(self) -> None:
        self.ready.clear()
        await asyncio.to_thread(topics.ensure_topic, self.bootstrap, self.control_spec)
        count = await asyncio.to_thread(topics.partition_count, self.bootstrap, self.control_topic)
        if not count:
            raise RuntimeError(f"control topic {self.control_topic!r} has no partitions")
        # "earliest" only applies when a position falls out of range, i.e. the broker lost the
        # topic and it was created again: read the new log from its start.
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            request_timeout_ms=10000,
        )
        try:
            await consumer.start()
            partitions = [TopicPartition(self.control_topic, p) for p in range(count)]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:  # resolve the positions now, so `ready` means it
                await consumer.position(tp)
        except BaseException:
            await stop_quietly(consumer)
            raise
        self._consumer = consumer
        self.ready.set()
        self.log.info("republish.server_ready", partitions=count)

    async def _serve(self, records) -> None:
        seen = set()
        for record in records:
            try:
                req = RepublishRequest.decode(record.value)
            except ValueError as e:
                self.log.warning("republish.bad_request", offset=record.offset, error=str(e))
                continue
            if req.topic != self.topic:
                self.ignored += 1
                continue
            if req.what in seen:  # the same ask twice in one batch
                continue
            seen.add(req.what)
            await self._republish(req)

    async def _serve_one(self, req: RepublishRequest):
        if req.kind == WATERMARK:
            mark = await self.relay.publish_watermark()
            return None if mark is None else mark.encode().decode()
        if req.kind == POSITIONS:
            return await self.relay.republish_positions(req.after, req.through)
        return await self.relay.republish(req.stream_id, req.first, req.last)

    @staticmethod
    def _fields(req: RepublishRequest) -> dict:
        if req.kind == WATERMARK:
            return {"watermark": True}
        if req.kind == POSITIONS:
            return {"after": req.after.encode(), "through": req.through.encode()}
        return {"stream_id": req.stream_id, "first": req.first, "last": req.last}

    async def _republish(self, req: RepublishRequest) -> None:
        delay = 0.2
        fields = self._fields(req)
        for attempt in range(1, self.attempts + 1):
            try:
                result = await self._serve_one(req)
                self.served += 1
                self.log.info("republish.served", **fields, result=result, requested_by=req.requested_by)
                return
            except asyncio.CancelledError:
                raise
            except (NotReady, Stuck) as e:  # not soon better: the consumer asks again later
                self.log.warning("republish.not_served", **fields, reason=f"{type(e).__name__}: {e}")
                return
            except Exception as e:  # noqa: BLE001 - the consumer asks again if this is lost
                self.log.warning("republish.serve_failed", **fields, attempt=attempt, error=f"{type(e).__name__}: {e}")
                if attempt < self.attempts:
                    await self._sleep(delay)
                    delay *= 2

    async def _drop(self) -> None:
        consumer, self._consumer = self._consumer, None
        self.ready.clear()
        await stop_quietly(consumer)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass


# -- consumer side: re-ask for gaps still held ------------------------------------------------


async def held_topics(inbox, conn) -> dict[str, str]:
    """{stream: topic} for the streams `inbox` holds, from the stored source of each held event."""
    rows = await conn.fetch(
        f"SELECT DISTINCT ON (stream_id) stream_id, source->>'topic' AS topic FROM {inbox.schema}.inbox_held "
        f"WHERE consumer = $1 ORDER BY stream_id, version",
        inbox.consumer,
    )
    return {r["stream_id"]: r["topic"] for r in rows if r["topic"]}


async def rerequest_held(
    inbox, pool, requester: RepublishRequester, topic_of_stream: Callable[[str], str | None] | None = None
) -> int:
    """Ask again for every gap `inbox` holds; returns how many requests the broker took.

    The topic of a stream comes from `topic_of_stream` if given, else from the source of its held
    events (a held event came from the producing topic).
    """
    async with pool.acquire() as conn:
        gaps = await inbox.held_gaps(conn)
        known = await held_topics(inbox, conn) if gaps and topic_of_stream is None else {}
    log = klog.get("republish.sweeper")
    sent = 0
    for stream_id, first, last in gaps:
        if last < first:  # held events follow the applied version directly: nothing to ask for
            log.warning("republish.held_without_gap", stream_id=stream_id, applied=first - 1)
            continue
        topic = topic_of_stream(stream_id) if topic_of_stream else known.get(stream_id)
        if not topic:
            log.warning("republish.topic_unknown", stream_id=stream_id)
            continue
        if await requester.request(topic, stream_id, first, last):
            sent += 1
    return sent


class HeldGapSweeper:
    """Every `interval_seconds`, `rerequest_held`; errors are logged and the loop goes on."""

    def __init__(
        self,
        inbox,
        pool,
        requester: RepublishRequester,
        *,
        interval_seconds: float = 5.0,
        topic_of_stream: Callable[[str], str | None] | None = None,
    ):
        self.inbox, self.pool, self.requester = inbox, pool, requester
        self.interval_seconds, self.topic_of_stream = interval_seconds, topic_of_stream
        self.log = klog.get("republish.sweeper").bind(consumer=inbox.consumer)
        self._stopping = asyncio.Event()
        self.sweeps = 0

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_seconds)
                return
            except TimeoutError:
                pass
            try:
                await rerequest_held(self.inbox, self.pool, self.requester, self.topic_of_stream)
                self.sweeps += 1
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - e.g. database unreachable: try next round
                self.log.warning("republish.sweep_failed", error=f"{type(e).__name__}: {e}")

    def stop(self) -> None:
        self._stopping.set()
