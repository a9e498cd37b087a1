"""Audit ledger benchmark: ingest rate and proof latency at large tree sizes.

  ingest       events/s through the audit Recorder as the consumer drives it: batches of
               `--batch` sealed envelopes, each batch one transaction (inbox de-duplication,
               leaves, Merkle nodes, head)
  inclusion    GetInclusionProof's work (leaf lookup, O(log n) stored nodes, root): p50 / p99
  consistency  GetConsistencyProof's work between a random earlier size and the tree: p50 / p99
  replay       GetHistory's work for a random clue's story (10 steps): p50 / p99
  rebuild      `services.audit.rebuild`'s work: every projection rebuilt from all the leaves,
               compared with the live table and swapped in; seconds per 100,000 events

Events are clue events naming their subject (a person link), as the clues service publishes
them, each tenth filed as a case (a case link), so ingest also feeds the replay index. Proofs, replay and rebuild are timed at each size of
`--sizes` once the tree has grown to it (goals: ingest >= 20,000 events/s, p99 <= 5 ms per proof
at 1,000,000 leaves).

  make bench-ledger                                  # 100,000 and 1,000,000 leaves
  make bench-ledger ARGS="--quick"                   # 10,000 and 50,000
  DATABASE_URL=postgresql://... make bench-ledger ARGS="--sizes 100000"
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from dataclasses import replace

from bench.common import AT, add_database_option, new_event, postgres, say
from kernel.domain.clock import SystemClock
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link
from kernel.eventstore.store import EventStore, create_pool
from kernel.messaging.inbox import Source
from services.audit.app import projections
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.proofs import Proofs
from services.audit.app.recorder import Recorder
from services.audit.app.replay import Replay
from services.audit.domain.checkpoint import NoteSigner

PER_STREAM = 10


def sealed(i: int) -> tuple[bytes, str]:
    """The i-th event: stream i // PER_STREAM at version i % PER_STREAM + 1; its bytes and id."""
    links = (Link("person", f"P-{i // PER_STREAM:08d}", "subject"),)
    if i % PER_STREAM == PER_STREAM - 1:  # each clue's last step: filed as a case
        links += (Link("case", f"case-{uuid.UUID(int=i // PER_STREAM)}", "filed-as"),)
    event = replace(new_event(i), links=links)
    raw = env_mod.seal(env_mod.build(event, f"clue-{uuid.UUID(int=i // PER_STREAM)}", i % PER_STREAM + 1, AT))
    return raw, event.event_id


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def timed_reads(proofs: Proofs, replay: Replay, ids: list[str], size: int, samples: int) -> dict[str, tuple]:
    rnd, out = random.Random(size), {"inclusion": [], "consistency": [], "replay": []}
    reads = {
        "inclusion": lambda: proofs.inclusion(ids[rnd.randrange(size)], size),
        "consistency": lambda: proofs.consistency(rnd.randint(1, size), size),
        "replay": lambda: replay.page(f"clue-{uuid.UUID(int=rnd.randrange(size // PER_STREAM))}", None, 0, ""),
    }
    for _ in range(samples):
        for name, read in reads.items():
            t = time.perf_counter()
            await read()
            out[name].append((time.perf_counter() - t) * 1000)
    return {k: percentiles(v) for k, v in out.items()}


async def timed_rebuild(pool, schema: str) -> float:
    """Seconds to rebuild every projection from all the leaves (equal to live, or it says so)."""
    async with pool.acquire() as conn:
        t = time.perf_counter()
        for p in projections.PROJECTIONS:
            done = await projections.rebuild(conn, schema, p, replace=True)
            if not done.equal:
                say(f"rebuild of {p.name} differed from live: {done.missing} missing, {done.extra} extra")
        return time.perf_counter() - t


async def run(url: str, args) -> None:
    pool = await create_pool(url, min_size=1, max_size=2)
    store = EventStore(pool, f"bench_ledger_{uuid.uuid4().hex[:8]}", SystemClock())
    await store.migrate()
    recorder = Recorder(store, consumer="bench")
    await recorder.migrate()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    checkpoints = Checkpointer(
        pool, store.schema, NoteSigner("bench/ledger", Ed25519PrivateKey.generate()), "bench/ledger"
    )
    await checkpoints.migrate()
    proofs, ids, ingest_seconds = Proofs(pool, store.schema, checkpoints), [], 0.0
    replay = Replay(pool, store.schema)
    try:
        for size in sorted(args.sizes):
            while len(ids) < size:
                batch = [sealed(i) for i in range(len(ids), min(size, len(ids) + args.batch))]
                t = time.perf_counter()
                # each record carries its producer's store position, as a relay sends it
                await recorder.record_batch(
                    [
                        (raw, Source("bench", 0, len(ids) + k, f"{len(ids) + k + 1}:{len(ids) + k + 1}"))
                        for k, (raw, _) in enumerate(batch)
                    ]
                )
                ingest_seconds += time.perf_counter() - t
                ids += [event_id for _, event_id in batch]
                if len(ids) % (args.batch * 50) == 0:
                    say(f"ingested {len(ids):,} ({len(ids) / ingest_seconds:,.0f} events/s so far)")
            figures = await timed_reads(proofs, replay, ids, size, args.samples)
            say(f"rebuilding the projections from {size:,} leaves")
            rebuild = await timed_rebuild(pool, store.schema)
            print(
                f"{size:>10,} leaves  ingest {len(ids) / ingest_seconds:>8,.0f} events/s   "
                + "   ".join(f"{k} p50 {p50:.2f} ms p99 {p99:.2f} ms" for k, (p50, p99) in figures.items())
                + f"   rebuild {rebuild:.1f} s ({rebuild * 100_000 / size:.1f} s per 100k events)",
                flush=True,
            )
    finally:
        await pool.execute(f"DROP SCHEMA {store.schema} CASCADE")
        await pool.close()


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m bench.ledger", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[100_000, 1_000_000],
        help="tree sizes to time proofs at, comma-separated (default 100000,1000000)",
    )
    p.add_argument(
        "--batch",
        type=int,
        default=1000,
        help="events per ingest transaction (default %(default)s; the audit consumer takes up to 1000)",
    )
    p.add_argument("--samples", type=int, default=1000, help="proofs of each kind per size (default %(default)s)")
    p.add_argument("--quick", action="store_true", help="a fast smoke run (10,000 and 50,000 leaves, 200 samples)")
    add_database_option(p)
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.samples = [10_000, 50_000], 200
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with postgres(args.database_url) as url:
        asyncio.run(run(url, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
