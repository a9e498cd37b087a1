"""Kafka topics `partner.<agency>.v1`: audit's own relay of each agency's feed (issue 23 point 3).

Each agency's feed is a log of entries in `feed_entries` (services/audit/app/feeds.py: one row per
agency and position, the entry bytes the agency's feed tree hashes). This publisher reads them
after each agency's published position, in position order, and produces them to the agency's
topic (`kernel.messaging.topics.partner_topic`: `<prefix>partner.<agency>.v1`):

* key = the source stream id, so one source stream's entries stay in one partition, in order;
  value = the entry bytes exactly as stored (an entry verifies against the feed's signed
  checkpoints as it came off the topic); headers `event-id` (the source event), `position` (the
  entry's position in the agency's feed), `agency`, `leaf-index` (the source leaf in the ledger).
* At least once, never skipping: an agency's next position (`feed_published`) moves only after
  the broker acknowledged (acks=all) every record before it; a crash or a broker error in between
  sends them again. A consumer de-duplicates by the `position` header (each position is once in
  a feed, and a feed's entries never change); within a partition, positions only grow, apart from
  such repeats.
* Only entries go to a partner topic: no marker and no watermark records. Broker loss is seen by
  the last acknowledged record (its partition and offset, kept with the position): checked every
  `check_seconds`, and if it is gone, or another record stands there, or the topic has another
  partition count, the topic is recreated and the agency's feed published again from its start
  (and every other agency's topic made again if the broker lost it too: an idle one as well).
* Topics are created at start like the service's own topic (same partitions, replication, kept
  forever, `max.message.bytes` = the service's `kafka_message_bytes`) and checked; an agency
  whose topic reports a smaller limit, or whose entry the producer or broker refuses as too
  large, is stuck (nothing after it is sent; retried every `stuck_retry_seconds`); the other
  agencies go on. A broker outage never touches the feeds: they are built at ingest and the
  topics catch up.
* Status: one component per agency on the operators' status board (`partner topic <topic>`):
  published, next position, unpublished entries; `stuck` naming the entry and the remedy, or
  `retrying` while the broker is unreachable.

* Replicas (issue 28): one publisher per audit schema at a time. `run()` first takes the advisory
  lock `feed-publisher:<schema>` (`kernel.messaging.leadership`, as the outbox relay does); the
  other replicas' publishers stand by (no Kafka client) and try again every
  `standby_retry_seconds`; when the publisher's session ends one of them takes over from the
  stored positions (what was acknowledged but not yet recorded is sent again: consumers
  de-duplicate by position). The publisher checks its session every `leader_check_seconds` and
  steps down (clients closed first) when it is gone. Fencing, for one that has not noticed yet: a
  position moves, and a lost topic is reset, only by compare-and-set from what this publisher
  read, so a stale one may send duplicates but never moves a position back or counts twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from kernel.edge.status import OK, RETRYING, STUCK, Component, StatusBoard
from kernel.eventstore import migrations
from kernel.eventstore.migrations import Migration
from kernel.messaging import topics
from kernel.messaging.leadership import Leadership, LostLeadership
from kernel.messaging.relay import TOO_LARGE, stop_quietly
from kernel.runtime import log as klog
from kernel.runtime.settings import ServiceSettings

EVENT_ID_HEADER, POSITION_HEADER, AGENCY_HEADER, LEAF_INDEX_HEADER = "event-id", "position", "agency", "leaf-index"

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.feed_published (
    agency          text PRIMARY KEY,
    next_position   bigint NOT NULL DEFAULT 0 CHECK (next_position >= 0),
    published       bigint NOT NULL DEFAULT 0,
    anchor_partition int,
    anchor_offset   bigint,
    anchor_position bigint,
    updated_at      timestamptz NOT NULL DEFAULT now()
)"""
MIGRATIONS = (Migration("audit.feed_publisher", 1, "each agency's position published to its partner topic", TABLE_SQL),)


class _Stopped(Exception):
    """stop() was called: nothing more is opened or sent."""


class _Stuck(Exception):
    """The agency's topic cannot take its next entry until an operator acts; nothing skipped."""


@dataclass(frozen=True)
class Entry:
    agency: str
    position: int
    leaf_index: int
    event_id: str
    stream_id: str
    entry: bytes

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            (EVENT_ID_HEADER, self.event_id.encode()),
            (POSITION_HEADER, str(self.position).encode()),
            (AGENCY_HEADER, self.agency.encode()),
            (LEAF_INDEX_HEADER, str(self.leaf_index).encode()),
        ]


@dataclass
class _Agency:
    """What the publisher knows of one agency's topic in this run."""

    agency: str
    spec: topics.TopicSpec
    published: int = 0  # records acknowledged in this run
    republishes: int = 0  # topics found lost and republished from the start
    next_check: float = 0.0  # monotonic: when the last acknowledged record is checked again
    refusal: str | None = None  # the topic's limit is below the entries' bound
    stuck: str | None = None
    retry_at: float = 0.0  # monotonic: when a stuck agency is tried again
    stuck_logged: float = float("-inf")
    counters: dict = field(default_factory=dict)


class FeedPublisher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        bootstrap: str,
        agencies: Iterable[str],
        *,
        prefix: str = "",
        partitions: int = 6,
        replication_factor: int = 1,
        max_message_bytes: int | None = None,
        batch_size: int = 200,
        poll_seconds: float = 0.1,
        check_seconds: float = 5.0,
        stuck_retry_seconds: float = 5.0,
        stuck_log_seconds: float = 60.0,
        standby_retry_seconds: float = 1.0,
        leader_check_seconds: float = 1.0,
    ):
        self.pool, self.schema, self.bootstrap = pool, schema, bootstrap
        self.max_message_bytes = max_message_bytes
        self.batch_size, self.poll_seconds, self.check_seconds = batch_size, poll_seconds, check_seconds
        self.stuck_retry_seconds, self.stuck_log_seconds = stuck_retry_seconds, stuck_log_seconds
        self.agencies = {
            a: _Agency(
                a, topics.TopicSpec(topics.partner_topic(a, prefix), partitions, replication_factor, max_message_bytes)
            )
            for a in sorted(set(agencies))
        }
        self.log = klog.get("audit.feed_publisher").bind(schema=schema)
        self.standby_retry_seconds = standby_retry_seconds
        self.leader = Leadership(
            pool,
            f"feed-publisher:{schema}",
            self.log,
            "feed_publisher",
            retry_seconds=standby_retry_seconds,
            check_seconds=leader_check_seconds,
        )
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._topics_ready = False
        self._broker_error: str | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    @classmethod
    def for_service(cls, s: ServiceSettings, pool: asyncpg.Pool, agencies: Iterable[str], **options) -> FeedPublisher:
        """The publisher of a service's settings: its schema, broker, topic prefix, partitions,
        replication and Kafka message bound (the same as its own topic's)."""
        return cls(
            pool,
            s.schema,
            s.kafka_bootstrap,
            agencies,
            prefix=s.topic_prefix,
            partitions=s.topic_partitions,
            replication_factor=s.replication_factor,
            max_message_bytes=s.kafka_message_bytes,
            check_seconds=max(s.marker_check_seconds, 5.0),
            **options,
        )

    def start(self) -> FeedPublisher:
        """Run in a task of its own until `close()`."""
        self._task = asyncio.create_task(self.run(), name=f"{self.schema}-feed-publisher")
        return self

    async def close(self) -> None:
        await self.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def topic(self, agency: str) -> str:
        return self.agencies[agency].spec.name

    # -- lifecycle ---------------------------------------------------------------------------
    async def migrate(self) -> None:
        await migrations.apply(self.pool, self.schema, MIGRATIONS)
        await self.pool.execute(
            f"INSERT INTO {self.schema}.feed_published (agency) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
            list(self.agencies),
        )

    def register(self, board: StatusBoard) -> None:
        """One component per agency on the operators' status board."""
        for agency in self.agencies:
            board.register(self._probe(agency))

    def wake(self) -> None:
        """New entries were written: publish now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Close the clients now; the lock goes after them; nothing is opened afterwards."""
        self._stopping.set()
        self._wake.set()
        await self._close_clients()
        await self.leader.release()

    async def run(self) -> None:
        """Become the publisher (or stand by), then publish until stopped or no longer it."""
        await self.migrate()
        try:
            while not self._stopping.is_set():
                if await self.leader.take(self._stopping.is_set):
                    await self._publish()
                try:  # a standby waits for its next try, not for new entries (wake)
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.standby_retry_seconds)
                except TimeoutError:
                    pass
        finally:
            await self._close_clients()
            await self.leader.release()

    async def _publish(self) -> None:
        """Publish while holding the lock. Broker errors drop the clients and retry with backoff."""
        self._topics_ready = False  # what a previous publisher knew is re-learnt: topics, anchors
        for state in self.agencies.values():
            state.next_check = 0.0
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                published = await self._step()
                backoff, self._broker_error = 0.2, None
                if not published:
                    await self._sleep(self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except _Stopped:
                break
            except LostLeadership as lost:
                self.log.warning("feed_publisher.publisher_lost", reason=str(lost), action="standing by")
                await self._close_clients()
                await self.leader.release()
                return
            except Exception as e:  # noqa: BLE001 - broker trouble: reconnect, check the topics again
                if self._stopping.is_set():
                    break
                self._broker_error = f"{type(e).__name__}: {e}"
                self.log.warning("feed_publisher.broker_error", error=self._broker_error, retry_in=backoff)
                await self._close_clients()
                for state in self.agencies.values():
                    state.next_check = 0.0
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    def _check_running(self) -> None:
        if self._stopping.is_set():
            raise _Stopped()

    async def _step(self) -> int:
        await self.leader.check()
        await self._connect()
        if not self._topics_ready:
            for state in self.agencies.values():
                await asyncio.to_thread(topics.ensure_topic, self.bootstrap, state.spec)
                await self._verify(state)
            self._topics_ready = True
        published = 0
        for row in await self._positions():
            state = self.agencies[row["agency"]]
            if state.stuck and time.monotonic() < state.retry_at:
                continue
            try:
                if time.monotonic() >= state.next_check and (row["anchored"] or row["pending"]):
                    await self._check_anchor(state)
                if row["pending"]:
                    if state.refusal:
                        raise _Stuck(state.refusal)
                    published += await self.publish_batch(state)
                self._unstick(state)
            except _Stuck as stuck:
                self._report_stuck(state, str(stuck))
        return published

    async def _connect(self) -> None:
        self._check_running()
        if self._producer is None:
            self._producer = await self._started(
                AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    linger_ms=2,
                    enable_idempotence=False,
                    request_timeout_ms=10000,
                    **({"max_request_size": self.max_message_bytes} if self.max_message_bytes else {}),
                )
            )
        if self._consumer is None:
            self._consumer = await self._started(
                AIOKafkaConsumer(
                    bootstrap_servers=self.bootstrap,
                    group_id=None,
                    enable_auto_commit=False,
                    auto_offset_reset="none",
                    **({"max_partition_fetch_bytes": self.max_message_bytes} if self.max_message_bytes else {}),
                )
            )

    async def _started(self, client):
        try:
            await client.start()
        except BaseException:
            await stop_quietly(client)
            raise
        if self._stopping.is_set():
            await stop_quietly(client)
            raise _Stopped()
        return client

    async def _close_clients(self) -> None:
        producer, consumer, self._producer, self._consumer = self._producer, self._consumer, None, None
        for client in (producer, consumer):
            await stop_quietly(client)

    # -- reading the feeds -------------------------------------------------------------------
    async def _positions(self) -> list[asyncpg.Record]:
        """Each agency: whether it has published anything (a record to check) and entries at or
        after its next position."""
        return await self.pool.fetch(
            f"SELECT p.agency, p.anchor_offset IS NOT NULL AS anchored, EXISTS (SELECT 1 FROM "
            f"{self.schema}.feed_entries e WHERE e.agency = p.agency AND e.position >= p.next_position) AS pending "
            f"FROM {self.schema}.feed_published p WHERE p.agency = ANY($1::text[]) ORDER BY p.agency",
            list(self.agencies),
        )

    async def _entries(self, agency: str) -> tuple[int, list[Entry]]:
        next_position = await self._next_position(agency)
        rows = await self.pool.fetch(
            f"SELECT position, leaf_index, event_id, stream_id, entry FROM {self.schema}.feed_entries "
            f"WHERE agency = $1 AND position >= $2 ORDER BY position LIMIT $3",
            agency,
            next_position,
            self.batch_size,
        )
        return next_position, [
            Entry(agency, r["position"], r["leaf_index"], str(r["event_id"]), r["stream_id"], bytes(r["entry"]))
            for r in rows
        ]

    async def _next_position(self, agency: str) -> int:
        return await self.pool.fetchval(
            f"SELECT next_position FROM {self.schema}.feed_published WHERE agency = $1", agency
        )

    # -- publishing --------------------------------------------------------------------------
    async def publish_batch(self, state: _Agency) -> int:
        """Send the agency's next entries in position order and wait for every acknowledgement;
        the next position moves past the acknowledged prefix only."""
        read, entries = await self._entries(state.agency)
        if not entries:
            return 0
        producer = self._producer
        self._check_running()
        futures, refused = [], None
        for e in entries:
            try:
                futures.append(
                    await producer.send(state.spec.name, value=e.entry, key=e.stream_id.encode(), headers=e.headers())
                )
            except TOO_LARGE as error:
                refused = (len(futures), error)
                break
        results = await asyncio.gather(*futures, return_exceptions=True)
        acked, failure = 0, None
        for result in results:
            if isinstance(result, BaseException):
                failure = result
                break
            acked += 1
        if acked:
            last = results[acked - 1]
            await self._advance(state, read, entries[acked - 1], last.partition, last.offset, acked)
        if failure is not None and not isinstance(failure, TOO_LARGE):
            raise failure
        if failure is not None or refused is not None:
            error = failure if failure is not None else refused[1]
            raise _Stuck(self._too_large(state, entries[acked], error))
        return acked

    async def _advance(self, state: _Agency, read: int, last: Entry, partition: int, offset: int, count: int) -> None:
        """Move the agency's next position from `read` (compare-and-set: see Replicas above)."""
        status = await self.pool.execute(
            f"UPDATE {self.schema}.feed_published SET next_position = $2, published = published + $3, "
            f"anchor_partition = $4, anchor_offset = $5, anchor_position = $6, updated_at = now() "
            f"WHERE agency = $1 AND next_position = $7",
            state.agency,
            last.position + 1,
            count,
            partition,
            offset,
            last.position,
            read,
        )
        if status.split()[-1] != "1":
            # Another publisher moved it (one that lost its lock and has not noticed, or this one's
            # successor): what it sent stands; ours were duplicates.
            self.leader.check_soon()
            self.log.warning("feed_publisher.position_moved", agency=state.agency, count=count)
            return
        state.published += count
        self.log.info("feed_publisher.published", agency=state.agency, count=count, last_position=last.position)

    def _too_large(self, state: _Agency, e: Entry, error: Exception) -> str:
        return (
            f"stuck on feed entry {e.position} of {state.agency} (event {e.event_id}, stream {e.stream_id}, "
            f"{len(e.entry)} bytes): refused as too large ({type(error).__name__}); raise the broker/topic limit "
            f"(max.message.bytes of {state.spec.name}) or MAX_EVENT_BYTES; the entry is kept and published "
            f"once it fits, nothing after it is sent meanwhile"
        )

    # -- broker loss -------------------------------------------------------------------------
    async def _check_anchor(self, state: _Agency) -> None:
        """The last acknowledged record must still be where the broker acknowledged it (before
        the first one: the topic must exist with its partitions); else the topic is recreated
        and the agency's feed published again from its start."""
        state.next_check = time.monotonic() + self.check_seconds
        row = await self.pool.fetchrow(
            f"SELECT anchor_partition, anchor_offset, anchor_position FROM {self.schema}.feed_published "
            f"WHERE agency = $1",
            state.agency,
        )
        if row["anchor_offset"] is not None:
            if await self._anchor_present(state, row):
                return
        elif await asyncio.to_thread(topics.partition_count, self.bootstrap, state.spec.name) == state.spec.partitions:
            return
        await self._rebuild(state, row)

    async def _rebuild(self, state: _Agency, anchor) -> None:
        self._check_running()
        # Fresh clients around the rebuild: their metadata may describe the topic being rebuilt
        # (e.g. one a fetch auto-created with the broker's default partition count).
        await self._close_clients()
        count = await asyncio.to_thread(topics.partition_count, self.bootstrap, state.spec.name)
        self.log.warning(
            "feed_publisher.topic_lost",
            agency=state.agency,
            topic=state.spec.name,
            partitions_found=count,
            action="recreated the topic; publishing the agency's feed again from its start",
        )
        if count is not None and count != state.spec.partitions:
            await asyncio.to_thread(topics.delete_topic, self.bootstrap, state.spec.name)
        await asyncio.to_thread(topics.ensure_topic, self.bootstrap, state.spec)
        self._check_running()
        await self._verify(state)
        status = await self.pool.execute(
            f"UPDATE {self.schema}.feed_published SET next_position = 0, anchor_partition = NULL, "
            f"anchor_offset = NULL, anchor_position = NULL, updated_at = now() WHERE agency = $1 "
            f"AND anchor_offset IS NOT DISTINCT FROM $2 AND anchor_position IS NOT DISTINCT FROM $3",
            state.agency,
            anchor["anchor_offset"],
            anchor["anchor_position"],
        )
        if status.split()[-1] != "1":  # another publisher moved the feed meanwhile: it publishes
            raise LostLeadership(f"another publisher moved {state.agency}'s feed during the topic's rebuild")
        state.republishes += 1
        self._topics_ready = False  # the broker lost this topic: the others (idle ones too) are made again
        await self._connect()

    async def _anchor_present(self, state: _Agency, row) -> bool:
        consumer = self._consumer
        if consumer is None:
            raise _Stopped()
        tp = TopicPartition(state.spec.name, row["anchor_partition"])
        consumer.assign([tp])
        consumer.seek(tp, row["anchor_offset"])
        try:
            batch = await consumer.getmany(tp, timeout_ms=3000, max_records=1)
        except Exception:  # noqa: BLE001 - offset out of range: the record's log is gone
            return False
        records = batch.get(tp, [])
        if not records or records[0].offset != row["anchor_offset"]:
            return False
        headers = dict(records[0].headers or ())
        return (
            headers.get(POSITION_HEADER) == str(row["anchor_position"]).encode()
            and headers.get(AGENCY_HEADER) == state.agency.encode()
        )

    async def _verify(self, state: _Agency) -> None:
        check = await asyncio.to_thread(topics.verify_topic, self.bootstrap, state.spec)
        for problem in check.problems:
            self.log.error("feed_publisher.topic_misconfigured", agency=state.agency, problem=problem)
        state.refusal = check.refusal

    # -- status ------------------------------------------------------------------------------
    def _report_stuck(self, state: _Agency, problem: str) -> None:
        now = time.monotonic()
        if state.stuck != problem:
            state.stuck, state.stuck_logged = problem, float("-inf")
            state.counters = {"stuck_since": int(time.time())}
        state.retry_at = now + self.stuck_retry_seconds
        if now - state.stuck_logged >= self.stuck_log_seconds:
            state.stuck_logged = now
            self.log.error("feed_publisher.stuck", agency=state.agency, problem=problem)

    def _unstick(self, state: _Agency) -> None:
        if state.stuck is not None:
            self.log.info("feed_publisher.unstuck", agency=state.agency)
            state.stuck, state.counters = None, {}

    def _probe(self, agency: str):
        async def probe() -> Component:
            return await self.status(agency)

        probe.__qualname__ = f"partner topic {self.agencies[agency].spec.name}"
        return probe

    async def status(self, agency: str) -> Component:
        state = self.agencies[agency]
        row = await self.pool.fetchrow(
            f"SELECT p.next_position, (SELECT count(*) FROM {self.schema}.feed_entries e "
            f"WHERE e.agency = p.agency AND e.position >= p.next_position) AS unpublished "
            f"FROM {self.schema}.feed_published p WHERE p.agency = $1",
            agency,
        )
        counters = {
            "published": state.published,
            "republishes": state.republishes,
            "next_position": row["next_position"] if row else 0,
            "unpublished": row["unpublished"] if row else 0,
            "publishing": int(self.leader.held),  # 0: a standby, another replica's publisher publishes
            "takeovers": self.leader.takeovers,
            **state.counters,
        }
        name = f"partner topic {state.spec.name}"
        if self.leader.problem():
            return Component(name, RETRYING, counters, (self.leader.problem(),))
        if state.stuck:
            return Component(name, STUCK, counters, (state.stuck,))
        if self._broker_error:
            problem = f"broker unreachable ({self._broker_error}); retrying, the feed keeps its entries"
            return Component(name, RETRYING, counters, (problem,))
        return Component(name, OK, counters)
