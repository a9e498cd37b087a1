"""Inbox for consumers: de-duplication by event id and per-stream gap detection.

Used inside the consumer's own unit of work, so its effects and the inbox rows commit together:
a redelivered event is recognised and skipped; an event that arrives ahead of a missing version
of its stream is held (stored) until the gap is filled, and reported so that the producer's
relay can be asked to republish the missing range.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from kernel import envelope as env_mod
from kernel.envelope import Envelope


@dataclass(frozen=True)
class Source:
    """Where a delivery came from (kept beside the event, never inside it)."""
    topic: str = ""
    partition: int = -1
    offset: int = -1


@dataclass(frozen=True)
class Accepted:
    envelope: Envelope
    raw: bytes
    source: Source


@dataclass
class Outcome:
    accepted: list[Accepted] = field(default_factory=list)
    duplicate: bool = False
    conflict: bool = False           # same event id, different bytes
    gap: tuple[str, int, int] | None = None   # (stream, first missing, last missing)


class Inbox:
    def __init__(self, schema: str, consumer: str):
        self.schema, self.consumer = schema, consumer

    async def receive(self, conn, raw: bytes, source: Source) -> Outcome:
        """Decide what to apply now, in version order; call inside the consumer's transaction."""
        env = env_mod.parse(raw)
        digest = hashlib.sha256(raw).digest()
        # One delivery per (consumer, stream) at a time, until the caller's transaction ends.
        # Without it concurrent deliveries race past the checks below: unique violations, an
        # identical redelivery flagged as a conflict, a held successor stranded behind a version
        # applied at the same moment. Needs READ COMMITTED (the default): the statements after
        # the lock must see what the previous holder committed.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                           f"inbox:{self.schema}:{self.consumer}:{env.stream_id}")
        seen = await conn.fetchval(
            f"SELECT digest FROM {self.schema}.inbox WHERE consumer = $1 AND event_id = $2::uuid",
            self.consumer, env.event_id)
        if seen is not None:
            return Outcome(duplicate=True, conflict=bytes(seen) != digest)
        last = await conn.fetchval(
            f"SELECT version FROM {self.schema}.inbox_streams WHERE consumer = $1 AND stream_id = $2 FOR UPDATE",
            self.consumer, env.stream_id) or 0
        if env.version <= last:
            return Outcome(duplicate=True, conflict=True)   # a different event at a version we have
        if env.version > last + 1:
            await conn.execute(
                f"INSERT INTO {self.schema}.inbox_held (consumer, stream_id, version, envelope, source) "
                f"VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                self.consumer, env.stream_id, env.version, raw, json.dumps(source.__dict__))
            return Outcome(gap=(env.stream_id, last + 1, env.version - 1))
        out = Outcome(accepted=[Accepted(env, raw, source)])
        await self._record(conn, env, digest)
        await self._release_held(conn, env.stream_id, env.version, out)
        await conn.execute(
            f"INSERT INTO {self.schema}.inbox_streams (consumer, stream_id, version) VALUES ($1, $2, $3) "
            f"ON CONFLICT (consumer, stream_id) DO UPDATE SET version = EXCLUDED.version",
            self.consumer, env.stream_id, out.accepted[-1].envelope.version)
        return out

    async def _record(self, conn, env: Envelope, digest: bytes) -> None:
        await conn.execute(
            f"INSERT INTO {self.schema}.inbox (consumer, event_id, stream_id, version, digest) "
            f"VALUES ($1, $2::uuid, $3, $4, $5)", self.consumer, env.event_id, env.stream_id, env.version, digest)

    async def _release_held(self, conn, stream_id: str, version: int, out: Outcome) -> None:
        """Apply held successors of the version just accepted, as long as they are contiguous."""
        while True:
            row = await conn.fetchrow(
                f"DELETE FROM {self.schema}.inbox_held WHERE consumer = $1 AND stream_id = $2 AND version = $3 "
                f"RETURNING envelope, source", self.consumer, stream_id, version + 1)
            if row is None:
                return
            raw = bytes(row["envelope"])
            env = env_mod.parse(raw)
            await self._record(conn, env, hashlib.sha256(raw).digest())
            out.accepted.append(Accepted(env, raw, Source(**json.loads(row["source"]))))
            version += 1

    async def held_gaps(self, conn) -> list[tuple[str, int, int]]:
        """Streams currently held behind a gap: (stream, first missing, last missing)."""
        rows = await conn.fetch(
            f"SELECT h.stream_id, COALESCE(s.version, 0) + 1 AS first, min(h.version) - 1 AS last "
            f"FROM {self.schema}.inbox_held h LEFT JOIN {self.schema}.inbox_streams s "
            f"ON s.consumer = h.consumer AND s.stream_id = h.stream_id WHERE h.consumer = $1 "
            f"GROUP BY h.stream_id, s.version", self.consumer)
        return [(r["stream_id"], r["first"], r["last"]) for r in rows]
