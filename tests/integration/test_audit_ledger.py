"""The audit ledger on a real PostgreSQL: one leaf per event over exactly the bytes received,
the stored nodes giving every root and proof, exactly once under redelivery, racing batches and
restarts, contradictions quarantined without blocking what follows."""

import asyncio
import random
from datetime import timezone

import pytest

from kernel.eventstore import envelope as env_mod
from kernel.messaging.inbox import Source
from services.audit.app import ledger
from services.audit.app.recorder import Recorder
from services.audit.domain import merkle
from tests.integration.test_inbox import raw_event


@pytest.fixture
async def recorder(store):
    r = Recorder(store, consumer="ledger-test")
    await r.migrate()
    return r


def events(streams: int, versions: int, tag: str = "") -> list[bytes]:
    return [
        raw_event(f"clue-{tag}{s}", v, summary=f"{tag}{s}/{v}") for v in range(1, versions + 1) for s in range(streams)
    ]


async def leaves(store) -> list[tuple[int, bytes]]:
    rows = await store.pool.fetch(
        f"SELECT leaf_index, envelope FROM {store.schema}.recorded_events ORDER BY leaf_index"
    )
    return [(r["leaf_index"], bytes(r["envelope"])) for r in rows]


async def check_tree(store) -> list[bytes]:
    """Leaves contiguous from 0; the stored nodes give the reference root at every size."""
    stored = await leaves(store)
    assert [i for i, _ in stored] == list(range(len(stored)))
    hashes = [merkle.leaf_hash(raw) for _, raw in stored]
    async with store.pool.acquire() as conn:
        assert await ledger.size(conn, store.schema) == len(stored)
        for n in sorted({0, 1, 2, 3, len(stored) // 2, len(stored) - 1, len(stored)} & set(range(len(stored) + 1))):
            assert await ledger.root_at(conn, store.schema, n) == merkle.root_of(hashes[:n])
    return hashes


async def test_batches_become_leaves_and_every_proof_is_served_from_stored_nodes(store, recorder):
    raws = events(7, 9)
    rnd, k = random.Random(3), 0
    while k < len(raws):
        n = rnd.randint(1, 17)
        assert await recorder.record_batch([(r, Source("t", 0, k + i)) for i, r in enumerate(raws[k : k + n])]) == len(
            raws[k : k + n]
        )
        k += n
    hashes = await check_tree(store)
    assert [raw for _, raw in await leaves(store)] == raws  # exactly the bytes received, in order
    async with store.pool.acquire() as conn:
        for size in range(1, len(hashes) + 1, 5):
            root = merkle.root_of(hashes[:size])
            for index in range(0, size, 3):
                proof = await ledger.hashes_of(conn, store.schema, merkle.inclusion_proof_nodes(index, size))
                merkle.verify_inclusion(hashes[index], index, size, proof, root)
            for first in range(1, size + 1, 4):
                proof = await ledger.hashes_of(conn, store.schema, merkle.consistency_proof_nodes(first, size))
                merkle.verify_consistency(first, size, proof, merkle.root_of(hashes[:first]), root)


async def test_redelivery_racing_batches_and_restarts_never_make_a_second_leaf(store, recorder):
    raws = events(5, 12, "r")

    async def deliver(seed):
        mine = random.Random(seed).sample(raws, k=len(raws))  # all of it, in its own disorder
        for k in range(0, len(mine), 9):
            await recorder.record_batch([(r, Source("t", seed, k + i)) for i, r in enumerate(mine[k : k + 9])])

    await asyncio.gather(*(deliver(s) for s in range(6)))
    restarted = Recorder(store, consumer="ledger-test")  # a restart: a new process, same inbox
    await restarted.migrate()
    for k in range(0, len(raws), 25):
        assert await restarted.record_batch([(r, Source("t", 9, k)) for r in raws[k : k + 25]]) == 0
    hashes = await check_tree(store)
    assert sorted(hashes) == sorted(merkle.leaf_hash(r) for r in raws)
    held = await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.inbox_held")
    assert held == 0


async def test_contradicting_deliveries_are_quarantined_and_block_nothing(store, recorder):
    original = raw_event("clue-q", 1, summary="original")
    env = env_mod.parse(original)
    forged = raw_event("clue-q", 1, summary="forged", event_id=env.event_id)
    usurper = raw_event("clue-q", 1, summary="another event at a taken version")
    after = raw_event("clue-q", 2, summary="next")
    assert await recorder.record(original, Source("t", 0, 0)) == 1
    for _ in range(2):  # redelivered: quarantined once
        assert await recorder.record_batch(
            [(forged, Source("t", 0, 1)), (usurper, Source("t", 0, 2)), (after, Source("t", 0, 3))]
        ) in (1, 0)
    rows = await ledger.quarantined(store.pool, store.schema, 10)
    assert sorted((r["kind"], bytes(r["envelope"])) for r in rows) == sorted([("digest", forged), ("version", usurper)])
    assert [raw for _, raw in await leaves(store)] == [original, after]
    await check_tree(store)


async def test_rows_recorded_before_the_ledger_existed_become_leaves_at_start_up(store, recorder):
    raws = events(2, 3, "old")
    await recorder.record_batch([(r, Source("t", 0, k)) for k, r in enumerate(raws[:2])])
    await store.pool.execute(  # rows as an older version of the service left them: no leaf, no tree, no times
        f"UPDATE {store.schema}.recorded_events SET leaf_index = NULL, occurred_at = NULL, recorded_at = NULL; "
        f"DELETE FROM {store.schema}.merkle_nodes; UPDATE {store.schema}.ledger_head SET size = 0, peaks = '{{}}'"
    )
    restarted = Recorder(store, consumer="ledger-test")
    await restarted.migrate()
    await restarted.record_batch([(r, Source("t", 0, k)) for k, r in enumerate(raws)])
    assert [raw for _, raw in await leaves(store)] == raws
    await check_tree(store)
    await restarted.migrate()  # nothing left to backfill
    assert len(await leaves(store)) == len(raws)
    times = await store.pool.fetch(f"SELECT envelope, occurred_at, recorded_at FROM {store.schema}.recorded_events")
    for row in times:
        env = env_mod.parse(bytes(row["envelope"]))
        assert (row["occurred_at"], row["recorded_at"]) == (
            env.occurred_at.ToDatetime(timezone.utc),
            env.recorded_at.ToDatetime(timezone.utc),
        )
