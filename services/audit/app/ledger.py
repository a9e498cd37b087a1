"""The verifiable ledger's storage: leaves, perfect-subtree nodes, the head, quarantine.

Every recorded event is one leaf, hashed over exactly the envelope bytes received. The tree is
integrated in the ingest transaction (tessera's sequence + integrate in one step): the head row
is locked, the batch's leaves get the next indices, the compact range is extended, and every
perfect node it completes is stored, so any root or proof at any size is read from stored hashes
(about 2 rows per leaf, O(log n) rows per proof) and never recomputed from leaves.
"""

from __future__ import annotations

import hashlib

from kernel.eventstore.envelope import instant, parse
from kernel.eventstore.migrations import Migration
from kernel.messaging.inbox import Accepted, Conflict, Inbox, Source
from kernel.messaging.watermark import Position
from services.audit.domain.merkle import EMPTY_ROOT, CompactRange, Node, decompose, leaf_hash, range_hash

RECORDED_SQL = """
CREATE TABLE IF NOT EXISTS {s}.recorded_events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid   NOT NULL UNIQUE,
    stream_id   text   NOT NULL,
    version     bigint NOT NULL,
    event_type  text   NOT NULL,
    envelope    bytea  NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    "offset"    bigint NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, version)
);
"""
TREE_SQL = """
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS leaf_index bigint UNIQUE;
CREATE TABLE IF NOT EXISTS {s}.ledger_head (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    size  bigint  NOT NULL,
    peaks bytea[] NOT NULL
);
INSERT INTO {s}.ledger_head (size, peaks) VALUES (0, '{{}}') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {s}.merkle_nodes (
    level smallint NOT NULL,
    idx   bigint   NOT NULL,
    hash  bytea    NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE IF NOT EXISTS {s}.quarantine (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid   NOT NULL,
    stream_id   text   NOT NULL,
    version     bigint NOT NULL,
    kind        text   NOT NULL,
    envelope    bytea  NOT NULL,
    digest      bytea  NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    "offset"    bigint NOT NULL,
    detected_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, digest)
);
"""
# the envelope's domain and log times, beside it like its stream and version (replay orders by them)
TIMES_SQL = """
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS occurred_at timestamptz;
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS recorded_at timestamptz;
"""
# the producer's store position (kernel.messaging.watermark), from the record's header: what completeness counts by
STORE_POSITION_SQL = """
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS store_order_key bigint;
ALTER TABLE {s}.recorded_events ADD COLUMN IF NOT EXISTS store_position bigint;
CREATE INDEX IF NOT EXISTS recorded_events_store_position ON {s}.recorded_events (topic, store_order_key, store_position);
"""
# rows recorded before 2 and 3 get their leaves and times at start-up (`backfill`, `backfill_times`)
MIGRATIONS = (
    Migration("audit.ledger", 1, "recorded events", RECORDED_SQL),
    Migration("audit.ledger", 2, "leaves, tree head, nodes and quarantine", TREE_SQL),
    Migration("audit.ledger", 3, "event times beside the envelope", TIMES_SQL),
    Migration("audit.ledger", 4, "producers' store positions", STORE_POSITION_SQL),
)


class LedgerInbox(Inbox):
    """The inbox of the ledger's recorder: what was accepted is what the ledger holds, so the
    ledger's rows are its memory (no second copy of every event id). Duplicates, contradictions,
    gaps and held deliveries are decided as by any inbox."""

    async def remembered(self, conn, event_ids: list[str], streams: list[str]) -> tuple[dict, dict]:
        s = self.schema
        seen = {
            str(r[0]): hashlib.sha256(r[1]).digest()
            for r in await conn.fetch(
                f"SELECT event_id, envelope FROM {s}.recorded_events WHERE event_id = ANY($1::uuid[])", event_ids
            )
        }
        last = {
            r[0]: r[1]
            for r in await conn.fetch(
                f"SELECT stream_id, max(version) FROM {s}.recorded_events WHERE stream_id = ANY($1::text[]) "
                f"GROUP BY stream_id",
                streams,
            )
        }
        return seen, last

    async def remember(self, conn, accepted: list[tuple], last: dict[str, int]) -> None:
        """Nothing: the recorder writes the accepted events as leaves in the same transaction."""


async def lock_head(conn, schema: str) -> CompactRange:
    """The tree's right border, locked until the transaction ends: ingests integrate one at a time."""
    row = await conn.fetchrow(f"SELECT size, peaks FROM {schema}.ledger_head FOR UPDATE")
    return CompactRange(row["size"], tuple(bytes(p) for p in row["peaks"]))


async def append(conn, schema: str, head: CompactRange, accepted: list[Accepted], leaf_hashes) -> CompactRange:
    """Store the accepted events as leaves head.size.. and every node they complete; move the head."""
    new, nodes = head.append(leaf_hashes)
    rows = [
        (
            e.event_id,
            e.stream_id,
            e.version,
            e.event_type,
            a.raw,
            a.source.topic,
            a.source.partition,
            a.source.offset,
            head.size + i,
            instant(e.occurred_at),
            instant(e.recorded_at),
            *_store_position(a.source),
        )
        for i, a in enumerate(accepted)
        for e in (a.envelope,)
    ]
    await conn.copy_records_to_table(
        "recorded_events",
        schema_name=schema,
        records=rows,
        columns=[
            "event_id",
            "stream_id",
            "version",
            "event_type",
            "envelope",
            "topic",
            "partition",
            "offset",
            "leaf_index",
            "occurred_at",
            "recorded_at",
            "store_order_key",
            "store_position",
        ],
    )
    return await _integrate(conn, schema, new, nodes)


def _store_position(source: Source) -> tuple[int | None, int | None]:
    if not source.position:
        return None, None
    at = Position.decode(source.position)
    return at.order_key, at.position


async def remember_positions(conn, schema: str, items: list[tuple[str, Source]]) -> None:
    """Give leaves recorded without their store position (before producers sent it) the one a
    redelivery carries, so completeness can count them."""
    known = [(event_id, *_store_position(src)) for event_id, src in items if src.position]
    if known:
        await conn.execute(
            f"UPDATE {schema}.recorded_events r SET store_order_key = u.k, store_position = u.p FROM "
            f"unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS u(id, k, p) WHERE r.event_id = u.id "
            f"AND r.store_position IS NULL",
            *map(list, zip(*known)),
        )


async def _integrate(conn, schema: str, new: CompactRange, nodes) -> CompactRange:
    await conn.copy_records_to_table(
        "merkle_nodes",
        schema_name=schema,
        columns=["level", "idx", "hash"],
        records=[(n.level, n.index, h) for n, h in nodes],
    )
    await conn.execute(f"UPDATE {schema}.ledger_head SET size = $1, peaks = $2", new.size, list(new.peaks))
    return new


async def backfill(conn, schema: str) -> int:
    """Make leaves of rows recorded before the ledger existed (no leaf index), in recording order;
    how many. Runs at start-up, in one transaction."""
    async with conn.transaction():
        head = await lock_head(conn, schema)
        rows = await conn.fetch(
            f"SELECT seq, envelope FROM {schema}.recorded_events WHERE leaf_index IS NULL ORDER BY seq"
        )
        if not rows:
            return 0
        new, nodes = head.append([leaf_hash(bytes(r["envelope"])) for r in rows])
        await conn.execute(
            f"UPDATE {schema}.recorded_events r SET leaf_index = u.leaf FROM unnest($1::bigint[], "
            f"$2::bigint[]) AS u(seq, leaf) WHERE r.seq = u.seq",
            [r["seq"] for r in rows],
            list(range(head.size, head.size + len(rows))),
        )
        await _integrate(conn, schema, new, nodes)
    return len(rows)


async def backfill_times(conn, schema: str) -> int:
    """Give rows recorded before the times were kept beside the envelope their times; how many."""
    rows = await conn.fetch(f"SELECT seq, envelope FROM {schema}.recorded_events WHERE recorded_at IS NULL")
    if rows:
        envs = [parse(bytes(r["envelope"])) for r in rows]
        await conn.execute(
            f"UPDATE {schema}.recorded_events r SET occurred_at = u.o, recorded_at = u.r FROM unnest("
            f"$1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS u(seq, o, r) WHERE r.seq = u.seq",
            [r["seq"] for r in rows],
            [instant(e.occurred_at) for e in envs],
            [instant(e.recorded_at) for e in envs],
        )
    return len(rows)


async def quarantine(conn, schema: str, conflicts: list[Conflict]) -> int:
    """Keep contradicting deliveries aside (once per distinct content); how many were new."""
    if not conflicts:
        return 0
    rows = [
        (
            c.envelope.event_id,
            c.envelope.stream_id,
            c.envelope.version,
            c.kind,
            c.raw,
            hashlib.sha256(c.raw).digest(),
            c.source.topic,
            c.source.partition,
            c.source.offset,
        )
        for c in conflicts
    ]
    result = await conn.fetch(
        f"INSERT INTO {schema}.quarantine (event_id, stream_id, version, kind, envelope, digest, topic, partition, "
        f'"offset") SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::bytea[], '
        f"$6::bytea[], $7::text[], $8::int[], $9::bigint[]) ON CONFLICT DO NOTHING RETURNING id",
        *map(list, zip(*rows)),
    )
    return len(result)


async def size(conn, schema: str) -> int:
    return await conn.fetchval(f"SELECT size FROM {schema}.ledger_head")


async def node_hashes(conn, schema: str, nodes: list[Node]) -> dict[Node, bytes]:
    rows = await conn.fetch(
        f"SELECT n.level, n.idx, n.hash FROM {schema}.merkle_nodes n "
        f"JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx",
        [n.level for n in nodes],
        [n.index for n in nodes],
    )
    return {Node(r["level"], r["idx"]): bytes(r["hash"]) for r in rows}


async def hashes_of(conn, schema: str, groups: list[list[Node]]) -> list[bytes]:
    """Each group's subtree hash (a proof element, or a root) from the stored perfect nodes."""
    wanted = sorted({n for g in groups for n in g}, key=lambda n: (n.level, n.index))
    found = await node_hashes(conn, schema, wanted)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LookupError(f"ledger nodes missing from the store: {missing[:3]}")
    return [range_hash([found[n] for n in g]) for g in groups]


async def root_at(conn, schema: str, tree_size: int) -> bytes:
    if tree_size == 0:
        return EMPTY_ROOT
    [root] = await hashes_of(conn, schema, [decompose(0, tree_size)])
    return root


async def quarantined(pool, schema: str, limit: int):
    return await pool.fetch(
        f'SELECT event_id::text, stream_id, version, kind, envelope, topic, partition, "offset", '
        f"detected_at FROM {schema}.quarantine ORDER BY id DESC LIMIT $1",
        limit,
    )
