"""Command handlers of the clues service: load, fold, decide, append — a few lines each."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from clues.v1 import events_pb2
from kernel.envelope import Link, NewEvent, derived_event_id, parse, unpack
from kernel.errors import Validation
from kernel.store import EventStore
from services.clues.adapters import mapping
from services.clues.adapters.vault import InformantVault
from services.clues.domain import model


@dataclass(frozen=True)
class CommandContext:
    request_id: str
    correlation_id: str


def decode(stored) -> list:
    return [mapping.event_from_pb(unpack(parse(e.envelope), events_pb2.ClueRegistered)) for e in stored]


def clue_id_for(request_id: str) -> str:
    """A retried registration (same request id) names the same clue."""
    return f"clue-{uuid.uuid5(uuid.NAMESPACE_URL, 'clues/register/' + request_id)}"


class ClueHandlers:
    def __init__(self, store: EventStore, vault: InformantVault):
        self.store, self.vault = store, vault

    async def register(self, cmd: model.RegisterClue, informant: dict | None, ctx: CommandContext):
        async with self.store.unit_of_work() as uow:
            state = model.fold(await self._events(uow, cmd.clue_id))
            if isinstance(state, model.Received):   # a retry of the same request
                return self._replay(cmd, state)
            events = model.decide(cmd, state)
            if informant:
                await self.vault.seal(uow.conn, cmd.clue_id, informant)
            stored = await uow.append(cmd.clue_id, 0, [self._envelope(e, i, cmd, ctx) for i, e in enumerate(events)])
        return cmd.clue_id, stored[-1].version

    @staticmethod
    def _replay(cmd: model.RegisterClue, state: model.Received):
        """A retry returns the original result; the same request id with other content is refused."""
        before = state.registered
        if (before.source, before.subjects, before.summary) != (cmd.source, cmd.subjects, cmd.summary.strip()):
            raise Validation("x-request-id", "already used for a different request; use a new request id")
        return cmd.clue_id, 1

    def _envelope(self, event, index: int, cmd, ctx: CommandContext) -> NewEvent:
        links = tuple(Link("person", s.person_id, "subject") for s in cmd.subjects)
        return NewEvent(event_id=derived_event_id(ctx.request_id, index, "clues"), payload=mapping.event_to_pb(event),
                        occurred_at=cmd.received_at, principal=cmd.by, correlation_id=ctx.correlation_id,
                        causation_id=ctx.request_id, request_id=ctx.request_id, links=links)

    async def _events(self, uow, clue_id: str):
        return decode(await uow.read_stream(clue_id))

    async def get(self, clue_id: str):
        if not clue_id.startswith("clue-"):
            raise Validation("clue_id", "must look like clue-<uuid>")
        stored = await self.store.load(clue_id, "clue")
        return model.fold(decode(stored)), stored[-1].version
