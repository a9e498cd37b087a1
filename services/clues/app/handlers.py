"""Command handlers of the clues service: load, fold, decide, append — a few lines each."""
from __future__ import annotations

from clues.v1 import events_pb2
from kernel.commands import CommandContext, run_once
from kernel.envelope import Link, parse, unpack
from kernel.ids import check_stream_id
from kernel.store import EventStore
from services.clues.adapters import mapping
from services.clues.adapters.vault import InformantVault
from services.clues.domain import model


def decode(stored) -> list:
    return [mapping.event_from_pb(unpack(parse(e.envelope), events_pb2.ClueRegistered)) for e in stored]


class ClueHandlers:
    def __init__(self, store: EventStore, vault: InformantVault):
        self.store, self.vault = store, vault

    async def register(self, cmd: model.RegisterClue, informant: dict | None, ctx: CommandContext) -> dict:
        async def work(uow):
            events = model.decide(cmd, model.fold(decode(await uow.read_stream(cmd.clue_id))))
            if informant:
                await self.vault.seal(uow.conn, cmd.clue_id, informant)
            links = tuple(Link("person", s.person_id, "subject") for s in cmd.subjects)
            stored = await uow.append(cmd.clue_id, 0, [ctx.new_event(i, mapping.event_to_pb(e), cmd.received_at, links)
                                                      for i, e in enumerate(events)])
            return {"clue_id": cmd.clue_id, "version": stored[-1].version}
        return await run_once(self.store, ctx, work)

    async def get(self, clue_id: str):
        clue_id = check_stream_id(clue_id, "clue", "clue_id")
        stored = await self.store.load(clue_id, "clue")
        return model.fold(decode(stored)), stored[-1].version
