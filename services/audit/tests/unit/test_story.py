"""Which events make up a story, and in which order: the pure rules of replay (复盘)."""

from datetime import datetime, timedelta, timezone

from kernel.eventstore import reads
from services.audit.domain.story import READ, StepKey, link_rows, subject_kind, tell

CLUE = "clue-0f6c9a2e-0000-4000-8000-000000000001"
CASE = "case-0f6c9a2e-0000-4000-8000-000000000002"
DECISION = "decision-0f6c9a2e-0000-4000-8000-000000000003"
T0 = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def test_only_a_clue_case_or_decision_stream_is_a_story_subject():
    assert [subject_kind(s) for s in (CLUE, CASE, DECISION)] == ["clue", "case", "decision"]
    for other in (
        "clue-timers-0f6c9a2e-0000-4000-8000-000000000001",
        "measure-0f6c9a2e-0000-4000-8000-000000000001",
        "reconciliation-0f6c9a2e-0000-4000-8000-000000000001",
        "clue-1",
        CLUE.upper(),
        CLUE + "x",
        "",
    ):
        assert subject_kind(other) is None, other


def test_an_event_on_a_subjects_stream_joins_what_it_links_but_never_persons():
    rows = link_rows(CASE, [("clue", CLUE, "origin"), ("person", "P-1", "subject"), ("decision", DECISION, "d")])
    assert rows == [("clue", CLUE, "origin", True), ("decision", DECISION, "d", True)]
    assert link_rows(CLUE, [("person", "P-1", "subject")]) == []  # most events: no index row at all


def test_an_event_on_another_stream_belongs_to_what_it_names_without_joining_them():
    rows = link_rows(
        "reconciliation-0f6c9a2e-0000-4000-8000-000000000009",
        [("clue", CLUE, "reconciled"), ("clue", "clue-other", "reconciled")],
    )
    assert rows == [("clue", CLUE, "reconciled", False), ("clue", "clue-other", "reconciled", False)]


def test_repeated_and_empty_links_count_once_and_the_order_is_fixed():
    links = [
        ("case", "case-2", "x"),
        ("case", "case-1", "x"),
        ("case", "case-2", "x"),
        ("case", "case-2", "y"),
        ("", "x", "r"),
        ("case", "", "r"),
        ("measure", "measure-1", "m"),
    ]
    assert (
        link_rows(CLUE, links)
        == link_rows(CLUE, list(reversed(links)))
        == [("case", "case-1", "x", True), ("case", "case-2", "x", True), ("case", "case-2", "y", True)]
    )


def test_a_read_is_no_step_of_a_story():
    read = [("clue", CLUE, READ), ("case", CASE, READ), ("person", "P-1", READ)]
    assert link_rows(f"read-{CLUE[5:]}", read) == [] and READ == reads.READ  # the kernel's relation
    assert link_rows(CASE, [*read, ("clue", CLUE, "origin")]) == [("clue", CLUE, "origin", True)]


def test_steps_go_by_domain_time_then_recorded_time_stream_and_version():
    late_fact = StepKey(T0, T0 + timedelta(days=5), CLUE, 7)  # happened first, recorded later
    keys = [
        StepKey(T0 + timedelta(hours=1), T0 + timedelta(hours=1), CLUE, 2),
        StepKey(T0, T0, CLUE, 2),
        StepKey(T0, T0, CLUE, 1),
        late_fact,
        StepKey(T0, T0, CASE, 9),
    ]
    members = [(k, leaf) for leaf, k in enumerate(keys)]
    told = tell(members, None, None, 100)
    assert told.keys == [
        StepKey(T0, T0, CASE, 9),
        StepKey(T0, T0, CLUE, 1),
        StepKey(T0, T0, CLUE, 2),
        late_fact,
        keys[0],
    ]
    assert told.leaves == [4, 2, 1, 3, 0] and told.total == 5
    assert told.as_of == T0 + timedelta(days=5)  # all of it: as of its latest record
    assert tell(list(reversed(members)), None, None, 100) == told  # whatever order they come in


def test_as_of_keeps_what_was_recorded_by_then_and_pages_follow_the_key():
    keys = [
        StepKey(T0 + timedelta(days=d), T0 + timedelta(days=r), CLUE, v)
        for v, (d, r) in enumerate([(0, 0), (1, 1), (2, 9), (3, 3), (4, 4)], 1)
    ]
    members = [(k, 10 + i) for i, k in enumerate(keys)]
    then = tell(members, T0 + timedelta(days=4), None, 100)
    assert then.leaves == [10, 11, 13, 14] and then.total == 4 and then.as_of == T0 + timedelta(days=4)
    first = tell(members, None, None, 2)
    second = tell(members, first.as_of, first.keys[-1], 2)
    third = tell(members, first.as_of, second.keys[-1], 2)
    assert (first.leaves, second.leaves, third.leaves) == ([10, 11], [12, 13], [14])
    assert tell(members, T0 - timedelta(days=1), None, 10).total == 0 == tell([], None, None, 10).total
