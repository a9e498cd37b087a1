"""Process manager: a disposed case (`cases.v1.CaseDisposed` on `cases.events.v1`) opens a decision
for each person's combined sanction of each family and records each outcome with an impact
period; a talk or letter concluded with 诫勉 (`clues.events.v1`) records its impact (issue 21
points 1 and 3).

It acts as `system:sanctions-decisions`. Each delivery passes the inbox in the same transaction as
the decisions it opens, and every decision id derives from the source event's id, the person and
the family (or kind): a redelivery, a restart between the two, or a second instance racing it
never opens a decision twice. A command the rules refuse at opening is logged and skipped (the
consumer never stalls on it); which events concern it, and how they read as commands, is the
inbound translator's business (adapters/translators.py).
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.domain.errors import IllegalState, Validation
from kernel.domain.principal import Principal
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Envelope, instant
from kernel.messaging.follower import Follower
from services.sanctions.app.handlers import DecisionHandlers

COMPONENT = "sanctions-decisions"


class DecisionOpener(Follower):
    def __init__(self, handlers: DecisionHandlers, translate: Callable[[Envelope, Principal], list]):
        super().__init__(handlers.store, COMPONENT)
        self.handlers, self.translate = handlers, translate

    async def apply(self, uow, env: Envelope) -> None:
        commands = self.translate(env, self.principal)
        at = instant(env.occurred_at)
        runner = self.handlers.decisions
        for k, command in enumerate(commands):
            ctx = CommandContext(self.principal, env.correlation_id, f"{COMPONENT}#{k}", env.event_id)
            if await uow.stream_version(command.decision_id):  # opened already (another source event's twin)
                continue
            try:  # the rules judge before anything is written: a refused command leaves nothing behind
                change = await runner.execute(uow, ctx, command.decision_id, command, at, new=True)
            except (Validation, IllegalState) as e:  # the rules refuse it: log it, go on (never stall)
                self.log.error(
                    "decisions.refused_at_opening",
                    decision_id=command.decision_id,
                    source_event_id=env.event_id,
                    command=type(command).__name__,
                    problem=str(e),
                )
                continue
            self.log.info(
                "decisions.opened",
                decision_id=command.decision_id,
                case_id=change.state.case_id,
                person_id=change.state.person_id,
                state=change.state.status,
            )
