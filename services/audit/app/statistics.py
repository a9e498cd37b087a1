"""Statistics from events (issue 27; domain.md §5): the `stat_facts` projection of audit's ledger and
the one query each statistic makes.

`stat_facts` holds one row per fact an event states for statistics (`adapters.statistics_facts`:
kind, the event's stream, key, person, attrs — codes, ids and dates, never summaries or informant
data — the office holding the file, the date that counts, the leaf and the event id), written in the
ingest transaction beside the leaf like the dossiers and rebuildable from the leaves alone
(`services.audit.rebuild`; projections migration 5). A statistic as of a moment reads the facts of
the kinds it needs recorded at or before it and below the ledger's size (one repeatable-read
snapshot), and the pure formulas (`domain.statistics`) give the figures and the events each rests
on.

Need to know (domain.md §1; issue 27): case management (offices that see every file), the roles
`deploy/config/statistics.toml [readers] all_offices` names (the head, the deputy heads) and
system components may ask for any office or all; anyone else only for the offices they may see
(their own, those their leader role oversees): another office is PERMISSION_DENIED naming
`office`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from kernel.domain.access import Organisation, visible_offices
from kernel.domain.errors import Forbidden, Validation
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import Envelope
from services.audit.adapters.statistics_facts import facts_of
from services.audit.app import ledger
from services.audit.app.statistics_config import StatisticsRules
from services.audit.domain.statistics import NEEDS, STATISTICS, Fact, Figure, Period, Query, compute

TABLE = "stat_facts"
COLUMNS = (
    "kind",
    "leaf_index",
    "ref",
    "key",
    "person_id",
    "attrs",
    "office",
    "occurred_at",
    "recorded_at",
    "event_id",
    "liaison",
)

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    kind        text        NOT NULL,   -- domain.statistics.KINDS
    leaf_index  bigint      NOT NULL,
    ref         text        NOT NULL,   -- the event's stream
    key         text        NOT NULL,   -- the clue a case was filed from, a problem, an item, ...
    person_id   text        NOT NULL,   -- '' when the fact is about no person
    attrs       jsonb       NOT NULL,   -- codes and dates only
    office      text        NOT NULL,   -- the office holding the file when it was recorded
    occurred_at timestamptz NOT NULL,   -- the date that counts
    recorded_at timestamptz NOT NULL,
    event_id    text        NOT NULL,
    liaison     text        NOT NULL,   -- the office supervising it as liaison then ('' when none)
    PRIMARY KEY (kind, leaf_index, ref, key, person_id)   -- a statistic reads its kinds
);
"""


async def create(conn, schema: str, table: str = TABLE) -> None:
    """The live table (by `projections`' migration) or a rebuild's shadow."""
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


def rows_of(env: Envelope, leaf_index: int) -> list[tuple]:
    """The rows of one recorded event (the same live and in a rebuild)."""
    return [
        (
            f.kind,
            f.leaf_index,
            f.ref,
            f.key,
            f.person_id,
            json.dumps(dict(f.attrs), ensure_ascii=False, sort_keys=True),
            f.office,
            f.occurred_at,
            f.recorded_at,
            f.event_id,
            f.liaison,
        )
        for f in facts_of(env, leaf_index)
    ]


async def index(conn, schema: str, events: list[tuple[Envelope, int]], table: str = TABLE) -> int:
    """Write the facts of (envelope, leaf index) pairs; how many rows."""
    rows = [row for env, leaf in events for row in rows_of(env, leaf)]
    if rows:
        await conn.execute(
            f"INSERT INTO {schema}.{table} ({', '.join(COLUMNS)}) "
            f"SELECT k, l, r, y, p, a::jsonb, o, oc, rc, e, li FROM unnest($1::text[], $2::bigint[], $3::text[], "
            f"$4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::text[], "
            f"$11::text[]) AS s(k, l, r, y, p, a, o, oc, rc, e, li) ON CONFLICT DO NOTHING",
            *map(list, zip(*rows)),
        )
    return len(rows)


_FACTS = """
SELECT kind, leaf_index, ref, key, person_id, attrs::text AS attrs, office, occurred_at, recorded_at, event_id,
       liaison
  FROM {s}.{t}
 WHERE kind = ANY($1::text[]) AND recorded_at <= $2 AND leaf_index < $3
 ORDER BY leaf_index
"""


def _fact(r) -> Fact:
    return Fact(
        r["kind"],
        r["ref"],
        r["key"],
        r["person_id"],
        json.loads(r["attrs"]),
        r["office"],
        r["occurred_at"],
        r["recorded_at"],
        r["leaf_index"],
        r["event_id"],
        r["liaison"],
    )


@dataclass(frozen=True)
class Answer:
    """A statistic's figures, the ledger size they are built from, the moment counted to and the
    offices counted (None: every office)."""

    statistic: str
    figures: list[Figure]
    tree_size: int
    as_of: datetime
    offices: frozenset[str] | None


class Statistics:
    """Statistics as of a moment, for the offices a caller may see."""

    def __init__(self, pool, schema: str, rules: StatisticsRules, org: Organisation, zone: tzinfo = timezone.utc):
        """`rules`: statistics.toml; `org`: who sees what (the catalogue); `zone`: the service's
        time zone (a due date's day starts at its midnight there)."""
        self.pool, self.schema, self.rules, self.org, self.zone = pool, schema, rules, org, zone

    def offices_for(self, principal: Principal | None, office: str = "") -> frozenset[str] | None:
        """The offices `principal` asks about (None: every office); Forbidden naming `office`
        when it may not see that office's figures (domain.md §1)."""
        office = office.strip()
        if principal is None or principal.role in self.rules.all_offices:
            return frozenset({office}) if office else None
        visible = visible_offices(principal, self.org)
        if visible is None:
            return frozenset({office}) if office else None
        if not office:
            return visible
        if office not in visible:
            raise Forbidden(f"office: {principal.office} ({principal.role}) may not see the figures of {office}")
        return frozenset({office})

    async def get(
        self,
        statistic: str,
        start: datetime,
        end: datetime,
        *,
        as_of: datetime | None = None,
        principal: Principal | None = None,
        office: str = "",
        management_level: str = "",
    ) -> Answer:
        """The figures of `statistic` over [start, end), from the events recorded at or before
        `as_of` (unset: now) among the ledger's leaves, for the offices `principal` asks about
        (None: audit's own work, every office)."""
        if statistic not in STATISTICS:
            raise Validation("statistic", f"must be one of {', '.join(STATISTICS)}")
        if start.tzinfo is None or end.tzinfo is None:
            raise Validation("period_start", "must carry a time zone")
        if end <= start:
            raise Validation("period_end", "must be after period_start")
        offices = self.offices_for(principal, office)
        moment = as_of or datetime.now(timezone.utc)
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            tree_size = await ledger.size(conn, self.schema)
            rows = await conn.fetch(_FACTS.format(s=self.schema, t=TABLE), list(NEEDS[statistic]), moment, tree_size)
        period = Period(start.astimezone(self.zone), end.astimezone(self.zone))
        query = Query(statistic, period, offices, management_level)
        figures = compute((_fact(r) for r in rows), query, self.rules.four_forms)
        return Answer(statistic, figures, tree_size, moment, offices)
