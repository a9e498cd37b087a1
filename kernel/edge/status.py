"""What a service's moving parts are doing, for operators (`control.v1.GetStatus`).

Each part that can fall behind or get stuck (the relay, each consumer) is registered on the
service's `StatusBoard` with a function returning its `Component`; the board asks every part
when the status is read, so nothing here caches or polls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

OK, RETRYING, STUCK, DEGRADED = "ok", "retrying", "stuck", "degraded"
# Component names: a consumer's is "consumer <name>", a relay's "relay <topic>".
CONSUMER, RELAY = "consumer ", "relay "
QUARANTINED = "kept_total"  # a consumer's figure: deliveries kept in quarantine


@dataclass(frozen=True)
class Component:
    """One part's state: `ok`, `retrying` (waits for a dependency, loses nothing), `stuck`
    (needs an operator) or `degraded` (goes on, something kept aside). Each problem is a sentence
    saying what is wrong and what an operator can do."""

    name: str
    state: str = OK
    counters: dict[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


Probe = Callable[[], Awaitable[Component]]


class StatusBoard:
    def __init__(self, service: str):
        self.service = service
        self._probes: list[Probe] = []

    def register(self, probe: Probe) -> None:
        self._probes.append(probe)

    async def read(self) -> list[Component]:
        out = []
        for probe in self._probes:
            try:
                out.append(await probe())
            except Exception as e:  # noqa: BLE001 - a part that cannot say is itself a problem
                out.append(
                    Component(
                        name=getattr(probe, "__qualname__", "component"),
                        state=RETRYING,
                        problems=(f"status unreadable ({type(e).__name__}); the store may be down",),
                    )
                )
        return out


def stuck_events(components) -> dict[str, str]:
    """The stuck events of a service's parts, for operators (issue 28): each consumer's quarantined
    deliveries (`QUARANTINED`; their streams are held behind them), and each part stuck on an event
    (a relay, a partner topic: its problem names the event). {component name: what is stuck}, only
    parts with something stuck.
    Reads `Component`s and `control.v1.ComponentStatus` messages alike."""
    out = {}
    for c in components:
        kept = c.counters[QUARANTINED] if QUARANTINED in c.counters else 0
        if c.name.startswith(CONSUMER) and kept:
            out[c.name] = f"{kept} quarantined deliver{'y' if kept == 1 else 'ies'}"
        elif c.state == STUCK:
            out[c.name] = c.problems[0] if c.problems else "stuck"
    return out
