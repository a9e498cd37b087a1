"""Monthly reconciliation (每月对账) and stock-take (半年盘点) against the central ledger.

Both fold each clue's own events up to an instant, so they answer for the past as it stood then
(a clue escalated or closed since is counted where and how it was), whatever happened after.
Every clue is read in pages of PAGE streams, so memory stays bounded on a long ledger.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from kernel.domain.errors import NotFound, Validation
from kernel.eventstore.commands import CommandContext, run_once
from kernel.eventstore.envelope import Link
from kernel.eventstore.store import UnitOfWork
from services.clues.app import ledger
from services.clues.app.handlers import ClueHandlers
from services.clues.domain import reconciliation as rec
from services.clues.domain.state import STATUSES, TERMINAL, Clue, fold
from services.clues.domain.stocktake import StockTake
from services.clues.domain.warnings import Timeline, colour

PAGE = 500
MAX_ENTRIES = 10_000
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_NAMESPACE = uuid.UUID("0b6f4a52-2f4e-5c1a-9d0e-6c1e5a7d3b21")


def reconciliation_id(office: str, month: str) -> str:
    return f"reconciliation-{uuid.uuid5(_NAMESPACE, f'{office}/{month}')}"


def month_bounds(month: str, tz) -> tuple[datetime, datetime]:
    """First instant of the month and of the next one, in the service's time zone."""
    m = _MONTH.match(month or "")
    if not m:
        raise Validation("month", f"{month!r} is not YYYY-MM")
    year, mon = int(m.group(1)), int(m.group(2))
    start = datetime(year, mon, 1, tzinfo=tz)
    return start, datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)


def _lines(entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(reference, status) of each entry, checked; a clue listed twice is refused."""
    if len(entries) > MAX_ENTRIES:
        raise Validation("entries", f"at most {MAX_ENTRIES} lines")
    seen: dict[str, int] = {}
    for k, (ref, status) in enumerate(entries):
        if not ref:
            raise Validation(f"entries[{k}].clue", "must not be empty")
        if status not in STATUSES:
            raise Validation(f"entries[{k}].status", f"must be one of {', '.join(STATUSES)}")
        if ref in seen:
            raise Validation(f"entries[{k}].clue", f"{ref} is listed twice (also entries[{seen[ref]}])")
        seen[ref] = k
    return entries


class Reconciler:
    def __init__(self, handlers: ClueHandlers):
        self.h = handlers

    async def submit(
        self, ctx: CommandContext, office: str, month: str, entries: list[tuple[str, str]], now: datetime
    ) -> tuple[rec.OfficeLedgerReconciled, int]:
        """Reconcile the office's lines against the central ledger at the month's end; record the
        result; return it with its submission number. Once per request id."""
        start, end = month_bounds(month, self.h.tz)
        if start > now:
            raise Validation("month", f"{month} has not begun (now {now:%Y-%m-%d})")
        as_of = min(end - timedelta(microseconds=1), now)
        lines = _lines(entries)
        stream = reconciliation_id(office, month)

        async def work(uow: UnitOfWork):
            # submissions for one office and month queue up here: each gets the next number
            await uow.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", stream)
            s = self.h.store.schema
            resolved = await ledger.resolve(uow.conn, s, [ref for ref, _ in lines])
            ids = set(await ledger.ever_held(uow.conn, s, office)) | set(resolved.values())
            central = {h.clue_id: h async for h in self._holdings(uow.read_streams, sorted(ids), start, as_of)}
            listed = [rec.Listed(ref, resolved.get(ref, ""), status) for ref, status in lines]
            event = rec.OfficeLedgerReconciled(
                stream,
                office,
                month,
                as_of,
                ctx.principal.user,
                len(lines),
                sum(rec.expected(office, h) for h in central.values()),
                rec.reconcile(office, listed, central),
            )
            links = tuple(
                Link("clue", cid, "reconciled") for cid in sorted({d.clue_id for d in event.differences if d.clue_id})
            )
            stored = await uow.append(
                stream, await uow.stream_version(stream), [ctx.new_event(0, self.h.codec.to_pb(event), now, links)]
            )
            return {"version": stored[0].version}

        result = await run_once(self.h.store, ctx, work)
        return await self._read(stream, result["version"])

    async def latest(self, office: str, month: str) -> tuple[rec.OfficeLedgerReconciled, int]:
        month_bounds(month, self.h.tz)
        stream = reconciliation_id(office, month)
        stored = await self.h.store.read_stream(stream)
        if not stored:
            raise NotFound("reconciliation", f"{office} {month}")
        return await self._read(stream, stored[-1].version)

    async def _read(self, stream: str, version: int) -> tuple[rec.OfficeLedgerReconciled, int]:
        [(event, _, _)] = self.h.decode(await self.h.store.read_range(stream, version, version))
        return event, version

    async def _holdings(self, read_streams, clue_ids: list[str], month_start: datetime, as_of: datetime):
        async for _timed, state, t in self._folded(read_streams, clue_ids, as_of):
            r = state.registered
            yield rec.Holding(
                r.clue_id,
                state.clue_number,
                state.status,
                _holder(state),
                r.source,
                self._colour(t, as_of).colour,
                state.status in TERMINAL and t.stage_since >= month_start,
            )

    async def stock_take(self, start: datetime, end: datetime, office: str, now: datetime) -> StockTake:
        if end <= start:
            raise Validation("end", "must be after start")
        as_of = min(end, now)
        async with self.h.store.pool.acquire() as conn:
            ids = await ledger.received_until(conn, self.h.store.schema, as_of, office)
        take = StockTake(start, as_of, office)
        async for timed, state, t in self._folded(self.h.store.read_streams, ids, as_of):
            if not office or _holder(state) == office:
                take.add(
                    timed, state, self._colour(t, as_of).colour if state.status not in TERMINAL else "", t.stage_since
                )
        return take

    async def _folded(self, read_streams, clue_ids: list[str], as_of: datetime):
        """(timed events, state, timeline) of each clue as it stood at `as_of`; clues not yet
        received then are left out."""
        for k in range(0, len(clue_ids), PAGE):
            streams = await read_streams(clue_ids[k : k + PAGE])
            for clue_id in clue_ids[k : k + PAGE]:
                timed = [x for x in self.h.decode(streams.get(clue_id, [])) if x.at <= as_of]
                if timed:
                    yield timed, fold(e for e, _, _ in timed), self.h.timeline(timed)

    def _colour(self, t: Timeline, at: datetime):
        return colour(self.h.scheme, t, at, self.h.calendar)


def _holder(state: Clue) -> str:
    return state.handling_office or state.registered.receiving_office
