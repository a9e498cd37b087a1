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

from kernel import migrations
from kernel.envelope import Envelope, parse
from kernel.migrations import Migration
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
    create: Callable[..., Awaitable[None]]         # (conn, schema, table)
    index: Callable[..., Awaitable[int]]           # (conn, schema, [(envelope, leaf)], table) -> rows


PROJECTIONS = (Projection("story", story.TABLE, story.create, story.index),)
BY_NAME = {p.name: p for p in PROJECTIONS}


async def _add(conn, schema: str, p: Projection) -> None:
    """A projection's live table, empty, at position 0: `catch_up` fills it from the leaves."""
    await p.create(conn, schema, p.table)
    await conn.execute(f"INSERT INTO {schema}.projection_positions VALUES ($1, 0) ON CONFLICT DO NOTHING", p.name)


async def _positions_and_story(conn, schema: str) -> None:
    await conn.execute(POSITIONS_SQL.format(s=schema))
    await _add(conn, schema, BY_NAME["story"])


# a projection added later is a migration of its own that calls `_add`
MIGRATIONS = (Migration("audit.projections", 1, "projection positions and the story index", _positions_and_story),)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


async def apply(conn, schema: str, events: list[tuple[Envelope, int]], new_size: int) -> None:
    """Index freshly appended leaves into every live projection (in the ingest transaction, under
    the head lock). A projection behind the leaves before these (an older replica ingested without
    it) first catches up, so none is ever skipped."""
    await _bring_up(conn, schema, events[0][1] if events else new_size)
    for p in PROJECTIONS:
        await p.index(conn, schema, events, p.table)
    await conn.execute(f"UPDATE {schema}.projection_positions SET position = $1", new_size)


async def _bring_up(conn, schema: str, upto: int) -> int:
    """Fill every live projection behind leaf `upto` up to it (the caller holds the head lock);
    how many leaves were indexed."""
    total = 0
    for row in await conn.fetch(f"SELECT name, position FROM {schema}.projection_positions WHERE position < $1",
                                upto):
        if p := BY_NAME.get(row["name"]):
            done = Progress()
            await fill(conn, schema, p, p.table, row["position"], upto, done)
            total += done.leaves
    return total


@dataclass
class Progress:
    leaves: int = 0
    rows: int = 0
    mismatched: list[int] | None = None      # leaves whose bytes do not hash to the stored leaf
    missing: int = 0                         # rebuilt rows the live table lacked
    extra: int = 0                           # live rows the rebuild does not make
    replaced: bool = False

    @property
    def equal(self) -> bool:
        return not (self.missing or self.extra)


async def leaves(conn, schema: str, start: int, end: int, chunk: int = CHUNK):
    """(leaf index, envelope bytes, stored leaf hash) of leaves start..end-1, in chunks."""
    for low in range(start, end, chunk):
        yield await conn.fetch(
            f"SELECT e.leaf_index, e.envelope, n.hash FROM {schema}.recorded_events e "
            f"LEFT JOIN {schema}.merkle_nodes n ON n.level = 0 AND n.idx = e.leaf_index "
            f"WHERE e.leaf_index >= $1 AND e.leaf_index < $2 ORDER BY e.leaf_index", low, min(low + chunk, end))


async def fill(conn, schema: str, p: Projection, table: str, start: int, end: int, done: Progress,
               tick: Callable[[int], Awaitable[None] | None] = lambda n: None, chunk_size: int = CHUNK) -> None:
    """Index leaves start..end-1 into `table`, noting leaves whose bytes fail their stored hash."""
    async for chunk in leaves(conn, schema, start, end, chunk_size):
        events = []
        for r in chunk:
            raw = bytes(r["envelope"])
            if done.mismatched is not None and (r["hash"] is None or leaf_hash(raw) != bytes(r["hash"])):
                done.mismatched.append(r["leaf_index"])
            events.append((parse(raw), r["leaf_index"]))
        done.rows += await p.index(conn, schema, events, table)
        done.leaves += len(chunk)
        if (ticked := tick(len(chunk))) is not None:
            await ticked


async def catch_up(conn, schema: str) -> int:
    """Bring every live projection up to the ledger (one new to this ledger, or left behind), with
    ingest held off meanwhile; how many leaves were indexed."""
    async with conn.transaction():
        size = (await ledger.lock_head(conn, schema)).size
        total = await _bring_up(conn, schema, size)
        await conn.execute(f"UPDATE {schema}.projection_positions SET position = $1", size)
    return total


async def rebuild(conn, schema: str, p: Projection, *, replace: bool, tick=lambda n: None,
                  chunk_size: int = CHUNK) -> Progress:
    """Rebuild `p` from the leaves into a shadow table and compare it with the live one; with
    `replace`, the shadow becomes the live table. Ingest goes on meanwhile: only the last leaves,
    the comparison and the swap run with the ledger head locked. Never replaces from leaves whose
    bytes fail their stored hash (`mismatched`): that is tampering, for `verify` to locate."""
    shadow = f"{p.table}_rebuild"
    await conn.execute(f"DROP TABLE IF EXISTS {schema}.{shadow}")
    await p.create(conn, schema, shadow)
    done = Progress(mismatched=[])
    start = await ledger.size(conn, schema)
    await fill(conn, schema, p, shadow, 0, start, done, tick, chunk_size)
    async with conn.transaction():
        size = (await ledger.lock_head(conn, schema)).size
        await fill(conn, schema, p, shadow, start, size, done, tick, chunk_size)
        done.missing, done.extra = await _differences(conn, schema, shadow, p.table)
        done.replaced = replace and not done.mismatched
        if done.replaced:
            await _swap(conn, schema, p, shadow, size)
        else:
            await conn.execute(f"DROP TABLE {schema}.{shadow}")
    return done


async def _differences(conn, schema: str, rebuilt: str, live: str) -> tuple[int, int]:
    missing = await conn.fetchval(f"SELECT count(*) FROM (TABLE {schema}.{rebuilt} EXCEPT ALL TABLE {schema}.{live}) d")
    extra = await conn.fetchval(f"SELECT count(*) FROM (TABLE {schema}.{live} EXCEPT ALL TABLE {schema}.{rebuilt}) d")
    return missing, extra


async def _swap(conn, schema: str, p: Projection, shadow: str, size: int) -> None:
    await conn.execute(f"DROP TABLE {schema}.{p.table}")
    await conn.execute(f"ALTER TABLE {schema}.{shadow} RENAME TO {p.table}")
    for name in await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2",
                                 schema, p.table):   # named after the shadow: the next rebuild needs the names
        renamed = name["indexname"].replace(shadow, p.table, 1)
        await conn.execute(f'ALTER INDEX {schema}."{name["indexname"]}" RENAME TO "{renamed}"')
    await conn.execute(f"UPDATE {schema}.projection_positions SET position = $2 WHERE name = $1", p.name, size)
