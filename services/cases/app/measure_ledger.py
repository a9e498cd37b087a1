"""Each office's measure ledger (调查措施台账): one row per measure, kept by the command that moved
it, in the same transaction. Time-dependent flags (expired and not ended, notice overdue) are
computed when read, so a measure passing its end shows as expired without any write.

A row is `measures.ledger_row` of the measure folded from its stream and its timer stream, so
`python -m kernel.eventstore.rebuild --service cases` makes the table again from the events (`projections`).
What the timers recorded (expired, notice overdue) enters the row when the measure's command path
next folds it; a rebuild folds every event of both streams. `notice_due` follows the measure
rules: a rebuild is given the rules the service runs with.

Each row also states what the measure's holding is made of (need to know, issue 17): `office`
holds it, `liaison` supervises it as its request recorded it, and its kind, status and extensions
give the roles its rule names for its approvals; a list query returns only the rows its caller
may know. A measure recorded before holdings were has an empty liaison, in its events and so in
its row (migration 2 and the rebuild agree): it reads as the catalogue's liaison of the office."""

from __future__ import annotations

from datetime import datetime

from kernel.domain.access import Holding, Organisation, may_know, visible_offices
from kernel.domain.principal import Principal
from kernel.eventstore import migrations
from kernel.eventstore.aggregate import History
from kernel.eventstore.migrations import Migration
from kernel.eventstore.projections import Fold, Projection, Streams
from services.cases.domain import measures as m

TABLE = "measure_ledger"
TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    measure_id   text PRIMARY KEY,
    case_id      text        NOT NULL,
    office       text        NOT NULL,
    kind         text        NOT NULL,
    person_id    text        NOT NULL,
    status       text        NOT NULL,
    starts_at    timestamptz,
    ends_at      timestamptz,
    extensions   int         NOT NULL,
    notice_due   timestamptz,              -- a detention's notice deadline; NULL once given, or none due
    notice_given boolean     NOT NULL,
    notice_overdue boolean   NOT NULL,     -- the overdue timer fired (stays true if given late)
    version      bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS {t}_office ON {s}.{t} (office);
"""
COLUMNS = (
    "measure_id",
    "case_id",
    "office",
    "kind",
    "person_id",
    "status",
    "starts_at",
    "ends_at",
    "extensions",
    "notice_due",
    "notice_given",
    "notice_overdue",
)
OPEN = ("REQUESTED", "ACTIVE", "EXPIRED")


HOLDING_SQL = """
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS liaison text NOT NULL DEFAULT '';  -- as recorded; '': the catalogue's
CREATE INDEX IF NOT EXISTS {t}_liaison ON {s}.{t} (liaison);
"""


async def create(conn, schema: str, table: str = TABLE) -> None:
    """A rebuild's shadow, like the live table after every migration (same columns, same order)."""
    await create_v1(conn, schema, table)
    await add_holding(conn, schema, table)


async def create_v1(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


async def add_holding(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(HOLDING_SQL.format(s=schema, t=table))


MIGRATIONS = (
    Migration("cases.measure_ledger", 1, "each office's measure ledger", create_v1),
    Migration("cases.measure_ledger", 2, "each measure's liaison as recorded (need to know)", add_holding),
)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


WRITTEN = (*COLUMNS, "version", "liaison")  # the table's order: migration 2 added the liaison


def values(row: dict, version: int) -> tuple:
    """A `measures.ledger_row` as the table's columns, in order."""
    return tuple(row[c] for c in COLUMNS) + (version, row["liaison"])


async def upsert(conn, schema: str, row: dict, version: int) -> None:
    placeholders = ", ".join(f"${i}" for i in range(1, len(WRITTEN) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in WRITTEN[1:])
    await conn.execute(
        f"INSERT INTO {schema}.measure_ledger ({', '.join(WRITTEN)}) VALUES ({placeholders}) "
        f"ON CONFLICT (measure_id) DO UPDATE SET {updates}",
        *values(row, version),
    )


async def running(conn, schema: str, case_id: str) -> list[str]:
    """The case's measures approved and not ended (active, or expired awaiting their end)."""
    rows = await conn.fetch(
        f"SELECT measure_id FROM {schema}.measure_ledger WHERE case_id = $1 "
        f"AND status = ANY($2::text[]) ORDER BY measure_id",
        case_id,
        ["ACTIVE", "EXPIRED"],
    )
    return [r["measure_id"] for r in rows]


def flags(row, now: datetime) -> dict:
    """The time-dependent view of a ledger row at `now`: what the timers recorded, or what the
    clock says before they fire."""
    open_ = row["status"] in ("ACTIVE", "EXPIRED")
    return {
        "expired_not_ended": row["status"] == "EXPIRED"
        or (open_ and row["ends_at"] is not None and row["ends_at"] <= now),
        "notice_overdue": bool(row["notice_overdue"]) or (row["notice_due"] is not None and row["notice_due"] <= now),
    }


def holding_of(row, org: Organisation, rules: m.MeasureRules) -> Holding:
    """A row's holding, as `services.cases.app.access` gives the measure's (an empty liaison: one
    recorded before holdings were, the catalogue's)."""
    roles = m.approver_roles(row["kind"], row["status"], row["extensions"], row["ends_at"] is not None, rules)
    return org.holding(row["office"], row["liaison"]).with_approvers(roles)


async def rows(
    pool,
    schema: str,
    office: str,
    open_only: bool,
    now: datetime,
    reader: Principal,
    org: Organisation,
    rules: m.MeasureRules,
    limit: int = 1000,
) -> list:
    """The office's measures `reader` may know, those past their end and not ended first, then by
    end and start. The WHERE clause is a first cut of `may_know` in SQL (the offices the reader
    sees as holder or liaison, the kinds whose rule names its role), so the limit counts rows it
    may well know; `may_know` itself then judges each row."""
    seen = visible_offices(reader, org)
    via_catalogue = None if seen is None else sorted(o for o, liaison in org.liaison.items() if liaison in seen)
    found = await pool.fetch(
        f"SELECT * FROM {schema}.measure_ledger WHERE office = $1 AND (NOT $2 OR status = ANY($3::text[])) "
        f"AND ($7::text[] IS NULL OR office = ANY($7) OR liaison = ANY($7) "
        f"OR (liaison = '' AND office = ANY($8::text[])) OR kind = ANY($9::text[])) "
        f"ORDER BY (status = 'EXPIRED' OR (status = ANY($4::text[]) AND ends_at IS NOT NULL AND ends_at <= $5)) DESC, "
        f"ends_at NULLS LAST, starts_at NULLS LAST, "
        f"measure_id LIMIT $6",
        office,
        open_only,
        list(OPEN),
        ["ACTIVE", "EXPIRED"],
        now,
        limit,
        None if seen is None else sorted(seen),
        via_catalogue,
        list(m.kinds_approved_by(reader.role, rules)),
    )
    return [dict(r, **flags(r, now)) for r in found if may_know(reader, holding_of(r, org, rules), org)]


def projections(fold: Fold, rules: m.MeasureRules) -> tuple[Projection, ...]:
    """The ledger as a projection of the measure streams (`fold`: the measure aggregate's, with the
    service's codec), each row made as its commands make it."""

    def rows(h: History) -> list[tuple]:
        return [values(m.ledger_row(h.state, rules), h.version)]

    return (Projection(TABLE, TABLE, create, Streams(fold, rows, "measure_id")),)
