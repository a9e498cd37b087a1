"""The investigation measure (调查措施) as the kernel's command runner sees it: the pure decider of
`domain/measures.py`, how its events are linked, what it admits (its case open, and locked against
closing) and keeps in step (its timers, its line in the office's measure ledger).
"""

from __future__ import annotations

from kernel.domain.access import Holding
from kernel.domain.errors import IllegalState, NotFound
from kernel.domain.ids import timer_stream_id
from kernel.eventstore import timers
from kernel.eventstore.aggregate import Aggregate, Change, Codec, CommandRunner
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link
from kernel.eventstore.store import UnitOfWork
from services.cases.app import case_index, clue_directory, measure_ledger
from services.cases.app.access import Access
from services.cases.app.case import open_case
from services.cases.domain import (
    before_filing,
    events as ev,
    measure_duties as md,
    measure_safeguards as ms,
    measures as m,
)
from services.cases.domain.state import Case


def measure_links(state: m.Measure, event=None) -> tuple[Link, ...]:
    """Its case (once it has one: a measure before filing gets it when attached), its clue when it
    was taken before filing (SL 25, 41), its subject."""
    requested = state.requested or event
    case_id = event.case_id if isinstance(event, ev.MeasureAttachedToCase) else requested.case_id
    links = [Link("case", case_id, "measure-of")] if case_id else []
    if requested.clue_id:
        links.append(Link("clue", requested.clue_id, "measure-of"))
    other = getattr(event, "converted_to", "") or getattr(event, "followed_by", "")  # issue 19 (SL 46, 48)
    if other:
        links.append(Link("measure", other, "converted-to" if isinstance(event, ev.MeasureEnded) else "followed-by"))
    return (*links, Link("person", requested.person_id, "subject"))


class MeasureAggregate(Aggregate[m.Measure]):
    kind = "measure"
    folds_timer_stream = True
    initial = staticmethod(m.Measure)
    evolve = staticmethod(m.evolve)
    links = staticmethod(measure_links)

    def __init__(self, rules: m.MeasureRules, codec: Codec, cases: CommandRunner[Case], access: Access | None = None):
        self.rules, self.codec, self.cases = rules, codec, cases
        self.access = access or Access()  # need to know (issue 17), as for its case
        self.organisation = access.organisation if access else None

    def holding(self, state: m.Measure) -> Holding | None:
        return self.access.measure(state, self.rules)

    def decide(self, command, state: m.Measure) -> list:
        return m.decide(command, state, self.rules)

    def _partner(self, principal) -> bool:
        return principal.agency in self.cases.aggregate.policy.prosecution.partner_agencies

    def may_know(self, principal, state: m.Measure) -> bool:
        """A partner agency (the procuratorate) knows only a detention of a case (issue 24); `admit`
        checks its case's disposal transferred the person (IR2025 134), NOT_FOUND otherwise."""
        if self._partner(principal):
            requested = state.requested
            return bool(requested and requested.case_id and requested.kind in self.rules.duties.custody_kinds)
        return super().may_know(principal, state)

    def timer_command(self, event):
        if isinstance(event, ev.DetentionNoticeOverdue):
            return m.RecordNoticeOverdue(event.measure_id, event.due)
        kind = {ev.MeasureExpiring: m.RecordExpiring, ev.MeasureExpired: m.RecordExpired}.get(type(event))
        return kind(event.measure_id, event.ends_at) if kind else md.timer_command(event) or ms.timer_command(event)

    async def admit(self, uow: UnitOfWork, ctx: CommandContext, command, state: m.Measure) -> None:
        if self._partner(ctx.principal):  # what the procuratorate's feed delivered (issue 24)
            case = (await self.cases.load(uow, state.requested.case_id)).state
            if not isinstance(command, md.TransferCustody) or not any(
                t.person_id == state.requested.person_id for t in case.prosecution
            ):
                raise NotFound("measure", command.measure_id)
            return
        if not isinstance(command, (m.ApproveMeasure, m.ExtendMeasure, m.RecountDetention)) or state.requested is None:
            return
        if state.requested.case_id:
            case = await open_case(uow, self.cases, state.requested.case_id)
            if isinstance(command, m.ApproveMeasure) and not case.measures_planned:
                raise IllegalState(
                    f"case {case.status} (no topic meeting on plan and measures yet: SL 42; Rules 39)",
                    "approve a measure",
                )
            return
        # before filing (SL 25, 41): approved while the clue is at a stage allowing it, extended while it is open
        clue = await clue_directory.entry(uow.conn, uow.store.schema, state.requested.clue_id, "SHARE")
        clue = clue or before_filing.ClueEntry(state.requested.clue_id)
        if isinstance(command, m.ApproveMeasure):
            before_filing.check_approval(clue, state.requested.kind)
        else:
            before_filing.check_extension(clue)

    async def keep_in_step(self, uow: UnitOfWork, ctx: CommandContext, change: Change[m.Measure]) -> None:
        state, measure_id = change.state, change.stream_id
        wanted = {
            f"measure:{measure_id}:{k}": (at, self.codec.to_pb(e))
            for k, (at, e) in m.timers_for(state, self.rules).items()
        }
        await timers.sync(
            uow,
            f"measure:{measure_id}:",
            wanted,
            timer_stream_id(measure_id),
            correlation_id=ctx.correlation_id,
            causation_id=ctx.request_id,
            links=measure_links(state),
        )
        await measure_ledger.upsert(uow.conn, uow.store.schema, m.ledger_row(state, self.rules), change.version)
        await case_index.keep_measure(uow.conn, uow.store.schema, state, self.rules)  # what it awaits (issue 20)
