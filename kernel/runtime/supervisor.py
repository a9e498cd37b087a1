"""Restart policy of `make run`'s supervisor: pure, no I/O, time passed in.

Each child keeps its failure times. A failure is answered with "restart after a backoff" or,
when the child failed more than `max_restarts` times within `window` seconds, "give up" (the
runner then stops everything: a child that keeps dying is a fault to fix, not to hide).
The backoff doubles from `first_delay` up to `max_delay` and starts over once the child has
run `stable_after` seconds without failing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    max_restarts: int = 5
    window: float = 60.0
    first_delay: float = 0.5
    max_delay: float = 10.0
    stable_after: float = 30.0

    def __post_init__(self):
        if self.max_restarts < 0 or self.window <= 0:
            raise ValueError("max_restarts must be >= 0 and window > 0")


@dataclass(frozen=True)
class Verdict:
    give_up: bool
    delay: float  # seconds to wait before the restart (0 when giving up)
    failures: int  # failures within the window, this one included
    restarts: int  # restarts of this child so far, the one now decided included


class ChildHistory:
    """One child's failures under a policy."""

    def __init__(self, policy: RestartPolicy, started_at: float):
        self.policy = policy
        self.started_at = started_at
        self.restarts = 0
        self._failures: deque[float] = deque()
        self._streak = 0  # quick failures in a row: the backoff exponent

    def started(self, now: float) -> None:
        self.started_at = now

    def failed(self, now: float) -> Verdict:
        p = self.policy
        self._failures.append(now)
        while self._failures and self._failures[0] <= now - p.window:
            self._failures.popleft()
        count = len(self._failures)
        if count > p.max_restarts:
            return Verdict(True, 0.0, count, self.restarts)
        if now - self.started_at >= p.stable_after:
            self._streak = 0
        delay = min(p.max_delay, p.first_delay * 2**self._streak)
        self._streak += 1
        self.restarts += 1
        return Verdict(False, delay, count, self.restarts)


class Republishing:
    """`make run`'s progress lines while a relay republishes its store (after the embedded broker
    came back empty, i.e. at every start and broker restart): pure, fed each service's store
    figures (`events`, `relay_backlog`: the status component `store`, read from its metrics) and
    the time. A backlog of at least `at_least` events starts a report; a line every `every`
    seconds says how far it is and about how long is left; one line says when it caught up."""

    def __init__(self, every: float = 2.0, at_least: int = 100):
        self.every, self.at_least = every, at_least
        self._on: dict[str, tuple[float, int, float]] = {}  # service -> (started, first backlog, last said)

    def observe(self, service: str, events: int, backlog: int, now: float) -> str | None:
        on = self._on.get(service)
        if on is None:
            if backlog < self.at_least:
                return None
            self._on[service] = (now, backlog, now)
            return f"{service} relay catching up: {events - backlog}/{events} events published"
        started, first, said = on
        if backlog <= 0:
            del self._on[service]
            return f"{service} relay caught up: {events} events published ({now - started:.1f} s)"
        if now - said < self.every:
            return None
        self._on[service] = (started, first, now)
        done, rate = events - backlog, (first - backlog) / max(now - started, 1e-9)
        left = f", about {backlog / rate:.0f} s left" if rate > 0 else ""
        return f"{service} relay catching up: {done}/{events} events published ({100 * done // max(events, 1)}%{left})"
