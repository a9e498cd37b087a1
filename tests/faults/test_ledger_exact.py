"""The ledger holds every event exactly once, whatever dies (issue 13, point 6).

One private platform for the module (PostgreSQL, broker, clues, cases and audit as processes),
eight officers registering clues throughout; each scenario injects its fault under that load and
ends with the exact count of `Stack.converged`: every event of every producer store recorded once
in the ledger, nothing held or kept aside, every acknowledged command stored (once), the tree
whole. `make test-faults REPEAT=5` runs them five times.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import committed_offsets
from tests.faults.stack import SERVICES, Load, Stack

pytestmark = pytest.mark.faults
STEP = 40  # acknowledged calls between the phases of a scenario


@pytest.fixture(scope="module")
async def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("faults"))
    try:
        for service in SERVICES:
            s.start(service)
        yield s
    finally:
        s.close()


@pytest.fixture
async def load(stack):
    running = Load(stack).start()
    running.gaps_before = gaps(stack)
    yield running
    if not running._stop.is_set():
        await running.stop()


def gaps(stack: Stack) -> tuple[int, int]:
    """Gaps the ledger found and repaired so far (from the relays' watermarks)."""
    log = stack.log("audit")
    return log.count('"audit.gap_found"'), log.count('"audit.gap_repaired"')


async def settle(load: Load, stack: Stack, *, broker_lost: bool = False) -> None:
    """Let the load run on a little after the fault, stop it, and check the exact count. Only a
    broker restarted empty may make the ledger find a gap (a consumer whose fetch position
    survives into the new log skips what was written below it); every gap found is repaired."""
    found_before, _ = load.gaps_before
    await load.until(len(load.acknowledged) + STEP)
    await load.stop()
    counts = await stack.converged(load)
    found, repaired = gaps(stack)
    assert found == repaired, f"{found - repaired} gap(s) found and not repaired"
    if not broker_lost:
        assert found == found_before, "a fault that loses no record raised a gap"
    print(f"\n{counts} gaps found and repaired: {found - found_before}")


async def test_postgres_stopped_and_started_under_load(stack, load):
    await load.until(STEP)
    await asyncio.to_thread(stack.pg.stop, "immediate")  # every backend gone at once, mid-batch
    await asyncio.sleep(3)
    await asyncio.to_thread(stack.pg.start)
    await settle(load, stack)
    assert load.outcomes["unavailable"] > 0, "no call saw the outage: the scenario tested nothing"
    assert "consumer.store_unavailable" in stack.log("audit")


@pytest.mark.parametrize("service", ["clues", "audit", "cases"])
async def test_service_killed_during_appends_and_relay(stack, load, service):
    await load.until(STEP)
    await asyncio.to_thread(stack.kill, service)  # appends, relay and ingest all in flight
    await asyncio.sleep(0.5)
    await asyncio.to_thread(stack.start, service)
    await settle(load, stack)


async def test_broker_restarted_empty_under_load(stack, load):
    await load.until(STEP)
    await asyncio.to_thread(stack.broker.restart_empty)
    await settle(load, stack, broker_lost=True)
    assert "relay.topic_lost" in stack.log("clues")


async def test_consumer_killed_after_its_effect_before_its_offset_commit(stack, load):
    await asyncio.to_thread(stack.stop, "audit")
    await asyncio.to_thread(stack.start, "audit", CONSUMER_COMMIT_SECONDS="600")  # no commit before the kill
    await load.until(len(load.acknowledged) + STEP)
    await _recorded_beyond_committed(stack)
    await asyncio.to_thread(stack.kill, "audit")
    await asyncio.to_thread(stack.start, "audit")
    await settle(load, stack)


async def test_stored_event_the_broker_refuses(stack, load):
    await load.stop()
    await asyncio.to_thread(stack.stop, "clues")
    await asyncio.to_thread(stack.start, "clues", RELAY_MAX_REQUEST_BYTES="2048")  # a broker that takes less
    load.summary = "y" * 4000  # stored (under MAX_EVENT_BYTES), refused downstream
    load.start()
    await load.until(len(load.acknowledged) + 5)
    await load.stop()
    relay = await _relay_status(stack)
    assert relay.state == "stuck", relay
    assert any("event_id" in p or "event" in p for p in relay.problems), relay.problems
    assert "relay.stuck" in stack.log("clues")
    await asyncio.to_thread(stack.stop, "clues")
    await asyncio.to_thread(stack.start, "clues")  # the limit raised: the stuck event goes out, in order
    load.summary = "x" * 40
    load.start()
    await settle(load, stack)


async def _relay_status(stack: Stack):
    for _ in range(100):
        status = await stack.status("clues")
        [relay] = [c for c in status.components if c.name.startswith("relay ")]
        if relay.state == "stuck":
            return relay
        await asyncio.sleep(0.2)
    return relay


async def _recorded_beyond_committed(stack: Stack) -> None:
    """The ledger recorded events past the audit group's committed offsets: the kill that follows
    falls between the effect and its offset commit."""
    import asyncpg

    conn = await asyncpg.connect(stack.pg.url)
    try:
        for _ in range(100):
            recorded = {
                (r["topic"], r["partition"]): r["last"]
                for r in await conn.fetch(
                    'SELECT topic, partition, max("offset") AS last FROM audit.recorded_events GROUP BY 1, 2'
                )
            }
            committed = await asyncio.to_thread(committed_offsets, stack.broker.bootstrap, "audit-ledger")
            if any(last >= committed.get(tp, 0) for tp, last in recorded.items()):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"nothing recorded beyond the committed offsets {committed}")
    finally:
        await conn.close()
