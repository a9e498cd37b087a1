"""The clock port: the only place the platform reads the time.

`ServiceClock` is what a running service uses: the system time in the configured zone, which a
test deployment (and only a test deployment) may move through `control.v1.ControlService`.
`FixedClock` is for unit tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

from kernel.domain.errors import IllegalState, Validation


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def __init__(self, tz: str = "Asia/Shanghai"):
        self.tz = ZoneInfo(tz)

    def now(self) -> datetime:
        return datetime.now(self.tz)


class ServiceClock(SystemClock):
    """System time, optionally moved (offset) or frozen; moving it is refused unless settable."""

    def __init__(self, tz: str = "Asia/Shanghai", *, settable: bool = False):
        super().__init__(tz)
        self.settable = settable
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(self.tz) + self._offset

    @property
    def moved(self) -> bool:
        return self._frozen is not None or bool(self._offset)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every set or reset (e.g. wake the timer scheduler)."""
        self._listeners.append(listener)

    def set(self, at: datetime, *, freeze: bool = False) -> None:
        self._check_settable("set the clock")
        if at.tzinfo is None:
            raise Validation("at", "must carry a time zone")
        at = at.astimezone(self.tz)
        self._frozen, self._offset = (at, timedelta(0)) if freeze else (None, at - datetime.now(self.tz))
        self._changed()

    def reset(self) -> None:
        self._check_settable("reset the clock")
        self._frozen, self._offset = None, timedelta(0)
        self._changed()

    def _check_settable(self, operation: str) -> None:
        if not self.settable:
            raise IllegalState(
                "PRODUCTION_MODE",
                f"{operation} (only a service started with PLATFORM_TEST_MODE=1 lets its clock be moved)",
            )

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()


class FixedClock:
    """A settable clock for tests."""

    def __init__(self, at: datetime | None = None):
        self._at = at or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, delta: timedelta) -> None:
        self._at += delta
