"""Event store against a real PostgreSQL: concurrency, idempotency, atomicity, reads."""
import asyncio

import pytest

from kernel.clock import FixedClock
from kernel.errors import Concurrency, Validation
from kernel.store import Cursor, EventStore
from tests.factories import clue_event


@pytest.fixture
async def store(pool, unique):
    s = EventStore(pool, f"t_{unique}", FixedClock())
    await s.migrate()
    return s


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
