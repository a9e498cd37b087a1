"""Inbox against a real PostgreSQL: de-duplication by event id, per-stream gap hold and release,
and concurrent deliveries of one event (through the audit Recorder and the bare Inbox)."""

import asyncio
from datetime import datetime, timezone

import asyncpg
import pytest

from kernel.eventstore import envelope as env_mod
from kernel.messaging.inbox import Inbox, Source
from services.audit.app.recorder import Recorder
from tests.factories import clue_event

AT = datetime(2026, 3, 2, tzinfo=timezone.utc)
# What a concurrent delivery may meet, depending on the inbox design; the caller retries.
RETRYABLE = (asyncpg.UniqueViolationError, asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


@pytest.fixture
async def recorder(store):
    r = Recorder(store, consumer="test-recorder")
    await r.migrate()
    return r


def raw_event(stream: str, version: int, summary: str = "s", event_id: str | None = None) -> bytes:
    """Envelope bytes exactly as a producer's store would seal them."""
    return env_mod.seal(env_mod.build(clue_event(stream, summary, event_id), stream, version, AT))


def stream_of(stream: str, n: int) -> list[bytes]:
    return [raw_event(stream, v, summary=f"v{v}") for v in range(1, n + 1)]


def src(offset: int) -> Source:
    return Source("t.clues.events.v1", 0, offset)


async def receive(store, inbox, raw, source):
    async with store.unit_of_work() as uow:
        return await inbox.receive(uow.conn, raw, source)


async def recorded(store, stream):
    return await store.pool.fetch(
        f'SELECT version, event_id::text, envelope, "offset" FROM {store.schema}.recorded_events '
        f"WHERE stream_id = $1 ORDER BY seq",
        stream,
    )


async def held(store, stream):
    return [
        r["version"]
        for r in await store.pool.fetch(
            f"SELECT version FROM {store.schema}.inbox_held WHERE stream_id = $1 ORDER BY version", stream
        )
    ]


# -- duplicates -----------------------------------------------------------------------------


async def test_same_event_twice_is_applied_once(store, recorder):
    raw = raw_event("clue-dup", 1)
    assert await recorder.record(raw, src(0)) == 1
    assert await recorder.record(raw, src(7)) == 0  # redelivery at another offset
    rows = await recorded(store, "clue-dup")
    assert [r["version"] for r in rows] == [1]
    assert bytes(rows[0]["envelope"]) == raw and rows[0]["offset"] == 0  # the first delivery stays

    again = await receive(store, recorder.inbox, raw, src(8))
    assert again.duplicate and not again.conflict and again.accepted == [] and again.gap is None


async def test_same_event_id_with_other_bytes_is_a_conflict(store, recorder):
    raw = raw_event("clue-conf", 1, summary="original")
    event_id = env_mod.parse(raw).event_id
    other = raw_event("clue-conf", 1, summary="tampered", event_id=event_id)
    assert other != raw
    assert await recorder.record(raw, src(0)) == 1

    out = await receive(store, recorder.inbox, other, src(1))
    assert out.duplicate and out.conflict and out.accepted == []
    assert await recorder.record(other, src(1)) == 0
    rows = await recorded(store, "clue-conf")
    assert len(rows) == 1 and bytes(rows[0]["envelope"]) == raw


async def test_other_event_at_an_applied_version_is_a_conflict(store, recorder):
    await recorder.record(raw_event("clue-v", 1), src(0))
    out = await receive(store, recorder.inbox, raw_event("clue-v", 1, summary="impostor"), src(1))
    assert out.duplicate and out.conflict and out.accepted == []


# -- gaps ----------------------------------------------------------------------------------


async def test_out_of_order_is_held_then_released_in_order_in_one_transaction(store, unique):
    inbox = Inbox(store.schema, "test-inbox")
    v1, v2, v3, v4 = stream_of("clue-ooo", 4)

    assert [a.envelope.version for a in (await receive(store, inbox, v1, src(0))).accepted] == [1]
    out3 = await receive(store, inbox, v3, src(2))
    assert out3.accepted == [] and out3.gap == ("clue-ooo", 2, 2)
    out4 = await receive(store, inbox, v4, src(3))
    assert out4.accepted == [] and out4.gap == ("clue-ooo", 2, 2)  # only what is truly missing: v3 is held
    async with store.pool.acquire() as conn:
        assert await inbox.held_gaps(conn) == [("clue-ooo", 2, 2)]
    assert await held(store, "clue-ooo") == [3, 4]

    # v2 arrives, but its transaction rolls back: v3 and v4 must still be held afterwards.
    with pytest.raises(RuntimeError):
        async with store.unit_of_work() as uow:
            out = await inbox.receive(uow.conn, v2, src(9))
            assert [a.envelope.version for a in out.accepted] == [2, 3, 4]
            raise RuntimeError("consumer failed after the inbox decided")
    assert await held(store, "clue-ooo") == [3, 4]

    # v2 arrives for real: v2, v3, v4 are released together, in version order, with their sources.
    async with store.unit_of_work() as uow:
        out2 = await inbox.receive(uow.conn, v2, src(1))
        assert (
            await uow.conn.fetchval(f"SELECT count(*) FROM {store.schema}.inbox_held WHERE consumer = 'test-inbox'")
            == 0
        )
    assert [a.envelope.version for a in out2.accepted] == [2, 3, 4]
    assert [a.raw for a in out2.accepted] == [v2, v3, v4]
    assert [a.source.offset for a in out2.accepted] == [1, 2, 3]
    assert out2.gap is None
    assert await held(store, "clue-ooo") == []
    async with store.pool.acquire() as conn:
        assert await inbox.held_gaps(conn) == []
    # every released event is now a recognised duplicate
    for raw in (v3, v4):
        again = await receive(store, inbox, raw, src(5))
        assert again.duplicate and not again.conflict


async def test_recorder_applies_v1_v3_v4_v2_in_version_order(store, recorder):
    v1, v2, v3, v4 = stream_of("clue-rec", 4)
    assert [await recorder.record(raw, src(i)) for i, raw in enumerate((v1, v3, v4, v2))] == [1, 0, 0, 3]
    rows = await recorded(store, "clue-rec")
    assert [r["version"] for r in rows] == [1, 2, 3, 4]  # seq order = applied order
    assert [bytes(r["envelope"]) for r in rows] == [v1, v2, v3, v4]
    assert [r["offset"] for r in rows] == [0, 3, 1, 2]  # each keeps its own delivery's source
    assert recorder.gaps == [("clue-rec", 2, 2), ("clue-rec", 2, 2)]  # v3 and v4 held: only 2 is missing
    assert await held(store, "clue-rec") == []


async def test_redelivered_held_event_stays_held_once(store, recorder):
    v1, v2, v3 = stream_of("clue-rh", 3)
    await recorder.record(v1, src(0))
    await recorder.record(v3, src(2))
    await recorder.record(v3, src(2))  # e.g. a restart re-reads the partition
    assert await held(store, "clue-rh") == [3]
    assert await recorder.record(v2, src(1)) == 2
    assert [r["version"] for r in await recorded(store, "clue-rh")] == [1, 2, 3]


async def test_gaps_of_streams_are_independent(store, recorder):
    a1, a2 = stream_of("clue-ga", 2)
    b1, b2, b3 = stream_of("clue-gb", 3)
    await recorder.record(a2, src(0))  # first missing is 1 for a brand new stream
    await recorder.record(b1, src(1))
    await recorder.record(b3, src(2))
    async with store.pool.acquire() as conn:
        assert sorted(await recorder.inbox.held_gaps(conn)) == [("clue-ga", 1, 1), ("clue-gb", 2, 2)]
    await recorder.record(a1, src(3))
    async with store.pool.acquire() as conn:
        assert await recorder.inbox.held_gaps(conn) == [("clue-gb", 2, 2)]


# -- concurrency ---------------------------------------------------------------------------


async def _race(n: int, attempt):
    """Run `attempt()` from n tasks that start together; retry RETRYABLE errors. Returns
    (results, retries)."""
    barrier = asyncio.Barrier(n)
    retries = 0

    async def one():
        nonlocal retries
        await barrier.wait()
        for _ in range(20):
            try:
                return await attempt()
            except RETRYABLE:
                retries += 1
                await asyncio.sleep(0.01)
        raise AssertionError("still failing after 20 attempts")

    return await asyncio.gather(*(one() for _ in range(n))), retries


@pytest.mark.parametrize("applied_before", [0, 1], ids=["new-stream", "existing-stream"])
async def test_concurrent_deliveries_of_one_event_apply_it_once(store, recorder, applied_before):
    stream = f"clue-race-{applied_before}"
    raws = stream_of(stream, applied_before + 1)
    for i, raw in enumerate(raws[:-1]):
        await recorder.record(raw, src(i))
    target = raws[-1]

    counts, retries = await _race(12, lambda: recorder.record(target, src(99)))
    assert sum(counts) == 1 and sorted(counts) == [0] * 11 + [1]
    assert [r["version"] for r in await recorded(store, stream)] == list(range(1, applied_before + 2))
    assert recorder.gaps == []
    assert retries == 0, f"{retries} deliveries failed with a retryable error"


@pytest.mark.parametrize("applied_before", [0, 1], ids=["new-stream", "existing-stream"])
async def test_concurrent_deliveries_through_the_bare_inbox(store, applied_before):
    """Transactions held open while the others decide: one accepts, the rest see a plain
    duplicate (not a conflict: the bytes are the same)."""
    inbox = Inbox(store.schema, "race-inbox")
    stream = f"clue-bare-{applied_before}"
    raws = stream_of(stream, applied_before + 1)
    for i, raw in enumerate(raws[:-1]):
        await receive(store, inbox, raw, src(i))
    target = raws[-1]

    async def deliver():
        async with store.unit_of_work() as uow:
            out = await inbox.receive(uow.conn, target, src(99))
            await asyncio.sleep(0.05)  # keep the transaction open while the others arrive
            return out

    outcomes, retries = await _race(8, deliver)
    assert sum(len(o.accepted) for o in outcomes) == 1
    assert [o.duplicate for o in outcomes].count(True) == 7
    assert not any(o.conflict for o in outcomes), "a redelivery of identical bytes was flagged as a conflict"
    assert retries == 0, f"{retries} deliveries failed with a retryable error"
    count = await store.pool.fetchval(
        f"SELECT count(*) FROM {store.schema}.inbox WHERE consumer = 'race-inbox' AND stream_id = $1", stream
    )
    assert count == applied_before + 1


async def test_concurrent_v1_and_held_v2_of_a_new_stream_do_not_strand_v2(store):
    """v2 (to be held) and v1 delivered at the same moment on a brand new stream: whichever
    decides second must see the other's outcome, so v2 ends applied and nothing stays held."""
    inbox = Inbox(store.schema, "race-held")
    for round_ in range(5):
        stream = f"clue-strand-{round_}"
        v1, v2 = stream_of(stream, 2)
        barrier = asyncio.Barrier(2)

        async def deliver(raw, offset, barrier=barrier):
            async with store.unit_of_work() as uow:
                await barrier.wait()  # both transactions open before either decides
                out = await inbox.receive(uow.conn, raw, src(offset))
                await asyncio.sleep(0.05)
                return out

        results = await asyncio.gather(deliver(v2, 1), deliver(v1, 0), return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert await held(store, stream) == [], f"round {round_}: v2 stranded in the hold"
        assert (
            await store.pool.fetchval(
                f"SELECT version FROM {store.schema}.inbox_streams WHERE consumer = 'race-held' AND stream_id = $1",
                stream,
            )
            == 2
        )
        async with store.pool.acquire() as conn:
            assert await inbox.held_gaps(conn) == []
