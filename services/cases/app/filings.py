"""The filing process manager: a clue's `FilingProposed` (on `clues.events.v1`) opens a case's
filing, which then awaits its human approvals (Party side, supervision side).

It acts as `system:cases-filing`; the approvers are recorded on the approvals themselves. Each
delivery passes the inbox in the same transaction as the filing it opens, and the case id and
event ids derive from the proposal's event id: a redelivery, a restart between the two, or a
second instance racing it never opens a second filing. A refused filing followed by a new
proposal from the same clue opens a new case.
"""
from __future__ import annotations

import uuid
from clues.v1 import events_pb2 as clues_pb2
from kernel.commands import CommandContext
from kernel.envelope import Envelope, Link, instant, unpack
from kernel.errors import IllegalState, Validation
from kernel.follower import Follower
from kernel.mapping import persons_from_pb
from services.cases.app.handlers import CaseHandlers
from services.cases.domain import commands as c, events as ev

COMPONENT = "cases-filing"


def case_id_for(proposal_event_id: str) -> str:
    return f"case-{uuid.uuid5(uuid.NAMESPACE_URL, f'filing/{proposal_event_id}')}"


class FilingOpener(Follower):
    def __init__(self, handlers: CaseHandlers):
        super().__init__(handlers.store, COMPONENT)
        self.handlers = handlers

    async def apply(self, uow, env: Envelope) -> None:
        if env.event_type != clues_pb2.FilingProposed.DESCRIPTOR.full_name:
            return
        msg = unpack(env, clues_pb2.FilingProposed)
        case_id = case_id_for(env.event_id)
        command = c.OpenFiling(case_id=case_id, clue_id=msg.clue_id, clue_number=msg.clue_number,
                               subjects=persons_from_pb(msg.subjects),
                               findings=msg.findings, handling_office=msg.handling_office,
                               proposed_by=msg.proposed_by, by=self.principal)
        ctx = CommandContext(self.principal, env.correlation_id, COMPONENT, env.event_id)
        at = instant(env.occurred_at)
        try:
            change = await self.handlers.cases.execute(uow, ctx, case_id, command, at, new=True)
        except (Validation, IllegalState) as e:   # a proposal no filing can be made of: refuse it, go on
            await self._refuse(uow, ctx, case_id, msg.clue_id, f"the proposal cannot be filed: {e}", at)
            self.log.error("filings.proposal_refused", clue_id=msg.clue_id, event_id=env.event_id, problem=str(e))
            return
        self.log.info("filings.opened", case_id=case_id, clue_id=msg.clue_id, state=change.state.status)

    async def _refuse(self, uow, ctx: CommandContext, case_id: str, clue_id: str, reason: str, at) -> None:
        """The clue must not wait forever: its filing is refused at once, with the reason, so the
        clues service sends it back to REPORTED for a corrected proposal."""
        refused = ev.FilingRejected(case_id, clue_id, reason, self.principal.user, at)
        await uow.append(case_id, 0, [ctx.new_event(0, self.handlers.cases.codec.to_pb(refused), at,
                                                    (Link("clue", clue_id, "origin"),))])
