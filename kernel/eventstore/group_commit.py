"""Group commit for `EventStore.append` (issue 30 point 2): concurrent appends share one COMMIT
and one WAL flush, while each keeps its own atomicity, version check and answer.

How a group forms: the first append that finds no commit in flight runs alone, at once, in its
caller's task (one writer pays nothing: no timer, no queue). Appends that arrive while a commit
is in flight queue; when it ends, the next loop iteration (after the callers just answered have
queued their next append) takes the queue as one group, run in a task of its own so that a
caller's cancellation cannot abandon the others. Whatever queued meanwhile forms the next group.

How a group commits (`append_group`):

* Fast path: one autocommit INSERT of every request's rows, each request checked against its own
  expected version. A statement is atomic, so either it fails whole (a unique violation: a
  version or event id taken; nothing of anyone committed) or each request got all its rows or,
  when its version check failed, none. Requests with no rows are then diagnosed, alone, exactly
  as a single append's shortfall is (a retry returns what is stored; else Concurrency).
* Fallback, when the statement failed: one transaction, each request in its own SAVEPOINT; a
  conflict or error rolls back only that savepoint and answers only that request; one COMMIT.
* A group holds at most one request per stream (later ones wait for the next group, in arrival
  order): within one statement a request cannot see another's rows, so two appends to one stream
  must not share it, and per-stream order stays the order in which appends were answered.

The price: an append that must wait on another transaction's uncommitted row (a rival write
to its stream version or event id) holds up its whole group until that transaction ends.

The ordering rule of `kernel.eventstore.store` is untouched: every row of a group carries
GREATEST(the group's xid, its stream predecessor's order_key), as any transaction's rows do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

from kernel.domain.errors import PlatformError, Unavailable, Validation

# One statement for a whole group. `q` holds one row per request (stream, expected version) with
# the order_key its rows inherit; a request whose stream does not stand exactly at its expected
# version drops out of `q` and inserts nothing. `ORDER BY u.n` makes positions (the identity is
# drawn above the sort) follow each batch's version order, as the single append's scan does.
GROUP_INSERT_SQL = """
INSERT INTO {s}.events (stream_id, version, event_id, event_type, envelope, order_key)
SELECT q.stream_id, u.version, u.event_id, u.event_type, u.envelope, q.order_key
FROM (SELECT r.i, r.stream_id, GREATEST(pg_current_xact_id(), COALESCE(p.order_key, '0'::xid8)) AS order_key
      FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS r(stream_id, expected, i)
      LEFT JOIN {s}.events p ON p.stream_id = r.stream_id AND p.version = r.expected
      WHERE CASE WHEN r.expected = 0 THEN NOT EXISTS (SELECT 1 FROM {s}.events e WHERE e.stream_id = r.stream_id)
                 ELSE p.stream_id IS NOT NULL END) AS q
JOIN unnest($3::bigint[], $4::bigint[], $5::uuid[], $6::text[], $7::bytea[]) WITH ORDINALITY
     AS u(i, version, event_id, event_type, envelope, n) ON u.i = q.i
ORDER BY u.n
RETURNING stream_id, version, position, order_key
"""

# Bounds on one group: more requests or events wait for the next one (a huge group would hold
# its callers' answers, and its row locks, for longer than it saves).
MAX_GROUP_REQUESTS = 64
MAX_GROUP_EVENTS = 2000


@dataclass
class _Pending:
    batch: object  # kernel.eventstore.store._Batch
    future: asyncio.Future = field(repr=False)


class GroupCommit:
    """The queue in front of one store's appends. `alone(batch)` appends one batch by itself;
    `together(batches)` appends several in one commit and returns, per batch, its stored events
    or the exception that batch's caller is to receive."""

    def __init__(
        self,
        alone: Callable[[object], Awaitable[list]],
        together: Callable[[Sequence[object]], Awaitable[list]],
    ):
        self._alone, self._together = alone, together
        self._queue: list[_Pending] = []
        self._busy, self._loop = False, None
        self._tasks: set[asyncio.Task] = set()  # running groups (a task needs a strong reference)

    async def submit(self, batch) -> list:
        loop = asyncio.get_running_loop()
        if self._busy and self._loop is not loop:  # state left by a loop that has ended
            self._queue, self._busy = [], False
        if not self._busy:  # nothing in flight: go at once, in the caller's own task
            self._busy, self._loop = True, loop
            try:
                return await self._alone(batch)
            finally:
                if self._queue:
                    self._hand_on()
                else:  # no one waited: the caller's next append goes at once too
                    self._busy = False
        pending = _Pending(batch, loop.create_future())
        self._queue.append(pending)
        return await pending.future

    def _hand_on(self) -> None:
        """Form the next group one loop iteration from now: the callers answered a moment ago
        run first, so their next appends join it instead of waiting a whole commit more."""
        asyncio.get_running_loop().call_soon(self._start_next)

    def _start_next(self) -> None:
        group = self._take()
        if not group:
            self._busy = False
            return
        task = asyncio.get_running_loop().create_task(self._run(group))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _take(self) -> list[_Pending]:
        """The next group: queued appends in arrival order, one per stream, within the bounds."""
        group, rest, seen, events = [], [], set(), 0
        for p in self._queue:
            if p.future.done():  # its caller gave up before it was sent: nothing was written
                continue
            fits = len(group) < MAX_GROUP_REQUESTS and (not group or events + len(p.batch.sealed) <= MAX_GROUP_EVENTS)
            if fits and p.batch.stream_id not in seen:  # not behind an earlier append to its stream
                group.append(p)
                events += len(p.batch.sealed)
            else:
                rest.append(p)
            seen.add(p.batch.stream_id)
        self._queue = rest
        return group

    async def _run(self, group: list[_Pending]) -> None:
        try:
            if len(group) == 1:
                outcomes = [await _outcome(self._alone(group[0].batch))]
            else:
                outcomes = await self._together([p.batch for p in group])
        except BaseException as e:  # every waiting caller gets the failure (cancelled: loop shutdown)
            _answer(group, [e] * len(group))
            self._hand_on()
            raise
        _answer(group, outcomes)
        self._hand_on()  # after the answers, so that their callers' next appends join the next group


def _answer(group: list[_Pending], outcomes: list) -> None:
    for p, outcome in zip(group, outcomes):
        if p.future.done():  # its caller gave up meanwhile
            continue
        if isinstance(outcome, asyncio.CancelledError):
            p.future.cancel()
        elif isinstance(outcome, BaseException):
            p.future.set_exception(outcome)
        else:
            p.future.set_result(outcome)


async def _outcome(work: Awaitable[list]) -> list | Exception:
    """What `work` returns, or the exception it raises (as a value, for one caller to receive)."""
    try:
        return await work
    except Exception as e:  # noqa: BLE001 - handed to the one caller it belongs to
        return e


async def append_group(store, batches: Sequence) -> list:
    """Append `batches` (each for another stream) in one commit; per batch its stored events or
    its exception. The store down answers every batch `Unavailable` (outcome unknown, retried with
    the same request id); any other failure of the whole group answers every batch with it."""
    try:
        rows = await _insert_all(store, batches)
    except Unavailable as e:
        return [e] * len(batches)
    except asyncpg.PostgresError:  # someone's conflict, bad id, a deadlock...: one by one
        return await _savepoints(store, batches)
    by_key = {(r["stream_id"], r["version"]): r for r in rows}
    outcomes = []
    for b in batches:
        mine = [by_key.get((b.stream_id, env.version)) for env in b.envelopes]
        if all(mine):
            outcomes.append(b.stored(mine))
        else:  # its version check failed, so it wrote nothing: why, exactly as a single append
            outcomes.append(await _outcome(_diagnose_alone(store, b)))
    return outcomes


async def _insert_all(store, batches: Sequence) -> list:
    """The fast path's one statement (autocommit), rows of every batch in one set of arrays."""
    owners, versions, ids, types, sealed = [], [], [], [], []
    for i, b in enumerate(batches, start=1):
        for env, raw in zip(b.envelopes, b.sealed):
            owners.append(i)
            versions.append(env.version)
            ids.append(env.event_id)
            types.append(env.event_type)
            sealed.append(raw)
    args = ([b.stream_id for b in batches], [b.expected_version for b in batches], owners, versions, ids, types, sealed)
    async with store._connection() as conn:
        return await conn.fetch(GROUP_INSERT_SQL.format(s=store.schema), *args)


async def _diagnose_alone(store, batch) -> list:
    async with store._connection() as conn:
        return await store._diagnose(conn, batch)


_AGAIN = object()  # `_in_savepoint`: run this batch again, alone, after the group's COMMIT


async def _savepoints(store, batches: Sequence) -> list:
    """One transaction, each batch in its own savepoint, one COMMIT. A batch that fails for a
    reason other than its own conflict or event id (a deadlock with another transaction, a
    statement timeout) is rolled back and run again alone after the COMMIT, so that it gets the
    answer it would have had without a group. The connection lost fails the whole group."""
    try:
        async with store._connection() as conn:
            async with conn.transaction():
                outcomes = [await _in_savepoint(store, conn, b) for b in batches]
    except Unavailable as e:
        return [e] * len(batches)
    for i, outcome in enumerate(outcomes):
        if outcome is _AGAIN:
            outcomes[i] = await _outcome(store._append_alone(batches[i]))
    return outcomes


async def _in_savepoint(store, conn, batch):
    """One batch's stored events or its own exception; its rows stay only if all of them went in.
    Only the INSERT's own error is answered here; SAVEPOINT, ROLLBACK TO and RELEASE failing
    fail the whole group (else COMMIT of an aborted transaction would roll back silently)."""
    savepoint = conn.transaction()
    await savepoint.start()
    try:
        rows = await conn.fetch(store.insert_sql(conflict=""), *batch.args)
    except asyncpg.PostgresError as e:
        await savepoint.rollback()
        if isinstance(e, asyncpg.DataError):
            return Validation("event_id", f"not a UUID: {e}")
        if not isinstance(e, asyncpg.UniqueViolationError):
            return _AGAIN
        rows = []
    else:
        await savepoint.commit()
    if len(rows) == len(batch.envelopes):
        return batch.stored(rows)
    try:  # nothing of it stayed: a retry, an event id reused, or a version conflict
        return await store._diagnose(conn, batch)
    except PlatformError as e:
        return e
