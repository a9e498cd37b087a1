"""The cases service's use cases on the kernel's one command path (`kernel.eventstore.aggregate`).

Cases and measures each have their aggregate (`services.cases.app.case`); what is special here is
only a new measure, which needs its open case read (and locked) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from kernel.domain.access import Holding
from kernel.domain.errors import Validation
from kernel.domain.ids import check_stream_id
from kernel.domain.principal import Principal
from kernel.eventstore.aggregate import Builder, CommandRunner
from kernel.eventstore.commands import CommandContext, run_once
from kernel.eventstore.store import EventStore, UnitOfWork
from services.cases.app import clue_directory
from services.cases.app.access import Access
from services.cases.app.case import CaseAggregate, open_case
from services.cases.app.measure import MeasureAggregate
from services.cases.app.person_facts import PersonFacts
from services.cases.domain import before_filing, measures as m
from services.cases.domain.decide import CasePolicy
from services.cases.domain.state import Case


class CaseHandlers:
    def __init__(
        self, store: EventStore, policy: CasePolicy, rules: m.MeasureRules, codec, access: Access | None = None
    ):
        """`access`: need to know from the catalogue (issue 17); None only in tests of other rules."""
        self.store, self.policy, self.rules = store, policy, rules
        case = CaseAggregate(policy, codec, access)
        case.custody_kinds = rules.duties.custody_kinds  # IR2025 134
        self.cases = case.runner = CommandRunner(store, case, codec)
        self.measures = CommandRunner(store, MeasureAggregate(rules, codec, self.cases, access), codec)
        self.access = case.access
        # the persons' facts as their sources report them (issue 24), read by the filing and disposal
        self.person_facts = case.person_facts = PersonFacts(store, codec)
        # a case filed from a clue takes the measures taken on the clue before filing (SL 25, 41)
        case.on_filed = partial(clue_directory.follow_into_case, self.measures)

    async def handle(
        self, ctx: CommandContext, case_id: str, expected_version: int, now: datetime, command: object | Builder
    ) -> dict:
        """Run a command (or what `command(uow, state)` builds) on the case, once per request id."""
        return await self.cases.run(
            ctx, self.cases.stream_id(case_id, "case_id"), command, now, expected_version=expected_version
        )

    async def handle_measure(
        self, ctx: CommandContext, measure_id: str, expected_version: int, now: datetime, command: object | Builder
    ) -> dict:
        return await self.measures.run(
            ctx, self.measures.stream_id(measure_id, "measure_id"), command, now, expected_version=expected_version
        )

    async def request_measure(
        self, ctx: CommandContext, case_id: str, make: Callable[[Case, Holding], m.RequestMeasure], now: datetime
    ) -> dict:
        """A new measure on a subject of an open case the caller may know (the case read and locked in
        the same transaction), held by the case's holder with its liaison (`make` gets the case's
        holding)."""
        case_id = self.cases.stream_id(case_id, "case_id")

        async def work(uow: UnitOfWork):
            case = await open_case(uow, self.cases, case_id, ctx.principal)
            command = make(case, self.cases.aggregate.holding(case))
            if command.person_id not in {s.person_id for s in case.subjects}:
                raise Validation("person_id", f"must be one of the case's subjects: {command.person_id!r} is not")
            change = await self.measures.execute(uow, ctx, command.measure_id, command, now, new=True)
            return self.measures.aggregate.result(change)

        return await run_once(self.store, ctx, work)

    async def request_measure_on_clue(
        self, ctx: CommandContext, clue_id: str, make: Callable[[Holding], m.RequestMeasure], now: datetime
    ) -> dict:
        """A new measure before filing (SL 25, 41) on a subject of a clue under preliminary check that
        the caller may know (its directory row locked against the filing in the same transaction),
        held by the clue's holding office with its liaison (`make` gets the clue's holding)."""
        clue_id = check_stream_id(clue_id, "clue", "clue_id")

        async def work(uow: UnitOfWork):
            clue = await clue_directory.known_clue(uow, clue_id, ctx.principal, self.access.organisation)
            command = make(clue_directory.holding(clue, self.access.organisation))
            m.check_target(command.case_id, command.clue_id)
            before_filing.check_request(clue, command.person_id, command.kind)
            change = await self.measures.execute(uow, ctx, command.measure_id, command, now, new=True)
            return self.measures.aggregate.result(change)

        return await run_once(self.store, ctx, work)

    def ledger_row(self, state: m.Measure) -> dict:
        return m.ledger_row(state, self.rules)

    async def get_case(self, reader: Principal, case_id: str) -> tuple[Case, int]:
        """The case, if `reader` may know it (NOT_FOUND otherwise, as for an unknown id)."""
        history = await self.cases.read(self.store, reader, self.cases.stream_id(case_id, "case_id"))
        return history.state, history.version

    async def get_measure(self, reader: Principal, measure_id: str) -> tuple[m.Measure, int]:
        history = await self.measures.read(self.store, reader, self.measures.stream_id(measure_id, "measure_id"))
        return history.state, history.version
