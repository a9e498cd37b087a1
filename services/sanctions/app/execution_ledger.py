"""The execution ledger (执行工作台账, domain.md §4d; issue 21 point 5): one row per execution item
of every issued decision, with its owner agency and office, due and latest due dates, status, and
the blockage cause its owning office recorded (seed 000's four).

A row is `decision.ledger_rows` of the decision folded from its stream, written by the decision's
command in the same transaction (`keep`), so `python -m kernel.eventstore.rebuild --service
sanctions` makes the table again from the events (`projections`). OVERDUE is never stored: an
OPEN item whose due date is before the service's today is overdue when read, so an item passing
its due date shows as overdue without any write.

The ledger answers by agency, office, status (OPEN, DONE, CLOSED, OVERDUE), cause, due window and
decision, a page at a time in (due, decision, item) order, with the overdue items of the whole
filter counted by cause. A partner agency's principal sees its agency's items only; the
commission's see the items of the decisions they may know (`decision_index.visible`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kernel.domain.access import Organisation
from kernel.domain.principal import Principal
from kernel.eventstore import migrations
from kernel.eventstore.aggregate import History
from kernel.eventstore.migrations import Migration
from kernel.eventstore.projections import Fold, Projection, Streams
from services.sanctions.app import decision_index
from services.sanctions.domain import decision as d

TABLE = "execution_ledger"
COMMISSION = "commission"  # the catalogue's agency of the commission; every other is a partner
STATUSES = (d.OPEN, d.DONE, d.OVERDUE)
TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    decision_id text        NOT NULL,
    item_id     text        NOT NULL,   -- its kind, or <kind>:<n> from the second of a kind
    case_id     text        NOT NULL,
    person_id   text        NOT NULL,
    kind        text        NOT NULL,
    owner       text        NOT NULL,   -- §4d's owner column (ARCHIVES, HR, ...)
    agency      text        NOT NULL,   -- the catalogue agency that owns it ([owners])
    office      text        NOT NULL,   -- the catalogue office that owns it
    due         date        NOT NULL,
    latest_due  date        NOT NULL,
    status      text        NOT NULL,   -- OPEN, DONE or CLOSED (A5); OVERDUE is computed on read
    done_at     timestamptz,
    receipt     text        NOT NULL,   -- SHA-256 of the receipt; '' while open
    cause       text        NOT NULL,   -- the recorded blockage cause; '' none
    rule        text        NOT NULL,
    sort_key    text        NOT NULL,   -- due|decision_id|item_id: the list's order and cursor
    version     bigint      NOT NULL,   -- of the decision stream
    PRIMARY KEY (decision_id, item_id)
);
CREATE INDEX IF NOT EXISTS {t}_sort ON {s}.{t} (sort_key);
CREATE INDEX IF NOT EXISTS {t}_agency ON {s}.{t} (agency, office, sort_key);
CREATE INDEX IF NOT EXISTS {t}_open_due ON {s}.{t} (due) WHERE status = 'OPEN';
"""
COLUMNS = (
    "decision_id",
    "item_id",
    "case_id",
    "person_id",
    "kind",
    "owner",
    "agency",
    "office",
    "due",
    "latest_due",
    "status",
    "done_at",
    "receipt",
    "cause",
    "rule",
    "sort_key",
    "version",
)


@dataclass(frozen=True)
class LedgerFilter:
    """What a ledger query asks for; every field optional ("" or None: any). `status`: OPEN (open,
    not past due), DONE, CLOSED (A5) or OVERDUE (open, past due on the service's today); `due_from` inclusive,
    `due_before` exclusive."""

    agency: str = ""
    office: str = ""
    status: str = ""
    cause: str = ""
    due_from: date | None = None
    due_before: date | None = None
    decision_id: str = ""


async def create(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


MIGRATIONS = (Migration("sanctions.execution_ledger", 1, "the execution ledger (§4d items)", create),)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


def sort_key(due: date, decision_id: str, item_id: str) -> str:
    return f"{due.isoformat()}|{decision_id}|{item_id}"


def rows_of(state: d.Decision, version: int) -> list[tuple]:
    """The decision's rows, in the table's column order."""
    return [
        tuple(r[c] for c in COLUMNS[:-2]) + (sort_key(r["due"], r["decision_id"], r["item_id"]), version)
        for r in d.ledger_rows(state)
    ]


async def keep(conn, schema: str, state: d.Decision, version: int) -> None:
    """The decision's items after a command, in its transaction (an item never disappears: its
    rows are rewritten whole)."""
    found = rows_of(state, version)
    if not found:
        return
    await conn.execute(f"DELETE FROM {schema}.{TABLE} WHERE decision_id = $1", state.decision_id)
    placeholders = ", ".join(f"${i}" for i in range(1, len(COLUMNS) + 1))
    await conn.executemany(
        f"INSERT INTO {schema}.{TABLE} ({', '.join(COLUMNS)}) VALUES ({placeholders})",
        found,
    )


def _where(reader: Principal, org: Organisation, f: LedgerFilter, today: date) -> tuple[str, list]:
    """The filter and the reader's visibility as a WHERE clause over `l` (the ledger) joined with
    `d` (the decision index), and its parameters from $1."""
    params: list = [f.agency, f.office, f.cause, f.due_from, f.due_before, f.decision_id, today]
    clause = (
        "($1 = '' OR l.agency = $1) AND ($2 = '' OR l.office = $2) AND ($3 = '' OR l.cause = $3) "
        "AND ($4::date IS NULL OR l.due >= $4) AND ($5::date IS NULL OR l.due < $5) "
        "AND ($6 = '' OR l.decision_id = $6)"
    )
    if f.status == d.OPEN:
        clause += " AND l.status = 'OPEN' AND l.due >= $7"
    elif f.status == d.OVERDUE:
        clause += " AND l.status = 'OPEN' AND l.due < $7"
    elif f.status in (d.DONE, d.CLOSED):  # CLOSED: no longer due, closed by a review (A5)
        clause += f" AND l.status = '{f.status}' AND $7::date IS NOT NULL"
    else:
        clause += " AND $7::date IS NOT NULL"
    if reader.agency != COMMISSION and not org.sees_everything(reader):  # a partner: its agency's items
        params += [reader.agency, reader.person_id]
        return clause + f" AND l.agency = ${len(params) - 1} AND l.person_id <> ${len(params)}", params
    seen, more = decision_index.visible(reader, org, len(params) + 1, "d")
    return f"{clause} AND {seen}", params + more


async def rows(
    pool,
    schema: str,
    reader: Principal,
    org: Organisation,
    f: LedgerFilter,
    today: date,
    after: str = "",
    limit: int = 1000,
) -> tuple[list[dict], dict[str, int]]:
    """A page of the items matching `f` that `reader` may see, oldest due first, after the sort key
    `after`; and the overdue items of the whole filter by cause ('' no cause recorded)."""
    clause, params = _where(reader, org, f, today)
    n = len(params)
    source = f"{schema}.{TABLE} l JOIN {schema}.{decision_index.TABLE} d ON d.decision_id = l.decision_id"
    page = await pool.fetch(
        f"SELECT l.* FROM {source} WHERE {clause} AND l.sort_key > ${n + 1} ORDER BY l.sort_key LIMIT ${n + 2}",
        *params,
        after,
        limit,
    )
    counts = await pool.fetch(
        f"SELECT l.cause, count(*) AS n FROM {source} WHERE {clause} AND l.status = 'OPEN' AND l.due < $7 "
        f"GROUP BY l.cause ORDER BY l.cause",
        *params,
    )
    return [_read(r, today) for r in page], {r["cause"]: r["n"] for r in counts}


def _read(r, today: date) -> dict:
    row = dict(r)
    row["overdue"] = row["status"] == d.OPEN and row["due"] < today
    return row


def projections(fold: Fold) -> tuple[Projection, ...]:
    """The ledger as a projection of the decision streams (`fold`: the decision aggregate's, with
    the service's codec), each row made as its commands make it."""

    def rows(h: History) -> list[tuple]:
        return rows_of(h.state, h.version)

    return (Projection(TABLE, TABLE, create, Streams(fold, rows, "decision_id")),)
