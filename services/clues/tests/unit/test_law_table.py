"""Domain.md §2's clue table as the law says it, one row per rule with its article (issue 20):
intake routing (CR 15; IR2021 169, 171), talk and letter conclusions approved (Rules ch. 5), the
preliminary-check report's full set of proposals (SL 41; Rules ch. 6), shelved clues closed or
re-disposed at a periodic clearing with the disposal approval (IR2021 168), recusal (SL 67).
An approver is never the proposer (here) nor a subject (the kernel's runner:
tests/unit/test_recusal.py)."""

from dataclasses import replace

import pytest

from kernel.domain.errors import Forbidden, IllegalState, Validation
from services.clues.domain import commands as c, events as ev
from services.clues.domain.state import fold
from services.clues.tests.unit.test_lifecycle import (
    AT,
    CASE_MANAGER,
    HEAD,
    ID,
    INSPECTOR,
    PLAN_OK,
    REG,
    SUBJECT,
    disposed,
    spec,
)

TALK = disposed("TALK_OR_LETTER")
SHELVED = disposed("SHELVED")
COMPLAINTS = CASE_MANAGER  # any intake role


def after(given, *commands):
    """The events after each command in turn, and the state they leave."""
    events = list(given)
    for command in commands:
        events += spec.given(events).when(command).run()
    return events, fold(events)


# -- talk and letter (谈话函询): a 情况报告 and 处置意见, in effect only when approved (Rules ch. 5) ----


@pytest.mark.parametrize(
    "outcome,form,status",
    [
        ("CLEARED", "", "CLOSED"),  # Rules ch. 5: cleared up (了结澄清)
        ("LIGHT_HANDLING", "TALK_REMINDER", "CLOSED"),  # 谈话提醒
        ("LIGHT_HANDLING", "CRITICISM_AND_EDUCATION", "CLOSED"),  # 批评教育
        ("LIGHT_HANDLING", "ORDERED_SELF_EXAMINATION", "CLOSED"),  # 责令检查
        ("LIGHT_HANDLING", "ADMONISHMENT", "CLOSED"),  # 诫勉
        ("REPEAT", "", "TALK_OR_LETTER"),  # another talk or letter
        ("PRELIM_CHECK", "", "PRELIM_CHECK"),  # the reply shows a problem
    ],
)
def test_rules_ch5_a_talk_conclusion_takes_effect_only_when_approved(outcome, form, status):
    report = c.ConcludeTalkOrLetter(ID, outcome, "the report", INSPECTOR, form)
    reported, state = after(TALK, report)
    assert state.status == "TALK_OR_LETTER" and state.pending.kind == "talk"  # nothing in effect yet
    assert reported[-1] == ev.TalkOrLetterReported(ID, outcome, "the report", "u-insp", form)
    approved, state = after(reported, c.ApproveTalkOrLetterConclusion(ID, HEAD))
    assert approved[-1] == ev.TalkOrLetterConcluded(ID, outcome, "the report", "u-insp", "u-head", form)
    assert (state.status, state.outcome, state.pending) == (status, outcome, None)


def test_rules_ch5_a_talk_conclusion_sent_back_goes_on_and_is_never_approved_by_its_reporter():
    reported, _ = after(TALK, c.ConcludeTalkOrLetter(ID, "CLEARED", "r", INSPECTOR))
    spec.given(reported).when(c.ApproveTalkOrLetterConclusion(ID, INSPECTOR)).raises(Forbidden)
    spec.given(reported).when(c.ConcludeTalkOrLetter(ID, "REPEAT", "r", INSPECTOR)).raises(IllegalState)
    _, state = after(reported, c.RejectTalkOrLetterConclusion(ID, "ask again", HEAD))
    assert (state.status, state.pending) == ("TALK_OR_LETTER", None)
    spec.given(TALK).when(c.ApproveTalkOrLetterConclusion(ID, HEAD)).raises(IllegalState)  # nothing reported


@pytest.mark.parametrize(
    "outcome,form,field",
    [
        ("LIGHT_HANDLING", "", "light_handling"),  # which of the four forms
        ("LIGHT_HANDLING", "SCOLDING", "light_handling"),
        ("CLEARED", "ADMONISHMENT", "light_handling"),  # a form only with light handling
    ],
)
def test_rules_ch5_light_handling_names_its_form(outcome, form, field):
    spec.given(TALK).when(c.ConcludeTalkOrLetter(ID, outcome, "r", INSPECTOR, form)).raises(Validation, field=field)


def test_a_talk_conclusion_recorded_before_approvals_reads_as_it_took_effect():
    """Events keep their meaning: an old TalkOrLetterConcluded (no approver) closed the clue."""
    state = fold(TALK + [ev.TalkOrLetterConcluded(ID, "LIGHT_HANDLING", "criticised", "u-insp")])
    assert (state.status, state.outcome) == ("CLOSED", "LIGHT_HANDLING")


# -- the preliminary check's report: 分类处理意见 (SL 41; Rules ch. 6, the last three unverified) ----


@pytest.mark.parametrize(
    "proposal,form,organisation,status",
    [
        ("FILE_CASE", "", "", "AWAITING_FILING"),  # SL 41: to the cases service
        ("CLOSE", "", "", "CLOSED"),  # 予以了结
        ("TALK_OR_LETTER", "", "", "TALK_OR_LETTER"),
        ("SHELVE", "", "", "SHELVED"),  # 暂存待查 (Rules ch. 6)
        ("LIGHT_HANDLING", "CRITICISM_AND_EDUCATION", "", "CLOSED"),  # Rules ch. 6
        ("HAND_OVER_TO_PARTY_ORGANISATION", "", "the bureau's Party group", "CLOSED"),  # 移送有关党组织处理
    ],
)
def test_sl41_the_report_proposes_any_of_six_dispositions_the_head_approves(proposal, form, organisation, status):
    reported, state = after(PLAN_OK, c.ReportPrelimCheck(ID, "f", proposal, INSPECTOR, form, organisation))
    assert state.status == "REPORTED"
    spec.given(reported).when(c.ApproveReport(ID, INSPECTOR)).raises(Forbidden)  # not the reporter
    approved, state = after(reported, c.ApproveReport(ID, HEAD))
    assert approved[len(reported)] == ev.ReportApproved(ID, proposal, "u-head", form, organisation)
    assert state.status == status
    if proposal in ("LIGHT_HANDLING", "HAND_OVER_TO_PARTY_ORGANISATION"):
        assert state.outcome == proposal


@pytest.mark.parametrize(
    "proposal,form,organisation,field",
    [
        ("HAND_OVER_TO_PARTY_ORGANISATION", "", " ", "party_organisation"),  # which organisation
        ("CLOSE", "", "the bureau's Party group", "party_organisation"),
        ("LIGHT_HANDLING", "", "", "light_handling"),
        ("SHELVE", "TALK_REMINDER", "", "light_handling"),
    ],
)
def test_rules_ch6_a_proposal_names_what_it_needs_and_nothing_else(proposal, form, organisation, field):
    command = c.ReportPrelimCheck(ID, "f", proposal, INSPECTOR, form, organisation)
    spec.given(PLAN_OK).when(command).raises(Validation, field=field)


def test_a_revised_proposal_after_a_refused_filing_may_shelve_it():
    reported, _ = after(PLAN_OK, c.ReportPrelimCheck(ID, "f", "FILE_CASE", INSPECTOR), c.ApproveReport(ID, HEAD))
    refused = reported + [ev.ClueFilingRejected(ID, "insufficient")]
    _, state = after(refused, c.ReviseReportProposal(ID, "SHELVE", "refused", INSPECTOR), c.ApproveReport(ID, HEAD))
    assert state.status == "SHELVED"


# -- shelved clues: periodic clearing (定期清理, IR2021 168), each with the disposal approval (SL 40) ----


@pytest.mark.parametrize("method", ["CLOSED", "TALK_OR_LETTER", "PRELIM_CHECK", "SHELVED"])
def test_ir2021_168_a_shelved_clue_is_closed_or_re_disposed_at_a_clearing_with_approval(method):
    proposed, state = after(SHELVED, c.ProposeClearing(ID, method, "reviewed", "2026-H1", CASE_MANAGER))
    assert proposed[-1] == ev.ClearingProposed(ID, method, "reviewed", "2026-H1", "u-cm")
    assert (state.status, state.pending.kind, state.pending.value) == ("SHELVED", "disposal", method)
    spec.given(proposed).when(c.ApproveDisposal(ID, CASE_MANAGER)).raises(Forbidden)  # not the proposer
    approved, state = after(proposed, c.ApproveDisposal(ID, HEAD))
    assert approved[len(proposed)] == ev.DisposalApproved(ID, method, "u-head")
    assert (state.status, state.pending) == (method, None)


def test_ir2021_168_a_refused_clearing_leaves_the_clue_shelved_and_one_proposal_at_a_time():
    proposed, _ = after(SHELVED, c.ProposeClearing(ID, "CLOSED", "reviewed", "2026-H1", CASE_MANAGER))
    spec.given(proposed).when(c.ProposeClearing(ID, "CLOSED", "again", "2026-H1", CASE_MANAGER)).raises(IllegalState)
    _, state = after(proposed, c.RejectDisposal(ID, "keep it", HEAD))
    assert (state.status, state.pending) == ("SHELVED", None)
    spec.given(SHELVED).when(c.ProposeClearing(ID, "CLOSED", "r", " ", CASE_MANAGER)).raises(
        Validation, field="clearing"
    )
    spec.given(SHELVED).when(c.ProposeClearing(ID, "ARCHIVE", "r", "2026-H1", CASE_MANAGER)).raises(
        Validation, field="method"
    )


def test_new_information_reopens_a_shelved_clue_only_with_the_disposal_approval():
    """Before issue 20 a shelved clue reopened without approval; its old ClueReopened reads the same."""
    proposed, state = after(SHELVED, c.ReopenClue(ID, "a new report", CASE_MANAGER))
    assert proposed[-1] == ev.ClearingProposed(ID, "PRELIM_CHECK", "a new report", "", "u-cm")
    assert state.status == "SHELVED"
    assert after(proposed, c.ApproveDisposal(ID, HEAD))[1].status == "PRELIM_CHECK"
    assert fold(SHELVED + [ev.ClueReopened(ID, "new", "u-cm")]).status == "PRELIM_CHECK"


# -- intake routing (domain.md §2) ------------------------------------------------------------------

HEAD_SUBJECT = ev.Subject("u-head", "the commission's head")


def register(routing="", forward_to="", subjects=(SUBJECT,)):
    return c.RegisterClue(ID, "PETITION", subjects, "x", AT, False, COMPLAINTS, routing=routing, forward_to=forward_to)


def test_cr15_a_clue_about_the_own_head_goes_straight_up_and_is_never_registered_here():
    events = spec.given([]).when(register("ABOUT_OWN_HEAD", "superior_commission", (HEAD_SUBJECT,))).run()
    assert [type(e) for e in events] == [ev.ClueRegistered, ev.ClueForwarded]
    assert events[1].routing == "ABOUT_OWN_HEAD" and events[1].to_agency == "superior_commission"
    assert fold(events).status == "FORWARDED"  # terminal: no registration, no approval here
    spec.given(events).when(c.ProposeRegistration(ID, "N-1", "supervision_1", CASE_MANAGER)).raises(IllegalState)


@pytest.mark.parametrize(
    "routing,forward_to,field",
    [
        ("ABOUT_OWN_HEAD", "", "forward_to"),  # CR 15: to the upper level, named
        ("", "superior_commission", "forward_to"),  # only the head's clue goes at intake
        ("SIDEWAYS", "", "routing"),
    ],
)
def test_cr15_intake_routing_names_where_it_goes(routing, forward_to, field):
    spec.given([]).when(register(routing, forward_to)).raises(Validation, field=field)


@pytest.mark.parametrize("routing", ["UPPER_LEVEL", "OTHER_BODY", "NO_JURISDICTION"])
def test_cr15_ir2021_171_a_clue_routed_away_is_not_registered_here(routing):
    """CR 15: the upper level's clue has no entry here; IR2021 171: another body's is forwarded,
    one no supervision organ has jurisdiction over is returned."""
    received = [replace(REG[0], routing=routing)]
    spec.given(received).when(c.ProposeRegistration(ID, "N-1", "supervision_1", CASE_MANAGER)).raises(IllegalState)


@pytest.mark.parametrize(
    "routing,article",
    [
        ("UPPER_LEVEL", "CR 15: forwarded up within 5 working days"),
        ("OTHER_BODY", "IR2021 169, 171: to the body with jurisdiction"),
        ("NO_JURISDICTION", "IR2021 171(4): returned to the sender"),
        ("ABOUT_OWN_HEAD", "CR 15: found after intake, still straight up"),
    ],
)
def test_ir2021_171_forwarding_records_its_routing(routing, article):
    received = [replace(REG[0], routing=routing)]
    events, state = after(received, c.ForwardClue(ID, "elsewhere", article, CASE_MANAGER, routing))
    assert events[-1] == ev.ClueForwarded(ID, "elsewhere", article, "u-cm", routing)
    assert state.status == "FORWARDED"


def test_ir2021_171_3_a_part_forwarded_leaves_the_rest_here_to_be_registered():
    received = [replace(REG[0], routing="OTHER_BODY")]
    part = c.ForwardClue(ID, "audit office", "the audit office's", CASE_MANAGER, "OTHER_BODY", "the tender")
    events, state = after(received, part)
    assert events[-1] == ev.CluePartForwarded(ID, "audit office", "the tender", "the audit office's", "u-cm")
    assert state.status == "RECEIVED" and state.parts_forwarded == (("audit office", "the tender"),)
    _, state = after(events, c.ProposeRegistration(ID, "N-1", "supervision_1", CASE_MANAGER))
    assert state.pending.kind == "registration"  # the rest is ours
    up = c.ForwardClue(ID, "superior_commission", "r", CASE_MANAGER, "UPPER_LEVEL", "the tender")
    spec.given(received).when(up).raises(Validation, field="part")  # only another body's part


# -- recusal (回避, SL 67): recorded as events (enforced by the kernel's runner) ----------------------


def test_sl67_a_declared_recusal_is_recorded_once_and_never_for_a_subject():
    declared = c.DeclareRecusal(ID, "u-kin", "NEAR_RELATIVE", "the subject's brother", HEAD)
    events, state = after(REG, declared)
    assert events[-1] == ev.RecusalDeclared(ID, "u-kin", "NEAR_RELATIVE", "the subject's brother", "u-head")
    assert state.recused == frozenset({"u-kin"})
    spec.given(events).when(declared).raises(Validation, field="person_id")  # once
    spec.given(REG).when(replace(declared, person_id="P-1")).raises(Validation, field="person_id")  # a subject
    spec.given(REG).when(replace(declared, ground="DISLIKE")).raises(Validation, field="ground")
