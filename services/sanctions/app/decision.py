"""The decision (处分决定) as the kernel's command runner sees it: the pure decider of
`services.sanctions.domain.decision`, how its events are linked, who knows it, and the tables it
keeps in step.

Every event of a decision links the decision, its case, the case's origin clue and the person
(issue 21 point 6), so audit's replay of a case continues into its decisions and execution items
and `GetHistory(decision-…)` tells the story back to the clue; the runner adds the holding it
leaves the decision in (need to know). Each command writes the decision's row of the index and its
items' rows of the execution ledger in its own transaction (`keep_in_step`).

Time (issue 22): the decision keeps its durable timers in step with its state in each command's
transaction (`decision.timers`: its period's end, each open item's overdue stages, its appeals'
decide-by dates; ids `<decision_id>/<timer>`, on the timer stream `decision-timers-<uuid>`, which
the aggregate folds, so what a timer raised is part of what the next command is decided on). A
due timer is its event's command (`decision.timer_command`), judged by `decide` like any other.
What only the store knows is filled in by `admit`, in the command's (or the firing's)
transaction: the cases open on the person within the period for EndPeriod and RetryLift (G10,
PSL 13, 26) and the case's investigators and trial reviewers for AcceptAppeal (A1, Rules 59), both
from the case directory (`case_directory`).
"""

from __future__ import annotations

from dataclasses import replace

from kernel.domain import sanctions as s
from kernel.domain.access import Holding
from kernel.domain.errors import NotFound
from kernel.domain.ids import timer_stream_id
from kernel.domain.principal import Principal
from kernel.eventstore import timers
from kernel.eventstore.aggregate import Aggregate, Change, Codec, CommandRunner
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link
from kernel.eventstore.store import EventStore, UnitOfWork
from services.sanctions.app import case_directory, decision_index, execution_ledger
from services.sanctions.app.access import Access
from services.sanctions.domain import commands as c, decision as d, events as ev, periods

TIMERS = Principal.system("sanctions-timers")  # who a timer's command is decided for


def decision_links(state: d.Decision, event=None) -> tuple[Link, ...]:
    """What every event of a decision names: the decision, its case, the origin clue, the person
    (for the first event, the event itself says them)."""
    source = state.opened or state.impact or event
    decision_id = getattr(source, "decision_id", "") or state.decision_id
    links = [Link("decision", decision_id, "decision")]
    if case_id := getattr(source, "case_id", ""):
        links.append(Link("case", case_id, "case"))
    if clue_id := getattr(source, "clue_id", ""):
        links.append(Link("clue", clue_id, "origin"))
    if person_id := getattr(source, "person_id", ""):
        links.append(Link("person", person_id, "subject"))
    return tuple(links)


class DecisionAggregate(Aggregate[d.Decision]):
    kind = "decision"
    folds_timer_stream = True  # overdue stages, lifts and period ends raised by timers (issue 22)
    initial = staticmethod(d.Decision)
    evolve = staticmethod(d.evolve)
    links = staticmethod(decision_links)

    def __init__(self, policy: d.DecisionPolicy, codec: Codec, access: Access | None = None):
        self.policy, self.codec = policy, codec
        # need to know (issue 21 point 6); without the catalogue's access every role its operations allow acts
        self.access = access or Access(rules=policy.rules)
        self.organisation = access.organisation if access else None

    def result(self, change) -> dict:
        """The command's result, with the id of a visit or appeal it created: kept with the request
        id, so a retried request answers the same id even after later ones."""
        out = super().result(change)
        for event in change.events:
            for key in ("visit_id", "appeal_id"):
                if getattr(event, key, ""):
                    out.setdefault(key, getattr(event, key))
        return out

    def holding(self, state: d.Decision) -> Holding | None:
        return self.access.decision(state)

    # the agencies that report a criminal judgment themselves (issue 24; G12): only on a decision
    # whose person the case's disposal transferred for prosecution (`admit`), NOT_FOUND otherwise
    judgment_agencies: tuple[str, ...] = ("court",)

    def may_know(self, principal: Principal, state: d.Decision) -> bool:
        if principal.agency in self.judgment_agencies:
            return bool(state.case_id and state.person_id)
        return super().may_know(principal, state)

    def decide(self, command, state: d.Decision) -> list:
        events = d.decide(command, state, self.policy)
        if isinstance(command, c.RecordImpact):  # the source's holding, stated on the record (need to know)
            events = [
                replace(e, holder=command.holder, liaison=command.liaison)
                if isinstance(e, ev.ImpactRecorded) and not e.holder
                else e
                for e in events
            ]
        return events

    def timer_command(self, event):
        return d.timer_command(event, TIMERS)

    async def admit(self, uow: UnitOfWork, ctx: CommandContext, command, state: d.Decision):
        """The command completed from the case directory, in its transaction: a government period's
        end (and a retried lift) with the cases filed on the person within the period and still
        open (G10, PSL 13, 26); an appeal's acceptance with the case's original investigators and
        trial reviewers (A1, Rules 59)."""
        conn, schema = uow.conn, uow.store.schema
        if ctx.principal.agency in self.judgment_agencies:  # what the court's feed delivered (issue 24)
            if not isinstance(command, c.RecordJudgment) or not await case_directory.transferred(
                conn, schema, state.case_id, state.person_id
            ):
                raise NotFound("decision", state.decision_id)
            return None
        if isinstance(command, (c.EndPeriod, c.RetryLift)) and state.issued and state.family == s.GOVERNMENT:
            end = periods.period_end(state) or command.on
            found = await case_directory.open_cases(conn, schema, state.person_id, state.issued.start, end)
            return replace(command, open_cases=found)
        if isinstance(command, c.AcceptAppeal) and state.case_id:
            found = await case_directory.original_handlers(conn, schema, state.case_id)
            return replace(command, original_handlers=tuple(dict.fromkeys((*command.original_handlers, *found))))
        return None

    async def keep_in_step(self, uow: UnitOfWork, ctx: CommandContext, change: Change[d.Decision]) -> None:
        if not change.events:
            return
        conn, schema = uow.conn, uow.store.schema
        await decision_index.keep(conn, schema, change.state, change.version, self.policy.rules)
        await execution_ledger.keep(conn, schema, change.state, change.version)
        await self.keep_timers(uow, change.state, ctx.correlation_id, ctx.request_id)

    async def keep_timers(self, uow: UnitOfWork, state: d.Decision, correlation_id: str, causation_id: str) -> None:
        """The decision's pending timers made exactly those its state wants (`decision.timers`):
        fired ones stay fired (each fires once), those no longer wanted are cancelled."""
        if not state.issued:  # nothing is timed before the issue, nor for an impact record
            return
        prefix = f"{state.decision_id}/"
        wanted = {f"{prefix}{k}": (at, self.codec.to_pb(e)) for k, (at, e) in d.timers(state, self.policy).items()}
        await timers.sync(
            uow,
            prefix,
            wanted,
            timer_stream_id(state.decision_id),
            correlation_id=correlation_id,
            causation_id=causation_id,
            links=decision_links(state),
        )


async def backfill_timers(store: EventStore, decisions: CommandRunner[d.Decision], page: int = 500) -> int:
    """The timers of the decisions issued before their commands kept timers (issue 22): each issued
    decision without any timer gets those its state wants (`DecisionAggregate.keep_timers`), under
    its lock, so a command meanwhile is ordered with it. Run at start, after the migrations; a
    decision with a timer (kept by its commands, or backfilled before) is left as it is. The number
    of decisions so made."""
    schema, aggregate = store.schema, decisions.aggregate
    done, last = 0, ""
    while ids := [
        r[0]
        for r in await store.pool.fetch(
            f"SELECT i.decision_id FROM {schema}.decision_index i WHERE i.decision_id > $1 "
            f"AND i.start_on IS NOT NULL AND i.family <> '' "
            f"AND NOT EXISTS (SELECT 1 FROM {schema}.timers t WHERE starts_with(t.timer_id, i.decision_id || '/')) "
            f"ORDER BY i.decision_id LIMIT $2",
            last,
            page,
        )
    ]:
        for decision_id in ids:
            async with store.unit_of_work() as uow:
                await uow.conn.execute(  # the decision's lock, as its commands and firings take it
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"aggregate:{schema}:{decision_id}"
                )
                history = await decisions.load(uow, decision_id)
                await aggregate.keep_timers(uow, history.state, f"backfill:{decision_id}", "")
        done, last = done + len(ids), ids[-1]
    return done
