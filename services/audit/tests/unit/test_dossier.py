"""Person dossiers (issue 26; domain.md §5): the pure fold of facts into items and whether an
item's period or bar runs on a day — one row per rule, citing the article — and the facts the
recorded events of each situation give (`adapters.dossier_facts`, over tests/dossier_history)."""

from datetime import date, datetime, timedelta, timezone

import pytest

from cases.v1 import events_pb2 as cases
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link, NewEvent
from services.audit.adapters import dossier_facts
from services.audit.adapters.dossier_mapping import item_pb
from services.audit.domain.dossier import (
    CASE,
    CLUE,
    FILING,
    IMPACT,
    MEASURE,
    SANCTION,
    TALK_OR_LETTER,
    Bar,
    Fact,
    Item,
    by_person,
    fold,
    running_at,
)
from tests import dossier_history as h

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
P = "P-1"
CLUE_REF, CASE_REF = "clue-00000000-0000-4000-8000-000000000001", "case-00000000-0000-4000-8000-000000000002"
DECISION = "decision-00000000-0000-4000-8000-000000000003"


def facts(*rows) -> list[Fact]:
    """(kind, ref, change, attrs) rows → facts on leaves 0, 1, 2, ... a day apart."""
    return [
        Fact(P, kind, ref, change, attrs, T0 + timedelta(days=i), T0 + timedelta(days=i), i)
        for i, (kind, ref, change, attrs) in enumerate(rows)
    ]


def one(*rows, on=None) -> Item:
    (item,) = fold(facts(*rows), on)
    return item


# --- fold: one row per rule -------------------------------------------------------------------------

CLUE_STAGES = [
    # (rule, stages the clue went through as facts, expected state, open)
    (
        "§5: a registered clue disposed by talk/letter is open (TALK_OR_LETTER)",
        ["RECEIVED", "REGISTERED", "TALK_OR_LETTER"],
        "TALK_OR_LETTER",
        True,
    ),
    ("§5: CLOSED is concluded", ["RECEIVED", "TALK_OR_LETTER", "CLOSED"], "CLOSED", False),
    ("§5: FORWARDED is concluded (IR2021 169, 171)", ["RECEIVED", "FORWARDED"], "FORWARDED", False),
    (
        "§5: CASE_FILED is concluded (the case speaks for it)",
        ["PRELIM_CHECK", "AWAITING_FILING", "CASE_FILED"],
        "CASE_FILED",
        False,
    ),
    ("§5: AWAITING_FILING is open", ["PRELIM_CHECK", "REPORTED", "AWAITING_FILING"], "AWAITING_FILING", True),
    ("SHELVED (暂存待查) is not concluded", ["REGISTERED", "SHELVED"], "SHELVED", True),
]


@pytest.mark.parametrize("rule, stages, state, open_", CLUE_STAGES, ids=[r[0] for r in CLUE_STAGES])
def test_a_clue_is_open_unless_forwarded_closed_or_case_filed(rule, stages, state, open_):
    terminal = ("FORWARDED", "CLOSED", "CASE_FILED")
    item = one(*[(CLUE, CLUE_REF, "stage", {"state": s, "open": s not in terminal}) for s in stages])
    assert (item.state, item.open) == (state, open_)
    assert item.since == T0 and item.updated_at == T0 + timedelta(days=len(stages) - 1)
    assert item.leaf_indices == tuple(range(len(stages)))


def test_a_rejected_disposal_goes_back_to_registered_only_from_disposal_proposed():
    """As the clues service does (services.clues.domain.state._disposal_rejected)."""
    back = {"state": "REGISTERED", "from": "DISPOSAL_PROPOSED"}
    proposed = one(
        (CLUE, CLUE_REF, "stage", {"state": "DISPOSAL_PROPOSED", "open": True}), (CLUE, CLUE_REF, "stage", back)
    )
    shelved = one((CLUE, CLUE_REF, "stage", {"state": "SHELVED", "open": True}), (CLUE, CLUE_REF, "stage", back))
    assert proposed.state == "REGISTERED" and shelved.state == "SHELVED"
    assert shelved.leaf_indices == (0, 1)  # the event still counts among its leaves


def test_a_reopened_clue_is_open_again():
    item = one(
        (CLUE, CLUE_REF, "closed", {"state": "CLOSED", "open": False}),
        (CLUE, CLUE_REF, "reopened", {"state": "PRELIM_CHECK", "open": True}),
    )
    assert (item.state, item.open) == ("PRELIM_CHECK", True)


def test_the_holding_office_follows_the_latest_fact_that_states_one():
    item = one(
        (CLUE, CLUE_REF, "opened", {"state": "RECEIVED", "open": True, "holding_office": "complaints"}),
        (CLUE, CLUE_REF, "stage", {"state": "REGISTERED", "holding_office": "supervision_1"}),
        (CLUE, CLUE_REF, "stage", {"state": "TALK_OR_LETTER"}),
    )
    assert item.holding_office == "supervision_1"


def test_a_filing_awaits_approval_until_filed_then_it_is_the_case():
    """§5: a filing awaiting approval (PENDING) becomes the open case (OBJECTION, PSL 52)."""
    awaiting = facts(
        (FILING, CASE_REF, "opened", {"state": "AWAITING_APPROVAL", "open": True}),
        (FILING, CASE_REF, "stage", {"state": "AWAITING_APPROVAL"}),
    )
    (filing,) = fold(awaiting)
    assert (filing.kind, filing.state, filing.open) == (FILING, "AWAITING_APPROVAL", True)
    filed = awaiting + [
        Fact(P, FILING, CASE_REF, "filed", {"state": "FILED", "open": False}, T0 + timedelta(days=5), T0, 2),
        Fact(P, CASE, CASE_REF, "opened", {"state": "FILED", "open": True}, T0 + timedelta(days=5), T0, 2),
    ]
    (case,) = fold(filed)
    assert (case.kind, case.state, case.open) == (CASE, "FILED", True)
    assert case.since == T0 and case.leaf_indices == (0, 1, 2)


def test_a_rejected_filing_is_closed_and_a_case_without_a_recorded_filing_is_still_a_case():
    assert not one(
        (FILING, CASE_REF, "opened", {"state": "AWAITING_APPROVAL", "open": True}),
        (FILING, CASE_REF, "closed", {"state": "REJECTED", "open": False}),
    ).open
    case = one(
        (FILING, CASE_REF, "filed", {"state": "FILED", "open": False}),
        (CASE, CASE_REF, "opened", {"state": "FILED", "open": True}),
    )
    assert case.kind == CASE and case.leaf_indices == (1,)


@pytest.mark.parametrize("state", ["DISPOSED", "WITHDRAWN"])
def test_a_case_is_open_until_disposed_or_withdrawn(state):
    item = one(
        (CASE, CASE_REF, "opened", {"state": "FILED", "open": True}),
        (CASE, CASE_REF, "closed", {"state": state, "open": False}),
    )
    assert (item.state, item.open) == (state, False)


def test_open_items_come_first_then_by_since():
    items = fold(
        facts(
            (CLUE, "clue-a", "closed", {"state": "CLOSED", "open": False}),
            (CLUE, "clue-b", "opened", {"state": "RECEIVED", "open": True}),
            (SANCTION, DECISION, "issued", {"state": "IN_EFFECT"}),
            (CASE, CASE_REF, "opened", {"state": "FILED", "open": True}),
        )
    )
    assert [i.ref for i in items] == ["clue-b", CASE_REF, "clue-a", DECISION]


def test_many_persons_fold_apart():
    f = facts((CLUE, CLUE_REF, "opened", {"state": "RECEIVED", "open": True}))
    other = Fact("P-2", CASE, CASE_REF, "opened", {"state": "FILED", "open": True}, T0, T0, 7)
    found = by_person([other, *f])
    assert [i.kind for i in found[P]] == [CLUE] and [i.kind for i in found["P-2"]] == [CASE]


# --- running_at: one row per rule -----------------------------------------------------------------

GOV = [["PROMOTION_LOCK", "2027-03-10", "G7 (PSL 19-21)"], ["PAY_STEP_LOCK", "2027-03-10", "G7 (PSL 19-21)"]]
ISSUED = {
    "state": "IN_EFFECT",
    "what": "GOVERNMENT_DEMERIT",
    "family": "GOVERNMENT",
    "start": "2026-03-10",
    "end": "2027-03-10",
    "bars": GOV,
}
RUNNING = [
    # (rule, facts' attrs on one decision (change, attrs), day, running)
    ("G1 (PSL 7-8): 记过 2026-03-10 runs on its first day", [("issued", ISSUED)], date(2026, 3, 10), True),
    ("G1: ... and the day before its end", [("issued", ISSUED)], date(2027, 3, 9), True),
    ("G1: ends 2027-03-10 (exclusive)", [("issued", ISSUED)], date(2027, 3, 10), False),
    ("nothing runs before its start", [("issued", ISSUED)], date(2026, 3, 9), False),
    (
        "an opened, undecided decision does not run",
        [("opened", {"state": "OPENED", "start": "2026-03-10", "end": "2027-03-10"})],
        date(2026, 6, 1),
        False,
    ),
    (
        "G9 (PSL 26): lifted at its end, nothing runs after",
        [
            ("issued", ISSUED),
            ("lifted", {"state": "LIFTED", "on": "2027-03-10", "locks_ended": ["PROMOTION_LOCK", "PAY_STEP_LOCK"]}),
        ],
        date(2027, 3, 10),
        False,
    ),
    (
        "G9: lifted early ends the named locks on that day",
        [
            ("issued", ISSUED),
            ("lifted", {"state": "LIFTED", "on": "2026-09-01", "locks_ended": ["PROMOTION_LOCK", "PAY_STEP_LOCK"]}),
        ],
        date(2026, 10, 1),
        False,
    ),
    (
        "G10 (PSL 13, 26): a blocked lift runs until lifted",
        [("issued", ISSUED), ("blocked", {"state": "LIFT_BLOCKED"})],
        date(2027, 6, 1),
        True,
    ),
    (
        "A5 (PSL 57): a revoked sanction never runs",
        [("issued", ISSUED), ("revoked", {"state": "REVOKED"})],
        date(2026, 6, 1),
        False,
    ),
    (
        "A5 (PSL 58): changed, the period ends at the new end",
        [("issued", ISSUED), ("changed", {"state": "CHANGED", "what": "GOVERNMENT_WARNING", "new_end": "2026-09-10"})],
        date(2026, 10, 1),
        False,
    ),
    (
        "A5 (PSL 58): changed, runs before the new end",
        [("issued", ISSUED), ("changed", {"state": "CHANGED", "new_end": "2026-09-10"})],
        date(2026, 9, 9),
        True,
    ),
    (
        "G8 (PSL 24): 开除 has no period and runs for ever",
        [("issued", {"state": "IN_EFFECT", "what": "GOVERNMENT_DISMISSAL", "start": "2026-05-01", "end": ""})],
        date(2040, 1, 1),
        True,
    ),
    (
        "P3 (Regs 11): the 24-month bar outlasts the period (P8: nothing cancelled)",
        [
            (
                "issued",
                {
                    "state": "IN_EFFECT",
                    "start": "2026-02-28",
                    "end": "2027-08-28",
                    "bars": [["NO_EQUAL_OR_HIGHER_POST", "2028-02-28", "P3 (Regs 11)"]],
                },
            ),
            ("ended", {"state": "PERIOD_ENDED"}),
        ],
        date(2027, 12, 1),
        True,
    ),
    (
        "P2 (Regs 13): a bar for ever (until empty)",
        [
            (
                "issued",
                {
                    "state": "IN_EFFECT",
                    "start": "2026-02-28",
                    "end": "2026-03-01",
                    "bars": [["NO_REJOINING", "", "P2 (Regs 13)"]],
                },
            )
        ],
        date(2035, 1, 1),
        True,
    ),
    (
        "P4 (Regs 12): restored, the bar on an equal or higher post runs 24 months",
        [
            ("issued", {"state": "IN_EFFECT", "start": "2026-01-10", "end": "2027-01-10"}),
            (
                "probation",
                {"state": "RESTORED", "add_bars": [["NO_EQUAL_OR_HIGHER_POST", "2029-01-10", "P4 (Regs 12)"]]},
            ),
        ],
        date(2028, 6, 1),
        True,
    ),
    (
        "P4 (Regs 12): extended once, runs to the new end",
        [
            ("issued", {"state": "IN_EFFECT", "start": "2026-01-10", "end": "2027-01-10"}),
            ("probation", {"state": "EXTENDED", "end": "2028-01-10"}),
        ],
        date(2027, 6, 1),
        True,
    ),
]


@pytest.mark.parametrize("rule, changes, day, running", RUNNING, ids=[r[0] for r in RUNNING])
def test_a_sanction_runs_in_its_period_or_bar(rule, changes, day, running):
    item = one(*[(SANCTION, DECISION, change, attrs) for change, attrs in changes])
    assert running_at(item, day) is running
    assert one(*[(SANCTION, DECISION, c, a) for c, a in changes], on=day).running is running


IMPACTS = [
    ("§5: 诫勉 in its impact period (sanctions.toml [impacts], local)", date(2026, 6, 1), True),
    ("§5: after its end (exclusive)", date(2026, 9, 22), False),
]


@pytest.mark.parametrize("rule, day, running", IMPACTS, ids=[r[0] for r in IMPACTS])
def test_an_impact_runs_in_its_period(rule, day, running):
    item = one(
        (
            IMPACT,
            DECISION,
            "issued",
            {"state": "IN_EFFECT", "what": "ADMONISHMENT", "start": "2026-03-22", "end": "2026-09-22"},
        )
    )
    assert running_at(item, day) is running


def test_a_measure_runs_while_approved_and_not_ended_and_nothing_else_has_a_period():
    """SL 44: a measure runs from its start to its end (or until lifted)."""
    rows = [
        (MEASURE, "measure-1", "opened", {"state": "REQUESTED", "open": True, "what": "ORDERED_WAITING"}),
        (MEASURE, "measure-1", "approved", {"state": "APPROVED", "start": "2026-04-01", "end": ""}),
    ]
    assert not running_at(one(rows[0]), date(2026, 5, 1))  # requested: not yet
    assert running_at(one(*rows), date(2026, 5, 1))
    ended = one(*rows, (MEASURE, "measure-1", "ended", {"state": "RELEASED", "open": False}))
    assert not running_at(ended, date(2026, 5, 1))
    for kind in (CLUE, FILING, CASE, TALK_OR_LETTER):
        assert not running_at(Item(kind, "x", open=True, start="2026-01-01"), date(2026, 5, 1))


# --- the facts recorded events give (adapters.dossier_facts over the services' own bytes) ---------

DAY = date(2026, 1, 5)


def dossier_of(raws, on: date) -> list[Item]:
    found = [f for leaf, raw in enumerate(raws) for f in dossier_facts.facts_of(env_mod.parse(raw), leaf)]
    assert {f.person_id for f in found} <= {P}
    return fold(found, on)


def summary(items):
    return [(i.kind, i.state, i.open, i.what, i.family, i.running) for i in items]


SITUATIONS = [
    ("clean", h.clean(P, DAY), []),
    (
        "open clue: TALK_OR_LETTER, open (§5 PENDING)",
        h.open_clue(P, DAY),
        [(CLUE, "TALK_OR_LETTER", True, "", "", False)],
    ),
    (
        "concluded clue: closed, the talk/letter CLEARED",
        h.concluded_clue(P, DAY),
        [(CLUE, "CLOSED", False, "", "", False), (TALK_OR_LETTER, "CONCLUDED", False, "CLEARED", "", False)],
    ),
    (
        "filing awaiting approval (§5 PENDING), its clue AWAITING_FILING",
        h.filing_awaiting_approval(P, DAY),
        [(CLUE, "AWAITING_FILING", True, "", "", False), (FILING, "AWAITING_APPROVAL", True, "", "", False)],
    ),
    (
        "open case (§5 OBJECTION, PSL 52), its clue CASE_FILED",
        h.open_case(P, DAY),
        [(CASE, "FILED", True, "", "", False), (CLUE, "CASE_FILED", False, "", "", False)],
    ),
    (
        "measure running (SL 44)",
        h.measure_running(P, DAY),
        [
            (CASE, "FILED", True, "", "", False),
            (MEASURE, "EXECUTED", True, "ORDERED_WAITING", "", True),
            (CLUE, "CASE_FILED", False, "", "", False),
        ],
    ),
    (
        "Party warning in its period (P2, Regs 10)",
        h.party_sanction_in_period(P, date(2025, 9, 1)),
        [
            (CLUE, "CASE_FILED", False, "", "", False),
            (CASE, "DISPOSED", False, "", "", False),
            (SANCTION, "IN_EFFECT", False, "PARTY_WARNING", "PARTY", True),
        ],
    ),
    (
        "government demerit in its period (G1, G7: PSL 7-8, 19-21)",
        h.government_sanction_in_period(P, date(2025, 9, 1)),
        [
            (CLUE, "CASE_FILED", False, "", "", False),
            (CASE, "DISPOSED", False, "", "", False),
            (SANCTION, "IN_EFFECT", False, "GOVERNMENT_DEMERIT", "GOVERNMENT", True),
        ],
    ),
    (
        "expired government warning, lifted (G9, PSL 26)",
        h.expired_sanction(P, date(2025, 1, 6)),
        [
            (CLUE, "CASE_FILED", False, "", "", False),
            (CASE, "DISPOSED", False, "", "", False),
            (SANCTION, "LIFTED", False, "GOVERNMENT_WARNING", "GOVERNMENT", False),
        ],
    ),
    (
        "诫勉 in its impact period (§5)",
        h.admonishment_in_period(P, date(2025, 12, 1)),
        [
            (CLUE, "CLOSED", False, "", "", False),
            (TALK_OR_LETTER, "CONCLUDED", False, "ADMONISHMENT", "", False),
            (IMPACT, "IN_EFFECT", False, "ADMONISHMENT", "", True),
        ],
    ),
]


@pytest.mark.parametrize("name, raws, expected", SITUATIONS, ids=[s[0] for s in SITUATIONS])
def test_each_situation_folds_to_its_dossier(name, raws, expected):
    assert summary(dossier_of(raws, date(2026, 3, 1))) == expected


def test_a_sanction_carries_its_period_bars_and_holding_office():
    (*_, sanction) = dossier_of(h.government_sanction_in_period(P, date(2025, 9, 1)), date(2026, 3, 1))
    assert (sanction.start, sanction.end) == ("2025-09-01", "2026-09-01")
    assert sanction.bars == (
        Bar("PROMOTION_LOCK", "2026-09-01", "G7 (PSL 19-21)"),
        Bar("PAY_STEP_LOCK", "2026-09-01", "G7 (PSL 19-21)"),
    )
    assert sanction.holding_office == h.CASE_OFFICE
    assert not running_at(sanction, date(2026, 9, 1))


def test_no_fact_ever_carries_a_summary_finding_or_informant_text():
    """domain.md §2: informant identity never leaves the clue service; a dossier copies no summaries."""
    for _, raws, _ in SITUATIONS:
        for leaf, raw in enumerate(raws):
            for f in dossier_facts.facts_of(env_mod.parse(raw), leaf):
                text = repr(f.attrs)
                assert h.INFORMANT_MARKER not in text and "举报" not in text and "初核属实" not in text
                assert set(f.attrs) <= {
                    "state",
                    "open",
                    "what",
                    "family",
                    "start",
                    "end",
                    "bars",
                    "holding_office",
                    "from",
                    "add_bars",
                    "on",
                    "locks_ended",
                    "new_end",
                }


def test_an_event_naming_no_person_or_of_another_kind_says_nothing():
    env = env_mod.parse(h.open_clue(P, DAY)[2])  # RegistrationApproved: persons by its links only
    del env.links[:]
    assert dossier_facts.facts_of(env, 0) == []
    env = env_mod.parse(h.open_clue(P, DAY)[0])
    env.event_type = "clues.v1.ClueWarningRaised"
    assert dossier_facts.facts_of(env, 0) == []


def test_the_persons_an_event_names_in_its_payload_count_beside_its_links():
    """A clue's subjects (ClueRegistered) without person links; a disposal's outcomes per person."""
    env = env_mod.parse(h.open_clue(P, DAY)[0])
    del env.links[:]
    assert [(f.person_id, f.kind, f.change) for f in dossier_facts.facts_of(env, 3)] == [(P, CLUE, "opened")]
    disposal = cases.CaseDisposed(
        case_id=CASE_REF,
        outcomes=[cases.Outcome(person_id=P, kind=cases.OUTCOME_KIND_NO_SANCTION), cases.Outcome(person_id="P-2")],
    )
    event = NewEvent("e-1", disposal, T0, h.HEAD, "c", links=(Link("person", P, "subject"),))
    found = dossier_facts.facts_of(env_mod.build(event, CASE_REF, 9, T0), 4)
    assert [(f.person_id, f.kind, f.attrs["state"], f.attrs["open"]) for f in found] == [
        (P, CASE, "DISPOSED", False),
        ("P-2", CASE, "DISPOSED", False),
    ]


def test_an_item_maps_to_its_message():
    (*_, sanction) = dossier_of(h.government_sanction_in_period(P, date(2025, 9, 1)), date(2026, 3, 1))
    pb = item_pb(sanction)
    assert pb.ref == sanction.ref and pb.what == "GOVERNMENT_DEMERIT" and pb.family == "GOVERNMENT" and pb.running
    assert [b.kind for b in pb.bars] == ["PROMOTION_LOCK", "PAY_STEP_LOCK"] and list(pb.leaf_indices) == list(
        sanction.leaf_indices
    )
    assert pb.since.ToDatetime(tzinfo=timezone.utc) == sanction.since


def test_a_history_is_exactly_n_events_each_stream_in_version_order_and_repeatable():
    """tests/dossier_history.history, the benchmark's ledger: the inbox takes each stream in order."""
    raws = h.history(3000, [f"P-{i}" for i in range(50)], seed=7)
    assert len(raws) == 3000 and raws == h.history(3000, [f"P-{i}" for i in range(50)], seed=7)
    last: dict[str, int] = {}
    for env in map(env_mod.parse, raws):
        assert env.version == last.get(env.stream_id, 0) + 1, env.stream_id
        last[env.stream_id] = env.version
    times = [env_mod.parse(r).recorded_at.ToNanoseconds() for r in raws]
    assert times == sorted(times)
