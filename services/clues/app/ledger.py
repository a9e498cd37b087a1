"""The central clue ledger (线索台账): one row per clue, kept in the transaction of every command.

The colour is not stored: it is computed when asked, from the row's timeline and the scheme in
force, so it is right at any instant and under a changed scheme.
"""
from __future__ import annotations

import json

from kernel import migrations
from kernel.migrations import Migration
from services.clues.domain import events as ev
from services.clues.domain.state import Clue
from services.clues.domain.warnings import Timeline

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.ledger (
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
CREATE INDEX IF NOT EXISTS ledger_handling ON {s}.ledger (handling_office, status);
CREATE INDEX IF NOT EXISTS ledger_number ON {s}.ledger (clue_number);
CREATE TABLE IF NOT EXISTS {s}.notices (
    clue_id      text NOT NULL,
    notice_id    text NOT NULL,
    to_office    text NOT NULL,
    due_at       timestamptz NOT NULL,
    required     text NOT NULL,
    issued_at    timestamptz NOT NULL,
    satisfied_at timestamptz,
    PRIMARY KEY (clue_id, notice_id)
);
-- every office that ever held a clue (receiving office, then each handling office), so that a
-- reconciliation finds what an office held at a month's end even if it moved on since
CREATE TABLE IF NOT EXISTS {s}.holders (
    office  text NOT NULL,
    clue_id text NOT NULL,
    PRIMARY KEY (office, clue_id)
);
"""
MIGRATIONS = (Migration("clues.ledger", 1, "clue ledger, notices and holders", TABLE_SQL),)
PRIORITY_RANK = {"SAME_LEVEL_COMMITTEE_CADRE": 0, "IMPORTANT_POST": 1, "YOUNG_RESERVE_CADRE": 2, "": 3}


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


async def upsert(conn, schema: str, state: Clue, t: Timeline, version: int) -> None:
    r = state.registered
    await conn.execute(
        f"INSERT INTO {schema}.ledger VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13) "
        f"ON CONFLICT (clue_id) DO UPDATE SET clue_number = $2, status = $3, handling_office = $5, priority = $6, "
        f"stage_since = $8, stage_version = $9, version = $13",
        r.clue_id, state.clue_number, state.status, r.receiving_office, state.handling_office, r.priority,
        t.received_at, t.stage_since, t.stage_version, r.summary,
        json.dumps([s.person_id for s in r.subjects]), r.batch_reference, version)
    await conn.execute(f"INSERT INTO {schema}.holders VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       state.handling_office or r.receiving_office, r.clue_id)


async def ever_held(conn, schema: str, office: str) -> list[str]:
    return [r[0] for r in await conn.fetch(f"SELECT clue_id FROM {schema}.holders WHERE office = $1", office)]


async def received_until(conn, schema: str, at, office: str = "") -> list[str]:
    """Clues received up to `at` (of those `office` ever held, if given), oldest first."""
    return [r[0] for r in await conn.fetch(
        f"SELECT l.clue_id FROM {schema}.ledger l WHERE l.received_at <= $1 AND ($2 = '' OR EXISTS "
        f"(SELECT 1 FROM {schema}.holders h WHERE h.office = $2 AND h.clue_id = l.clue_id)) "
        f"ORDER BY l.received_at, l.clue_id", at, office)]


async def resolve(conn, schema: str, references: list[str]) -> dict[str, str]:
    """{reference: clue id} for the references that are a known clue id or clue number."""
    rows = await conn.fetch(f"SELECT clue_id, clue_number FROM {schema}.ledger "
                            f"WHERE clue_id = ANY($1::text[]) OR clue_number = ANY($1::text[])", references)
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
        office, stage, priority, limit)


def timeline_of(row) -> Timeline:
    return Timeline(row["status"], row["stage_since"], row["stage_version"], row["received_at"])


async def record_notices(conn, schema: str, events, at) -> None:
    """Keep the notices table in step with the notice events a command produced."""
    for e in events:
        if isinstance(e, ev.SupervisionNoticeIssued):
            await conn.execute(f"INSERT INTO {schema}.notices VALUES ($1, $2, $3, $4, $5, $6, NULL)",
                               e.clue_id, e.notice_id, e.to_office, e.due_at, e.required, at)
        elif isinstance(e, ev.SupervisionNoticeSatisfied):
            await conn.execute(f"UPDATE {schema}.notices SET satisfied_at = $3 WHERE clue_id = $1 AND notice_id = $2",
                               e.clue_id, e.notice_id, at)


async def notices(conn, schema: str, *, office: str = "", overdue_at=None):
    return await conn.fetch(
        f"SELECT * FROM {schema}.notices WHERE ($1 = '' OR to_office = $1) "
        f"AND ($2::timestamptz IS NULL OR (satisfied_at IS NULL AND due_at < $2)) ORDER BY due_at, clue_id",
        office, overdue_at)
