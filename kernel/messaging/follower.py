"""A consumer that applies each event it accepts in the inbox's transaction (a process manager,
or a service following another's answers).

The inbox decides (duplicates skipped, gaps held and reported); `apply` acts on each accepted
event in the same unit of work, so an event's effect and its being remembered commit together:
redelivery, restarts and racing instances change nothing twice. A version conflict with a user's
concurrent command is retried from the start.
"""

from __future__ import annotations

from kernel.domain.errors import Concurrency
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import Envelope
from kernel.eventstore.store import EventStore, UnitOfWork
from kernel.messaging.inbox import Inbox, Source
from kernel.runtime import log as klog

ATTEMPTS = 5


class Follower:
    def __init__(self, store: EventStore, component: str):
        self.store, self.component = store, component
        self.inbox = Inbox(store.schema, component)
        self.on_gap = None  # set by the consumer: asks the producer to republish a range
        self.principal = Principal.system(component)
        self.log = klog.get(component)

    async def apply(self, uow: UnitOfWork, env: Envelope) -> None:
        raise NotImplementedError

    async def record(self, raw: bytes, source: Source) -> None:
        for attempt in range(ATTEMPTS):
            try:
                async with self.store.unit_of_work() as uow:
                    outcome = await self.inbox.receive(uow.conn, raw, source)
                    for accepted in outcome.accepted:
                        await self.apply(uow, accepted.envelope)
                break
            except Concurrency:  # a user's command moved the aggregate meanwhile: read it again
                if attempt == ATTEMPTS - 1:
                    raise
        if outcome.gap and self.on_gap:
            try:
                await self.on_gap(source.topic, *outcome.gap)
            except Exception as e:  # noqa: BLE001 - the gap stays held; the sweeper asks again
                self.log.warning(
                    "follower.gap_request_failed", component=self.component, stream_id=outcome.gap[0], error=repr(e)
                )
