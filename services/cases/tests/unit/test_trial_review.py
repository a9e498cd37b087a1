"""Trial review (案件审理), domain.md §3: each row a transition, approver or limit, citing its article."""

import pytest

from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.cases.app.access import Access
from services.cases.app.trial_rules import DEFAULT_FILE, TrialRulesError, load_trial_rules
from services.cases.domain import commands as c, events as ev
from services.cases.domain.decide import CasePolicy, decide
from services.cases.domain.state import fold
from services.cases.tests.unit.test_case_lifecycle import (
    CASE,
    DUE,
    DUE2,
    EXTENDED,
    HEAD,
    OTHERS,
    REVIEW,
    SANCTIONS,
    TRIAL,
    spec,
)

DEPUTY = Principal("commission", "deputy_leadership_2", "deputy_head", "u-deputy")
TRIAL2 = Principal("commission", "trial", "trial_reviewer", "u-trial2")


def proposed(to, by="u-trial"):
    return REVIEW + [ev.TrialReviewReturnProposed(CASE, to, "why", by)]


# (rule, given, command, events or error)
ROWS = [
    (
        "Rules 55: the trial reviewer proposes a return; nothing moves yet",
        REVIEW,
        c.ReturnFromTrialReview(CASE, "REINVESTIGATE", " unclear ", TRIAL),
        [ev.TrialReviewReturnProposed(CASE, "REINVESTIGATE", "unclear", "u-trial")],
    ),
    (
        "Rules 55: UNDER_TRIAL_REVIEW -> REINVESTIGATE, the head approves",
        proposed("REINVESTIGATE"),
        c.ApproveTrialReviewReturn(CASE, HEAD),
        [ev.TrialReviewReturned(CASE, "REINVESTIGATE", "why", "u-trial", "u-head", "commission_head")],
    ),
    (
        "Rules 55: UNDER_TRIAL_REVIEW -> SUPPLEMENTARY_INVESTIGATION, the responsible deputy approves",
        proposed("SUPPLEMENTARY_INVESTIGATION"),
        c.ApproveTrialReviewReturn(CASE, DEPUTY),
        [ev.TrialReviewReturned(CASE, "SUPPLEMENTARY_INVESTIGATION", "why", "u-trial", "u-deputy", "deputy_head")],
    ),
    (
        "Rules 55: the deputy does not approve a reinvestigation",
        proposed("REINVESTIGATE"),
        c.ApproveTrialReviewReturn(CASE, DEPUTY),
        Forbidden,
    ),
    (
        "Rules 55: the head does not approve a supplementary investigation (the responsible deputy does)",
        proposed("SUPPLEMENTARY_INVESTIGATION"),
        c.ApproveTrialReviewReturn(CASE, HEAD),
        Forbidden,
    ),
    (
        "Rules 55: the trial reviewer does not approve a return",
        proposed("REINVESTIGATE"),
        c.ApproveTrialReviewReturn(CASE, TRIAL2),
        Forbidden,
    ),
    (
        "Rules 55: the proposer never approves",
        proposed("REINVESTIGATE", by="u-head"),
        c.ApproveTrialReviewReturn(CASE, HEAD),
        Forbidden,
    ),
    (
        "Rules 55: a refused return leaves the trial review going on",
        proposed("SUPPLEMENTARY_INVESTIGATION"),
        c.RejectTrialReviewReturn(CASE, " enough ", DEPUTY),
        [ev.TrialReviewReturnRejected(CASE, "SUPPLEMENTARY_INVESTIGATION", "enough", "u-deputy", "deputy_head")],
    ),
    ("Rules 55: nothing to approve", REVIEW, c.ApproveTrialReviewReturn(CASE, HEAD), IllegalState),
    (
        "Rules 55: one proposal at a time",
        proposed("REINVESTIGATE"),
        c.ReturnFromTrialReview(CASE, "REINVESTIGATE", "x", TRIAL),
        IllegalState,
    ),
    (
        "Rules 55: no conclusion while a return awaits approval",
        proposed("REINVESTIGATE"),
        c.ConcludeTrialReview(CASE, OTHERS, TRIAL, SANCTIONS),
        IllegalState,
    ),
    (
        "Rules 55: a return goes to REINVESTIGATE or SUPPLEMENTARY_INVESTIGATION",
        REVIEW,
        c.ReturnFromTrialReview(CASE, "WITHDRAWN", "x", TRIAL),
        Validation,
    ),
    (
        "Rules 55: the review is extended with the head's approval (local: once, by 1 month)",
        REVIEW,
        c.ExtendTrialReview(CASE, "complex", HEAD),
        [ev.TrialReviewExtended(CASE, DUE2, "complex", "u-head", "commission_head")],
    ),
    (
        "Rules 55 (local count): a second extension is refused",
        EXTENDED,
        c.ExtendTrialReview(CASE, "again", HEAD),
        IllegalState,
    ),
    ("Rules 55: only the head approves an extension", REVIEW, c.ExtendTrialReview(CASE, "complex", DEPUTY), Forbidden),
]


@pytest.mark.parametrize("rule,given,command,expected", ROWS, ids=[r[0] for r in ROWS])
def test_trial_review_rows(rule, given, command, expected):
    when = spec.given(given).when(command)
    if isinstance(expected, list):
        when.then(expected)
    else:
        when.raises(expected)


@pytest.mark.parametrize(
    "to,status",
    [("REINVESTIGATE", "REINVESTIGATE"), ("SUPPLEMENTARY_INVESTIGATION", "SUPPLEMENTARY_INVESTIGATION")],
)
def test_an_approved_return_moves_the_case_and_names_the_approver_role(to, status):
    approver = HEAD if to == "REINVESTIGATE" else DEPUTY
    events = spec.given(proposed(to)).when(c.ApproveTrialReviewReturn(CASE, approver)).run()
    state = fold(proposed(to) + events)
    assert state.status == status and state.return_proposal is None and state.trial_review_due is None
    assert approver.role in state.approver_roles


def test_a_return_recorded_before_approvals_reads_as_before():
    state = fold(REVIEW + [ev.TrialReviewReturned(CASE, "REINVESTIGATE", "why", "u-trial")])
    assert state.status == "REINVESTIGATE" and "" not in state.approver_roles


def test_need_to_know_names_the_approver_a_return_awaits():
    access = Access(review_approvers=frozenset({"commission_head", "deputy_head"}))
    assert access.case(fold(REVIEW)).approvers >= {"commission_head"}
    assert "deputy_head" not in access.case(fold(REVIEW)).approvers  # nothing awaits the deputy
    assert "deputy_head" in access.case(fold(proposed("SUPPLEMENTARY_INVESTIGATION"))).approvers


# --- the limits from configuration (Rules 55; local) ------------------------------------------------


def test_the_shipped_file_holds_rules_55_and_the_local_defaults():
    policy = load_trial_rules()
    assert (policy.trial_review_months, policy.extension_months, policy.max_extensions) == (1, 1, 1)
    assert policy.standing_committee_quorum == 5
    assert policy == CasePolicy(filing=policy.filing)


def test_a_local_copy_changes_the_length_and_the_extensions(tmp_path):
    local = tmp_path / "trial_review.toml"
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    local.write_text(
        text.replace("length_months = 1", "length_months = 2").replace("max_extensions = 1", "max_extensions = 2"),
        encoding="utf-8",
    )
    policy = load_trial_rules(local)
    [sent] = decide(c.SendToTrialReview(CASE, "r", DUE, TRIAL), fold(REVIEW[:-1]), policy)
    assert sent.due.month == DUE.month + 2
    assert decide(c.ExtendTrialReview(CASE, "again", HEAD), fold(EXTENDED), policy)  # a second one now allowed


@pytest.mark.parametrize(
    "old,new,key",
    [
        ("length_months = 1", "length_months = 0", "trial_review.length_months"),
        ("extension_months = 1", 'extension_months = "1 month"', "trial_review.extension_months"),
        ("max_extensions = 1", "max_extensions = -1", "trial_review.max_extensions"),
        ("max_extensions = 1", "", "trial_review.max_extensions"),
        ("standing_committee_quorum = 5", "standing_committee_quorum = 0", "deliberation.standing_committee_quorum"),
        ("standing_committee_quorum = 5", "quorum = 5", "deliberation.quorum"),
        ("schema_version = 1", "schema_version = 2", "schema_version"),
    ],
)
def test_a_mistake_names_the_file_and_the_key(tmp_path, old, new, key):
    local = tmp_path / "trial_review.toml"
    local.write_text(DEFAULT_FILE.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(TrialRulesError, match=f"{local}: {key}:"):
        load_trial_rules(local)


def test_the_due_is_the_configured_length_after_acceptance():
    assert fold(REVIEW).trial_review_due == DUE
