"""Command handlers of the cases service: load, fold, decide, append — one path for cases and
one for measures, each keeping its durable timers in step in the same transaction.

A case's timer (trial review overdue) writes to `case-timers-<uuid>`, a measure's (expiring,
expired, detention notice overdue) to `measure-timers-<uuid>`; a measure's state folds its timer
stream too, so an expiry the timer raised is part of what the next command is decided on.
Every event links its case and the case's origin clue (and the subjects as persons), so the audit
replay tells one story from the clue's receipt to the disposal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable

from kernel import timers
from kernel.commands import CommandContext, run_once
from kernel.envelope import Link, parse
from kernel.errors import Concurrency, IllegalState, NotFound, Validation
from kernel.ids import check_stream_id, timer_stream_id
from kernel.store import EventStore, UnitOfWork
from services.cases.adapters import mapping
from services.cases.app import measure_ledger
from services.cases.domain import commands as c, events as ev, measures as m
from services.cases.domain.decide import CasePolicy, decide
from services.cases.domain.state import OPEN, Case, fold


def decode(stored) -> list:
    """The domain events of stored envelopes, in their order."""
    out = []
    for e in stored:
        env = parse(e.envelope)
        msg = mapping.PB_OF_NAME[env.payload.TypeName()]()
        env.payload.Unpack(msg)
        out.append(mapping.event_from_pb(msg))
    return out


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


def measure_links(state: m.Measure, event=None) -> tuple[Link, ...]:
    requested = state.requested or event
    return (Link("case", requested.case_id, "measure-of"), Link("person", requested.person_id, "subject"))


@dataclass
class Loaded:
    """An aggregate's events (its own stream and its timer stream) and its own stream's version."""
    events: list
    version: int


CLOSING = (c.WithdrawCase, c.DisposeCase)


async def lock_case(uow: UnitOfWork, case_id: str) -> None:
    """Serialises closing a case with starting or extending its measures (two streams)."""
    await uow.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                           f"case:{uow.store.schema}:{case_id}")


async def _load(uow: UnitOfWork, stream_id: str, kind: str) -> Loaded:
    """The aggregate's events and those its timers raised, in the order they were stored."""
    streams = await uow.read_streams([stream_id, timer_stream_id(stream_id)])
    own = streams.get(stream_id, [])
    if not own:
        raise NotFound(kind, stream_id)
    both = sorted(own + streams.get(timer_stream_id(stream_id), []), key=lambda e: (e.order_key, e.position))
    return Loaded(decode(both), own[-1].version)


class CaseHandlers:
    def __init__(self, store: EventStore, policy: CasePolicy, rules: m.MeasureRules):
        self.store, self.policy, self.rules = store, policy, rules

    # -- cases ---------------------------------------------------------------------------------

    async def handle(self, ctx: CommandContext, case_id: str, expected_version: int, now: datetime,
                     make: Callable[[UnitOfWork, Case], Awaitable[object]]) -> dict:
        """Run the command `make(uow, state)` builds against the case, once per request id."""
        case_id = check_stream_id(case_id, "case", "case_id")
        return await self._handle(ctx, case_id, "case", expected_version, make, fold,
                                  lambda uow, loaded, command: self.apply_case(uow, ctx, case_id, loaded, command,
                                                                               now))

    async def _handle(self, ctx: CommandContext, stream_id: str, kind: str, expected_version: int, make, fold_,
                      apply) -> dict:
        async def work(uow: UnitOfWork):
            loaded = await _load(uow, stream_id, kind)
            if expected_version and expected_version != loaded.version:
                raise Concurrency(stream_id, expected_version, loaded.version)
            return await apply(uow, loaded, await make(uow, fold_(loaded.events)))
        return await run_once(self.store, ctx, work)

    async def apply_case(self, uow: UnitOfWork, ctx: CommandContext, case_id: str, loaded: Loaded, command,
                         now: datetime) -> dict:
        """Decide on the folded case and append; keep the trial review timer in step."""
        state = fold(loaded.events)
        if isinstance(command, CLOSING):
            await self._no_running_measures(uow, case_id)
        events = decide(command, state, self.policy)
        new = [ctx.new_event(i, mapping.event_to_pb(e), now, case_links(state, e)) for i, e in enumerate(events)]
        stored = await uow.append(case_id, loaded.version, new)
        state = fold(loaded.events + events)
        await self._sync_case_timers(uow, ctx, state)
        for event in events:
            if isinstance(event, ev.AccountabilityCaseOpened):
                await self._open_accountability(uow, ctx, state, event, command, now)
        return {"case_id": case_id, "version": stored[-1].version, "state": state.status}

    async def _no_running_measures(self, uow: UnitOfWork, case_id: str) -> None:
        """A case is not closed over a running measure: each must be ended first (its timers, and
        the person's liberty, depend on it)."""
        await lock_case(uow, case_id)
        running = await measure_ledger.running(uow.conn, self.store.schema, case_id)
        if running:
            raise IllegalState(f"measures still running: {', '.join(running)}", "close the case (end them first)")

    async def _sync_case_timers(self, uow: UnitOfWork, ctx: CommandContext, state: Case) -> None:
        case_id = state.opened.case_id
        due = state.trial_review_due if state.status == "UNDER_TRIAL_REVIEW" else None
        wanted = {f"review:{case_id}:{due.isoformat()}": (due, mapping.event_to_pb(ev.TrialReviewOverdue(case_id, due)))
                  } if due else {}
        await timers.sync(uow, f"review:{case_id}:", wanted, timer_stream_id(case_id),
                          correlation_id=ctx.correlation_id, causation_id=ctx.request_id, links=case_links(state))

    async def _open_accountability(self, uow: UnitOfWork, ctx: CommandContext, origin: Case,
                                   event: ev.AccountabilityCaseOpened, command, now: datetime) -> None:
        """一案双查: the accountability case's filing opens in the same transaction."""
        opening = c.OpenFiling(case_id=event.accountability_case_id, clue_id="", clue_number="",
                               subjects=command.subjects, findings=event.reason,
                               handling_office=command.handling_office, proposed_by=event.opened_by,
                               origin_case_id=origin.opened.case_id, by=command.by)
        await self.apply_case(uow, ctx.item(1), event.accountability_case_id, Loaded([], 0), opening, now)

    async def get_case(self, case_id: str) -> tuple[Case, int]:
        case_id = check_stream_id(case_id, "case", "case_id")
        async with self.store.unit_of_work() as uow:
            loaded = await _load(uow, case_id, "case")
        return fold(loaded.events), loaded.version

    # -- measures ------------------------------------------------------------------------------

    async def handle_measure(self, ctx: CommandContext, measure_id: str, expected_version: int, now: datetime,
                             make: Callable[[UnitOfWork, m.Measure], Awaitable[object]]) -> dict:
        """Run the command `make(uow, state)` builds against the measure, once per request id."""
        measure_id = check_stream_id(measure_id, "measure", "measure_id")
        return await self._handle(ctx, measure_id, "measure", expected_version, make, m.fold,
                                  lambda uow, loaded, command: self._apply_measure(
                                      uow, ctx, measure_id, loaded, command, now))

    async def request_measure(self, ctx: CommandContext, case_id: str, make: Callable[[Case], object],
                              now: datetime) -> dict:
        """A new measure on a subject of an open case (the case read in the same transaction)."""
        case_id = check_stream_id(case_id, "case", "case_id")

        async def work(uow: UnitOfWork):
            case = await self._open_case(uow, case_id)
            command = make(case)
            if command.person_id not in {s.person_id for s in case.subjects}:
                raise Validation("person_id", f"must be one of the case's subjects: {command.person_id!r} is not")
            return await self._apply_measure(uow, ctx, command.measure_id, Loaded([], 0), command, now)
        return await run_once(self.store, ctx, work)

    async def _open_case(self, uow: UnitOfWork, case_id: str) -> Case:
        """The measure's case, locked against closing until the transaction ends, if it is open."""
        await lock_case(uow, case_id)
        case = fold((await _load(uow, case_id, "case")).events)
        if case.status not in OPEN:
            raise IllegalState(f"case {case.status}", "use an investigation measure (the case is not open)")
        return case

    async def _apply_measure(self, uow: UnitOfWork, ctx: CommandContext, measure_id: str, loaded: Loaded, command,
                             now: datetime) -> dict:
        state = m.fold(loaded.events)
        if isinstance(command, (m.ApproveMeasure, m.ExtendMeasure)):
            await self._open_case(uow, state.requested.case_id)
        events = m.decide(command, state, self.rules)
        new = [ctx.new_event(i, mapping.event_to_pb(e), now, measure_links(state, e)) for i, e in enumerate(events)]
        stored = await uow.append(measure_id, loaded.version, new)
        state = m.fold(loaded.events + events)
        wanted = {k: (at, mapping.event_to_pb(e)) for k, (at, e) in m.timers_for(state, self.rules).items()}
        await timers.sync(uow, f"measure:{measure_id}:", {f"measure:{measure_id}:{k}": v for k, v in wanted.items()},
                          timer_stream_id(measure_id), correlation_id=ctx.correlation_id,
                          causation_id=ctx.request_id, links=measure_links(state))
        await measure_ledger.upsert(uow.conn, self.store.schema, self.ledger_row(state), stored[-1].version)
        return {"measure_id": measure_id, "version": stored[-1].version, "state": state.status}

    def ledger_row(self, state: m.Measure) -> dict:
        return m.ledger_row(state, self.rules)

    async def get_measure(self, measure_id: str) -> tuple[m.Measure, int]:
        measure_id = check_stream_id(measure_id, "measure", "measure_id")
        async with self.store.unit_of_work() as uow:
            loaded = await _load(uow, measure_id, "measure")
        return m.fold(loaded.events), loaded.version
