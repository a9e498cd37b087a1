"""Follows audit's integrity-opinion requests (`audit.events.v1`; domain.md §5, seed 004).

A candidate with an open clue is answered PENDING (正在核实), and audit asks for the clue to be
fast-tracked (`IntegrityFastTrackRequested`): top priority and a supervision notice (督办) to bring it
to a conclusion before the intended date (`decide.fast_track`). Each delivery passes the inbox in
the same transaction as its effect on the clue, so a redelivery changes nothing; the clue's events
take their ids from audit's event id and act as `system:clues-fast-track`. Audit's own topic also
carries its reads and every other fact it keeps: streams other than requests' are skipped before
the inbox (`translators.follows_audit_stream`).
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.eventstore import envelope as env_mod
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Envelope, instant
from kernel.messaging.follower import Follower
from kernel.messaging.inbox import Source
from services.clues.app.handlers import ClueHandlers
from services.clues.domain.state import NONE

COMPONENT = "clues-fast-track"


class FastTrackFollower(Follower):
    def __init__(
        self,
        handlers: ClueHandlers,
        translate: Callable[[Envelope], object | None],
        follows: Callable[[str], bool],
    ):
        """`translate`: an audit event as the clue's command, or None; `follows`: whether a stream
        concerns clues at all (adapters/translators.py)."""
        super().__init__(handlers.store, COMPONENT)
        self.handlers, self.translate, self.follows = handlers, translate, follows

    async def record(self, raw: bytes, source: Source) -> None:
        if not self.follows(env_mod.parse(raw).stream_id):  # audit's reads and the like: not ours
            return
        await super().record(raw, source)

    async def apply(self, uow, env: Envelope) -> None:
        command = self.translate(env)
        if command is None:
            return
        history = await self.handlers.load(uow, command.clue_id)
        if history.state.status == NONE:  # a clue this service does not hold: record and go on
            self.log.warning("fast_track.unknown_clue", clue_id=command.clue_id, request_id=command.request_id)
            return
        ctx = CommandContext(self.principal, env.correlation_id, COMPONENT, env.event_id)
        change = await self.handlers.clues.execute(
            uow, ctx, command.clue_id, command, instant(env.occurred_at), history=history
        )
        self.log.debug(  # the unit of work's own line is the consumer's `consumer.ok`
            "fast_track.clue",
            clue_id=command.clue_id,
            request_id=command.request_id,
            events=len(change.events),  # 0: concluded, or fast-tracked for this request before
            state=change.state.status,
        )
