"""One command path for every aggregate: load once, fold once, decide, append, keep in step.

An aggregate is a pure decider (`initial`, `evolve`, `decide`, in its service's `domain/`) plus
what this runner needs around it: how its events are linked, what a command is admitted on (the
seam for an access policy), what it keeps in step in the same transaction (its timers, its
projection rows) and which command each of its timers stands for. Servicers, process managers,
batches and timer firings all call `CommandRunner`; it reads the aggregate's stream (and its timer
stream, when the aggregate folds timer events) once, folds once, lets `decide` judge the command,
appends with the version it read, evolves only the new events and runs the aggregate's hooks,
inside the caller's unit of work. `run` wraps that in `run_once`, so a retried request returns its
first result. Commands and firings on one aggregate take its advisory lock, one at a time.

The runner never sees protobuf: a `Codec` from the service's adapters turns domain events into
payloads and back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from kernel.domain.access import Holding, Organisation, holding_links, may_know
from kernel.domain.errors import Concurrency, IllegalState, NotFound
from kernel.domain.ids import aggregate_of, check_stream_id, timer_stream_id
from kernel.domain.principal import Principal
from kernel.domain.recusal import Concerned, check_act, check_read
from kernel.edge.mapping import Codec
from kernel.eventstore.commands import CommandContext, run_once
from kernel.eventstore.envelope import Link, instant, parse
from kernel.eventstore.store import EventStore, StoredEvent, UnitOfWork
from kernel.eventstore.timers import DueTimer
from kernel.runtime import log as klog

S = TypeVar("S")


class Recorded(NamedTuple):
    """A stored domain event: the event, its domain time, its version in its own stream."""

    event: Any
    at: datetime
    version: int


@dataclass
class History(Generic[S]):
    """What was loaded: the records (own and timer stream, in store order), the folded state, and
    the own stream's version (0 for a stream not yet written)."""

    stream_id: str
    records: list[Recorded]
    state: S
    version: int


@dataclass
class Change(Generic[S]):
    """What one command did: the history it was decided on, the new events, their stored rows and
    the state and records after them."""

    before: History[S]
    events: list
    stored: list[StoredEvent]
    state: S
    records: list[Recorded] = field(default_factory=list)
    now: datetime | None = None
    command: Any = None

    @property
    def stream_id(self) -> str:
        return self.before.stream_id

    @property
    def version(self) -> int:
        return self.stored[-1].version if self.stored else self.before.version


class Aggregate(Generic[S]):
    """The decider and its needs; `kind` names its streams (`<kind>-<uuid>`) and NOT_FOUND. A
    subclass gives `initial`, `evolve` and `decide` (its domain's pure functions); the rest has
    defaults: no links, nothing to admit, nothing kept in step, its id, version and status."""

    kind: str = ""
    folds_timer_stream: bool = False  # fold `<kind>-timers-<uuid>` too (timer events change the state)
    # Who sees what (`kernel.domain.access`); None: the aggregate is not a file, open to every role
    # its operations allow.
    organisation: Organisation | None = None

    def initial(self) -> S:
        raise NotImplementedError

    def evolve(self, state: S, event) -> S:
        raise NotImplementedError

    def decide(self, command, state: S) -> list:
        raise NotImplementedError

    def links(self, state: S, event) -> tuple[Link, ...]:
        return ()

    def holding(self, state: S) -> Holding | None:
        """The file's holder, liaison, steps and approver roles in `state` (need to know); None:
        not a file, or not yet one (a stream still empty)."""
        return None

    def concerned(self, state: S) -> Concerned:
        """Who may not handle the aggregate (SL 67; `kernel.domain.recusal`): by default the person
        ids of the state's `subjects` and its `recused`, if it has them."""
        return Concerned.of(state)

    def may_know(self, principal: Principal, state: S) -> bool:
        """Whether `principal` may read or act on the aggregate in `state` (domain.md §1)."""
        org = self.organisation
        return org is None or may_know(principal, self.holding(state), org)

    def timer_command(self, event):
        """The command a due timer of this aggregate stands for (its event as scheduled), judged
        by `decide` like any other: a stale timer changes nothing because the rules say so."""
        return None

    async def admit(self, uow: UnitOfWork, ctx: CommandContext, command, state: S):
        """Checks that need the store (another aggregate's state, a lock) before `decide`; the seam
        where an access policy joins the path. It may return the command completed with what only
        the store knows (read in the command's transaction, e.g. another service's facts as this
        one has learnt them), which `decide` then judges; None keeps the command as it is."""

    async def keep_in_step(self, uow: UnitOfWork, ctx: CommandContext, change: Change[S]) -> None:
        """The aggregate's own rows and timers, in the command's transaction."""

    def result(self, change: Change[S]) -> dict:
        return {
            f"{self.kind}_id": change.stream_id,
            "version": change.version,
            "state": getattr(change.state, "status", ""),
        }


# A command, or how to build it once the state is known (e.g. numbering inside the transaction).
Builder = Callable[[UnitOfWork, S], Awaitable[Any]]


class CommandRunner(Generic[S]):
    def __init__(self, store: EventStore, aggregate: Aggregate[S], codec: Codec):
        self.store, self.aggregate, self.codec = store, aggregate, codec

    def stream_id(self, value: str, field_name: str) -> str:
        """`value` as this aggregate's stream id, or Validation naming `field_name`."""
        return check_stream_id(value, self.aggregate.kind, field_name)

    async def run(
        self,
        ctx: CommandContext,
        stream_id: str,
        command,
        now: datetime,
        *,
        expected_version: int = 0,
        new: bool = False,
    ) -> dict:
        """`execute` in a transaction of its own, once per request id; the aggregate's result."""

        async def work(uow: UnitOfWork) -> dict:
            change = await self.execute(uow, ctx, stream_id, command, now, expected_version=expected_version, new=new)
            return self.aggregate.result(change)

        return await run_once(self.store, ctx, work)

    async def execute(
        self,
        uow: UnitOfWork,
        ctx: CommandContext,
        stream_id: str,
        command,
        now: datetime,
        *,
        expected_version: int = 0,
        new: bool = False,
        history: History[S] | None = None,
    ) -> Change[S]:
        """Decide `command` (or what a `Builder` makes) on the aggregate and append, in `uow`. A
        `new` stream is not read: its append at version 0 conflicts if it exists after all."""
        if not new:
            await self._lock(uow, stream_id)
        before = history or (
            History(stream_id, [], self.aggregate.initial(), 0) if new else await self.load(uow, stream_id)
        )
        if expected_version and expected_version != before.version:
            raise Concurrency(stream_id, expected_version, before.version)
        a = self.aggregate
        if not new:
            self.check_known(ctx.principal, before)
            # SL 67: nobody acts on a file about themselves or one they are recused from
            check_act(ctx.principal, a.concerned(before.state), a.kind, stream_id)
        if callable(command):
            command = await command(uow, before.state)
        command = await a.admit(uow, ctx, command, before.state) or command
        events = a.decide(command, before.state)
        payloads = [
            ctx.new_event(i, self.codec.to_pb(e), now, links)
            for i, (e, links) in enumerate(self._links(before.state, events))
        ]
        stored = await uow.append(stream_id, before.version, payloads) if events else []
        state, records = self._after(before, events, stored, now)
        change = Change(before, events, stored, state, records, now, command)
        await a.keep_in_step(uow, ctx, change)
        if stored:  # the unit of work's log line names the stream and the state it left (issue 28)
            klog.note_change(stream_id, change.version, getattr(state, "status", None), command=_name(command))
        return change

    async def fire(self, uow: UnitOfWork, timer: DueTimer, principal: Principal, now: datetime) -> list[StoredEvent]:
        """A due timer as the aggregate's command, decided on the state folded from both streams
        and appended to the timer stream (so a firing never makes a person's command fail). The
        aggregate's lock orders it with commands: one that committed first is in the state."""
        a, aggregate_id = self.aggregate, aggregate_of(timer.stream_id)
        await self._lock(uow, aggregate_id)
        before = await self.load(uow, aggregate_id)
        command = a.timer_command(self.codec.from_pb(timer.payload))
        if command is None:
            raise IllegalState(
                f"{a.kind} {aggregate_id}",
                f"fire a {timer.payload.DESCRIPTOR.name} timer (not one of the aggregate's timer commands)",
            )
        ctx = CommandContext(principal, timer.correlation_id, "timer", timer.timer_id)
        command = await a.admit(uow, ctx, command, before.state) or command
        events = a.decide(command, before.state)
        holding = self._holding_links(before.state) if events else ()
        payloads = [
            replace(
                ctx.new_event(i, self.codec.to_pb(e), timer.due_at, _merged(timer.links, holding)),
                causation_id=timer.causation_id,
            )
            for i, e in enumerate(events)
        ]
        stored = (
            await uow.append(timer.stream_id, await uow.stream_version(timer.stream_id), payloads) if events else []
        )
        # a timer stream it does not fold leaves its state and records as they were
        state, records = (
            self._after(before, events, stored, timer.due_at)
            if a.folds_timer_stream
            else (before.state, before.records)
        )
        await a.keep_in_step(uow, ctx, Change(before, events, [], state, records, now, command))
        if stored:  # the timer's log line names the aggregate and the state the firing left (issue 28)
            klog.note_change(aggregate_id, before.version, getattr(state, "status", None), command=_name(command))
        return stored

    def check_known(self, principal: Principal, history: History[S]) -> None:
        """NOT_FOUND, in the words of an unknown id, unless `principal` may know the aggregate."""
        if not self.aggregate.may_know(principal, history.state):
            raise NotFound(self.aggregate.kind, history.stream_id)

    async def read(self, reader: UnitOfWork | EventStore, principal: Principal, stream_id: str) -> History[S]:
        """The aggregate's history for `principal` to read: NOT_FOUND unless it exists and they may
        know it, and are neither a subject nor recused (SL 67)."""
        history = await self.load(reader, stream_id)
        self.check_known(principal, history)
        check_read(principal, self.aggregate.concerned(history.state), self.aggregate.kind, stream_id)
        klog.note_read(stream_id, history.version, getattr(history.state, "status", None))
        return history

    def _links(self, state: S, events: list) -> list[tuple[Any, tuple[Link, ...]]]:
        """Each event with its own links and the holding it leaves the file in (need to know:
        audit reads who holds a file from its events)."""
        out = []
        for e in events:
            own = self.aggregate.links(state, e)
            state = self.aggregate.evolve(state, e)
            out.append((e, _merged(own, self._holding_links(state))))
        return out

    def _holding_links(self, state: S) -> tuple[Link, ...]:
        h = self.aggregate.holding(state) if self.aggregate.organisation else None
        return tuple(Link(*link) for link in holding_links(h)) if h else ()

    async def _lock(self, uow: UnitOfWork, stream_id: str) -> None:
        """Commands and timer firings on one aggregate, one at a time (a firing writes to another
        stream, so the append's version check alone would not order them)."""
        await uow.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"aggregate:{uow.store.schema}:{stream_id}"
        )

    async def load(self, reader: UnitOfWork | EventStore, stream_id: str, *, new: bool = False) -> History[S]:
        """The aggregate's history; NOT_FOUND unless it exists or `new` allows an empty one."""
        streams = [stream_id, timer_stream_id(stream_id)] if self.aggregate.folds_timer_stream else [stream_id]
        found = await reader.read_streams(streams)
        own = found.get(stream_id, [])
        if not own and not new:
            raise NotFound(self.aggregate.kind, stream_id)
        rows = sorted((e for s in streams for e in found.get(s, [])), key=lambda e: (e.order_key, e.position))
        records = self.decode(rows)
        state = self._fold(self.aggregate.initial(), [r.event for r in records])
        return History(stream_id, records, state, own[-1].version if own else 0)

    def _fold(self, state: S, events: Sequence) -> S:
        for event in events:
            state = self.aggregate.evolve(state, event)
        return state

    def _after(self, before: History[S], events: list, stored: list[StoredEvent], at: datetime):
        """The state and records once `events`, stored as `stored` at domain time `at`, are added."""
        return self._fold(before.state, events), before.records + [
            Recorded(e, at, s.version) for e, s in zip(events, stored)
        ]

    def decode(self, rows: Sequence[StoredEvent]) -> list[Recorded]:
        out = []
        for row in rows:
            env = parse(row.envelope)
            msg = self.codec.message_of(env.payload.TypeName())
            env.payload.Unpack(msg)
            out.append(Recorded(self.codec.from_pb(msg), instant(env.occurred_at), row.version))
        return out


def _merged(own: Sequence[Link], more: Sequence[Link]) -> tuple[Link, ...]:
    return tuple(own) + tuple(x for x in more if x not in own)


def _name(command: Any) -> str:
    """A command as a log line names it: its class (`RegisterClue`)."""
    return type(command).__name__
