"""The central clue ledger (线索台账): one row per clue, kept in the transaction of every command.

The colour is not stored: it is computed when asked, from the row's timeline and the scheme in
force, so it is right at any instant and under a changed scheme. Nothing else stored depends on a
clock or a setting: the ledger, its holders and its notices are functions of the clue's own
stream, so `python -m kernel.eventstore.rebuild --service clues` makes them again from the events
(`projections`) with the functions the commands use.
"""

from __future__ import annotations

import json

from kernel.eventstore import migrations
from kernel.eventstore.aggregate import History
from kernel.eventstore.migrations import Migration
from kernel.eventstore.projections import Fold, Projection, Streams
from services.clues.domain import events as ev
from services.clues.domain.state import Clue, evolve
from services.clues.domain.warnings import Timeline, timeline

LEDGER_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    clue_id          text PRIMARY KEY,
    clue_number      text NOT NULL,
    status           text NOT NULL,
    receiving_office text NOT NULL,
    handling_office  text NOT NULL,
    priority         text NOT NULL,
    received_at      timestamptz NOT NULL,
    stage_since      timestamptz NOT NULL,
    stage_version    bigint NOT NULL,
    summary          text NOT NULL,
    subjects         jsonb NOT NULL,
    batch_reference  text NOT NULL,
    version          bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS {t}_handling ON {s}.{t} (handling_office, status);
CREATE INDEX IF NOT EXISTS {t}_number ON {s}.{t} (clue_number);
"""
NOTICES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    clue_id      text NOT NULL,
    notice_id    text NOT NULL,
    to_office    text NOT NULL,
    due_at       timestamptz NOT NULL,
    required     text NOT NULL,
    issued_at    timestamptz NOT NULL,
    satisfied_at timestamptz,
    PRIMARY KEY (clue_id, notice_id)
);
"""
# every office that ever held a clue (receiving office, then each handling office), so that a
# reconciliation finds what an office held at a month's end even if it moved on since
HOLDERS_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    office  text NOT NULL,
    clue_id text NOT NULL,
    PRIMARY KEY (office, clue_id)
);
"""
TABLES = {"ledger": LEDGER_SQL, "notices": NOTICES_SQL, "holders": HOLDERS_SQL}


def _creator(sql: str):
    async def create(conn, schema: str, table: str) -> None:
        """The live table (by the migration) or a rebuild's shadow."""
        await conn.execute(sql.format(s=schema, t=table))

    return create


async def _create_tables(conn, schema: str) -> None:
    for table, sql in TABLES.items():
        await _creator(sql)(conn, schema, table)


MIGRATIONS = (Migration("clues.ledger", 1, "clue ledger, notices and holders", _create_tables),)
PRIORITY_RANK = {"SAME_LEVEL_COMMITTEE_CADRE": 0, "IMPORTANT_POST": 1, "YOUNG_RESERVE_CADRE": 2, "": 3}


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


def ledger_row(state: Clue, t: Timeline, version: int) -> tuple:
    """The clue's ledger row, in the table's column order."""
    r = state.registered
    return (
        r.clue_id,
        state.clue_number,
        state.status,
        r.receiving_office,
        state.handling_office,
        r.priority,
        t.received_at,
        t.stage_since,
        t.stage_version,
        r.summary,
        json.dumps([s.person_id for s in r.subjects]),
        r.batch_reference,
        version,
    )


def holder(state: Clue) -> str:
    """Who holds the clue now: its handling office, or before registration its receiving office."""
    return state.handling_office or state.registered.receiving_office


async def upsert(conn, schema: str, state: Clue, t: Timeline, version: int) -> None:
    await conn.execute(
        f"INSERT INTO {schema}.ledger VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13) "
        f"ON CONFLICT (clue_id) DO UPDATE SET clue_number = $2, status = $3, handling_office = $5, priority = $6, "
        f"stage_since = $8, stage_version = $9, version = $13",
        *ledger_row(state, t, version),
    )
    await conn.execute(
        f"INSERT INTO {schema}.holders VALUES ($1, $2) ON CONFLICT DO NOTHING", holder(state), state.registered.clue_id
    )


async def ever_held(conn, schema: str, office: str) -> list[str]:
    return [r[0] for r in await conn.fetch(f"SELECT clue_id FROM {schema}.holders WHERE office = $1", office)]


async def received_until(conn, schema: str, at, office: str = "") -> list[str]:
    """Clues received up to `at` (of those `office` ever held, if given), oldest first."""
    return [
        r[0]
        for r in await conn.fetch(
            f"SELECT l.clue_id FROM {schema}.ledger l WHERE l.received_at <= $1 AND ($2 = '' OR EXISTS "
            f"(SELECT 1 FROM {schema}.holders h WHERE h.office = $2 AND h.clue_id = l.clue_id)) "
            f"ORDER BY l.received_at, l.clue_id",
            at,
            office,
        )
    ]


async def resolve(conn, schema: str, references: list[str]) -> dict[str, str]:
    """{reference: clue id} for the references that are a known clue id or clue number."""
    rows = await conn.fetch(
        f"SELECT clue_id, clue_number FROM {schema}.ledger "
        f"WHERE clue_id = ANY($1::text[]) OR clue_number = ANY($1::text[])",
        references,
    )
    wanted, out = set(references), {}
    for r in rows:
        for ref in (r["clue_id"], r["clue_number"]):
            if ref in wanted:
                out[ref] = r["clue_id"]
    return out


async def rows(conn, schema: str, *, office: str = "", stage: str = "", priority: str = "", limit: int = 1000):
    return await conn.fetch(
        f"SELECT * FROM {schema}.ledger WHERE ($1 = '' OR handling_office = $1 OR receiving_office = $1) "
        f"AND ($2 = '' OR status = $2) AND ($3 = '' OR priority = $3) ORDER BY received_at LIMIT $4",
        office,
        stage,
        priority,
        limit,
    )


def timeline_of(row) -> Timeline:
    return Timeline(row["status"], row["stage_since"], row["stage_version"], row["received_at"])


def notice_row(e: ev.SupervisionNoticeIssued, at) -> tuple:
    """A notice as issued at `at` (the issuing command's time), not yet satisfied."""
    return (e.clue_id, e.notice_id, e.to_office, e.due_at, e.required, at, None)


async def record_notices(conn, schema: str, events, at) -> None:
    """Keep the notices table in step with the notice events a command produced."""
    for e in events:
        if isinstance(e, ev.SupervisionNoticeIssued):
            await conn.execute(f"INSERT INTO {schema}.notices VALUES ($1, $2, $3, $4, $5, $6, $7)", *notice_row(e, at))
        elif isinstance(e, ev.SupervisionNoticeSatisfied):
            await conn.execute(
                f"UPDATE {schema}.notices SET satisfied_at = $3 WHERE clue_id = $1 AND notice_id = $2",
                e.clue_id,
                e.notice_id,
                at,
            )


async def notices(conn, schema: str, *, office: str = "", overdue_at=None):
    return await conn.fetch(
        f"SELECT * FROM {schema}.notices WHERE ($1 = '' OR to_office = $1) "
        f"AND ($2::timestamptz IS NULL OR (satisfied_at IS NULL AND due_at < $2)) ORDER BY due_at, clue_id",
        office,
        overdue_at,
    )


# -- the same rows from a clue's stream, for a rebuild -------------------------------------------


def _ledger_rows(h: History) -> list[tuple]:
    # the instants ClueAggregate.timeline sees (it shows them in the service's zone: same instants)
    return [ledger_row(h.state, timeline([(r.event, r.at, r.version) for r in h.records], evolve, Clue()), h.version)]


def _holder_rows(h: History) -> list[tuple]:
    """The holder after each event: a command's events never pass through an office they leave."""
    state, offices = Clue(), {}
    for r in h.records:
        state = evolve(state, r.event)
        offices[holder(state)] = state.registered.clue_id
    return list(offices.items())


def _notice_rows(h: History) -> list[tuple]:
    found: dict[str, tuple] = {}
    for r in h.records:
        if isinstance(r.event, ev.SupervisionNoticeIssued):
            found[r.event.notice_id] = notice_row(r.event, r.at)
        elif isinstance(r.event, ev.SupervisionNoticeSatisfied) and r.event.notice_id in found:
            found[r.event.notice_id] = found[r.event.notice_id][:-1] + (r.at,)
    return list(found.values())


def projections(fold: Fold) -> tuple[Projection, ...]:
    """The ledger, its holders and its notices as projections of the clue streams (`fold`: the clue
    aggregate's, with the service's codec)."""
    rows = {"ledger": _ledger_rows, "notices": _notice_rows, "holders": _holder_rows}
    return tuple(
        Projection(table, table, _creator(sql), Streams(fold, rows[table], "clue_id")) for table, sql in TABLES.items()
    )
