"""A consumer that applies each event it accepts in the inbox's transaction (a process manager,
or a service following another's answers).

The inbox decides (duplicates skipped, gaps held and reported); `apply` acts on each accepted
event in the same unit of work, so an event's effect and its being remembered commit together:
redelivery, restarts and racing instances change nothing twice. A version conflict with a user's
concurrent command is retried from the start.

Each accepted event is a unit of work with its one log line (issue 28), said once its transaction
committed: `consumer.ok` with the consumer, the command it ran, the stream and the state it left,
the system principal and the triggering event's correlation id (bound while it is applied, so the
follower's own lines carry it too). An event that changed nothing is said at DEBUG; a duplicate or
a held delivery, not at all.

A follower whose translator is marked `acting_on(...)` names the event types it acts on
(`event_types`); its consumer passes the others by from their headers, undecoded (`pass_by`,
issue 30): they only move their streams' versions in the inbox.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import structlog

from kernel.domain.errors import Concurrency
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import Envelope
from kernel.eventstore.store import EventStore, UnitOfWork
from kernel.messaging.inbox import BatchOutcome, Inbox, Outcome, Source
from kernel.runtime import log as klog

ATTEMPTS = 5


def acting_on(*event_types: str):
    """Mark a translator `(env, ...) -> command | None` as reading only these event types: it
    answers None for the others without looking, and its follower's consumer skips them."""
    wanted = frozenset(event_types)

    def mark(translate: Callable) -> Callable:
        @functools.wraps(translate)
        def only(env: Envelope, *args):
            return translate(env, *args) if env.event_type in wanted else None

        only.event_types = wanted
        return only

    return mark


class Follower:
    def __init__(self, store: EventStore, component: str):
        self.store, self.component = store, component
        self.inbox = Inbox(store.schema, component)
        self.on_gap = None  # set by the consumer: asks the producer to republish a range
        self.principal = Principal.system(component)
        self.log = klog.get(component)

    async def apply(self, uow: UnitOfWork, env: Envelope) -> None:
        raise NotImplementedError

    @property
    def event_types(self) -> frozenset[str] | None:
        """The event types `apply` acts on, from its translator's `acting_on`; None: every one."""
        return getattr(getattr(self, "translate", None), "event_types", None)

    async def record(self, raw: bytes, source: Source) -> None:
        outcome = await self._receive(lambda conn: self.inbox.receive(conn, raw, source))
        await self._ask([outcome.gap] if outcome.gap else [], source.topic)

    async def pass_by(self, records: list[tuple[bytes, Source]]) -> None:
        """Records of events not in `event_types`, known by their headers, in one transaction:
        their streams move on; what that releases is applied."""
        outcome = await self._receive(lambda conn: self.inbox.pass_batch(conn, records))
        await self._ask(outcome.gaps, records[0][1].topic)

    async def _receive(self, decide: Callable) -> Outcome | BatchOutcome:
        """The inbox's decision and the accepted events' effects in one unit of work."""
        for attempt in range(ATTEMPTS):
            units: list[tuple[Envelope, dict, float]] = []
            try:
                async with self.store.unit_of_work() as uow:
                    outcome = await decide(uow.conn)
                    for accepted in outcome.accepted:
                        units.append(await self._apply_one(uow, accepted.envelope))
                break
            except Concurrency:  # a user's command moved the aggregate meanwhile: read it again
                if attempt == ATTEMPTS - 1:
                    raise
        for env, work, ms in units:  # committed: each unit of work's one line
            self._said(env, work, ms)
        return outcome

    async def _ask(self, gaps: list[tuple[str, int, int]], topic: str) -> None:
        """Ask the producer for what a held delivery waits for."""
        for gap in gaps if self.on_gap else ():
            try:
                await self.on_gap(topic, *gap)
            except Exception as e:  # noqa: BLE001 - the gap stays held; the sweeper asks again
                self.log.warning(
                    "follower.gap_request_failed", component=self.component, stream_id=gap[0], error=repr(e)
                )

    async def _apply_one(self, uow: UnitOfWork, env: Envelope) -> tuple[Envelope, dict, float]:
        """`apply` with a `work()` record and the event's correlation id bound; the record and the
        time taken."""
        started = time.monotonic()
        with klog.work() as work, structlog.contextvars.bound_contextvars(correlation_id=env.correlation_id):
            await self.apply(uow, env)
        return env, work, round((time.monotonic() - started) * 1000, 1)

    def _said(self, env: Envelope, work: dict, ms: float) -> None:
        """The unit of work's line: INFO if it changed a stream, else DEBUG."""
        log = klog.get("consumer")
        say = log.info if work["changes"] else log.debug
        say(
            "consumer.ok",
            consumer=self.component,
            **klog.commands(work),
            **klog.done(work),
            **klog.who(self.principal),
            correlation_id=env.correlation_id,
            trigger=env.event_type,
            event_id=env.event_id,
            ms=ms,
        )
