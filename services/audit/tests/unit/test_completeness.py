"""When the ledger can judge a producer complete, and what it finds (issue 14)."""

import pytest

from kernel.messaging.watermark import Position, Watermark
from services.audit.domain.completeness import Judgeable, Seen, judge, judgeable

P = Position


def seen(partition, through, count, epoch="e1"):
    return Seen(partition, epoch, through, count)


def test_nothing_is_judged_until_every_partition_read_a_watermark_of_the_epoch():
    assert judgeable([seen(0, P(5, 9), 4), seen(1, P(5, 9), 4)], 3, "e1") is None
    assert judgeable([seen(0, P(5, 9), 4), seen(1, P(5, 9), 4), seen(2, P(3, 1), 2, "e0")], 3, "e1") is None


def test_the_lowest_watermark_is_the_one_every_partition_covers():
    marks = [seen(0, P(7, 20), 10), seen(1, P(5, 9), 4), seen(2, P(7, 20), 10)]
    assert judgeable(marks, 3, "e1") == Judgeable(P(5, 9), 4)


@pytest.mark.parametrize(
    "verified, verified_count, mark, recorded, missing",
    [
        (P(0, 0), 0, Judgeable(P(5, 9), 4), 4, 0),  # complete
        (P(0, 0), 0, Judgeable(P(5, 9), 4), 3, 1),  # a new stream's first event lost
        (P(5, 9), 4, Judgeable(P(8, 30), 10), 6, 0),  # complete again past what was verified
        (P(5, 9), 4, Judgeable(P(8, 30), 10), 2, 4),
        (P(5, 9), 4, Judgeable(P(8, 30), 10), 7, -1),  # more than the producer says: a rolled-back store
    ],
)
def test_the_verdict_counts_what_is_missing_after_the_verified_position(
    verified, verified_count, mark, recorded, missing
):
    verdict = judge(verified, verified_count, mark, recorded)
    assert (verdict.after, verdict.through, verdict.missing) == (verified, mark.through, missing)
    assert verdict.complete == (missing == 0)


def test_a_watermark_at_or_before_the_verified_position_adds_nothing():
    assert judge(P(5, 9), 4, Judgeable(P(5, 9), 4), 0) is None
    assert judge(P(5, 9), 4, Judgeable(P(4, 2), 1), 0) is None  # a new epoch replaying from the start


def test_positions_order_by_order_key_then_position_and_round_trip():
    assert P(1, 99) < P(2, 1) < P(2, 3)
    assert P.decode(P(12, 34).encode()) == P(12, 34)
    for bad in ("", "1", "a:2", "1:-2", "1:2:3"):
        with pytest.raises(ValueError):
            P.decode(bad)


def test_watermarks_round_trip_and_refuse_malformed():
    mark = Watermark("clues.events.v1", "e1", P(3, 4), 7, 6)
    assert Watermark.decode(mark.encode()) == mark
    for bad in (
        b"",
        b"{}",
        b'{"topic":"t","epoch":"e","through":"1:2","count":-1,"partitions":1}',
        b'{"topic":"t","epoch":"e","through":"x","count":1,"partitions":1}',
    ):
        with pytest.raises(ValueError):
            Watermark.decode(bad)
