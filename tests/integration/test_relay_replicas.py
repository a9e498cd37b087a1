"""Two replicas of one producing service on one schema (issue 28, point 4: beyond one machine).

Each replica is a real process (tests/integration/relay_replica.py): its own pool on the shared
schema, commands appended to the same streams as the other, and its outbox relay. Proved against
the real PostgreSQL and broker, in seconds:

* one relay publishes at a time (kernel.messaging.relay: the publisher's lock); the other stands
  by, opens no Kafka client and sends nothing;
* the publisher is SIGKILLed mid-way, twice, while both replicas take commands (a fresh replica
  replaces each killed one): first at the worst moment, a batch acknowledged by the broker and
  not yet recorded in the cursor (the standby does not take over from a publisher that is only
  stalled), then wherever it is; the standby takes over within seconds, from the stored cursor,
  without rebuilding the topic (one marker, one epoch: no whole-store republish);
* the topic holds every stored event, byte for byte, each stream in one partition never skipping
  ahead; the only repeats are what a killed publisher had acknowledged but not yet recorded (at
  most one batch per kill), and consumers' inboxes make those exactly once: replayed through two
  consumers of one group at once (the worst a rebalance can do: both handed every record), every
  event is applied once, each stream in version order, nothing left held.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import asyncpg
import pytest

from kernel.domain.clock import FixedClock
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.store import EventStore, create_pool
from kernel.messaging.inbox import Inbox, Source
from kernel.messaging.relay import NotReady, OutboxRelay
from kernel.messaging.topics import TopicSpec
from tests.integration.relay_replica import BATCH
from tests.integration.test_relay import PARTITIONS, append, check_records, read_topic, relay_state, stored_events

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = 150  # per replica; a killed one's replacement takes as many
KILLS = 2
KILL_EVERY = 60  # stored events between two kills (commands keep coming meanwhile)
TAKEOVER_SECONDS = 10.0  # bound on a standby taking over (it tries every 0.1 s)
RETRYABLE = (asyncpg.UniqueViolationError, asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


class Replica:
    """One replica process; its stdout (role lines and logs) goes to a file."""

    def __init__(self, tmp: Path, name: str, args: list[str]):
        self.name, self.out = name, tmp / f"{name}.out"
        self.hang = tmp / f"{name}.hang"
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.relay_replica", *args, name, str(COMMANDS)],
                cwd=ROOT,
                env={**os.environ, "REPLICA_HANG_FILE": str(self.hang)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def lines(self) -> list[str]:
        return self.out.read_text(errors="replace").splitlines()

    @property
    def role(self) -> str | None:
        roles = [line for line in self.lines() if line in ("publishing", "standby")]
        return roles[-1] if roles else None

    @property
    def wrote(self) -> bool:
        return any(line.startswith("wrote ") for line in self.lines())

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


async def until(predicate, what: str, timeout: float, replicas: list[Replica]) -> float:
    started = time.monotonic()
    while not await predicate():
        for r in replicas:
            assert r.proc.poll() is None, f"replica {r.name} exited ({r.proc.returncode}):\n" + "\n".join(
                r.lines()[-20:]
            )
        assert time.monotonic() - started < timeout, f"{what} not reached after {timeout} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def count(store: EventStore) -> int:
    return await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.events")


async def replay_through_two_consumers(pool, unique: str, records) -> list[tuple[str, int, str]]:
    """Every record, in offset order per partition, through two consumers of one group at once
    (each handed all of them, in batches); returns what was applied, in order."""
    inbound = EventStore(pool, f"t_{unique}_in", FixedClock())
    await inbound.migrate()
    await pool.execute(
        f"CREATE TABLE {inbound.schema}.applied (seq bigserial PRIMARY KEY, stream_id text, version bigint, "
        f"event_id text)"
    )
    ordered = sorted(records, key=lambda r: (r.partition, r.offset))
    items = [(env_mod.parse(r.value), r.value, Source("replicas", r.partition, r.offset)) for r in ordered]

    async def consumer(step: int) -> None:
        inbox = Inbox(inbound.schema, "replicated-consumer")  # one consumer name: one group
        for i in range(0, len(items), step):
            while True:
                try:
                    async with inbound.unit_of_work() as uow:
                        out = await inbox.receive_batch(uow.conn, items[i : i + step])
                        for a in out.accepted:
                            await uow.conn.execute(
                                f"INSERT INTO {inbound.schema}.applied (stream_id, version, event_id) "
                                f"VALUES ($1, $2, $3)",
                                a.envelope.stream_id,
                                a.envelope.version,
                                a.envelope.event_id,
                            )
                    break
                except RETRYABLE:
                    await asyncio.sleep(0.01)

    await asyncio.gather(consumer(10), consumer(7))
    held = await pool.fetchval(f"SELECT count(*) FROM {inbound.schema}.inbox_held")
    assert held == 0, f"{held} events still held behind a gap"
    rows = await pool.fetch(f"SELECT stream_id, version, event_id FROM {inbound.schema}.applied ORDER BY seq")
    return [(r["stream_id"], r["version"], r["event_id"]) for r in rows]


async def test_two_replicas_one_publisher_at_a_time_killed_midway_every_event_exactly_once(
    store, bootstrap, database_url, unique, tmp_path
):
    spec = TopicSpec(f"t{unique}.replicas", partitions=PARTITIONS)
    args = [database_url, store.schema, bootstrap, spec.name, str(PARTITIONS)]
    replicas = [Replica(tmp_path, "a", args), Replica(tmp_path, "b", args)]
    takeovers: list[float] = []
    try:

        async def roles_settled() -> bool:
            roles = sorted(r.role or "" for r in replicas)
            return roles == ["publishing", "standby"]

        async def marked() -> bool:  # the publisher created the topic and wrote its marker
            return bool((await relay_state(store, spec))[1])

        await until(roles_settled, "one publisher and one standby", 60, replicas)
        await until(marked, "the topic's marker", 30, replicas)
        _, epoch = await relay_state(store, spec)

        for k in range(KILLS):
            target = await count(store) + KILL_EVERY
            published = (await relay_state(store, spec))[0]

            async def mid_way(target=target, published=published) -> bool:  # writing, publishing, a standby up
                return (
                    await roles_settled()
                    and await count(store) >= target
                    and (await relay_state(store, spec))[0] != published
                )

            await until(mid_way, f"{target} events stored and some published", 60, replicas)
            [leader] = [r for r in replicas if r.role == "publishing"]
            [standby] = [r for r in replicas if r.role == "standby"]
            assert not leader.wrote or not standby.wrote, "the commands ended before the kill"
            if k == 0:  # the worst moment: acknowledged by the broker, not yet in the cursor
                leader.hang.touch()

                async def hung(leader=leader) -> bool:
                    return "acknowledged, not recorded" in leader.lines()

                await until(hung, "the publisher between an ack and its cursor", 30, replicas)
                await asyncio.sleep(1.0)  # stalled is not dead: the standby waits
                assert standby.role == "standby", "a standby took over from a live publisher"
            leader.kill()
            replicas.remove(leader)
            replicas.append(Replica(tmp_path, f"{leader.name}{k}", args))

            async def took_over(standby=standby) -> bool:
                return standby.role == "publishing"

            takeovers.append(await until(took_over, "the standby publishing", TAKEOVER_SECONDS, replicas))

        async def all_written() -> bool:
            return all(r.wrote for r in replicas)

        await until(all_written, "every replica's commands", 120, replicas)
        assert sum(r.role == "publishing" for r in replicas) == 1

        async def caught_up() -> bool:
            cursor, now = await relay_state(store, spec)
            return now == epoch and not await store.read_all(cursor, limit=1)

        await until(caught_up, "the publisher at the end of the store, in the first epoch", 60, replicas)
        stored = await stored_events(store)
        records, markers = await read_topic(bootstrap, spec.name, set(stored), quiet=1.0)
    finally:
        for r in replicas:
            r.stop()

    seen = check_records(records, stored)  # byte for byte, one partition per stream, never ahead
    assert set(seen) == set(stored), "an event never reached the topic"
    repeats = sum(n - 1 for n in seen.values())
    print(
        f"\n[replicas] events={len(stored)} records={len(records)} repeats={repeats} "
        f"takeovers={[round(t, 2) for t in takeovers]} s markers={markers}"
    )
    assert markers == 1, "a takeover rebuilt the topic (a whole-store republish)"
    assert 1 <= repeats <= KILLS * BATCH, "repeats other than the batches killed publishers had in flight"

    pool = await create_pool(database_url, min_size=1, max_size=6)
    try:
        applied = await replay_through_two_consumers(pool, unique, records)
    finally:
        await pool.close()
    assert Counter(e for _, _, e in applied) == Counter(set(stored)), "not every event applied exactly once"
    versions: dict[str, list[int]] = defaultdict(list)
    for stream, version, _ in applied:
        versions[stream].append(version)
    for stream, got in versions.items():
        assert got == list(range(1, len(got) + 1)), f"{stream} applied out of order: {got}"


async def test_a_publisher_whose_session_ends_steps_down_and_the_standby_takes_over(
    store, bootstrap, database_url, unique
):
    """In one process: the standby opens no client and refuses republish requests at once; the
    database ending the publisher's session (an operator, a failover, a cut connection) makes it
    step down within leader_check_seconds while alive, and the standby publish; stopping a
    publisher hands over too. One marker throughout, every event on the topic."""
    spec = TopicSpec(f"t{unique}.handover", partitions=PARTITIONS)
    other_pool = await create_pool(database_url, min_size=1, max_size=4)
    quick = dict(poll_seconds=0.01, marker_check_seconds=1.0, leader_check_seconds=0.1)
    # a tries again after 1 s, b every 0.1 s: b takes the lock a loses
    a = OutboxRelay(store, bootstrap, spec, standby_retry_seconds=1.0, **quick)
    b = OutboxRelay(
        EventStore(other_pool, store.schema, FixedClock()), bootstrap, spec, standby_retry_seconds=0.1, **quick
    )
    tasks: list[asyncio.Task] = []

    async def wait_for(predicate, what: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            for t in tasks:
                assert not t.done(), f"a relay ended: {t.exception()!r}"
            assert time.monotonic() < deadline, f"{what} not reached after {timeout} s"
            await asyncio.sleep(0.02)

    async def caught_up() -> bool:
        cursor, _ = await relay_state(store, spec)
        return not await store.read_all(cursor, limit=1)

    try:
        tasks.append(asyncio.create_task(a.run()))
        await wait_for(lambda: a.leading, "a publishing")
        tasks.append(asyncio.create_task(b.run()))
        await wait_for(lambda: b._standby, "b standing by")
        for i in range(6):
            await append(store, f"handover-{i % 3}", 2)
        await wait_for(lambda: a.published == 12, "a publishing the first events")
        _, epoch = await relay_state(store, spec)

        assert b._producer is None and b._consumer is None, "a standby opened a Kafka client"
        started = time.monotonic()
        with pytest.raises(NotReady, match="standby"):
            await b.republish("handover-0")
        assert time.monotonic() - started < 1.0, "a standby waited before refusing a republish"
        assert (await b.status()).counters["publishing"] == 0
        assert (await a.status()).counters["publishing"] == 1

        # The lock's transaction holds no transaction id and no snapshot between its statements:
        # it keeps nothing from VACUUM, however long it lasts.
        pid = a._leader_conn.get_server_pid()
        for _ in range(100):
            held = await store.pool.fetchrow(
                "SELECT state, backend_xid, backend_xmin FROM pg_stat_activity WHERE pid = $1", pid
            )
            if held["state"] == "idle in transaction":  # not in its check just now
                break
            await asyncio.sleep(0.01)
        assert tuple(held) == ("idle in transaction", None, None)

        await store.pool.execute("SELECT pg_terminate_backend($1)", pid)
        await wait_for(lambda: b.leading and not a.leading, "b publishing after a's session ended")
        await wait_for(lambda: a._standby, "a standing by")
        for i in range(6):
            await append(store, f"handover-{i % 3}", 1)
        deadline = time.monotonic() + 15
        while not await caught_up():
            assert time.monotonic() < deadline, "b did not publish what came after the handover"
            await asyncio.sleep(0.05)
        assert b.published == 6 and a.published == 12

        await b.stop()  # a clean stop hands over too
        await asyncio.wait_for(tasks.pop(), 10)  # b's run() ends
        await wait_for(lambda: a.leading, "a publishing again after b stopped")
        await append(store, "handover-0", 1)
        await wait_for(lambda: a.published == 13, "a publishing after b stopped")
        assert (a.takeovers, b.takeovers) == (2, 1)
        assert (await relay_state(store, spec))[1] == epoch, "a handover rebuilt the topic"
        stored = await stored_events(store)
        records, markers = await read_topic(bootstrap, spec.name, set(stored), quiet=0.5)
    finally:
        for relay in (a, b):
            await relay.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await other_pool.close()
    seen = check_records(records, stored)
    assert set(seen) == set(stored) and markers == 1
    assert sum(n - 1 for n in seen.values()) == 0, "an event was sent twice with no publisher killed mid-batch"


async def test_a_relay_that_cannot_reach_the_store_for_its_lock_says_so(store, bootstrap, database_url, unique):
    """The store down before the lock is taken: no publishing, status `retrying` saying why."""
    pool = await create_pool(database_url, min_size=1, max_size=2)
    spec = TopicSpec(f"t{unique}.nolock", partitions=1)
    relay = OutboxRelay(EventStore(pool, store.schema, FixedClock()), bootstrap, spec, standby_retry_seconds=0.05)
    await pool.close()  # every acquire now fails, as with PostgreSQL unreachable
    assert not await relay._lead() and not await relay._lead()
    status = await relay.status()
    assert status.state == "retrying" and status.counters["publishing"] == 0
    assert "publisher's lock (2 attempts)" in status.problems[0]
    assert relay._producer is None
