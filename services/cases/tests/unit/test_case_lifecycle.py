"""The case lifecycle of domain.md §3, table-driven: every command in every situation."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain import facts as f
from kernel.domain.calendar import plus_months
from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.facts import FactSource, PartyMembership, PersonFacts, PublicOfficial, Service
from kernel.domain.meetings import STANDING_COMMITTEE, TOPIC_MEETING, CollectiveDecision, Consultation
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.domain.sanctions import Combined, Violation
from services.cases.domain import commands as c, events as ev
from services.cases.domain.decide import CRITERIA, CasePolicy, decide
from services.cases.domain.sanctioning import sanction_outcomes
from services.cases.domain.state import OPEN, fold, fold_from

CASE = "case-00000000-0000-4000-8000-000000000001"
ACC = "case-00000000-0000-4000-8000-000000000002"
ORIGIN = "case-00000000-0000-4000-8000-000000000003"
MEASURE = "measure-00000000-0000-4000-8000-000000000004"
CLUE = "clue-00000000-0000-4000-8000-000000000005"
FILED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
STARTED = FILED_AT + timedelta(days=1)
SENT = datetime(2026, 5, 31, 15, 30, tzinfo=timezone.utc)
DUE = datetime(2026, 6, 30, 15, 30, tzinfo=timezone.utc)  # one month after SENT
DUE2 = datetime(2026, 7, 30, 15, 30, tzinfo=timezone.utc)
DECIDED = datetime(2026, 7, 10, 10, 0, tzinfo=timezone.utc)

SYSTEM = Principal.system("cases-filing")
PROPOSER = Principal("commission", "supervision_1", "supervisor", "u-insp")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
HEAD2 = Principal("commission", "leadership", "commission_head", "u-head2")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
INVESTIGATOR = Principal("commission", "review_1", "investigator", "u-inv")
TRIAL = Principal("commission", "trial", "trial_reviewer", "u-trial")
CM = Principal("commission", "case_management", "case_manager", "u-cm")
DEPUTY = Principal("commission", "deputy_leadership_2", "deputy_head", "u-deputy")
SUBJECTS = (Subject("P-1", "Zhou Ba", "county head"), Subject("P-2", "Wu Jiu"))
HASH = "ab" * 32
# P-1: one Party and one government violation, each its own combined sanction; P-2: light handling.
SANCTIONS = (
    ev.PersonSanctions(
        "P-1",
        (
            Violation("纪律处分条例 art. 98", "PARTY_SERIOUS_WARNING"),
            Violation("政务处分法 art. 33", "GOVERNMENT_DEMERIT"),
        ),
        (Combined("PARTY_SERIOUS_WARNING", None, "SINGLE"), Combined("GOVERNMENT_DEMERIT", None, "SINGLE")),
    ),
)
OTHERS = (ev.Outcome("LIGHT_HANDLING", "P-2"),)
PROPOSALS = sanction_outcomes(SANCTIONS) + OTHERS  # as the events carry them
SOURCE = FactSource("org_dept", FILED_AT)
FACTS = (
    PersonFacts(
        "P-1",
        party=PartyMembership(True, SOURCE),
        official=PublicOfficial("CIVIL_SERVANT", False, SOURCE),
        service=Service("SERVING", None, SOURCE),
    ),
)
MEETING = CollectiveDecision(
    STANDING_COMMITTEE, DECIDED, ("u-a", "u-b", "u-c", "u-d", "u-e"), (), "as proposed", "u-cm"
)
# Rules 56: the Party committee approved the filing, so both bodies are consulted first.
CONSULTED = (
    Consultation("ORG_DEPARTMENT", DECIDED - timedelta(days=3), "组干函〔2026〕12号"),
    Consultation("PARTY_COMMITTEE", DECIDED - timedelta(days=2), "县委函〔2026〕7号"),
)
DECIDED_SANCTIONS = tuple(replace(p, consequences=()) for p in SANCTIONS)
CRITERIA_MET = tuple(ev.Criterion(k, True) for k in CRITERIA)
spec = DeciderSpec(decide, fold)

OPENED = [ev.FilingOpened(CASE, CLUE, "CM-2026-0001", SUBJECTS, "gifts traced", "review_1", "u-insp")]
PARTY_1 = OPENED + [ev.FilingApproved(CASE, "PARTY", "commission_head", "u-head")]
PARTY_DONE = PARTY_1 + [ev.FilingApproved(CASE, "PARTY", "party_committee_head", "u-party")]
SUPERVISED = OPENED + [ev.FilingApproved(CASE, "SUPERVISION", "commission_head", "u-head", "plan")]
FILED = PARTY_DONE + [
    ev.FilingApproved(CASE, "SUPERVISION", "commission_head", "u-head", "plan"),
    ev.CaseFiled(CASE, CLUE, FILED_AT, SUBJECTS, "review_1"),
]
INVESTIGATING = FILED + [ev.InvestigationStarted(CASE, STARTED, STARTED, "u-inv")]
REVIEW = INVESTIGATING + [ev.SentToTrialReview(CASE, "report", "u-inv", SENT, DUE)]
EXTENDED = REVIEW + [ev.TrialReviewExtended(CASE, DUE2, "complex", "u-head")]
DELIBERATION = REVIEW + [ev.TrialReviewConcluded(CASE, PROPOSALS, "u-trial", SANCTIONS)]
HEARD = DELIBERATION + [ev.SubjectHeard(CASE, "P-1", "I returned the gifts", "u-trial", PROPOSALS, SANCTIONS)]
DISPOSED = HEARD + [
    ev.CaseDisposed(CASE, PROPOSALS, "u-head", DECIDED, (), DECIDED_SANCTIONS, FACTS, MEETING, CONSULTED)
]


def returned(to):
    return REVIEW + [ev.TrialReviewReturned(CASE, to, "why", "u-trial")]  # as recorded before approvals


def proposed(to):
    return REVIEW + [ev.TrialReviewReturnProposed(CASE, to, "why", "u-trial")]


SITUATIONS = {
    "NONE": [],
    "FILING": OPENED,
    "FILING+party head": PARTY_1,
    "FILING+party done": PARTY_DONE,
    "FILING+supervision": SUPERVISED,
    "FILING_REJECTED": OPENED + [ev.FilingRejected(CASE, CLUE, "facts unclear", "u-head", FILED_AT)],
    "FILED": FILED,
    "INVESTIGATING": INVESTIGATING,
    "UNDER_TRIAL_REVIEW": REVIEW,
    "UNDER_TRIAL_REVIEW+extended": EXTENDED,
    "REINVESTIGATE": returned("REINVESTIGATE"),
    "SUPPLEMENTARY_INVESTIGATION": returned("SUPPLEMENTARY_INVESTIGATION"),
    "DELIBERATION": DELIBERATION,
    "DELIBERATION+heard": HEARD,
    "DISPOSED": DISPOSED,
    "WITHDRAWN": INVESTIGATING + [ev.CaseWithdrawn(CASE, "no evidence", "u-head", STARTED)],
    "FILED+hand-over": FILED + [ev.CaseHandOverProposed(CASE, "review_1", "review_2", "investigate", "u-insp")],
}
FILING_ANY = {"FILING", "FILING+party head", "FILING+party done", "FILING+supervision"}
OPEN_SITUATIONS = {s for s in SITUATIONS if s.split("+")[0] in OPEN}

COMMANDS = {
    "open filing": (c.OpenFiling(CASE, CLUE, "CM-1", SUBJECTS, "f", "review_1", "u-insp", SYSTEM), {"NONE"}),
    "approve party": (c.ApproveFiling(CASE, "PARTY", "", FILED_AT, HEAD), {"FILING", "FILING+supervision"}),
    "approve supervision": (
        c.ApproveFiling(CASE, "SUPERVISION", "plan", FILED_AT, HEAD),
        {"FILING", "FILING+party head", "FILING+party done"},
    ),
    "fast track": (c.FastTrackFiling(CASE, "report", FILED_AT, HEAD), FILING_ANY),
    "reject filing": (c.RejectFiling(CASE, "weak", FILED_AT, HEAD), FILING_ANY),
    "start": (c.StartInvestigation(CASE, STARTED, STARTED, INVESTIGATOR), {"FILED", "FILED+hand-over"}),
    "send to review": (
        c.SendToTrialReview(CASE, "report", SENT, INVESTIGATOR),
        {"INVESTIGATING", "REINVESTIGATE", "SUPPLEMENTARY_INVESTIGATION"},
    ),
    "return": (
        c.ReturnFromTrialReview(CASE, "REINVESTIGATE", "unclear", TRIAL),
        {"UNDER_TRIAL_REVIEW", "UNDER_TRIAL_REVIEW+extended"},
    ),
    "extend": (c.ExtendTrialReview(CASE, "complex", HEAD), {"UNDER_TRIAL_REVIEW"}),
    "conclude": (
        c.ConcludeTrialReview(CASE, OTHERS, TRIAL, SANCTIONS),
        {"UNDER_TRIAL_REVIEW", "UNDER_TRIAL_REVIEW+extended"},
    ),
    "hear": (
        c.HearSubject(CASE, "P-2", "I regret it", OTHERS, TRIAL, SANCTIONS),
        {"DELIBERATION", "DELIBERATION+heard"},
    ),
    "dispose": (
        c.DisposeCase(CASE, OTHERS, (), DECIDED, HEAD, deliberation=MEETING, consultations=CONSULTED),
        {"DELIBERATION", "DELIBERATION+heard"},
    ),
    "withdraw": (c.WithdrawCase(CASE, "no evidence", DECIDED, HEAD), OPEN_SITUATIONS),
    "accountability": (
        c.OpenAccountabilityCase(CASE, ACC, "oversight failed", SUBJECTS[:1], "review_1", HEAD),
        OPEN_SITUATIONS | {"DISPOSED"},
    ),
    "record activity": (
        c.RecordActivity(CASE, "INTERROGATION", ev.Recording(HASH, 5400, "interrogation"), "", INVESTIGATOR),
        OPEN_SITUATIONS,
    ),
    "grade": (c.GradeQuality(CASE, "PASS", CRITERIA_MET, CM), {"DISPOSED", "WITHDRAWN"}),
    "propose hand-over": (
        c.ProposeHandOver(CASE, "review_2", "to investigate", PROPOSER),
        OPEN_SITUATIONS - {"FILED+hand-over"},
    ),
    "approve hand-over": (c.ApproveHandOver(CASE, HEAD), {"FILED+hand-over"}),
    "reject hand-over": (c.RejectHandOver(CASE, "not yet", HEAD), {"FILED+hand-over"}),
}


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_in_every_situation(name, situation):
    command, legal = COMMANDS[name]
    when = spec.given(SITUATIONS[situation]).when(command)
    if situation in legal:
        events = when.run()
        assert events, f"{name} in {situation} produced no event"
        fold(SITUATIONS[situation] + events)  # and the events apply
    else:
        err = when.raises(IllegalState)
        assert err.current_state.split(" ")[0] == fold(SITUATIONS[situation]).status


@pytest.mark.parametrize(
    "given,command,status",
    [
        ([], COMMANDS["open filing"][0], "FILING"),
        (PARTY_DONE, c.ApproveFiling(CASE, "SUPERVISION", "plan", FILED_AT, HEAD), "FILED"),
        (OPENED, c.FastTrackFiling(CASE, "report", FILED_AT, HEAD), "UNDER_TRIAL_REVIEW"),
        (PARTY_1, c.RejectFiling(CASE, "weak", FILED_AT, COMMITTEE), "FILING_REJECTED"),
        (FILED, c.StartInvestigation(CASE, FILED_AT, STARTED, INVESTIGATOR), "INVESTIGATING"),
        (INVESTIGATING, c.SendToTrialReview(CASE, "report", SENT, INVESTIGATOR), "UNDER_TRIAL_REVIEW"),
        (REVIEW, c.ReturnFromTrialReview(CASE, "REINVESTIGATE", "unclear", TRIAL), "UNDER_TRIAL_REVIEW"),  # proposed
        (proposed("REINVESTIGATE"), c.ApproveTrialReviewReturn(CASE, HEAD), "REINVESTIGATE"),  # Rules 55
        (
            proposed("SUPPLEMENTARY_INVESTIGATION"),
            c.ApproveTrialReviewReturn(CASE, DEPUTY),
            "SUPPLEMENTARY_INVESTIGATION",
        ),
        (returned("REINVESTIGATE"), c.SendToTrialReview(CASE, "report 2", SENT, INVESTIGATOR), "UNDER_TRIAL_REVIEW"),
        (
            returned("SUPPLEMENTARY_INVESTIGATION"),
            c.SendToTrialReview(CASE, "r2", SENT, INVESTIGATOR),
            "UNDER_TRIAL_REVIEW",
        ),
        (REVIEW, c.ExtendTrialReview(CASE, "complex", HEAD), "UNDER_TRIAL_REVIEW"),
        (REVIEW, c.RecordTrialReviewOverdue(CASE, DUE), "UNDER_TRIAL_REVIEW"),
        (EXTENDED, c.ConcludeTrialReview(CASE, OTHERS, TRIAL, SANCTIONS), "DELIBERATION"),
        (DELIBERATION, c.HearSubject(CASE, "P-1", "defence", OTHERS, TRIAL, SANCTIONS), "DELIBERATION"),
        (HEARD, c.DisposeCase(CASE, OTHERS, (), DECIDED, HEAD, SANCTIONS, FACTS, MEETING, CONSULTED), "DISPOSED"),
        *[
            (SITUATIONS[s], c.WithdrawCase(CASE, "no evidence", DECIDED, HEAD), "WITHDRAWN")
            for s in sorted(OPEN_SITUATIONS)
        ],
        (DISPOSED, c.OpenAccountabilityCase(CASE, ACC, "oversight", SUBJECTS, "review_1", HEAD), "DISPOSED"),
        (INVESTIGATING, COMMANDS["record activity"][0], "INVESTIGATING"),
        (DISPOSED, c.GradeQuality(CASE, "EXCELLENT", CRITERIA_MET, CM), "DISPOSED"),
    ],
)
def test_each_transition_lands_in_its_state(given, command, status):
    assert fold(given + spec.given(given).when(command).run()).status == status


# --- filing ---------------------------------------------------------------------------------------


def test_the_filing_carries_the_proposal_and_the_last_approval_files_the_case():
    spec.given([]).when(COMMANDS["open filing"][0]).then(
        [ev.FilingOpened(CASE, CLUE, "CM-1", SUBJECTS, "f", "review_1", "u-insp", by_person=True)]
    )
    spec.given(PARTY_DONE).when(c.ApproveFiling(CASE, "SUPERVISION", " plan ", FILED_AT, HEAD)).then(
        [
            ev.FilingApproved(CASE, "SUPERVISION", "commission_head", "u-head", "plan"),
            ev.CaseFiled(CASE, CLUE, FILED_AT, SUBJECTS, "review_1"),
        ]
    )
    # the supervision side first, then the Party side: the committee head's approval files it
    both = SUPERVISED + [ev.FilingApproved(CASE, "PARTY", "commission_head", "u-head")]
    spec.given(both).when(c.ApproveFiling(CASE, "PARTY", "", FILED_AT, COMMITTEE)).then(
        [
            ev.FilingApproved(CASE, "PARTY", "party_committee_head", "u-party"),
            ev.CaseFiled(CASE, CLUE, FILED_AT, SUBJECTS, "review_1"),
        ]
    )


def test_the_party_side_takes_the_commission_head_then_the_committee_head():
    err = (
        spec.given(OPENED)
        .when(c.ApproveFiling(CASE, "PARTY", "", FILED_AT, COMMITTEE))
        .raises(IllegalState, current_state="FILING (awaiting commission_head on the PARTY side first)")
    )
    assert "commission_head" in str(err)
    assert spec.given(PARTY_1).when(c.ApproveFiling(CASE, "PARTY", "", FILED_AT, COMMITTEE)).run() == [
        ev.FilingApproved(CASE, "PARTY", "party_committee_head", "u-party")
    ]  # the supervision side still awaited


@pytest.mark.parametrize(
    "given,command",
    [
        (PARTY_1, c.ApproveFiling(CASE, "PARTY", "", FILED_AT, HEAD2)),  # same role, another user
        (PARTY_DONE, c.ApproveFiling(CASE, "PARTY", "", FILED_AT, COMMITTEE)),
        (SUPERVISED, c.ApproveFiling(CASE, "SUPERVISION", "plan", FILED_AT, HEAD)),
    ],
)
def test_the_same_approval_twice_is_refused(given, command):
    spec.given(given).when(command).raises(IllegalState)


def test_the_same_commission_head_may_approve_both_sides():
    assert spec.given(PARTY_1).when(c.ApproveFiling(CASE, "SUPERVISION", "plan", FILED_AT, HEAD)).run()


PROPOSER_AS_HEAD = Principal("commission", "leadership", "commission_head", "u-insp")


@pytest.mark.parametrize(
    "given,command",
    [
        (OPENED, c.ApproveFiling(CASE, "PARTY", "", FILED_AT, PROPOSER_AS_HEAD)),
        (OPENED, c.ApproveFiling(CASE, "SUPERVISION", "plan", FILED_AT, PROPOSER_AS_HEAD)),
        (PARTY_1, c.ApproveFiling(CASE, "PARTY", "", FILED_AT, replace(COMMITTEE, user="u-insp"))),
        (OPENED, c.FastTrackFiling(CASE, "report", FILED_AT, PROPOSER_AS_HEAD)),
        (OPENED, c.RejectFiling(CASE, "weak", FILED_AT, PROPOSER_AS_HEAD)),
    ],
)
def test_the_proposer_never_approves_the_filing(given, command):
    spec.given(given).when(command).raises(Forbidden)


@pytest.mark.parametrize(
    "given,command",
    [
        (OPENED, c.ApproveFiling(CASE, "SUPERVISION", "plan", FILED_AT, COMMITTEE)),
        (OPENED, c.ApproveFiling(CASE, "PARTY", "", FILED_AT, INVESTIGATOR)),
        (OPENED, c.FastTrackFiling(CASE, "report", FILED_AT, COMMITTEE)),
        (OPENED, c.RejectFiling(CASE, "weak", FILED_AT, CM)),
        (REVIEW, c.ExtendTrialReview(CASE, "complex", TRIAL)),
        (HEARD, c.DisposeCase(CASE, OTHERS, (), DECIDED, TRIAL, SANCTIONS, FACTS, MEETING, CONSULTED)),
    ],
)
def test_a_role_that_fills_no_step_is_forbidden(given, command):
    spec.given(given).when(command).raises(Forbidden)


def test_a_simple_case_is_filed_and_sent_to_trial_review_in_one_approval():
    jan31 = datetime(2026, 1, 31, 16, 45, tzinfo=timezone.utc)
    events = (
        spec.given(PARTY_1)
        .when(c.FastTrackFiling(CASE, " report ", jan31, HEAD2))
        .then(
            [
                ev.FilingApproved(CASE, "SIMPLE", "commission_head", "u-head2"),
                ev.CaseFiled(CASE, CLUE, jan31, SUBJECTS, "review_1", simple=True),
                ev.SentToTrialReview(
                    CASE, "report", "u-head2", jan31, datetime(2026, 2, 28, 16, 45, tzinfo=timezone.utc)
                ),
            ]
        )
    )
    state = fold(PARTY_1 + events)
    assert (state.simple, state.filed_at, state.trial_review_due) == (True, jan31, events[2].due)


# --- investigation and trial review -----------------------------------------------------------------


def test_the_trial_review_is_due_after_the_policy_months_at_the_same_time_of_day():
    out = spec.given(INVESTIGATING).when(c.SendToTrialReview(CASE, "report", SENT, INVESTIGATOR)).run()
    assert out[0].due == DUE
    longer = decide(c.SendToTrialReview(CASE, "r", SENT, INVESTIGATOR), fold(INVESTIGATING), CasePolicy(2, 1, 1))
    assert longer[0].due == datetime(2026, 7, 31, 15, 30, tzinfo=timezone.utc)
    leap = plus_months(datetime(2028, 1, 31, 8, tzinfo=timezone.utc), 1)
    assert leap == datetime(2028, 2, 29, 8, tzinfo=timezone.utc)


def test_extensions_move_the_due_and_stop_at_the_policy_limit():
    spec.given(REVIEW).when(c.ExtendTrialReview(CASE, "complex", HEAD)).then(
        [ev.TrialReviewExtended(CASE, DUE2, "complex", "u-head", "commission_head")]
    )
    spec.given(EXTENDED).when(c.ExtendTrialReview(CASE, "again", HEAD)).raises(IllegalState)
    twice = decide(c.ExtendTrialReview(CASE, "again", HEAD), fold(EXTENDED), CasePolicy(1, 2, 2))
    assert twice[0].due == datetime(2026, 9, 30, 15, 30, tzinfo=timezone.utc)
    # a new review (after a return) has its own allowance
    again = EXTENDED + [
        ev.TrialReviewReturned(CASE, "REINVESTIGATE", "x", "u-trial"),
        ev.SentToTrialReview(CASE, "r2", "u-inv", SENT, DUE),
    ]
    assert spec.given(again).when(c.ExtendTrialReview(CASE, "complex", HEAD)).run()


@pytest.mark.parametrize(
    "given,due,expected",
    [
        (REVIEW, DUE, [ev.TrialReviewOverdue(CASE, DUE)]),
        (EXTENDED, DUE2, [ev.TrialReviewOverdue(CASE, DUE2)]),
        (EXTENDED, DUE, []),  # the due moved on: stale timer
        (REVIEW + [ev.TrialReviewOverdue(CASE, DUE)], DUE, []),  # fired twice
        (DELIBERATION, DUE, []),
        (returned("REINVESTIGATE"), DUE, []),
        (INVESTIGATING, DUE, []),
        ([], DUE, []),
    ],
)
def test_a_stale_overdue_timer_is_a_no_op(given, due, expected):
    spec.given(given).when(c.RecordTrialReviewOverdue(CASE, due)).then(expected)


# --- hearing and disposal: services/cases/tests/unit/test_disposal.py -----------------------------


# --- accountability, activities, quality ------------------------------------------------------------


def test_an_accountability_case_is_a_fresh_case_opened_once():
    spec.given(INVESTIGATING).when(c.OpenAccountabilityCase(CASE, ACC, " oversight ", SUBJECTS, "review_1", HEAD)).then(
        [ev.AccountabilityCaseOpened(CASE, ACC, "oversight", "u-head")]
    )
    opened = INVESTIGATING + [ev.AccountabilityCaseOpened(CASE, ACC, "oversight", "u-head")]
    assert fold(opened).accountability_case_ids == (ACC,)
    spec.given(opened).when(c.OpenAccountabilityCase(CASE, ACC, "again", SUBJECTS, "review_1", HEAD)).raises(
        Validation, field="accountability_case_id"
    )
    # ... whose own filing names its origin instead of a clue
    spec.given([]).when(c.OpenFiling(ACC, "", "", SUBJECTS, "oversight", "review_2", "u-head", HEAD, CASE)).then(
        [ev.FilingOpened(ACC, "", "", SUBJECTS, "oversight", "review_2", "u-head", CASE, by_person=True)]
    )


def test_an_activity_references_its_recording_and_measure():
    rec = ev.Recording(HASH, 5400, "interrogation", "archive/7")
    spec.given(HEARD).when(c.RecordActivity(CASE, "SEARCH", rec, MEASURE, INVESTIGATOR)).then(
        [ev.ActivityRecorded(CASE, "SEARCH", rec, "u-inv", MEASURE)]
    )


def test_a_later_quality_review_supersedes_and_excellent_needs_every_criterion():
    graded = DISPOSED + [ev.QualityReviewed(CASE, "EXCELLENT", CRITERIA_MET, "u-cm")]
    flawed = (replace(CRITERIA_MET[4], met=False, note="a receipt missing"),) + CRITERIA_MET[:4] + CRITERIA_MET[5:]
    events = spec.given(graded).when(c.GradeQuality(CASE, "FLAWED", flawed, CM)).run()
    assert fold(graded + events).quality_grade == "FLAWED"
    spec.given(DISPOSED).when(c.GradeQuality(CASE, "EXCELLENT", flawed, CM)).raises(Validation, field="grade")


# --- bad input ----------------------------------------------------------------------------------------


def _open(**changes):
    base = dict(
        case_id=CASE,
        clue_id=CLUE,
        clue_number="CM-1",
        subjects=SUBJECTS,
        findings="f",
        handling_office="review_1",
        proposed_by="u-insp",
        by=SYSTEM,
    )
    return c.OpenFiling(**{**base, **changes})


REC = ev.Recording(HASH, 60, "search")


@pytest.mark.parametrize(
    "given,command,field",
    [
        ([], _open(subjects=()), "subjects"),
        ([], _open(subjects=(Subject(" ", "n"),)), "subjects[0].person_id"),
        ([], _open(subjects=(SUBJECTS[0], Subject("P-2", ""))), "subjects[1].name"),
        ([], _open(subjects=(SUBJECTS[0], SUBJECTS[0])), "subjects[1].person_id"),
        ([], _open(findings="  "), "findings"),
        ([], _open(findings="x" * 4001), "findings"),
        ([], _open(handling_office=""), "handling_office"),
        ([], _open(proposed_by=""), "proposed_by"),
        ([], _open(clue_id=""), "clue_id"),  # neither clue nor origin
        ([], _open(case_id="case-1"), "case_id"),
        ([], _open(origin_case_id="case-9"), "origin_case_id"),
        ([], _open(origin_case_id=CASE), "origin_case_id"),
        (OPENED, c.ApproveFiling(CASE, "BOTH", "", FILED_AT, HEAD), "side"),
        (OPENED, c.ApproveFiling(CASE, "SUPERVISION", " ", FILED_AT, HEAD), "plan"),
        (OPENED, c.ApproveFiling(CASE, "PARTY", "a plan", FILED_AT, HEAD), "plan"),
        (OPENED, c.ApproveFiling(CASE, "PARTY", "", None, HEAD), "at"),
        (OPENED, c.ApproveFiling(CASE, "PARTY", "", datetime(2026, 3, 2), HEAD), "at"),
        (OPENED, c.FastTrackFiling(CASE, "", FILED_AT, HEAD), "report"),
        (OPENED, c.RejectFiling(CASE, " ", FILED_AT, HEAD), "reason"),
        (FILED, c.StartInvestigation(CASE, None, STARTED, INVESTIGATOR), "announced_at"),
        (FILED, c.StartInvestigation(CASE, STARTED, None, INVESTIGATOR), "unit_notified_at"),
        (FILED, c.StartInvestigation(CASE, FILED_AT - timedelta(minutes=1), STARTED, INVESTIGATOR), "announced_at"),
        (FILED, c.StartInvestigation(CASE, STARTED, FILED_AT - timedelta(days=1), INVESTIGATOR), "unit_notified_at"),
        (INVESTIGATING, c.SendToTrialReview(CASE, " ", SENT, INVESTIGATOR), "report"),
        (REVIEW, c.ReturnFromTrialReview(CASE, "INVESTIGATING", "why", TRIAL), "to"),
        (REVIEW, c.ReturnFromTrialReview(CASE, "REINVESTIGATE", "", TRIAL), "reason"),
        (REVIEW, c.ExtendTrialReview(CASE, "", HEAD), "reason"),
        (REVIEW, c.ConcludeTrialReview(CASE, (), TRIAL), "proposals"),  # nothing proposed
        (REVIEW, c.ConcludeTrialReview(CASE, (ev.Outcome("NO_SANCTION", "P-9"),), TRIAL), "proposals[0].person_id"),
        (DELIBERATION, c.HearSubject(CASE, "P-9", "s", OTHERS, TRIAL, SANCTIONS), "person_id"),
        (DELIBERATION, c.HearSubject(CASE, "P-1", " ", OTHERS, TRIAL, SANCTIONS), "statement"),
        (DELIBERATION, c.HearSubject(CASE, "P-1", "s", (), TRIAL), "proposals"),
        (INVESTIGATING, c.WithdrawCase(CASE, "", DECIDED, HEAD), "reason"),
        (INVESTIGATING, c.WithdrawCase(CASE, "why", None, HEAD), "unit_told_at"),
        (INVESTIGATING, c.WithdrawCase(CASE, "why", FILED_AT - timedelta(days=1), HEAD), "unit_told_at"),
        (
            INVESTIGATING,
            c.OpenAccountabilityCase(CASE, CASE, "r", SUBJECTS, "review_1", HEAD),
            "accountability_case_id",
        ),
        (
            INVESTIGATING,
            c.OpenAccountabilityCase(CASE, "case-2", "r", SUBJECTS, "review_1", HEAD),
            "accountability_case_id",
        ),
        (INVESTIGATING, c.OpenAccountabilityCase(CASE, ACC, " ", SUBJECTS, "review_1", HEAD), "reason"),
        (INVESTIGATING, c.OpenAccountabilityCase(CASE, ACC, "r", (), "review_1", HEAD), "subjects"),
        (INVESTIGATING, c.OpenAccountabilityCase(CASE, ACC, "r", SUBJECTS, "review_2", HEAD), "handling_office"),
        (INVESTIGATING, c.RecordActivity(CASE, "PHONE_TAP", REC, "", INVESTIGATOR), "activity"),
        (INVESTIGATING, c.RecordActivity(CASE, "SEARCH", None, "", INVESTIGATOR), "recording"),
        (
            INVESTIGATING,
            c.RecordActivity(CASE, "SEARCH", replace(REC, sha256="AB" * 32), "", INVESTIGATOR),
            "recording.sha256",
        ),
        (
            INVESTIGATING,
            c.RecordActivity(CASE, "SEARCH", replace(REC, sha256="ab"), "", INVESTIGATOR),
            "recording.sha256",
        ),
        (
            INVESTIGATING,
            c.RecordActivity(CASE, "SEARCH", replace(REC, duration_seconds=0), "", INVESTIGATOR),
            "recording.duration_seconds",
        ),
        (INVESTIGATING, c.RecordActivity(CASE, "SEARCH", replace(REC, kind=" "), "", INVESTIGATOR), "recording.kind"),
        (INVESTIGATING, c.RecordActivity(CASE, "SEARCH", REC, "case-1", INVESTIGATOR), "measure_id"),
        (DISPOSED, c.GradeQuality(CASE, "GOOD", CRITERIA_MET, CM), "grade"),
        (DISPOSED, c.GradeQuality(CASE, "PASS", CRITERIA_MET[1:], CM), "criteria"),
        (DISPOSED, c.GradeQuality(CASE, "PASS", CRITERIA_MET + CRITERIA_MET[:1], CM), "criteria"),
        (
            DISPOSED,
            c.GradeQuality(CASE, "PASS", CRITERIA_MET[1:] + (ev.Criterion("CLEAR_FACTS", True),) * 2, CM),
            "criteria",
        ),
        (
            DISPOSED,
            c.GradeQuality(CASE, "PASS", CRITERIA_MET[:7] + (ev.Criterion("SPEED", True),), CM),
            "criteria[7].criterion",
        ),
        (INVESTIGATING, c.WithdrawCase(ACC, "why", DECIDED, HEAD), "case_id"),  # another case's command
    ],
)
def test_bad_input_names_the_field(given, command, field):
    spec.given(given).when(command).raises(Validation, field=field)


# --- replay ---------------------------------------------------------------------------------------


_FACT = f.FactSource("organisation_department", FILED_AT)
PREPARE = c.PrepareFiling(
    CASE,
    (
        f.PersonFacts("P-1", f.PartyMembership(True, _FACT), None, f.Cadre(f.COUNTY, False, _FACT)),
        f.PersonFacts(
            "P-2",
            f.PartyMembership(False, _FACT),
            f.PublicOfficial(f.CIVIL_SERVANT, False, _FACT),
            f.Cadre(f.NONE, False, _FACT),
        ),
    ),
    (ev.SubjectAtIssue("P-1", "PARTY_DISCIPLINE"), ev.SubjectAtIssue("P-2", "OFFICIAL_MISCONDUCT")),
    False,
    CM,
)
TOPIC = CollectiveDecision(TOPIC_MEETING, FILED_AT, ("u-head", "u-d1", "u-d2"), (), "plan and measures", "u-cm")


def test_folding_every_event_reproduces_the_state_built_step_by_step():
    steps = [
        COMMANDS["open filing"][0],
        PREPARE,  # issue 18: P-1 (county-managed) Party side, P-2 supervision side
        c.ApproveFiling(CASE, "PARTY", "", FILED_AT, HEAD),
        c.ApproveFiling(CASE, "SUPERVISION", "", FILED_AT, HEAD),
        c.ApproveFiling(CASE, "PARTY", "", FILED_AT, COMMITTEE),
        c.RecordTopicMeeting(CASE, TOPIC, HEAD),
        c.StartInvestigation(CASE, STARTED, STARTED, INVESTIGATOR),
        c.RecordActivity(CASE, "INTERROGATION", REC, MEASURE, INVESTIGATOR),
        c.SendToTrialReview(CASE, "report", SENT, INVESTIGATOR),
        c.ReturnFromTrialReview(CASE, "SUPPLEMENTARY_INVESTIGATION", "bank records", TRIAL),
        c.ApproveTrialReviewReturn(CASE, DEPUTY),
        c.SendToTrialReview(CASE, "report 2", SENT, INVESTIGATOR),
        c.ExtendTrialReview(CASE, "complex", HEAD),
        c.RecordTrialReviewOverdue(CASE, DUE2),
        c.ConcludeTrialReview(CASE, OTHERS, TRIAL, SANCTIONS),
        c.HearSubject(CASE, "P-1", "defence", OTHERS, TRIAL, SANCTIONS),
        c.DisposeCase(CASE, OTHERS, (), DECIDED, HEAD, SANCTIONS, FACTS, MEETING, CONSULTED),
        c.OpenAccountabilityCase(CASE, ACC, "oversight", SUBJECTS, "review_1", HEAD),
        c.GradeQuality(CASE, "PASS", CRITERIA_MET, CM),
    ]
    state, history = fold([]), []
    for command in steps:
        events = decide(command, state)
        history += events
        state = fold_from(state, events)
    assert fold(history) == state
    assert (
        state.status,
        state.filed_at,
        state.heard,
        state.outcomes,
        state.accountability_case_ids,
        state.quality_grade,
        len(state.approvals),
    ) == ("DISPOSED", FILED_AT, ("P-1",), PROPOSALS, (ACC,), "PASS", 3)
    assert [type(e) for e in history].count(ev.CaseFiled) == 1


def test_a_trial_review_is_extended_in_time_or_not_at_all_and_a_stale_overdue_changes_nothing():
    before = DUE - timedelta(minutes=1)
    [extended] = decide(c.ExtendTrialReview(CASE, "complex", HEAD, at=before), fold(REVIEW))
    assert extended.due > DUE
    with pytest.raises(IllegalState, match="overdue since"):
        decide(c.ExtendTrialReview(CASE, "complex", HEAD, at=DUE), fold(REVIEW))
    assert not fold(REVIEW + [extended, ev.TrialReviewOverdue(CASE, DUE)]).overdue  # the old due's timer
    assert fold(REVIEW + [ev.TrialReviewOverdue(CASE, DUE)]).overdue


# --- hand-over (移交审查调查) ------------------------------------------------------------------------

HANDING = SITUATIONS["FILED+hand-over"]


def test_a_hand_over_is_proposed_then_approved_by_the_head_and_moves_the_holder_only_then():
    spec.given(FILED).when(c.ProposeHandOver(CASE, " review_2 ", " investigate ", PROPOSER)).then(
        [ev.CaseHandOverProposed(CASE, "review_1", "review_2", "investigate", "u-insp")]
    )
    assert (fold(HANDING).holder, fold(HANDING).hand_over.to_office) == ("review_1", "review_2")
    spec.given(HANDING).when(c.ApproveHandOver(CASE, HEAD)).then(
        [ev.CaseHandedOver(CASE, "review_1", "review_2", "u-head", "commission_head")]
    )
    after = fold(HANDING + [ev.CaseHandedOver(CASE, "review_1", "review_2", "u-head", "commission_head")])
    assert (after.holder, after.hand_over, "commission_head" in after.approver_roles) == ("review_2", None, True)


def test_a_refused_hand_over_leaves_the_holder():
    spec.given(HANDING).when(c.RejectHandOver(CASE, " not yet ", HEAD)).then(
        [ev.CaseHandOverRejected(CASE, "review_2", "not yet", "u-head", "commission_head")]
    )
    after = fold(HANDING + [ev.CaseHandOverRejected(CASE, "review_2", "not yet", "u-head", "commission_head")])
    assert (after.holder, after.hand_over) == ("review_1", None)


@pytest.mark.parametrize(
    "given,command,error,field",
    [
        (FILED, c.ProposeHandOver(CASE, "review_1", "r", PROPOSER), Validation, "to_office"),
        (FILED, c.ProposeHandOver(CASE, " ", "r", PROPOSER), Validation, "to_office"),
        (FILED, c.ProposeHandOver(CASE, "review_2", " ", PROPOSER), Validation, "reason"),
        (HANDING, c.ProposeHandOver(CASE, "review_3", "r", PROPOSER), IllegalState, ""),
        (HANDING, c.ApproveHandOver(CASE, INVESTIGATOR), Forbidden, ""),
        (
            HANDING,
            c.ApproveHandOver(CASE, Principal("commission", "leadership", "commission_head", "u-insp")),
            Forbidden,
            "",
        ),
        (HANDING, c.RejectHandOver(CASE, " ", HEAD), Validation, "reason"),
    ],
)
def test_hand_over_refusals(given, command, error, field):
    err = spec.given(given).when(command).raises(error)
    assert getattr(err, "field", "") == field
