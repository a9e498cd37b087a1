"""domain.md §3, the case table: each row (transition, approver or duty, limit) as one test row
citing its article. The rule's details have their own tests (test_filing, test_trial_review,
test_disposal); this table is what a reader checks the law against, row by row."""

from dataclasses import replace

import pytest

from kernel.domain.errors import Forbidden, IllegalState
from kernel.domain.principal import Principal
from services.cases.domain import commands as c, events as ev
from services.cases.domain.decide import CasePolicy, decide
from services.cases.domain.state import fold
from services.cases.tests.unit import test_case_lifecycle as lc, test_filing as fl
from services.cases.tests.unit.test_case_lifecycle import (
    CASE,
    CM,
    CONSULTED,
    DECIDED,
    DEPUTY,
    FACTS,
    HEAD,
    HEARD,
    INVESTIGATOR,
    MEETING,
    OTHERS,
    REVIEW,
    SANCTIONS,
    SENT,
    TRIAL,
)

OFFICER = Principal("commission", "supervision_1", "supervisor", "u-officer")
MANAGED = fl.prepared(fl.person(level="COUNTY"), "BOTH")  # a county cadre, both sides, a county commission
HEAD_APPROVED = MANAGED + decide(fl.approve("PARTY"), fold(MANAGED))
FILED = fl.filed(fl.prepared(fl.person(member=False), "OFFICIAL_MISCONDUCT"))
MET = FILED + [ev.TopicMeetingHeld(fl.CASE, fl.meeting(), "u-head")]
START = c.StartInvestigation(fl.CASE, fl.LATER, fl.LATER, fl.INVESTIGATOR)


def proposed(to):
    return lc.proposed(to)


# (row, given, command, status after) — the transition with its lawful approver or duty met
ROWS = [
    ("FILING->FILED Rules 38: the commission head first", MANAGED, fl.approve("PARTY"), "FILING"),
    ("FILING->FILED Rules 38: then the Party committee head for its cadres", HEAD_APPROVED,
     fl.approve("PARTY", fl.COMMITTEE), "FILING"),
    ("FILING->FILED SL 42: a non-member official, the supervision side, the head alone",
     fl.prepared(fl.person(member=False), "OFFICIAL_MISCONDUCT"), fl.approve("SUPERVISION"), "FILED"),
    ("FILED SL 42; Rules 39: the head chairs the topic meeting on plan and measures", FILED,
     c.RecordTopicMeeting(fl.CASE, fl.meeting(), fl.HEAD), "FILED"),
    ("FILED->INVESTIGATING SL 42: announced and notified, after the topic meeting", MET, START, "INVESTIGATING"),
    ("INVESTIGATING->UNDER_TRIAL_REVIEW: the investigation report", lc.INVESTIGATING,
     c.SendToTrialReview(CASE, "report", SENT, INVESTIGATOR), "UNDER_TRIAL_REVIEW"),
    ("UNDER_TRIAL_REVIEW->REINVESTIGATE Rules 55: the head approves", proposed("REINVESTIGATE"),
     c.ApproveTrialReviewReturn(CASE, HEAD), "REINVESTIGATE"),
    ("UNDER_TRIAL_REVIEW->SUPPLEMENTARY_INVESTIGATION Rules 55: the responsible deputy approves",
     proposed("SUPPLEMENTARY_INVESTIGATION"), c.ApproveTrialReviewReturn(CASE, DEPUTY), "SUPPLEMENTARY_INVESTIGATION"),
    ("UNDER_TRIAL_REVIEW Rules 55: extended with approval for major cases", REVIEW,
     c.ExtendTrialReview(CASE, "complex", HEAD), "UNDER_TRIAL_REVIEW"),
    ("UNDER_TRIAL_REVIEW->DELIBERATION Rules 55: the trial review's conclusion", REVIEW,
     c.ConcludeTrialReview(CASE, OTHERS, TRIAL, SANCTIONS), "DELIBERATION"),
    ("DELIBERATION->DISPOSED SL 52; PSL 44; Rules 56: the standing committee's collective decision", HEARD,
     c.DisposeCase(CASE, OTHERS, (), DECIDED, CM, SANCTIONS, FACTS, MEETING, CONSULTED), "DISPOSED"),
    ("open->WITHDRAWN SL 52: no evidence of wrongdoing, the unit told", lc.INVESTIGATING,
     c.WithdrawCase(CASE, "no evidence", DECIDED, HEAD), "WITHDRAWN"),
]  # fmt: skip


@pytest.mark.parametrize("row, given, command, status", ROWS, ids=[r[0] for r in ROWS])
def test_each_row_of_the_case_table(row, given, command, status):
    assert fold(given + decide(command, fold(given), CasePolicy())).status == status


# (row, given, command, error) — the same rows, refused to whoever the law does not name, or before
# the duty is met
REFUSED = [
    ("FILING Rules 38: never the Party committee head before the commission head", MANAGED,
     fl.approve("PARTY", fl.COMMITTEE), IllegalState),
    ("FILING Rules 38: the Party committee head only for the cadres it manages",
     fl.prepared(fl.person(level="CITY"), "BOTH"), fl.approve("PARTY", fl.COMMITTEE), Forbidden),
    ("FILING Rules 38: no officer approves a filing", MANAGED, fl.approve("PARTY", OFFICER), Forbidden),
    ("FILED Rules 39: only the head chairs the topic meeting", FILED,
     c.RecordTopicMeeting(fl.CASE, fl.meeting(), fl.INVESTIGATOR), Forbidden),
    ("FILED->INVESTIGATING SL 42; Rules 39: not before the topic meeting", FILED, START, IllegalState),
    ("UNDER_TRIAL_REVIEW->REINVESTIGATE Rules 55: not the deputy", proposed("REINVESTIGATE"),
     c.ApproveTrialReviewReturn(CASE, DEPUTY), Forbidden),
    ("UNDER_TRIAL_REVIEW->SUPPLEMENTARY_INVESTIGATION Rules 55: not the head", proposed("SUPPLEMENTARY_INVESTIGATION"),
     c.ApproveTrialReviewReturn(CASE, HEAD), Forbidden),
    ("DELIBERATION->DISPOSED Rules 56; SL 51: not one person's approval (the trial reviewer)", HEARD,
     c.DisposeCase(CASE, OTHERS, (), DECIDED, TRIAL, SANCTIONS, FACTS, MEETING, CONSULTED), Forbidden),
    ("DELIBERATION->DISPOSED Rules 56: the org dept and the Party committee consulted first", HEARD,
     c.DisposeCase(CASE, OTHERS, (), DECIDED, CM, SANCTIONS, FACTS, MEETING, ()), IllegalState),
    ("DELIBERATION->DISPOSED PC 43; PSL 43: the person heard before any sanction", lc.DELIBERATION,
     c.DisposeCase(CASE, OTHERS, (), DECIDED, CM, SANCTIONS, FACTS, MEETING, CONSULTED), IllegalState),
    ("WITHDRAWN SL 52: a closed case is not withdrawn", lc.DISPOSED,
     c.WithdrawCase(CASE, "no evidence", DECIDED, HEAD), IllegalState),
]  # fmt: skip


@pytest.mark.parametrize("row, given, command, error", REFUSED, ids=[r[0] for r in REFUSED])
def test_each_row_refuses_whom_the_law_does_not_name(row, given, command, error):
    with pytest.raises(error):
        decide(command, fold(given), CasePolicy())


def test_rules_55_the_trial_review_is_due_a_configured_month_after_acceptance_and_extended_by_approval():
    """UNDER_TRIAL_REVIEW: 1 month (local count and length of extensions: trial_review.toml)."""
    [sent] = decide(c.SendToTrialReview(CASE, "report", SENT, INVESTIGATOR), fold(lc.INVESTIGATING), CasePolicy())
    assert sent.due == lc.DUE
    policy = replace(CasePolicy(), trial_review_months=2)
    [sent] = decide(c.SendToTrialReview(CASE, "report", SENT, INVESTIGATOR), fold(lc.INVESTIGATING), policy)
    assert sent.due.month == 7
