"""The central clue ledger (线索台账): one row per clue, kept in the transaction of every command.

The colour is not stored: it is computed when asked, from the row's timeline and the scheme in
force, so it is right at any instant and under a changed scheme. Nothing else stored depends on a
clock or a setting but the catalogue and, for what each clue awaits by when, the warning scheme,
calendar and zone (`awaiting`: computed again at start on a changed basis): the ledger, its holders and its notices are functions of the
clue's own stream (and, for each row's holding, of the catalogue's liaisons and approvers), so
`python -m kernel.eventstore.rebuild --service clues` makes them again from the events
(`projections`) with the functions the commands use.

Each row carries its clue's holding (need to know, domain.md §1): list queries return only the
rows their caller may know (`Seen`, the SQL mirror of `kernel.domain.access.may_know`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from kernel.domain.access import Holding
from kernel.eventstore import migrations
from kernel.eventstore.aggregate import History
from kernel.eventstore.migrations import Migration
from kernel.eventstore.projections import Fold, Projection, Streams
from services.clues.domain import events as ev
from services.clues.domain.awaiting import Awaited
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
# who may know each clue (issue 17; `services.clues.domain.holding`), for list queries to filter
# on: added by migration 2 (empty on rows written before it, until `backfill` or a rebuild)
HOLDING_SQL = """
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS holder text NOT NULL DEFAULT '';
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS liaison text NOT NULL DEFAULT '';
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS steps text[] NOT NULL DEFAULT '{{}}';
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS approvers text[] NOT NULL DEFAULT '{{}}';
CREATE INDEX IF NOT EXISTS {t}_holder ON {s}.{t} (holder);
"""
# what each clue waits for (issue 20; `services.clues.domain.awaiting`): one row per step and role,
# for ListAwaitingMe to query; `acting_office` "" where the role acts wherever the clue is held;
# `excluded`: the persons who may not act on it (the clue's declared recusals, SL 67; an approval's
# proposer), beside the subjects the ledger row names.
# `due` follows the warning scheme in force (`awaiting_basis`: the service computes it again at start
# when the scheme, calendar, zone or catalogue changed).
AWAITING_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    clue_id       text NOT NULL,
    n             integer NOT NULL,
    step          text NOT NULL,
    role          text NOT NULL,
    acting_office text NOT NULL,
    summary       text NOT NULL,
    since         timestamptz NOT NULL,
    due           timestamptz,
    excluded      text[] NOT NULL,
    PRIMARY KEY (clue_id, n)
);
CREATE INDEX IF NOT EXISTS {t}_role ON {s}.{t} (role, (coalesce(due, 'infinity')), since, clue_id, n);
"""
# the basis the awaiting rows were computed on (`services.clues.domain.awaiting.basis`): the service
# computes them again at start when its catalogue, warning scheme, calendar or zone changed
BASIS_SQL = """
CREATE TABLE IF NOT EXISTS {s}.awaiting_basis (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    fingerprint text NOT NULL
);
"""
TABLES = {
    "ledger": LEDGER_SQL + HOLDING_SQL,
    "notices": NOTICES_SQL,
    "holders": HOLDERS_SQL,
    "awaiting": AWAITING_SQL,
}


def _creator(sql: str):
    async def create(conn, schema: str, table: str) -> None:
        """The live table (by the migration) or a rebuild's shadow."""
        await conn.execute(sql.format(s=schema, t=table))

    return create


async def _create_tables(conn, schema: str) -> None:
    for table, sql in {"ledger": LEDGER_SQL, "notices": NOTICES_SQL, "holders": HOLDERS_SQL}.items():
        await _creator(sql)(conn, schema, table)


async def _add_holding(conn, schema: str) -> None:
    await _creator(HOLDING_SQL)(conn, schema, "ledger")


async def _add_awaiting(conn, schema: str) -> None:
    await _creator(AWAITING_SQL)(conn, schema, "awaiting")


async def _add_basis(conn, schema: str) -> None:
    await conn.execute(BASIS_SQL.format(s=schema))


MIGRATIONS = (
    Migration("clues.ledger", 1, "clue ledger, notices and holders", _create_tables),
    Migration("clues.ledger", 2, "each clue's holder, liaison, steps and approver roles", _add_holding),
    Migration("clues.ledger", 3, "what each clue waits for, by whom and by when", _add_awaiting),
    Migration("clues.ledger", 4, "the basis of what each clue waits for", _add_basis),
)
# Seed 004: a clue fast-tracked for an integrity-opinion reply first (domain.md §5), then 同级党委管理
# 干部, 重要岗位, 年轻后备干部, then the rest.
PRIORITY_RANK = {"FAST_TRACK": 0, "SAME_LEVEL_COMMITTEE_CADRE": 1, "IMPORTANT_POST": 2, "YOUNG_RESERVE_CADRE": 3, "": 4}


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


def ledger_row(state: Clue, t: Timeline, version: int, held: Holding) -> tuple:
    """The clue's ledger row, in the table's column order."""
    r = state.registered
    return (
        r.clue_id,
        state.clue_number,
        state.status,
        r.receiving_office,
        state.handling_office,
        state.priority,  # FAST_TRACK once fast-tracked (domain.md §5), else as registered
        t.received_at,
        t.stage_since,
        t.stage_version,
        r.summary,
        json.dumps([s.person_id for s in r.subjects]),
        r.batch_reference,
        version,
        *holding_columns(held),
    )


def holding_columns(h: Holding) -> tuple:
    return h.holder, h.liaison, sorted(h.steps), sorted(h.approvers)


def holding_of_row(row) -> Holding:
    return Holding(row["holder"], row["liaison"], frozenset(row["steps"]), frozenset(row["approvers"]))


def holder(state: Clue) -> str:
    """Who holds the clue now: its handling office, or before registration its receiving office."""
    return state.handling_office or state.registered.receiving_office


async def upsert(conn, schema: str, state: Clue, t: Timeline, version: int, held: Holding) -> None:
    await conn.execute(
        f"INSERT INTO {schema}.ledger VALUES "
        f"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15, $16, $17) "
        f"ON CONFLICT (clue_id) DO UPDATE SET clue_number = $2, status = $3, handling_office = $5, priority = $6, "
        f"stage_since = $8, stage_version = $9, version = $13, holder = $14, liaison = $15, steps = $16, "
        f"approvers = $17",
        *ledger_row(state, t, version, held),
    )
    await conn.execute(
        f"INSERT INTO {schema}.holders VALUES ($1, $2) ON CONFLICT DO NOTHING", holder(state), state.registered.clue_id
    )


def awaiting_rows(state: Clue, items: list[Awaited]) -> list[tuple]:
    """The clue's awaiting rows, in the table's column order."""
    clue_id = state.registered.clue_id
    return [
        (clue_id, n, a.step, a.role, a.office, a.summary, a.since, a.due, sorted(state.recused | {a.not_by} - {""}))
        for n, a in enumerate(items)
    ]


async def set_awaiting(conn, schema: str, state: Clue, items: list[Awaited]) -> None:
    await conn.execute(f"DELETE FROM {schema}.awaiting WHERE clue_id = $1", state.registered.clue_id)
    if items:
        await conn.executemany(
            f"INSERT INTO {schema}.awaiting VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", awaiting_rows(state, items)
        )


async def unawaited(conn, schema: str, after: str, limit: int) -> list[str]:
    """Open clues after `after` with no awaiting rows (written before migration 3, or waiting for
    nothing): a backfill computes theirs."""
    return [
        r[0]
        for r in await conn.fetch(
            f"SELECT l.clue_id FROM {schema}.ledger l WHERE l.clue_id > $1 "
            f"AND l.status NOT IN ('FORWARDED', 'CLOSED', 'CASE_FILED') "
            f"AND NOT EXISTS (SELECT 1 FROM {schema}.awaiting a WHERE a.clue_id = l.clue_id) "
            f"ORDER BY l.clue_id LIMIT $2",
            after,
            limit,
        )
    ]


async def open_clues(conn, schema: str, after: str, limit: int) -> list[str]:
    """Open clues after `after`, by id."""
    return [
        r[0]
        for r in await conn.fetch(
            f"SELECT clue_id FROM {schema}.ledger WHERE clue_id > $1 "
            f"AND status NOT IN ('FORWARDED', 'CLOSED', 'CASE_FILED') ORDER BY clue_id LIMIT $2",
            after,
            limit,
        )
    ]


async def awaiting_basis(conn, schema: str) -> str | None:
    return await conn.fetchval(f"SELECT fingerprint FROM {schema}.awaiting_basis")


async def set_awaiting_basis(conn, schema: str, fingerprint: str) -> None:
    await conn.execute(
        f"INSERT INTO {schema}.awaiting_basis (fingerprint) VALUES ($1) "
        f"ON CONFLICT (only_row) DO UPDATE SET fingerprint = $1",
        fingerprint,
    )


async def awaiting_page(
    conn, schema: str, *, role: str, office: str, person: str, after: tuple | None, limit: int, seen: Seen | None
):
    """Awaiting rows for `role` (those of `office` or of any office) that `person` is not excluded
    from, with their clue's ledger columns, after the keyset `after` (due or infinity, since, clue
    id, n), in that order."""
    return await conn.fetch(
        f"SELECT a.*, coalesce(a.due, 'infinity') AS due_key, l.clue_number, l.holder, l.liaison, l.steps, "
        f"l.approvers, l.subjects, l.status, l.stage_since, l.stage_version, l.received_at "
        f"FROM {schema}.awaiting a JOIN {schema}.ledger l USING (clue_id) "
        f"WHERE a.role = $1 AND (a.acting_office = '' OR a.acting_office = $2) "
        f"AND ($3::timestamptz IS NULL OR (coalesce(a.due, 'infinity'), a.since, a.clue_id, a.n) > ($3, $4, $5, $6)) "
        f"AND NOT ($8 = ANY(a.excluded)) AND {seen.where(9, 'l') if seen else '$9::text IS NULL'} "
        f"ORDER BY coalesce(a.due, 'infinity'), a.since, a.clue_id, a.n LIMIT $7",
        role,
        office,
        *(after or (None, None, None, None)),
        limit,
        person,
        *(seen.params() if seen else (None,)),
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


@dataclass(frozen=True)
class Seen:
    """What a list query may return to its caller (need to know, `kernel.domain.access`): clues
    held or liaised by `offices`, with a step for `office`, or an approval naming `role`. None
    where a query takes one: every clue (case management, a system component)."""

    offices: list[str]
    office: str
    role: str

    def where(self, n: int, alias: str = "") -> str:
        """The condition on ledger rows, its parameters numbered from `n` (`params`)."""
        a = f"{alias}." if alias else ""
        return (
            f"({a}holder = ANY(${n}::text[]) OR {a}liaison = ANY(${n}::text[]) "
            f"OR ${n + 1} = ANY({a}steps) OR ${n + 2} = ANY({a}approvers))"
        )

    def params(self) -> tuple:
        return self.offices, self.office, self.role


async def rows(
    conn,
    schema: str,
    *,
    office: str = "",
    stage: str = "",
    priority: str = "",
    limit: int = 1000,
    seen: Seen | None = None,
):
    return await conn.fetch(
        f"SELECT * FROM {schema}.ledger WHERE ($1 = '' OR handling_office = $1 OR receiving_office = $1) "
        f"AND ($2 = '' OR status = $2) AND ($3 = '' OR priority = $3) "
        f"AND {seen.where(5) if seen else '$5::text IS NULL'} "
        f"ORDER BY priority = 'FAST_TRACK' DESC, received_at LIMIT $4",  # fast-tracked first (domain.md §5)
        office,
        stage,
        priority,
        limit,
        *(seen.params() if seen else (None,)),
    )


async def unheld(conn, schema: str, after: str, limit: int) -> list[str]:
    """Clues after `after` whose rows were written before holdings were kept (migration 2)."""
    return [
        r[0]
        for r in await conn.fetch(
            f"SELECT clue_id FROM {schema}.ledger WHERE holder = '' AND clue_id > $1 ORDER BY clue_id LIMIT $2",
            after,
            limit,
        )
    ]


async def set_holding(conn, schema: str, clue_id: str, version: int, held: Holding) -> None:
    """The holding of a row still at `version` (a command since wrote its own)."""
    await conn.execute(
        f"UPDATE {schema}.ledger SET holder = $3, liaison = $4, steps = $5, approvers = $6 "
        f"WHERE clue_id = $1 AND version = $2",
        clue_id,
        version,
        *holding_columns(held),
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


async def notices(conn, schema: str, *, office: str = "", overdue_at=None, seen: Seen | None = None):
    """Notices with their clue's holding and subjects (`holder`, `liaison`, `steps`, `approvers`, `subjects`)."""
    return await conn.fetch(
        f"SELECT n.*, l.holder, l.liaison, l.steps, l.approvers, l.subjects FROM {schema}.notices n "
        f"JOIN {schema}.ledger l USING (clue_id) WHERE ($1 = '' OR n.to_office = $1) "
        f"AND ($2::timestamptz IS NULL OR (n.satisfied_at IS NULL AND n.due_at < $2)) "
        f"AND {seen.where(3, 'l') if seen else '$3::text IS NULL'} ORDER BY n.due_at, n.clue_id",
        office,
        overdue_at,
        *(seen.params() if seen else (None,)),
    )


# -- the same rows from a clue's stream, for a rebuild -------------------------------------------


def _ledger_rows(held: Callable[[Clue], Holding]):
    def rows_of(h: History) -> list[tuple]:
        # the instants ClueAggregate.timeline sees (it shows them in the service's zone: same instants)
        t = timeline([(r.event, r.at, r.version) for r in h.records], evolve, Clue())
        return [ledger_row(h.state, t, h.version, held(h.state))]

    return rows_of


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


def _awaiting_rows(waits: Callable[[list], list[Awaited]]):
    def rows_of(h: History) -> list[tuple]:
        return awaiting_rows(h.state, waits([(r.event, r.at, r.version) for r in h.records]))

    return rows_of


def projections(
    fold: Fold, held: Callable[[Clue], Holding], waits: Callable[[list], list[Awaited]]
) -> tuple[Projection, ...]:
    """The ledger, its holders, its notices and what each clue waits for as projections of the clue
    streams (`fold`: the clue aggregate's, with the service's codec; `held`: a clue's holding, as
    the catalogue says; `waits`: what a clue waits for from its (event, at, version) triples, as
    the catalogue and the warning scheme say)."""
    rows = {
        "ledger": _ledger_rows(held),
        "notices": _notice_rows,
        "holders": _holder_rows,
        "awaiting": _awaiting_rows(waits),
    }
    return tuple(
        Projection(table, table, _creator(sql), Streams(fold, rows[table], "clue_id")) for table, sql in TABLES.items()
    )
