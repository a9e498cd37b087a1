"""One publisher at a time among replicas sharing a schema (issue 28): a named advisory lock.

`take()` holds a pooled connection in an open transaction that took `pg_try_advisory_xact_lock`
on the key (transaction-scoped, so no session state is left on the pool: releasing the connection
rolls back and frees it; the transaction writes nothing, has no transaction id and keeps no
snapshot: it holds back no VACUUM). The others stand by and try again every `retry_seconds`; when
the holder's process dies its session ends, the lock goes with it and a standby takes over.
`check()` asks the holding session every `check_seconds` and raises `LostLeadership` when it is
gone, so the holder steps down (closes its clients first, then `release()`).

The lock alone cannot fence a holder that has not noticed yet: each user moves its durable
progress only by compare-and-set from the values it read, so a stale holder may send duplicates
but never moves progress back (the relay's cursor and epoch, the feed publisher's positions).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))"


class LostLeadership(Exception):
    """This holder is no longer the one publishing (its session ended, or another holder moved the
    progress it fences on): it stops sending and waits as a standby."""


class Leadership:
    def __init__(self, pool, key: str, log, event_prefix: str, *, retry_seconds: float, check_seconds: float):
        """`log` (bound to the owner) gets `<event_prefix>.publishing`, `.standby`, `.lock_unavailable`."""
        self.pool, self.key, self.log, self.prefix = pool, key, log, event_prefix
        self.retry_seconds, self.check_seconds = retry_seconds, check_seconds
        self.conn = None  # the pooled connection whose open transaction holds the lock
        self._tx = None
        self._next_check = 0.0
        self.standby = False  # tried, and another replica holds it
        self.takeovers = 0  # times this holder took the lock
        self.failed = 0  # attempts in a row the store did not answer

    @property
    def held(self) -> bool:
        return self.conn is not None

    async def take(self, stopping: Callable[[], bool] = lambda: False) -> bool:
        """Try once to take the lock; True if held now (taken just now or before)."""
        if self.conn is not None:
            return True
        try:
            conn = await self.pool.acquire()
        except Exception as e:  # noqa: BLE001 - store down: a standby tries again
            self._failed(e)
            return False
        tx = conn.transaction()
        try:
            await tx.start()
            got = await conn.fetchval(LOCK_SQL, self.key)
            # Held open for as long as this replica publishes: an operator's idle timeout must not
            # end it (a dead session would only hand the lock to a standby, but needlessly). Sent
            # after the lock and without arguments (the simple protocol): that also lets go of
            # the snapshot the extended protocol's statement leaves behind, so the open
            # transaction holds back no VACUUM (backend_xmin stays empty; tested).
            await conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        except BaseException as e:
            await self._end(conn, tx)
            if not isinstance(e, Exception):
                raise
            self._failed(e)
            return False
        if not got or stopping():
            await self._end(conn, tx)
            if not got and not self.standby:
                self.log.info(f"{self.prefix}.standby", lock=self.key, retry_every=self.retry_seconds)
            self.standby, self.failed = not got, 0
            return False
        self.conn, self._tx = conn, tx
        self.standby, self.failed = False, 0
        self.takeovers += 1
        self._next_check = time.monotonic() + self.check_seconds
        self.log.info(f"{self.prefix}.publishing", lock=self.key, takeovers=self.takeovers)
        return True

    def _failed(self, error: Exception) -> None:
        """The store did not answer the lock's request: logged at once, then once a minute."""
        self.failed += 1
        every = max(1, round(60 / max(self.retry_seconds, 0.001)))
        if self.failed % every == 1 or every == 1:
            self.log.warning(
                f"{self.prefix}.lock_unavailable",
                error=f"{type(error).__name__}: {error}",
                attempts=self.failed,
                retry_every=self.retry_seconds,
            )

    def problem(self) -> str | None:
        """For status: why this replica neither holds the lock nor stands by, if so."""
        if not self.failed:
            return None
        return (
            f"cannot reach the store to take the publisher's lock ({self.failed} attempts); "
            f"trying again every {self.retry_seconds} s, nothing is lost meanwhile"
        )

    def check_soon(self) -> None:
        """Progress moved under this holder (compare-and-set failed): ask the session next time."""
        self._next_check = 0.0

    async def check(self) -> None:
        """Every check_seconds: the session holding the lock still answers (its open transaction
        holds the lock until it ends), else LostLeadership."""
        if time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + self.check_seconds
        conn = self.conn
        if conn is None:
            raise LostLeadership("no session holds the publisher's lock")
        try:
            # simple protocol (no arguments): no snapshot left behind (see take)
            await asyncio.wait_for(conn.execute("SELECT 1"), timeout=max(5.0, 2 * self.check_seconds))
        except Exception as e:  # noqa: BLE001 - the session (and with it the lock) is gone
            raise LostLeadership(f"the session holding the lock failed ({type(e).__name__}: {e})") from e

    async def release(self) -> None:
        """Give the lock up (the caller closed its clients first)."""
        conn, tx, self.conn, self._tx = self.conn, self._tx, None, None
        if conn is not None:
            await self._end(conn, tx)

    async def _end(self, conn, tx) -> None:
        """End the transaction (freeing the lock) and give the connection back; a connection
        that cannot say so is terminated, which frees the lock as surely."""
        interrupted = None
        try:
            if tx is not None and not conn.is_closed():
                await asyncio.wait_for(tx.rollback(), timeout=5)
        except BaseException as e:  # dead, cancelled or stuck: end the session itself
            try:
                conn.terminate()
            except Exception:  # noqa: BLE001 - already closed: the pool took it back
                pass
            interrupted = None if isinstance(e, Exception) else e
        try:
            await self.pool.release(conn)
        except Exception:  # noqa: BLE001 - the pool replaces a terminated connection
            pass
        if interrupted is not None:
            raise interrupted
