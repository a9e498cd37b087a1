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
