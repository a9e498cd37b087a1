"""Durable timers: "at time T, emit event E on stream S" — survives restarts, fires once, cancellable.

Scheduling happens inside the caller's unit of work (so a command and the deadlines it sets commit
together). Firing happens in `TimerScheduler`: for each due timer, ONE transaction appends the
event and marks the timer fired. Two facts make a duplicate impossible:

* the append and the status change commit together — a crash in between rolls both back, and
  the next pass fires the timer again as if for the first time;
* the event id derives from the timer id, and the store is idempotent on event id — even a timer
  whose status update were lost could only append the same event again, which is a no-op.

Concurrent schedulers (several replicas, or a restarted one beside a stale one) take due timers
with `FOR UPDATE SKIP LOCKED`, so each timer is handled by one of them.

Timer events go on their own stream (`kernel.domain.ids.timer_stream_id`: `<context>-timers-<uuid>`),
never on the aggregate's command stream, so a timer firing never makes a user's command fail with
a version conflict. Appends to one timer stream are serialised by an advisory lock.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from kernel.domain.errors import PlatformError, TooLarge, Validation
from kernel.domain.ids import timer_kind
from kernel.domain.principal import Principal
from kernel.eventstore import migrations
from kernel.eventstore.envelope import Link, NewEvent, derived_event_id
from kernel.eventstore.migrations import Migration
from kernel.eventstore.store import DRIVER_DOWN, EventStore, UnitOfWork, check_identifier
from kernel.runtime import log as klog

TIMERS_SQL = """
CREATE TABLE IF NOT EXISTS {s}.timers (
    timer_id       text PRIMARY KEY,
    stream_id      text        NOT NULL,
    due_at         timestamptz NOT NULL,
    event_type     text        NOT NULL,
    payload        bytea       NOT NULL,
    links          jsonb       NOT NULL,
    correlation_id text        NOT NULL,
    causation_id   text        NOT NULL,
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fired', 'cancelled')),
    fired_event_id uuid,
    fired_at       timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS timers_pending_due ON {s}.timers (due_at) WHERE status = 'pending';
"""
MIGRATIONS = (Migration("timers", 1, "durable timers", TIMERS_SQL),)

# What a timer's envelope adds around its payload (ids, times, principal, links), generously: a
# payload that fits with it can always be appended when the timer fires.
ENVELOPE_ALLOWANCE = 4096
_COLUMNS = ("stream_id", "due_at", "event_type", "payload", "links", "correlation_id", "causation_id")


async def migrate_timers(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


def timer_event_id(timer_id: str) -> str:
    return derived_event_id(timer_id, 0, "timer")


async def schedule(
    uow: UnitOfWork,
    timer_id: str,
    due_at: datetime,
    stream_id: str,
    payload: Message,
    *,
    correlation_id: str,
    causation_id: str = "",
    links: tuple[Link, ...] = (),
) -> None:
    """Schedule `payload` on `stream_id` at `due_at`. Idempotent on `timer_id`: the same content
    again is a no-op; other content under the same id raises Validation naming `timer_id`.

    The event is raised by the scheduler, so its principal is `system:<component>`; name what
    caused the timer (the scheduling command's request or event id) in `causation_id`."""
    check_identifier(timer_id, "timer_id")
    check_identifier(stream_id, "stream_id")
    if due_at.tzinfo is None:
        raise Validation("due_at", "must carry a time zone")
    data = payload.SerializeToString(deterministic=True)
    if len(data) + ENVELOPE_ALLOWANCE > uow.store.max_event_bytes:  # refused now, not when it fires
        raise TooLarge(payload.DESCRIPTOR.name, len(data) + ENVELOPE_ALLOWANCE, uow.store.max_event_bytes)
    row = (
        stream_id,
        due_at,
        payload.DESCRIPTOR.full_name,
        data,
        json.dumps([[l.kind, l.id, l.relation] for l in links]),
        correlation_id,
        causation_id,
    )
    s = uow.store.schema
    inserted = await uow.conn.fetchval(
        f"INSERT INTO {s}.timers (timer_id, {', '.join(_COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6::jsonb, "
        f"$7, $8) ON CONFLICT (timer_id) DO NOTHING RETURNING true",
        timer_id,
        *row,
    )
    if inserted:
        return
    existing = await uow.conn.fetchrow(f"SELECT {', '.join(_COLUMNS)} FROM {s}.timers WHERE timer_id = $1", timer_id)
    if _comparable(tuple(existing)) != _comparable(row):
        raise Validation("timer_id", f"{timer_id} is already scheduled with other content")


def _comparable(row: tuple) -> tuple:
    """Row values with JSON and bytes normalised, so a stored row compares with a new one."""
    return tuple(json.loads(v) if i == 4 else bytes(v) if i == 3 else v for i, v in enumerate(row))


async def cancel(uow: UnitOfWork, timer_id: str) -> bool:
    """Cancel a pending timer; False (and nothing changed) if it already fired, was cancelled or is unknown."""
    return bool(
        await uow.conn.fetchval(
            f"UPDATE {uow.store.schema}.timers SET status = 'cancelled' WHERE timer_id = $1 AND status = 'pending' "
            f"RETURNING true",
            timer_id,
        )
    )


async def timers_with_prefix(uow: UnitOfWork, prefix: str) -> dict[str, str]:
    """Timer id -> status of every timer whose id starts with `prefix` (e.g. one aggregate's)."""
    return {timer_id: status for timer_id, (status, _, _) in (await _with_prefix(uow, prefix)).items()}


async def _with_prefix(uow: UnitOfWork, prefix: str) -> dict[str, tuple[str, datetime, bytes]]:
    rows = await uow.conn.fetch(
        f"SELECT timer_id, status, due_at, payload FROM {uow.store.schema}.timers WHERE starts_with(timer_id, $1)",
        prefix,
    )
    return {r["timer_id"]: (r["status"], r["due_at"], bytes(r["payload"])) for r in rows}


# A pending timer row not being fired right now: a firing holds its row (FOR UPDATE) and then waits
# for the aggregate's lock, which the command syncing its timers holds; waiting for that row would
# deadlock. A timer being fired is left to its firing, which decides on the state the command left
# (a stale timer changes nothing because the rules say so).
_NOT_FIRING = "SELECT timer_id FROM {s}.timers WHERE timer_id = $1 AND status = 'pending' FOR UPDATE SKIP LOCKED"


async def _cancel_unless_firing(uow: UnitOfWork, timer_id: str) -> None:
    s = uow.store.schema
    await uow.conn.execute(
        f"UPDATE {s}.timers SET status = 'cancelled' WHERE timer_id IN ({_NOT_FIRING.format(s=s)})", timer_id
    )


async def _move(uow: UnitOfWork, timer_id: str, due_at: datetime, payload: Message) -> None:
    """A pending timer takes a new time and event (its rule's deadline changed, e.g. a new
    configuration): the same timer, so it still fires once. One being fired is left to its firing."""
    s = uow.store.schema
    await uow.conn.execute(
        f"UPDATE {s}.timers SET due_at = $2, event_type = $3, payload = $4 "
        f"WHERE timer_id IN ({_NOT_FIRING.format(s=s)})",
        timer_id,
        due_at,
        payload.DESCRIPTOR.full_name,
        payload.SerializeToString(deterministic=True),
    )


async def sync(
    uow: UnitOfWork,
    prefix: str,
    wanted: dict[str, tuple[datetime, Message]],
    stream_id: str,
    *,
    correlation_id: str,
    causation_id: str = "",
    links: tuple[Link, ...] = (),
) -> None:
    """Make the pending timers whose ids start with `prefix` exactly `wanted` (timer id -> (due,
    payload) on `stream_id`): cancel the pending ones no longer wanted, move the pending ones whose
    time or event changed, schedule the missing ones. Fired and cancelled timers stay as they are
    (a timer fires once)."""
    existing = await _with_prefix(uow, prefix)
    for timer_id, (status, due_at, data) in existing.items():
        if status != "pending":
            continue
        if timer_id not in wanted:
            await _cancel_unless_firing(uow, timer_id)
            continue
        at, payload = wanted[timer_id]
        if at != due_at or payload.SerializeToString(deterministic=True) != data:
            await _move(uow, timer_id, at, payload)
    for timer_id, (at, payload) in wanted.items():
        if timer_id not in existing:
            await schedule(
                uow,
                timer_id,
                at,
                stream_id,
                payload,
                correlation_id=correlation_id,
                causation_id=causation_id,
                links=links,
            )


@dataclass(frozen=True)
class Fired:
    timer_id: str
    stream_id: str
    event_type: str
    due_at: datetime
    event_id: str | None  # None: the aggregate's rules said the timer changes nothing now
    correlation_id: str = ""  # the scheduling command's


@dataclass(frozen=True)
class DueTimer:
    """A timer being fired: where its event goes, the event as scheduled, and what it carries."""

    timer_id: str
    stream_id: str
    due_at: datetime
    payload: Message
    links: tuple[Link, ...]
    correlation_id: str
    causation_id: str

    @classmethod
    def of(cls, row) -> DueTimer:
        return cls(
            row["timer_id"],
            row["stream_id"],
            row["due_at"],
            _message(row["event_type"], bytes(row["payload"])),
            tuple(Link(*l) for l in json.loads(row["links"])),
            row["correlation_id"],
            row["causation_id"] or row["timer_id"],
        )


# An aggregate's way of firing its timers (kernel.eventstore.aggregate.CommandRunner.fire): the events it appended.
Route = Callable[[UnitOfWork, DueTimer, Principal, datetime], Awaitable[list]]


class TimerScheduler:
    """Fires due timers. `fire_due()` is one pass; `run()` loops until `stop()`."""

    def __init__(
        self, store: EventStore, clock, *, poll_seconds: float = 0.5, batch: int = 100, component: str = "timers"
    ):
        self.store, self.clock = store, clock
        self.poll_seconds, self.batch = poll_seconds, batch
        self.principal = Principal.system(component)
        self.log = klog.get("timers")
        self._wake = asyncio.Event()
        self._stopping = False
        self.fired = 0
        self.routes: dict[str, Route] = {}

    def route(self, kind: str, fire: Route) -> None:
        """Timers on `<kind>-timers-<uuid>` streams fire through `fire` (their aggregate's command
        path); timers on other streams append their event as scheduled."""
        self.routes[kind] = fire

    def wake(self) -> None:
        """Check at once (the clock was moved, or a timer was scheduled)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                while await self.fire_due() == self.batch and not self._stopping:
                    pass
                pause = await self._seconds_to_next()
            except (PlatformError, *DRIVER_DOWN) as e:
                self.log.warning("timers.pass_failed", error=repr(e))
                pause = self.poll_seconds
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), pause)
            except TimeoutError:
                pass

    async def _seconds_to_next(self) -> float:
        """Until the earliest pending timer by the clock, at most one poll interval (the clock may jump)."""
        due = await self.store.pool.fetchval(
            f"SELECT min(due_at) FROM {self.store.schema}.timers WHERE status = 'pending'"
        )
        if due is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (due - self.clock.now()).total_seconds()))

    async def fire_due(self) -> int:
        """Fire every timer due by the clock (up to `batch`), each in its own transaction."""
        now = self.clock.now()
        async with self.store.pool.acquire() as conn:
            ids = await conn.fetch(
                f"SELECT timer_id FROM {self.store.schema}.timers WHERE status = 'pending' AND due_at <= $1 "
                f"ORDER BY due_at, timer_id LIMIT $2",
                now,
                self.batch,
            )
        count = 0
        for row in ids:
            started = time.monotonic()
            with klog.work() as work:
                fired = await self._fire(row["timer_id"], now)
            if fired:
                count += 1
                self.fired += 1
                # the unit of work's one line (issue 28), once committed: the timer's command, the
                # aggregate and the state it left, the system principal, the scheduling command's
                # correlation id
                self.log.info(
                    "timer.fired" if fired.event_id else "timer.changed_nothing",
                    **klog.commands(work),
                    **({"stream": fired.stream_id} | klog.done(work)),
                    **klog.who(self.principal),
                    correlation_id=fired.correlation_id or None,
                    timer_id=fired.timer_id,
                    timer_stream=fired.stream_id,
                    event_type=fired.event_type,
                    due_at=fired.due_at.isoformat(),
                    event_id=fired.event_id,
                    ms=round((time.monotonic() - started) * 1000, 1),
                )
        return count

    async def _fire(self, timer_id: str, now: datetime) -> Fired | None:
        s = self.store.schema
        async with self.store.unit_of_work() as uow:
            t = await uow.conn.fetchrow(
                f"SELECT * FROM {s}.timers WHERE timer_id = $1 AND status = 'pending' AND due_at <= $2 "
                f"FOR UPDATE SKIP LOCKED",
                timer_id,
                now,
            )
            if t is None:  # another scheduler has it, or it fired or was cancelled meanwhile
                return None
            await uow.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"timers:{s}:{t['stream_id']}"
            )
            event_id = await self._fire_once(uow, t, now)
            await self.before_marking(t)
            await uow.conn.execute(
                f"UPDATE {s}.timers SET status = 'fired', fired_event_id = $2::uuid, fired_at = $3 WHERE timer_id = $1",
                timer_id,
                event_id,
                now,
            )
        return Fired(timer_id, t["stream_id"], t["event_type"], t["due_at"], event_id, t["correlation_id"])

    async def _fire_once(self, uow: UnitOfWork, t, now: datetime) -> str | None:
        """The timer's first event id, appended now or (a lost status update) before."""
        first = timer_event_id(t["timer_id"])
        if await uow.conn.fetchval(f"SELECT true FROM {uow.store.schema}.events WHERE event_id = $1::uuid", first):
            return first
        route = self.routes.get(timer_kind(t["stream_id"]))
        if route is None:
            event = self._event(t)
            stored = await uow.append(t["stream_id"], await uow.stream_version(t["stream_id"]), [event])
            klog.note_change(t["stream_id"], stored[-1].version if stored else 0)
            return event.event_id
        try:
            async with uow.conn.transaction():  # a refusal undoes only what the firing did
                stored = await route(uow, DueTimer.of(t), self.principal, now)
        except PlatformError as e:  # the aggregate is gone or refuses it: a timer must not block the others
            self.log.error("timer.refused", timer_id=t["timer_id"], stream_id=t["stream_id"], reason=str(e))
            return None
        return stored[0].event_id if stored else None

    async def before_marking(self, timer_row) -> None:
        """Test seam: runs after the append, before the timer is marked fired (same transaction)."""

    def _event(self, t) -> NewEvent:
        return NewEvent(
            event_id=timer_event_id(t["timer_id"]),
            payload=_message(t["event_type"], bytes(t["payload"])),
            occurred_at=t["due_at"],
            principal=self.principal,
            correlation_id=t["correlation_id"],
            causation_id=t["causation_id"] or t["timer_id"],
            links=tuple(Link(*l) for l in json.loads(t["links"])),
        )


def _message(type_name: str, data: bytes) -> Message:
    """Rebuild a payload from its full type name (its generated module must have been imported)."""
    cls = message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(type_name))
    msg = cls()
    msg.ParseFromString(data)
    return msg
