"""Hand records to a consumer's handler until each is durably in its store: never skip one.

The consumer acknowledges a record to Kafka (so its offset may be committed) only after
`Delivery.deliver` returned for it, and `deliver` returns only when every record it was given is
stored by the handler (applied, held behind a gap or known as a duplicate, all in the handler's
transaction) or kept in the consumer's quarantine with its error:

* a failure while the store does not answer (`SELECT 1` fails too) is an outage, waited out with
  backoff for as long as it lasts; it never counts towards keeping a record aside, whatever the
  driver called the error;
* any other failure is tried `attempts` times; a batch that keeps failing is split into single
  records, and the one that still fails is kept in quarantine (`kernel.messaging.quarantine`), so one bad
  record never stops the others, and its stream stays held behind it;
* a record that does not parse (`Validation` from the handler) is kept at once: trying again
  cannot help. A record already kept is tried once, not `attempts` times, when it comes again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kernel.domain.errors import Validation
from kernel.edge.status import DEGRADED, OK, RETRYING, Component
from kernel.messaging import quarantine
from kernel.messaging.inbox import Source
from kernel.runtime import log as klog

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


class Delivery:
    def __init__(self, name: str, pool, schema: str, handle_batch: HandleBatch, policy: Policy = Policy()):
        self.name, self.pool, self.schema, self.handle_batch, self.policy = name, pool, schema, handle_batch, policy
        self.log = klog.get("consumer").bind(consumer=name)
        self.retrying_since: float | None = None  # loop time the store went away, while it is away
        self._outage_tries = 0
        self._kept: set[str] = set()  # keys of records in quarantine
        self.counters = {"delivered": 0, "store_retries": 0, "error_retries": 0, "kept": 0, "released": 0}

    async def deliver(self, records: list[Record]) -> None:
        """Return once every record is stored or kept; raises only CancelledError (when stopping)."""
        if not records:
            return
        kept = self._kept and len(records) == 1 and quarantine.key_of(*records[0]) in self._kept
        error = await self._try(records, attempts=1 if kept else self.policy.attempts)
        if error is None:
            self.counters["delivered"] += len(records)
            if kept:
                await self._release(records[0])
        elif len(records) > 1:  # find the bad one: the others go through
            for record in records:
                await self.deliver([record])
        else:
            await self._keep(records[0], error)

    async def _try(self, records: list[Record], attempts: int) -> BaseException | None:
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
                if not await self._store_answers():
                    await self._wait_for_store(e)
                    continue
                self._store_back()
                tries += 1
                if isinstance(e, Validation) or tries >= attempts:
                    return e
                self.counters["error_retries"] += 1
                self.log.warning(
                    "consumer.retrying",
                    records=len(records),
                    attempt=tries,
                    error=_text(e),
                    first=_where(records[0][1]),
                )
                await asyncio.sleep(self.policy.backoff(tries))

    async def _store_answers(self) -> bool:
        try:
            async with self.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
            return True
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - any failure to answer is the answer
            return False

    async def _wait_for_store(self, error: BaseException) -> None:
        if self.retrying_since is None:
            self.retrying_since = asyncio.get_running_loop().time()
            self.log.warning(
                "consumer.store_unavailable",
                error=_text(error),
                action="waiting for the store; nothing is acknowledged until it is back",
            )
        self.counters["store_retries"] += 1
        self._outage_tries += 1
        await asyncio.sleep(self.policy.backoff(self._outage_tries))

    def _store_back(self) -> None:
        if self.retrying_since is not None:
            waited = asyncio.get_running_loop().time() - self.retrying_since
            self.log.info("consumer.store_back", waited_seconds=round(waited, 1))
            self.retrying_since, self._outage_tries = None, 0

    async def _write(self, what: str, write):
        """Run a quarantine statement until it lands: only the store can refuse it, so wait for it."""
        while True:
            try:
                async with self.pool.acquire() as conn:
                    return await write(conn)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - waited out like any outage; said loudly if it is not one
                if await self._store_answers():
                    self.log.critical("consumer.quarantine_write_failed", what=what, error=_text(e))
                await self._wait_for_store(e)

    async def _keep(self, record: Record, error: BaseException) -> None:
        """Keep a record that cannot be applied."""
        raw, source = record
        text = _text(error)
        await self._write(
            "keep", lambda c: quarantine.keep(c, self.schema, self.name, raw, source, text, self.policy.attempts)
        )
        self._kept.add(quarantine.key_of(raw, source))
        self.counters["kept"] += 1
        self.log.error(
            "consumer.record_kept",
            where=_where(source),
            error=text,
            effect="kept in quarantine; its stream is held behind it",
            remedy="fix the cause, then restart the service: kept records are tried again at start",
        )

    async def _release(self, record: Record) -> None:
        await self._write("release", lambda c: quarantine.release(c, self.schema, self.name, *record))
        self._kept.discard(quarantine.key_of(*record))
        self.counters["released"] += 1
        self.log.info("consumer.record_released", where=_where(record[1]))

    async def retry_kept(self) -> int:
        """Try every kept record once more (at start); how many went through and left quarantine."""

        async def load(conn):
            await quarantine.migrate(conn, self.schema)
            return await quarantine.kept(conn, self.schema, self.name)

        kept = await self._write("read", load)
        self._kept = {quarantine.key_of(k.record, k.source) for k in kept}
        before = self.counters["released"]
        for k in kept:
            await self.deliver([(k.record, k.source)])
        if kept:
            self.log.info("consumer.kept_retried", kept=len(kept), released=self.counters["released"] - before)
        return self.counters["released"] - before

    async def status(self) -> Component:
        stored = await self._stored_counts() if self.retrying_since is None else {}
        kept = stored.get("kept_total", 0)
        problems = []
        if self.retrying_since is not None:
            problems.append(
                "the store is unreachable: the consumer waits for it and acknowledges nothing "
                "meanwhile; nothing is lost"
            )
        if kept:
            problems.append(
                f"{kept} record(s) kept in {self.schema}.consumer_quarantine (consumer {self.name!r}) "
                "with their errors; their streams are held behind them. Fix the cause, then restart "
                "the service: kept records are tried again at start"
            )
        state = RETRYING if self.retrying_since is not None else DEGRADED if kept else OK
        return Component(
            name=f"consumer {self.name}", state=state, problems=tuple(problems), counters={**self.counters, **stored}
        )

    async def _stored_counts(self) -> dict[str, int]:
        async with self.pool.acquire() as conn:
            return {
                "kept_total": await quarantine.count(conn, self.schema, self.name),
                "held_streams": await conn.fetchval(
                    f"SELECT count(DISTINCT stream_id) FROM {self.schema}.inbox_held WHERE consumer = $1", self.name
                ),
            }


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _where(source: Source) -> str:
    return f"{source.topic}[{source.partition}]@{source.offset}"
