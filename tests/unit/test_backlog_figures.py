"""A consumer's backlog from the producers' watermarks (issue 28 point 1, `kernel.messaging.backlog`):
published (the latest watermark the producer's relay wrote) minus consumed (the latest watermark
the consumer passed on every partition, plus the records it stored after it on each), never from
Kafka end offsets. One row per rule."""

import pytest

from kernel.messaging.backlog import Backlog
from kernel.messaging.watermark import Position, Watermark

T, U = "p.clues.events.v1", "p.cases.events.v1"


def mark(count: int, epoch: str = "e1", partitions: int = 2, topic: str = T) -> bytes:
    return Watermark(topic, epoch, Position(1, count), count, partitions).encode()


def published(b: Backlog, count: int, epoch: str = "e1", topic: str = T) -> None:
    b.see(topic, Watermark.decode(mark(count, epoch, topic=topic)))


def passed_everywhere(b: Backlog, count: int, epoch: str = "e1", topic: str = T) -> None:
    for p in (0, 1):
        b.passed(topic, p, mark(count, epoch, topic=topic))


def unknown_before_the_consumer_passed_a_watermark_on_every_partition(b: Backlog) -> dict:
    published(b, 10)
    b.passed(T, 0, mark(10))
    return {}


def caught_up_when_it_passed_the_latest_everywhere(b: Backlog) -> dict:
    published(b, 10)
    passed_everywhere(b, 10)
    return {f"backlog {T}": 0, "backlog": 0}


def a_stalled_consumer_owes_what_was_published_since(b: Backlog) -> dict:
    passed_everywhere(b, 10)
    published(b, 25)
    return {f"backlog {T}": 15, "backlog": 15}


def records_stored_after_the_watermark_count_as_consumed(b: Backlog) -> dict:
    passed_everywhere(b, 10)
    published(b, 25)
    for p, n in ((0, 4), (1, 3)):
        for _ in range(n):
            b.stored(T, p)
    return {f"backlog {T}": 8, "backlog": 8}


def partitions_at_different_watermarks_count_from_the_one_passed_everywhere(b: Backlog) -> dict:
    passed_everywhere(b, 10)
    b.stored(T, 0)
    b.stored(T, 0)
    for _ in range(3):
        b.stored(T, 1)
    b.passed(T, 1, mark(14))  # partition 1 is further on: 10 + 2 (p0) + 3 + 1 (p1) = 16 consumed
    b.stored(T, 1)
    published(b, 20)
    return {f"backlog {T}": 4, "backlog": 4}


def a_watermark_the_consumer_read_is_published_too(b: Backlog) -> dict:
    passed_everywhere(b, 12)  # the watcher has not seen it yet
    return {f"backlog {T}": 0, "backlog": 0}


def a_new_epoch_is_unknown_until_the_consumer_passed_it_everywhere(b: Backlog) -> dict:
    passed_everywhere(b, 10)
    published(b, 3, epoch="e2")  # the topic written anew: counted anew
    return {}


def a_new_epoch_counts_anew_once_passed(b: Backlog) -> dict:
    passed_everywhere(b, 10)
    passed_everywhere(b, 3, epoch="e2")
    published(b, 5, epoch="e2")
    return {f"backlog {T}": 2, "backlog": 2}


def never_negative(b: Backlog) -> dict:
    passed_everywhere(b, 10)
    for _ in range(5):
        b.stored(T, 0)  # published after the watermark, not yet in one
    return {f"backlog {T}": 0, "backlog": 0}


def the_total_only_when_every_topic_is_known(b: Backlog) -> dict:
    passed_everywhere(b, 10)
    published(b, 11)
    published(b, 4, topic=U)
    return {f"backlog {T}": 1}


def the_total_sums_the_topics(b: Backlog) -> dict:
    passed_everywhere(b, 10)
    published(b, 11)
    passed_everywhere(b, 2, topic=U)
    published(b, 4, topic=U)
    return {f"backlog {T}": 1, f"backlog {U}": 2, "backlog": 3}


ROWS = [
    unknown_before_the_consumer_passed_a_watermark_on_every_partition,
    caught_up_when_it_passed_the_latest_everywhere,
    a_stalled_consumer_owes_what_was_published_since,
    records_stored_after_the_watermark_count_as_consumed,
    partitions_at_different_watermarks_count_from_the_one_passed_everywhere,
    a_watermark_the_consumer_read_is_published_too,
    a_new_epoch_is_unknown_until_the_consumer_passed_it_everywhere,
    a_new_epoch_counts_anew_once_passed,
    never_negative,
    the_total_only_when_every_topic_is_known,
    the_total_sums_the_topics,
]


@pytest.mark.parametrize("row", ROWS, ids=[r.__name__ for r in ROWS])
def test_issue28_backlog(row):
    b = Backlog([T, U] if "topic" in row.__name__ else [T])
    expected = row(b)
    assert b.counters() == expected


def test_issue28_old_watermarks_are_dropped_once_passed_everywhere():
    b = Backlog([T])
    for count in range(1, 50):
        passed_everywhere(b, count)
    assert all(len(b._parts[(T, p)].marks) == 1 for p in (0, 1))
