"""Event store against a real PostgreSQL: concurrency, idempotency, atomicity, reads."""

import asyncio

import pytest

from clues.v1 import events_pb2
from kernel.domain.errors import Concurrency, Validation
from kernel.eventstore.envelope import parse, unpack
from kernel.eventstore.store import UnitOfWork
from tests.factories import clue_event


async def test_append_and_read_stream(store):
    async with store.unit_of_work() as uow:
        out = await uow.append("clue-a", 0, [clue_event("clue-a"), clue_event("clue-a")])
    assert [e.version for e in out] == [1, 2]
    events = await store.read_stream("clue-a")
    assert [e.version for e in events] == [1, 2]
    assert events[0].envelope == out[0].envelope


async def test_conflict_raises_and_commits_nothing(store):
    async with store.unit_of_work() as uow:
        await uow.append("clue-b", 0, [clue_event("clue-b")])
    with pytest.raises(Concurrency):
        async with store.unit_of_work() as uow:
            await uow.append("clue-other", 0, [clue_event("clue-other")])
            await uow.append("clue-b", 0, [clue_event("clue-b")])
    assert await store.read_stream("clue-other") == []
    assert len(await store.read_stream("clue-b")) == 1


async def test_racing_writers_one_wins(store):
    async def write(i):
        try:
            async with store.unit_of_work() as uow:
                await uow.append("clue-race", 0, [clue_event("clue-race", summary=str(i))])
            return True
        except Concurrency:
            return False

    results = await asyncio.gather(*(write(i) for i in range(10)))
    assert results.count(True) == 1
    assert len(await store.read_stream("clue-race")) == 1


async def test_idempotent_on_event_id(store):
    e = clue_event("clue-c")
    async with store.unit_of_work() as uow:
        first = await uow.append("clue-c", 0, [e])
    async with store.unit_of_work() as uow:
        again = await uow.append("clue-c", 0, [e])  # retry: no-op, original bytes
    assert again[0].envelope == first[0].envelope
    assert len(await store.read_stream("clue-c")) == 1
    changed = clue_event("clue-c", summary="different", event_id=e.event_id)
    with pytest.raises(Validation) as err:
        async with store.unit_of_work() as uow:
            await uow.append("clue-c", 1, [changed])
    assert err.value.field == "event_id"


@pytest.mark.parametrize("stream,expected", [("", 0), ("   ", 0), ("clue-x", -1)])
async def test_bad_input_leaves_nothing(store, stream, expected):
    with pytest.raises(Validation):
        async with store.unit_of_work() as uow:
            await uow.append(stream, expected, [clue_event(stream)])
    assert await store.read_all() == []


async def test_bad_event_id_is_validation(store):
    with pytest.raises(Validation):
        async with store.unit_of_work() as uow:
            await uow.append("clue-d", 0, [clue_event("clue-d", event_id="not-a-uuid")])


async def test_read_all_is_ordered_and_resumable(store):
    for s in ("clue-1", "clue-2", "clue-1"):
        async with store.unit_of_work() as uow:
            v = await uow.stream_version(s)
            await uow.append(s, v, [clue_event(s)])
    first = await store.read_all(limit=2)
    rest = await store.read_all(first[-1].cursor)
    assert [(e.stream_id, e.version) for e in first + rest] == [("clue-1", 1), ("clue-2", 1), ("clue-1", 2)]
    assert await store.read_all(rest[-1].cursor) == []


async def test_an_expected_version_ahead_of_the_stream_is_a_conflict_and_leaves_no_gap(store):
    async with store.unit_of_work() as uow:
        await uow.append("clue-ahead", 0, [clue_event("clue-ahead") for _ in range(3)])
    with pytest.raises(Concurrency) as err:
        async with store.unit_of_work() as uow:
            await uow.append("clue-ahead", 5, [clue_event("clue-ahead")])
    assert err.value.actual == 3
    with pytest.raises(Concurrency):
        await store.append("clue-ahead", 5, [clue_event("clue-ahead")])
    assert [e.version for e in await store.read_stream("clue-ahead")] == [1, 2, 3]


@pytest.mark.parametrize("standalone", [False, True])
async def test_a_batch_that_meets_a_concurrent_writer_midway_commits_nothing(store, standalone):
    """The rival holds version 2 uncommitted; our batch [2, 3] waits, loses 2, and must not keep 3."""
    await store.append("clue-mid", 0, [clue_event("clue-mid")])
    async with store.pool.acquire() as conn:
        rival = conn.transaction()
        await rival.start()
        await UnitOfWork(store, conn).append("clue-mid", 1, [clue_event("clue-mid", summary="rival")])

        async def ours():
            batch = [clue_event("clue-mid", summary="ours") for _ in range(2)]
            if standalone:
                return await store.append("clue-mid", 1, batch)
            async with store.unit_of_work() as uow:
                return await uow.append("clue-mid", 1, batch)

        task = asyncio.create_task(ours())
        await asyncio.sleep(0.3)  # ours is now waiting on the rival's version 2
        assert not task.done()
        await rival.commit()
    with pytest.raises(Concurrency) as err:
        await task
    assert err.value.actual == 2
    assert [env_summary(e) for e in await store.read_stream("clue-mid")] == ["s", "rival"]


def env_summary(stored):
    return unpack(parse(stored.envelope), events_pb2.ClueRegistered).summary


async def test_standalone_append_is_idempotent_and_checks_versions(store):
    e = clue_event("clue-solo")
    first = await store.append("clue-solo", 0, [e])
    again = await store.append("clue-solo", 0, [e])
    assert [x.envelope for x in again] == [x.envelope for x in first]
    with pytest.raises(Validation):
        await store.append("clue-solo", 1, [clue_event("clue-solo", summary="other", event_id=e.event_id)])
    with pytest.raises(Concurrency):
        await store.append("clue-solo", 0, [clue_event("clue-solo")])
    second = await store.append("clue-solo", 1, [clue_event("clue-solo"), clue_event("clue-solo")])
    assert [x.version for x in second] == [2, 3]
    assert [x.version for x in await store.read_stream("clue-solo")] == [1, 2, 3]
    with pytest.raises(Validation):
        await store.append("clue-solo", 3, [clue_event("clue-solo", event_id="nope")])


async def test_racing_standalone_appends_one_wins(store):
    async def write(i):
        try:
            await store.append("clue-solo-race", 0, [clue_event("clue-solo-race", summary=str(i))])
            return True
        except Concurrency:
            return False

    assert (await asyncio.gather(*(write(i) for i in range(10)))).count(True) == 1
