"""The story index (a projection of the ledger) and the replay queries over it.

An event's own stream, domain time and recorded time are on its ledger row (`recorded_events`);
`story_links` adds one row per clue, case or decision an event links to (rules in
`domain.story`), so most events (linking only persons) cost the index nothing. It is written in
the ingest transaction, beside the leaf, and can be rebuilt from the leaves alone
(`services.audit.rebuild`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from kernel.domain.errors import IllegalState
from kernel.eventstore.envelope import Envelope
from services.audit.domain.story import STORY_KINDS, StepKey, link_rows, subject_kind

TABLE = "story_links"
COLUMNS = ("leaf_index", "kind", "id", "relation", "joins")
KEY = ("leaf_index", "kind", "id", "relation")
MAX_SUBJECTS = 1000
# (conn, schema, stream ids) -> those the reader may know (`holdings.Reader.knowable`)
Knowable = Callable[..., Awaitable[set[str]]]

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


async def create(conn, schema: str, table: str = TABLE) -> None:
    """The live table (by `projections`' migration) or a rebuild's shadow."""
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


def rows_of(env: Envelope, leaf_index: int) -> list[tuple]:
    """The index rows of one recorded event (the same live and in a rebuild)."""
    return [(leaf_index, *row) for row in link_rows(env.stream_id, ((k.kind, k.id, k.relation) for k in env.links))]


async def index(conn, schema: str, events: list[tuple[Envelope, int]], table: str = TABLE) -> int:
    """Write the rows of (envelope, leaf index) pairs; how many rows."""
    rows = [row for env, leaf in events for row in rows_of(env, leaf)]
    if rows:  # a few rows per batch: a prepared INSERT beats COPY's per-call type lookup
        await conn.execute(
            f"INSERT INTO {schema}.{table} ({', '.join(COLUMNS)}) SELECT * FROM unnest("
            f"$1::bigint[], $2::text[], $3::text[], $4::text[], $5::boolean[])",
            *map(list, zip(*rows)),
        )
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
     WHERE e.stream_id = ANY($1::text[]) AND e.recorded_at <= $2 AND e.leaf_index + 0 < $5
    UNION ALL
    SELECT l.leaf_index, l.id, l.relation FROM {s}.{t} l JOIN {s}.recorded_events e USING (leaf_index)
     WHERE l.id = ANY($1::text[]) AND l.joins AND e.recorded_at <= $2 AND e.leaf_index + 0 < $5
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


async def _everything(conn, schema: str, ids) -> set[str]:
    return set(ids)


async def subjects(
    conn, schema: str, subject: str, as_of: datetime, below: int, knowable: Knowable = _everything
) -> list[Subject]:
    """The subject and every clue, case and decision linked to it, breadth first, as of `as_of`
    (links carried by events recorded later, or ledgered at `below` or after, do not count).
    A subject the reader may not know (`knowable`) is left out and joins nothing to the story."""
    found = {subject: Subject(subject, subject_kind(subject) or "")}
    hidden: set[str] = set()
    frontier = [subject]
    while frontier:
        rows = await conn.fetch(
            _JOINED.format(s=schema, t=TABLE), frontier, as_of, list(STORY_KINDS), [*found, *hidden], below
        )
        frontier = []
        seen = await knowable(conn, schema, {r["id"] for r in rows})
        hidden |= {r["id"] for r in rows} - seen
        # first way found wins, preferring how a known subject's own events name the new one
        for r in sorted(rows, key=lambda r: (r["id"], not r["named"], r["linked_from"], r["rel"])):
            if r["id"] not in found and r["id"] in seen:
                found[r["id"]] = Subject(r["id"], r["kind"], r["linked_from"], r["rel"])
                frontier.append(r["id"])
        if len(found) > MAX_SUBJECTS:
            raise IllegalState(
                "story",
                f"links more than {MAX_SUBJECTS} clues, cases and decisions; "
                f"ask about one of them with an earlier as_of",
            )
    return list(found.values())


async def members(
    conn, schema: str, ids: list[str], below: int, knowable: Knowable = _everything
) -> list[tuple[StepKey, int]]:
    """(key, leaf index) of every event below leaf `below` on the subjects' own streams or linking
    them (a story is hundreds or thousands of steps: ordered and paged by `domain.story.tell`),
    but those on streams the reader may not know (`knowable`)."""
    rows = await conn.fetch(
        f"SELECT e.leaf_index, e.occurred_at, e.recorded_at, e.stream_id, e.version FROM {schema}.recorded_events e "
        f"WHERE e.stream_id = ANY($1::text[]) AND e.leaf_index + 0 < $2 UNION "
        f"SELECT e.leaf_index, e.occurred_at, e.recorded_at, e.stream_id, e.version FROM {schema}.{TABLE} l "
        f"JOIN {schema}.recorded_events e USING (leaf_index) WHERE l.id = ANY($1::text[]) AND e.leaf_index + 0 < $2",
        ids,
        below,
    )
    seen = await knowable(conn, schema, {r["stream_id"] for r in rows})
    return [
        (StepKey(r["occurred_at"], r["recorded_at"], r["stream_id"], r["version"]), r["leaf_index"])
        for r in rows
        if r["stream_id"] in seen
    ]


async def recorded(conn, schema: str, leaves: list[int]) -> list:
    """The recorded rows of these leaves, in the order given."""
    rows = await conn.fetch(
        f'SELECT leaf_index, envelope, topic, partition, "offset", ingested_at '
        f"FROM {schema}.recorded_events WHERE leaf_index = ANY($1::bigint[])",
        leaves,
    )
    by_leaf = {r["leaf_index"]: r for r in rows}
    return [by_leaf[leaf] for leaf in leaves]
