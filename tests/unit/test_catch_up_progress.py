"""kernel.eventstore.projections.Paced (issue 28: `make run` says what a starting service is busy
with): a long catch-up's progress said at once, then at most every `every` seconds, with the time
left estimated from the rate so far."""

from __future__ import annotations

import pytest

from kernel.eventstore.projections import Paced


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("reports", "said"),
    [
        # the first report is said at once (how much there is to do), no estimate yet
        ([(0.0, 0, 1000)], [(0, 1000, None)]),
        # within `every` seconds of the last line: nothing
        ([(0.0, 0, 1000), (1.0, 100, 1000)], [(0, 1000, None)]),
        # `every` seconds on: said, with the time left at the rate so far (200 in 2 s: 8 s for 800)
        ([(0.0, 0, 1000), (1.0, 100, 1000), (2.0, 200, 1000)], [(0, 1000, None), (200, 1000, 8)]),
        # and again only `every` seconds after that line
        (
            [(0.0, 0, 1000), (2.0, 200, 1000), (3.5, 300, 1000), (4.0, 500, 1000)],
            [(0, 1000, None), (200, 1000, 8), (500, 1000, 4)],
        ),
    ],
)
def test_a_catch_up_is_said_at_once_then_every_few_seconds_with_the_time_left(reports, said):
    clock, heard = Clock(), []
    paced = Paced(lambda done, total, left: heard.append((done, total, left)), every=2.0, clock=clock)
    for at, done, total in reports:
        clock.now = 100.0 + at
        paced(done, total)
    assert heard == said
