"""Is the ledger complete for a producer? Judged against the producer's own watermarks.

A relay writes each watermark to every partition after the events it covers (`kernel.messaging.watermark`).
So once the ledger's consumer has read a watermark of one epoch on every partition, it has read
every event up to the smallest of their positions, and that watermark's count is how many the
producer's store holds up to there. Fewer recorded is a loss (never an event in flight: those
come after the watermark); the missing ones lie after the position last found complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.messaging.watermark import Position


@dataclass(frozen=True)
class Seen:
    """The latest watermark read on one partition."""

    partition: int
    epoch: str
    through: Position
    count: int


@dataclass(frozen=True)
class Judgeable:
    through: Position
    count: int


def judgeable(seen: list[Seen], partitions: int, epoch: str) -> Judgeable | None:
    """The watermark that can be judged now: every partition has read one of `epoch`, and the one
    with the smallest position covers every event before it on all partitions. None otherwise."""
    mine = [s for s in seen if s.epoch == epoch]
    if len({s.partition for s in mine}) < partitions:
        return None
    lowest = min(mine, key=lambda s: s.through)
    return Judgeable(lowest.through, lowest.count)


@dataclass(frozen=True)
class Verdict:
    """`missing` events of the range (after, through]; 0 when complete, negative when the ledger
    holds more than the producer says it published (a store rolled back under the ledger)."""

    after: Position
    through: Position
    missing: int

    @property
    def complete(self) -> bool:
        return self.missing == 0


def judge(verified: Position, verified_count: int, mark: Judgeable, recorded_in_range: int) -> Verdict | None:
    """Compare the producer's count up to `mark` with what the ledger recorded: `verified_count`
    up to `verified` (found complete before) plus `recorded_in_range` after it. None when the
    mark adds nothing to what was verified."""
    if not verified < mark.through:
        return None
    return Verdict(verified, mark.through, mark.count - verified_count - recorded_in_range)
