"""The runner's restart policy: backoff, its reset, and giving up on a child that keeps failing."""

import pytest

from kernel.runtime.supervisor import ChildHistory, RestartPolicy


def test_backoff_doubles_up_to_the_cap():
    h = ChildHistory(RestartPolicy(max_restarts=100, window=1000, first_delay=0.5, max_delay=4), 0)
    delays = [h.failed(t).delay for t in range(1, 7)]
    assert delays == [0.5, 1, 2, 4, 4, 4]
    assert h.restarts == 6


def test_backoff_starts_over_after_a_stable_run():
    h = ChildHistory(RestartPolicy(max_restarts=100, window=10, stable_after=30), 0)
    assert [h.failed(t).delay for t in (1, 2, 3)] == [0.5, 1, 2]
    h.started(3)
    assert h.failed(40).delay == 0.5


def test_gives_up_on_the_failure_after_max_restarts_within_the_window():
    h = ChildHistory(RestartPolicy(max_restarts=5, window=60), 0)
    verdicts = [h.failed(t) for t in (1, 2, 3, 4, 5)]
    assert not any(v.give_up for v in verdicts)
    assert [v.failures for v in verdicts] == [1, 2, 3, 4, 5]
    last = h.failed(6)
    assert last.give_up and last.failures == 6 and last.restarts == 5


def test_failures_older_than_the_window_are_forgotten():
    h = ChildHistory(RestartPolicy(max_restarts=2, window=60), 0)
    h.failed(0.5)
    h.failed(1)
    v = h.failed(61)  # the first two slid out of the window
    assert not v.give_up and v.failures == 1


def test_zero_restarts_gives_up_at_once():
    assert ChildHistory(RestartPolicy(max_restarts=0), 0).failed(1).give_up


def test_nonsense_policy_is_refused():
    with pytest.raises(ValueError):
        RestartPolicy(max_restarts=-1)
    with pytest.raises(ValueError):
        RestartPolicy(window=0)


class FakeChild:
    """A child that is dead whenever `dead` says so; start() revives it unless it `fails_to_start`."""

    def __init__(self, name, fails_to_start=False):
        self.name, self.pid, self.dead, self.starts, self.fails_to_start = name, 1, False, 0, fails_to_start

    def start(self):
        self.starts += 1
        if self.fails_to_start:
            raise RuntimeError("no")
        self.dead, self.pid = False, self.pid + 1

    def death(self):
        return "killed by SIGKILL" if self.dead else None


def run_ticks(supervisor, clock, seconds, step=0.25):
    for _ in range(int(seconds / step)):
        clock[0] += step
        if (culprit := supervisor.tick()) is not None:
            return culprit
    return None


def test_supervisor_restarts_only_the_dead_child_after_its_backoff(capsys):
    from kernel.runtime.runner import Supervisor

    clock = [0.0]
    a, b = FakeChild("clues"), FakeChild("postgres")
    sup = Supervisor([a, b], RestartPolicy(), clock=lambda: clock[0])
    a.dead = True
    assert run_ticks(sup, clock, 0.25) is None and a.starts == 0  # waiting out the 0.5 s backoff
    assert run_ticks(sup, clock, 0.5) is None and a.starts == 1 and b.starts == 0
    assert sup.restarts() == {"clues": 1}
    err = capsys.readouterr().err
    assert "[run] clues (pid 1) died: killed by SIGKILL; restart 1 in 0.5 s" in err
    assert "[run] clues restarted (pid 2; restart 1)" in err


def test_supervisor_gives_up_on_a_child_that_keeps_failing(capsys):
    from kernel.runtime.runner import Supervisor

    clock = [0.0]
    child = FakeChild("broker", fails_to_start=True)
    child.dead = True
    sup = Supervisor([child], RestartPolicy(max_restarts=5, window=60), clock=lambda: clock[0])
    assert run_ticks(sup, clock, 59) == "broker"
    assert child.starts == 5  # five restarts tried (0.5+1+2+4+8 s of backoff), the sixth failure gives up
    assert "giving up, stopping everything" in capsys.readouterr().err
