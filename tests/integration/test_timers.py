"""Durable timers against a real PostgreSQL: fire when due, once, across restarts, races and crashes."""

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from clues.v1 import events_pb2
from kernel.domain.clock import FixedClock
from kernel.domain.errors import Validation
from kernel.domain.ids import timer_stream_id
from kernel.eventstore import timers
from kernel.eventstore.envelope import Link, parse, unpack
from kernel.eventstore.store import EventStore
from kernel.eventstore.timers import TimerScheduler, timer_event_id
from tests.factories import clue_event

T0 = datetime(2026, 5, 6, 9, 0, tzinfo=timezone(timedelta(hours=8)))
CLUE = f"clue-{uuid.UUID(int=7)}"
STREAM = timer_stream_id(CLUE)


@pytest.fixture
async def store(pool, unique):
    s = EventStore(pool, f"t_{unique}", FixedClock(T0))
    await s.migrate()
    async with pool.acquire() as conn:
        await timers.migrate_timers(conn, s.schema)
    return s


def payload(text="deadline"):
    return events_pb2.ClueRegistered(clue_id=CLUE, summary=text)


async def schedule(store, timer_id, due, stream=STREAM, text="deadline", **kw):
    async with store.unit_of_work() as uow:
        await timers.schedule(uow, timer_id, due, stream, payload(text), correlation_id="corr-t", **kw)


async def test_fires_when_the_clock_reaches_the_due_time_not_before(store):
    await schedule(store, "t-1", T0 + timedelta(days=15), causation_id="req-9", links=(Link("clue", CLUE, "deadline"),))
    scheduler = TimerScheduler(store, store.clock, component="clues-deadlines")
    store.clock.set(T0 + timedelta(days=15) - timedelta(seconds=1))
    assert await scheduler.fire_due() == 0 and await store.read_stream(STREAM) == []
    store.clock.set(T0 + timedelta(days=15))
    assert await scheduler.fire_due() == 1
    [stored] = await store.read_stream(STREAM)
    env = parse(stored.envelope)
    assert stored.event_id == timer_event_id("t-1")
    assert env.occurred_at.ToDatetime(tzinfo=timezone.utc) == T0 + timedelta(days=15)
    assert env.principal.user == "system:clues-deadlines" and env.principal.role == "system"
    assert env.correlation_id == "corr-t" and env.causation_id == "req-9"
    assert [(l.kind, l.id) for l in env.links] == [("clue", CLUE)]
    assert unpack(env, events_pb2.ClueRegistered).summary == "deadline"
    assert await scheduler.fire_due() == 0


async def test_survives_a_restart(store, database_url):
    await schedule(store, "t-restart", T0 + timedelta(hours=1))
    schema = store.schema
    del store  # the process that scheduled it is gone; a new one with a new pool takes over
    pool2 = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        fresh = EventStore(pool2, schema, FixedClock(T0 + timedelta(hours=2)))
        assert await TimerScheduler(fresh, fresh.clock).fire_due() == 1
        assert [e.event_id for e in await fresh.read_stream(STREAM)] == [timer_event_id("t-restart")]
    finally:
        await pool2.close()


async def test_fires_once_under_contention_of_many_schedulers(store, database_url):
    streams = [timer_stream_id(f"case-{uuid.UUID(int=i)}") for i in range(5)]
    async with store.unit_of_work() as uow:
        for i in range(200):
            await timers.schedule(
                uow, f"c-{i}", T0 - timedelta(minutes=i % 7), streams[i % 5], payload(str(i)), correlation_id="c"
            )
    pools = [await asyncpg.create_pool(database_url, min_size=1, max_size=3) for _ in range(4)]
    try:
        schedulers = [TimerScheduler(EventStore(p, store.schema, store.clock), store.clock, batch=17) for p in pools]

        async def drain(s):
            while await s.fire_due():
                pass

        await asyncio.gather(*(drain(s) for s in schedulers for _ in range(2)))
        assert sum(s.fired for s in schedulers) == 200
    finally:
        for p in pools:
            await p.close()
    events = [e for s in streams for e in await store.read_stream(s)]
    assert sorted(e.event_id for e in events) == sorted(timer_event_id(f"c-{i}") for i in range(200))
    for s in streams:
        assert [e.version for e in await store.read_stream(s)] == list(range(1, 41))
    assert await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.timers WHERE status = 'fired'") == 200


class Crash(Exception):
    pass


async def test_a_crash_between_firing_and_recording_fires_once(store):
    await schedule(store, "t-crash", T0)

    class CrashingScheduler(TimerScheduler):
        async def before_marking(self, timer_row):
            raise Crash("process died after the append, before the mark")

    with pytest.raises(Crash):
        await CrashingScheduler(store, store.clock).fire_due()
    assert await store.read_stream(STREAM) == []  # nothing half-written
    assert await TimerScheduler(store, store.clock).fire_due() == 1
    assert len(await store.read_stream(STREAM)) == 1


async def test_a_lost_status_update_never_fires_twice(store):
    await schedule(store, "t-lost", T0)
    scheduler = TimerScheduler(store, store.clock)
    assert await scheduler.fire_due() == 1
    await store.pool.execute(f"UPDATE {store.schema}.timers SET status = 'pending' WHERE timer_id = 't-lost'")
    assert await scheduler.fire_due() == 1  # handled again ...
    assert len(await store.read_stream(STREAM)) == 1  # ... but the event stands once
    assert await store.pool.fetchval(f"SELECT status FROM {store.schema}.timers WHERE timer_id = 't-lost'") == "fired"


async def test_cancel_before_and_after_firing(store):
    await schedule(store, "t-cancel", T0 + timedelta(days=1))
    await schedule(store, "t-fired", T0)
    scheduler = TimerScheduler(store, store.clock)
    await scheduler.fire_due()
    async with store.unit_of_work() as uow:
        assert await timers.cancel(uow, "t-cancel") is True
        assert await timers.cancel(uow, "t-fired") is False
        assert await timers.cancel(uow, "t-unknown") is False
    store.clock.set(T0 + timedelta(days=2))
    assert await scheduler.fire_due() == 0
    assert [e.event_id for e in await store.read_stream(STREAM)] == [timer_event_id("t-fired")]


async def test_rescheduling_an_id_with_other_content_is_refused_and_leaves_nothing(store):
    await schedule(store, "t-same", T0 + timedelta(days=3))
    await schedule(store, "t-same", T0 + timedelta(days=3))  # same content: no-op
    with pytest.raises(Validation) as err:
        await schedule(store, "t-same", T0 + timedelta(days=4))
    assert err.value.field == "timer_id"
    with pytest.raises(Validation):
        await schedule(store, "t-same", T0 + timedelta(days=3), text="other")
    with pytest.raises(Validation) as err:
        await schedule(store, "t-naive", datetime(2026, 5, 6))
    assert err.value.field == "due_at"
    rows = await store.pool.fetch(f"SELECT timer_id, due_at FROM {store.schema}.timers")
    assert [(r["timer_id"], r["due_at"]) for r in rows] == [("t-same", T0 + timedelta(days=3))]


async def test_timers_never_make_a_users_command_conflict(store):
    """Commands append to the clue stream while its timers fire on the timer stream."""
    async with store.unit_of_work() as uow:
        for i in range(60):
            await timers.schedule(uow, f"w-{i}", T0, STREAM, payload(str(i)), correlation_id="c")
    scheduler = TimerScheduler(store, store.clock, batch=5)

    async def user_commands():
        for i in range(60):
            async with store.unit_of_work() as uow:
                await uow.append(CLUE, i, [clue_event(CLUE)])  # expects exactly the version it read
            await asyncio.sleep(0)

    async def fire():
        while await scheduler.fire_due():
            await asyncio.sleep(0)

    await asyncio.gather(user_commands(), fire(), fire())
    assert len(await store.read_stream(CLUE)) == 60 and len(await store.read_stream(STREAM)) == 60


async def test_run_loop_wakes_when_the_clock_moves(store):
    await schedule(store, "t-loop", T0 + timedelta(days=30))
    scheduler = TimerScheduler(store, store.clock, poll_seconds=3600)  # only a wake can make it look again
    task = asyncio.create_task(scheduler.run())
    try:
        await asyncio.sleep(0.2)
        assert await store.read_stream(STREAM) == []
        store.clock.set(T0 + timedelta(days=31))
        scheduler.wake()
        for _ in range(200):
            if await store.read_stream(STREAM):
                break
            await asyncio.sleep(0.05)
        assert len(await store.read_stream(STREAM)) == 1
    finally:
        scheduler.stop()
        await asyncio.wait_for(task, 10)


async def sync(store, wanted):
    async with store.unit_of_work() as uow:
        await timers.sync(uow, "warn:", wanted, STREAM, correlation_id="corr-s")


async def test_sync_moves_a_pending_timer_whose_time_changed_and_it_still_fires_once(store):
    """A deadline moved by new configuration (same timer id, other time) moves the pending timer:
    it fires at the new time, not the old one, and once; a fired timer is never moved."""
    await sync(store, {"warn:a": (T0 + timedelta(days=3), payload()), "warn:b": (T0, payload("b"))})
    scheduler = TimerScheduler(store, store.clock)
    assert await scheduler.fire_due() == 1  # warn:b
    await sync(
        store, {"warn:a": (T0 + timedelta(days=5), payload("moved")), "warn:b": (T0 + timedelta(days=9), payload("b"))}
    )
    rows = await store.pool.fetch(f"SELECT timer_id, status, due_at FROM {store.schema}.timers ORDER BY timer_id")
    assert [(r["timer_id"], r["status"], r["due_at"]) for r in rows] == [
        ("warn:a", "pending", T0 + timedelta(days=5)),
        ("warn:b", "fired", T0),
    ]
    store.clock.set(T0 + timedelta(days=4))
    assert await scheduler.fire_due() == 0  # the old time passes: nothing
    store.clock.set(T0 + timedelta(days=5))
    assert await scheduler.fire_due() == 1 and await scheduler.fire_due() == 0
    fired = [unpack(parse(e.envelope), events_pb2.ClueRegistered).summary for e in await store.read_stream(STREAM)]
    assert fired == ["b", "moved"]


async def test_sync_leaves_a_timer_being_fired_to_its_firing_and_never_waits_for_it(store):
    """A firing holds its timer's row and then waits for the aggregate's lock; a command holding
    that lock and syncing its timers (cancelling or moving the one being fired) must not wait for
    the row: it would deadlock (issue 22: a review closing items whose overdue timers fire). The
    sync leaves that timer to its firing, and the rest of the sync happens."""
    await sync(store, {"warn:a": (T0, payload("a")), "warn:b": (T0 + timedelta(days=9), payload("b"))})
    synced = asyncio.Event()

    class SlowScheduler(TimerScheduler):
        async def before_marking(self, timer_row):  # the row of warn:a is held by this firing now
            await asyncio.wait_for(sync(store, {}), timeout=5)  # would wait for warn:a's row before
            synced.set()

    assert await SlowScheduler(store, store.clock).fire_due() == 1
    assert synced.is_set()
    rows = await store.pool.fetch(f"SELECT timer_id, status FROM {store.schema}.timers ORDER BY timer_id")
    assert [(r["timer_id"], r["status"]) for r in rows] == [("warn:a", "fired"), ("warn:b", "cancelled")]
