"""Reads on the record (治权之权, seed 003; domain.md §1; issue 17): the read index and its query.

Every service records each read of a file as a `common.v1.FileRead` event linking each file read
and each person it is about with relation "read" (`kernel.eventstore.reads`); the ledger holds
them all, audit's own included (topic `audit.events.v1`). This projection indexes those links,
one row per (leaf, kind, id), written in the ingest transaction and rebuildable from the leaves;
`ListReads` answers "who read what about this file or person, when, through which RPC and why"
from it. The story index leaves these links out (`domain.story.link_rows`): a read is no step of
a file's story.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from common.v1 import reads_pb2
from kernel.domain.errors import Validation
from kernel.eventstore.envelope import Envelope, parse
from kernel.eventstore.reads import READ

TABLE = "read_links"
MAX_PAGE = 1000

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    leaf_index bigint NOT NULL,
    kind       text   NOT NULL,     -- "clue", "case", "measure", "decision", "person", ...
    id         text   NOT NULL,
    PRIMARY KEY (leaf_index, kind, id)   -- appended in leaf order: cheap to keep
);
CREATE INDEX IF NOT EXISTS {t}_read ON {s}.{t} (id, leaf_index);
"""


async def create(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


def rows_of(env: Envelope, leaf_index: int) -> list[tuple]:
    """The index rows of one recorded event: each thing it records as read, once."""
    found = {(k.kind, k.id) for k in env.links if k.relation == READ and k.id}
    return [(leaf_index, kind, ident) for kind, ident in sorted(found)]


async def index(conn, schema: str, events: list[tuple[Envelope, int]], table: str = TABLE) -> int:
    rows = [row for env, leaf in events for row in rows_of(env, leaf)]
    if rows:
        await conn.execute(
            f"INSERT INTO {schema}.{table} (leaf_index, kind, id) SELECT * FROM unnest("
            f"$1::bigint[], $2::text[], $3::text[])",
            *map(list, zip(*rows)),
        )
    return len(rows)


@dataclass(frozen=True)
class Read:
    """One FileRead as the ledger holds it."""

    leaf_index: int
    envelope: Envelope
    payload: reads_pb2.FileRead
    topic: str


def _token(about: str, after: int) -> str:
    body = json.dumps({"s": about, "l": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(body).decode()


def _after(about: str, token: str) -> int:
    """The last leaf of the previous page."""
    if not token:
        return -1
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        after, subject = int(body["l"]), body["s"]
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as e:
        raise Validation("page_token", "is not a token this service issued; start again without one") from e
    if subject != about:
        raise Validation("page_token", "was issued for another file or person")
    return after


async def page(
    conn,
    schema: str,
    about: str,
    person: bool,
    start: datetime | None,
    end: datetime | None,
    size: int,
    token: str,
) -> tuple[list[Read], str]:
    """The reads of a file (`person` False) or about a person, read in [start, end), in ledger order:
    one page and the next page's token ("" on the last)."""
    if size > MAX_PAGE:
        raise Validation("page_size", f"at most {MAX_PAGE}")
    size = size or MAX_PAGE
    rows = await conn.fetch(
        f"SELECT e.leaf_index, e.envelope, e.topic FROM {schema}.{TABLE} r JOIN {schema}.recorded_events e "
        f"USING (leaf_index) WHERE r.id = $1 AND (r.kind = 'person') = $2 AND r.leaf_index > $3 "
        f"AND ($4::timestamptz IS NULL OR e.occurred_at >= $4) AND ($5::timestamptz IS NULL OR e.occurred_at < $5) "
        f"ORDER BY r.leaf_index LIMIT $6",
        about,
        person,
        _after(about, token),
        start,
        end,
        size + 1,
    )
    reads = [_read(r) for r in rows[:size]]
    return reads, (_token(about, reads[-1].leaf_index) if len(rows) > size else "")


def _read(row) -> Read:
    env = parse(bytes(row["envelope"]))
    payload = reads_pb2.FileRead()
    env.payload.Unpack(payload)
    return Read(row["leaf_index"], env, payload, row["topic"])
