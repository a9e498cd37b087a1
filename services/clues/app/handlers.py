"""Command handlers of the clues service: load, fold, decide, append — one path for all commands."""
from __future__ import annotations

from datetime import datetime
from typing import Awaitable, Callable

from kernel.commands import CommandContext, run_once
from kernel.envelope import Link, NewEvent, new_event_id, parse
from kernel.errors import Concurrency, NotFound, Validation
from kernel.ids import check_stream_id
from kernel.store import EventStore, UnitOfWork
from services.clues.adapters import mapping
from services.clues.adapters.vault import InformantVault
from services.clues.app import numbering
from services.clues.domain import commands as c
from services.clues.domain.decide import decide
from services.clues.domain.state import Clue, evolve, fold


MAX_BATCH = 1000


def decode(stored) -> list:
    """Domain events of a clue stream (the payload type names the event)."""
    out = []
    for e in stored:
        env = parse(e.envelope)
        msg = mapping.PB_OF_NAME[env.payload.TypeName()]()
        env.payload.Unpack(msg)
        out.append(mapping.event_from_pb(msg))
    return out


def links_of(state: Clue, event) -> tuple[Link, ...]:
    """Every step names the clue's subjects (person dossiers) and any case it led to."""
    registered = state.registered or event
    links = tuple(Link("person", s.person_id, "subject") for s in registered.subjects)
    case_id = getattr(event, "case_id", "")
    return links + ((Link("case", case_id, "filed-as"),) if case_id else ())


class ClueHandlers:
    def __init__(self, store: EventStore, vault: InformantVault):
        self.store, self.vault = store, vault

    async def register(self, cmd: c.RegisterClue, informant: dict | None, ctx: CommandContext) -> dict:
        async def work(uow: UnitOfWork):
            if informant:
                await self.vault.seal(uow.conn, cmd.clue_id, informant)
            return await self.apply(uow, ctx, cmd.clue_id, 0, Clue(), cmd, cmd.received_at)
        return await run_once(self.store, ctx, work)

    async def register_batch(self, items: list[tuple[c.RegisterClue, dict | None]], ctx: CommandContext) -> dict:
        """All or nothing: one transaction; a problem with any clue names it (`clues[3].summary`)."""
        if not 1 <= len(items) <= MAX_BATCH:
            raise Validation("clues", f"a batch holds 1 to {MAX_BATCH} clues")

        async def work(uow: UnitOfWork):
            ids = []
            for k, (cmd, informant) in enumerate(items):
                try:
                    await self.apply(uow, ctx.item(k), cmd.clue_id, 0, Clue(), cmd, cmd.received_at)
                except Validation as e:
                    raise e.within(f"clues[{k}]") from e
                if informant:
                    await self.vault.seal(uow.conn, cmd.clue_id, informant)
                ids.append(cmd.clue_id)
            return {"clue_ids": ids}
        return await run_once(self.store, ctx, work)

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

    async def handle(self, ctx: CommandContext, clue_id: str, expected_version: int, now: datetime,
                     make: Callable[[UnitOfWork, Clue], Awaitable[object]]) -> dict:
        """Run the command `make(uow, state)` builds against the clue, once per request id."""
        clue_id = check_stream_id(clue_id, "clue", "clue_id")

        async def work(uow: UnitOfWork):
            stored = await uow.read_stream(clue_id)
            if not stored:
                raise NotFound("clue", clue_id)
            version = stored[-1].version
            if expected_version and expected_version != version:
                raise Concurrency(clue_id, expected_version, version)
            state = fold(decode(stored))
            return await self.apply(uow, ctx, clue_id, version, state, await make(uow, state), now)
        return await run_once(self.store, ctx, work)

    async def next_number(self, uow: UnitOfWork, office: str, now: datetime) -> str:
        return await numbering.next_number(uow.conn, self.store.schema, office, now.year)

    async def apply(self, uow: UnitOfWork, ctx: CommandContext, clue_id: str, version: int, state: Clue,
                     command, now: datetime) -> dict:
        events = decide(command, state)
        new = [ctx.new_event(i, mapping.event_to_pb(e), now, links_of(state, e)) for i, e in enumerate(events)]
        stored = await uow.append(clue_id, version, new)
        for e in events:
            state = evolve(state, e)
        return {"clue_id": clue_id, "version": stored[-1].version, "state": state.status}

    async def get(self, clue_id: str):
        clue_id = check_stream_id(clue_id, "clue", "clue_id")
        stored = await self.store.load(clue_id, "clue")
        return fold(decode(stored)), stored[-1].version
