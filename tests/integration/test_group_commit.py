"""Group commit of `EventStore.append` (issue 30 point 2) against a real PostgreSQL.

Appends that queue while a commit is in flight share the next one; each keeps its own version
check, idempotency and answer. To make a group form for certain, a rival transaction holds an
uncommitted version 1 of a stream, the first append (to that stream) waits on it, and the
appends under test queue behind it; the rival then rolls back. Rows of one transaction carry its
xid as order_key (or an older predecessor's, never here), so equal order_keys prove one commit.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from contextlib import asynccontextmanager

import pytest

from kernel.domain.errors import Concurrency, Validation
from kernel.eventstore import group_commit
from kernel.eventstore.store import Cursor, UnitOfWork
from tests.factories import clue_event


def ev(stream: str, summary: str = "s", event_id: str | None = None):
    return clue_event(stream, summary=summary, event_id=event_id)


@asynccontextmanager
async def a_commit_in_flight(store):
    """While inside, an append is in flight (waiting on a rival's uncommitted row), so appends
    queue; on leaving, the rival rolls back, that append commits, and the queue goes as a group."""
    stream = f"clue-lead-{uuid.uuid4().hex[:8]}"
    async with store.pool.acquire() as conn:
        rival = conn.transaction()
        await rival.start()
        await UnitOfWork(store, conn).append(stream, 0, [ev(stream, "rival")])
        leader = asyncio.create_task(store.append(stream, 0, [ev(stream, "leader")]))
        await asyncio.sleep(0.2)  # the leader now waits on the rival's version 1
        assert not leader.done()
        try:
            yield
            await asyncio.sleep(0)  # every append under test has queued
        finally:
            await rival.rollback()
    await leader


async def queued(store, *appends):
    """Run `appends` (stream, expected, events) as one group: each answer, or its exception."""
    async with a_commit_in_flight(store):
        tasks = [asyncio.create_task(store.append(*a)) for a in appends]
    return await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.parametrize("with_violation", [False, True], ids=["one-statement", "savepoints"])
async def test_a_group_mixing_conflicting_and_clean_appends_answers_each_its_own(store, with_violation, monkeypatch):
    """Without a unique violation the group is one statement; with one (an event id reused, a
    stale writer whose next version is taken) the statement fails whole and the group goes again
    as one transaction of savepoints. Either way each append gets its own answer."""
    fallbacks = []

    async def savepoints(store, batches):
        fallbacks.append(len(batches))
        return await real_savepoints(store, batches)

    real_savepoints = group_commit._savepoints
    monkeypatch.setattr(group_commit, "_savepoints", savepoints)
    retried, reused = ev("clue-r"), ev("clue-v")
    await store.append("clue-r", 0, [retried])
    await store.append("clue-v", 0, [reused])
    await store.append("clue-b", 0, [ev("clue-b")])
    await store.append("clue-stale", 0, [ev("clue-stale"), ev("clue-stale")])
    appends = [
        ("clue-n", 0, [ev("clue-n", "n1"), ev("clue-n", "n2"), ev("clue-n", "n3")]),  # clean, new stream
        ("clue-r", 0, [retried]),  # a retry: the original, nothing new
        ("clue-b", 1, [ev("clue-b", "b2")]),  # clean, existing stream
        ("clue-ahead", 4, [ev("clue-ahead")]),  # ahead of an empty stream: Concurrency
        ("clue-taken", 0, [ev("clue-taken")]),  # clean
    ]
    if with_violation:
        appends.append(("clue-v", 1, [ev("clue-v", "other", event_id=reused.event_id)]))  # Validation
        appends.append(("clue-stale", 1, [ev("clue-stale", "late")]))  # version 2 taken: Concurrency
    out = await queued(store, *appends)

    assert fallbacks == ([len(appends)] if with_violation else [])
    new, retry, b2, ahead, taken = out[:5]
    assert [e.version for e in new] == [1, 2, 3] and b2[0].version == 2 and taken[0].version == 1
    assert len({e.order_key for e in new + b2 + taken}) == 1, "the clean appends share one commit"
    assert [e.position for e in new] == sorted(e.position for e in new)
    assert retry[0].envelope == (await store.read_stream("clue-r"))[0].envelope
    assert isinstance(ahead, Concurrency) and ahead.actual == 0
    if with_violation:
        assert isinstance(out[5], Validation) and out[5].field == "event_id"
        assert isinstance(out[6], Concurrency) and out[6].actual == 2
    stored = {s: [e.version for e in await store.read_stream(s)] for s in ("clue-n", "clue-r", "clue-b", "clue-v")}
    assert stored == {"clue-n": [1, 2, 3], "clue-r": [1], "clue-b": [1, 2], "clue-v": [1]}
    assert await store.read_stream("clue-ahead") == []
    assert len(await store.read_stream("clue-stale")) == 2


async def test_two_appends_to_one_stream_go_in_successive_groups_in_order(store):
    """Inside one statement the second could not see the first's row and would fail its check."""
    first, second = await queued(store, ("clue-s", 0, [ev("clue-s", "1")]), ("clue-s", 1, [ev("clue-s", "2")]))
    assert (first[0].version, second[0].version) == (1, 2)
    assert first[0].order_key < second[0].order_key
    assert [e.version for e in await store.read_stream("clue-s")] == [1, 2]


async def test_an_append_left_for_the_next_group_keeps_its_place_in_its_stream(store, monkeypatch):
    """The bound on a group's events leaves a big batch for later; a smaller append to the same
    stream queued behind it must not slip into the group ahead of it."""
    monkeypatch.setattr(group_commit, "MAX_GROUP_EVENTS", 3)
    big = [ev("clue-big", "1"), ev("clue-big", "2")]
    other, first, second = await queued(
        store,
        ("clue-o", 0, [ev("clue-o"), ev("clue-o")]),
        ("clue-big", 0, big),
        ("clue-big", 2, [ev("clue-big", "3")]),
    )
    assert [e.version for e in first + second] == [1, 2, 3]
    assert other[0].order_key < first[0].order_key < second[0].order_key


async def test_a_retry_queued_behind_its_original_gets_the_original(store):
    e = ev("clue-twice")
    original, retry = await queued(store, ("clue-twice", 0, [e]), ("clue-twice", 0, [e]))
    assert retry[0].envelope == original[0].envelope and retry[0].position == original[0].position
    assert len(await store.read_stream("clue-twice")) == 1


async def test_a_caller_that_gives_up_while_queued_writes_nothing(store):
    async with a_commit_in_flight(store):
        gone = asyncio.create_task(store.append("clue-gone", 0, [ev("clue-gone")]))
        kept = asyncio.create_task(store.append("clue-kept", 0, [ev("clue-kept")]))
        await asyncio.sleep(0)
        gone.cancel()
    assert (await kept)[0].version == 1
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await store.read_stream("clue-gone") == []


async def test_a_bad_event_id_fails_only_its_own_append(store):
    bad, good = await queued(
        store, ("clue-bad", 0, [ev("clue-bad", event_id="not-a-uuid")]), ("clue-good", 0, [ev("clue-good")])
    )
    assert isinstance(bad, Validation) and bad.field == "event_id"
    assert good[0].version == 1
    assert await store.read_stream("clue-bad") == []


WRITERS, APPENDS, SHARED = 8, 30, 3


async def test_concurrent_writers_lose_duplicate_and_reorder_nothing(store):
    """8 writers append to streams of their own (batches of 1-3) and race on shared streams;
    a reader follows the gap-free log meanwhile. Every answer matches the store, versions are
    contiguous, the reader gets each committed event once and each stream in version order, and
    groups did form (some commit holds several streams)."""
    answered: dict[str, str] = {}  # event id -> stream, for every append answered as stored
    rng = random.Random(30)
    done = asyncio.Event()

    async def writer(w: int) -> None:
        own, version = f"clue-w{w}", 0
        for i in range(APPENDS):
            if i % 3 == 2:  # a shared stream: read its version, then race the others
                stream = f"clue-shared{rng.randrange(SHARED)}"
                events = [ev(stream, f"{w}-{i}")]
                try:
                    stored = await store.append(stream, len(await store.read_stream(stream)), events)
                except Concurrency:
                    continue
            else:
                events = [ev(own, f"{w}-{i}-{k}") for k in range(rng.randint(1, 3))]
                stored = await store.append(own, version, events)
                version += len(events)
            assert [e.event_id for e in stored] == [e.event_id for e in events]
            answered.update((e.event_id, e.stream_id) for e in stored)

    async def reader() -> list:
        seen, cursor = [], Cursor()
        while not (done.is_set() and len(seen) >= len(answered)):
            page = await store.read_all(cursor, limit=50)
            seen += page
            cursor = page[-1].cursor if page else cursor
            await asyncio.sleep(0 if page else 0.01)
        return seen + await store.read_all(cursor)

    following = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(WRITERS)))
    done.set()
    seen = await asyncio.wait_for(following, 60)

    assert sorted(e.event_id for e in seen) == sorted(answered), "each answered event read exactly once"
    versions = defaultdict(list)
    for e in seen:
        versions[e.stream_id].append(e.version)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values()), "per stream in order, no gap"
    streams_per_commit = defaultdict(set)
    for e in seen:
        streams_per_commit[e.order_key].add(e.stream_id)
    assert max(len(s) for s in streams_per_commit.values()) > 1, "some commit was a group"
