"""The clue (问题线索) as the kernel's command runner sees it: the pure decider of `domain/`, how its
events are linked, and what every command keeps in step in the same transaction.

Every command keeps the clue's ledger row and its warning timers in step: entering a stage
schedules the yellow and red instants of the scheme's rules (durable timers, so warnings survive
restarts and fire once) and cancels those that no longer apply; an open supervision notice has
its overdue timer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo

from kernel.domain.access import Holding, Organisation
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.ids import timer_stream_id
from kernel.eventstore import timers
from kernel.eventstore.aggregate import Aggregate, Change, Codec, Recorded
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link
from kernel.eventstore.store import UnitOfWork
from services.clues.app import ledger
from services.clues.domain import commands as c, events as ev
from services.clues.domain.awaiting import Awaited, Roles, awaiting
from services.clues.domain.decide import decide
from services.clues.domain.holding import APPROVALS, holding
from services.clues.domain.state import TERMINAL, Clue, evolve
from services.clues.domain.warnings import Scheme, Timeline, marks, timeline


def links_of(state: Clue, event) -> tuple[Link, ...]:
    """Every step names the clue's subjects (person dossiers) and any case it led to."""
    registered = state.registered or event
    links = tuple(Link("person", s.person_id, "subject") for s in registered.subjects)
    case_id = getattr(event, "case_id", "")
    return links + ((Link("case", case_id, "filed-as"),) if case_id else ())


@dataclass(frozen=True)
class Access:
    """What the catalogue says about who may know a clue (domain.md §1): the organisation (liaisons,
    case management, overseeing leaders) and the roles approving each kind of proposal."""

    organisation: Organisation
    approvers: Mapping[str, frozenset[str]]
    roles: Roles = Roles()  # who performs and approves each step (what a clue awaits, issue 20)

    @classmethod
    def of(cls, catalogue) -> Access:
        """From a `kernel.edge.catalogue.Catalogue`."""
        org = catalogue.organisation
        return cls(org, {kind: catalogue.approvers(op) for kind, op in APPROVALS.items()}, roles_of(catalogue))

    def holding(self, state: Clue) -> Holding | None:
        return holding(state, self.organisation, self.approvers)


def roles_of(catalogue) -> Roles:
    """The catalogue's performers and approvers of the clue operations, and the roles only case
    management holds (its offices see every file: `sees_all`), which act on a clue wherever it is
    held."""
    ops = [name for name in catalogue.operations if name.startswith("clues.")]
    system = catalogue.organisation.system
    offices = catalogue.offices.values()
    elsewhere = {r for o in offices if not o.sees_all for r in o.roles}  # an office head is one in every office
    anywhere = frozenset(r for o in offices if o.sees_all for r in o.roles) - system - elsewhere
    return Roles(
        {op: frozenset(catalogue.operation(op).perform) for op in ops},
        {op: frozenset(catalogue.operation(op).approve) for op in ops},
        anywhere,
    )


class ClueAggregate(Aggregate[Clue]):
    kind = "clue"  # warnings and overdue notices inform: its timer stream is not folded
    initial = staticmethod(Clue)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
    links = staticmethod(links_of)

    def __init__(
        self, schema: str, scheme: Scheme, calendar: WorkingCalendar, tz: tzinfo, codec: Codec, access: Access
    ):
        self.schema, self.scheme, self.calendar, self.tz, self.codec = schema, scheme, calendar, tz, codec
        self.access, self.organisation = access, access.organisation  # the runner's need-to-know check

    def holding(self, state: Clue) -> Holding | None:
        return self.access.holding(state)

    def timer_command(self, event):
        if isinstance(event, ev.ClueWarningRaised):
            return c.RecordWarning(event.clue_id, event.colour, event.stage, event.rule, event.deadline)
        if isinstance(event, ev.SupervisionNoticeOverdue):
            return c.RecordNoticeOverdue(event.clue_id, event.notice_id, event.due_at)
        return None

    def timeline(self, records: list[Recorded]) -> Timeline:
        return timeline([(r.event, r.at.astimezone(self.tz), r.version) for r in records], evolve, Clue())

    def awaiting(self, timed_events: list[tuple]) -> list[Awaited]:
        """What the clue waits for, from its (event, at, version) triples (`domain.awaiting`)."""
        return awaiting(timed_events, self.access.roles, self.scheme, self.calendar)

    async def keep_in_step(self, uow: UnitOfWork, ctx: CommandContext, change: Change[Clue]) -> None:
        t = self.timeline(change.records)
        await ledger.upsert(uow.conn, self.schema, change.state, t, change.version, self.holding(change.state))
        await ledger.record_notices(uow.conn, self.schema, change.events, change.now)
        waits = self.awaiting([(r.event, r.at.astimezone(self.tz), r.version) for r in change.records])
        await ledger.set_awaiting(uow.conn, self.schema, change.state, waits)
        await self._sync_timers(uow, ctx, change.state, t)

    async def _sync_timers(self, uow: UnitOfWork, ctx: CommandContext, state: Clue, t: Timeline) -> None:
        """Warning timers for the scheme's marks of the current stage, overdue timers for open notices."""
        clue_id = state.registered.clue_id
        open_ = state.status not in TERMINAL
        warnings = {
            f"warn:{clue_id}:{m.key}": (m.at, ev.ClueWarningRaised(clue_id, m.colour, t.status, m.rule, m.deadline))
            for m in (marks(self.scheme, t, self.calendar) if open_ else ())
        }
        notices = {
            f"notice:{clue_id}:{n}": (due, ev.SupervisionNoticeOverdue(clue_id, n, due))
            for n, _, _, due in state.notices
        }
        links = (Link("clue", clue_id, "warned"),) + links_of(state, state.registered)
        for prefix, wanted in ((f"warn:{clue_id}:", warnings), (f"notice:{clue_id}:", notices)):
            await timers.sync(
                uow,
                prefix,
                {k: (at, self.codec.to_pb(e)) for k, (at, e) in wanted.items()},
                timer_stream_id(clue_id),
                correlation_id=ctx.correlation_id,
                causation_id=ctx.request_id,
                links=links,
            )
