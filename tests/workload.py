"""The concurrent writer workload that the gap-free reader and relay tests share.

Writers append to streams shared with each other (and now and then to one of their own), with
random delays inside their transactions, some transactions writing an inbox row first (so they
take their xid early) and some rolling back on purpose.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kernel.domain.errors import Concurrency
from kernel.eventstore.store import EventStore, StoredEvent, UnitOfWork
from tests.factories import clue_event


@dataclass(frozen=True)
class Mix:
    writers: int
    tx_per_writer: int
    shared_streams: int
    own_stream_share: float
    inbox_first_share: float
    rollback_share: float

    @property
    def shared(self) -> list[str]:
        return [f"shared-{i}" for i in range(self.shared_streams)]


class Rollback(Exception):
    """Raised inside a unit of work to roll it back on purpose."""


async def write_inbox_row(store: EventStore, conn, stream_id: str, consumer: str = "workload") -> None:
    """A row in the store's inbox: the transaction takes its xid before it appends."""
    await conn.execute(
        f"INSERT INTO {store.schema}.inbox (consumer, event_id, stream_id, version, digest) "
        f"VALUES ($1, $2, $3, 0, '\\x00'::bytea)",
        consumer,
        uuid.uuid4(),
        stream_id,
    )


async def random_writer(
    store: EventStore,
    w: int,
    seed: int,
    mix: Mix,
    stats: Counter,
    *,
    on_commit: Callable[[list[StoredEvent], object], None],
    on_rollback: Callable[[list], None] = lambda events: None,
    inside: Callable[[UnitOfWork], Awaitable[object]] | None = None,
) -> None:
    """One writer's transactions. `inside(uow)` runs after the append, before the late commit;
    its result goes to `on_commit(stored, result)`. Counts committed_tx, rolled_back_tx,
    conflicts, inbox_first_committed and writers_finished in `stats`."""
    rng = random.Random(seed * 1000 + w)
    for _ in range(mix.tx_per_writer):
        stream = f"own-{w}" if rng.random() < mix.own_stream_share else rng.choice(mix.shared)
        inbox_first = rng.random() < mix.inbox_first_share
        roll_back = rng.random() < mix.rollback_share
        events = [clue_event(stream) for _ in range(1 if rng.random() < 0.8 else 2)]
        try:
            async with store.unit_of_work() as uow:
                if inbox_first:
                    await write_inbox_row(store, uow.conn, stream)  # xid taken here ...
                    await asyncio.sleep(rng.uniform(0.005, 0.030))  # ... others commit meanwhile
                version = await uow.stream_version(stream)
                await asyncio.sleep(rng.uniform(0, 0.003))
                stored = await uow.append(stream, version, events)
                seen = await inside(uow) if inside else None
                await asyncio.sleep(rng.uniform(0, 0.015))  # position taken, commit late
                if roll_back:
                    raise Rollback()
        except Rollback:
            stats["rolled_back_tx"] += 1
            on_rollback(events)
            continue
        except Concurrency:
            stats["conflicts"] += 1
            continue
        stats["committed_tx"] += 1
        stats["inbox_first_committed"] += inbox_first
        on_commit(stored, seen)
    stats["writers_finished"] += 1
