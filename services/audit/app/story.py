"""The story index (a projection of the ledger) and the replay queries over it.

An event's own stream, domain time and recorded time are on its ledger row (`recorded_events`);
`story_links` adds one row per clue, case or decision an event links to (rules in
`domain.story`), so most events (linking only persons) cost the index nothing. It is written in
the ingest transaction, beside the leaf, and can be rebuilt from the leaves alone
(`services.audit.rebuild`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from kernel.envelope import Envelope
from kernel.errors import IllegalState
from services.audit.domain.story import STORY_KINDS, StepKey, link_rows, subject_kind

TABLE = "story_links"
COLUMNS = ("leaf_index", "kind", "id", "relation", "joins")
KEY = ("leaf_index", "kind", "id", "relation")
MAX_SUBJECTS = 1000

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    leaf_index bigint  NOT NULL,
    kind       text    NOT NULL,
    id         text    NOT NULL,
    relation   text    NOT NULL,
    joins      boolean NOT NULL,       -- the event is on a subject's own stream: it joins stories
    PRIMARY KEY (leaf_index, kind, id, relation)      -- appended in leaf order: cheap to keep
);
CREATE INDEX IF NOT EXISTS {t}_subject ON {s}.{t} (id);
"""


async def migrate(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


def rows_of(env: Envelope, leaf_index: int) -> list[tuple]:
    """The index rows of one recorded event (the same live and in a rebuild)."""
    return [(leaf_index, *row) for row in link_rows(env.stream_id, ((k.kind, k.id, k.relation) for k in env.links))]


async def index(conn, schema: str, events: list[tuple[Envelope, int]], table: str = TABLE) -> int:
    """Write the rows of (envelope, leaf index) pairs; how many rows."""
    rows = [row for env, leaf in events for row in rows_of(env, leaf)]
    if rows:
        await conn.copy_records_to_table(table, schema_name=schema, columns=COLUMNS, records=rows)
    return len(rows)


@dataclass(frozen=True)
class Subject:
    id: str
    kind: str
    linked_from: str = ""
    relation: str = ""


# Events that join stories with a frontier subject (on its own stream, or on another subject's
# stream linking it), then every subject such an event belongs to: its own stream and its links.
_JOINED = """
WITH j AS (
    SELECT e.leaf_index, e.stream_id AS via, '' AS via_rel FROM {s}.recorded_events e
     WHERE e.stream_id = ANY($1::text[]) AND e.recorded_at <= $2
    UNION ALL
    SELECT l.leaf_index, l.id, l.relation FROM {s}.{t} l JOIN {s}.recorded_events e USING (leaf_index)
     WHERE l.id = ANY($1::text[]) AND l.joins AND e.recorded_at <= $2
)
SELECT DISTINCT n.id, n.kind, j.via AS linked_from, j.via_rel = '' AS named,
       COALESCE(NULLIF(n.relation, ''), j.via_rel) AS rel
  FROM j CROSS JOIN LATERAL (
       SELECT e.stream_id AS id, split_part(e.stream_id, '-', 1) AS kind, '' AS relation
         FROM {s}.recorded_events e WHERE e.leaf_index = j.leaf_index
       UNION ALL
       SELECT b.id, b.kind, b.relation FROM {s}.{t} b WHERE b.leaf_index = j.leaf_index) n
 WHERE n.kind = ANY($3::text[]) AND n.id <> ALL($4::text[])
"""


async def subjects(conn, schema: str, subject: str, as_of: datetime) -> list[Subject]:
    """The subject and every clue, case and decision linked to it, breadth first, as of `as_of`
    (links carried by events recorded later do not count yet)."""
    found = {subject: Subject(subject, subject_kind(subject) or "")}
    frontier = [subject]
    while frontier:
        rows = await conn.fetch(_JOINED.format(s=schema, t=TABLE), frontier, as_of, list(STORY_KINDS), list(found))
        frontier = []
        # first way found wins, preferring how a known subject's own events name the new one
        for r in sorted(rows, key=lambda r: (r["id"], not r["named"], r["linked_from"], r["rel"])):
            if r["id"] not in found:
                found[r["id"]] = Subject(r["id"], r["kind"], r["linked_from"], r["rel"])
                frontier.append(r["id"])
        if len(found) > MAX_SUBJECTS:
            raise IllegalState("story", f"links more than {MAX_SUBJECTS} clues, cases and decisions; "
                                        f"ask about one of them with an earlier as_of")
    return list(found.values())


def _steps_sql(schema: str, select: str, tail: str = "") -> str:
    return (f"SELECT {select} FROM {schema}.recorded_events e WHERE e.leaf_index IN ("
            f"SELECT leaf_index FROM {schema}.recorded_events WHERE stream_id = ANY($1::text[]) UNION "
            f"SELECT leaf_index FROM {schema}.{TABLE} WHERE id = ANY($1::text[])) AND e.recorded_at <= $2 {tail}")


async def count_steps(conn, schema: str, ids: list[str], as_of: datetime) -> int:
    return await conn.fetchval(_steps_sql(schema, "count(*)"), ids, as_of)


async def latest_recorded(conn, schema: str, ids: list[str]) -> datetime | None:
    return await conn.fetchval(_steps_sql(schema, "max(e.recorded_at)"), ids, datetime.max.replace(
        tzinfo=timezone.utc))


async def steps(conn, schema: str, ids: list[str], as_of: datetime, after: StepKey | None, limit: int):
    """Up to `limit` steps of the story of `ids` as of `as_of`, in story order, after `after`."""
    key = '(e.occurred_at, e.recorded_at, e.stream_id COLLATE "C", e.version)'
    where = f"AND {key} > ($3, $4, $5, $6)" if after else ""
    args = [after.occurred_at, after.recorded_at, after.stream_id, after.version] if after else []
    return await conn.fetch(
        _steps_sql(schema, 'e.leaf_index, e.envelope, e.topic, e.partition, e."offset", e.ingested_at, '
                           'e.occurred_at, e.recorded_at, e.stream_id, e.version',
                   f"{where} ORDER BY {key} LIMIT {int(limit)}"), ids, as_of, *args)
