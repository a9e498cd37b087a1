"""Inbox for consumers: de-duplication by event id and per-stream gap detection.

Used inside the consumer's own unit of work, so its effects and the inbox rows commit together:
a redelivered event is recognised and skipped; an event that arrives ahead of a missing version
of its stream is held (stored) until the gap is filled, and reported so that the producer's
relay can be asked to republish the missing range.

An event a consumer does not act on is passed by (`pass_batch`) from its record's headers, never
decoded (issue 30): it leaves no inbox row, only moves its stream's last version, so a later gap
is still seen and a later event is not held behind it. What it cannot tell is a conflict at its
version (there is no digest to compare): a repeat at a passed version counts as a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Envelope

# The record header the relay adds with the event's stream version (`kernel.messaging.relay.record_headers`);
# type and stream are the envelope's own headers (`envelope.kafka_headers`).
VERSION_HEADER = "stream-version"


@dataclass(frozen=True)
class Source:
    """Where a delivery came from (kept beside the event, never inside it)."""

    topic: str = ""
    partition: int = -1
    offset: int = -1
    position: str = ""  # the producer's store position ("<order_key>:<position>"), where it says
    # what the headers say of the event (empty for records sent before they carried them)
    event_type: str = ""
    stream_id: str = ""
    version: int = 0

    def routed(self) -> bool:
        """Whether the headers name the event's type, stream and version: it may be passed by."""
        return bool(self.event_type and self.stream_id) and self.version > 0


@dataclass(frozen=True)
class Accepted:
    envelope: Envelope
    raw: bytes
    source: Source


@dataclass(frozen=True)
class Conflict:
    """A delivery that contradicts what was accepted: the same event id with other bytes
    (`kind` "digest"), or another event at a version already taken (`kind` "version")."""

    envelope: Envelope
    raw: bytes
    source: Source
    kind: str


@dataclass
class BatchOutcome:
    accepted: list[Accepted] = field(default_factory=list)  # in the order to apply
    duplicates: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    gaps: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class Outcome:
    accepted: list[Accepted] = field(default_factory=list)
    duplicate: bool = False
    conflict: bool = False  # same event id, different bytes
    gap: tuple[str, int, int] | None = None  # (stream, first missing, last missing)


class Inbox:
    def __init__(self, schema: str, consumer: str):
        self.schema, self.consumer = schema, consumer

    async def receive(self, conn, raw: bytes, source: Source) -> Outcome:
        """Decide what to apply now, in version order; call inside the consumer's transaction.
        One delivery is a batch of one: the decisions are `receive_batch`'s."""
        env = env_mod.parse(raw)
        out = await self.receive_batch(conn, [(env, raw, source)])
        held = not (out.accepted or out.duplicates or out.conflicts)
        return Outcome(
            accepted=out.accepted,
            duplicate=bool(out.duplicates or out.conflicts),
            conflict=bool(out.conflicts),
            gap=out.gaps[0] if held and out.gaps else None,
        )

    async def receive_batch(self, conn, items: list[tuple[Envelope, bytes, Source]]) -> BatchOutcome:
        """Decide what to apply now for many deliveries at once, set-based (a handful of
        statements for the whole batch), in arrival order; call inside the consumer's transaction.

        A duplicate is skipped; the same event id with other bytes, or another event at a version
        already taken, is a conflict; a version ahead of the stream is held (stored) and reported
        as a gap (stream, first missing, last missing) until its predecessors arrive, when it is
        released in order."""
        state = await self._state(conn, [env.event_id for env, _, _ in items], {env.stream_id for env, _, _ in items})
        for item in items:
            state.take(*item)
        await state.write(conn, self)
        return state.out

    async def pass_batch(self, conn, records: list[tuple[bytes, Source]]) -> BatchOutcome:
        """Pass by events this consumer does not act on, from their sources' headers (`routed`),
        in arrival order, in the caller's transaction: each moves its stream's last version (no
        inbox row), releasing what was held behind it (`accepted`, to apply); one ahead of its
        stream is held like any other and its gap reported (`gaps`: only streams held here)."""
        state = await self._state(conn, [], {source.stream_id for _, source in records})
        for raw, source in records:
            state.pass_by(raw, source)
        await state.write(conn, self)
        held_here = {source.stream_id for _, source in records if (source.stream_id, source.version) in state.held}
        state.out.gaps = [g for g in state.out.gaps if g[0] in held_here]
        return state.out

    async def _state(self, conn, event_ids: list[str], stream_set: set[str]) -> _BatchState:
        """The streams locked for this batch and what the inbox knows of them."""
        streams = sorted(stream_set)
        # One batch per (consumer, stream) at a time, until the caller's transaction ends, taken
        # in one order (no deadlocks). Without it concurrent deliveries race past the checks:
        # unique violations, an identical redelivery flagged as a conflict, a held successor
        # stranded behind a version applied at the same moment. Needs READ COMMITTED (the
        # default): what follows must see what the previous holder committed.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM "
            "(SELECT $1 || s AS k FROM unnest($2::text[]) s ORDER BY 1) t",
            f"inbox:{self.schema}:{self.consumer}:",
            streams,
        )
        return await _BatchState.load(conn, self, list(set(event_ids)), streams)

    async def remembered(self, conn, event_ids: list[str], streams: list[str]) -> tuple[dict, dict]:
        """What this consumer accepted before: {event id: digest} of these ids, {stream: last
        version} of these streams."""
        s, c = self.schema, self.consumer
        rows = event_ids and await conn.fetch(
            f"SELECT event_id, digest FROM {s}.inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])", c, event_ids
        )
        seen = {str(r[0]): bytes(r[1]) for r in rows or ()}
        last = {
            r[0]: r[1]
            for r in await conn.fetch(
                f"SELECT stream_id, version FROM {s}.inbox_streams WHERE consumer = $1 AND stream_id = ANY($2::text[])",
                c,
                streams,
            )
        }
        return seen, last

    async def remember(self, conn, accepted: list[tuple], last: dict[str, int]) -> None:
        """Keep the accepted (event id, stream, version, digest) rows and the streams' new last
        versions, in the caller's transaction."""
        s, c = self.schema, self.consumer
        if accepted:
            await conn.execute(
                f"INSERT INTO {s}.inbox (consumer, event_id, stream_id, version, digest) "
                f"SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::bytea[])",
                c,
                *map(list, zip(*accepted)),
            )
        if last:
            await conn.execute(
                f"INSERT INTO {s}.inbox_streams (consumer, stream_id, version) "
                f"SELECT $1, * FROM unnest($2::text[], $3::bigint[]) "
                f"ON CONFLICT (consumer, stream_id) DO UPDATE SET version = EXCLUDED.version",
                c,
                list(last),
                list(last.values()),
            )

    async def held_gaps(self, conn) -> list[tuple[str, int, int]]:
        """Streams currently held behind a gap: (stream, first missing, last missing)."""
        held = {
            r[0]: r[1]
            for r in await conn.fetch(
                f"SELECT stream_id, min(version) FROM {self.schema}.inbox_held WHERE consumer = $1 GROUP BY stream_id",
                self.consumer,
            )
        }
        _, last = await self.remembered(conn, [], sorted(held))
        return [(st, last.get(st, 0) + 1, v - 1) for st, v in sorted(held.items())]


class _BatchState:
    """What the inbox knows of a batch's streams, and the batch's decisions, before writing."""

    def __init__(self, seen: dict, last: dict, held: dict):
        self.seen, self.last, self.held = seen, last, held  # held: (stream, version) -> (raw, source)
        self.out = BatchOutcome()
        self.new_rows: list[tuple] = []  # inbox rows to insert
        self.new_held: list[tuple] = []
        self.released: list[tuple[str, int]] = []
        self.advanced: set[str] = set()

    @classmethod
    async def load(cls, conn, inbox: Inbox, event_ids: list[str], streams: list[str]) -> _BatchState:
        s, c = inbox.schema, inbox.consumer
        seen, last = await inbox.remembered(conn, event_ids, streams)
        held = {
            (r[0], r[1]): (bytes(r[2]), Source(**json.loads(r[3])))
            for r in await conn.fetch(
                f"SELECT stream_id, version, envelope, source FROM {s}.inbox_held "
                f"WHERE consumer = $1 AND stream_id = ANY($2::text[])",
                c,
                streams,
            )
        }
        return cls(seen, last, held)

    def take(self, env: Envelope, raw: bytes, source: Source) -> None:
        digest = hashlib.sha256(raw).digest()
        if env.event_id in self.seen:
            self.out.duplicates += 1
            if self.seen[env.event_id] != digest:
                self.out.conflicts.append(Conflict(env, raw, source, "digest"))
            return
        last = self.last.get(env.stream_id, 0)
        if env.version <= last:
            self.out.conflicts.append(Conflict(env, raw, source, "version"))
        elif env.version > last + 1:
            if not self._hold(env.stream_id, env.version, raw, source, digest):
                self.out.conflicts.append(Conflict(env, raw, source, "version"))
        else:
            self._accept(env, raw, digest, source)
            self._release(env.stream_id)

    def pass_by(self, raw: bytes, source: Source) -> None:
        """An event not acted on, known by its headers: its stream moves on, or it waits its turn."""
        stream_id, version = source.stream_id, source.version
        last = self.last.get(stream_id, 0)
        if version <= last:  # passed or accepted before: a redelivery
            self.out.duplicates += 1
        elif version > last + 1:
            if not self._hold(stream_id, version, raw, source, hashlib.sha256(raw).digest()):
                self.out.conflicts.append(Conflict(env_mod.parse(raw), raw, source, "version"))
        else:
            self.last[stream_id] = version
            self.advanced.add(stream_id)
            self._release(stream_id)

    def _hold(self, stream_id: str, version: int, raw: bytes, source: Source, digest: bytes) -> bool:
        """Keep an event ahead of its stream until its predecessors come; False if another event
        is held at its version."""
        held = self.held.get((stream_id, version))
        if held is None:
            self.held[(stream_id, version)] = (raw, source)
            self.new_held.append((stream_id, version, raw, json.dumps(source.__dict__)))
            return True
        return hashlib.sha256(held[0]).digest() == digest

    def _accept(self, env: Envelope, raw: bytes, digest: bytes, source: Source) -> None:
        self.seen[env.event_id] = digest
        self.last[env.stream_id] = env.version
        self.advanced.add(env.stream_id)
        self.new_rows.append((env.event_id, env.stream_id, env.version, digest))
        self.out.accepted.append(Accepted(env, raw, source))

    def _release(self, stream_id: str) -> None:
        while (stream_id, self.last[stream_id] + 1) in self.held:
            version = self.last[stream_id] + 1
            raw, source = self.held.pop((stream_id, version))
            self.released.append((stream_id, version))
            self._accept(env_mod.parse(raw), raw, hashlib.sha256(raw).digest(), source)

    async def write(self, conn, inbox: Inbox) -> None:
        s, c = inbox.schema, inbox.consumer
        await inbox.remember(conn, self.new_rows, {x: self.last[x] for x in sorted(self.advanced)})
        new_held = [h for h in self.new_held if (h[0], h[1]) in self.held]  # not released in this batch
        if new_held:
            await conn.execute(
                f"INSERT INTO {s}.inbox_held (consumer, stream_id, version, envelope, source) "
                f"SELECT $1, st, v, e, src::jsonb FROM unnest($2::text[], $3::bigint[], $4::bytea[], $5::text[]) "
                f"AS t(st, v, e, src) ON CONFLICT DO NOTHING",
                c,
                *map(list, zip(*new_held)),
            )
        if self.released:
            await conn.execute(
                f"DELETE FROM {s}.inbox_held h USING unnest($2::text[], $3::bigint[]) r(stream_id, version) "
                f"WHERE h.consumer = $1 AND h.stream_id = r.stream_id AND h.version = r.version",
                c,
                *map(list, zip(*self.released)),
            )
        gaps: dict[str, int] = {}
        for stream_id, version in self.held:
            gaps[stream_id] = min(version, gaps.get(stream_id, version))
        self.out.gaps = [(st, self.last.get(st, 0) + 1, v - 1) for st, v in sorted(gaps.items())]
