"""Projections: tables computed from events alone, so they can be rebuilt and compared with the live ones.

A `Projection` names its live table, how to create a table like it (a rebuild's shadow) and its
source, which says how its rows are computed:

* `Log`: entries at gap-free positions behind a head that can be locked (the audit ledger's
  leaves). Live, each append indexes its entries (`apply`); `projection_positions` remembers up to
  which position each live table is complete, so a projection new to the log, or left behind by
  an older replica, catches up (`catch_up`).
* `Streams`: one aggregate's streams in a service's event store. Live, the aggregate's commands
  keep the rows in step; a rebuild folds each aggregate as a command loads it
  (`CommandRunner.load`: its own stream and, if it folds it, its timer stream, in store order)
  and computes its rows with the same pure functions the commands use.

`rebuild` fills a shadow table while writers go on, holds them off only for the rest (the last
entries, or the aggregates written since it began), compares the shadow row for row with the live
table and, when asked, swaps it in. `python -m kernel.eventstore.rebuild` runs it for any service.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from kernel.domain.clock import SystemClock
from kernel.domain.ids import timer_stream_id
from kernel.edge.mapping import Codec
from kernel.eventstore.aggregate import Aggregate, CommandRunner, History
from kernel.eventstore.store import EventStore, UnitOfWork

CHUNK = 10_000
Tick = Callable[[int], Awaitable[None] | None]

POSITIONS_SQL = """
CREATE TABLE IF NOT EXISTS {s}.projection_positions (
    name     text   PRIMARY KEY,
    position bigint NOT NULL     -- entries 0..position-1 are in the live table
);
"""


@dataclass
class Progress:
    read: int = 0  # entries, or aggregates, read
    rows: int = 0  # rows written to the shadow
    mismatched: list[int] | None = None  # entries failing the source's own check: never replaced from
    missing: int = 0  # rebuilt rows the live table lacked
    extra: int = 0  # live rows the rebuild does not make
    replaced: bool = False

    @property
    def equal(self) -> bool:
        return not (self.missing or self.extra)


async def _ticked(tick: Tick, n: int) -> None:
    if (pending := tick(n)) is not None:
        await pending


@dataclass(frozen=True)
class Log:
    """Entries 0..size-1 that only grow, and how one projection indexes some of them."""

    size: Callable[..., Awaitable[int]]  # (conn, schema)
    lock: Callable[..., Awaitable[int]]  # (conn, schema): appends held off until the transaction ends; the size
    read: Callable[..., AsyncIterator]  # (conn, schema, start, end, chunk, check) -> ([(entry, pos)], [failing])
    index: Callable[..., Awaitable[int]]  # (conn, schema, [(entry, position)], table) -> rows written
    requires: str  # a table the log keeps: without it, no log in the schema
    unit: str = "entry"
    on_mismatch: str = ""  # what to do about entries failing their check

    async def count(self, conn, schema: str) -> int:
        return await self.size(conn, schema)

    async def fill(
        self,
        conn,
        schema: str,
        table: str,
        start: int,
        end: int,
        done: Progress,
        tick: Tick = lambda n: None,
        chunk: int = CHUNK,
    ) -> None:
        """Index entries start..end-1 into `table`, noting failing ones if `done` collects them."""
        async for entries, failing in self.read(conn, schema, start, end, chunk, done.mismatched is not None):
            if done.mismatched is not None:
                done.mismatched.extend(failing)
            done.rows += await self.index(conn, schema, entries, table)
            done.read += len(entries)
            await _ticked(tick, len(entries))

    async def first(self, conn, schema: str, shadow: str, done: Progress, tick: Tick, chunk: int) -> int:
        start = await self.size(conn, schema)
        await self.fill(conn, schema, shadow, 0, start, done, tick, chunk)
        return start

    async def rest(
        self,
        conn,
        schema: str,
        live: str,
        shadow: str,
        done: Progress,
        tick: Tick,
        chunk: int,
        start: int,
        replace: bool,
    ) -> int:
        size = await self.lock(conn, schema)
        await self.fill(conn, schema, shadow, start, size, done, tick, chunk)
        return size


@dataclass(frozen=True)
class Fold:
    """How an aggregate's streams fold: what `CommandRunner.load` needs of the aggregate, and the
    codec its events are stored with."""

    kind: str
    initial: Callable[[], Any]
    evolve: Callable[[Any, Any], Any]
    codec: Codec
    folds_timer_stream: bool = False

    @classmethod
    def of(cls, aggregate, codec: Codec) -> Fold:
        """From an `Aggregate` or its class (what folding needs are class attributes)."""
        return cls(aggregate.kind, aggregate.initial, aggregate.evolve, codec, aggregate.folds_timer_stream)


class _Folder(Aggregate):
    def __init__(self, fold: Fold):
        self.kind, self.folds_timer_stream = fold.kind, fold.folds_timer_stream
        self.initial, self.evolve = fold.initial, fold.evolve


class _Fetched:
    """Streams read a page at a time, handed to `CommandRunner.load` as the store would."""

    def __init__(self, found: dict):
        self.found = found

    async def read_streams(self, ids):
        return {i: self.found[i] for i in ids if i in self.found}


@dataclass(frozen=True)
class Streams:
    """One aggregate's streams; `rows(history)` are one aggregate's rows (in the table's column
    order), `key` the column holding its stream id."""

    fold: Fold
    rows: Callable[[History], list[tuple]]
    key: str
    requires: str = "events"
    unit: str = "stream"
    on_mismatch: str = ""

    @property
    def _own(self) -> str:  # `<kind>-<uuid>`, not `<kind>-timers-<uuid>`
        return f"^{re.escape(self.fold.kind)}-[0-9a-f]{{8}}-"

    async def count(self, conn, schema: str) -> int:
        return await conn.fetchval(
            f"SELECT count(DISTINCT stream_id) FROM {schema}.events WHERE stream_id ~ $1", self._own
        )

    async def first(self, conn, schema: str, shadow: str, done: Progress, tick: Tick, chunk: int) -> int:
        """Fold every aggregate, a page at a time; the horizon: every transaction below it had ended."""
        horizon = await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())")
        last = ""
        while ids := [
            r[0]
            for r in await conn.fetch(
                f"SELECT DISTINCT stream_id FROM {schema}.events WHERE stream_id > $1 AND stream_id ~ $2 "
                f"ORDER BY stream_id LIMIT $3",
                last,
                self._own,
                chunk,
            )
        ]:
            await self._fold_into(conn, schema, shadow, ids, done, tick)
            last = ids[-1]
        return int(horizon)

    async def rest(
        self,
        conn,
        schema: str,
        live: str,
        shadow: str,
        done: Progress,
        tick: Tick,
        chunk: int,
        horizon: int,
        replace: bool,
    ) -> None:
        """With the live table's writers held off, fold again every aggregate written since the
        first pass began. A writer unfinished then has an xid at or above the horizon, so its events'
        order_key is too (`kernel.eventstore.store`); a writer still running now has not written the live table
        (the lock waited for those that had) and writes it after the swap, on top of the rebuild.
        A swap takes the lock it needs now: upgrading later would deadlock with a command that read
        the table and waits to write it."""
        await conn.execute(f"LOCK TABLE {schema}.{live} IN {'ACCESS EXCLUSIVE' if replace else 'EXCLUSIVE'} MODE")
        kind = self.fold.kind
        written = await conn.fetch(
            f"SELECT DISTINCT stream_id FROM {schema}.events "
            f"WHERE order_key >= $1::xid8 AND starts_with(stream_id, $2)",
            horizon,
            f"{kind}-",
        )
        own = re.compile(self._own)
        ids = sorted({i for r in written if own.match(i := r[0].replace(f"{kind}-timers-", f"{kind}-", 1))})
        status = await conn.execute(f"DELETE FROM {schema}.{shadow} WHERE {self.key} = ANY($1::text[])", ids)
        done.rows -= int(status.split()[-1])
        for k in range(0, len(ids), chunk):
            await self._fold_into(conn, schema, shadow, ids[k : k + chunk], done, tick)

    async def _fold_into(self, conn, schema: str, table: str, ids: list[str], done: Progress, tick: Tick) -> None:
        timers = [timer_stream_id(i) for i in ids] if self.fold.folds_timer_stream else []
        found = await UnitOfWork(EventStore(None, schema, SystemClock()), conn).read_streams(ids + timers)
        runner = CommandRunner(None, _Folder(self.fold), self.fold.codec)
        rows = [row for i in ids if i in found for row in self.rows(await runner.load(_Fetched(found), i))]
        if rows:
            await conn.executemany(
                f"INSERT INTO {schema}.{table} VALUES ({', '.join(f'${k + 1}' for k in range(len(rows[0])))})", rows
            )
        done.read += len(ids)
        done.rows += len(rows)
        await _ticked(tick, len(ids))


@dataclass(frozen=True)
class Projection:
    name: str
    table: str  # the live table
    create: Callable[..., Awaitable[None]]  # (conn, schema, table): a table like the live one
    source: Log | Streams


async def rebuild(
    conn, schema: str, p: Projection, *, replace: bool, tick: Tick = lambda n: None, chunk_size: int = CHUNK
) -> Progress:
    """Rebuild `p` from its source into a shadow table and compare it with the live one; with
    `replace`, the shadow becomes the live table. Writers go on meanwhile: only the rest, the
    comparison and the swap hold them off. Never replaces from entries failing the source's own
    check (`mismatched`: for the audit ledger, tampering, for `verify` to locate)."""
    shadow = f"{p.table}_rebuild"
    await conn.execute(f"DROP TABLE IF EXISTS {schema}.{shadow}")
    await p.create(conn, schema, shadow)
    done = Progress(mismatched=[])
    mark = await p.source.first(conn, schema, shadow, done, tick, chunk_size)
    async with conn.transaction():
        size = await p.source.rest(conn, schema, p.table, shadow, done, tick, chunk_size, mark, replace)
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


async def _swap(conn, schema: str, p: Projection, shadow: str, size: int | None) -> None:
    await conn.execute(f"DROP TABLE {schema}.{p.table}")
    await conn.execute(f"ALTER TABLE {schema}.{shadow} RENAME TO {p.table}")
    for name in await conn.fetch(
        "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2", schema, p.table
    ):  # named after the shadow: the next rebuild needs the names
        renamed = name["indexname"].replace(shadow, p.table, 1)
        await conn.execute(f'ALTER INDEX {schema}."{name["indexname"]}" RENAME TO "{renamed}"')
    if size is not None:
        await conn.execute(f"UPDATE {schema}.projection_positions SET position = $2 WHERE name = $1", p.name, size)


# -- a log's live projections: indexed at append, caught up ---------------------------------------


def _logs(registry) -> list[Projection]:
    return [p for p in registry if isinstance(p.source, Log)]


async def add(conn, schema: str, p: Projection) -> None:
    """A log projection's live table, empty, at position 0 (with the positions table): `catch_up`
    fills it. A projection added later is a migration of its own that calls this."""
    await conn.execute(POSITIONS_SQL.format(s=schema))
    await p.create(conn, schema, p.table)
    await conn.execute(f"INSERT INTO {schema}.projection_positions VALUES ($1, 0) ON CONFLICT DO NOTHING", p.name)


async def apply(conn, schema: str, registry, entries: list[tuple[Any, int]], new_size: int) -> None:
    """Index freshly appended entries into every live log projection (in the append's transaction,
    under the head lock). One behind the entries before these (an older replica appended without
    it) first catches up, so none is ever skipped."""
    logs = _logs(registry)
    await _bring_up(conn, schema, logs, entries[0][1] if entries else new_size)
    for p in logs:
        await p.source.index(conn, schema, entries, p.table)
    await _moved(conn, schema, logs, new_size)


# (entries indexed so far, entries to index): a catch-up's progress, said as it goes
Report = Callable[[int, int], None]


async def catch_up(conn, schema: str, registry, *, report: Report | None = None, chunk: int = CHUNK) -> int:
    """Bring every live log projection up to its log (one new to it, or left behind), with appends
    held off meanwhile; how many entries were indexed. `report` hears how far it is: once before
    the first entry and after each `chunk` (e.g. a `Paced` progress line)."""
    logs = _logs(registry)
    if not logs:
        return 0
    async with conn.transaction():
        size = await logs[0].source.lock(conn, schema)
        total = await _bring_up(conn, schema, logs, size, report, chunk)
        await _moved(conn, schema, logs, size)
    return total


async def _bring_up(
    conn, schema: str, logs: list[Projection], upto: int, report: Report | None = None, chunk: int = CHUNK
) -> int:
    by_name = {p.name: p for p in logs}
    rows = await conn.fetch(f"SELECT name, position FROM {schema}.projection_positions WHERE position < $1", upto)
    behind = [(p, row["position"]) for row in rows if (p := by_name.get(row["name"]))]
    todo, total = sum(upto - start for _, start in behind), 0
    if report and todo:
        report(0, todo)
    for p, start in behind:
        done = Progress()
        tick = (lambda n, done=done, base=total: report(base + done.read, todo)) if report else (lambda n: None)
        await p.source.fill(conn, schema, p.table, start, upto, done, tick, chunk)
        total += done.read
    return total


class Paced:
    """A long catch-up's progress, said while it runs (issue 28: `make run` says what a service
    starting is busy with): `say(done, total, seconds_left)` at the first report, then at most
    every `every` seconds; `seconds_left` is estimated from the rate so far (None before any)."""

    def __init__(self, say: Callable[[int, int, int | None], None], every: float = 2.0, clock=time.monotonic):
        self.say, self.every, self.clock = say, every, clock
        self.started: float | None = None
        self.said = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self.started is None:
            self.started = now
        elif now - self.said < self.every:
            return
        self.said = now
        rate = done / (now - self.started) if now > self.started else 0.0
        self.say(done, total, round((total - done) / rate) if rate > 0 else None)


async def _moved(conn, schema: str, logs: list[Projection], size: int) -> None:
    await conn.execute(
        f"UPDATE {schema}.projection_positions SET position = $1 WHERE name = ANY($2::text[])",
        size,
        [p.name for p in logs],
    )
