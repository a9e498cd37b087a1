"""Follows the cases service's answers to filing proposals (`cases.events.v1`).

`CaseFiled` moves the clue to CASE_FILED, `FilingRejected` back to REPORTED with the reason. The
clues service never decides a filing itself. Each delivery passes the inbox in the same
transaction as its effect on the clue, so redelivery changes nothing; the clue's events take
their ids from the cases event's id and act as `system:clues-filings`.
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Envelope, instant
from kernel.messaging.follower import Follower
from services.clues.app.handlers import ClueHandlers
from services.clues.domain.state import AWAITING_FILING

COMPONENT = "clues-filings"


class FilingFollower(Follower):
    def __init__(self, handlers: ClueHandlers, translate: Callable[[Envelope], object | None]):
        """`translate`: a cases event as the clue's command, or None (adapters/translators.py)."""
        super().__init__(handlers.store, COMPONENT)
        self.handlers, self.translate = handlers, translate

    async def apply(self, uow, env: Envelope) -> None:
        command = self.translate(env)
        if command is None:
            return
        history = await self.handlers.load(uow, command.clue_id)
        if history.state.status != AWAITING_FILING:  # unknown clue, or already moved: record and go on
            self.log.warning(
                "filings.clue_not_awaiting_filing",
                clue_id=command.clue_id,
                state=history.state.status,
                event_type=env.event_type,
                event_id=env.event_id,
            )
            return
        ctx = CommandContext(self.principal, env.correlation_id, COMPONENT, env.event_id)
        change = await self.handlers.clues.execute(
            uow, ctx, command.clue_id, command, instant(env.occurred_at), history=history
        )
        self.log.debug("filings.clue_moved", clue_id=command.clue_id, state=change.state.status, cause=env.event_type)
