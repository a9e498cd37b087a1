"""Monthly reconciliation and stock-take rules: pure, table-driven."""

from datetime import datetime, timedelta, timezone

import pytest

from services.clues.domain import events as ev, reconciliation as rec
from services.clues.domain.reconciliation import Holding, Listed, reconcile
from services.clues.domain.state import fold
from services.clues.domain.stocktake import StockTake

OFFICE = "resident_group_1"


def held(n: int, status="REGISTERED", holder=OFFICE, source="PETITION", colour="GREEN", concluded=False):
    return Holding(f"clue-{n}", f"CM-{n:04d}", status, holder, source, colour, concluded)


def line(n: int, status="REGISTERED"):
    return Listed(f"CM-{n:04d}", f"clue-{n}", status)


def kinds(listed, holdings):
    return [(d.kind, d.clue_id) for d in reconcile(OFFICE, listed, {h.clue_id: h for h in holdings})]


CASES = {
    "ledgers agree": ([line(1), line(2, "TALK_OR_LETTER")], [held(1), held(2, "TALK_OR_LETTER")], []),
    "nothing held, nothing listed": ([], [], []),
    "office leaves a clue out": ([line(1)], [held(1), held(2)], [(rec.MISSING_FROM_OFFICE, "clue-2")]),
    "closed in the month must be listed": (
        [],
        [held(3, "CLOSED", concluded=True)],
        [(rec.MISSING_FROM_OFFICE, "clue-3")],
    ),
    "closed before the month need not be": ([], [held(3, "CLOSED")], []),
    "closed before the month, listed, agrees": ([line(3, "CLOSED")], [held(3, "CLOSED")], []),
    "status disagrees": ([line(1, "PRELIM_CHECK")], [held(1, "TALK_OR_LETTER")], [(rec.STATUS_DIFFERS, "clue-1")]),
    "unknown clue": ([Listed("RG1-17", "", "REGISTERED")], [], [(rec.UNKNOWN_TO_CENTRAL, "")]),
    "known id but not yet received at month end": ([line(5)], [], [(rec.UNKNOWN_TO_CENTRAL, "clue-5")]),
    "escalated away, still listed": (
        [line(1)],
        [held(1, holder="supervision_2")],
        [(rec.HELD_BY_ANOTHER_OFFICE, "clue-1")],
    ),
    "another office's clue not listed is no concern": ([], [held(1, holder="supervision_2")], []),
    "superior's assignment red and undisposed, listed": (
        [line(4)],
        [held(4, source="SUPERIOR_ASSIGNMENT", colour="RED")],
        [(rec.ASSIGNED_NOT_DISPOSED, "clue-4")],
    ),
    "superior's assignment red and undisposed, not listed either": (
        [],
        [held(4, "RECEIVED", source="SUPERIOR_ASSIGNMENT", colour="RED")],
        [(rec.MISSING_FROM_OFFICE, "clue-4"), (rec.ASSIGNED_NOT_DISPOSED, "clue-4")],
    ),
    "superior's assignment yellow is not yet late": (
        [line(4)],
        [held(4, source="SUPERIOR_ASSIGNMENT", colour="YELLOW")],
        [],
    ),
    "superior's assignment disposed, though red": (
        [line(4, "PRELIM_CHECK")],
        [held(4, "PRELIM_CHECK", source="SUPERIOR_ASSIGNMENT", colour="RED")],
        [],
    ),
    "a petition red and undisposed is only a warning": ([line(4)], [held(4, colour="RED")], []),
    "superior's assignment held elsewhere is not this office's": (
        [],
        [held(4, holder="supervision_2", source="SUPERIOR_ASSIGNMENT", colour="RED")],
        [],
    ),
}


@pytest.mark.parametrize("listed,holdings,want", CASES.values(), ids=CASES.keys())
def test_reconcile(listed, holdings, want):
    assert kinds(listed, holdings) == want


def test_differences_are_ordered_by_kind_then_number_and_explained():
    holdings = [held(9), held(2), held(7, source="SUPERIOR_ASSIGNMENT", colour="RED"), held(1, "TALK_OR_LETTER")]
    diffs = reconcile(OFFICE, [line(1), line(7)], {h.clue_id: h for h in holdings})
    assert [(d.kind, d.clue_number) for d in diffs] == [
        (rec.MISSING_FROM_OFFICE, "CM-0002"),
        (rec.MISSING_FROM_OFFICE, "CM-0009"),
        (rec.STATUS_DIFFERS, "CM-0001"),
        (rec.ASSIGNED_NOT_DISPOSED, "CM-0007"),
    ]
    differs = diffs[2]
    assert (differs.office_status, differs.central_status) == ("REGISTERED", "TALK_OR_LETTER")
    assert "TALK_OR_LETTER" in differs.explanation


def test_the_same_input_gives_the_same_report():
    holdings = {h.clue_id: h for h in [held(n, colour="RED", source="SUPERIOR_ASSIGNMENT") for n in range(20)]}
    listed = [line(n) for n in range(0, 20, 3)]
    assert reconcile(OFFICE, listed, holdings) == reconcile(
        OFFICE, list(reversed(listed)), dict(reversed(list(holdings.items())))
    )


T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
SUBJECT = ev.Subject("P-1", "Zhang San")


def _clue(n, steps):
    """(timed events, folded state, stage_since) of a clue whose events occur on the given days."""
    cid = f"clue-{n}"
    events = [ev.ClueRegistered(cid, "PETITION", (SUBJECT,), "s", "commission", "case_management", T0, False)]
    for name in steps:
        events += {
            "propose": [ev.RegistrationProposed(cid, f"CM-{n}", OFFICE, "u-cm")],
            "register": [ev.RegistrationApproved(cid, "u-head")],
            "notice": [ev.SupervisionNoticeIssued(cid, "N1", OFFICE, T0 + timedelta(days=40), "DISPOSED", "u-cm")],
            "shelve": [
                ev.DisposalProposed(cid, "SHELVED", "r", "u-cm"),
                ev.DisposalApproved(cid, "SHELVED", "u-h"),
                ev.SupervisionNoticeSatisfied(cid, "N1", "SHELVED"),
            ],
            "close": [ev.DisposalProposed(cid, "CLOSED", "r", "u-cm"), ev.DisposalApproved(cid, "CLOSED", "u-h")],
        }[name]
    timed = [(e, T0 + timedelta(days=10 * i), i + 1) for i, e in enumerate(events)]
    return timed, fold(e for e, _, _ in timed), timed[-1][1]


def test_stock_take_counts_the_period_and_the_state_at_its_end():
    take = StockTake(T0 + timedelta(days=5), T0 + timedelta(days=200))
    take.add(*_clue(1, ["propose", "register", "close"])[:2], "GREEN", T0 + timedelta(days=40))
    take.add(*_clue(2, ["propose", "register", "notice", "shelve"])[:2], "GREEN", T0 + timedelta(days=60))
    take.add(*_clue(3, ["propose", "register", "notice"])[:2], "RED", T0 + timedelta(days=20))
    take.add(*_clue(4, [])[:2], "YELLOW", T0)
    assert take.received == 0  # every clue was received on day 0, before the period
    assert dict(take.disposed_by_method) == {"CLOSED": 1, "SHELVED": 1}
    assert dict(take.concluded_by_status) == {"CLOSED": 1}
    assert dict(take.open_by_stage) == {"SHELVED": 1, "REGISTERED": 1, "RECEIVED": 1}
    assert dict(take.open_by_colour) == {"GREEN": 1, "RED": 1, "YELLOW": 1}
    assert take.overdue == 1
    assert (take.notices_issued, take.notices_met, take.notices_overdue) == (2, 1, 1)


def test_stock_take_counts_receipt_inside_the_period_only():
    take = StockTake(T0, T0 + timedelta(days=1))
    take.add(*_clue(1, [])[:2], "GREEN", T0)
    assert take.received == 1
    later = StockTake(T0 + timedelta(seconds=1), T0 + timedelta(days=1))
    later.add(*_clue(1, [])[:2], "GREEN", T0)
    assert later.received == 0 and dict(later.open_by_stage) == {"RECEIVED": 1}
