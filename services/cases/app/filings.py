"""The filing process manager: a clue's `FilingProposed` (on `clues.events.v1`) opens a case's
filing, which then awaits its human approvals (Party side, supervision side).

It acts as `system:cases-filing`; the approvers are recorded on the approvals themselves. Each
delivery passes the inbox in the same transaction as the filing it opens, and the case id and
event ids derive from the proposal's event id: a redelivery, a restart between the two, or a
second instance racing it never opens a second filing. A refused filing followed by a new
proposal from the same clue opens a new case. Which events concern it, and how they read as its
command, is the inbound translator's business (adapters/translators.py).
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.domain.errors import IllegalState, Validation
from kernel.domain.principal import Principal
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Envelope, Link, instant
from kernel.messaging.follower import Follower
from services.cases.app.handlers import CaseHandlers
from services.cases.domain import commands as c, events as ev

COMPONENT = "cases-filing"


class FilingOpener(Follower):
    def __init__(self, handlers: CaseHandlers, translate: Callable[[Envelope, Principal], c.OpenFiling | None]):
        super().__init__(handlers.store, COMPONENT)
        self.handlers, self.translate = handlers, translate

    async def apply(self, uow, env: Envelope) -> None:
        command = self.translate(env, self.principal)
        if command is None:
            return
        ctx = CommandContext(self.principal, env.correlation_id, COMPONENT, env.event_id)
        at = instant(env.occurred_at)
        try:
            change = await self.handlers.cases.execute(uow, ctx, command.case_id, command, at, new=True)
        except (Validation, IllegalState) as e:  # a proposal no filing can be made of: refuse it, go on
            await self._refuse(uow, ctx, command, f"the proposal cannot be filed: {e}", at)
            self.log.error("filings.proposal_refused", clue_id=command.clue_id, event_id=env.event_id, problem=str(e))
            return
        self.log.debug("filings.opened", case_id=command.case_id, clue_id=command.clue_id, state=change.state.status)

    async def _refuse(self, uow, ctx: CommandContext, command: c.OpenFiling, reason: str, at) -> None:
        """The clue must not wait forever: its filing is refused at once, with the reason, so the
        clues service sends it back to REPORTED for a corrected proposal."""
        refused = ev.FilingRejected(command.case_id, command.clue_id, reason, self.principal.user, at)
        await uow.append(
            command.case_id,
            0,
            [
                ctx.new_event(
                    0, self.handlers.cases.codec.to_pb(refused), at, (Link("clue", command.clue_id, "origin"),)
                )
            ],
        )
