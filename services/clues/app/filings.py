"""Follows the cases service's answers to filing proposals (`cases.events.v1`).

`CaseFiled` moves the clue to CASE_FILED, `FilingRejected` back to REPORTED with the reason. The
clues service never decides a filing itself. Each delivery passes the inbox in the same
transaction as its effect on the clue, so redelivery changes nothing; the clue's events take
their ids from the cases event's id and act as `system:clues-filings`.
"""
from __future__ import annotations

from datetime import timezone

from cases.v1 import events_pb2 as cases_pb2
from kernel.commands import CommandContext
from kernel.envelope import Envelope, instant, unpack
from kernel.follower import Follower
from services.clues.app.handlers import ClueHandlers
from services.clues.domain import commands as c
from services.clues.domain.state import AWAITING_FILING

COMPONENT = "clues-filings"


class FilingFollower(Follower):
    def __init__(self, handlers: ClueHandlers):
        super().__init__(handlers.store, COMPONENT)
        self.handlers = handlers

    async def apply(self, uow, env: Envelope) -> None:
        command = self._command(env)
        if command is None:
            return
        history = await self.handlers.load(uow, command.clue_id)
        if history.state.status != AWAITING_FILING:   # unknown clue, or already moved: record and go on
            self.log.warning("filings.clue_not_awaiting_filing", clue_id=command.clue_id, state=history.state.status,
                             event_type=env.event_type, event_id=env.event_id)
            return
        ctx = CommandContext(self.principal, env.correlation_id, COMPONENT, env.event_id)
        change = await self.handlers.clues.execute(uow, ctx, command.clue_id, command, instant(env.occurred_at),
                                                   history=history)
        self.log.info("filings.clue_moved", clue_id=command.clue_id, state=change.state.status, cause=env.event_type)

    @staticmethod
    def _command(env: Envelope):
        if env.event_type == cases_pb2.CaseFiled.DESCRIPTOR.full_name:
            msg = unpack(env, cases_pb2.CaseFiled)
            if not msg.clue_id:          # an accountability case (一案双查): no clue to move
                return None
            return c.RecordCaseFiled(msg.clue_id, msg.case_id, msg.filed_at.ToDatetime(tzinfo=timezone.utc))
        if env.event_type == cases_pb2.FilingRejected.DESCRIPTOR.full_name:
            msg = unpack(env, cases_pb2.FilingRejected)
            return c.RecordFilingRejected(msg.clue_id, msg.reason)
        return None
