"""The story index (a projection of the ledger) and the replay queries over it.

`story_links` holds, per recorded event, one row per subject or person it belongs to (rules in
`domain.story`), with the event's domain and recorded times so that a story can be told as of a
moment without decoding every envelope. It is written in the ingest transaction, beside the leaf,
and can be rebuilt from the leaves alone (`services.audit.rebuild`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from kernel.envelope import Envelope
from kernel.errors import IllegalState
from services.audit.domain.story import STORY_KINDS, StepKey, link_rows, subject_kind

TABLE = "story_links"
COLUMNS = ("kind", "id", "leaf_index", "relation", "occurred_at", "recorded_at", "joins")
KEY = ("leaf_index", "kind", "id", "relation")
MAX_SUBJECTS = 1000

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    kind        text        NOT NULL,
    id          text        NOT NULL,
    leaf_index  bigint      NOT NULL,
    relation    text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    joins       boolean     NOT NULL,
    PRIMARY KEY (leaf_index, kind, id, relation)      -- appended in leaf order: cheap to keep
);
CREATE INDEX IF NOT EXISTS {t}_subject ON {s}.{t} (id);
"""


async def migrate(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _at(ts) -> datetime:
    return _EPOCH + timedelta(0, ts.seconds, ts.nanos // 1000)   # 3x ToDatetime's speed: on every event


def rows_of(env: Envelope, leaf_index: int) -> list[tuple]:
    """The index rows of one recorded event (the same live and in a rebuild)."""
    occurred, recorded = _at(env.occurred_at), _at(env.recorded_at)
    return [(r.kind, r.id, leaf_index, r.relation, occurred, recorded, r.joins)
            for r in link_rows(env.stream_id, ((k.kind, k.id, k.relation) for k in env.links))]


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


async def subjects(conn, schema: str, subject: str, as_of: datetime) -> list[Subject]:
    """The subject and every clue, case and decision linked to it, breadth first, as of `as_of`
    (links carried by events recorded later do not count yet)."""
    found = {subject: Subject(subject, subject_kind(subject) or "")}
    frontier = [subject]
    while frontier:
        rows = await conn.fetch(
            f"SELECT DISTINCT b.id, b.kind, a.id AS linked_from, a.relation = '' AS named, "
            f"COALESCE(NULLIF(b.relation, ''), a.relation) AS rel FROM {schema}.{TABLE} a "
            f"JOIN {schema}.{TABLE} b ON b.leaf_index = a.leaf_index "
            f"WHERE a.kind = ANY($3::text[]) AND a.id = ANY($1::text[]) AND a.joins AND a.recorded_at <= $2 "
            f"AND b.kind = ANY($3::text[]) AND b.id <> ALL($4::text[])",
            frontier, as_of, list(STORY_KINDS), list(found))
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
    return (f"SELECT {select} FROM {schema}.recorded_events e JOIN ("
            f"SELECT DISTINCT leaf_index, occurred_at, recorded_at FROM {schema}.{TABLE} "
            f"WHERE kind = ANY($3::text[]) AND id = ANY($1::text[]) AND recorded_at <= $2) l USING (leaf_index) {tail}")


async def count_steps(conn, schema: str, ids: list[str], as_of: datetime) -> int:
    return await conn.fetchval(_steps_sql(schema, "count(*)"), ids, as_of, list(STORY_KINDS))


async def latest_recorded(conn, schema: str, ids: list[str]) -> datetime | None:
    return await conn.fetchval(
        f"SELECT max(recorded_at) FROM {schema}.{TABLE} WHERE kind = ANY($2::text[]) AND id = ANY($1::text[])",
        ids, list(STORY_KINDS))


async def steps(conn, schema: str, ids: list[str], as_of: datetime, after: StepKey | None, limit: int):
    """Up to `limit` steps of the story of `ids` as of `as_of`, in story order, after `after`."""
    key = '(l.occurred_at, l.recorded_at, e.stream_id COLLATE "C", e.version)'
    where = f"WHERE {key} > ($4, $5, $6, $7)" if after else ""
    args = [after.occurred_at, after.recorded_at, after.stream_id, after.version] if after else []
    return await conn.fetch(
        _steps_sql(schema, 'e.leaf_index, e.envelope, e.topic, e.partition, e."offset", e.ingested_at, '
                           'l.occurred_at, l.recorded_at, e.stream_id, e.version',
                   f"{where} ORDER BY {key} LIMIT {int(limit)}"),
        ids, as_of, list(STORY_KINDS), *args)
