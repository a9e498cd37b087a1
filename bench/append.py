"""Append benchmark: this kernel's `EventStore.append` against the `eventsourcing` library's
PostgreSQL recorder, on the same PostgreSQL, in the same run.

Three cases, each side doing the same work:
  single      sequential single-event appends (ten events per stream, so new and existing streams)
  batch       sequential appends of 100-event batches, one new stream each
  concurrent  8 writers (asyncio tasks for the kernel, threads for the synchronous library)
              appending single events to streams of their own; the kernel's concurrent appends
              share commits (kernel.eventstore.group_commit), the library's take turns on its
              table lock, the bare inserts commit each on its own

The kernel side builds and seals each envelope (a `clues.v1.ClueRegistered` payload) inside the
timed append; the library side inserts ready `StoredEvent`s whose state is a sealed envelope of
the same size. Each case runs `--repeat` times per side, alternating; the median is reported.
Prints events/s for both and a line `ratio: N` (kernel / eventsourcing) per case, then whether
issue 30's goal for the case is met (batches >= 3x and concurrent >= 10x eventsourcing, single
appends >= 90 % of the bare insert).

  make bench                          # embedded PostgreSQL started for the run
  DATABASE_URL=postgresql://... make bench ARGS="--events 20000"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from urllib.parse import urlparse

from bench.common import AT, add_database_option, new_event, postgres, say
from kernel.domain.clock import SystemClock
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.store import EventStore, create_pool

BATCH = 100


# -- the kernel ---------------------------------------------------------------------------------
class Kernel:
    name = "kernel"

    def __init__(self, url: str, writers: int):
        self.url, self.writers = url, writers

    async def open(self) -> None:
        self.pool = await create_pool(self.url, min_size=self.writers, max_size=self.writers)
        self.store = EventStore(self.pool, f"bench_{uuid.uuid4().hex[:8]}", SystemClock())
        await self.store.migrate()

    async def close(self) -> None:
        await self.pool.execute(f"DROP SCHEMA {self.store.schema} CASCADE")
        await self.pool.close()

    def prepare(self, case: str, amount: int):
        """The case's events, built before the clock starts (as the library's rows are)."""
        if case == "batch":
            work = [(f"clue-{uuid.uuid4()}", 0, [new_event(i) for i in range(BATCH)]) for _ in range(amount)]
            return lambda: self._write(work)
        writers = self.writers if case == "concurrent" else 1
        per = amount // writers
        prefixes = [f"clue-{uuid.uuid4().hex[:12]}" for _ in range(writers)]
        works = [[(f"{p}-{i // 10}", i % 10, [new_event(i)]) for i in range(per)] for p in prefixes]
        return lambda: self._concurrently(works)

    async def _write(self, work) -> int:
        for stream, expected, events in work:
            await self.store.append(stream, expected, events)
        return sum(len(events) for _, _, events in work)

    async def _concurrently(self, works) -> int:
        return sum(await asyncio.gather(*(self._write(w) for w in works)))

    async def count(self) -> int:
        return await self.pool.fetchval(f"SELECT count(*) FROM {self.store.schema}.events")


class Bare(Kernel):
    """The floor under any PostgreSQL event store here: one asyncpg INSERT ... unnest of sealed
    envelopes of the same size (one per row) into a table with nothing but a primary key: no
    envelope built, no checks, one index; each insert its own commit, as a store without group
    commit does (so with concurrent writers the kernel may pass it)."""

    name = "bare asyncpg"

    async def open(self) -> None:
        await super().open()
        self.raw = env_mod.seal(env_mod.build(new_event(0), "clue-x", 1, AT))
        await self.pool.execute(
            f"CREATE TABLE {self.store.schema}.bare (stream_id text, version bigint, "
            f"envelope bytea, PRIMARY KEY (stream_id, version))"
        )

    async def _write(self, work) -> int:
        sql = f"INSERT INTO {self.store.schema}.bare SELECT $1, v, e FROM unnest($2::bigint[], $3::bytea[]) AS u(v, e)"
        for stream, expected, events in work:
            await self.pool.execute(
                sql, stream, list(range(expected + 1, expected + 1 + len(events))), [self.raw] * len(events)
            )
        return sum(len(events) for _, _, events in work)

    async def count(self) -> int:
        return await self.pool.fetchval(f"SELECT count(*) FROM {self.store.schema}.bare")


# -- the eventsourcing library ---------------------------------------------------------------------
class Library:
    name = "eventsourcing"

    def __init__(self, url: str, writers: int):
        self.url, self.writers = url, writers

    def open(self) -> None:
        os.environ.setdefault("POSTGRES_PASSWORD", "")  # the library insists on the variable
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

        u = urlparse(self.url)
        self.datastore = PostgresDatastore(
            dbname=(u.path or "/postgres").lstrip("/") or "postgres",
            host=u.hostname or "127.0.0.1",
            port=u.port or 5432,
            user=u.username or "postgres",
            password=u.password or "",
            pool_size=self.writers,
            max_overflow=0,
        )
        self.table = f"bench_{uuid.uuid4().hex[:8]}"
        self.recorder = PostgresApplicationRecorder(self.datastore, events_table_name=self.table)
        self.recorder.create_table()
        self.state = env_mod.seal(env_mod.build(new_event(0), "clue-x", 1, AT))  # same bytes per row

    def close(self) -> None:
        with self.datastore.get_connection() as conn:
            conn.execute(f"DROP TABLE {self.table}")
        self.datastore.close()

    def _stored(self, originator, version):
        from eventsourcing.persistence import StoredEvent

        return StoredEvent(
            originator_id=originator, originator_version=version, topic="clues.v1:ClueRegistered", state=self.state
        )

    def prepare(self, case: str, amount: int):
        if case == "batch":
            work = [[self._stored(o, v + 1) for v in range(BATCH)] for o in (uuid.uuid4() for _ in range(amount))]
            return lambda: self._write(work)
        writers = self.writers if case == "concurrent" else 1
        per = amount // writers
        works = []
        for _ in range(writers):
            ids = [uuid.uuid4() for _ in range(per // 10 + 1)]
            works.append([[self._stored(ids[i // 10], i % 10 + 1)] for i in range(per)])
        return lambda: self._concurrently(works)

    def _write(self, work) -> int:
        for rows in work:
            self.recorder.insert_events(rows)
        return sum(len(rows) for rows in work)

    def _concurrently(self, works) -> int:
        if len(works) == 1:
            return self._write(works[0])
        done = []
        threads = [threading.Thread(target=lambda w=w: done.append(self._write(w))) for w in works]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(done)

    def count(self) -> int:
        with self.datastore.get_connection() as conn:
            return conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()["count"]


# -- running -------------------------------------------------------------------------------------
CASES = {"single": "single-event appends", "batch": f"{BATCH}-event batches", "concurrent": "8 concurrent writers"}


async def timed(side, case: str, amount: int) -> float:
    """Events per second of one run of `case` on `side` (inputs built before the clock starts)."""
    work = side.prepare(case, amount)
    started = time.perf_counter()
    done = await work() if isinstance(side, Kernel) else await asyncio.to_thread(work)
    return done / (time.perf_counter() - started)


async def run(url: str, args) -> dict[str, dict[str, float]]:
    kernel, library = Kernel(url, args.writers), Library(url, args.writers)
    sides = [kernel, library] + ([Bare(url, args.writers)] if args.bare else [])
    await kernel.open()
    await asyncio.to_thread(library.open)
    if args.bare:
        await sides[2].open()
    amounts = {"single": args.events, "batch": args.batches, "concurrent": args.events}
    results: dict[str, dict[str, list[float]]] = {c: {s.name: [] for s in sides} for c in CASES}
    try:
        for case in CASES:
            for side in sides:  # warm up every side
                await timed(side, case, max(1, amounts[case] // 10))
            for r in range(args.repeat):
                for side in sides if r % 2 == 0 else sides[::-1]:
                    rate = await timed(side, case, amounts[case])
                    results[case][side.name].append(rate)
                    say(f"{case:<10} run {r + 1}/{args.repeat} {side.name:<13} {rate:>10,.0f} events/s")
        say(f"rows written: kernel {await kernel.count():,}, eventsourcing {await asyncio.to_thread(library.count):,}")
    finally:
        await kernel.close()
        await asyncio.to_thread(library.close)
        if args.bare:
            await sides[2].close()
    return {c: {s: statistics.median(v) for s, v in sides.items()} for c, sides in results.items()}


# Issue 30's goals: (case, what is compared, the least ratio that meets it).
GOALS = {
    "single": ("bare asyncpg", 0.9),
    "batch": ("eventsourcing", 3.0),
    "concurrent": ("eventsourcing", 10.0),
}


def goal_line(case: str, figures: dict[str, float]) -> str:
    """`goal: kernel ≥ N× <side>: measured M× (met|NOT met)`, or "" if that side did not run."""
    side, least = GOALS[case]
    if side not in figures:
        return ""
    measured = figures["kernel"] / figures[side]
    verdict = "met" if measured >= least else "NOT met"
    return f"goal: kernel >= {least:g}x {side}: {measured:.2f}x ({verdict})"


def report(figures: dict[str, dict[str, float]], args) -> None:
    from importlib.metadata import version

    print(
        f"append benchmark: kernel (asyncpg {version('asyncpg')}) vs eventsourcing {version('eventsourcing')} "
        f"PostgresApplicationRecorder (psycopg binary); median of {args.repeat} runs; "
        f"{os.cpu_count()} cores; Python {platform.python_version()}"
    )
    for case, title in CASES.items():
        k, e = figures[case]["kernel"], figures[case]["eventsourcing"]
        print(f"{title:<22} kernel {k:>10,.0f} events/s | eventsourcing {e:>10,.0f} events/s")
        if "bare asyncpg" in figures[case]:
            b = figures[case]["bare asyncpg"]
            print(
                f"{'':<22} bare asyncpg insert {b:>10,.0f} events/s ({b / e:.2f}x eventsourcing; "
                f"kernel at {100 * k / b:.0f}% of it)"
            )
        print(f"ratio: {k / e:.2f}")
        if goal := goal_line(case, figures[case]):
            print(goal)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m bench.append", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--events",
        type=int,
        default=4000,
        help="events per run in the single and concurrent cases (default %(default)s)",
    )
    p.add_argument("--batches", type=int, default=200, help=f"{BATCH}-event batches per run (default %(default)s)")
    p.add_argument(
        "--writers", type=int, default=8, help="concurrent writers, and pool size of both sides (default %(default)s)"
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="runs per case and side; the median is reported (default %(default)s)"
    )
    p.add_argument(
        "--bare",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time a bare asyncpg insert of the same bytes "
        "(no envelope, no checks, one index), the floor under any store here (default on)",
    )
    p.add_argument("--quick", action="store_true", help="a fast smoke run (400 events, 4 batches, 1 run)")
    add_database_option(p)
    args = p.parse_args(argv)
    if args.quick:
        args.events, args.batches, args.repeat = 400, 4, 1
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with postgres(args.database_url) as url:
        report(asyncio.run(run(url, args)), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
