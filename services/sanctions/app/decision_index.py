"""The decisions' index (issue 21 points 3, 6): one row per decision or impact record, for
`ListDecisions` and the candidates of `GetInForce`, never a fold of every stream.

A row is a pure function of the decision folded from its stream (`row`), written by the
decision's command in the same transaction (`keep`), so `python -m kernel.eventstore.rebuild
--service sanctions` makes the table again from the events (`projections`). It states what the
decision's holding is made of (need to know, domain.md §1; `services.sanctions.app.access`): its
holder and liaison as recorded (an empty liaison: the catalogue's of the holder, applied when
read), the offices owning its items (steps) and its approver roles. A list returns only the rows
its reader may know, and never those about the reader (SL 67).
"""

from __future__ import annotations

from kernel.domain.access import Organisation, visible_offices
from kernel.domain.principal import Principal
from kernel.eventstore import migrations
from kernel.eventstore.aggregate import History
from kernel.eventstore.migrations import Migration
from kernel.eventstore.projections import Fold, Projection, Streams
from services.sanctions.app.access import approvers_of, holder_of, steps_of
from services.sanctions.domain import decision as d
from services.sanctions.domain.rules import DEFAULT_RULES, SanctionRules

TABLE = "decision_index"
TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    decision_id text PRIMARY KEY,
    case_id     text    NOT NULL,   -- '' for an impact record from a clue
    person_id   text    NOT NULL,
    status      text    NOT NULL,   -- DecisionStatus without its prefix
    family      text    NOT NULL,   -- PARTY_SANCTION, GOVERNMENT_SANCTION; '' for an impact record
    sanction    text    NOT NULL,   -- the combined one until issued, then the issued one
    impact_kind text    NOT NULL,   -- ADMONISHMENT, ORGANISATIONAL_HANDLING, ACCOUNTABILITY; '' otherwise
    start_on    date,               -- the effect (impact) period's first day; NULL before the issue
    end_on      date,               -- its end (exclusive); NULL without one (开除) or before the issue
    holder      text    NOT NULL,   -- the case's (clue's) holding office as recorded; '': none stated
    liaison     text    NOT NULL,   -- as recorded; '': the catalogue's of the holder
    steps       text[]  NOT NULL,   -- the offices owning its items (once issued)
    approvers   text[]  NOT NULL,   -- commission_head, and party_committee_head where it approves
    version     bigint  NOT NULL
);
CREATE INDEX IF NOT EXISTS {t}_person ON {s}.{t} (person_id, decision_id);
CREATE INDEX IF NOT EXISTS {t}_case ON {s}.{t} (case_id, decision_id);
"""
COLUMNS = (
    "decision_id",
    "case_id",
    "person_id",
    "status",
    "family",
    "sanction",
    "impact_kind",
    "start_on",
    "end_on",
    "holder",
    "liaison",
    "steps",
    "approvers",
    "version",
)
# a row as the servicers read it: the period as start/end
SELECT = (
    "decision_id, case_id, person_id, status, family, sanction, impact_kind, start_on AS start, "
    'end_on AS "end", holder, liaison, steps, approvers, version'
)


async def create(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


MIGRATIONS = (Migration("sanctions.decision_index", 1, "the decisions' index (ListDecisions, GetInForce)", create),)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


def row(state: d.Decision, version: int, rules: SanctionRules = DEFAULT_RULES) -> tuple:
    """The decision's row, in the table's column order."""
    holder, liaison = holder_of(state)
    return (
        state.decision_id,
        state.case_id or "",
        state.person_id or "",
        state.status,
        state.family or "",
        state.sanction or "",
        state.impact.kind if state.impact else "",
        state.start,
        state.end,
        holder or "",
        liaison or "",
        list(steps_of(state)),
        list(approvers_of(state, rules)),
        version,
    )


async def keep(conn, schema: str, state: d.Decision, version: int, rules: SanctionRules = DEFAULT_RULES) -> None:
    """The decision's row after a command, in its transaction."""
    placeholders = ", ".join(f"${i}" for i in range(1, len(COLUMNS) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
    await conn.execute(
        f"INSERT INTO {schema}.{TABLE} ({', '.join(COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT (decision_id) DO UPDATE SET {updates}",
        *row(state, version, rules),
    )


def visible(reader: Principal, org: Organisation, n: int, alias: str = "") -> tuple[str, list]:
    """A WHERE clause (parameters from $n) holding exactly the rows `reader` may know
    (`kernel.domain.access.may_know` on the row's holding) and not about the reader (SL 67): its
    office or an office it oversees holds or liaises (an empty liaison: the catalogue's of the
    holder, else the holder), its office has a step, its role approves. Everything for those who
    see everything."""
    a = f"{alias}." if alias else ""
    not_self = f"{a}person_id <> ${n}"
    seen = visible_offices(reader, org)
    if seen is None:
        return not_self, [reader.person_id]
    via_catalogue = sorted(o for o, liaison in org.liaison.items() if liaison in seen)
    clause = (
        f"{not_self} AND {a}holder <> '' AND ({a}holder = ANY(${n + 1}::text[]) OR {a}liaison = ANY(${n + 1}::text[]) "
        f"OR ({a}liaison = '' AND {a}holder = ANY(${n + 2}::text[])) "
        f"OR ${n + 3} = ANY({a}steps) OR ${n + 4} = ANY({a}approvers))"
    )
    return clause, [reader.person_id, sorted(seen), via_catalogue, reader.office, reader.role]


async def decisions(
    pool,
    schema: str,
    reader: Principal,
    org: Organisation,
    *,
    case_id: str = "",
    person_id: str = "",
    after: str = "",
    limit: int = 1000,
) -> list[dict]:
    """The decisions (and impact records) of a case or a person that `reader` may know, by id,
    after the id `after`."""
    clause, params = visible(reader, org, 5)
    found = await pool.fetch(
        f"SELECT {SELECT} FROM {schema}.{TABLE} WHERE ($1 = '' OR case_id = $1) AND ($2 = '' OR person_id = $2) "
        f"AND decision_id > $3 AND {clause} ORDER BY decision_id LIMIT $4",
        case_id,
        person_id,
        after,
        limit,
        *params,
    )
    return [dict(r) for r in found]


def projections(fold: Fold, rules: SanctionRules = DEFAULT_RULES) -> tuple[Projection, ...]:
    """The index as a projection of the decision streams, each row made as its commands make it."""

    def rows(h: History) -> list[tuple]:
        return [row(h.state, h.version, rules)]

    return (Projection(TABLE, TABLE, create, Streams(fold, rows, "decision_id")),)
