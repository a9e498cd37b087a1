"""Cost per read on the record (issue 17): audit's GetStreamHistory work, three ways.

  open        the stream's recorded rows and the answer built, for a reader who sees everything
              (no need-to-know look-up: what the RPC cost before issue 17)
  need        the same for a reader of the liaison office: the stream's holding looked up and
              `may_know` applied first
  recorded    `need`, then the read recorded as a `common.v1.FileRead` in audit's own event store
              (`kernel.eventstore.reads.record_read`, one autocommit INSERT), as the RPC does now

Each sample reads a random clue of `--clues` (10 events each, every event stating its holding);
the three are taken in turn, sample by sample, so drift hits them alike. Printed: p50, p99 and mean
in ms, and what need to know and the recording add per read (difference of means). The gRPC
edge (token, contract, one log line) is the same with or without and is not timed.

  .venv/bin/python -m bench.reads                          # 10,000 clues, 2,000 samples
  .venv/bin/python -m bench.reads --quick
  DATABASE_URL=postgresql://... .venv/bin/python -m bench.reads --clues 100000
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
from kernel.domain.access import holding_links
from kernel.domain.clock import SystemClock
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link
from kernel.eventstore.reads import FileRef, record_read
from kernel.eventstore.store import EventStore, create_pool
from kernel.messaging.inbox import Source
from services.audit.adapters.steps import recorded
from services.audit.app.bundles import persons_of
from services.audit.app.holdings import Reader
from services.audit.app.recorder import Recorder

PER_CLUE = 10
LIAISON = Principal("commission", "supervision_1", "supervisor", "u-bench-liaison")


def clue_id(k: int) -> str:
    return f"clue-{uuid.UUID(int=k)}"


def sealed(k: int, version: int, org) -> bytes:
    """Event `version` of clue k, held by the first resident group (liaison: supervision_1)."""
    held = tuple(Link(*link) for link in holding_links(org.holding("resident_group_1")))
    event = replace(new_event(k * PER_CLUE + version), links=(Link("person", f"P-{k:08d}", "subject"), *held))
    return env_mod.seal(env_mod.build(event, clue_id(k), version, AT))


async def fill(recorder: Recorder, clues: int, org, batch: int = 1000) -> None:
    raws = ((k, v) for k in range(clues) for v in range(1, PER_CLUE + 1))
    pending, n = [], 0
    for k, v in raws:
        pending.append((sealed(k, v, org), Source("bench", 0, n)))
        n += 1
        if len(pending) == batch:
            await recorder.record_batch(pending)
            pending = []
    if pending:
        await recorder.record_batch(pending)


async def read(recorder: Recorder, stream_id: str, reader: Reader, own: EventStore | None, ctx) -> int:
    """GetStreamHistory's work: rows, answer, and (with `own`) the read on the record."""
    rows = await recorder.stream_history(stream_id, reader)
    events = [recorded(r) for r in rows]
    if own is not None:
        persons = [p for e in events for p in persons_of(e.envelope)]
        await record_read(own, ctx, "GetStreamHistory", "bench", [FileRef("clue", stream_id)], persons, now=AT)
    return len(events)


def figures(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered),
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        statistics.mean(ordered),
    )


async def run(url: str, args) -> None:
    pool = await create_pool(url, min_size=1, max_size=4)
    schema = f"bench_reads_{uuid.uuid4().hex[:8]}"
    store = EventStore(pool, schema, SystemClock())  # the ledger and audit's own store share a schema, as in audit
    await store.migrate()
    recorder = Recorder(store, consumer="bench")
    await recorder.migrate()
    org = catalogue.load().organisation
    try:
        say(f"ledgering {args.clues:,} clues of {PER_CLUE} events")
        await fill(recorder, args.clues, org)
        ways = {
            "open": (Reader.everything(), None),
            "need": (Reader(LIAISON, org), None),
            "recorded": (Reader(LIAISON, org), store),
        }
        ctx = CommandContext(LIAISON, "bench", "audit.read")
        rnd, out = random.Random(17), {name: [] for name in ways}
        for k in range(args.warmup + args.samples):
            stream_id = clue_id(rnd.randrange(args.clues))
            for name, (reader, own) in ways.items():
                t = time.perf_counter()
                assert await read(recorder, stream_id, reader, own, ctx) == PER_CLUE
                if k >= args.warmup:
                    out[name].append((time.perf_counter() - t) * 1000)
        got = {name: figures(v) for name, v in out.items()}
        for name, (p50, p99, mean) in got.items():
            print(f"{name:<9} p50 {p50:.3f} ms  p99 {p99:.3f} ms  mean {mean:.3f} ms", flush=True)
        print(
            f"need to know adds {got['need'][2] - got['open'][2]:.3f} ms per read; "
            f"recording it adds {got['recorded'][2] - got['need'][2]:.3f} ms "
            f"({args.samples:,} samples over {args.clues:,} clues)",
            flush=True,
        )
    finally:
        await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m bench.reads", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--clues", type=int, default=10_000, help="clues ledgered (default %(default)s)")
    p.add_argument("--samples", type=int, default=2000, help="reads timed each way (default %(default)s)")
    p.add_argument("--warmup", type=int, default=200, help="reads each way not timed (default %(default)s)")
    p.add_argument("--quick", action="store_true", help="a fast smoke run (1,000 clues, 300 samples)")
    add_database_option(p)
    args = p.parse_args(argv)
    if args.quick:
        args.clues, args.samples, args.warmup = 1000, 300, 50
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with postgres(args.database_url) as url:
        asyncio.run(run(url, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
