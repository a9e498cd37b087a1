"""Person dossiers (issue 26; domain.md §5): a projection of audit's ledger and its queries.

`dossier_facts` holds one row per fact an event says about a person (`adapters.dossier_facts`:
kind, file, what happened, its attrs — states, types, dates, offices; never informant data),
written in the ingest transaction beside the leaf like the story index and rebuildable from the
leaves alone (`services.audit.rebuild`). A dossier as of a moment folds the person's facts of the
events recorded at or before it (`domain.dossier.fold`), leaving out every file the reader may not
know (need to know, domain.md §1: `holdings.Reader.knowable`).

`Dossiers.items` answers many persons in ONE query (an integrity-opinion request's 200 and more
candidates, seed 004) on the primary key's leading `person_id`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone, tzinfo

from kernel.domain.errors import Validation
from kernel.eventstore.envelope import Envelope
from services.audit.adapters.dossier_facts import facts_of
from services.audit.app import ledger
from services.audit.app.holdings import Reader
from services.audit.domain.dossier import Fact, Item, by_person

TABLE = "dossier_facts"
COLUMNS = ("person_id", "leaf_index", "kind", "ref", "change", "attrs", "occurred_at", "recorded_at")
MAX_PERSONS = 1000  # one query's persons (a request holds at most 500 candidates)

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    person_id   text        NOT NULL,
    leaf_index  bigint      NOT NULL,
    kind        text        NOT NULL,   -- CLUE, FILING, CASE, MEASURE, SANCTION, IMPACT, TALK_OR_LETTER
    ref         text        NOT NULL,   -- the file's stream id
    change      text        NOT NULL,   -- what happened: opened, stage, closed, issued, lifted, ...
    attrs       jsonb       NOT NULL,   -- the item's fields after it (domain.dossier.FIELDS and rules)
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (person_id, leaf_index, kind, ref, change)   -- a person's facts, in leaf order
);
"""


async def create(conn, schema: str, table: str = TABLE) -> None:
    """The live table (by `projections`' migration) or a rebuild's shadow."""
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


def rows_of(env: Envelope, leaf_index: int) -> list[tuple]:
    """The rows of one recorded event (the same live and in a rebuild)."""
    return [
        (
            f.person_id,
            f.leaf_index,
            f.kind,
            f.ref,
            f.change,
            json.dumps(dict(f.attrs), ensure_ascii=False, sort_keys=True),
            f.occurred_at,
            f.recorded_at,
        )
        for f in facts_of(env, leaf_index)
    ]


async def index(conn, schema: str, events: list[tuple[Envelope, int]], table: str = TABLE) -> int:
    """Write the facts of (envelope, leaf index) pairs; how many rows. (An event naming a person
    twice, by link and payload, gives one row: ON CONFLICT DO NOTHING.)"""
    rows = [row for env, leaf in events for row in rows_of(env, leaf)]
    if rows:
        await conn.execute(
            f"INSERT INTO {schema}.{table} ({', '.join(COLUMNS)}) "
            f"SELECT p, l, k, r, c, a::jsonb, o, rc FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], "
            f"$5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[]) AS s(p, l, k, r, c, a, o, rc) "
            f"ON CONFLICT DO NOTHING",
            *map(list, zip(*rows)),
        )
    return len(rows)


_FACTS = """
SELECT person_id, leaf_index, kind, ref, change, attrs::text AS attrs, occurred_at, recorded_at
  FROM {s}.{t}
 WHERE person_id = ANY($1::text[]) AND recorded_at <= $2 AND leaf_index < $3
 ORDER BY person_id, leaf_index
"""


def _fact(r) -> Fact:
    return Fact(
        r["person_id"],
        r["kind"],
        r["ref"],
        r["change"],
        json.loads(r["attrs"]),
        r["occurred_at"],
        r["recorded_at"],
        r["leaf_index"],
    )


class Dossiers:
    """Dossiers as of a moment, as a reader may know them."""

    def __init__(self, pool, schema: str, zone: tzinfo = timezone.utc):
        """`zone`: the service's time zone, whose day at `as_of` says what is `running`."""
        self.pool, self.schema, self.zone = pool, schema, zone

    async def items(
        self, persons: list[str], as_of: datetime | None = None, reader: Reader | None = None
    ) -> tuple[dict[str, list[Item]], int]:
        """Each person's items (open first, then by `since`; `running` on `as_of`'s day in the zone) from
        the events recorded at or before `as_of` (unset: now) among the ledger's first `tree_size`
        leaves, without the files `reader` may not know (default: everything); every person asked
        is in the answer (an empty list: nothing known). One query for all of them."""
        reader = reader or Reader.everything()
        wanted = list(dict.fromkeys(p for p in persons if p))
        if len(wanted) > MAX_PERSONS:
            raise Validation("persons", f"at most {MAX_PERSONS} per query, got {len(wanted)}")
        moment = as_of or datetime.now(timezone.utc)
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            tree_size = await ledger.size(conn, self.schema)
            rows = await conn.fetch(_FACTS.format(s=self.schema, t=TABLE), wanted, moment, tree_size)
            facts = [_fact(r) for r in rows]
            known = await reader.knowable(conn, self.schema, {f.ref for f in facts})
        folded = by_person((f for f in facts if f.ref in known), moment.astimezone(self.zone).date())
        return {p: folded.get(p, []) for p in wanted}, tree_size

    async def dossier(
        self, person: str, as_of: datetime | None = None, reader: Reader | None = None
    ) -> tuple[list[Item], int]:
        """One person's items and the tree size they are built from (as `items`)."""
        found, tree_size = await self.items([person], as_of, reader)
        return found.get(person, []), tree_size
