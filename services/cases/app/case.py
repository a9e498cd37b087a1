"""The case (立案审查调查) as the kernel's command runner sees it: the pure decider of `domain/`, how
its events are linked, what it admits and keeps in step.

A case's timer (trial review overdue) writes to `case-timers-<uuid>`, a measure's (expiring,
expired, detention notice overdue) to `measure-timers-<uuid>`; both fold their timer streams, so an
expiry a timer raised is part of what the next command is decided on. Every event links its case
and the case's origin clue (and the subjects as persons), so the audit replay tells one story from
the clue's receipt to the disposal.
"""

from __future__ import annotations

from dataclasses import replace

from kernel.domain.access import Holding
from kernel.domain.errors import IllegalState
from kernel.domain.ids import timer_stream_id
from kernel.domain.principal import Principal
from kernel.eventstore import timers
from kernel.eventstore.aggregate import Aggregate, Change, Codec, CommandRunner
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link
from kernel.eventstore.store import UnitOfWork
from services.cases.app import case_index, measure_ledger
from services.cases.app.access import Access
from services.cases.domain import (
    awaiting as aw,
    commands as c,
    events as ev,
    measure_duties as md,
    measures as m,
    prosecution as pr,
)
from services.cases.domain.decide import CasePolicy, decide
from services.cases.domain.state import OPEN, Case, evolve

CLOSING = (c.WithdrawCase, c.DisposeCase)


def case_links(state: Case, event=None) -> tuple[Link, ...]:
    """What every event of a case names: the case, its origin clue or case, its subjects."""
    opened = state.opened or event
    links = [Link("case", opened.case_id, "case")]
    if opened.clue_id:
        links.append(Link("clue", opened.clue_id, "origin"))
    if opened.origin_case_id:
        links.append(Link("case", opened.origin_case_id, "accountability-of"))
    if isinstance(event, ev.AccountabilityCaseOpened):
        links.append(Link("case", event.accountability_case_id, "accountability"))
    return tuple(links) + tuple(Link("person", s.person_id, "subject") for s in opened.subjects)


async def lock_case(uow: UnitOfWork, case_id: str) -> None:
    """Serialises closing a case with starting or extending its measures (two streams)."""
    await uow.conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"case:{uow.store.schema}:{case_id}"
    )


class CaseAggregate(Aggregate[Case]):
    kind = "case"
    folds_timer_stream = True
    initial = staticmethod(Case)
    evolve = staticmethod(evolve)
    links = staticmethod(case_links)

    def __init__(self, policy: CasePolicy, codec: Codec, access: Access | None = None):
        self.policy, self.codec = policy, codec
        self.runner: CommandRunner[Case] | None = None  # set by CommandRunner's owner: 一案双查 opens a case
        # set by the handlers: a case filed from a clue takes the clue's measures (SL 25, 41;
        # `clue_directory.follow_into_case`), in the filing's transaction
        self.on_filed = None
        # a detention may outlive a disposal transferring its person for prosecution, until the
        # procuratorate takes custody (IR2025 134); set from the measure duties' configuration
        self.custody_kinds: tuple[str, ...] = ("DETENTION",)
        # need to know (issue 17); without the catalogue's access every role its operations allow acts
        self.access = access or Access()
        self.organisation = access.organisation if access else None
        # the investigation stage's limit and warnings (issue 20; deploy/config/investigation.toml,
        # set by the service at start); None: no warnings' timers (tests of other rules)
        self.investigation_limits: aw.InvestigationLimits | None = None
        # the persons' reported facts (issue 24; app.person_facts.PersonFacts), which PrepareFiling and
        # DisposeCase take where the request states none; None: only what the request states
        self.person_facts = None

    def holding(self, state: Case) -> Holding | None:
        return self.access.case(state)

    def may_know(self, principal: Principal, state: Case) -> bool:
        """A partner agency (the procuratorate) knows what its feed delivered: a case disposed with a
        transfer for prosecution (issue 24; the person is checked by `prosecution.delivered`)."""
        if principal.agency in self.policy.prosecution.partner_agencies:
            return bool(state.prosecution)
        return super().may_know(principal, state)

    def decide(self, command, state: Case) -> list:
        if isinstance(command, aw.RecordInvestigationWarning):  # a timer's (issue 20)
            return aw.record_warning(command, state)
        if isinstance(command, c.OpenFiling) and not command.liaison_office:  # the catalogue's, recorded at filing
            liaison = self.access.organisation.holding(command.handling_office).liaison
            command = replace(command, liaison_office=liaison)
        return decide(command, state, self.policy)

    def timer_command(self, event):
        if isinstance(event, ev.InvestigationWarningRaised):
            return aw.RecordInvestigationWarning(event)
        if isinstance(event, ev.SupplementaryInvestigationWarning):  # SL 54 (issue 24)
            return pr.RecordSupplementaryWarning(event)
        return (
            c.RecordTrialReviewOverdue(event.case_id, event.due) if isinstance(event, ev.TrialReviewOverdue) else None
        )

    async def admit(self, uow: UnitOfWork, ctx: CommandContext, command, state: Case) -> None:
        """A case is not closed over a running measure: each must be ended first (its timers, and the
        person's liberty, depend on it), but for the detention of a person the disposal transfers
        for prosecution, which the procuratorate's taking custody ends (SL 54; IR2025 134)."""
        if isinstance(command, CLOSING):
            await lock_case(uow, command.case_id)
            running = await measure_ledger.running(uow.conn, uow.store.schema, command.case_id)
            blocking = md.blocking_closure(command, running, self.custody_kinds)
            if blocking:
                raise IllegalState(f"measures still running: {', '.join(blocking)}", "close the case (end them first)")
        if isinstance(command, c.RecordActivity) and (command.measure_id or "").strip():  # SL 44 ¶2
            measure_id = command.measure_id.strip()
            found = await measure_ledger.line(uow.conn, uow.store.schema, measure_id)
            md.check_activity_measure(command.activity, command.case_id, measure_id, found)
        if self.person_facts is not None:  # issue 24: the latest reported facts, in this transaction
            return await self.person_facts.complete(uow, command, state)

    async def keep_in_step(self, uow: UnitOfWork, ctx: CommandContext, change: Change[Case]) -> None:
        state = change.state
        case_id = state.opened.case_id
        due = state.trial_review_due if state.status == "UNDER_TRIAL_REVIEW" else None
        wanted = (
            {f"review:{case_id}:{m.utc_key(due)}": (due, self.codec.to_pb(ev.TrialReviewOverdue(case_id, due)))}
            if due
            else {}
        )
        await timers.sync(
            uow,
            f"review:{case_id}:",
            wanted,
            timer_stream_id(case_id),
            correlation_id=ctx.correlation_id,
            causation_id=ctx.request_id,
            links=case_links(state),
        )
        await self._investigation_timers(uow, ctx, change)
        if state.prosecution:  # a return for supplementary investigation's warnings (SL 54; issue 24)
            wanted = {k: (at, self.codec.to_pb(w)) for k, (at, w) in pr.timers(state, self.policy.prosecution).items()}
            await timers.sync(
                uow,
                f"supplementary:{case_id}:",
                wanted,
                timer_stream_id(case_id),
                correlation_id=ctx.correlation_id,
                causation_id=ctx.request_id,
                links=case_links(state),
            )
        await case_index.keep_case(uow.conn, uow.store.schema, state, change.version)  # issue 20
        for event in change.events:
            if isinstance(event, ev.AccountabilityCaseOpened):
                await self._open_accountability(uow, ctx, change, event)
            if isinstance(event, ev.CaseFiled) and event.clue_id and self.on_filed:
                await self.on_filed(uow, ctx, event, change.now)

    async def _investigation_timers(self, uow: UnitOfWork, ctx: CommandContext, change: Change[Case]) -> None:
        """A new investigation stage sets its warnings' timers from now (issue 20); leaving the
        stages cancels them. Other changes leave them be (their times come from the stage's start)."""
        state = change.state
        if self.investigation_limits is None:
            return
        entered = aw.entered_stage(state, change.events)
        if not entered and not (change.before.state.status in aw.STAGES and state.status not in aw.STAGES):
            return
        await self.stage_timers(uow, state, change.now if entered else None, ctx.correlation_id, ctx.request_id)

    async def stage_timers(self, uow: UnitOfWork, state: Case, started_at, correlation_id: str, causation_id: str):
        """The warnings' timers of the stage the case is in, from `started_at` (None: cancel them)."""
        if self.investigation_limits is None:
            return
        wanted = aw.investigation_timers(state, started_at, self.investigation_limits) if started_at else {}
        await timers.sync(
            uow,
            f"investigation:{state.case_id}:",
            {k: (at, self.codec.to_pb(e)) for k, (at, e) in wanted.items()},
            timer_stream_id(state.case_id),
            correlation_id=correlation_id,
            causation_id=causation_id,
            links=case_links(state),
        )

    async def _open_accountability(
        self, uow: UnitOfWork, ctx: CommandContext, change: Change[Case], event: ev.AccountabilityCaseOpened
    ) -> None:
        """一案双查: the accountability case's filing opens in the same transaction, with this
        case's holding (holder and liaison) at opening."""
        command: c.OpenAccountabilityCase = change.command
        holding = self.holding(change.state)
        opening = c.OpenFiling(
            case_id=event.accountability_case_id,
            clue_id="",
            clue_number="",
            subjects=command.subjects,
            findings=event.reason,
            handling_office=holding.holder,
            proposed_by=event.opened_by,
            origin_case_id=change.state.opened.case_id,
            by=command.by,
            liaison_office=holding.liaison,
        )
        await self.runner.execute(uow, ctx.item(1), event.accountability_case_id, opening, change.now, new=True)


async def open_case(uow: UnitOfWork, cases: CommandRunner[Case], case_id: str, reader: Principal | None = None) -> Case:
    """A measure's case, locked against closing until the transaction ends, if it is open (and
    known to `reader`, when given: NOT_FOUND otherwise, as for an unknown id)."""
    await lock_case(uow, case_id)
    case = (await (cases.read(uow, reader, case_id) if reader else cases.load(uow, case_id))).state
    if case.status not in OPEN:
        raise IllegalState(f"case {case.status}", "use an investigation measure (the case is not open)")
    return case
