"""After a transfer for prosecution (SL 54; IR2025 134; CPL 172, unverified): table tests of the
pure rules in services.cases.domain.prosecution, joined to the case's decide/evolve."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain.errors import Forbidden, IllegalState, NotFound, Validation
from kernel.domain.principal import Principal
from services.cases.domain import events as ev, prosecution as pr
from services.cases.domain.decide import DEFAULT_POLICY, decide
from services.cases.domain.state import fold, fold_from

CASE = "case-00000000-0000-0000-0000-0000000000c1"
UTC = timezone.utc
DISPOSED_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
PROC = Principal("procuratorate", "prosecution_intake", "partner_system", "u-proc")
COURT = Principal("court", "court_filing", "partner_system", "u-court")
OFFICER = Principal("commission", "case_management", "case_manager", "u-cm")
DOC = ev.Document("退回补充调查决定书", "ab" * 32)
SUBJECTS = (ev.Subject("p-1", "甲", "", ""), ev.Subject("p-2", "乙", "", ""))
OPENED = ev.FilingOpened(CASE, "clue-1", "", SUBJECTS, "findings", "office_1", "u-prop")
DISPOSED = ev.CaseDisposed(
    CASE,
    (ev.Outcome("TRANSFER_FOR_PROSECUTION", "p-1"), ev.Outcome("NO_SANCTION", "p-2")),
    "u-head",
    DISPOSED_AT,
    (ev.Document("移送审查起诉意见书", "cd" * 32),),
)
BASE = fold([OPENED, DISPOSED])


def returned(at: datetime, person="p-1"):
    return pr.ReturnForSupplementaryInvestigation(CASE, person, DOC, at, PROC)


def completed(at: datetime):
    return pr.CompleteSupplementaryInvestigation(CASE, "p-1", DOC, at, OFFICER)


def decision(word: str, at: datetime, by=PROC, person="p-1"):
    return pr.ReportProsecutionDecision(CASE, person, word, DOC, at, by)


def run(state, *commands):
    """Decide and fold each command in turn; the last command's events."""
    events = []
    for cmd in commands:
        events = decide(cmd, state, DEFAULT_POLICY)
        state = fold_from(state, events)
    return state, events


def test_sl54_return_is_due_in_one_month():
    _, (e,) = run(BASE, returned(datetime(2026, 3, 10, tzinfo=UTC)))
    assert (e.round, e.due, e.agency, e.reported_by) == (
        1,
        datetime(2026, 4, 10, tzinfo=UTC),
        "procuratorate",
        "u-proc",
    )


def test_sl54_at_most_twice():
    d = datetime(2026, 3, 10, tzinfo=UTC)
    state, _ = run(BASE, returned(d), completed(d + timedelta(days=20)), returned(d + timedelta(days=25)))
    state, _ = run(state, completed(d + timedelta(days=40)))
    with pytest.raises(IllegalState, match="at most 2"):
        decide(returned(d + timedelta(days=45)), state)


def test_sl54_completion_late_is_recorded():
    d = datetime(2026, 3, 10, tzinfo=UTC)
    _, (e,) = run(BASE, returned(d), completed(datetime(2026, 4, 11, tzinfo=UTC)))
    assert (e.round, e.late) == (1, True)


def test_cpl172_charge_decision_window_from_last_receipt():
    # unverified: 1 month + 15 days from the disposal, or from the last completed return
    _, (e,) = run(BASE, decision("CHARGED", datetime(2026, 4, 15, tzinfo=UTC)))
    assert (e.due, e.late) == (datetime(2026, 4, 16, 9, tzinfo=UTC), False)
    _, (e,) = run(BASE, decision("NOT_PROSECUTED", datetime(2026, 4, 17, tzinfo=UTC)))
    assert e.late is True
    d = datetime(2026, 3, 10, tzinfo=UTC)
    _, (e,) = run(
        BASE, returned(d), completed(datetime(2026, 3, 30, tzinfo=UTC)), decision("CHARGED", d + timedelta(days=30))
    )
    assert e.due == datetime(2026, 5, 15, tzinfo=UTC)


def test_sl54_reconsideration_of_a_non_prosecution_once():
    refer = pr.ReferForReconsideration(CASE, "p-1", DOC, datetime(2026, 4, 20, tzinfo=UTC), "上级人民检察院", OFFICER)
    state, (e,) = run(BASE, decision("NOT_PROSECUTED", datetime(2026, 4, 1, tzinfo=UTC)), refer)
    assert e.upper_procuratorate == "上级人民检察院"
    with pytest.raises(IllegalState, match="once"):
        decide(refer, state)


def test_sl54_supplementary_warnings_yellow_then_red_stale_after_completion():
    d = datetime(2026, 3, 10, tzinfo=UTC)
    state, _ = run(BASE, returned(d))
    wanted = pr.timers(state, DEFAULT_POLICY.prosecution)
    assert sorted((at, w.colour) for at, w in wanted.values()) == [
        (datetime(2026, 4, 5, tzinfo=UTC), "YELLOW"),
        (datetime(2026, 4, 10, tzinfo=UTC), "RED"),
    ]
    yellow = next(w for _, w in wanted.values() if w.colour == "YELLOW")
    state2, events = run(state, pr.RecordSupplementaryWarning(yellow))
    assert events == [yellow] and state2.prosecution[0].warning == "YELLOW"
    done, _ = run(state, completed(d + timedelta(days=5)))
    assert (
        decide(pr.RecordSupplementaryWarning(yellow), done) == [] and pr.timers(done, DEFAULT_POLICY.prosecution) == {}
    )


REFUSED = [
    # (why, state's commands first, the command, error, attribute)
    ("issue 24: a person not transferred is NOT_FOUND", (), returned(DISPOSED_AT, "p-2"), NotFound, None),
    ("issue 24: another agency is NOT_FOUND", (), decision("CHARGED", DISPOSED_AT, COURT), NotFound, None),
    ("decision is CHARGED or NOT_PROSECUTED", (), decision("MAYBE", DISPOSED_AT), Validation, "decision"),
    (
        "document by hash",
        (),
        pr.ReturnForSupplementaryInvestigation(CASE, "p-1", ev.Document("x", "XY"), DISPOSED_AT, PROC),
        Validation,
        "document.sha256",
    ),
    ("no date before the receipt", (), returned(DISPOSED_AT - timedelta(days=1)), Validation, "returned_at"),
    (
        "SL 54: no decision while a return is open",
        (returned(DISPOSED_AT),),
        decision("CHARGED", DISPOSED_AT),
        IllegalState,
        None,
    ),
    ("SL 54: one return at a time", (returned(DISPOSED_AT),), returned(DISPOSED_AT), IllegalState, None),
    (
        "the commission completes, not a partner",
        (returned(DISPOSED_AT),),
        pr.CompleteSupplementaryInvestigation(CASE, "p-1", DOC, DISPOSED_AT, PROC),
        Forbidden,
        None,
    ),
    ("nothing to complete", (), completed(DISPOSED_AT), IllegalState, None),
    (
        "SL 54: only a non-prosecution is referred",
        (decision("CHARGED", DISPOSED_AT),),
        pr.ReferForReconsideration(CASE, "p-1", DOC, DISPOSED_AT, "上级", OFFICER),
        IllegalState,
        None,
    ),
    ("decided once", (decision("CHARGED", DISPOSED_AT),), decision("CHARGED", DISPOSED_AT), IllegalState, None),
]


@pytest.mark.parametrize(("why", "before", "cmd", "error", "field"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused(why, before, cmd, error, field):
    state, _ = run(BASE, *before)
    with pytest.raises(error) as raised:
        decide(cmd, state)
    if field:
        assert raised.value.field == field


def test_not_disposed_case_is_not_found():
    with pytest.raises(NotFound):
        decide(returned(DISPOSED_AT), fold([OPENED]))


# -- configuration (deploy/config/prosecution.toml) -----------------------------------------------


def test_shipped_configuration_is_the_defaults():
    from services.cases.app.prosecution_rules import load_prosecution_rules

    assert load_prosecution_rules() == pr.DEFAULT_RULES


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            {"supplementary": {"length": "a month", "max_returns": 2, "warning_before": "5 days"}},
            "supplementary.length",
        ),
        ({"supplementary": {"length": "1 months", "max_returns": -1, "warning_before": "5 days"}}, "max_returns"),
        ({"supplementary": {"length": "1 months", "max_returns": 2}}, "supplementary.warning_before"),
        ({"charge_decision": {"length": ["1 months", "x"]}}, "charge_decision.length"),
        ({"partners": {"agencies": [], "roles": ["partner_system"]}}, "partners.agencies"),
        ({"extra": {}}, "extra"),
        ({"schema_version": 2}, "schema_version"),
    ],
)
def test_configuration_errors_name_the_key(change, key):
    from kernel.runtime.config import read_toml
    from services.cases.app.prosecution_rules import DEFAULT_FILE, ProsecutionRulesError, parse_prosecution_rules

    data = {**read_toml(DEFAULT_FILE, ProsecutionRulesError), **change}
    with pytest.raises(ProsecutionRulesError, match=key):
        parse_prosecution_rules(data, "prosecution.toml")


def test_sl54_an_open_return_awaits_case_management_until_completed():
    from services.cases.domain import awaiting as aw

    d = datetime(2026, 3, 10, tzinfo=UTC)
    state, _ = run(BASE, returned(d))
    (a,) = aw.case_awaited(state)
    assert (a.step, a.role, a.since, a.due) == (
        "CompleteSupplementaryInvestigation",
        "case_manager",
        d,
        d + timedelta(days=31),
    )
    done, _ = run(state, completed(d + timedelta(days=5)))
    assert aw.case_awaited(done) == ()
