"""Tour rounds (巡视/巡察; seed 001, domain.md §5, issue 27) on the kernel's one command path: the
round aggregate (`services.clues.domain.tour`) on streams `tour-<uuid>`, published on
`clues.events.v1` beside the clues' events, and its problem ledger `tour_problems`.

`tour_problems` has one row per problem (round, unit, state, due date, when recorded and closed): a
function of the round's own stream, kept in the transaction of every command (the rows of the
problems it touched) and made again from the events by `python -m kernel.eventstore.rebuild
--service clues` (`projections`) with the same function. Opening a round reads it for the units'
problems still open from earlier rounds (未结账), which the event records as `carried_over`; the
ledger lists (by round, by unit across rounds, open only) query it.

A round is a file held by the office that opened it (the tour office), supervised by its liaison:
need to know (domain.md §1) as for every file, and the commission head knows every round.

A transfer of clues (巡视移交) registers them through the clues' own batch path
(`ClueHandlers.register_batch`: all or nothing) and records `TourCluesTransferred` on the round in
the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from kernel.domain.access import Holding, Organisation, may_know, visible_offices
from kernel.domain.principal import Principal
from kernel.eventstore import migrations
from kernel.eventstore.aggregate import Aggregate, Change, CommandRunner, History
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link
from kernel.eventstore.migrations import Migration
from kernel.eventstore.projections import Fold, Projection, Streams
from kernel.eventstore.store import EventStore, UnitOfWork
from services.clues.app.handlers import ClueHandlers
from services.clues.domain import commands as c, tour as t

HEAD_ROLE = "commission_head"  # knows every round, as the head of the commission
MAX_LIST = 1000
TABLE = "tour_problems"
COLUMNS = (
    "problem_id",
    "round_id",
    "number",
    "reference",
    "office",
    "liaison",
    "unit",
    "category",
    "description",
    "state",
    "responsible_unit",
    "due_at",
    "rectification",
    "opened_at",
    "recorded_at",
    "closed_at",
)
TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    problem_id       text PRIMARY KEY,
    round_id         text NOT NULL,
    number           integer NOT NULL,
    reference        text NOT NULL,
    office           text NOT NULL,   -- the office holding the round
    liaison          text NOT NULL,   -- its liaison office (need to know)
    unit             text NOT NULL,
    category         text NOT NULL,
    description      text NOT NULL,
    state            text NOT NULL,   -- RECORDED, TRANSFERRED, RECTIFIED, CLOSED
    responsible_unit text NOT NULL,
    due_at           timestamptz,
    rectification    text NOT NULL,
    opened_at        timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL,
    closed_at        timestamptz
);
CREATE INDEX IF NOT EXISTS {t}_unit ON {s}.{t} (unit, state);
CREATE INDEX IF NOT EXISTS {t}_round ON {s}.{t} (round_id, number);
"""


async def _create(conn, schema: str, table: str) -> None:
    """The live table (by the migration) or a rebuild's shadow."""
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


async def _migrate(conn, schema: str) -> None:
    await _create(conn, schema, TABLE)


MIGRATIONS = (Migration("clues.tours", 1, "tour rounds' problem ledger", _migrate),)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


def round_links(state: t.TourRound, event) -> tuple[Link, ...]:
    """Every event names its round; a transfer names the clues it registered and the persons they
    name (their dossiers)."""
    links = [Link("tour", event.round_id, "round")]
    if isinstance(event, t.TourCluesTransferred):
        links += [Link("clue", x, "transferred") for x in event.clue_ids]
        links += [Link("person", p, "subject") for p in event.person_ids]
    return tuple(links)


def problem_rows(history: History[t.TourRound], organisation: Organisation) -> list[tuple]:
    """The round's rows of `tour_problems` (COLUMNS' order), from its events alone."""
    state = history.state
    if not state.opened:
        return []
    recorded, closed = {}, {}
    for r in history.records:
        if isinstance(r.event, t.TourProblemRecorded):
            recorded[r.event.problem_id] = r.at
        elif isinstance(r.event, t.TourProblemClosed):
            closed[r.event.problem_id] = r.at
    opened_at = history.records[0].at
    liaison = organisation.holding(state.office).liaison
    o = state.opened
    return [
        (
            p.problem_id,
            o.round_id,
            p.number,
            o.reference,
            o.office,
            liaison,
            p.unit,
            p.category,
            p.description,
            p.state,
            p.responsible_unit,
            p.due_at,
            p.rectification,
            opened_at,
            recorded[p.problem_id],
            closed.get(p.problem_id),
        )
        for p in state.problems
    ]


class TourAggregate(Aggregate[t.TourRound]):
    kind = "tour"
    initial = staticmethod(t.TourRound)
    evolve = staticmethod(t.evolve)
    decide = staticmethod(t.decide)
    links = staticmethod(round_links)

    def __init__(self, organisation: Organisation):
        self.organisation = organisation

    def holding(self, state: t.TourRound) -> Holding | None:
        return self.organisation.holding(state.office) if state.opened else None

    def may_know(self, principal: Principal, state: t.TourRound) -> bool:
        return principal.role == HEAD_ROLE or may_know(principal, self.holding(state), self.organisation)

    async def admit(self, uow: UnitOfWork, ctx: CommandContext, command, state: t.TourRound):
        """Opening: the units' problems still open from earlier rounds (read in the transaction)."""
        if isinstance(command, t.OpenTourRound):
            codes = [u.code.strip() for u in command.units]
            return replace(command, carried_over=tuple(await still_open(uow.conn, uow.store.schema, codes)))
        return None

    def result(self, change: Change[t.TourRound]) -> dict:
        out = {"round_id": change.stream_id, "version": change.version}
        if isinstance(change.command, t.OpenTourRound):
            out["carried_over"] = list(change.state.opened.carried_over)
        if isinstance(change.command, t.RecordTourProblems):
            out["problem_ids"] = [e.problem_id for e in change.events]
        return out

    async def keep_in_step(self, uow: UnitOfWork, ctx: CommandContext, change: Change[t.TourRound]) -> None:
        touched = {e.problem_id for e in change.events if hasattr(e, "problem_id")}
        if not touched:
            return
        history = History(change.stream_id, change.records, change.state, change.version)
        rows = [r for r in problem_rows(history, self.organisation) if r[0] in touched]
        await upsert(uow.conn, uow.store.schema, rows)


async def upsert(conn, schema: str, rows: list[tuple]) -> None:
    names = ", ".join(COLUMNS)
    values = ", ".join(f"${i + 1}" for i in range(len(COLUMNS)))
    updates = ", ".join(f"{n} = excluded.{n}" for n in COLUMNS[1:])
    await conn.executemany(
        f"INSERT INTO {schema}.{TABLE} ({names}) VALUES ({values}) ON CONFLICT (problem_id) DO UPDATE SET {updates}",
        rows,
    )


async def still_open(conn, schema: str, units: list[str]) -> list[str]:
    """The problems of `units` not CLOSED (未结账), oldest round first, then by number."""
    rows = await conn.fetch(
        f"SELECT problem_id FROM {schema}.{TABLE} WHERE unit = ANY($1::text[]) AND state <> $2 "
        f"ORDER BY opened_at, round_id, number",
        units,
        t.CLOSED,
    )
    return [r["problem_id"] for r in rows]


@dataclass
class Tours:
    """The tour rounds' use cases over the clues service's store; `clues` registers transferred clues."""

    store: EventStore
    clues: ClueHandlers
    codec: object
    organisation: Organisation

    def __post_init__(self):
        self.aggregate = TourAggregate(self.organisation)
        self.runner: CommandRunner[t.TourRound] = CommandRunner(self.store, self.aggregate, self.codec)

    def stream_id(self, value: str) -> str:
        return self.runner.stream_id(value, "round_id")

    async def open(self, ctx: CommandContext, cmd: t.OpenTourRound, now: datetime) -> dict:
        return await self.runner.run(ctx, cmd.round_id, cmd, now, new=True)

    async def handle(self, ctx: CommandContext, round_id: str, expected_version: int, command, now: datetime) -> dict:
        """Run `command` on the round, once per request id."""
        return await self.runner.run(ctx, self.stream_id(round_id), command, now, expected_version=expected_version)

    async def transfer_clues(
        self,
        ctx: CommandContext,
        round_id: str,
        batch_reference: str,
        items: list[tuple[c.RegisterClue, dict | None]],
        now: datetime,
    ) -> dict:
        """Register the clues as RegisterClueBatch does and record the batch on the round, in one
        transaction (all or nothing)."""
        round_id = self.stream_id(round_id)

        async def record(uow: UnitOfWork, registered: list[c.RegisterClue]) -> dict:
            persons = tuple(dict.fromkeys(s.person_id for cmd in registered for s in cmd.subjects))
            command = t.RecordCluesTransferred(
                round_id, batch_reference, tuple(x.clue_id for x in registered), persons, ctx.principal
            )
            change = await self.runner.execute(
                uow, replace(ctx, operation=f"{ctx.operation}#round"), round_id, command, now
            )
            return {"version": change.version}

        return await self.clues.register_batch(items, ctx, then=record)

    async def get(self, round_id: str, reader: Principal) -> History[t.TourRound]:
        """The round's history; NOT_FOUND unless `reader` may know it."""
        return await self.runner.read(self.store, reader, self.stream_id(round_id))

    async def problems(
        self,
        reader: Principal,
        *,
        round_id: str = "",
        unit: str = "",
        ids: list[str] | None = None,
        open_only: bool = False,
        limit: int = MAX_LIST,
    ) -> list:
        """Rows of the problem ledger `reader` may know (the SQL mirror of `TourAggregate.may_know`)."""
        where, args = [], []

        def arg(value) -> str:
            args.append(value)
            return f"${len(args)}"

        if round_id:
            where.append(f"round_id = {arg(self.stream_id(round_id))}")
        if unit:
            where.append(f"unit = {arg(unit)}")
        if ids is not None:
            where.append(f"problem_id = ANY({arg(ids)}::text[])")
        if open_only:
            where.append(f"state <> {arg(t.CLOSED)}")
        seen = None if reader.role == HEAD_ROLE else visible_offices(reader, self.organisation)
        if seen is not None:
            offices = arg(sorted(seen))
            where.append(f"(office = ANY({offices}::text[]) OR liaison = ANY({offices}::text[]))")
        sql = f"SELECT * FROM {self.store.schema}.{TABLE}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY opened_at, round_id, number LIMIT {arg(limit)}"
        async with self.store.pool.acquire() as conn:
            return await conn.fetch(sql, *args)


def projections(fold: Fold, organisation: Organisation) -> tuple[Projection, ...]:
    """`tour_problems` as a projection of the round streams (`fold`: the round aggregate's, with
    the service's tour codec; `organisation`: the catalogue's, for each round's liaison)."""
    return (Projection(TABLE, TABLE, _create, Streams(fold, lambda h: problem_rows(h, organisation), "round_id")),)
