"""The clues service's use cases on the kernel's one command path (`kernel.eventstore.aggregate`).

Every command on a clue goes through `CommandRunner`: load once, fold once, decide, append, keep the
ledger row and timers in step (`services.clues.app.clue`). What is special here is only what the
runner cannot know: registration seals the informant beside the first event, a batch is all or
nothing, and reading the informant is itself recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Protocol

from kernel.domain.calendar import WorkingCalendar
from kernel.domain.errors import Validation
from kernel.domain.principal import Principal
from kernel.eventstore.aggregate import Builder, CommandRunner, History, Recorded
from kernel.eventstore.commands import CommandContext, run_once
from kernel.eventstore.envelope import new_event_id
from kernel.eventstore.store import EventStore, UnitOfWork
from services.clues.app import ledger, numbering
from services.clues.app.clue import Access, ClueAggregate
from services.clues.domain import awaiting, commands as c
from services.clues.domain.awaiting import Awaited
from services.clues.domain.state import Clue
from services.clues.domain.warnings import Scheme, Timeline

MAX_BATCH = 1000
# What a batch runs after its clues, in their transaction: (uow, the RegisterClue commands) -> answer.
Then = Callable[[UnitOfWork, list[c.RegisterClue]], Awaitable[dict]]


class Vault(Protocol):
    """Where informant identities are sealed (an adapter: encryption at rest)."""

    async def seal(self, conn, clue_id: str, informant: dict) -> None: ...

    async def open(self, conn, clue_id: str) -> dict: ...


class ClueHandlers:
    def __init__(
        self,
        store: EventStore,
        vault: Vault,
        scheme: Scheme,
        calendar: WorkingCalendar,
        tz: tzinfo,
        codec,
        access: Access,
    ):
        self.store, self.vault, self.scheme, self.calendar, self.tz, self.codec = (
            store,
            vault,
            scheme,
            calendar,
            tz,
            codec,
        )
        self.access = access
        self.aggregate = ClueAggregate(store.schema, scheme, calendar, tz, codec, access)
        self.clues = CommandRunner(store, self.aggregate, codec)

    async def register(self, cmd: c.RegisterClue, informant: dict | None, ctx: CommandContext) -> dict:
        async def work(uow: UnitOfWork):
            if informant:
                await self.vault.seal(uow.conn, cmd.clue_id, informant)
            change = await self.clues.execute(uow, ctx, cmd.clue_id, cmd, cmd.received_at, new=True)
            return self.aggregate.result(change)

        return await run_once(self.store, ctx, work)

    async def register_batch(
        self, items: list[tuple[c.RegisterClue, dict | None]], ctx: CommandContext, then: Then | None = None
    ) -> dict:
        """All or nothing: one transaction; a problem with any clue names it (`clues[3].summary`).
        `then(uow, registered)`, when given, runs in the same transaction once every clue is
        registered (a tour round records its transfer, issue 27); its result joins the answer."""
        if not 1 <= len(items) <= MAX_BATCH:
            raise Validation("clues", f"a batch holds 1 to {MAX_BATCH} clues")

        async def work(uow: UnitOfWork):
            for k, (cmd, informant) in enumerate(items):
                try:
                    await self.clues.execute(uow, ctx.item(k), cmd.clue_id, cmd, cmd.received_at, new=True)
                except Validation as e:
                    raise e.within(f"clues[{k}]") from e
                if informant:
                    await self.vault.seal(uow.conn, cmd.clue_id, informant)
            answer = {"clue_ids": [cmd.clue_id for cmd, _ in items]}
            return answer | (await then(uow, [cmd for cmd, _ in items]) if then else {})

        return await run_once(self.store, ctx, work)

    async def handle(
        self, ctx: CommandContext, clue_id: str, expected_version: int, now: datetime, command: object | Builder
    ) -> dict:
        """Run a command (or what `command(uow, state)` builds) on the clue, once per request id."""
        return await self.clues.run(
            ctx, self.clues.stream_id(clue_id, "clue_id"), command, now, expected_version=expected_version
        )

    async def read_informant(self, cmd: c.ReadInformant, ctx: CommandContext, now: datetime) -> dict:
        """The sealed identity, and on the record who read it and why (in the same transaction)."""
        clue_id = self.clues.stream_id(cmd.clue_id, "clue_id")
        ctx = replace(ctx, request_id=new_event_id())  # every read is a fact of its own
        async with self.store.unit_of_work() as uow:
            await self.clues.execute(uow, ctx, clue_id, cmd, now)
            return await self.vault.open(uow.conn, clue_id)

    async def next_number(self, uow: UnitOfWork, office: str, now: datetime) -> str:
        return await numbering.next_number(uow.conn, self.store.schema, office, now.year)

    async def get(self, clue_id: str, reader: Principal) -> tuple[Clue, int, Timeline]:
        """(state, version, timeline) of a clue; NOT_FOUND unless `reader` may know it."""
        return (await self.view(clue_id, reader))[:3]

    async def view(self, clue_id: str, reader: Principal) -> tuple[Clue, int, Timeline, list[Awaited]]:
        """`get`, and what the clue waits for (`domain.awaiting`)."""
        history = await self.clues.read(self.store, reader, self.clues.stream_id(clue_id, "clue_id"))
        timed = [(r.event, r.at.astimezone(self.tz), r.version) for r in history.records]
        return history.state, history.version, self.aggregate.timeline(history.records), self.aggregate.awaiting(timed)

    async def load(self, uow: UnitOfWork, clue_id: str) -> History[Clue]:
        return await self.clues.load(uow, clue_id, new=True)

    def decode(self, rows) -> list[Recorded]:
        return self.clues.decode(rows)

    def timeline(self, records: list[Recorded]) -> Timeline:
        return self.aggregate.timeline(records)

    async def backfill_holdings(self, page: int = 500) -> int:
        """Holdings of ledger rows written before they were kept (migration 2), from each clue's
        events and the catalogue; how many rows got one."""
        done, last, s = 0, "", self.store.schema
        while True:
            async with self.store.pool.acquire() as conn:
                ids = await ledger.unheld(conn, s, last, page)
            if not ids:
                return done
            for clue_id in ids:  # a row a command wrote meanwhile has its holding already
                history = await self.clues.load(self.store, clue_id)
                async with self.store.pool.acquire() as conn:
                    await ledger.set_holding(conn, s, clue_id, history.version, self.aggregate.holding(history.state))
            done, last = done + len(ids), ids[-1]

    async def refresh_awaiting(self, page: int = 500) -> int:
        """What open clues wait for, computed again from each clue's events where it may be stale:
        every open clue when the basis changed (the catalogue, warning scheme, calendar or zone:
        `domain.awaiting.basis`), else those without rows (written before migration 3). Run at
        start, before the server serves; how many clues it computed."""
        s = self.store.schema
        basis = awaiting.basis(self.access.roles, self.scheme, self.calendar, str(self.tz))
        async with self.store.pool.acquire() as conn:
            stale = await ledger.awaiting_basis(conn, s) != basis
        which = ledger.open_clues if stale else ledger.unawaited
        done, last = 0, ""
        while True:
            async with self.store.pool.acquire() as conn:
                ids = await which(conn, s, last, page)
            if not ids:
                break
            for clue_id in ids:
                async with self.store.unit_of_work() as uow:
                    history = await self.clues.load(uow, clue_id)
                    timed = [(r.event, r.at.astimezone(self.tz), r.version) for r in history.records]
                    await ledger.set_awaiting(uow.conn, s, history.state, self.aggregate.awaiting(timed))
            done, last = done + len(ids), ids[-1]
        async with self.store.pool.acquire() as conn:
            await ledger.set_awaiting_basis(conn, s, basis)
        return done

    async def awaiting_page(self, **query):
        async with self.store.pool.acquire() as conn:
            return await ledger.awaiting_page(conn, self.store.schema, **query)

    async def ledger_rows(self, **filters):
        async with self.store.pool.acquire() as conn:
            return await ledger.rows(conn, self.store.schema, **filters)

    async def notices(self, **filters):
        async with self.store.pool.acquire() as conn:
            return await ledger.notices(conn, self.store.schema, **filters)
