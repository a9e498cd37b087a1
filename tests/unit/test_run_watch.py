"""`make run`'s watch (issue 28 point 2): the ready line only once every service serves, with the
addresses and metrics endpoints; a restarted service serving again; the relays' progress while they
republish their stores, from the `store` figures of the services' metrics."""

from __future__ import annotations

import pytest

from kernel.runtime import runner
from kernel.runtime.platform import ServiceEntry
from kernel.runtime.supervisor import Republishing


def test_a_small_backlog_says_nothing():
    r = Republishing(at_least=100)
    assert r.observe("clues", 40, 12, 0.0) is None  # new events on their way: the ordinary case
    assert r.observe("clues", 40, 0, 1.0) is None


def test_a_republish_is_reported_every_few_seconds_with_what_is_left_then_caught_up():
    r = Republishing(every=2.0, at_least=100)
    assert r.observe("clues", 6000, 6000, 0.0) == "clues relay catching up: 0/6000 events published"
    assert r.observe("clues", 6000, 5000, 1.0) is None  # not yet `every` seconds since the last line
    assert r.observe("clues", 6000, 4000, 2.0) == (
        "clues relay catching up: 2000/6000 events published (33%, about 4 s left)"
    )
    assert r.observe("cases", 10, 0, 2.5) is None  # each service on its own
    assert r.observe("clues", 6000, 0, 3.0) == "clues relay caught up: 6000 events published (3.0 s)"
    assert r.observe("clues", 6000, 0, 4.0) is None


class FakeProc:
    def __init__(self):
        self.alive = True

    def poll(self):
        return None if self.alive else -9


class Child(runner.ServiceChild):
    def __init__(self, name: str, port: int, pid: int):
        super().__init__(ServiceEntry(name, f"services.{name}.main", port, True, ()), {})
        self.proc, self._pid = FakeProc(), pid

    @property
    def pid(self) -> int:
        return self._pid


@pytest.fixture
def said(monkeypatch):
    lines: list[str] = []
    monkeypatch.setattr(runner, "say", lines.append)
    return lines


def test_the_ready_line_comes_once_every_service_serves_and_a_restarted_one_is_announced(monkeypatch, said):
    clues, audit = Child("clues", 50051, 11), Child("audit", 50054, 12)
    up = {"clues"}
    monkeypatch.setattr(runner, "serving", lambda c: c.name in up)
    monkeypatch.setattr(runner, "store_figures", lambda c: {})
    watch = runner.Watch([clues, audit], started=0.0, clock=lambda: 7.5)
    watch.look()
    assert not watch.ready and said == []  # audit does not serve yet: no address, no ready line
    up.add("audit")
    watch.look()
    assert watch.ready
    assert said[:3] == [
        "clues      serving  gRPC 127.0.0.1:50051  metrics http://127.0.0.1:51051/metrics  (pid 11)",
        "audit      serving  gRPC 127.0.0.1:50054  metrics http://127.0.0.1:51054/metrics  (pid 12)",
        "ready: all 2 services serve (7.5 s after the start)",
    ]
    said.clear()
    clues._pid = 21  # the supervisor restarted it
    up.discard("clues")
    watch.look()
    assert said == []
    up.add("clues")
    watch.look()
    assert said == ["clues serving again at 127.0.0.1:50051 (pid 21)"]


def test_the_watch_reports_a_relay_republishing_from_the_store_figures(monkeypatch, said):
    clues = Child("clues", 50051, 11)
    figures = {"events": 5000.0, "relay_backlog": 5000.0}
    monkeypatch.setattr(runner, "serving", lambda c: True)
    monkeypatch.setattr(runner, "store_figures", lambda c: dict(figures))
    now = [0.0]
    watch = runner.Watch([clues], started=0.0, clock=lambda: now[0])
    watch.look()
    assert said[-1] == "clues relay catching up: 0/5000 events published"
    figures["relay_backlog"], now[0] = 0.0, 4.0
    watch.look()
    assert said[-1] == "clues relay caught up: 5000 events published (4.0 s)"
