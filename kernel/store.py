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

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator, Sequence

import asyncpg

from kernel import envelope as env_mod
from kernel.clock import Clock
from kernel.envelope import NewEvent
from kernel.errors import Concurrency, NotFound, Unavailable, Validation

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS {s}.events (
    position   bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
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

INSERT_SQL = """
INSERT INTO {s}.events (stream_id, version, event_id, event_type, envelope, order_key)
SELECT $1, u.version, u.event_id, u.event_type, u.envelope,
       GREATEST(pg_current_xact_id(),
                COALESCE((SELECT order_key FROM {s}.events WHERE stream_id = $1 AND version = $2),
                         '0'::xid8))
FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::bytea[])
     AS u(version, event_id, event_type, envelope)
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

DRIVER_DOWN = (OSError, asyncpg.exceptions.CannotConnectNowError,
               asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError,
               asyncpg.exceptions.TooManyConnectionsError, asyncpg.exceptions.OperatorInterventionError,
               asyncpg.exceptions.PostgresConnectionError)


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
    return StoredEvent(r["stream_id"], r["version"], str(r["event_id"]), r["event_type"],
                       bytes(r["envelope"]), r["position"], int(r["order_key"]))


def check_identifier(value: str, field: str) -> str:
    if not value or not value.strip():
        raise Validation(field, "must not be empty")
    if len(value) > 200:
        raise Validation(field, "is longer than 200 characters")
    return value


class UnitOfWork:
    """One transaction the caller owns: appends to any streams plus the caller's own rows (`conn`)."""

    def __init__(self, store: "EventStore", conn: asyncpg.Connection):
        self.store, self.conn = store, conn
        self.recorded_at = store.clock.now()
        self.appended: list[StoredEvent] = []

    async def stream_version(self, stream_id: str) -> int:
        return await self.conn.fetchval(
            f"SELECT COALESCE(max(version), 0) FROM {self.store.schema}.events WHERE stream_id = $1",
            stream_id)

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        return await self.store._read_stream(self.conn, stream_id)

    async def append(self, stream_id: str, expected_version: int,
                     events: Sequence[NewEvent]) -> list[StoredEvent]:
        """Append `events` after `expected_version` (0 = new stream).

        Idempotent on event id: when every event id is already stored with the same content (all
        but the log time and position) this is a no-op returning the stored events; the same id
        with other content raises `Validation`. A version conflict raises `Concurrency`.
        """
        check_identifier(stream_id, "stream_id")
        if not events:
            raise Validation("events", "nothing to append")
        if expected_version < 0:
            raise Validation("expected_version", "must be >= 0")
        envelopes = [env_mod.build(e, stream_id, expected_version + i + 1, self.recorded_at)
                     for i, e in enumerate(events)]
        existing = await self._existing(stream_id, envelopes)
        if existing is not None:
            return existing
        actual = await self.stream_version(stream_id)
        if actual != expected_version:
            raise Concurrency(stream_id, expected_version, actual)
        sealed = [env_mod.seal(e) for e in envelopes]
        s = self.store.schema
        try:
            async with self.conn.transaction():  # savepoint: a conflict leaves the caller's tx usable
                rows = await self.conn.fetch(
                    INSERT_SQL.format(s=s), stream_id, expected_version,
                    [e.version for e in envelopes], [e.event_id for e in envelopes],
                    [e.event_type for e in envelopes], sealed)
        except asyncpg.UniqueViolationError as e:
            raise Concurrency(stream_id, expected_version) from e
        except asyncpg.DataError as e:
            raise Validation("event_id", f"not a UUID: {e}") from e
        stored = [StoredEvent(stream_id, env.version, env.event_id, env.event_type, raw, r["position"],
                              int(r["order_key"]))
                  for env, raw, r in zip(envelopes, sealed, rows)]
        self.appended.extend(stored)
        return stored

    async def _existing(self, stream_id: str, envelopes) -> list[StoredEvent] | None:
        try:
            rows = await self.conn.fetch(
                f"SELECT stream_id, version, event_id, event_type, envelope, position, order_key "
                f"FROM {self.store.schema}.events WHERE event_id = ANY($1::uuid[]) ORDER BY version",
                [e.event_id for e in envelopes])
        except asyncpg.DataError as e:
            raise Validation("event_id", f"not a UUID: {e}") from e
        if not rows:
            return None
        by_id = {str(r["event_id"]): r for r in rows}
        for env in envelopes:
            row = by_id.get(env.event_id)
            if row is None or row["stream_id"] != stream_id or env_mod.content_bytes(
                    env_mod.parse(bytes(row["envelope"]))) != env_mod.content_bytes(env):
                raise Validation("event_id", f"{env.event_id} already stored with other content")
        return [_row_event(r) for r in rows]


class EventStore:
    def __init__(self, pool: asyncpg.Pool, schema: str, clock: Clock):
        if not schema.isidentifier():
            raise ValueError(f"bad schema name {schema!r}")
        self.pool, self.schema, self.clock = pool, schema, clock

    async def migrate(self) -> None:
        """Create the schema and tables (idempotent; serialised across processes by a lock)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migrate:{self.schema}")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            await conn.execute(SCHEMA_SQL.format(s=self.schema))

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """Commit when the block ends normally, roll back on any exception."""
        try:
            async with self.pool.acquire() as conn:
                async with conn.transaction():
                    yield UnitOfWork(self, conn)
        except DRIVER_DOWN as e:
            raise Unavailable(f"event store unreachable: {type(e).__name__}") from e

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        check_identifier(stream_id, "stream_id")
        try:
            async with self.pool.acquire() as conn:
                return await self._read_stream(conn, stream_id)
        except DRIVER_DOWN as e:
            raise Unavailable(f"event store unreachable: {type(e).__name__}") from e

    async def load(self, stream_id: str, kind: str) -> list[StoredEvent]:
        events = await self.read_stream(stream_id)
        if not events:
            raise NotFound(kind, stream_id)
        return events

    async def _read_stream(self, conn, stream_id: str) -> list[StoredEvent]:
        rows = await conn.fetch(
            f"SELECT stream_id, version, event_id, event_type, envelope, position, order_key "
            f"FROM {self.schema}.events WHERE stream_id = $1 ORDER BY version", stream_id)
        return [_row_event(r) for r in rows]

    async def read_all(self, after: Cursor = Cursor(), limit: int = 500) -> list[StoredEvent]:
        """Committed events after `after`, gap-free, per-stream ordered (see module docstring)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(READ_VISIBLE_SQL.format(s=self.schema),
                                    after.order_key, after.position, limit)
        return [_row_event(r) for r in rows]

    async def read_range(self, stream_id: str, first: int, last: int | None) -> list[StoredEvent]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT stream_id, version, event_id, event_type, envelope, position, order_key "
                f"FROM {self.schema}.events WHERE stream_id = $1 AND version >= $2 "
                f"AND ($3::bigint IS NULL OR version <= $3) ORDER BY version", stream_id, first, last)
        return [_row_event(r) for r in rows]
