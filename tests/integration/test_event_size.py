"""The envelope size bound at append: an event the broker could never take is refused before it
is stored, so it can never stall a relay. Store level, timers, and RegisterClue over gRPC."""

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from kernel.domain.clock import FixedClock
from kernel.domain.errors import TooLarge
from kernel.eventstore import timers
from kernel.eventstore.envelope import build, seal
from kernel.eventstore.store import DEFAULT_MAX_EVENT_BYTES, EventStore
from kernel.eventstore.timers import TimerScheduler
from services.clues.main import build as build_clues
from tests.factories import call_metadata, clue_event, service_settings

MiB = 1024 * 1024


def sealed_size(store: EventStore, stream_id: str, event) -> int:
    """The bytes the store would keep for `event` as version 1 of `stream_id`."""
    return len(seal(build(event, stream_id, 1, store.clock.now())))


def bounded(store: EventStore, limit: int) -> EventStore:
    """The same schema and clock, another bound."""
    return EventStore(store.pool, store.schema, store.clock, max_event_bytes=limit)


async def test_the_default_bound_is_the_settings_default_and_well_under_a_mebibyte(store):
    assert store.max_event_bytes == DEFAULT_MAX_EVENT_BYTES == 262_144


async def test_exactly_at_the_limit_is_stored_one_byte_over_is_refused_and_stores_nothing(store):
    event = clue_event("clue-edge", summary="s" * 5000)
    size = sealed_size(store, "clue-edge", event)
    with pytest.raises(TooLarge) as refused:
        await bounded(store, size - 1).append("clue-edge", 0, [event])
    assert (refused.value.event_type, refused.value.size, refused.value.limit) == ("ClueRegistered", size, size - 1)
    assert f"{size:,} bytes" in str(refused.value) and f"{size - 1:,}" in str(refused.value)
    assert await store.read_stream("clue-edge") == []
    [stored] = await bounded(store, size).append("clue-edge", 0, [event])
    assert len(stored.envelope) == size


async def test_an_oversized_event_in_a_unit_of_work_rolls_back_everything_before_it(store):
    small = bounded(store, 4096)
    with pytest.raises(TooLarge):
        async with small.unit_of_work() as uow:
            await uow.append("clue-fine", 0, [clue_event("clue-fine")])
            await uow.append("clue-big", 0, [clue_event("clue-big"), clue_event("clue-big", summary="x" * 5000)])
    assert await store.read_stream("clue-fine") == [] and await store.read_stream("clue-big") == []


async def test_a_timer_whose_event_could_not_fit_is_refused_when_scheduled(store, pool):
    """Refused by the command that schedules it, not when it fires (where it would block every
    other due timer of its batch on each pass)."""
    async with pool.acquire() as conn:
        await timers.migrate_timers(conn, store.schema)
    due = datetime(2026, 5, 6, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    small = EventStore(pool, store.schema, FixedClock(due), max_event_bytes=8192)
    with pytest.raises(TooLarge) as refused:
        async with small.unit_of_work() as uow:
            await timers.schedule(
                uow,
                "t-big",
                due,
                "timer-clue-x",
                events_pb2.ClueRegistered(summary="x" * 5000),
                correlation_id="corr-t",
            )
    assert "8,192" in str(refused.value)
    assert await pool.fetchval(f"SELECT count(*) FROM {store.schema}.timers") == 0
    async with small.unit_of_work() as uow:  # one that fits is scheduled and fires
        await timers.schedule(
            uow, "t-small", due, "timer-clue-x", events_pb2.ClueRegistered(summary="x" * 1000), correlation_id="corr-t"
        )
    assert await TimerScheduler(small, small.clock).fire_due() == 1
    assert len(await store.read_stream("timer-clue-x")) == 1


def registration(unit: str, subjects: int = 1) -> clues_pb2.RegisterClueRequest:
    return clues_pb2.RegisterClueRequest(
        source=events_pb2.CLUE_SOURCE_AUDIT,
        summary="a report",
        subjects=[identity_pb2.PersonRef(person_id=f"p-{k}", name="Zhang San", unit=unit) for k in range(subjects)],
    )


async def test_a_valid_clue_over_a_lowered_bound_is_invalid_argument_naming_the_rpc_size_and_limit(
    database_url, bootstrap, unique, tmp_path
):
    """MAX_EVENT_BYTES set below its default shows the service's store takes it from the settings; a
    mebibyte of text never gets that far: the contract refuses it by field."""
    settings = service_settings(
        "clues",
        database_url,
        bootstrap,
        f"size{unique}",
        tmp_path,
        topic_partitions=1,
        database_schema=f"size_{unique}",
        max_event_bytes=8192,
    )
    clues = await build_clues(settings).start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
            stub = clues_grpc.ClueServiceStub(ch)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.RegisterClue(
                    registration("u" * MiB), metadata=call_metadata(settings, request_id=str(uuid.uuid4()))
                )
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert err.value.details() == "subjects[0].unit: at most 200 characters, got 1048576"
            refused_id = str(uuid.uuid4())
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.RegisterClue(
                    registration("单" * 200, subjects=20), metadata=call_metadata(settings, request_id=refused_id)
                )
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            details = err.value.details()
            assert details.startswith("RegisterClue: the event ClueRegistered would be ")
            assert "over the limit of 8,192 (MAX_EVENT_BYTES)" in details
            size = int(details.split(" would be ")[1].split(" bytes")[0].replace(",", ""))
            assert 20 * 600 < size < 20 * 600 + 4096
            assert await clues.pool.fetchval(f"SELECT count(*) FROM {settings.schema}.events") == 0
            assert (
                await clues.pool.fetchval(
                    f"SELECT count(*) FROM {settings.schema}.requests WHERE request_id = $1", refused_id
                )
                == 0
            )
            ok = await stub.RegisterClue(
                registration("Office 3"), metadata=call_metadata(settings, request_id=str(uuid.uuid4()))
            )
            assert ok.clue_id.startswith("clue-") and ok.version >= 1
            assert (
                await clues.pool.fetchval(
                    f"SELECT count(*) FROM {settings.schema}.events WHERE stream_id = $1", ok.clue_id
                )
                >= 1
            )
    finally:
        await clues.stop()
