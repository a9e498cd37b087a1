"""The broker is lost, not the data: restart the (memory-only) broker empty while writers run and
the audit consumer is behind; afterwards audit holds every event exactly once, in order per stream."""

import asyncio
import random

import pytest

from kernel.runtime.embedded import EmbeddedBroker
from services.audit.main import build as build_audit
from services.clues.main import build as build_clues
from tests.factories import clue_event, service_settings

WRITERS, ROUNDS, STREAMS = 12, 25, 8


@pytest.fixture
async def private_platform(database_url, unique, tmp_path):
    broker = EmbeddedBroker().start()

    def settings(service):
        return service_settings(
            service, database_url, broker.bootstrap, f"loss{unique}", tmp_path, marker_check_seconds=0.5
        )

    clues = await build_clues(settings("clues")).start()
    audit = build_audit(settings("audit"))  # started late: the consumer is behind when the broker goes
    try:
        yield broker, clues, audit
    finally:
        await clues.stop()
        if audit.pool is not None:
            await audit.stop()
        broker.stop()


async def test_broker_restarted_empty_loses_nothing(private_platform, unique):
    broker, clues, audit = private_platform
    streams = [f"clue-loss{unique}-{i}" for i in range(STREAMS)]
    committed: dict[str, list[str]] = {s: [] for s in streams}

    async def writer(seed: int):
        rnd = random.Random(seed)
        for _ in range(ROUNDS):
            stream = rnd.choice(streams)
            try:
                async with clues.store.unit_of_work() as uow:
                    version = await uow.stream_version(stream)
                    await asyncio.sleep(rnd.random() * 0.01)
                    [e] = await uow.append(stream, version, [clue_event(stream)])
                committed[stream].append(e.event_id)
            except Exception:  # noqa: BLE001 - version conflicts are expected; the command never sees the broker
                pass
            await asyncio.sleep(rnd.random() * 0.05)

    async def lose_broker():
        while clues.relay.published < 30:  # lose events that were already published
            await asyncio.sleep(0.05)
        await asyncio.to_thread(broker.restart_empty)
        await audit.start()

    await asyncio.gather(*(writer(i) for i in range(WRITERS)), lose_broker())
    expected = {e for ids in committed.values() for e in ids}
    assert len(expected) > 50

    rows = []
    for _ in range(360):
        rows = await audit.pool.fetch(
            "SELECT event_id::text, stream_id, version FROM audit.recorded_events "
            "WHERE stream_id = ANY($1::text[]) ORDER BY seq",
            streams,
        )
        if {r["event_id"] for r in rows} >= expected:
            break
        await asyncio.sleep(0.25)
    got = [r["event_id"] for r in rows]
    assert set(got) == expected, f"missing {len(expected - set(got))} of {len(expected)}"
    assert len(got) == len(set(got)), "an event was recorded twice"
    for s in streams:
        versions = [r["version"] for r in rows if r["stream_id"] == s]
        assert versions == list(range(1, len(committed[s]) + 1)), f"{s} recorded out of order"
    assert clues.relay.republishes >= 1, "the relay never noticed the broker loss"
    held = await audit.pool.fetchval("SELECT count(*) FROM audit.inbox_held WHERE stream_id = ANY($1::text[])", streams)
    assert held == 0
