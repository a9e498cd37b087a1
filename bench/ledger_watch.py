"""When each clue's event is in audit's ledger, seen from outside: a poll of audit's
`recorded_events` every POLL_SECONDS for rows past the last one seen.

Rows past a sequence number are enough because the ledger's ingest holds the ledger head's row
lock from its first leaf to its commit (services/audit/app/ledger.py), so sequence numbers become
visible in order. The time taken for a stream is when the poll that first returned it came back:
at most one poll interval plus one query late.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

POLL_SECONDS = 0.005


class LedgerWatch:
    def __init__(self, database_url: str, schema: str = "audit"):
        self.url, self.schema = database_url, schema
        self.pending: dict[str, float] = {}  # stream id -> when its command was sent (perf_counter)
        self.lags: list[float] = []  # seconds from command sent to event seen in the ledger
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._conn = await asyncpg.connect(self.url)
        self._last = await self._conn.fetchval(f"SELECT coalesce(max(seq), 0) FROM {self.schema}.recorded_events")
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._conn.close()

    def expect(self, stream_id: str, sent: float) -> None:
        """Watch for `stream_id` (before its command is sent: the stream id derives from the
        request id, so the event cannot be seen before it is expected)."""
        self.pending[stream_id] = sent

    def take_lags(self) -> list[float]:
        lags, self.lags = self.lags, []
        return lags

    async def drained(self, timeout: float) -> bool:
        """True once nothing expected is still missing; False after `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        while self.pending and time.perf_counter() < deadline:
            await asyncio.sleep(POLL_SECONDS)
        return not self.pending

    async def _run(self) -> None:
        sql = f"SELECT seq, stream_id FROM {self.schema}.recorded_events WHERE seq > $1 ORDER BY seq"
        while True:
            rows = await self._conn.fetch(sql, self._last)
            now = time.perf_counter()
            for seq, stream_id in rows:
                self._last = seq
                if (sent := self.pending.pop(stream_id, None)) is not None:
                    self.lags.append(now - sent)
            await asyncio.sleep(POLL_SECONDS)
