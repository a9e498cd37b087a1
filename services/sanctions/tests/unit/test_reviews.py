"""services.sanctions.domain.reviews (issue 22 point 4): appeals and reviews of an issued decision
(domain.md §4c): A1 Party appeal accepted with a team excluding the original handlers, A2 复审 and
A3 复核 within their limits (late flagged, never refused), A4 never heavier and execution never
suspended, A5 revoke/change/uphold with the compensating items and the open ones closed; overdue
the day after decide_by. One row per rule with domain.md's worked examples."""

from datetime import date, datetime, timezone

import pytest

from kernel.domain.errors import IllegalState, NotFound, Validation
from kernel.domain.principal import Principal
from services.sanctions.domain import commands as c, decision as d
from services.sanctions.tests.unit.test_decision import (
    CASE_MANAGER,
    GD,
    GMD,
    GRM,
    HEAD,
    HR as HR_OFFICER,
    ID,
    POLICY,
    PPR,
    PSW,
    PW,
    delivery,
    issued,
    report,
)

TIMERS = Principal.system("sanctions-timers")


def run(state, *commands, policy=POLICY):
    for cmd in commands:
        for e in d.decide(cmd, state, policy):
            state = d.evolve(state, e)
    return state


def lodge(kind, applied, received=None):
    return c.LodgeAppeal(ID, kind, received, applied, CASE_MANAGER)


def accept(team, on=date(2026, 9, 1), handlers=("u-investigator", "u-trial"), appeal_id="appeal-1"):
    return c.AcceptAppeal(ID, appeal_id, tuple(team), on, HEAD, tuple(handlers))


def decide(outcome, ground, on, changed_to="", property_taken=False, appeal_id="appeal-1"):
    return c.DecideAppeal(ID, appeal_id, outcome, ground, changed_to, property_taken, on, HEAD)


def party() -> d.Decision:
    return issued(PW, on=date(2026, 6, 30))


def government(sanction=GD) -> d.Decision:
    """Issued 2026-04-08, delivered to the person 2026-04-10."""
    return run(issued(sanction, on=date(2026, 4, 8)), delivery(on=date(2026, 4, 10)))


# --- A1 (Rules 59) ---------------------------------------------------------------------------------


def test_a1_party_appeal_accepted_2026_09_01_is_due_12_01():
    state = run(party(), lodge("PARTY_APPEAL", date(2026, 8, 20)))
    a = state.appeals["appeal-1"]
    assert (a.status, a.decide_by, a.lodged.late, a.lodged.apply_by) == ("LODGED", None, False, None)
    assert d.awaiting(state).startswith("acceptance of appeal-1")
    state = run(state, accept(["u-reviewer-1", "u-reviewer-2"]))
    assert (state.appeals["appeal-1"].status, state.appeals["appeal-1"].decide_by) == ("ACCEPTED", date(2026, 12, 1))


def test_a1_an_original_investigator_on_the_team_is_refused():
    state = run(party(), lodge("PARTY_APPEAL", date(2026, 8, 20)))
    with pytest.raises(Validation, match=r"^team: refused by A1 \(Rules 59\): u-investigator investigated"):
        run(state, accept(["u-reviewer-1", "u-investigator"]))


@pytest.mark.parametrize(
    "state, kind, problem",
    [
        (party, "REVIEW", r"^kind: refused by A1"),
        (government, "PARTY_APPEAL", r"^kind: refused by A2"),
    ],
)
def test_a1_a2_the_family_decides_the_kind(state, kind, problem):
    with pytest.raises(Validation, match=problem):
        run(state(), lodge(kind, date(2026, 8, 20)))


def test_a1_a_review_is_decided_not_accepted_and_an_appeal_is_accepted_before_it_is_decided():
    state = run(government(), lodge("REVIEW", date(2026, 5, 8)))
    with pytest.raises(IllegalState, match="only a Party appeal is accepted"):
        run(state, accept(["u-r"], appeal_id="appeal-1"))
    state = run(party(), lodge("PARTY_APPEAL", date(2026, 8, 20)))
    with pytest.raises(IllegalState, match="before it is accepted"):
        run(state, decide("UPHOLD", "LAWFUL", date(2026, 9, 2)))
    with pytest.raises(NotFound):
        run(state, accept(["u-r"], appeal_id="appeal-9"))


# --- A2, A3 (SL 56) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "applied, late, decide_by",
    [
        (date(2026, 5, 8), False, date(2026, 6, 8)),
        (date(2026, 5, 10), False, date(2026, 6, 10)),
        (date(2026, 5, 11), True, date(2026, 6, 11)),
    ],
)
def test_a2_review_received_04_10_by_05_10_late_flagged_never_refused(applied, late, decide_by):
    """received 2026-04-10 (the delivery to the person) → by 05-10 (05-11 late, flagged); applied
    05-08 → due 06-08."""
    a = run(government(), lodge("REVIEW", applied)).appeals["appeal-1"]
    assert (a.lodged.received_on, a.lodged.apply_by, a.lodged.late, a.decide_by) == (
        date(2026, 4, 10),
        date(2026, 5, 10),
        late,
        decide_by,
    )


def test_a2_without_a_delivery_to_the_person_the_receipt_is_required():
    with pytest.raises(Validation, match=r"^received_at: required"):
        run(issued(GD, on=date(2026, 4, 8)), lodge("REVIEW", date(2026, 5, 8)))


def test_a3_recheck_only_after_a_decided_review_received_06_05_by_07_05_applied_07_01_due_09_01():
    state = run(government(), lodge("REVIEW", date(2026, 5, 8)))
    with pytest.raises(IllegalState, match="appeal-1 LODGED"):
        run(state, lodge("RECHECK", date(2026, 5, 9), date(2026, 5, 9)))
    with pytest.raises(IllegalState, match="no decided REVIEW"):
        run(government(), lodge("RECHECK", date(2026, 6, 6), date(2026, 6, 5)))
    state = run(
        state, decide("UPHOLD", "LAWFUL", date(2026, 6, 1)), lodge("RECHECK", date(2026, 7, 1), date(2026, 6, 5))
    )
    a = state.appeals["appeal-2"]
    assert (a.lodged.kind, a.lodged.apply_by, a.lodged.late, a.decide_by) == (
        "RECHECK",
        date(2026, 7, 5),
        False,
        date(2026, 9, 1),
    )


# --- A4 (SL 56; PSL 55, 56) -------------------------------------------------------------------------


def test_a4_a_review_raising_demerit_to_major_demerit_is_refused():
    state = run(government(), lodge("REVIEW", date(2026, 5, 8)))
    with pytest.raises(Validation, match=r"^changed_to: refused by A4 .* heavier"):
        run(state, decide("CHANGE", "IMPROPER_SANCTION", date(2026, 6, 1), changed_to=GMD))


def test_a4_execution_is_not_suspended_items_stay_open_while_the_review_runs():
    before = government()
    state = run(before, lodge("REVIEW", date(2026, 5, 8)))
    assert {k: i.status for k, i in state.items.items()} == {k: i.status for k, i in before.items.items()}
    assert d.timers(state, POLICY).keys() >= {k for k in d.timers(before, POLICY)}


# --- A5 (PSL 57-60) ---------------------------------------------------------------------------------


def test_a5_removal_revoked_pay_hr_post_reputation_compensation_finance_open_items_closed():
    """撤职 revoked → pay (HR), post, reputation notice, compensation (finance) items; every open
    item closed; REVOKED; nothing in force after."""
    state = run(government(GRM), lodge("REVIEW", date(2026, 5, 8)))
    open_before = [k for k, i in state.items.items() if i.status == d.OPEN]
    (e,) = d.decide(decide("REVOKE", "EVIDENCE", date(2026, 6, 1), property_taken=True), state, POLICY)
    owners = {i.kind: (i.owner, i.agency) for i in e.items}
    assert owners == {
        "LIFT_LOCKS": ("ORG_DEPT", "organisation_department"),
        "REPUTATION_NOTICE": ("DECIDING_BODY", "commission"),
        "RESTORE_GRADE_AND_PAY": ("HR", "personnel_bureau"),
        "RESTORE_POST": ("ORG_DEPT", "organisation_department"),
        "COMPENSATION": ("FINANCE", "finance_bureau"),
        "PROPERTY_RETURN": ("FINANCE", "finance_bureau"),
    }
    assert {i.due for i in e.items} == {date(2026, 7, 1)}  # [appeals] compensation_months (local)
    assert list(e.closed_items) == open_before and "DELIVER_PERSON" not in e.closed_items
    state = d.evolve(state, e)
    assert state.status == d.REVOKED
    assert all(state.items[k].status == d.CLOSED for k in open_before)
    assert d.in_force(state, date(2026, 5, 31)) is not None and d.in_force(state, date(2026, 6, 1)) is None
    assert "treasury" in d.steps(state)
    with pytest.raises(IllegalState, match="REVOKED"):
        run(state, lodge("RECHECK", date(2026, 6, 10), date(2026, 6, 5)))


def test_a5_change_major_demerit_to_demerit_new_end_locks_and_adjust_item():
    """记大过 (18 m) changed to 记过 (12 m, PSL 58): ends 2027-04-08 instead of 2027-10-08; the
    promotion lock's item moves to the new end; ADJUST_POST_AND_PAY added; in force as 记过."""
    state = run(government(GMD), lodge("REVIEW", date(2026, 5, 8)))
    (e,) = d.decide(decide("CHANGE", "CIRCUMSTANCES", date(2026, 6, 1), changed_to=GD), state, POLICY)
    assert (e.changed_to, e.new_end, [i.kind for i in e.items]) == (GD, date(2027, 4, 8), ["ADJUST_POST_AND_PAY"])
    state = d.evolve(state, e)
    assert state.items["PROMOTION_LOCK"].item.due == date(2027, 4, 8)
    entry = d.in_force(state, date(2026, 7, 1))
    assert (entry.sanction, entry.end, {x.kind for x in entry.locks}) == (
        GD,
        date(2027, 4, 8),
        {"PROMOTION_LOCK", "PAY_STEP_LOCK"},
    )
    assert d.in_force(state, date(2027, 4, 8)) is None


def test_a5_change_closes_the_items_the_lighter_sanction_no_longer_brings():
    """撤职 changed to 记过: the post and pay change (G14) is no longer due → CLOSED."""
    state = run(government(GRM), lodge("REVIEW", date(2026, 5, 8)))
    state = run(state, decide("CHANGE", "IMPROPER_SANCTION", date(2026, 5, 20), changed_to=GD))
    assert state.items["POST_PAY_CHANGE"].status == d.CLOSED
    assert state.status == d.ISSUED


def test_a5_uphold_changes_nothing_and_needs_its_ground():
    state = run(government(), lodge("REVIEW", date(2026, 5, 8)))
    with pytest.raises(Validation, match=r"^ground: refused by A5"):
        run(state, decide("UPHOLD", "FACTS", date(2026, 6, 1)))
    after = run(state, decide("UPHOLD", "LAWFUL", date(2026, 6, 1)))
    assert after.items == state.items and after.appeals["appeal-1"].decided.outcome == "UPHOLD"
    with pytest.raises(IllegalState, match="DECIDED"):
        run(after, decide("UPHOLD", "LAWFUL", date(2026, 6, 2)))


def test_a5_party_appeal_changed_serious_warning_to_warning():
    state = run(
        issued(PSW, on=date(2026, 2, 28)),
        lodge("PARTY_APPEAL", date(2026, 3, 20)),
        accept(["u-r"], on=date(2026, 4, 1)),
    )
    state = run(state, decide("CHANGE", "CIRCUMSTANCES", date(2026, 5, 1), changed_to=PW))
    entry = d.in_force(state, date(2026, 6, 1))
    assert (entry.sanction, entry.end) == (PW, date(2027, 2, 28))


# --- overdue (the timers) ----------------------------------------------------------------------------


def test_appeal_overdue_the_day_after_decide_by_once_and_decided_late():
    """A2: applied 05-08 → due 06-08; the timer at 06-09 00:00 raises AppealOverdue once."""
    state = run(government(), lodge("REVIEW", date(2026, 5, 8)))
    when, event = d.timers(state, POLICY)["appeal:appeal-1"]
    assert when == datetime(2026, 6, 9, tzinfo=timezone.utc)
    command = d.timer_command(event, TIMERS)
    state = run(state, command)
    assert state.appeals["appeal-1"].overdue and "appeal:appeal-1" not in d.timers(state, POLICY)
    assert d.decide(command, state, POLICY) == []  # once
    (e,) = d.decide(decide("UPHOLD", "LAWFUL", date(2026, 6, 10)), state, POLICY)
    assert e.late


def test_a_decided_appeal_wants_no_timer_and_a_stale_one_changes_nothing():
    state = run(government(), lodge("REVIEW", date(2026, 5, 8)))
    _, event = d.timers(state, POLICY)["appeal:appeal-1"]
    state = run(state, decide("UPHOLD", "LAWFUL", date(2026, 6, 1)))
    assert "appeal:appeal-1" not in d.timers(state, POLICY)
    assert d.decide(d.timer_command(event, TIMERS), state, POLICY) == []


def test_a5_a_closed_item_is_neither_reported_nor_blocked_the_compensating_ones_are_executed():
    """A5: after a revocation the closed items are no longer due (FAILED_PRECONDITION naming
    CLOSED); the compensating items are reported by their owners as any other (§4d)."""
    state = run(government(GRM), lodge("REVIEW", date(2026, 5, 8)), decide("REVOKE", "FACTS", date(2026, 6, 1)))
    with pytest.raises(IllegalState, match="CLOSED"):
        run(state, report("POST_PAY_CHANGE", by=HR_OFFICER))
    with pytest.raises(IllegalState, match="CLOSED"):
        run(state, c.RecordBlockage(ID, "POST_PAY_CHANGE", "RULES_MISSING", "", HR_OFFICER))
    state = run(state, report("RESTORE_GRADE_AND_PAY", by=HR_OFFICER, on=date(2026, 6, 10)))
    assert state.items["RESTORE_GRADE_AND_PAY"].status == d.DONE


# --- what the decision answers as it now stands (decision_reads, issue 22) -------------------------


def test_g9_g10_in_force_until_the_lift_and_held_while_a_case_blocks_it():
    """G1/G9: 记过 2026-03-10 lifted 2027-03-10 → nothing in force from then. G10: a case open on
    2027-03-10 → no lift, the locks still hold (awaiting says so) until the lift after the case."""
    from services.sanctions.domain import events as ev

    state = issued(GD)
    lifted = d.evolve(state, ev.SanctionLifted(ID, date(2027, 3, 10), ("PROMOTION_LOCK", "PAY_STEP_LOCK"), ()))
    assert d.in_force(lifted, date(2027, 3, 9)) is not None and d.in_force(lifted, date(2027, 3, 10)) is None
    case = "case-00000000-0000-0000-0000-000000000099"
    blocked = d.evolve(state, ev.LiftBlocked(ID, date(2027, 3, 10), (case,)))
    held = d.in_force(blocked, date(2027, 5, 1))
    assert {x.kind for x in held.locks} == {"PROMOTION_LOCK", "PAY_STEP_LOCK"} and case in d.awaiting(blocked)
    after = d.evolve(blocked, ev.SanctionLifted(ID, date(2027, 6, 1), ("PROMOTION_LOCK",), (), (case,)))
    assert d.in_force(after, date(2027, 5, 31)) is not None and d.in_force(after, date(2027, 6, 1)) is None


def test_p4_probation_restored_bar_extended_end_and_expulsion_as_they_stand():
    """P4 (Regs 12): 留党察看 ends 2027-01-10 → restore: the bar to 2029-01-10 in force after the
    end; extend: the period to 2028-01-10; expel: 开除党籍 stands, no end."""
    from services.sanctions.domain import events as ev
    from services.sanctions.domain.party import NO_EQUAL_OR_HIGHER_POST, NO_VOTE_OR_ELECTION

    state = issued(PPR, on=date(2026, 1, 10), probation_months=12)
    assert d.period_of(state) == (date(2026, 1, 10), date(2027, 1, 10))
    due = d.evolve(state, ev.ProbationReviewDue(ID, date(2027, 1, 10)))
    assert d.awaiting(due).startswith("probation decision by the deciding office")
    bar = ev.Lock(NO_EQUAL_OR_HIGHER_POST, date(2029, 1, 10), "P4 (Regs 12)")
    restored = d.evolve(due, ev.ProbationDecided(ID, "RESTORE", date(2027, 1, 12), "u-head", None, (bar,)))
    entry = d.in_force(restored, date(2028, 6, 1))
    assert [x.kind for x in entry.locks] == [NO_EQUAL_OR_HIGHER_POST] and d.in_force(
        restored, date(2029, 1, 10)
    ) is None
    vote = ev.Lock(NO_VOTE_OR_ELECTION, date(2028, 1, 10), "P4 (Regs 12)")
    extended = d.evolve(due, ev.ProbationDecided(ID, "EXTEND", date(2027, 1, 12), "u-head", date(2028, 1, 10), (vote,)))
    assert d.period_of(extended)[1] == date(2028, 1, 10) and d.in_force(extended, date(2027, 12, 1)) is not None
    expelled = d.evolve(due, ev.ProbationDecided(ID, "EXPEL", date(2027, 1, 12), "u-head", None, ()))
    assert (d.standing(expelled), d.period_of(expelled)[1]) == ("PARTY_EXPULSION", None)
    assert d.in_force(expelled, date(2030, 1, 1)).sanction == "PARTY_EXPULSION"
