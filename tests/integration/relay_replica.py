"""One replica of a producing service, as its own process, for tests/integration/test_relay_replicas.py.

What a service host runs that matters here: a pool on the shared schema, commands appended to
streams every replica also writes (a version conflict is retried, as a client would), and the
outbox relay (kernel.messaging.relay: one publisher per schema and topic, the others standbys).
It prints one line per change of role ("publishing" / "standby") and "wrote N" once its commands
are done, then keeps its relay running until it is stopped (SIGTERM: cleanly) or killed (SIGKILL:
nothing cleaned up, as a crashed pod). Once the file REPLICA_HANG_FILE names exists, its relay
stops between a batch's acknowledgement and the cursor's move ("acknowledged, not recorded"):
the worst moment to be killed.

    python -m tests.integration.relay_replica DATABASE_URL SCHEMA BOOTSTRAP TOPIC PARTITIONS NAME COMMANDS
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

from kernel.domain.clock import FixedClock
from kernel.domain.errors import Concurrency
from kernel.eventstore.store import EventStore, create_pool
from kernel.messaging.relay import OutboxRelay
from kernel.messaging.topics import TopicSpec
from tests.factories import clue_event

STREAMS = 8  # shared by every replica: appends race on versions
BATCH = 20  # the relay's batch: what a killed publisher may have had in flight
PAUSE = (0.002, 0.012)  # between two commands


def say(line: str) -> None:
    print(line, flush=True)


async def commands(store: EventStore, name: str, count: int) -> None:
    rng = random.Random(name)
    done = 0
    while done < count:
        stream = f"replicated-{rng.randrange(STREAMS)}"
        try:
            async with store.unit_of_work() as uow:
                version = await uow.stream_version(stream)
                await uow.append(stream, version, [clue_event(stream, summary=f"{name}-{done}")])
        except Concurrency:
            continue  # the other replica appended first: read again, as a retried command does
        done += 1
        await asyncio.sleep(rng.uniform(*PAUSE))
    say(f"wrote {done}")


async def watch(relay: OutboxRelay) -> None:
    role = None
    while True:
        now = "publishing" if relay.leading else "standby" if relay._standby else None
        if now and now != role:
            role = now
            say(now)
        await asyncio.sleep(0.01)


async def main(database_url: str, schema: str, bootstrap: str, topic: str, partitions: str, name: str, count: str):
    pool = await create_pool(database_url, min_size=1, max_size=4)
    store = EventStore(pool, schema, FixedClock())
    relay = OutboxRelay(
        store,
        bootstrap,
        TopicSpec(topic, partitions=int(partitions)),
        poll_seconds=0.01,
        marker_check_seconds=1.0,
        batch_size=BATCH,
        standby_retry_seconds=0.1,
        leader_check_seconds=0.2,
    )
    hang_file, save_cursor = Path(os.environ.get("REPLICA_HANG_FILE", "/nonexistent")), relay._save_cursor

    async def hang_before_recording(*args):
        if hang_file.exists():
            say("acknowledged, not recorded")
            await asyncio.Event().wait()  # until killed
        return await save_cursor(*args)

    relay._save_cursor = hang_before_recording
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    tasks = [
        asyncio.create_task(relay.run()),
        asyncio.create_task(watch(relay)),
        asyncio.create_task(commands(store, name, int(count))),
    ]
    await stop.wait()
    await relay.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
