"""What a case and a measure await, by whom and by when (issue 20; services.cases.domain.awaiting),
and the investigation stage's three-colour time limit: one row per situation, citing its article."""

from datetime import timedelta

import pytest

from kernel.domain.principal import Principal
from services.cases.app.measure_rules import load_measure_rules
from services.cases.domain import awaiting as aw, events as ev, measures as m
from services.cases.domain.state import fold
from services.cases.tests.unit.test_case_lifecycle import (
    CASE,
    DELIBERATION,
    DUE,
    FILED,
    FILED_AT,
    HEARD,
    INVESTIGATING,
    OPENED,
    PARTY_1,
    REVIEW,
    SITUATIONS,
    STARTED,
    proposed,
)

OVERDUE = REVIEW + [ev.TrialReviewOverdue(CASE, DUE)]
RED_AT = STARTED + timedelta(days=180)
YELLOW = ev.InvestigationWarningRaised(CASE, "INVESTIGATING", 1, "YELLOW", STARTED, RED_AT)
RED = ev.InvestigationWarningRaised(CASE, "INVESTIGATING", 1, "RED", STARTED, RED_AT)

# situation -> [(step, role, at the holder's office)], in order
CASE_ROWS = {
    # Rules 38; SL 42 (filings recorded before issue 18): the head first on each side, then the
    # Party committee head on the Party side
    "legacy filing: the head on each side": (
        OPENED,
        [("ApproveFiling", "commission_head", False), ("ApproveFiling", "commission_head", False)],
    ),
    "legacy filing: the Party committee head after the head (Rules 38)": (
        PARTY_1,
        [("ApproveFiling", "party_committee_head", False), ("ApproveFiling", "commission_head", False)],
    ),
    "FILED (no topic meeting to hold before issue 18): the investigation started (SL 42)": (
        FILED,
        [("StartInvestigation", "investigator", True)],
    ),
    "INVESTIGATING: the report to trial review": (INVESTIGATING, [("SendToTrialReview", "investigator", True)]),
    "UNDER_TRIAL_REVIEW: concluded (Rules 55)": (REVIEW, [("ConcludeTrialReview", "trial_reviewer", False)]),
    "UNDER_TRIAL_REVIEW past due: the head's extension (Rules 55-56)": (
        OVERDUE,
        [("ConcludeTrialReview", "trial_reviewer", False), ("ExtendTrialReview", "commission_head", False)],
    ),
    "a return to reinvestigation: the head approves (Rules 55)": (
        proposed("REINVESTIGATE"),
        [("ApproveTrialReviewReturn", "commission_head", False)],
    ),
    "a return to supplementary investigation: the responsible deputy (Rules 55)": (
        proposed("SUPPLEMENTARY_INVESTIGATION"),
        [("ApproveTrialReviewReturn", "deputy_head", False)],
    ),
    "DELIBERATION: each subject heard (PSL 43), the committee's decision (Rules 56)": (
        DELIBERATION,
        [
            ("HearSubject", "trial_reviewer", False),
            ("HearSubject", "trial_reviewer", False),
            ("DisposeCase", "commission_head", False),
            ("DisposeCase", "case_manager", False),
        ],
    ),
    "DELIBERATION, one heard: the other, then the decision": (
        HEARD,
        [
            ("HearSubject", "trial_reviewer", False),
            ("DisposeCase", "commission_head", False),
            ("DisposeCase", "case_manager", False),
        ],
    ),
    "a hand-over proposed: the head approves (移交审查调查)": (
        SITUATIONS["FILED+hand-over"],
        [("StartInvestigation", "investigator", True), ("ApproveHandOver", "commission_head", False)],
    ),
    "DISPOSED: nothing": (SITUATIONS["DISPOSED"], []),
    "WITHDRAWN: nothing": (SITUATIONS["WITHDRAWN"], []),
    "FILING_REJECTED: nothing": (SITUATIONS["FILING_REJECTED"], []),
}


@pytest.mark.parametrize("name", CASE_ROWS)
def test_what_a_case_awaits(name):
    events, expected = CASE_ROWS[name]
    got = aw.case_awaited(fold(events))
    assert [(a.step, a.role, a.at_holder) for a in got] == expected


def test_a_filing_by_person_awaits_its_facts_first_rules_38():
    opened = [ev.FilingOpened(CASE, "clue-1", "cm-1", (), "f", "review_1", "u-insp", by_person=True)]
    assert [(a.step, a.at_holder) for a in aw.case_awaited(fold(opened))] == [("PrepareFiling", True)]


def test_a_filed_case_by_person_awaits_the_topic_meeting_sl_42_rules_39():
    opened = ev.FilingOpened(CASE, "clue-1", "cm-1", (), "f", "review_1", "u-insp", by_person=True)
    state = fold([opened, ev.CaseFiled(CASE, "clue-1", FILED_AT, (), "review_1")])
    assert [(a.step, a.role) for a in aw.case_awaited(state)] == [("RecordTopicMeeting", "commission_head")]


def test_the_trial_reviews_due_is_the_steps_due_rules_55():
    [conclude] = aw.case_awaited(fold(REVIEW))
    assert conclude.due == DUE


# -- the investigation stage's colours (local practice, unverified: deploy/config/investigation.toml)

COLOURS = {
    "INVESTIGATING, no warning yet: GREEN": (INVESTIGATING, None, "GREEN"),
    "the yellow warning raised: YELLOW": (INVESTIGATING + [YELLOW], None, "YELLOW"),
    "the red warning raised: RED": (INVESTIGATING + [YELLOW, RED], None, "RED"),
    "red never lowered by a late yellow": (INVESTIGATING + [RED, YELLOW], None, "RED"),
    "the limit passed before the red timer fired: RED": (INVESTIGATING + [YELLOW], RED_AT, "RED"),
    "a stale warning of another round changes nothing": (
        INVESTIGATING + [ev.InvestigationWarningRaised(CASE, "INVESTIGATING", 7, "RED", STARTED, RED_AT)],
        None,
        "GREEN",
    ),
    "sent to trial review: its own due (Rules 55)": (REVIEW + [YELLOW], None, "GREEN"),
    "trial review past due: RED": (OVERDUE, None, "RED"),
    "trial review due passed by the clock: RED": (REVIEW, DUE, "RED"),
    "closed: no colour": (SITUATIONS["DISPOSED"], None, ""),
    "a filing: no colour": (OPENED, None, ""),
}


@pytest.mark.parametrize("name", COLOURS)
def test_the_colour_of_a_case(name):
    events, now, expected = COLOURS[name]
    assert aw.colour(fold(events), now) == expected


def test_a_return_starts_a_new_stage_round_green_again_rules_55():
    back = (
        INVESTIGATING
        + [YELLOW, *REVIEW[len(INVESTIGATING) :]]
        + [ev.TrialReviewReturned(CASE, "SUPPLEMENTARY_INVESTIGATION", "why", "u-trial", "u-dep", "deputy_head")]
    )
    state = fold(back)
    assert (state.investigation_round, aw.colour(state)) == (2, "GREEN")


def test_the_stage_timers_name_their_round_and_raise_yellow_then_red():
    state = fold(INVESTIGATING)
    timers = aw.investigation_timers(state, STARTED, aw.DEFAULT_LIMITS)
    limit = aw.DEFAULT_LIMITS.stages["INVESTIGATING"]
    assert timers == {
        f"investigation:{CASE}:1:yellow": (
            limit.yellow.after(STARTED),
            ev.InvestigationWarningRaised(CASE, "INVESTIGATING", 1, "YELLOW", STARTED, limit.red.after(STARTED)),
        ),
        f"investigation:{CASE}:1:red": (
            limit.red.after(STARTED),
            ev.InvestigationWarningRaised(CASE, "INVESTIGATING", 1, "RED", STARTED, limit.red.after(STARTED)),
        ),
    }
    assert aw.investigation_timers(fold(REVIEW), STARTED, aw.DEFAULT_LIMITS) == {}  # not a stage


RECORD = {
    "the current round's warning is recorded": (INVESTIGATING, YELLOW, [YELLOW]),
    "fired twice: nothing": (INVESTIGATING + [YELLOW], YELLOW, []),
    "after red, a yellow: nothing": (INVESTIGATING + [RED], YELLOW, []),
    "the stage ended: nothing": (REVIEW, YELLOW, []),
}


@pytest.mark.parametrize("name", RECORD)
def test_recording_a_timers_warning(name):
    events, warning, expected = RECORD[name]
    assert aw.record_warning(aw.RecordInvestigationWarning(warning), fold(events)) == expected


def test_entering_a_stage():
    assert aw.entered_stage(fold(INVESTIGATING), INVESTIGATING[-1:])
    assert not aw.entered_stage(fold(REVIEW), REVIEW[-1:])  # a simple case goes straight on
    assert not aw.entered_stage(fold(INVESTIGATING), [])


# -- what a measure awaits (SL 33, 46-48; measure_approvals; SL 50; SL 74(7))

RULES = load_measure_rules()
MID = "measure-00000000-0000-4000-8000-000000000009"
HEAD = Principal("commission", "leadership", "commission_head", "u-head")


def requested(kind: str, **kw):
    return [ev.MeasureRequested(MID, CASE, kind, "P-1", "review_1", "needed", "u-inv", **kw)]


def test_a_requested_search_awaits_the_heads_approval_sl_46():
    state = m.fold(requested("SEARCH"))
    assert [(a.step, a.role) for a in aw.measure_awaited(state, RULES)] == [("ApproveMeasure", "commission_head")]
    assert aw.measure_step(state, RULES).name == "LOCAL"


def test_a_detention_after_the_leaderships_decision_awaits_the_upper_level_sl_47():
    given = ev.MeasureApprovalGiven(MID, "LOCAL", "commission_head", "u-head", None, "COUNTY")
    state = m.fold(requested("DETENTION") + [given])
    step = aw.measure_step(state, RULES)
    assert (step.name, step.roles) == ("UPPER", ("superior_head",))


def test_a_running_detention_owes_its_notice_sl_50():
    start = FILED_AT
    ends = RULES.of("DETENTION").limit.after(start)
    approved = ev.MeasureApproved(MID, "superior_head", "u-sup", start, ends)
    state = m.fold(requested("DETENTION") + [approved])
    got = aw.measure_awaited(state, RULES)
    assert [(a.step, a.at_holder) for a in got] == [("GiveDetentionNotice", True), ("RecordMeasureExecution", True)]
    assert got[0].due == start + timedelta(hours=24)
    expired = m.fold(
        requested("DETENTION")
        + [approved, ev.DetentionNoticeGiven(MID, start, start, "u-inv"), ev.MeasureExpired(MID, ends)]
    )
    assert [a.step for a in aw.measure_awaited(expired, RULES)] == ["RecordMeasureExecution", "EndMeasure"]  # SL 74(7)


def test_a_deferred_notice_awaits_the_end_of_its_deferral_not_the_notice_sl_50():
    start = FILED_AT
    approved = ev.MeasureApproved(MID, "superior_head", "u-sup", start, RULES.of("DETENTION").limit.after(start))
    deferred = ev.NoticeDeferred(MID, "would obstruct", "u-head", "commission_head", start)
    state = m.fold(requested("DETENTION") + [approved, deferred])
    assert [a.step for a in aw.measure_awaited(state, RULES)] == ["EndNoticeDeferral", "RecordMeasureExecution"]


def test_an_ended_measure_awaits_nothing():
    state = m.fold(requested("SEARCH") + [ev.MeasureRefused(MID, "no", "u-head", "commission_head")])
    assert aw.measure_awaited(state, RULES) == () and aw.measure_step(state, RULES) is None


def test_every_step_of_the_holding_office_names_its_operation():
    """ListAwaitingMe asks the catalogue whether the caller's role does a holder's step."""
    from services.cases.app.case_index import OPERATIONS

    start = FILED_AT
    approved = ev.MeasureApproved(MID, "superior_head", "u-sup", start, RULES.of("DETENTION").limit.after(start))
    deferred = ev.NoticeDeferred(MID, "would obstruct", "u-head", "commission_head", start)
    expired = ev.MeasureExpired(MID, RULES.of("DETENTION").limit.after(start))
    opened = ev.FilingOpened(CASE, "clue-1", "cm-1", (), "f", "review_1", "u-insp", by_person=True)
    items = [a for events, _ in CASE_ROWS.values() for a in aw.case_awaited(fold(events))]
    items += aw.case_awaited(fold([opened]))
    for events in ([approved], [approved, deferred], [approved, expired]):
        items += aw.measure_awaited(m.fold(requested("DETENTION") + events), RULES)
    at_holder = {a.step for a in items if a.at_holder}
    assert at_holder >= {"PrepareFiling", "StartInvestigation", "SendToTrialReview", "EndMeasure", "EndNoticeDeferral"}
    assert at_holder <= set(OPERATIONS)
