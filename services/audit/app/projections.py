"""The audit service's projections of its ledger: kept live at ingest, caught up, rebuilt.

Each projection is a table derived from the leaves alone (the envelope bytes in leaf order), so it
can always be rebuilt from the ledger and compared with the live one; the machinery is the
kernel's (`kernel.eventstore.projections`), the ledger is a `Log` of it. A rebuild checks every leaf's bytes
against its stored leaf hash and never replaces from leaves that fail. The Merkle tree itself is
not a projection here: it is checked by `services.audit.verify`, never recomputed from the
(possibly altered) leaves.
"""

from __future__ import annotations

from kernel.eventstore import migrations, projections as kp
from kernel.eventstore.envelope import Envelope, parse
from kernel.eventstore.migrations import Migration
from kernel.eventstore.projections import CHUNK, Progress, Projection, rebuild  # noqa: F401 - the audit's callers' names
from services.audit.app import dossiers, feeds, holdings, ledger, reads, statistics, story
from services.audit.domain.merkle import leaf_hash


async def leaves(conn, schema: str, start: int, end: int, chunk: int = CHUNK, check: bool = False):
    """(envelope, leaf index) of leaves start..end-1 in chunks, with the indices of those whose
    bytes do not hash to the stored leaf (when `check`)."""
    for low in range(start, end, chunk):
        rows = await conn.fetch(
            f"SELECT e.leaf_index, e.envelope, n.hash FROM {schema}.recorded_events e "
            f"LEFT JOIN {schema}.merkle_nodes n ON n.level = 0 AND n.idx = e.leaf_index "
            f"WHERE e.leaf_index >= $1 AND e.leaf_index < $2 ORDER BY e.leaf_index",
            low,
            min(low + chunk, end),
        )
        failing = [
            r["leaf_index"]
            for r in rows
            if check and (r["hash"] is None or leaf_hash(bytes(r["envelope"])) != bytes(r["hash"]))
        ]
        yield [(parse(bytes(r["envelope"])), r["leaf_index"]) for r in rows], failing


async def _lock(conn, schema: str) -> int:
    return (await ledger.lock_head(conn, schema)).size


def of_the_ledger(index) -> kp.Log:
    """The ledger as the source of a projection that `index`es its leaves."""
    return kp.Log(
        ledger.size,
        _lock,
        leaves,
        index,
        requires="ledger_head",
        unit="leaf",
        on_mismatch="run python -m services.audit.verify",
    )


PROJECTIONS = (
    Projection("story", story.TABLE, story.create, of_the_ledger(story.index)),
    Projection("holdings", holdings.TABLE, holdings.create, of_the_ledger(holdings.index)),
    Projection("reads", reads.TABLE, reads.create, of_the_ledger(reads.index)),
    Projection("feeds", feeds.TABLE, feeds.create, feeds.signed(of_the_ledger(feeds.index))),  # issue 23
    Projection("dossiers", dossiers.TABLE, dossiers.create, of_the_ledger(dossiers.index)),  # issue 26
    Projection("stat_facts", statistics.TABLE, statistics.create, of_the_ledger(statistics.index)),  # issue 27
)
BY_NAME = {p.name: p for p in PROJECTIONS}


async def _positions_and_story(conn, schema: str) -> None:
    await kp.add(conn, schema, BY_NAME["story"])


async def _holdings_and_reads(conn, schema: str) -> None:
    await kp.add(conn, schema, BY_NAME["holdings"])
    await kp.add(conn, schema, BY_NAME["reads"])


async def _partner_feeds(conn, schema: str) -> None:
    await feeds.create_trees(conn, schema)
    await kp.add(conn, schema, BY_NAME["feeds"])


async def _dossiers(conn, schema: str) -> None:
    await kp.add(conn, schema, BY_NAME["dossiers"])


async def _stat_facts(conn, schema: str) -> None:
    await kp.add(conn, schema, BY_NAME["stat_facts"])


# a projection added later is a migration of its own that calls `kernel.eventstore.projections.add`
MIGRATIONS = (
    Migration("audit.projections", 1, "projection positions and the story index", _positions_and_story),
    Migration("audit.projections", 2, "need to know: each stream's holding; reads on the record", _holdings_and_reads),
    Migration("audit.projections", 3, "partner feeds: entries, trees, checkpoints, acknowledgements", _partner_feeds),
    Migration("audit.projections", 4, "person dossiers: each person's facts (domain.md §5)", _dossiers),
    Migration("audit.projections", 5, "statistics: the facts each statistic counts (domain.md §5)", _stat_facts),
)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


async def apply(conn, schema: str, events: list[tuple[Envelope, int]], new_size: int) -> None:
    """Index freshly appended leaves into every live projection (in the ingest transaction, under
    the head lock); one left behind catches up first."""
    await kp.apply(conn, schema, PROJECTIONS, events, new_size)


async def catch_up(conn, schema: str, *, report: kp.Report | None = None, chunk: int = CHUNK) -> int:
    """Bring every live projection up to the ledger, ingest held off meanwhile; leaves indexed.
    `report(done, total)` hears how far it is (`kernel.eventstore.projections.catch_up`)."""
    return await kp.catch_up(conn, schema, PROJECTIONS, report=report, chunk=chunk)
