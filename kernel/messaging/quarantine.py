"""Deliveries a consumer could not apply, kept in its own store with their error.

A record that keeps failing for a reason other than the store being down (a bug, a payload the
consumer cannot take) is not skipped: it is kept here, counted and shown in the service's status.
Its stream stays held behind it, because the consumer's inbox never remembered it (later versions
wait in `inbox_held`). Kept records are tried once more at every start of the consumer, so a
fixed cause (a new release, a corrected configuration) releases them without an operator
touching a table; a kept record that now goes through leaves the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.domain.errors import Validation
from kernel.eventstore import envelope as env_mod, migrations
from kernel.eventstore.migrations import Migration
from kernel.messaging.inbox import Source

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.consumer_quarantine (
    consumer    text   NOT NULL,
    key         text   NOT NULL,    -- the event id, or topic/partition/offset of a record that does not parse
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    "offset"    bigint NOT NULL,
    event_id    text,
    stream_id   text,
    version     bigint,
    record      bytea  NOT NULL,
    error       text   NOT NULL,
    attempts    int    NOT NULL,
    first_at    timestamptz NOT NULL DEFAULT now(),
    last_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, key)
);
"""
MIGRATIONS = (Migration("quarantine", 1, "deliveries a consumer could not apply", TABLE_SQL),)


@dataclass(frozen=True)
class Kept:
    source: Source
    record: bytes
    error: str
    attempts: int


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


def _identity(record: bytes, source: Source) -> tuple[str, str | None, str | None, int | None]:
    """The record's key (its event id, so a redelivery at another offset is the same record),
    event id, stream and version, where it parses at all."""
    try:
        env = env_mod.parse(record)
    except Validation:
        return f"{source.topic}/{source.partition}/{source.offset}", None, None, None
    return _text(env.event_id), _text(env.event_id), _text(env.stream_id), env.version


def key_of(record: bytes, source: Source) -> str:
    return _identity(record, source)[0]


def _text(value: str) -> str:
    """PostgreSQL text takes no NUL: a record that carries one must still be keepable."""
    return value.replace("\x00", "\\0")


async def keep(conn, schema: str, consumer: str, record: bytes, source: Source, error: str, attempts: int) -> None:
    """Keep (or, kept before, update) one record with its error."""
    await conn.execute(
        f"INSERT INTO {schema}.consumer_quarantine (consumer, key, event_id, stream_id, version, topic, partition, "
        f'"offset", record, error, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) '
        f"ON CONFLICT (consumer, key) DO UPDATE SET error = EXCLUDED.error, last_at = now(), "
        f"attempts = {schema}.consumer_quarantine.attempts + EXCLUDED.attempts",
        consumer,
        *_identity(record, source),
        source.topic,
        source.partition,
        source.offset,
        record,
        _text(error[:2000]),
        attempts,
    )


async def release(conn, schema: str, consumer: str, record: bytes, source: Source) -> None:
    """Forget a kept record that has now gone through."""
    await conn.execute(
        f"DELETE FROM {schema}.consumer_quarantine WHERE consumer = $1 AND key = $2",
        consumer,
        _identity(record, source)[0],
    )


async def kept(conn, schema: str, consumer: str) -> list[Kept]:
    rows = await conn.fetch(
        f'SELECT topic, partition, "offset", record, error, attempts FROM '
        f'{schema}.consumer_quarantine WHERE consumer = $1 ORDER BY topic, partition, "offset"',
        consumer,
    )
    return [
        Kept(Source(r["topic"], r["partition"], r["offset"]), bytes(r["record"]), r["error"], r["attempts"])
        for r in rows
    ]


async def count(conn, schema: str, consumer: str) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {schema}.consumer_quarantine WHERE consumer = $1", consumer)
