"""Command handlers of the clues service: load, fold, decide, append — one path for all commands.

Every command also keeps the clue's ledger row and its warning timers in step, in the same
transaction: entering a stage schedules the yellow and red instants of the scheme's rules
(durable timers, so warnings survive restarts and fire once) and cancels those that no longer
apply.
"""
from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Awaitable, Callable

from kernel import timers
from kernel.calendar import WorkingCalendar
from kernel.commands import CommandContext, run_once
from kernel.envelope import Link, NewEvent, new_event_id, parse
from kernel.errors import Concurrency, NotFound, Validation
from kernel.ids import check_stream_id, timer_stream_id
from kernel.store import EventStore, UnitOfWork
from services.clues.adapters import mapping
from services.clues.adapters.vault import InformantVault
from services.clues.app import ledger, numbering
from services.clues.domain import commands as c, events as ev
from services.clues.domain.decide import decide
from services.clues.domain.state import TERMINAL, Clue, evolve, fold
from services.clues.domain.warnings import Scheme, Timeline, marks, timeline

MAX_BATCH = 1000


def decode_timed(stored) -> list[tuple]:
    """(domain event, occurred_at, version) of each stored event of a clue stream."""
    out = []
    for e in stored:
        env = parse(e.envelope)
        msg = mapping.PB_OF_NAME[env.payload.TypeName()]()
        env.payload.Unpack(msg)
        out.append((mapping.event_from_pb(msg), env.occurred_at.ToDatetime(tzinfo=timezone.utc), e.version))
    return out


def decode(stored) -> list:
    return [event for event, _, _ in decode_timed(stored)]


def links_of(state: Clue, event) -> tuple[Link, ...]:
    """Every step names the clue's subjects (person dossiers) and any case it led to."""
    registered = state.registered or event
    links = tuple(Link("person", s.person_id, "subject") for s in registered.subjects)
    case_id = getattr(event, "case_id", "")
    return links + ((Link("case", case_id, "filed-as"),) if case_id else ())


class ClueHandlers:
    def __init__(self, store: EventStore, vault: InformantVault, scheme: Scheme, calendar: WorkingCalendar,
                 tz: tzinfo):
        self.store, self.vault, self.scheme, self.calendar, self.tz = store, vault, scheme, calendar, tz

    async def register(self, cmd: c.RegisterClue, informant: dict | None, ctx: CommandContext) -> dict:
        async def work(uow: UnitOfWork):
            if informant:
                await self.vault.seal(uow.conn, cmd.clue_id, informant)
            return await self.apply(uow, ctx, cmd.clue_id, [], cmd, cmd.received_at)
        return await run_once(self.store, ctx, work)

    async def register_batch(self, items: list[tuple[c.RegisterClue, dict | None]], ctx: CommandContext) -> dict:
        """All or nothing: one transaction; a problem with any clue names it (`clues[3].summary`)."""
        if not 1 <= len(items) <= MAX_BATCH:
            raise Validation("clues", f"a batch holds 1 to {MAX_BATCH} clues")

        async def work(uow: UnitOfWork):
            for k, (cmd, informant) in enumerate(items):
                try:
                    await self.apply(uow, ctx.item(k), cmd.clue_id, [], cmd, cmd.received_at)
                except Validation as e:
                    raise e.within(f"clues[{k}]") from e
                if informant:
                    await self.vault.seal(uow.conn, cmd.clue_id, informant)
            return {"clue_ids": [cmd.clue_id for cmd, _ in items]}
        return await run_once(self.store, ctx, work)

    async def handle(self, ctx: CommandContext, clue_id: str, expected_version: int, now: datetime,
                     make: Callable[[UnitOfWork, Clue], Awaitable[object]]) -> dict:
        """Run the command `make(uow, state)` builds against the clue, once per request id."""
        clue_id = check_stream_id(clue_id, "clue", "clue_id")

        async def work(uow: UnitOfWork):
            timed = await self._load(uow, clue_id)
            if expected_version and expected_version != timed[-1][2]:
                raise Concurrency(clue_id, expected_version, timed[-1][2])
            command = await make(uow, fold(e for e, _, _ in timed))
            return await self.apply(uow, ctx, clue_id, timed, command, now)
        return await run_once(self.store, ctx, work)

    async def _load(self, uow: UnitOfWork, clue_id: str) -> list[tuple]:
        stored = await uow.read_stream(clue_id)
        if not stored:
            raise NotFound("clue", clue_id)
        return decode_timed(stored)

    async def next_number(self, uow: UnitOfWork, office: str, now: datetime) -> str:
        return await numbering.next_number(uow.conn, self.store.schema, office, now.year)

    async def apply(self, uow: UnitOfWork, ctx: CommandContext, clue_id: str, timed: list[tuple], command,
                    now: datetime) -> dict:
        """Decide on the folded clue, append, then keep its ledger row and warning timers in step."""
        state = fold(e for e, _, _ in timed)
        events = decide(command, state)
        new = [ctx.new_event(i, mapping.event_to_pb(e), now, links_of(state, e)) for i, e in enumerate(events)]
        stored = await uow.append(clue_id, timed[-1][2] if timed else 0, new)
        timed = timed + [(e, now, s.version) for e, s in zip(events, stored)]
        state = fold(e for e, _, _ in timed)
        t = self.timeline(timed)
        await ledger.upsert(uow.conn, self.store.schema, state, t, stored[-1].version)
        await ledger.record_notices(uow.conn, self.store.schema, events, now)
        await self._sync_timers(uow, ctx, state, t)
        return {"clue_id": clue_id, "version": stored[-1].version, "state": state.status}

    def timeline(self, timed) -> Timeline:
        return timeline([(e, at.astimezone(self.tz), v) for e, at, v in timed], evolve, Clue())

    async def _sync_timers(self, uow: UnitOfWork, ctx: CommandContext, state: Clue, t: Timeline) -> None:
        """Warning timers for the scheme's marks of the current stage, overdue timers for open notices."""
        clue_id = state.registered.clue_id
        open_ = state.status not in TERMINAL
        warnings = {f"warn:{clue_id}:{m.key}": (m.at, ev.ClueWarningRaised(clue_id, m.colour, t.status, m.rule,
                                                                            m.deadline))
                    for m in (marks(self.scheme, t, self.calendar) if open_ else ())}
        notices = {f"notice:{clue_id}:{n}": (due, ev.SupervisionNoticeOverdue(clue_id, n, due))
                   for n, _, _, due in state.notices}
        links = (Link("clue", clue_id, "warned"),) + links_of(state, state.registered)
        for prefix, wanted in ((f"warn:{clue_id}:", warnings), (f"notice:{clue_id}:", notices)):
            await timers.sync(uow, prefix, {k: (at, mapping.event_to_pb(e)) for k, (at, e) in wanted.items()},
                              timer_stream_id(clue_id), correlation_id=ctx.correlation_id,
                              causation_id=ctx.request_id, links=links)

    async def read_informant(self, cmd: c.ReadInformant, correlation_id: str, now: datetime) -> dict:
        """The sealed identity, and on the record who read it and why (in the same transaction)."""
        clue_id = check_stream_id(cmd.clue_id, "clue", "clue_id")
        async with self.store.unit_of_work() as uow:
            stored = await uow.read_stream(clue_id)
            if not stored:
                raise NotFound("clue", clue_id)
            state = fold(decode(stored))
            [event] = decide(cmd, state)
            informant = await self.vault.open(uow.conn, clue_id)
            await uow.append(clue_id, stored[-1].version, [NewEvent(
                new_event_id(), mapping.event_to_pb(event), now, cmd.by, correlation_id, links=links_of(state, event))])
        return informant

    async def get(self, clue_id: str):
        """(state, version, timeline) of a clue."""
        clue_id = check_stream_id(clue_id, "clue", "clue_id")
        timed = decode_timed(await self.store.load(clue_id, "clue"))
        return fold(e for e, _, _ in timed), timed[-1][2], self.timeline(timed)

    async def ledger_rows(self, **filters):
        async with self.store.pool.acquire() as conn:
            return await ledger.rows(conn, self.store.schema, **filters)

    async def notices(self, **filters):
        async with self.store.pool.acquire() as conn:
            return await ledger.notices(conn, self.store.schema, **filters)
