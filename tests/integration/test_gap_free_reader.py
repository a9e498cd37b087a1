"""The store's gap-free, per-stream-ordered log read (`EventStore.read_all`) under concurrency.

`read_all(cursor)` is what the outbox relay follows. It must hand out every committed event
exactly once, never one from a rolled-back transaction, and each stream's versions in order,
however transactions interleave. The tests below check this against a real PostgreSQL, and next
to it run naive readers that get it wrong, to show the set-up really produces those cases:

* `position > last` (the identity column) loses rows whose transaction commits after a
  transaction with a higher position committed;
* a bare-xid key (the writer's own transaction id) misorders a stream when a transaction that
  took its xid early (it wrote another row first) appends a stream's next version after a
  younger transaction wrote the version before it.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter, defaultdict

from kernel.eventstore.store import Cursor, EventStore, StoredEvent, UnitOfWork
from tests.factories import clue_event
from tests.workload import Mix, random_writer, write_inbox_row

# Tuning of the concurrent run (≈ 4-6 s on 2 cores). Raising the in-transaction delays raises
# the contention, and so the naive readers' losses.
WRITERS = 24
TX_PER_WRITER = 60
SHARED_STREAMS = 8  # every writer writes to these ...
OWN_STREAM_SHARE = 0.2  # ... and now and then to a stream of its own
INBOX_FIRST_SHARE = 0.3  # transactions that write an inbox row and wait before appending
ROLLBACK_SHARE = 0.07  # transactions that append and then raise
SAFE_READ_LIMIT = 50  # small pages, so the reader's cursor is exercised
MIN_COMMITTED = 500
MIX = Mix(WRITERS, TX_PER_WRITER, SHARED_STREAMS, OWN_STREAM_SHARE, INBOX_FIRST_SHARE, ROLLBACK_SHARE)


async def xact_id(conn) -> int:
    """The connection's top-level transaction id (assigns one if the transaction has none)."""
    return await conn.fetchval("SELECT pg_current_xact_id()::text::bigint")


async def snapshot_xmin(conn) -> int:
    return await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


# --------------------------------------------------------------------------------------------
# Concurrent run: 24 writers, a safe reader and a naive reader, then the books are balanced.
# --------------------------------------------------------------------------------------------


async def test_read_all_is_gap_free_and_stream_ordered_under_concurrency(store, pool):
    seed = int(os.environ.get("GAP_TEST_SEED", random.randrange(1 << 30)))
    committed: dict[str, tuple[str, int]] = {}  # event id -> (stream, version)
    tx_xids: dict[tuple[str, int], int] = {}  # (stream, first version) -> writer's xid
    stats = Counter()
    writers_done = asyncio.Event()

    def record(stored, xid) -> None:
        tx_xids[(stored[0].stream_id, stored[0].version)] = xid
        for e in stored:
            committed[e.event_id] = (e.stream_id, e.version)

    async def writer(w: int) -> None:
        await random_writer(store, w, seed, MIX, stats, on_commit=record, inside=lambda uow: xact_id(uow.conn))

    safe_seen: list[StoredEvent] = []
    safe_violations: list[str] = []

    async def safe_reader() -> int:
        cursor, last_version, polls = Cursor(), defaultdict(int), 0
        while True:
            done_before_read = writers_done.is_set()
            batch = await store.read_all(cursor, limit=SAFE_READ_LIMIT)
            polls += 1
            for e in batch:
                if e.version != last_version[e.stream_id] + 1:
                    safe_violations.append(f"{e.stream_id} v{e.version} after v{last_version[e.stream_id]}")
                last_version[e.stream_id] = max(last_version[e.stream_id], e.version)
            safe_seen.extend(batch)
            if not done_before_read:
                stats["safe_read_while_writing"] += len(batch)
            if batch:
                cursor = batch[-1].cursor
                if len(batch) == SAFE_READ_LIMIT:
                    continue
            elif done_before_read:
                return polls  # every writer had ended before this read began: nothing can follow
            await asyncio.sleep(0.002)

    naive_seen: list[str] = []

    async def naive_reader() -> int:
        last, polls = 0, 0
        async with pool.acquire() as conn:
            while True:
                done_before_read = writers_done.is_set()
                rows = await conn.fetch(
                    f"SELECT position, event_id FROM {store.schema}.events WHERE position > $1 ORDER BY position", last
                )
                polls += 1
                if rows:
                    naive_seen.extend(str(r["event_id"]) for r in rows)
                    last = max(last, rows[-1]["position"])
                elif done_before_read:
                    return polls
                await asyncio.sleep(0.002)

    started = time.monotonic()
    readers = [asyncio.create_task(safe_reader()), asyncio.create_task(naive_reader())]
    try:
        await asyncio.wait_for(asyncio.gather(*(writer(w) for w in range(WRITERS))), 60)
        writing = time.monotonic() - started
        writers_done.set()
        safe_polls, naive_polls = await asyncio.wait_for(asyncio.gather(*readers), 30)
    finally:
        for t in readers:
            t.cancel()
    elapsed = time.monotonic() - started

    # What the store holds, and how often a bare-xid key would have misordered a stream.
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT stream_id, version, event_id, order_key::text::bigint AS order_key "
            f"FROM {store.schema}.events ORDER BY stream_id, version"
        )
    by_stream = defaultdict(list)
    for r in rows:
        by_stream[r["stream_id"]].append(r)
    # A bare-xid reader emits version n+1 before version n whenever the transaction that wrote
    # n+1 holds the smaller xid: that older transaction was still open when n committed, so
    # xmin held both back until it ended, and then xid order puts n+1 first.
    inversions = 0
    for stream in by_stream:
        xids = [tx_xids[k] for k in sorted(k for k in tx_xids if k[0] == stream)]
        inversions += sum(1 for a, b in zip(xids, xids[1:]) if b < a)
    naive_lost = set(committed) - set(naive_seen)
    print(
        f"\n[gap-free reader] seed={seed} writers={WRITERS} tx={WRITERS * TX_PER_WRITER} "
        f"committed_tx={stats['committed_tx']} committed_events={len(committed)} "
        f"rolled_back={stats['rolled_back_tx']} conflicts={stats['conflicts']} "
        f"inbox_first_committed={stats['inbox_first_committed']} "
        f"bare_xid_inversions={inversions}\n"
        f"[gap-free reader] safe reader: {len(safe_seen)} events read "
        f"({stats['safe_read_while_writing']} while writers ran), {safe_polls} polls | "
        f"naive reader: lost {len(naive_lost)} of {len(committed)} "
        f"({100 * len(naive_lost) / max(1, len(committed)):.1f}%), {naive_polls} polls | "
        f"writing {writing:.2f}s, total {elapsed:.2f}s"
    )

    # Writers ran as intended, and the store holds exactly what they say they committed.
    assert stats["writers_finished"] == WRITERS
    assert {str(r["event_id"]): (r["stream_id"], r["version"]) for r in rows} == committed
    assert len(committed) >= MIN_COMMITTED
    assert stats["rolled_back_tx"] > 0 and stats["conflicts"] > 0

    # The safe reader: every committed event exactly once, nothing else, streams in order.
    ids = [e.event_id for e in safe_seen]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"safe reader saw {len(dupes)} events more than once"
    assert set(ids) == set(committed), (
        f"safe reader missed {len(set(committed) - set(ids))}, saw {len(set(ids) - set(committed))} not committed"
    )
    assert not safe_violations, safe_violations[:10]
    assert stats["safe_read_while_writing"] > len(committed) // 2  # it followed the writers live
    seen_versions = defaultdict(list)
    for e in safe_seen:
        seen_versions[e.stream_id].append(e.version)
    assert set(seen_versions) == set(by_stream)
    for stream, versions in seen_versions.items():
        assert versions == list(range(1, len(by_stream[stream]) + 1)), stream

    # The stored key never goes down along a stream (v n+1 inherits v n's key when larger).
    for stream, rs in by_stream.items():
        keys = [r["order_key"] for r in rs]
        assert keys == sorted(keys), f"order_key decreases along {stream}"

    # The controls: the run did produce the cases a naive reader gets wrong.
    assert len(naive_lost) > 0, "the naive reader lost nothing: contention too low to prove much"
    assert inversions > 0, "no transaction with an older xid appended after a younger one"


# --------------------------------------------------------------------------------------------
# Deterministic cases, with transactions ordered by hand.
# --------------------------------------------------------------------------------------------


class Poller:
    """Follows `read_all` in the background and records what it yields, in order."""

    def __init__(self, store: EventStore):
        self.store, self.seen, self.polls = store, [], 0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        cursor = Cursor()
        while True:
            batch = await self.store.read_all(cursor, limit=1)  # one by one: any misorder shows
            self.polls += 1
            if batch:
                self.seen.extend((e.stream_id, e.version) for e in batch)
                cursor = batch[-1].cursor
            else:
                await asyncio.sleep(0.001)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def settle(self) -> None:
        await asyncio.sleep(0.05)
        assert not self._task.done(), self._task.exception()

    async def stop(self) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


async def test_older_xid_appending_next_version_does_not_overtake(store, pool):
    """A (oldest xid) appends S v2 after B (youngest xid) committed S v1, while C sits between.

    Bare xids would give v2 the key xid_A < xid_C <= xmin and v1 the key xid_B > xmin: once A
    commits, a bare-xid reader would hand out v2 while v1 is still held back. The store keys v2
    with v1's key, so read_all yields nothing of S until C ends, then v1 before v2.
    """
    S = "clue-order"
    poller = Poller(store)
    conn_a, conn_c = await pool.acquire(), await pool.acquire()
    tx_a, tx_c = conn_a.transaction(), conn_c.transaction()
    open_txs = []
    try:
        poller.start()
        await tx_a.start()
        open_txs.append(tx_a)
        await write_inbox_row(store, conn_a, S)  # A takes its xid first ...
        xid_a = await xact_id(conn_a)
        await tx_c.start()
        open_txs.append(tx_c)
        await write_inbox_row(store, conn_c, "elsewhere")  # ... then C ...
        xid_c = await xact_id(conn_c)
        async with store.unit_of_work() as uow_b:  # ... then B, which appends S v1 and commits
            await uow_b.append(S, 0, [clue_event(S)])
            xid_b = await xact_id(uow_b.conn)
        assert xid_a < xid_c < xid_b

        await poller.settle()
        assert await store.read_all() == []  # v1 waits for A and C (xmin = xid_A)

        uow_a = UnitOfWork(store, conn_a)
        assert await uow_a.stream_version(S) == 1
        await uow_a.append(S, 1, [clue_event(S)])
        await tx_a.commit()
        open_txs.remove(tx_a)

        await poller.settle()
        async with pool.acquire() as conn:
            xmin = await snapshot_xmin(conn)
            keys = {
                r["version"]: r["order_key"]
                for r in await conn.fetch(
                    f"SELECT version, order_key::text::bigint AS order_key "
                    f"FROM {store.schema}.events WHERE stream_id = $1",
                    S,
                )
            }
        # Control: with bare xids, v2 (xid_A) is below xmin and v1 (xid_B) is not.
        assert xid_a < xmin <= xid_c < xid_b
        bare = {1: xid_b, 2: xid_a}
        assert [v for v in (1, 2) if bare[v] < xmin] == [2]
        # The store: neither is readable yet, because v2 inherited v1's key.
        assert poller.seen == []
        assert await store.read_all() == []
        assert keys == {1: xid_b, 2: xid_b}

        await tx_c.commit()

        open_txs.remove(tx_c)
        await poller.settle()
        out = await store.read_all()
        assert [(e.stream_id, e.version) for e in out] == [(S, 1), (S, 2)]
        assert out[0].position < out[1].position
        assert poller.seen == [(S, 1), (S, 2)]
    finally:
        await poller.stop()
        for tx in open_txs:
            await tx.rollback()
        await pool.release(conn_a)
        await pool.release(conn_c)


async def test_late_commit_is_not_skipped(store, pool):
    """A takes the lower position but commits after B: `position > last` loses A for good."""
    conn_a = await pool.acquire()
    tx_a = conn_a.transaction()
    await tx_a.start()
    try:
        a = await UnitOfWork(store, conn_a).append("clue-late", 0, [clue_event("clue-late")])
        async with store.unit_of_work() as uow_b:
            b = await uow_b.append("clue-early", 0, [clue_event("clue-early")])
        assert a[0].position < b[0].position

        async with pool.acquire() as conn:
            naive = "SELECT position, stream_id FROM {s}.events WHERE position > $1 ORDER BY position"
            first = await conn.fetch(naive.format(s=store.schema), 0)
            assert [r["stream_id"] for r in first] == ["clue-early"]
            last = first[-1]["position"]
        assert await store.read_all() == []  # B waits behind A's open transaction
    except BaseException:
        await tx_a.rollback()
        raise
    else:
        await tx_a.commit()
    finally:
        await pool.release(conn_a)

    async with pool.acquire() as conn:
        assert await conn.fetch(naive.format(s=store.schema), last) == []  # A is lost to it
    out = await store.read_all()
    assert [e.stream_id for e in out] == ["clue-late", "clue-early"]
    assert await store.read_all(out[-1].cursor) == []
