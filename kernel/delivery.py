"""Hand records to a consumer's handler until each is durably in its store: never skip one.

The consumer acknowledges a record to Kafka (so its offset may be committed) only after
`Delivery.deliver` returned for it, and `deliver` returns only when every record it was given is
stored by the handler (applied, held behind a gap or known as a duplicate, all in the handler's
transaction) or kept in the consumer's quarantine with its error:

* the store being down (`Unavailable`, or a driver error the store classifies as such) is waited
  out, with backoff, for as long as it lasts;
* any other error is tried `attempts` times; a batch that keeps failing is split into single
  records, and the one that still fails is kept in quarantine (`kernel.quarantine`), so one bad
  record never stops the others, and its stream stays held behind it;
* a record that does not parse (`Validation` from the handler) is kept at once: trying again
  cannot help.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable

from kernel import log as klog, quarantine, store as store_mod
from kernel.errors import Unavailable, Validation
from kernel.inbox import Source
from kernel.status import DEGRADED, OK, RETRYING, Component

Record = tuple[bytes, Source]
HandleBatch = Callable[[list[Record]], Awaitable[object]]


@dataclass(frozen=True)
class Policy:
    """How long to wait and how often to try. Local practice: configuration, not constants."""
    attempts: int = 5
    first_backoff: float = 0.1
    max_backoff: float = 5.0

    def backoff(self, tries: int) -> float:
        return min(self.first_backoff * 2 ** max(tries - 1, 0), self.max_backoff)


def store_down(error: BaseException) -> bool:
    return isinstance(error, (Unavailable, *store_mod.DRIVER_DOWN))


class Delivery:
    def __init__(self, name: str, pool, schema: str, handle_batch: HandleBatch, policy: Policy = Policy()):
        self.name, self.pool, self.schema, self.handle_batch, self.policy = name, pool, schema, handle_batch, policy
        self.log = klog.get("consumer").bind(consumer=name)
        self.retrying_since: float | None = None   # monotonic time the store went away, while it is away
        self.counters = {"delivered": 0, "store_retries": 0, "error_retries": 0, "kept": 0}

    async def deliver(self, records: list[Record]) -> None:
        """Return once every record is stored or kept; raises only CancelledError (when stopping)."""
        if not records:
            return
        if await self._try(records) is None:
            self.counters["delivered"] += len(records)
            return
        for record in records if len(records) > 1 else ():   # find the bad one: the others go through
            await self.deliver([record])
        if len(records) == 1:
            await self._keep(records[0])

    async def _try(self, records: list[Record]) -> BaseException | None:
        """Run the handler until it succeeds (None) or fails `attempts` times otherwise (the error)."""
        tries = 0
        while True:
            try:
                await self.handle_batch(records)
                self._store_back()
                return None
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - every failure is waited out, retried or kept
                # A driver error nobody classified is still an outage if the store does not answer:
                # never count it towards keeping a good record aside.
                if store_down(e) or not await self._store_answers():
                    await self._wait_for_store(e)
                    continue
                self._store_back()
                tries += 1
                if isinstance(e, Validation) or tries >= self.policy.attempts:
                    self._last_error = e
                    return e
                self.counters["error_retries"] += 1
                self.log.warning("consumer.retrying", records=len(records), attempt=tries, error=_text(e),
                                 first=_where(records[0][1]))
                await asyncio.sleep(self.policy.backoff(tries))

    async def _store_answers(self) -> bool:
        try:
            async with self.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - any failure to answer is the answer
            return False

    async def _wait_for_store(self, error: BaseException) -> None:
        loop = asyncio.get_running_loop()
        if self.retrying_since is None:
            self.retrying_since = loop.time()
            self.log.warning("consumer.store_unavailable", error=_text(error),
                             action="waiting for the store; nothing is acknowledged until it is back")
        self.counters["store_retries"] += 1
        await asyncio.sleep(self.policy.backoff(min(self.counters["store_retries"], 8)))

    def _store_back(self) -> None:
        if self.retrying_since is not None:
            self.log.info("consumer.store_back", waited_seconds=round(asyncio.get_running_loop().time()
                                                                      - self.retrying_since, 1))
            self.retrying_since = None

    async def _keep(self, record: Record) -> None:
        """Keep a record that cannot be applied; waits for the store like any write."""
        raw, source = record
        error = _text(self._last_error)
        while True:
            try:
                async with self.pool.acquire() as conn:
                    await quarantine.keep(conn, self.schema, self.name, raw, source, error, self.policy.attempts)
                break
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - only the store can refuse this write
                await self._wait_for_store(e)
        self.counters["kept"] += 1
        self.log.error("consumer.record_kept", where=_where(source), error=error,
                       effect="kept in quarantine; its stream is held behind it",
                       remedy="fix the cause, then restart the service: kept records are tried again at start")

    async def retry_kept(self) -> int:
        """Try every kept record once more (at start); how many went through and left quarantine."""
        async with self.pool.acquire() as conn:
            await quarantine.migrate(conn, self.schema)
            kept = await quarantine.kept(conn, self.schema, self.name)
        released = 0
        for k in kept:
            if await self._try([(k.record, k.source)]) is None:
                async with self.pool.acquire() as conn:
                    await quarantine.release(conn, self.schema, self.name, k.record, k.source)
                released += 1
        if kept:
            self.log.info("consumer.kept_retried", kept=len(kept), released=released)
        return released

    async def status(self) -> Component:
        async with self.pool.acquire() as conn:
            kept = await quarantine.count(conn, self.schema, self.name)
            held = await conn.fetchval(f"SELECT count(DISTINCT stream_id) FROM {self.schema}.inbox_held "
                                       f"WHERE consumer = $1", self.name)
        problems = []
        if self.retrying_since is not None:
            problems.append("the store is unreachable: the consumer waits for it and acknowledges nothing "
                            "meanwhile; nothing is lost")
        if kept:
            problems.append(f"{kept} record(s) kept in {self.schema}.consumer_quarantine (consumer {self.name!r}) "
                            "with their errors; their streams are held behind them. Fix the cause, then restart "
                            "the service: kept records are tried again at start")
        state = RETRYING if self.retrying_since is not None else DEGRADED if kept else OK
        return Component(name=f"consumer {self.name}", state=state, problems=tuple(problems),
                         counters={**self.counters, "kept_total": kept, "held_streams": held})


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _where(source: Source) -> str:
    return f"{source.topic}[{source.partition}]@{source.offset}"
