"""services.sanctions.domain.periods (issue 22 points 1, 2 and their share of 5): periods that end by
themselves (G1/G9 lift, G10 block, P8 end, P4 review and decision) and items that fall overdue
(§4d, P9, P10), one row per rule with domain.md's worked examples. Timers are fired as the kernel
fires them: the timer's event → `decision.timer_command` → `decide`. Pure: no store, no clock."""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kernel.domain.errors import IllegalState, NotFound, Validation
from kernel.domain.principal import Principal
from services.sanctions.domain import commands as c, decision as d, events as ev, periods
from services.sanctions.tests.unit.test_decision import (
    CASE_MANAGER,
    GD,
    GDM,
    GDS,
    GRM,
    ID,
    PEX,
    POLICY,
    PPR,
    PSW,
    PW,
    fold,
    issued,
    report,
)

TIMERS = Principal.system("sanctions-timers")
BEIJING = d.DecisionPolicy(zone=ZoneInfo("Asia/Shanghai"))
NEW_CASE = "case-00000000-0000-0000-0000-0000000000aa"


def apply(state: d.Decision, command, policy=POLICY) -> tuple[d.Decision, list]:
    events = d.decide(command, state, policy)
    for e in events:
        state = d.evolve(state, e)
    return state, events


def fire(state: d.Decision, timer_id: str, policy=POLICY, **filled) -> tuple[d.Decision, list]:
    """The timer `timer_id` fired as the kernel fires it (its event as the decision's command, with
    what the store fills in, `filled`)."""
    _, event = d.timers(state, policy)[timer_id]
    command = d.timer_command(event, TIMERS)
    if filled:
        command = replace(command, **filled)
    return apply(state, command, policy)


def midnight(day: date, policy=POLICY) -> datetime:
    return datetime.combine(day, datetime.min.time(), policy.zone)


# --- G1, G9, G10: the government lift ---------------------------------------------------------------


def test_g1_g9_demerit_2026_03_10_lifts_by_itself_on_2027_03_10():
    """G1 (PSL 8): 记过 2026-03-10 → ends 2027-03-10; G9 (PSL 26): nothing new → Lifted 2027-03-10,
    its locks ended, at 00:00 of that day in the service's zone."""
    state = issued(GD, date(2026, 3, 10))
    at, event = d.timers(state, BEIJING)["end:2027-03-10"]
    assert at == datetime(2027, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert isinstance(event, ev.SanctionLifted)
    state, events = fire(state, "end:2027-03-10")
    assert events == [ev.SanctionLifted(ID, date(2027, 3, 10), ("PROMOTION_LOCK", "PAY_STEP_LOCK"), ())]
    assert state.status == d.LIFTED
    assert not any(k.startswith("end:") for k in d.timers(state, POLICY))  # fires once


@pytest.mark.parametrize(
    ("sanction", "not_restored"),
    [(GDM, ("RANK_PAY_LOWERED",)), (GRM, ("POST_RANK_PAY_LOWERED",))],
)
def test_g9_demotion_and_removal_lift_without_restoring_post_rank_and_pay(sanction, not_restored):
    """G9 (PSL 26): 降级/撤职: the locks end at the lift; the lowered post, rank and pay are **not** restored."""
    state = issued(sanction, date(2026, 4, 15))
    state, events = fire(state, "end:2028-04-15")
    (lifted,) = events
    assert lifted.not_restored == not_restored
    assert "PROMOTION_LOCK" in lifted.locks_ended and not_restored[0] not in lifted.locks_ended


def test_g10_case_open_on_2027_03_10_blocks_the_lift_until_decided():
    """G10 (PSL 13, 26): a case filed on the person within the period is open on 2027-03-10 → no
    lift (LiftBlocked); once it is decided, RetryLift lifts with `after_cases`, on that day."""
    state = issued(GD, date(2026, 3, 10))
    state, events = fire(state, "end:2027-03-10", open_cases=(NEW_CASE,))
    assert events == [ev.LiftBlocked(ID, date(2027, 3, 10), (NEW_CASE,))]
    assert state.status == d.ISSUED and state.lifted is None
    assert not any(k.startswith("end:") for k in d.timers(state, POLICY))  # the case directory retries
    # still open: nothing
    assert apply(state, c.RetryLift(ID, date(2027, 4, 1), TIMERS, (NEW_CASE,)))[1] == []
    state, events = apply(state, c.RetryLift(ID, date(2027, 5, 20), TIMERS, ()))
    assert events == [ev.SanctionLifted(ID, date(2027, 5, 20), ("PROMOTION_LOCK", "PAY_STEP_LOCK"), (), (NEW_CASE,))]
    assert state.status == d.LIFTED
    assert apply(state, c.RetryLift(ID, date(2027, 5, 21), TIMERS, ()))[1] == []  # once


def test_g10_retry_without_a_blocked_lift_changes_nothing():
    """G10: a case decided on a person whose lift was never held back changes nothing here."""
    assert apply(issued(GD, date(2026, 3, 10)), c.RetryLift(ID, date(2026, 9, 1), TIMERS, ()))[1] == []


def test_g8_dismissal_has_no_period_end_timer():
    """G8 (PSL 24, 26): 开除 has no period and never lifts."""
    state = issued(GDS, date(2026, 5, 1))
    assert not any(k.startswith("end:") for k in d.timers(state, POLICY))
    assert apply(state, c.EndPeriod(ID, date(2026, 5, 1), TIMERS))[1] == []


def test_g9_a_stale_end_timer_changes_nothing():
    """A timer for a day that is not the period's end (the period moved) records nothing."""
    state = issued(GD, date(2026, 3, 10))
    assert apply(state, c.EndPeriod(ID, date(2027, 3, 11), TIMERS))[1] == []


def test_period_timers_keep_running_after_a_judgment():
    """G12 (PSL 49): REDECISION_REQUIRED: execution goes on, the period's end still comes."""
    from services.sanctions.domain.events import Document

    state = issued(GD, date(2026, 3, 10))
    judgment = c.RecordJudgment(ID, Document("判决书", "b" * 64), "（2026）京0101刑初12号", False, "FINE", CASE_MANAGER)
    state, _ = apply(state, judgment)
    assert state.status == d.REDECISION_REQUIRED
    assert "end:2027-03-10" in d.timers(state, POLICY)


def test_an_impact_record_has_no_timers_and_refuses_a_period_end():
    state = fold(c.RecordImpact(ID, "ADMONISHMENT", "P-1", "", "", date(2026, 1, 5), "", "", "evt", TIMERS))
    assert d.timers(state, POLICY) == {}
    with pytest.raises(IllegalState):
        d.decide(c.EndPeriod(ID, date(2026, 7, 5), TIMERS), state, POLICY)


# --- P2, P8: a Party effect period ends, nothing cancelled ------------------------------------------


def test_p2_p8_serious_warning_2026_02_28_ends_2027_08_28_nothing_cancelled():
    """P2 (Regs 10): 严重警告 2026-02-28 → ends 2027-08-28; P8 (Regs 46): EffectPeriodEnded only:
    status, locks and items as they were."""
    state = issued(PSW, date(2026, 2, 28))
    before = state
    state, events = fire(state, "end:2027-08-28")
    assert events == [ev.EffectPeriodEnded(ID, date(2027, 8, 28))]
    assert (state.status, state.issued, state.items) == (before.status, before.issued, before.items)
    assert not any(k.startswith("end:") for k in d.timers(state, POLICY))


def test_p2_party_expulsion_has_no_period_end_here():
    """P2 (Regs 13): 开除党籍's 60 months are the wait before rejoining, not an effect period ending."""
    state = issued(PEX, date(2026, 2, 28))
    assert not any(k.startswith("end:") for k in d.timers(state, POLICY))


# --- P4: probation's end is a decision ------------------------------------------------------------


def probation(on=date(2026, 1, 10)) -> d.Decision:
    return issued(PPR, on, probation_months=12)


def decide_probation(outcome: str, on: date) -> c.DecideProbation:
    return c.DecideProbation(ID, outcome, on, CASE_MANAGER)


def test_p4_probation_ending_2027_01_10_raises_the_review_task():
    """P4 (Regs 12): ends 2027-01-10 → ProbationReviewDue (a task for the deciding office), never
    automatic: the probation is neither restored nor ended."""
    state, events = fire(probation(), "end:2027-01-10")
    assert events == [ev.ProbationReviewDue(ID, date(2027, 1, 10))]
    assert state.status == d.ISSUED and state.probation is None


def test_p4_restore_bars_an_equal_or_higher_post_to_2029_01_10():
    """P4 (Regs 12): restore → a bar on an equal or higher post to 2029-01-10; the review item done."""
    state, _ = fire(probation(), "end:2027-01-10")
    state, (e,) = apply(state, decide_probation("RESTORE", date(2027, 1, 12)))
    assert (e.outcome, e.new_end, e.decided_by) == ("RESTORE", None, "u-cm")
    assert [(x.kind, x.until) for x in e.locks] == [("NO_EQUAL_OR_HIGHER_POST", date(2029, 1, 10))]
    assert state.items["PROBATION_REVIEW"].status == d.DONE
    assert not any(k.startswith("end:") for k in d.timers(state, POLICY))
    with pytest.raises(IllegalState, match="again"):
        apply(state, decide_probation("EXTEND", date(2027, 1, 13)))


def test_p4_extend_once_to_2028_01_10_with_a_new_end_timer():
    """P4 (Regs 12): extend → 2028-01-10 (a new period-end timer); at that end, extend again → refused."""
    state, _ = fire(probation(), "end:2027-01-10")
    state, (e,) = apply(state, decide_probation("EXTEND", date(2027, 1, 12)))
    assert e.new_end == date(2028, 1, 10)
    assert [(x.kind, x.until) for x in e.locks] == [("NO_VOTE_OR_ELECTION", date(2028, 1, 10))]
    assert periods.period_end(state) == date(2028, 1, 10)
    assert "end:2028-01-10" in d.timers(state, POLICY)
    assert d.awaiting(state) == ""  # extended: nothing awaited until the new end
    state, events = fire(state, "end:2028-01-10")
    assert events == [ev.ProbationReviewDue(ID, date(2028, 1, 10))]
    assert d.awaiting(state) == "probation decision by the deciding office (P4, Regs 12)"
    with pytest.raises(IllegalState, match="refused by P4"):
        apply(state, decide_probation("EXTEND", date(2028, 1, 11)))
    state, (e,) = apply(state, decide_probation("RESTORE", date(2028, 1, 11)))
    assert e.locks[0].until == date(2030, 1, 10)


def test_p4_restore_before_the_review_is_due_is_refused():
    """P4 (Regs 12): restore or extend only at the probation's end."""
    with pytest.raises(IllegalState, match="refused by P4"):
        apply(probation(), decide_probation("RESTORE", date(2026, 12, 1)))


def test_p4_expel_also_before_the_end_makes_the_sanction_an_expulsion():
    """P4 (Regs 12): expel (a further violation, also before the end): the sanction that stands is
    开除党籍 from that day, with its wait before rejoining; no period end follows."""
    state, (e,) = apply(probation(), decide_probation("EXPEL", date(2026, 9, 1)))
    assert (e.outcome, e.new_end) == ("EXPEL", None)
    assert [x.kind for x in e.locks] == ["NO_REJOINING"]
    assert periods.current_sanction(state) == PEX
    assert not any(k.startswith("end:") for k in d.timers(state, POLICY))


@pytest.mark.parametrize(
    ("state", "command", "error", "match"),
    [
        (lambda: issued(PW, date(2026, 2, 28)), decide_probation("RESTORE", date(2027, 3, 1)), IllegalState, "P4"),
        (probation, decide_probation("PARDON", date(2027, 1, 12)), Validation, "^outcome"),
        (probation, decide_probation("EXPEL", date(2025, 1, 1)), Validation, "^decided_on"),
    ],
)
def test_p4_refusals(state, command, error, match):
    """Not a probation → FAILED_PRECONDITION; an unknown outcome or a day before the decision → INVALID_ARGUMENT."""
    with pytest.raises(error, match=match):
        apply(state(), command)


# --- §4d, P9, P10: overdue items -----------------------------------------------------------------


def test_p9_probation_2026_06_30_items_overdue_on_07_31_and_post_pay_again_on_12_31():
    """P9 (Regs 44; Rules 56): 留党察看 2026-06-30 → due 07-30, post and pay at the latest 12-30: the
    overdue events at 07-31 and 12-31 (00:00, service zone), each once."""
    state = issued(PPR, date(2026, 6, 30), probation_months=12)
    wanted = d.timers(state, POLICY)
    assert wanted["item:ANNOUNCE:DUE"][0] == midnight(date(2026, 7, 31))
    assert wanted["item:POST_PAY_CHANGE:DUE"][0] == midnight(date(2026, 7, 31))
    assert wanted["item:POST_PAY_CHANGE:LATEST_DUE"][0] == midnight(date(2026, 12, 31))
    assert "item:ANNOUNCE:LATEST_DUE" not in wanted  # no later latest due
    state, events = fire(state, "item:POST_PAY_CHANGE:DUE")
    (e,) = events
    assert (e.item_id, e.stage, e.due, e.owner) == ("POST_PAY_CHANGE", "DUE", date(2026, 7, 30), "ORG_DEPT")
    assert "item:POST_PAY_CHANGE:DUE" not in d.timers(state, POLICY)
    assert apply(state, c.RecordItemOverdue(ID, "POST_PAY_CHANGE", "DUE", TIMERS))[1] == []  # once
    state, (e,) = fire(state, "item:POST_PAY_CHANGE:LATEST_DUE")
    assert (e.stage, e.due) == ("LATEST_DUE", date(2026, 12, 30))


def test_p10_execution_report_2026_06_30_is_an_item_with_its_own_timer_on_12_31():
    """P10 (Regs 45): 2026-06-30 → the execution report due 12-30: overdue raised at 12-31."""
    state = issued(PPR, date(2026, 6, 30), probation_months=12)
    at, event = d.timers(state, POLICY)["item:EXECUTION_REPORT:DUE"]
    assert (at, event.due, event.kind) == (midnight(date(2026, 12, 31)), date(2026, 12, 30), "EXECUTION_REPORT")


def test_4d_a_done_item_raises_nothing():
    """§4d: an item reported before its due date has no timer, and a stale timer records nothing."""
    state = issued(PPR, date(2026, 6, 30), probation_months=12)
    stale = d.timers(state, POLICY)["item:PERSONNEL_FILE:DUE"][1]
    state, _ = apply(state, report("PERSONNEL_FILE", on=date(2026, 7, 20)))
    assert "item:PERSONNEL_FILE:DUE" not in d.timers(state, POLICY)
    assert apply(state, d.timer_command(stale, TIMERS))[1] == []


def test_4d_overdue_refusals():
    state = issued(PPR, date(2026, 6, 30), probation_months=12)
    with pytest.raises(NotFound):
        apply(state, c.RecordItemOverdue(ID, "NO_SUCH_ITEM", "DUE", TIMERS))
    with pytest.raises(Validation, match="^stage"):
        apply(state, c.RecordItemOverdue(ID, "ANNOUNCE", "LATE", TIMERS))


def test_item_timers_follow_the_service_zone():
    """00:00 of the day after the due date in the service's zone (Asia/Shanghai: 16:00 UTC the day before)."""
    state = issued(GD, date(2026, 3, 10))
    at, event = d.timers(state, BEIJING)["item:PERSONNEL_FILE:DUE"]
    assert at.astimezone(timezone.utc) == datetime.combine(event.due, datetime.min.time(), timezone.utc) + timedelta(
        hours=16
    )
