"""Need to know in audit (domain.md §1, issue 17): who holds each file, as the ledger's events say.

Every event on a clue, case or measure stream carries the holding the file is in after it as links
(`kernel.domain.access.holding_links`). This projection keeps the latest stated holding of each
stream (by version: the inbox accepts a stream's events in version order), written in the ingest
transaction and rebuildable from the leaves like the story index. A timer stream
(`clue-timers-<uuid>`) has its aggregate's holding, so its events are not indexed here. A stream
whose events state no holding (recorded before holdings were stamped, a read stream, any other)
has none: `may_know(p, None, org)` opens it only to those who see everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kernel.domain.access import Holding, Organisation, holding_of_links, may_know
from kernel.domain.ids import aggregate_of, timer_kind
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import Envelope

TABLE = "stream_holdings"

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    stream_id text   PRIMARY KEY,
    version   bigint NOT NULL,    -- the event that stated it
    holder    text   NOT NULL,
    liaison   text   NOT NULL,
    steps     text[] NOT NULL,    -- sorted
    approvers text[] NOT NULL     -- sorted
);
"""


async def create(conn, schema: str, table: str = TABLE) -> None:
    """The live table (by `projections`' migration) or a rebuild's shadow."""
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


def file_of(stream_id: str) -> str:
    """The stream whose holding `stream_id` has: a timer stream's aggregate, else itself."""
    return aggregate_of(stream_id) if timer_kind(stream_id) else stream_id


def latest(events: Iterable[tuple[Envelope, int]]) -> dict[str, tuple]:
    """The last holding each stream's events state, as rows (the same live and in a rebuild)."""
    found: dict[str, tuple] = {}
    for env, _ in events:
        if timer_kind(env.stream_id):
            continue
        h = holding_of_links((k.kind, k.id, k.relation) for k in env.links)
        if h is not None and env.version > found.get(env.stream_id, (None, -1))[1]:
            found[env.stream_id] = (
                env.stream_id,
                env.version,
                h.holder,
                h.liaison,
                sorted(h.steps),
                sorted(h.approvers),
            )
    return found


async def index(conn, schema: str, events: list[tuple[Envelope, int]], table: str = TABLE) -> int:
    """Keep the latest holding of each stream of these events; how many streams were stated.
    (One row per stream in one statement: ON CONFLICT cannot touch a row twice.)"""
    rows = list(latest(events).values())
    if rows:
        await conn.execute(
            f"INSERT INTO {schema}.{table} AS t SELECT s.id, s.v, s.h, s.l, "
            f"string_to_array(s.st, E'\\x1f'), string_to_array(s.ap, E'\\x1f') "
            f"FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) "
            f"AS s(id, v, h, l, st, ap) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, "
            f"holder = excluded.holder, liaison = excluded.liaison, steps = excluded.steps, "
            f"approvers = excluded.approvers WHERE t.version < excluded.version",
            *_columns(rows),
        )
    return len(rows)


def _columns(rows: list[tuple]) -> list[list]:
    """unnest cannot take arrays of arrays of different lengths: each set of codes is one text
    joined by the unit separator (a catalogue code never holds it)."""
    ids, versions, holders, liaisons, steps, approvers = map(list, zip(*rows))
    return [ids, versions, holders, liaisons, ["\x1f".join(s) for s in steps], ["\x1f".join(a) for a in approvers]]


async def holdings(conn, schema: str, stream_ids: Iterable[str]) -> dict[str, Holding]:
    """The holding of each stream whose holding is known (a timer stream's is its aggregate's)."""
    files = {s: file_of(s) for s in stream_ids}
    rows = await conn.fetch(
        f"SELECT stream_id, holder, liaison, steps, approvers FROM {schema}.{TABLE} WHERE stream_id = ANY($1::text[])",
        sorted(set(files.values())),
    )
    known = {
        r["stream_id"]: Holding(r["holder"], r["liaison"], frozenset(r["steps"]), frozenset(r["approvers"]))
        for r in rows
    }
    return {s: known[f] for s, f in files.items() if f in known}


@dataclass(frozen=True)
class Reader:
    """A caller and the organisation that says what it may know; `everything()` for audit's own
    work (a rebuild, a benchmark) that answers no caller."""

    principal: Principal | None
    org: Organisation

    @classmethod
    def everything(cls) -> Reader:
        return cls(None, Organisation())

    @property
    def sees_everything(self) -> bool:
        return self.principal is None or self.org.sees_everything(self.principal)

    async def knowable(self, conn, schema: str, stream_ids: Iterable[str]) -> set[str]:
        """The streams among `stream_ids` this reader may know (`kernel.domain.access.may_know`)."""
        ids = set(stream_ids)
        if self.sees_everything or not ids:
            return ids
        held = await holdings(conn, schema, ids)
        return {s for s in ids if may_know(self.principal, held.get(s), self.org)}

    async def may_know(self, conn, schema: str, stream_id: str) -> bool:
        return stream_id in await self.knowable(conn, schema, [stream_id])
