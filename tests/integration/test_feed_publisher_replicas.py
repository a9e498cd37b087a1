"""Two audit replicas on one schema (issue 28): their writers against a real PostgreSQL and the
real embedded broker.

* Partner topics: two feed publishers on one schema (each on a pool of its own, as two processes
  are); one publishes (the lock `feed-publisher:<schema>`), the other stands by with no Kafka
  client. Each entry reaches its agency's topic from one publisher only: exactly once while no
  publisher goes, and around a takeover repeats only of the batch the leaver had sent and not yet
  recorded. The standby takes over when the publisher's session ends and when it stops; a stale
  publisher never moves a position back.
* Checkpoints: two recorders ingesting and two signers signing at once on one ledger: every
  checkpoint extends the one before it and its root is the stored tree's at its size.
"""

from __future__ import annotations

import asyncio
import random
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kernel.domain.clock import FixedClock
from kernel.edge.status import StatusBoard
from kernel.eventstore.store import EventStore, create_pool
from kernel.messaging import topics
from kernel.messaging.inbox import Source
from services.audit.app import ledger
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.feed_publisher import Entry
from services.audit.app.recorder import Recorder
from services.audit.domain import merkle
from services.audit.domain.checkpoint import NoteSigner
from tests.integration.test_audit_ledger import check_tree, events
from tests.integration.test_partner_topics import AGENCIES, Feeds, caught_up, check_topic, read_topic, schema, started

__all__ = ["schema"]  # the fixture, shared with the partner topics' tests
BATCH = 5
ORIGIN = "test.jjjc/audit-ledger"
QUICK = dict(batch_size=BATCH, leader_check_seconds=0.1)


async def wait_for(predicate, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not reached after {timeout} s"
        await asyncio.sleep(0.02)


async def positions(pool, schema: str) -> dict[str, int]:
    rows = await pool.fetch(f"SELECT agency, next_position FROM {schema}.feed_published")
    return {r["agency"]: r["next_position"] for r in rows}


async def seen_on_topics(bootstrap: str, prefix: str, feeds: Feeds) -> dict[str, dict[int, int]]:
    """How often each position of each agency's feed is on its topic (every position at least once)."""
    out = {}
    for agency in AGENCIES:
        rows = feeds.rows[agency]
        records = await read_topic(bootstrap, topics.partner_topic(agency, prefix), len(rows), quiet=0.5)
        out[agency] = check_topic(agency, records, rows)
        assert sorted(out[agency]) == list(range(len(rows))), f"{agency}: an entry is missing"
    return out


async def test_one_of_two_publishers_publishes_and_the_standby_takes_over(
    pool, schema, bootstrap, database_url, unique
):
    rng, feeds, prefix = random.Random(28), Feeds(pool, schema), f"pr{unique}."
    streams = [f"case-{i}" for i in range(5)]
    other_pool = await create_pool(database_url, min_size=1, max_size=8)
    # a tries again after 1 s, b every 0.1 s: b takes the lock a loses
    a = await started(pool, schema, bootstrap, prefix, standby_retry_seconds=1.0, **QUICK)
    await wait_for(lambda: a.leader.held, "a publishing")
    b = await started(other_pool, schema, bootstrap, prefix, standby_retry_seconds=0.1, **QUICK)
    boards = {name: StatusBoard("audit") for name in "ab"}
    a.register(boards["a"])
    b.register(boards["b"])
    try:
        await wait_for(lambda: b.leader.standby, "b standing by")
        for _ in range(4):
            await feeds.write(rng.randint(3, 9), streams, rng)
            await asyncio.sleep(rng.uniform(0, 0.2))
        await caught_up(pool, schema, feeds)
        seen = await seen_on_topics(bootstrap, prefix, feeds)
        assert all(set(s.values()) == {1} for s in seen.values()), "an entry sent twice with one publisher"
        assert b._producer is None and b._consumer is None, "a standby opened a Kafka client"
        figures = {n: {c.counters["publishing"] for c in await board.read()} for n, board in boards.items()}
        assert figures == {"a": {1}, "b": {0}}

        # The database ends a's session (a failover, a cut connection): a steps down, b publishes.
        await pool.execute("SELECT pg_terminate_backend($1)", a.leader.conn.get_server_pid())
        await wait_for(lambda: b.leader.held and not a.leader.held, "b publishing after a's session ended")
        await wait_for(lambda: a.leader.standby, "a standing by")
        await feeds.write(12, streams, rng)
        await caught_up(pool, schema, feeds)
        seen = await seen_on_topics(bootstrap, prefix, feeds)
        assert all(set(s.values()) == {1} for s in seen.values()), "an idle handover sent an entry twice"

        # b stops while entries keep coming: a takes over from the stored positions.
        writer = asyncio.create_task(write_for(feeds, streams, rng, 1.0))
        await asyncio.sleep(0.3)
        await b.close()
        at_close = await positions(pool, schema)
        await writer
        await wait_for(lambda: a.leader.held, "a publishing again after b stopped")
        await caught_up(pool, schema, feeds)
        assert (a.leader.takeovers, b.leader.takeovers) == (2, 1)
        for agency, counts in (await seen_on_topics(bootstrap, prefix, feeds)).items():
            repeated = {p for p, n in counts.items() if n > 1}
            # only what b had sent and not yet recorded when it stopped: at most one batch
            assert repeated <= set(range(at_close[agency], at_close[agency] + BATCH)), (agency, repeated)
    finally:
        for pub in (a, b):
            await pub.close()
        await other_pool.close()


async def write_for(feeds: Feeds, streams: list[str], rng: random.Random, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await feeds.write(rng.randint(1, 4), streams, rng)
        await asyncio.sleep(0.05)


async def test_a_stale_publisher_never_moves_a_position_back(pool, schema, bootstrap, unique):
    """Compare-and-set: what another publisher recorded stands; the stale one's batch is not counted."""
    rng, feeds, prefix = random.Random(282), Feeds(pool, schema), f"ps{unique}."
    await feeds.write(10, ["case-1", "case-2"], rng)
    pub = await started(pool, schema, bootstrap, prefix, **QUICK)
    try:
        await caught_up(pool, schema, feeds)
        before, published = await positions(pool, schema), pub.agencies[AGENCIES[0]].published
        row = feeds.rows[AGENCIES[0]][0]
        stale = Entry(row.agency, row.position, row.leaf_index, row.event_id, row.stream_id, row.entry)
        await pub._advance(pub.agencies[row.agency], 0, stale, 0, 0, 1)  # read 0, long since moved
        assert await positions(pool, schema) == before
        assert pub.agencies[row.agency].published == published
    finally:
        await pub.close()


async def test_a_publisher_that_cannot_reach_the_store_for_its_lock_says_so(schema, bootstrap, database_url, unique):
    other_pool = await create_pool(database_url, min_size=1, max_size=2)
    pub = await started(other_pool, schema, bootstrap, f"pn{unique}.", standby_retry_seconds=0.05)
    await wait_for(lambda: pub.leader.held, "publishing")
    await pub.close()
    await other_pool.close()  # every acquire now fails, as with PostgreSQL unreachable
    assert not await pub.leader.take() and not await pub.leader.take()
    assert "publisher's lock (2 attempts)" in (pub.leader.problem() or "")


async def test_two_recorders_and_two_signers_keep_checkpoints_consistent(store, database_url):
    """Two audit replicas ingest (the ledger's head lock) and sign (the signer's advisory lock) at
    once: checkpoints grow, each extends the previous one, each root is the tree's at its size."""
    other_pool = await create_pool(database_url, min_size=1, max_size=8)
    other = EventStore(other_pool, store.schema, FixedClock())
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    recorders = [Recorder(s, consumer="ledger") for s in (store, other)]
    await recorders[0].migrate()
    signers = [Checkpointer(s.pool, s.schema, signer, ORIGIN) for s in (store, other)]
    await signers[0].migrate()
    batches = {tag: events(3, 8, tag) for tag in "ab"}  # each replica its own streams (partitions)

    async def ingest(recorder, raws):
        for k in range(0, len(raws), 4):
            await recorder.record_batch([(r, Source("t", 0, k + i)) for i, r in enumerate(raws[k : k + 4])])

    async def sign(checkpointer, rounds):
        for _ in range(rounds):
            await checkpointer.sign()
            await asyncio.sleep(0)

    try:
        await asyncio.gather(
            ingest(recorders[0], batches["a"]),
            ingest(recorders[1], batches["b"]),
            sign(signers[0], 30),
            sign(signers[1], 30),
        )
        await signers[1].sign()
        hashes = await check_tree(store)
        signed = await signers[0].all()
        assert signed[-1].tree_size == len(hashes) == 48 and len(signed) > 1
        for cp in signed:
            assert cp.root == merkle.root_of(hashes[: cp.tree_size])
        async with store.pool.acquire() as conn:
            for old, new in zip(signed, signed[1:], strict=False):
                proof = await ledger.hashes_of(
                    conn, store.schema, merkle.consistency_proof_nodes(old.tree_size, new.tree_size)
                )
                merkle.verify_consistency(old.tree_size, new.tree_size, proof, old.root, new.root)
    finally:
        await other_pool.close()
