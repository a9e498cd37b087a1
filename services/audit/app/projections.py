"""The audit service's projections of its ledger: kept live at ingest, caught up, rebuilt.

Each projection is a table derived from the leaves alone (the envelope bytes in leaf order), so it
can always be rebuilt from the ledger and compared with the live one. `projection_positions`
remembers up to which leaf each live table is complete: a projection added to a running ledger
catches up at start-up. The Merkle tree itself is not a projection here: it is checked by
`services.audit.verify`, never recomputed from the (possibly altered) leaves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from kernel.envelope import Envelope, parse
from services.audit.app import ledger, story
from services.audit.domain.merkle import leaf_hash

CHUNK = 10_000

POSITIONS_SQL = """
CREATE TABLE IF NOT EXISTS {s}.projection_positions (
    name     text   PRIMARY KEY,
    position bigint NOT NULL     -- leaves 0..position-1 are in the live table
);
"""


@dataclass(frozen=True)
class Projection:
    name: str
    table: str
    key: tuple[str, ...]                  # the primary key: a table's canonical order
    migrate: Callable[..., Awaitable[None]]        # (conn, schema, table)
    index: Callable[..., Awaitable[int]]           # (conn, schema, [(envelope, leaf)], table) -> rows


PROJECTIONS = (Projection("story", story.TABLE, story.KEY, story.migrate, story.index),)


async def migrate(conn, schema: str) -> None:
    await conn.execute(POSITIONS_SQL.format(s=schema))
    for p in PROJECTIONS:
        await p.migrate(conn, schema, p.table)
        await conn.execute(f"INSERT INTO {schema}.projection_positions VALUES ($1, 0) ON CONFLICT DO NOTHING", p.name)


async def apply(conn, schema: str, events: list[tuple[Envelope, int]], new_size: int) -> None:
    """Index freshly appended leaves into every live projection (in the ingest transaction)."""
    for p in PROJECTIONS:
        await p.index(conn, schema, events, p.table)
    await conn.execute(f"UPDATE {schema}.projection_positions SET position = $1", new_size)


@dataclass
class Progress:
    leaves: int = 0
    rows: int = 0
    mismatched: list[int] | None = None      # leaves whose bytes do not hash to the stored leaf


async def leaves(conn, schema: str, start: int, end: int):
    """(leaf index, envelope bytes, stored leaf hash) of leaves start..end-1, in chunks."""
    for low in range(start, end, CHUNK):
        yield await conn.fetch(
            f"SELECT e.leaf_index, e.envelope, n.hash FROM {schema}.recorded_events e "
            f"LEFT JOIN {schema}.merkle_nodes n ON n.level = 0 AND n.idx = e.leaf_index "
            f"WHERE e.leaf_index >= $1 AND e.leaf_index < $2 ORDER BY e.leaf_index", low, min(low + CHUNK, end))


async def fill(conn, schema: str, p: Projection, table: str, start: int, end: int, done: Progress,
               tick: Callable[[int], None] = lambda n: None) -> None:
    """Index leaves start..end-1 into `table`, noting leaves whose bytes fail their stored hash."""
    async for chunk in leaves(conn, schema, start, end):
        events = []
        for r in chunk:
            raw = bytes(r["envelope"])
            if done.mismatched is not None and (r["hash"] is None or leaf_hash(raw) != bytes(r["hash"])):
                done.mismatched.append(r["leaf_index"])
            events.append((parse(raw), r["leaf_index"]))
        done.rows += await p.index(conn, schema, events, table)
        done.leaves += len(chunk)
        tick(len(chunk))


async def catch_up(conn, schema: str) -> int:
    """Bring every live projection up to the ledger (one new to this ledger, or left behind), with
    ingest held off meanwhile; how many leaves were indexed."""
    total = 0
    async with conn.transaction():
        size = (await ledger.lock_head(conn, schema)).size
        for p in PROJECTIONS:
            position = await conn.fetchval(f"SELECT position FROM {schema}.projection_positions WHERE name = $1",
                                           p.name)
            done = Progress()
            await fill(conn, schema, p, p.table, position, size, done)
            await conn.execute(f"UPDATE {schema}.projection_positions SET position = $2 WHERE name = $1",
                               p.name, size)
            total += done.leaves
    return total
