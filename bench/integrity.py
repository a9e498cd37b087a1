"""Integrity-opinion request benchmark (党风廉政意见回复; issue 26, domain.md §5, seed 004): how long
audit takes to propose the answers for 200 candidates over a large ledger.

The ledger: `--events` envelopes (default 100,000) of realistic mixed person histories, the exact
bytes the clues, cases and sanctions services publish (`tests/dossier_history.history`: clues open
and concluded, filings, cases, measures, Party and government sanctions, 诫勉), recorded by the
audit `Recorder` as its consumer does (inbox, leaves, every projection: the dossier facts too).
Then `--runs` requests (default 3) of 200 candidates each, drawn from the persons of that history
(most with a past, some with open matters), go through the integrity workflow's `submit` as the
gRPC servicer calls it: every candidate's dossier read in ONE query, judged at the intended date,
the request and its fast tracks appended to audit's own store. Printed: each run and the median
(goal: well under 2 s).

  make bench-integrity
  make bench-integrity ARGS="--quick"                 # 20,000 events
  DATABASE_URL=postgresql://... make bench-integrity ARGS="--events 1000000"
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta

from bench.common import add_database_option, postgres, say
from kernel.domain.clock import SystemClock
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore import commands, migrations
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.store import EventStore, create_pool
from kernel.runtime import log as klog
from services.audit.adapters.integrity_mapping import CODEC
from services.audit.app import integrity as integrity_app
from services.audit.app.dossiers import Dossiers
from services.audit.app.integrity import Integrity, NewCandidate
from services.audit.app.integrity_config import load_integrity_rules
from services.audit.app.recorder import Recorder
from tests import dossier_history

CANDIDATES = 200
ORG_DEPT = Principal("organisation_department", "cadre_management", "partner_system", "u-bench-org")
UNITS = ("县教育局", "县卫生健康局", "县交通运输局", "县自然资源局", "县财政局")


def persons(n: int) -> list[str]:
    return [f"P-{k:06d}" for k in range(n)]


async def fill(recorder: Recorder, events: int, people: list[str]) -> float:
    """Record the history; seconds taken."""
    say(f"building {events:,} envelopes about {len(people):,} persons")
    raws = dossier_history.history(events, people)
    say(f"recording {len(raws):,} events through the audit Recorder")
    t = time.perf_counter()
    made = await dossier_history.record(recorder, raws, batch=1000)
    seconds = time.perf_counter() - t
    say(f"recorded {made:,} leaves in {seconds:.1f} s ({made / seconds:,.0f} events/s)")
    return seconds


async def run(url: str, args) -> list[float]:
    pool = await create_pool(url, min_size=1, max_size=4)
    clock = SystemClock()
    store = EventStore(pool, f"bench_integrity_{uuid.uuid4().hex[:8]}", clock)
    try:
        await store.migrate()
        recorder = Recorder(store, consumer="bench")
        await recorder.migrate()
        async with pool.acquire() as conn:
            await commands.migrate(conn, store.schema)
            await migrations.apply(conn, store.schema, integrity_app.MIGRATIONS)
        people = persons(args.persons)
        await fill(recorder, args.events, people)
        cat = catalogue.load()
        workflow = Integrity(
            store,
            Dossiers(pool, store.schema),
            load_integrity_rules(),
            clock,
            CODEC,
            cat.organisation,
            frozenset(cat.offices),
        )
        rnd, intended = random.Random(26), date.today() + timedelta(days=30)
        times = []
        for k in range(args.runs):
            chosen = rnd.sample(people, CANDIDATES)
            candidates = [
                NewCandidate(Subject(p, f"候选人{p[-4:]}", "局长", UNITS[i % len(UNITS)])) for i, p in enumerate(chosen)
            ]
            ctx = CommandContext(ORG_DEPT, f"bench-{k}", "integrity.request", str(uuid.uuid4()))
            t = time.perf_counter()
            request_id = await workflow.submit(ctx, f"组干函〔2026〕{k + 1}号", "PROMOTION", intended, None, candidates)
            times.append(time.perf_counter() - t)
            view = await workflow.get(ORG_DEPT, request_id)
            say(f"run {k + 1}: {times[-1] * 1000:.0f} ms, answers {dict(view.counts)}")
        return times
    finally:
        await pool.execute(f"DROP SCHEMA IF EXISTS {store.schema} CASCADE")
        await pool.close()


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m bench.integrity", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--events", type=int, default=100_000, help="events of history (default %(default)s)")
    p.add_argument("--persons", type=int, default=20_000, help="persons the history is about (default %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="requests timed; the median is printed (default %(default)s)")
    p.add_argument("--quick", action="store_true", help="a fast smoke run (20,000 events, 4,000 persons)")
    add_database_option(p)
    args = p.parse_args(argv)
    if args.quick:
        args.events, args.persons = 20_000, 4_000
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    klog.configure("WARNING")  # the recorder's line per batch is not the figure
    with postgres(args.database_url) as url:
        times = asyncio.run(run(url, args))
    print(
        f"{CANDIDATES} candidates over {args.events:,} events: proposal median {statistics.median(times) * 1000:.0f} ms "
        f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
