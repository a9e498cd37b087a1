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


CLUE_SQL = """
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS clue_id text NOT NULL DEFAULT '';  -- before filing (SL 25, 41)
CREATE INDEX IF NOT EXISTS {t}_clue ON {s}.{t} (clue_id) WHERE clue_id <> '';
CREATE INDEX IF NOT EXISTS {t}_case ON {s}.{t} (case_id);
"""


# The duties common to measures (SL 44, 50, 74(7); services.cases.domain.measure_duties): added by
# migration 4. `duties_kept` is false on rows written before it, until the start-up backfill
# (`backfill`) writes them again from their events, as a rebuild does (an old release owes its
# notice, an old end shows its outcome).
DUTIES_SQL = """
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS notice_deferred boolean NOT NULL DEFAULT false;  -- SL 50 ¶1
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS executed boolean NOT NULL DEFAULT false;  -- two staff, SL 44
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS changes_pending int NOT NULL DEFAULT 0;  -- SL 50 ¶2
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS change_due timestamptz;  -- the earliest undecided one's
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS change_overdue boolean NOT NULL DEFAULT false;  -- its timer fired
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS release_notice_given boolean NOT NULL DEFAULT false;
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS outcome text NOT NULL DEFAULT '';  -- how it ended
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS duties_kept boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS {t}_unkept ON {s}.{t} (measure_id) WHERE NOT duties_kept;
CREATE INDEX IF NOT EXISTS {t}_running_end ON {s}.{t} (ends_at) WHERE status IN ('ACTIVE', 'EXPIRED');  -- SL 74(7)
"""
DUTY_COLUMNS = (
    "notice_deferred",
    "executed",
    "changes_pending",
    "change_due",
    "change_overdue",
    "release_notice_given",
    "outcome",
)


# The person's safeguards (SL 26, 28, 69; services.cases.domain.measure_safeguards): added by
# migration 5. Events before it hold no finding and no complaint, so the defaults are their values.
SAFEGUARDS_SQL = """
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS unrelated_at timestamptz;  -- property found unrelated, SL 26, 28
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS release_due timestamptz;  -- while unreleased
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS release_overdue boolean NOT NULL DEFAULT false;  -- its timer fired
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS released_at timestamptz;
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS complaints_pending int NOT NULL DEFAULT 0;  -- SL 69
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS complaint_due timestamptz;  -- the earliest open stage's
ALTER TABLE {s}.{t} ADD COLUMN IF NOT EXISTS complaint_overdue boolean NOT NULL DEFAULT false;
"""
SAFEGUARD_COLUMNS = (
    "unrelated_at",
    "release_due",
    "release_overdue",
    "released_at",
    "complaints_pending",
    "complaint_due",
    "complaint_overdue",
)


async def create(conn, schema: str, table: str = TABLE) -> None:
    """A rebuild's shadow, like the live table after every migration (same columns, same order)."""
    await create_v1(conn, schema, table)
    await add_holding(conn, schema, table)
    await add_clue(conn, schema, table)
    await add_duties(conn, schema, table)
    await add_safeguards(conn, schema, table)


async def create_v1(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


async def add_holding(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(HOLDING_SQL.format(s=schema, t=table))


async def add_clue(conn, schema: str, table: str = TABLE) -> None:
    """Migration 3: the clue a measure was taken on before filing ('' for the rest, as their events)."""
    await conn.execute(CLUE_SQL.format(s=schema, t=table))


async def add_duties(conn, schema: str, table: str = TABLE) -> None:
    """Migration 4: the duties common to measures (SL 44, 50); rows before it wait for `backfill`."""
    await conn.execute(DUTIES_SQL.format(s=schema, t=table))


async def add_safeguards(conn, schema: str, table: str = TABLE) -> None:
    """Migration 5: the person's safeguards (SL 26, 28, 69); old rows hold their defaults rightly."""
    await conn.execute(SAFEGUARDS_SQL.format(s=schema, t=table))


MIGRATIONS = (
    Migration("cases.measure_ledger", 1, "each office's measure ledger", create_v1),
    Migration("cases.measure_ledger", 2, "each measure's liaison as recorded (need to know)", add_holding),
    Migration("cases.measure_ledger", 3, "the clue of a measure taken before filing (SL 25, 41)", add_clue),
    Migration("cases.measure_ledger", 4, "the duties common to measures (SL 44, 50, 74(7))", add_duties),
    Migration("cases.measure_ledger", 5, "the person's safeguards (SL 26, 28, 69)", add_safeguards),
)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


# the table's order: migrations 2 and 3 added the liaison and the clue, 4 the duties, 5 the safeguards
WRITTEN = (*COLUMNS, "version", "liaison", "clue_id", *DUTY_COLUMNS, "duties_kept", *SAFEGUARD_COLUMNS)


def values(row: dict, version: int) -> tuple:
    """A `measures.ledger_row` as the table's columns, in order."""
    duties = tuple(row[c] for c in DUTY_COLUMNS) + (True,)
    safeguards = tuple(row[c] for c in SAFEGUARD_COLUMNS)
    return tuple(row[c] for c in COLUMNS) + (version, row["liaison"], row["clue_id"]) + duties + safeguards


async def upsert(conn, schema: str, row: dict, version: int, unkept_only: bool = False) -> None:
    """`unkept_only` (the backfill): only over a row written before migration 4."""
    placeholders = ", ".join(f"${i}" for i in range(1, len(WRITTEN) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in WRITTEN[1:])
    guard = " WHERE NOT measure_ledger.duties_kept" if unkept_only else ""
    await conn.execute(
        f"INSERT INTO {schema}.measure_ledger ({', '.join(WRITTEN)}) VALUES ({placeholders}) "
        f"ON CONFLICT (measure_id) DO UPDATE SET {updates}{guard}",
        *values(row, version),
    )


async def of_clue(conn, schema: str, clue_id: str) -> list[str]:
    """The measures taken on the clue before filing (SL 25, 41), whatever their state."""
    rows = await conn.fetch(
        f"SELECT measure_id FROM {schema}.measure_ledger WHERE clue_id = $1 ORDER BY measure_id", clue_id
    )
    return [r["measure_id"] for r in rows]


async def line(conn, schema: str, measure_id: str) -> dict | None:
    """One measure's case, kind and status as its ledger holds them (None: no such measure)."""
    row = await conn.fetchrow(
        f"SELECT case_id, kind, status FROM {schema}.measure_ledger WHERE measure_id = $1", measure_id
    )
    return dict(row) if row else None


async def of_case(
    pool, schema: str, case_id: str, reader: Principal, org: Organisation, rules: m.MeasureRules, limit: int = 1000
) -> list[str]:
    """The case's measures `reader` may know (those that followed it from its clue included)."""
    found = await pool.fetch(
        f"SELECT * FROM {schema}.measure_ledger WHERE case_id = $1 ORDER BY measure_id LIMIT $2", case_id, limit
    )
    return [r["measure_id"] for r in found if may_know(reader, holding_of(r, org, rules), org)]


async def running(conn, schema: str, case_id: str) -> list[tuple[str, str, str]]:
    """The case's measures approved and not ended (active, or expired awaiting their end), as
    (measure_id, kind, person_id)."""
    rows = await conn.fetch(
        f"SELECT measure_id, kind, person_id FROM {schema}.measure_ledger WHERE case_id = $1 "
        f"AND status = ANY($2::text[]) ORDER BY measure_id",
        case_id,
        ["ACTIVE", "EXPIRED"],
    )
    return [(r["measure_id"], r["kind"], r["person_id"]) for r in rows]


def flags(row, now: datetime) -> dict:
    """The time-dependent view of a ledger row at `now`: what the timers recorded, or what the
    clock says before they fire."""
    open_ = row["status"] in ("ACTIVE", "EXPIRED")
    return {
        "expired_not_ended": row["status"] == "EXPIRED"
        or (open_ and row["ends_at"] is not None and row["ends_at"] <= now),
        "notice_overdue": bool(row["notice_overdue"]) or (row["notice_due"] is not None and row["notice_due"] <= now),
        "change_overdue": bool(row["change_overdue"]) or (row["change_due"] is not None and row["change_due"] <= now),
        "release_overdue": bool(row["release_overdue"])
        or (row["release_due"] is not None and row["release_due"] <= now),
        "complaint_overdue": bool(row["complaint_overdue"])
        or (row["complaint_due"] is not None and row["complaint_due"] <= now),
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
    case_id: str = "",
    expired_only: bool = False,
) -> list:
    """The office's measures `reader` may know, those past their end and not ended first, then by
    end and start. The WHERE clause is a first cut of `may_know` in SQL (the offices the reader
    sees as holder or liaison, the kinds whose rule names its role, every expired one for the alert
    roles), so the limit counts rows it may well know; `may_know` itself then judges each row.
    `case_id`: only that case's measures (those taken on its clue before filing included once they
    followed it). `expired_only`: only those past their end and not ended (SL 74(7)), the leaders'
    queue; with `office` "" of every office."""
    seen = visible_offices(reader, org)
    via_catalogue = None if seen is None else sorted(o for o, liaison in org.liaison.items() if liaison in seen)
    found = await pool.fetch(
        f"SELECT * FROM {schema}.measure_ledger WHERE ($1 = '' OR office = $1) AND (NOT $2 OR status = ANY($3::text[])) "
        f"AND ($7::text[] IS NULL OR office = ANY($7) OR liaison = ANY($7) "
        f"OR (liaison = '' AND office = ANY($8::text[])) OR kind = ANY($9::text[]) OR ($12 AND status = 'EXPIRED')) "
        f"AND ($10 = '' OR case_id = $10) "
        f"AND (NOT $11 OR status = 'EXPIRED' OR (status = 'ACTIVE' AND ends_at IS NOT NULL AND ends_at <= $5)) "
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
        case_id,
        expired_only,
        reader.role in rules.duties.alert_roles,  # SL 74(7): the leaders see every expired measure
    )
    return [dict(r, **flags(r, now)) for r in found if may_know(reader, holding_of(r, org, rules), org)]


async def unkept(conn, schema: str, after: str, limit: int) -> list[str]:
    """Measures whose row was written before migration 4 (the duties), in id order after `after`."""
    found = await conn.fetch(
        f"SELECT measure_id FROM {schema}.measure_ledger WHERE NOT duties_kept AND measure_id > $1 "
        f"ORDER BY measure_id LIMIT $2",
        after,
        limit,
    )
    return [r["measure_id"] for r in found]


async def backfill(store, load, rules: m.MeasureRules, page: int = 500) -> int:
    """Rows written before migration 4 written again from their events (`load(store, measure_id)`:
    the measure's history, its timer stream folded), as a rebuild makes them; how many. A row a
    command wrote meanwhile is kept already. Run at start, after the migrations."""
    done, last = 0, ""
    while True:
        async with store.pool.acquire() as conn:
            ids = await unkept(conn, store.schema, last, page)
        if not ids:
            return done
        for measure_id in ids:
            history = await load(store, measure_id)
            async with store.pool.acquire() as conn:
                await upsert(conn, store.schema, m.ledger_row(history.state, rules), history.version, unkept_only=True)
        done, last = done + len(ids), ids[-1]


def projections(fold: Fold, rules: m.MeasureRules) -> tuple[Projection, ...]:
    """The ledger as a projection of the measure streams (`fold`: the measure aggregate's, with the
    service's codec), each row made as its commands make it."""

    def rows(h: History) -> list[tuple]:
        return [values(m.ledger_row(h.state, rules), h.version)]

    return (Projection(TABLE, TABLE, create, Streams(fold, rows, "measure_id")),)
