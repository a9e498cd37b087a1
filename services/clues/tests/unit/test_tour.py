"""The tour round's rules (seed 001; domain.md §5 "problems per tour round": a problem ledger closed
item by item, 一张清单到底; issue 27), one row per rule, on the pure decider."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from kernel.domain.access import may_know
from kernel.domain.errors import IllegalState, Validation
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore.aggregate import History, Recorded
from services.clues.adapters.tour_mapping import CODEC
from services.clues.app.tours import TourAggregate, problem_rows, round_links
from services.clues.domain import tour as t

pytestmark = pytest.mark.unit

RID = "tour-00000000-0000-0000-0000-000000000001"
OFFICER = Principal("commission", "inspection_tour", "tour_officer", "u-tour")
NOW = datetime(2019, 5, 1, 9, 0, tzinfo=timezone.utc)
DUE = NOW + timedelta(days=60)
UNITS = (t.InspectedUnit("chaoyang", "朝阳区"), t.InspectedUnit("haidian", "海淀区"))
OPEN = t.OpenTourRound(RID, "2019 第二轮", "REGULAR", UNITS, date(2019, 4, 1), date(2019, 6, 30), OFFICER)


def fold(events) -> t.TourRound:
    state = t.TourRound()
    for e in events:
        state = t.evolve(state, e)
    return state


def run(*commands) -> tuple[t.TourRound, list]:
    """Decide and fold each command in turn; the state and every event."""
    state, events = t.TourRound(), []
    for cmd in commands:
        new = t.decide(cmd, state)
        events += new
        state = fold(events)
    return state, events


def problems(*units: str) -> t.RecordTourProblems:
    return t.RecordTourProblems(RID, tuple(t.NewProblem(u, "营商环境", f"found at {u}") for u in units), OFFICER)


def p(n: int) -> str:
    return f"{RID}#{n}"


TRANSFER = t.TransferTourProblem(RID, p(1), "chaoyang", DUE, NOW, OFFICER)
RECTIFY = t.ReportProblemRectified(RID, p(1), "整改完毕", OFFICER)
CLOSE = t.CloseTourProblem(RID, p(1), OFFICER)


def test_opening_records_the_round_with_its_days_office_and_what_was_carried_over():
    state, events = run(replace(OPEN, carried_over=("tour-old#3",)))
    (opened,) = events
    assert opened == t.TourRoundOpened(
        RID, "2019 第二轮", "REGULAR", UNITS, date(2019, 4, 1), date(2019, 6, 30), "inspection_tour", "u-tour",
        ("tour-old#3",),
    )  # fmt: skip
    assert state.status == t.OPEN and state.office == "inspection_tour"


def test_problems_are_numbered_round_id_hash_n_from_one_in_recording_order():
    state, events = run(OPEN, problems("chaoyang", "haidian"), problems("chaoyang"))
    assert [e.problem_id for e in events[1:]] == [p(1), p(2), p(3)]
    assert [x.state for x in state.problems] == [t.RECORDED] * 3


def test_the_ledger_goes_recorded_transferred_rectified_closed():
    state, events = run(OPEN, problems("chaoyang"), TRANSFER, RECTIFY, CLOSE)
    assert [type(e).__name__ for e in events[2:]] == [
        "TourProblemTransferred",
        "TourProblemRectified",
        "TourProblemClosed",
    ]
    (done,) = state.problems
    assert (done.state, done.responsible_unit, done.due_at, done.rectification) == (
        t.CLOSED,
        "chaoyang",
        DUE,
        "整改完毕",
    )
    assert state.open_problems() == ()


# One row per rule: (the rule and where it comes from, the commands before, the command, the error, its field/state)
REFUSED = [
    ("a round is opened once", [OPEN], OPEN, IllegalState, "OPEN"),
    ("the kind is one of the four (regular, special, mobile, circuit)", [], replace(OPEN, kind="WEEKLY"), Validation, "kind"),
    ("a round inspects at least one unit", [], replace(OPEN, units=()), Validation, "units"),
    ("a unit is listed once", [], replace(OPEN, units=UNITS + UNITS[:1]), Validation, "units[2].code"),
    ("a unit has a name", [], replace(OPEN, units=(t.InspectedUnit("x", " "),)), Validation, "units[0].name"),
    ("a round has a first day", [], replace(OPEN, starts_on=None), Validation, "starts_on"),
    ("the last day is not before the first", [], replace(OPEN, ends_on=date(2019, 3, 31)), Validation, "ends_on"),
    ("problems are recorded on an opened round", [], problems("chaoyang"), IllegalState, "NONE"),
    ("a problem is found at one of the round's units", [OPEN], problems("chaoyang", "dongcheng"), Validation, "problems[1].unit"),
    ("a problem has a category", [OPEN], replace(problems("chaoyang"), problems=(t.NewProblem("chaoyang", "", "x"),)), Validation, "problems[0].category"),
    ("a problem says what was found, at most 2000 characters", [OPEN], replace(problems("chaoyang"), problems=(t.NewProblem("chaoyang", "c", "x" * 2001),)), Validation, "problems[0].description"),
    ("at most 500 problems at a time", [OPEN], problems(*["chaoyang"] * 501), Validation, "problems"),
    ("only the round's own problems", [OPEN, problems("chaoyang")], replace(TRANSFER, problem_id="tour-other#1"), Validation, "problem_id"),
    ("no problem beyond the last number", [OPEN, problems("chaoyang")], replace(TRANSFER, problem_id=p(2)), Validation, "problem_id"),
    ("a transfer is due after now", [OPEN, problems("chaoyang")], replace(TRANSFER, due_at=NOW), Validation, "due_at"),
    ("a transfer names the responsible unit", [OPEN, problems("chaoyang")], replace(TRANSFER, responsible_unit=" "), Validation, "responsible_unit"),
    ("only a RECORDED problem is transferred", [OPEN, problems("chaoyang"), TRANSFER], TRANSFER, IllegalState, f"{p(1)} TRANSFERRED"),
    ("only a TRANSFERRED problem is reported rectified", [OPEN, problems("chaoyang")], RECTIFY, IllegalState, f"{p(1)} RECORDED"),
    ("a rectification says what was done", [OPEN, problems("chaoyang"), TRANSFER], replace(RECTIFY, rectification=""), Validation, "rectification"),
    ("销账 only after the rectification is reported", [OPEN, problems("chaoyang"), TRANSFER], CLOSE, IllegalState, f"{p(1)} TRANSFERRED"),
    ("a closed problem stays closed", [OPEN, problems("chaoyang"), TRANSFER, RECTIFY, CLOSE], CLOSE, IllegalState, f"{p(1)} CLOSED"),
    ("a letter is issued once per round", [OPEN, t.IssueSuggestionLetter(RID, "L-1", "市发改委", (), OFFICER)], t.IssueSuggestionLetter(RID, "L-1", "市财政局", (), OFFICER), Validation, "letter_id"),
    ("a letter concerns the round's problems", [OPEN, problems("chaoyang")], t.IssueSuggestionLetter(RID, "L-1", "市发改委", (p(1), p(9)), OFFICER), Validation, "problem_ids[1]"),
    ("a letter names each problem once", [OPEN, problems("chaoyang")], t.IssueSuggestionLetter(RID, "L-1", "市发改委", (p(1), p(1)), OFFICER), Validation, "problem_ids[1]"),
    ("a letter is addressed", [OPEN], t.IssueSuggestionLetter(RID, "L-1", " ", (), OFFICER), Validation, "addressed_to"),
    ("a batch of clues is transferred once per round", [OPEN, t.RecordCluesTransferred(RID, "B-1", ("clue-a",), ("P-1",), OFFICER)], t.RecordCluesTransferred(RID, "B-1", ("clue-b",), ("P-2",), OFFICER), Validation, "batch_reference"),
    ("clues are transferred by an opened round", [], t.RecordCluesTransferred(RID, "B-1", ("clue-a",), (), OFFICER), IllegalState, "NONE"),
]  # fmt: skip


@pytest.mark.parametrize("rule, before, command, error, named", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused(rule, before, command, error, named):
    state, _ = run(*before)
    with pytest.raises(error) as refused:
        t.decide(command, state)
    assert (refused.value.field if error is Validation else refused.value.current_state) == named


def test_a_letter_may_concern_no_problem_and_keeps_the_order_given():
    state, events = run(
        OPEN, problems("chaoyang", "haidian"), t.IssueSuggestionLetter(RID, "L-1", "市发改委", (p(2), p(1)), OFFICER)
    )
    assert events[-1].problem_ids == (p(2), p(1))
    assert len(state.letters) == 1


def test_a_large_clue_transfer_is_recorded_in_parts_of_at_most_64_kb_in_order():
    clues = tuple(f"clue-{i:036d}" for i in range(3000))
    persons = tuple(f"P-{i}" for i in range(3000)) + ("P-1",)  # a person named twice counts once
    state, events = run(OPEN, t.RecordCluesTransferred(RID, "B-1", clues, persons, OFFICER))
    parts = events[1:]
    assert len(parts) > 1 and {e.batch_reference for e in parts} == {"B-1"}
    assert sum((e.clue_ids for e in parts), ()) == clues
    assert sum((e.person_ids for e in parts), ()) == persons[:-1]
    assert all(sum(len(x) + 3 for x in e.clue_ids + e.person_ids) <= t.CHUNK_BYTES for e in parts)
    assert len(state.transfers) == len(parts)


def test_overdue_is_transferred_and_past_due():
    state, _ = run(OPEN, problems("chaoyang", "haidian"), TRANSFER)
    transferred, recorded = state.problems
    assert t.is_overdue(transferred, DUE + timedelta(seconds=1)) and not t.is_overdue(transferred, DUE)
    assert not t.is_overdue(recorded, DUE + timedelta(days=1))


def test_every_event_maps_to_its_message_and_back():
    _, events = run(
        replace(OPEN, carried_over=("tour-old#1",)),
        problems("chaoyang"),
        TRANSFER,
        RECTIFY,
        CLOSE,
        t.IssueSuggestionLetter(RID, "L-1", "市发改委", (p(1),), OFFICER),
        t.RecordCluesTransferred(RID, "B-1", ("clue-a",), ("P-1",), OFFICER),
    )
    assert [CODEC.from_pb(CODEC.to_pb(e)) for e in events] == events
    assert {CODEC.to_pb(e).DESCRIPTOR.full_name for e in events} == {f"clues.v1.{c.__name__}" for c in t.EVENTS}


CATALOGUE = catalogue.load()
AGGREGATE = TourAggregate(CATALOGUE.organisation)


@pytest.mark.parametrize(
    "who, knows",
    [
        (OFFICER, True),  # the office holding the round
        (Principal("commission", "supervision_1", "supervisor", "u-s1"), True),  # its liaison (catalogue)
        (Principal("commission", "deputy_leadership_1", "deputy_head", "u-d1"), True),  # the leader overseeing it
        (Principal("commission", "case_management", "case_manager", "u-cm"), True),  # sees every file
        (Principal("commission", "leadership", "commission_head", "u-head"), True),  # the head knows every round
        (Principal("commission", "supervision_2", "supervisor", "u-s2"), False),
        (Principal("commission", "deputy_leadership_2", "deputy_head", "u-d2"), False),
    ],
    ids=lambda x: getattr(x, "office", str(x)),
)
def test_need_to_know_a_round_domain_md_1(who, knows):
    state, _ = run(OPEN)
    assert AGGREGATE.may_know(who, state) is knows
    if who.role != "commission_head":
        assert may_know(who, AGGREGATE.holding(state), CATALOGUE.organisation) is knows


def test_the_ledger_rows_follow_the_events_alone():
    _, events = run(OPEN, problems("chaoyang", "haidian"), TRANSFER, RECTIFY, CLOSE)
    at = [NOW + timedelta(minutes=i) for i in range(len(events))]
    records = [Recorded(e, a, i + 1) for i, (e, a) in enumerate(zip(events, at))]
    history = History(RID, records, fold(events), len(events))
    rows = problem_rows(history, CATALOGUE.organisation)
    assert [(r[0], r[2], r[5], r[6], r[9], r[14], r[15]) for r in rows] == [
        (p(1), 1, "supervision_1", "chaoyang", t.CLOSED, at[1], at[5]),
        (p(2), 2, "supervision_1", "haidian", t.RECORDED, at[2], None),
    ]


def test_a_transfer_links_its_clues_and_the_persons_named():
    e = t.TourCluesTransferred(RID, "B-1", ("clue-a",), ("P-1",), "u-tour")
    assert [(x.kind, x.id, x.relation) for x in round_links(t.TourRound(), e)] == [
        ("tour", RID, "round"),
        ("clue", "clue-a", "transferred"),
        ("person", "P-1", "subject"),
    ]


def test_the_ledger_lists_a_transferred_problem_past_due_as_overdue():
    from clues.v1 import tours_pb2
    from services.clues.adapters.tour_mapping import problem_to_pb
    from services.clues.app.tours import COLUMNS

    _, events = run(OPEN, problems("chaoyang"), TRANSFER)
    records = [Recorded(e, NOW, i + 1) for i, e in enumerate(events)]
    (row,) = problem_rows(History(RID, records, fold(events), len(events)), CATALOGUE.organisation)
    row = dict(zip(COLUMNS, row))
    late, early = problem_to_pb(row, DUE + timedelta(seconds=1)), problem_to_pb(row, NOW)
    assert (late.overdue, early.overdue) == (True, False)
    assert late.state == tours_pb2.TOUR_PROBLEM_STATE_TRANSFERRED and late.responsible_unit == "chaoyang"
    assert not late.HasField("closed_at") and late.round_reference == "2019 第二轮"
