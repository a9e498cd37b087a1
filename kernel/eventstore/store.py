"""Event store on PostgreSQL (asyncpg), one schema per service. The event table is the outbox.

Ordering rule for readers (the subtlest lines of the system, read before changing anything):

* `position` comes from an identity sequence, whose values become visible at COMMIT, not at
  INSERT: a reader that takes `position > last` skips rows of transactions that commit late.
* So each row carries `order_key` (xid8) and readers take only rows with
  `order_key < pg_snapshot_xmin(pg_current_snapshot())`, in (order_key, position) order. Every
  transaction with an xid below xmin has ended, so no row can appear later below the cursor.
* `order_key` is GREATEST(own xid, order_key of the stream's previous version). A transaction
  that wrote other rows first (inbox, counters) owns an *older* xid than a later writer of the
  same stream; with the bare xid its version n+1 would sort before version n. Inheriting the
  predecessor's key keeps per-stream order, and stays safe: own xid <= order_key, so
  order_key < xmin still implies the writer has ended.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial

import asyncpg

from kernel.domain.clock import Clock
from kernel.domain.errors import Concurrency, NotFound, TooLarge, Unavailable, Validation
from kernel.eventstore import envelope as env_mod, migrations
from kernel.eventstore.envelope import NewEvent
from kernel.eventstore.group_commit import GroupCommit, append_group
from kernel.eventstore.migrations import Migration

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS {s}.events (
    position   bigint GENERATED ALWAYS AS IDENTITY,  -- unique by construction; no index to pay for
    stream_id  text   NOT NULL,
    version    bigint NOT NULL CHECK (version >= 1),
    event_id   uuid   NOT NULL,
    event_type text   NOT NULL,
    envelope   bytea  NOT NULL,
    order_key  xid8   NOT NULL,
    CONSTRAINT events_stream_version PRIMARY KEY (stream_id, version),
    CONSTRAINT events_event_id UNIQUE (event_id)
);
CREATE INDEX IF NOT EXISTS events_relay_order ON {s}.events (order_key, position);
CREATE TABLE IF NOT EXISTS {s}.relay_cursor (
    topic      text PRIMARY KEY,
    order_key  xid8   NOT NULL DEFAULT '0',
    position   bigint NOT NULL DEFAULT 0,
    epoch      text   NOT NULL DEFAULT '',
    published  bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.inbox (
    consumer   text   NOT NULL,
    event_id   uuid   NOT NULL,
    stream_id  text   NOT NULL,
    version    bigint NOT NULL,
    digest     bytea  NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS {s}.inbox_streams (
    consumer   text   NOT NULL,
    stream_id  text   NOT NULL,
    version    bigint NOT NULL,
    PRIMARY KEY (consumer, stream_id)
);
CREATE TABLE IF NOT EXISTS {s}.inbox_held (
    consumer   text   NOT NULL,
    stream_id  text   NOT NULL,
    version    bigint NOT NULL,
    envelope   bytea  NOT NULL,
    source     jsonb  NOT NULL,
    held_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream_id, version)
);
"""
# events published up to the cursor in this epoch (kernel.messaging.watermarks_pub); NULL until the relay
# counts them once, for a deployment that had a cursor before watermarks
THROUGH_COUNT_SQL = "ALTER TABLE {s}.relay_cursor ADD COLUMN IF NOT EXISTS through_count bigint"
MIGRATIONS = (
    Migration("store", 1, "events, relay cursor and inbox", SCHEMA_SQL),
    Migration("store", 2, "relay cursor counts what it published", THROUGH_COUNT_SQL),
)

# One statement per append. The WHERE clause inserts nothing unless the stream stands exactly at
# $2 (no row yet for 0, else row $2 present); a row already at $2+1 — or an event id already
# stored — is a unique conflict. Inside a caller's transaction conflicts are DO NOTHING (an
# error would abort the caller's transaction); alone, in autocommit, the statement fails whole.
# Either way fewer rows than sent sends the caller to `_diagnose`.
INSERT_SQL = """
INSERT INTO {s}.events (stream_id, version, event_id, event_type, envelope, order_key)
SELECT $1, u.version, u.event_id, u.event_type, u.envelope,
       GREATEST(pg_current_xact_id(),
                COALESCE((SELECT order_key FROM {s}.events WHERE stream_id = $1 AND version = $2),
                         '0'::xid8))
FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::bytea[])
     AS u(version, event_id, event_type, envelope)
WHERE CASE WHEN $2 = 0 THEN NOT EXISTS (SELECT 1 FROM {s}.events WHERE stream_id = $1)
           ELSE EXISTS (SELECT 1 FROM {s}.events WHERE stream_id = $1 AND version = $2) END
{conflict}
RETURNING position, order_key
"""

# Gap-free read: see the module docstring.
READ_VISIBLE_SQL = """
SELECT order_key, position, stream_id, version, event_id, event_type, envelope
FROM {s}.events
WHERE (order_key, position) > ($1::xid8, $2::bigint)
  AND order_key < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY order_key, position
LIMIT $3
"""

# What the store being down looks like to the driver: a socket error (ConnectionError and, since
# Python 3.11, asyncio's TimeoutError are OSErrors), a connection closed or torn mid-operation
# (InterfaceError; InternalClientError, e.g. "cannot switch to state 15; another operation is in
# progress" after a backend was killed mid-query), or the server's own word (below). A tuple for
# `except` clauses; `is_store_down` is the full test.
DRIVER_DOWN = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)
# SQLSTATE classes that say the server cannot serve now: 08 connection exception, 53 insufficient
# resources (too many connections, disk or memory full), 57 operator intervention (admin or
# crash shutdown, cannot connect now, query cancelled). The caller cannot know whether its
# command committed; its retry with the same request id settles it (kernel.eventstore.commands).
DOWN_SQLSTATE_CLASSES = ("08", "53", "57")

# Largest sealed envelope an append stores unless told otherwise: ServiceSettings.max_event_bytes'
# default, well under Kafka's 1 MiB so key, headers and batch framing still fit.
DEFAULT_MAX_EVENT_BYTES = 262_144


def is_store_down(error: BaseException) -> bool:
    """True if `error` means the store could not be reached or dropped the connection: the
    operation's outcome is unknown, and a retry (with the same request id) is the answer."""
    if isinstance(error, DRIVER_DOWN):
        return True
    sqlstate = getattr(error, "sqlstate", None) if isinstance(error, asyncpg.PostgresError) else None
    return bool(sqlstate) and sqlstate[:2] in DOWN_SQLSTATE_CLASSES


def store_unavailable(error: BaseException) -> Unavailable:
    """The one message a caller sees for a store failure (safe to show: no driver detail)."""
    return Unavailable(
        f"event store unreachable ({type(error).__name__}); retry, a command with the "
        f"same x-request-id: it takes effect at most once"
    )


@asynccontextmanager
async def store_errors() -> AsyncIterator[None]:
    """Re-raise a store failure inside the block as `Unavailable`; anything else unchanged."""
    try:
        yield
    except Exception as e:
        if is_store_down(e):
            raise store_unavailable(e) from e
        raise


async def _keep_session(conn) -> None:
    """Pool reset that sends no query. asyncpg still rolls back an open transaction and drops
    listeners before calling it; its default reset adds a round trip per release (RESET ALL,
    UNLISTEN, advisory unlock), a third of a single-event append. Safe because the platform
    keeps no session state on pooled connections: advisory locks are transaction-scoped, and no
    SET, LISTEN or cursor outlives a transaction (tests/unit/test_no_session_state.py)."""


# PostgreSQL's binary timestamptz: microseconds since 2000-01-01 UTC; the int64 ends mean ±infinity.
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_LATEST = datetime.max.replace(tzinfo=timezone.utc)
_EARLIEST_US = (_EARLIEST - _PG_EPOCH) // timedelta(microseconds=1)
_LATEST_US = (_LATEST - _PG_EPOCH) // timedelta(microseconds=1)


def _encode_timestamptz(at: datetime) -> tuple[int]:
    """An aware datetime, in any zone, as the instant PostgreSQL stores. Refused: a naive datetime
    or a bare date (which instant it means depends on the zone of the process that writes it, and
    reads are aware, so it could not read back equal), and an instant outside Python's UTC range
    (datetime.min in UTC+8 is in year 0 UTC: stored, it could not read back at all)."""
    try:
        d = at - _PG_EPOCH
    except TypeError:
        raise TypeError(f"a timestamptz takes an aware datetime, not {at!r}") from None
    us = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
    if not _EARLIEST_US <= us <= _LATEST_US:
        raise ValueError(f"{at.isoformat()} lies outside the years 1-9999 in UTC")
    return (us,)


def _decode_timestamptz(value: tuple[int]) -> datetime:
    """The stored instant as an aware UTC datetime; outside Python's range, the nearer end."""
    us = value[0]
    if _EARLIEST_US <= us <= _LATEST_US:
        return _PG_EPOCH + timedelta(0, 0, us)
    return _EARLIEST if us < 0 else _LATEST


async def _utc_times(conn: asyncpg.Connection) -> None:
    """Every timestamptz a connection reads is an aware UTC datetime; what it writes is the exact
    instant given. asyncpg's own codec writes an aware datetime equal to datetime.min or .max as
    -infinity/infinity and reads the infinities back as *naive* datetime.min/.max, so a clue received
    "0001-01-01T00:00:00Z" broke every query that compared it ("can't compare offset-naive and
    offset-aware datetimes"). Here:

    * datetime.min and .max (UTC) are stored as the finite instants they are (PostgreSQL's range
      runs from 4713 BC to 294276 AD), not as infinities: SQL comparisons and arithmetic on them
      stay exact, and they read back equal.
    * An infinity, or a finite value beyond Python's years 1-9999, can only come from SQL typed by
      hand ('infinity'::timestamptz); it reads as aware datetime.min/.max UTC, the nearest time
      Python holds, rather than failing the whole query. Refusing it on the way in is not
      possible (the store never sends it) and failing on the way out would make a row unreadable.

    Cost: asyncpg's own decoder also builds each datetime in Python (epoch + timedelta), so this
    one adds little more than a call: fetching 10,000 rows of three timestamptz took 18.9 ms
    instead of 17.9; writing 20,000 through arrays, 11.1 ms instead of 17.4 (no astimezone). The
    event table has no timestamptz: event reads are unchanged. Set once per connection with no
    round trip (timestamptz is a built-in type); `_keep_session` leaves it in place."""
    await conn.set_type_codec(
        "timestamptz", schema="pg_catalog", encoder=_encode_timestamptz, decoder=_decode_timestamptz, format="tuple"
    )


async def connect(url: str, **kw) -> asyncpg.Connection:
    """One connection outside a pool (the audit tools), reading times as the pool does."""
    conn = await asyncpg.connect(url, **kw)
    await _utc_times(conn)
    return conn


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """The pool of every service (see `_utc_times`, `_keep_session`)."""
    return await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, reset=_keep_session, init=_utc_times)


@dataclass(frozen=True)
class Cursor:
    """A reader's place in the log: last (order_key, position) it has taken."""

    order_key: int = 0
    position: int = 0


@dataclass(frozen=True)
class StoredEvent:
    stream_id: str
    version: int
    event_id: str
    event_type: str
    envelope: bytes
    position: int = 0
    order_key: int = 0

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.order_key, self.position)


def _row_event(r) -> StoredEvent:
    return StoredEvent(
        r["stream_id"],
        r["version"],
        str(r["event_id"]),
        r["event_type"],
        bytes(r["envelope"]),
        r["position"],
        int(r["order_key"]),
    )


def check_identifier(value: str, field: str) -> str:
    if not value or not value.strip():
        raise Validation(field, "must not be empty")
    if len(value) > 200:
        raise Validation(field, "is longer than 200 characters")
    return value


class UnitOfWork:
    """One transaction the caller owns: appends to any streams plus the caller's own rows (`conn`)."""

    def __init__(self, store: EventStore, conn: asyncpg.Connection):
        self.store, self.conn = store, conn
        self.recorded_at = store.clock.now()
        self.appended: list[StoredEvent] = []

    async def stream_version(self, stream_id: str) -> int:
        return await self.conn.fetchval(
            f"SELECT COALESCE(max(version), 0) FROM {self.store.schema}.events WHERE stream_id = $1", stream_id
        )

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        return await self.store._read_stream(self.conn, stream_id)

    async def read_streams(self, stream_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        return await self.store._read_streams(self.conn, stream_ids)

    async def append(self, stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> list[StoredEvent]:
        """Append `events` after `expected_version` (0 = new stream), in one statement.

        Idempotent on event id: when every event id is already stored with the same content (all
        but the log time and position) this is a no-op returning the stored events; the same id
        with other content raises `Validation`. A version conflict raises `Concurrency`. After
        either error the transaction must be abandoned (`unit_of_work` rolls it back): nothing
        of a refused append may commit.
        """
        batch = _Batch.of(self.store, stream_id, expected_version, events, self.recorded_at)
        try:
            rows = await self.conn.fetch(
                INSERT_SQL.format(s=self.store.schema, conflict="ON CONFLICT DO NOTHING"), *batch.args
            )
        except asyncpg.DataError as e:
            raise Validation("event_id", f"not a UUID: {e}") from e
        if len(rows) < len(batch.envelopes):
            return await self.store._diagnose(self.conn, batch)
        stored = batch.stored(rows)
        self.appended.extend(stored)
        return stored


@dataclass
class _Batch:
    """An append's envelopes, sealed once, and the statement's arguments."""

    stream_id: str
    expected_version: int
    envelopes: list
    sealed: list[bytes]

    @classmethod
    def of(
        cls, store: EventStore, stream_id: str, expected_version: int, events: Sequence[NewEvent], recorded_at
    ) -> _Batch:
        check_identifier(stream_id, "stream_id")
        if not events:
            raise Validation("events", "nothing to append")
        if expected_version < 0:
            raise Validation("expected_version", "must be >= 0")
        envelopes = [env_mod.build(e, stream_id, expected_version + i + 1, recorded_at) for i, e in enumerate(events)]
        sealed = [env_mod.seal(e) for e in envelopes]
        for env, raw in zip(envelopes, sealed):
            if len(raw) > store.max_event_bytes:
                raise TooLarge(env.event_type.rsplit(".", 1)[-1], len(raw), store.max_event_bytes)
        return cls(stream_id, expected_version, envelopes, sealed)

    @property
    def args(self) -> tuple:
        return (
            self.stream_id,
            self.expected_version,
            [e.version for e in self.envelopes],
            [e.event_id for e in self.envelopes],
            [e.event_type for e in self.envelopes],
            self.sealed,
        )

    def stored(self, rows) -> list[StoredEvent]:
        return [
            StoredEvent(
                self.stream_id, env.version, env.event_id, env.event_type, raw, r["position"], int(r["order_key"])
            )
            for env, raw, r in zip(self.envelopes, self.sealed, rows)
        ]


class EventStore:
    """`max_event_bytes` bounds each sealed envelope: a larger one could never be published (the
    relay would retry it forever and publish nothing after it), so the append refuses it."""

    def __init__(
        self, pool: asyncpg.Pool, schema: str, clock: Clock, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ):
        if not schema.isidentifier():
            raise ValueError(f"bad schema name {schema!r}")
        if max_event_bytes < 1:
            raise ValueError(f"max_event_bytes must be positive, not {max_event_bytes}")
        self.pool, self.schema, self.clock = pool, schema, clock
        self.max_event_bytes = max_event_bytes
        self._insert_alone = self.insert_sql(conflict="")
        self._group = GroupCommit(self._append_alone, partial(append_group, self))

    async def migrate(self) -> None:
        """Create the schema and the store's tables (`kernel.eventstore.migrations`)."""
        await migrations.apply(self.pool, self.schema, MIGRATIONS)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; a store failure anywhere in the block is `Unavailable`."""
        async with store_errors():
            async with self.pool.acquire() as conn:
                yield conn

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """Commit when the block ends normally, roll back on any exception. A failure at commit
        leaves the outcome unknown to the caller: `Unavailable`, retried with the same request id."""
        async with self._connection() as conn:
            async with conn.transaction():
                yield UnitOfWork(self, conn)

    def insert_sql(self, conflict: str) -> str:
        """INSERT_SQL for this schema; `conflict` is "" or "ON CONFLICT DO NOTHING"."""
        return INSERT_SQL.format(s=self.schema, conflict=conflict)

    async def append(self, stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> list[StoredEvent]:
        """`UnitOfWork.append` without a caller's transaction, atomic on its own. Concurrent
        appends share one commit (`kernel.eventstore.group_commit`); each keeps its own version
        check, idempotency and answer."""
        batch = _Batch.of(self, stream_id, expected_version, events, self.clock.now())
        return await self._group.submit(batch)

    async def _append_alone(self, batch: _Batch) -> list[StoredEvent]:
        """One autocommit statement, which a conflict fails whole (so no partial batch can
        commit); then the same diagnosis as inside a transaction."""
        async with self._connection() as conn:
            try:
                rows = await conn.fetch(self._insert_alone, *batch.args)
            except asyncpg.UniqueViolationError:
                rows = []
            except asyncpg.DataError as e:
                raise Validation("event_id", f"not a UUID: {e}") from e
            if len(rows) < len(batch.envelopes):
                return await self._diagnose(conn, batch)
        return batch.stored(rows)

    async def _diagnose(self, conn, batch: _Batch) -> list[StoredEvent]:
        """Why an append inserted less than it sent: a retry (return what is stored), an event id
        reused with other content (Validation), or a version conflict (Concurrency).

        Inside a transaction a batch may have inserted part of itself before a conflict (its
        version n+1 taken by a concurrent writer, n+2 still free): those rows carry the batch's
        own ids and content, so they count neither as reuse nor as the stream's actual version."""
        ids = [e.event_id for e in batch.envelopes]
        rows = await conn.fetch(
            f"SELECT stream_id, version, event_id, event_type, envelope, position, order_key "
            f"FROM {self.schema}.events WHERE event_id = ANY($1::uuid[]) ORDER BY version",
            ids,
        )
        by_id = {str(r["event_id"]): r for r in rows}
        for env in batch.envelopes:
            row = by_id.get(env.event_id)
            if row is not None and (
                row["stream_id"] != batch.stream_id
                or env_mod.content_bytes(env_mod.parse(bytes(row["envelope"]))) != env_mod.content_bytes(env)
            ):
                raise Validation("event_id", f"{env.event_id} already stored with other content")
        if len(by_id) == len(ids):  # every id was stored before, with this content: a retry
            return [_row_event(r) for r in rows]
        actual = await conn.fetchval(
            f"SELECT COALESCE(max(version), 0) FROM {self.schema}.events WHERE stream_id = $1 "
            f"AND event_id <> ALL($2::uuid[])",
            batch.stream_id,
            ids,
        )
        raise Concurrency(batch.stream_id, batch.expected_version, actual)

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        check_identifier(stream_id, "stream_id")
        async with self._connection() as conn:
            return await self._read_stream(conn, stream_id)

    async def load(self, stream_id: str, kind: str) -> list[StoredEvent]:
        events = await self.read_stream(stream_id)
        if not events:
            raise NotFound(kind, stream_id)
        return events

    async def _read_stream(self, conn, stream_id: str) -> list[StoredEvent]:
        rows = await conn.fetch(
            f"SELECT stream_id, version, event_id, event_type, envelope, position, order_key "
            f"FROM {self.schema}.events WHERE stream_id = $1 ORDER BY version",
            stream_id,
        )
        return [_row_event(r) for r in rows]

    async def read_streams(self, stream_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Several whole streams in one query: {stream id: its events}; absent streams are left out."""
        async with self._connection() as conn:
            return await self._read_streams(conn, stream_ids)

    async def _read_streams(self, conn, stream_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        rows = await conn.fetch(
            f"SELECT stream_id, version, event_id, event_type, envelope, position, order_key "
            f"FROM {self.schema}.events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version",
            list(stream_ids),
        )
        out: dict[str, list[StoredEvent]] = {}
        for r in rows:
            out.setdefault(r["stream_id"], []).append(_row_event(r))
        return out

    async def read_all(self, after: Cursor = Cursor(), limit: int = 500) -> list[StoredEvent]:
        """Committed events after `after`, gap-free, per-stream ordered (see module docstring)."""
        async with self._connection() as conn:
            rows = await conn.fetch(READ_VISIBLE_SQL.format(s=self.schema), after.order_key, after.position, limit)
        return [_row_event(r) for r in rows]

    async def read_range(self, stream_id: str, first: int, last: int | None) -> list[StoredEvent]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                f"SELECT stream_id, version, event_id, event_type, envelope, position, order_key "
                f"FROM {self.schema}.events WHERE stream_id = $1 AND version >= $2 "
                f"AND ($3::bigint IS NULL OR version <= $3) ORDER BY version",
                stream_id,
                first,
                last,
            )
        return [_row_event(r) for r in rows]
