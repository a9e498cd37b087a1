"""The clue lifecycle of domain.md §2, table-driven: every command in every situation."""

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.clues.domain import commands as c, events as ev
from services.clues.domain.decide import decide
from services.clues.domain.state import fold

AT = datetime(2026, 5, 6, 9, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 6, 15, 9, 0, tzinfo=timezone.utc)
ID = "clue-1"
CASE_MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
INSPECTOR = Principal("commission", "supervision_1", "supervisor", "u-insp")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
COMPLAINTS = Principal("commission", "complaints", "complaints_officer", "u-complaints")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
SUBJECT = ev.Subject("P-1", "Zhang San", "director")
spec = DeciderSpec(decide, fold)

REG = [ev.ClueRegistered(ID, "PETITION", (SUBJECT,), "allegation", "commission", "complaints", AT, True)]
PROPOSED = REG + [ev.RegistrationProposed(ID, "CM-2026-0001", "supervision_1", "u-cm")]
REGISTERED = PROPOSED + [ev.RegistrationApproved(ID, "u-head")]


def disposed(method):
    return REGISTERED + [ev.DisposalProposed(ID, method, "why", "u-cm"), ev.DisposalApproved(ID, method, "u-head")]


PLANNED = disposed("PRELIM_CHECK") + [ev.PrelimCheckPlanSubmitted(ID, "plan", ("a", "b"), False, "u-insp")]
PLAN_OK = PLANNED + [ev.PrelimCheckPlanApproved(ID, "commission_head", "u-head")]
REPORTED = PLAN_OK + [ev.PrelimCheckReported(ID, "findings", "FILE_CASE", "u-insp")]
AWAITING = REPORTED + [
    ev.ReportApproved(ID, "FILE_CASE", "u-head"),
    ev.FilingProposed(ID, (SUBJECT,), "findings", "supervision_1", "CM-2026-0001", "u-insp"),
]

SITUATIONS = {
    "NONE": [],
    "RECEIVED": REG,
    "RECEIVED+proposed": PROPOSED,
    "FORWARDED": REG + [ev.ClueForwarded(ID, "procuratorate", "jurisdiction", "u-cm")],
    "REGISTERED": REGISTERED,
    "REGISTERED+escalation proposed": REGISTERED + [ev.EscalationProposed(ID, "supervision_2", "complex", "u-cm")],
    "DISPOSAL_PROPOSED": REGISTERED + [ev.DisposalProposed(ID, "SHELVED", "why", "u-cm")],
    "TALK_OR_LETTER": disposed("TALK_OR_LETTER"),
    "TALK_OR_LETTER+reported": disposed("TALK_OR_LETTER") + [ev.TalkOrLetterReported(ID, "CLEARED", "s", "u-insp")],
    "SHELVED": disposed("SHELVED"),
    "SHELVED+clearing proposed": disposed("SHELVED") + [ev.ClearingProposed(ID, "CLOSED", "stale", "2026-H1", "u-cm")],
    "RECEIVED routed upward": [replace(REG[0], routing="UPPER_LEVEL")],
    "CLOSED": disposed("CLOSED"),
    "PRELIM_CHECK": disposed("PRELIM_CHECK"),
    "PRELIM_CHECK+plan": PLANNED,
    "PRELIM_CHECK+plan approved": PLAN_OK,
    "REPORTED": REPORTED,
    "AWAITING_FILING": AWAITING,
    "REPORTED after refused filing": AWAITING + [ev.ClueFilingRejected(ID, "insufficient")],
    "CASE_FILED": AWAITING + [ev.ClueCaseFiled(ID, "case-9", AT)],
}

COMMANDS = {
    "register": (c.RegisterClue(ID, "PETITION", (SUBJECT,), "x", AT, False, CASE_MANAGER), {"NONE"}),
    "forward": (
        c.ForwardClue(ID, "procuratorate", "jurisdiction", CASE_MANAGER),
        {"RECEIVED", "RECEIVED+proposed", "RECEIVED routed upward"},
    ),
    "propose registration": (c.ProposeRegistration(ID, "CM-2026-0002", "supervision_1", CASE_MANAGER), {"RECEIVED"}),
    "approve registration": (c.ApproveRegistration(ID, HEAD), {"RECEIVED+proposed"}),
    "reject registration": (c.RejectRegistration(ID, "no", HEAD), {"RECEIVED+proposed"}),
    "propose disposal": (
        c.ProposeDisposal(ID, "CLOSED", "why", CASE_MANAGER),
        {"REGISTERED", "REGISTERED+escalation proposed"},
    ),
    "approve disposal": (c.ApproveDisposal(ID, HEAD), {"DISPOSAL_PROPOSED", "SHELVED+clearing proposed"}),
    "reject disposal": (c.RejectDisposal(ID, "no", HEAD), {"DISPOSAL_PROPOSED", "SHELVED+clearing proposed"}),
    "conclude talk": (c.ConcludeTalkOrLetter(ID, "CLEARED", "cleared up", INSPECTOR), {"TALK_OR_LETTER"}),
    "approve talk": (c.ApproveTalkOrLetterConclusion(ID, HEAD), {"TALK_OR_LETTER+reported"}),
    "reject talk": (c.RejectTalkOrLetterConclusion(ID, "redo", HEAD), {"TALK_OR_LETTER+reported"}),
    "propose clearing": (c.ProposeClearing(ID, "CLOSED", "stale", "2026-H1", CASE_MANAGER), {"SHELVED"}),
    "declare recusal": (
        c.DeclareRecusal(ID, "u-kin", "NEAR_RELATIVE", "the subject's brother", HEAD),
        set(SITUATIONS) - {"NONE"},
    ),
    "submit plan": (
        c.SubmitPrelimCheckPlan(ID, "plan", ("a", "b"), False, INSPECTOR),
        {"PRELIM_CHECK", "PRELIM_CHECK+plan"},
    ),
    "approve plan": (c.ApprovePrelimCheckPlan(ID, HEAD), {"PRELIM_CHECK+plan"}),
    "report": (c.ReportPrelimCheck(ID, "findings", "CLOSE", INSPECTOR), {"PRELIM_CHECK+plan approved"}),
    "approve report": (c.ApproveReport(ID, HEAD), {"REPORTED"}),
    "reject report": (c.RejectReport(ID, "redo", HEAD), {"REPORTED"}),
    "revise proposal": (c.ReviseReportProposal(ID, "CLOSE", "refused", INSPECTOR), {"REPORTED after refused filing"}),
    "case filed": (c.RecordCaseFiled(ID, "case-9", AT), {"AWAITING_FILING"}),
    "filing refused": (c.RecordFilingRejected(ID, "insufficient"), {"AWAITING_FILING"}),
    "reopen": (c.ReopenClue(ID, "new report", CASE_MANAGER), {"SHELVED"}),
    "read informant": (c.ReadInformant(ID, "verify the account", COMPLAINTS), set(SITUATIONS) - {"NONE"}),
    "issue notice": (
        c.IssueSupervisionNotice(ID, "N-1", "", LATER, "DISPOSED", AT, CASE_MANAGER),
        {
            "RECEIVED",
            "RECEIVED+proposed",
            "RECEIVED routed upward",
            "REGISTERED",
            "REGISTERED+escalation proposed",
            "DISPOSAL_PROPOSED",
        },
    ),
    "approve escalation": (c.ApproveEscalation(ID, HEAD), {"REGISTERED+escalation proposed"}),
    "reject escalation": (c.RejectEscalation(ID, "stays", HEAD), {"REGISTERED+escalation proposed"}),
    "escalate": (
        c.EscalateClue(ID, "supervision_2", "complex", CASE_MANAGER),
        {
            "REGISTERED",
            "DISPOSAL_PROPOSED",
            "TALK_OR_LETTER",
            "TALK_OR_LETTER+reported",
            "SHELVED",
            "SHELVED+clearing proposed",
            "PRELIM_CHECK",
            "PRELIM_CHECK+plan",
            "PRELIM_CHECK+plan approved",
            "REPORTED",
            "REPORTED after refused filing",
        },
    ),
}


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_in_every_situation(name, situation):
    command, legal = COMMANDS[name]
    when = spec.given(SITUATIONS[situation]).when(command)
    if situation in legal:
        assert when.run(), f"{name} in {situation} produced no event"
        fold(SITUATIONS[situation] + when.run())  # and the events apply
    else:
        err = when.raises(IllegalState)
        assert err.current_state.split(" ")[0] == fold(SITUATIONS[situation]).status


@pytest.mark.parametrize(
    "given,command,status",
    [
        (REG, c.ForwardClue(ID, "court", "court's jurisdiction", CASE_MANAGER), "FORWARDED"),
        (PROPOSED, c.ApproveRegistration(ID, HEAD), "REGISTERED"),
        (PROPOSED, c.RejectRegistration(ID, "not ours", HEAD), "RECEIVED"),
        *[
            (REGISTERED + [ev.DisposalProposed(ID, m, "why", "u-cm")], c.ApproveDisposal(ID, HEAD), m)
            for m in ("TALK_OR_LETTER", "PRELIM_CHECK", "SHELVED", "CLOSED")
        ],
        (
            REGISTERED + [ev.DisposalProposed(ID, "CLOSED", "why", "u-cm")],
            c.RejectDisposal(ID, "no", HEAD),
            "REGISTERED",
        ),
        # Rules ch. 5: a talk or letter report changes nothing until approved (tests/unit/test_law_table.py)
        (disposed("TALK_OR_LETTER"), c.ConcludeTalkOrLetter(ID, "CLEARED", "s", INSPECTOR), "TALK_OR_LETTER"),
        (PLAN_OK, c.ReportPrelimCheck(ID, "f", "CLOSE", INSPECTOR), "REPORTED"),
        (REPORTED, c.ApproveReport(ID, HEAD), "AWAITING_FILING"),
        (REPORTED, c.RejectReport(ID, "redo", HEAD), "PRELIM_CHECK"),
        (PLAN_OK + [ev.PrelimCheckReported(ID, "f", "CLOSE", "u-insp")], c.ApproveReport(ID, HEAD), "CLOSED"),
        (
            PLAN_OK + [ev.PrelimCheckReported(ID, "f", "TALK_OR_LETTER", "u-insp")],
            c.ApproveReport(ID, HEAD),
            "TALK_OR_LETTER",
        ),
        (AWAITING, c.RecordCaseFiled(ID, "case-9", AT), "CASE_FILED"),
        (AWAITING, c.RecordFilingRejected(ID, "weak"), "REPORTED"),
        (disposed("SHELVED"), c.ReopenClue(ID, "new", CASE_MANAGER), "SHELVED"),  # until approved (IR2021 168)
    ],
)
def test_each_transition_lands_in_its_state(given, command, status):
    assert fold(given + spec.given(given).when(command).run()).status == status


def test_filing_proposal_carries_what_the_cases_service_needs():
    out = (
        spec.given(REPORTED)
        .when(c.ApproveReport(ID, HEAD))
        .then(
            [
                ev.ReportApproved(ID, "FILE_CASE", "u-head"),
                ev.FilingProposed(ID, (SUBJECT,), "findings", "supervision_1", "CM-2026-0001", "u-insp"),
            ]
        )
    )
    assert out[1].subjects[0].person_id == "P-1"


@pytest.mark.parametrize(
    "given,command",
    [
        (PROPOSED, c.ApproveRegistration(ID, CASE_MANAGER)),
        (REGISTERED + [ev.DisposalProposed(ID, "CLOSED", "why", "u-head")], c.ApproveDisposal(ID, HEAD)),
        (REPORTED, c.ApproveReport(ID, INSPECTOR)),
        (PLANNED, c.ApprovePrelimCheckPlan(ID, Principal("commission", "supervision_1", "commission_head", "u-insp"))),
    ],
)
def test_the_proposer_never_approves_their_own_proposal(given, command):
    spec.given(given).when(command).raises(Forbidden)


def test_a_plan_about_a_lower_committee_head_needs_the_party_committee_too():
    """Rules art. 33: when the subject heads the next-lower Party committee."""
    planned = disposed("PRELIM_CHECK") + [ev.PrelimCheckPlanSubmitted(ID, "plan", ("a", "b"), True, "u-insp")]
    head_ok = planned + spec.given(planned).when(c.ApprovePrelimCheckPlan(ID, HEAD)).run()
    err = spec.given(head_ok).when(c.ReportPrelimCheck(ID, "f", "CLOSE", INSPECTOR)).raises(IllegalState)
    assert "party_committee_head" in str(err)
    both = head_ok + spec.given(head_ok).when(c.ApprovePrelimCheckPlan(ID, COMMITTEE)).run()
    assert (
        fold(both + spec.given(both).when(c.ReportPrelimCheck(ID, "f", "CLOSE", INSPECTOR)).run()).status == "REPORTED"
    )
    spec.given(PLANNED).when(c.ApprovePrelimCheckPlan(ID, COMMITTEE)).raises(Forbidden)  # not needed there
    spec.given(head_ok).when(c.ApprovePrelimCheckPlan(ID, HEAD)).raises(IllegalState)  # twice


@pytest.mark.parametrize(
    "given,command,field",
    [
        ([], c.RegisterClue(ID, "RUMOUR", (SUBJECT,), "x", AT, False, CASE_MANAGER), "source"),
        ([], c.RegisterClue(ID, "PETITION", (), "x", AT, False, CASE_MANAGER), "subjects"),
        (
            [],
            c.RegisterClue(ID, "PETITION", (ev.Subject(" ", "n"),), "x", AT, False, CASE_MANAGER),
            "subjects[0].person_id",
        ),
        ([], c.RegisterClue(ID, "PETITION", (ev.Subject("p", ""),), "x", AT, False, CASE_MANAGER), "subjects[0].name"),
        (
            [],
            c.RegisterClue(ID, "PETITION", (ev.Subject("p", "n"), ev.Subject(" p", "m")), "x", AT, False, CASE_MANAGER),
            "subjects[1].person_id",
        ),
        ([], c.RegisterClue(ID, "PETITION", (SUBJECT,), "  ", AT, False, CASE_MANAGER), "summary"),
        ([], c.RegisterClue(ID, "PETITION", (SUBJECT,), "x" * 4001, AT, False, CASE_MANAGER), "summary"),
        (REG, c.ForwardClue(ID, "", "why", CASE_MANAGER), "to_agency"),
        (REG, c.ProposeRegistration(ID, "N-1", " ", CASE_MANAGER), "handling_office"),
        (REGISTERED, c.ProposeDisposal(ID, "IGNORE", "why", CASE_MANAGER), "method"),
        (disposed("TALK_OR_LETTER"), c.ConcludeTalkOrLetter(ID, "MAYBE", "s", INSPECTOR), "outcome"),
        (disposed("PRELIM_CHECK"), c.SubmitPrelimCheckPlan(ID, "plan", ("alone",), False, INSPECTOR), "team"),
        (PLAN_OK, c.ReportPrelimCheck(ID, "f", "ARREST", INSPECTOR), "proposal"),
    ],
)
def test_bad_input_names_the_field(given, command, field):
    spec.given(given).when(command).raises(Validation, field=field)


def test_reading_an_informant_is_recorded_and_needs_a_sealed_one_and_a_purpose():
    spec.given(REG).when(c.ReadInformant(ID, "verify", COMPLAINTS)).then(
        [ev.InformantIdentityRead(ID, "u-complaints", "verify")]
    )
    unsealed = [ev.ClueRegistered(ID, "AUDIT", (SUBJECT,), "x", "commission", "case_management", AT, False)]
    spec.given(unsealed).when(c.ReadInformant(ID, "verify", COMPLAINTS)).raises(IllegalState)
    spec.given(REG).when(c.ReadInformant(ID, " ", COMPLAINTS)).raises(Validation, field="purpose")


def test_a_supervision_notice_is_met_by_the_step_that_reaches_its_result():
    noticed = REGISTERED + [ev.SupervisionNoticeIssued(ID, "N-1", "supervision_1", LATER, "DISPOSED", "u-cm")]
    proposed = noticed + spec.given(noticed).when(c.ProposeDisposal(ID, "CLOSED", "why", CASE_MANAGER)).run()
    assert fold(proposed).notices  # proposing is not disposing
    spec.given(proposed).when(c.ApproveDisposal(ID, HEAD)).then(
        [ev.DisposalApproved(ID, "CLOSED", "u-head"), ev.SupervisionNoticeSatisfied(ID, "N-1", "CLOSED")]
    )
    concluded = noticed[:-1] + [ev.SupervisionNoticeIssued(ID, "N-2", "supervision_1", LATER, "CONCLUDED", "u-cm")]
    talk = concluded + [ev.DisposalProposed(ID, "TALK_OR_LETTER", "w", "u-cm")]
    out = spec.given(talk).when(c.ApproveDisposal(ID, HEAD)).run()
    assert [type(e) for e in out] == [ev.DisposalApproved]  # disposed, not yet concluded


def test_a_notice_needs_a_due_date_ahead_and_escalation_a_new_office():
    spec.given(REGISTERED).when(c.IssueSupervisionNotice(ID, "N-1", "", AT, "DISPOSED", AT, CASE_MANAGER)).raises(
        Validation, field="due_at"
    )
    spec.given(REGISTERED).when(c.IssueSupervisionNotice(ID, "N-1", "", LATER, "SOON", AT, CASE_MANAGER)).raises(
        Validation, field="required"
    )
    spec.given(REGISTERED).when(c.EscalateClue(ID, "supervision_1", "x", HEAD)).raises(Validation, field="to_office")
    at_once = c.EscalateClue(ID, "supervision_2", "hard", HEAD, approves=True)
    escalated = REGISTERED + spec.given(REGISTERED).when(at_once).run()
    assert fold(escalated).handling_office == "supervision_2"


def test_an_escalation_changes_the_holder_only_once_the_head_approves_it():
    """Issue 17: the holder changes only by an escalation with its approval; the head's own
    escalation records the approval at once."""
    spec.given(REGISTERED).when(c.EscalateClue(ID, "supervision_2", "hard", HEAD, approves=True)).then(
        [ev.ClueEscalated(ID, "supervision_1", "supervision_2", "hard", "u-head", "u-head")]
    )
    proposed = REGISTERED + [ev.EscalationProposed(ID, "supervision_2", "hard", "u-cm")]
    spec.given(REGISTERED).when(c.EscalateClue(ID, "supervision_2", "hard", CASE_MANAGER)).then(proposed[-1:])
    assert fold(proposed).handling_office == "supervision_1"  # still held where it was
    spec.given(proposed).when(c.EscalateClue(ID, "investigation_1", "x", CASE_MANAGER)).raises(IllegalState)
    proposer = Principal("commission", "leadership", "commission_head", "u-cm")
    spec.given(proposed).when(c.ApproveEscalation(ID, proposer)).raises(Forbidden)
    spec.given(proposed).when(c.ApproveEscalation(ID, HEAD)).then(
        [ev.ClueEscalated(ID, "supervision_1", "supervision_2", "hard", "u-cm", "u-head")]
    )
    refused = proposed + spec.given(proposed).when(c.RejectEscalation(ID, "stays", HEAD)).run()
    assert refused[-1] == ev.EscalationRejected(ID, "stays", "u-head")
    assert fold(refused).escalation is None and fold(refused).handling_office == "supervision_1"
    closed = proposed + [ev.DisposalProposed(ID, "CLOSED", "w", "u-cm"), ev.DisposalApproved(ID, "CLOSED", "u-head")]
    spec.given(closed).when(c.ApproveEscalation(ID, HEAD)).raises(IllegalState)


def test_a_timer_is_a_command_the_rules_judge():
    """A warning stands while the clue is open in the stage it was set for; a notice falls overdue
    only while open. A timer left from an earlier stage, or for a met notice, records nothing."""
    warn = c.RecordWarning(ID, "RED", "REGISTERED", "registered-1m", LATER)
    spec.given(REGISTERED).when(warn).then([ev.ClueWarningRaised(ID, "RED", "REGISTERED", "registered-1m", LATER)])
    spec.given(disposed("PRELIM_CHECK")).when(warn).then([])
    spec.given(REG + [ev.ClueForwarded(ID, "procuratorate", "jurisdiction", "u-cm")]).when(
        c.RecordWarning(ID, "RED", "FORWARDED", "r", LATER)
    ).then([])
    noticed = REGISTERED + [ev.SupervisionNoticeIssued(ID, "N-1", "supervision_1", LATER, "DISPOSED", "u-cm")]
    overdue = c.RecordNoticeOverdue(ID, "N-1", LATER)
    spec.given(noticed).when(overdue).then([ev.SupervisionNoticeOverdue(ID, "N-1", LATER)])
    spec.given(noticed + [ev.SupervisionNoticeSatisfied(ID, "N-1", "CLOSED")]).when(overdue).then([])
