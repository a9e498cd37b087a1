"""decide(command, clue) -> events: the rules of domain.md §2 and nothing else (no I/O, no clock)."""

from __future__ import annotations

from functools import partial

from kernel.domain.checks import MAX_TEXT, one_of as _one_of, require as _require, text
from kernel.domain.errors import Forbidden, IllegalState, Validation
from services.clues.domain import commands as c, events as ev
from services.clues.domain.state import (
    AWAITING_FILING,
    DISPOSAL_PROPOSED,
    NONE,
    PRELIM_CHECK,
    RECEIVED,
    REGISTERED,
    REPORTED,
    SHELVED,
    TALK_OR_LETTER,
    TERMINAL,
    Clue,
    fold_from,
    satisfies,
)

SOURCES = (
    "PETITION",
    "INSPECTION_TOUR",
    "SUPERIOR_ASSIGNMENT",
    "REPORTING_PLATFORM",
    "AUDIT",
    "OTHER_AGENCY",
    "SELF_DISCOVERED",
)
DISPOSAL_METHODS = ("TALK_OR_LETTER", "PRELIM_CHECK", "SHELVED", "CLOSED")
TALK_OUTCOMES = ("CLEARED", "LIGHT_HANDLING", "REPEAT", "PRELIM_CHECK")
# Light handling (first of the four forms): 谈话提醒, 批评教育, 责令检查, 诫勉 (Rules ch. 5).
LIGHT_FORMS = ("TALK_REMINDER", "CRITICISM_AND_EDUCATION", "ORDERED_SELF_EXAMINATION", "ADMONISHMENT")
# What a preliminary-check report may propose (分类处理意见, SL 41; Rules ch. 6, the last three's
# wording unverified): file a case, close, talk or letter, shelve, light handling, hand over to
# the relevant Party organisation (移送有关党组织处理).
REPORT_PROPOSALS = (
    "FILE_CASE",
    "CLOSE",
    "TALK_OR_LETTER",
    "SHELVE",
    "LIGHT_HANDLING",
    "HAND_OVER_TO_PARTY_ORGANISATION",
)
# Intake routing (domain.md §2): "" handled here; about the commission's own head, straight up
# (CR 15); the upper level's, forwarded up within 5 working days, no entry here (CR 15); another
# body's, forwarded within 5 working days, whole or in part (IR2021 169, 171(3)); no supervision
# organ has jurisdiction, returned to the sender (IR2021 171(4)).
ABOUT_OWN_HEAD, UPPER_LEVEL, OTHER_BODY, NO_JURISDICTION = (
    "ABOUT_OWN_HEAD",
    "UPPER_LEVEL",
    "OTHER_BODY",
    "NO_JURISDICTION",
)
ROUTINGS = (ABOUT_OWN_HEAD, UPPER_LEVEL, OTHER_BODY, NO_JURISDICTION)
# SL 67's grounds for recusal beside being a subject: a near relative of a subject, a witness
# (or other participant), an interest in the clue, another relationship that may affect fairness.
RECUSAL_GROUNDS = ("NEAR_RELATIVE", "WITNESS", "INTEREST", "OTHER")
NOTICE_RESULTS = ("DISPOSED", "CONCLUDED")
PRIORITIES = ("SAME_LEVEL_COMMITTEE_CADRE", "IMPORTANT_POST", "YOUNG_RESERVE_CADRE")


_text = partial(text, limit=4000)  # a clue's texts; plans and findings may be longer (MAX_TEXT)


def _pending(state: Clue, kind: str, operation: str):
    if state.pending is None or state.pending.kind != kind:
        raise IllegalState(f"{state.status} (no {kind} proposal pending)", operation)
    return state.pending


def _approver(state: Clue, kind: str, by, operation: str):
    """The pending proposal, if `by` is not its proposer: proposing and approving are two people."""
    pending = _pending(state, kind, operation)
    if by.user == pending.proposed_by:
        raise Forbidden(f"{by.user} proposed this {kind}; another principal must approve it")
    return pending


def register(cmd: c.RegisterClue, state: Clue):
    _require(state, (NONE,), "register a clue that exists")
    _one_of(cmd.source, SOURCES, "source")
    if not cmd.subjects:
        raise Validation("subjects", "at least one subject is required")
    seen = set()
    for i, s in enumerate(cmd.subjects):
        person = _text(s.person_id, f"subjects[{i}].person_id")
        _text(s.name, f"subjects[{i}].name")
        if person in seen:  # one person once: a case filed from the clue names each subject once
            raise Validation(f"subjects[{i}].person_id", f"{person} is listed twice")
        seen.add(person)
    routing = _one_of(cmd.routing, ("", *ROUTINGS), "routing")
    registered = ev.ClueRegistered(
        cmd.clue_id,
        cmd.source,
        cmd.subjects,
        _text(cmd.summary, "summary"),
        cmd.by.agency,
        cmd.by.office,
        cmd.received_at,
        cmd.has_informant,
        cmd.batch_reference.strip(),
        _one_of(cmd.priority, ("", *PRIORITIES), "priority"),
        routing,
        cmd.tour_round_id,
    )
    if routing != ABOUT_OWN_HEAD:
        if cmd.forward_to.strip():
            raise Validation("forward_to", "only a clue about the commission's own head is forwarded at intake")
        return [registered]
    # CR 15: never registered here; straight to the upper level's complaints office. The head is a
    # subject, so recusal (kernel.domain.recusal) keeps them from seeing or approving it.
    reason = "about the commission's own head: the upper level handles it (CR 15)"
    return [
        registered,
        ev.ClueForwarded(cmd.clue_id, _text(cmd.forward_to, "forward_to"), reason, cmd.by.user, routing),
    ]


def read_informant(cmd: c.ReadInformant, state: Clue):
    if state.status == NONE:
        raise IllegalState(NONE, "read an informant of a clue that does not exist")
    if not state.registered.has_sealed_informant:
        raise IllegalState(f"{state.status} (no informant identity sealed)", "read the informant")
    return [ev.InformantIdentityRead(cmd.clue_id, cmd.by.user, _text(cmd.purpose, "purpose"))]


def forward(cmd: c.ForwardClue, state: Clue):
    """The whole clue leaves (to the upper level, another body, or back to its sender), or a part
    of it goes to another body (IR2021 171(3)) and the rest stays; within 5 working days of receipt
    (the warning scheme's RECEIVED rule watches the time)."""
    _require(state, (RECEIVED,), "forward the clue")
    routing = _one_of(cmd.routing or OTHER_BODY, ROUTINGS, "routing")
    to, reason = _text(cmd.to_agency, "to_agency"), _text(cmd.reason, "reason")
    if cmd.part.strip():
        if routing != OTHER_BODY:
            raise Validation("part", "only another body's part of a clue is forwarded in part (IR2021 171(3))")
        return [ev.CluePartForwarded(cmd.clue_id, to, _text(cmd.part, "part"), reason, cmd.by.user)]
    return [ev.ClueForwarded(cmd.clue_id, to, reason, cmd.by.user, routing)]


def declare_recusal(cmd: c.DeclareRecusal, state: Clue):
    """SL 67: the recused may no longer see or act on the clue (enforced by the kernel's runner)."""
    if state.status == NONE:
        raise IllegalState(NONE, "declare a recusal on a clue that does not exist")
    person = _text(cmd.person_id, "person_id")
    if person in state.recused or person in {s.person_id for s in state.subjects}:
        raise Validation("person_id", f"{person} is already kept from the clue")
    ground = _one_of(cmd.ground, RECUSAL_GROUNDS, "ground")
    return [ev.RecusalDeclared(cmd.clue_id, person, ground, _text(cmd.reason, "reason"), cmd.by.user)]


def propose_registration(cmd: c.ProposeRegistration, state: Clue):
    operation = "propose registration"
    _require(state, (RECEIVED,), operation)
    if state.pending:
        raise IllegalState(f"{state.status} (registration already proposed)", operation)
    routing = state.registered.routing
    if routing == UPPER_LEVEL or (routing in (OTHER_BODY, NO_JURISDICTION) and not state.parts_forwarded):
        # CR 15: the upper level's clue has no entry here; another body's is forwarded (IR2021 171)
        raise IllegalState(f"{state.status} (routed {routing}: forward it)", operation)
    return [
        ev.RegistrationProposed(
            cmd.clue_id,
            _text(cmd.clue_number, "clue_number"),
            _text(cmd.handling_office, "handling_office"),
            cmd.by.user,
        )
    ]


def approve_registration(cmd: c.ApproveRegistration, state: Clue):
    _require(state, (RECEIVED,), "approve registration")
    _approver(state, "registration", cmd.by, "approve registration")
    return [ev.RegistrationApproved(cmd.clue_id, cmd.by.user)]


def reject_registration(cmd: c.RejectRegistration, state: Clue):
    _require(state, (RECEIVED,), "reject registration")
    _approver(state, "registration", cmd.by, "reject registration")
    return [ev.RegistrationRejected(cmd.clue_id, _text(cmd.reason, "reason"), cmd.by.user)]


def propose_disposal(cmd: c.ProposeDisposal, state: Clue):
    _require(state, (REGISTERED,), "propose a disposal")
    return [
        ev.DisposalProposed(
            cmd.clue_id, _one_of(cmd.method, DISPOSAL_METHODS, "method"), _text(cmd.reason, "reason"), cmd.by.user
        )
    ]


def approve_disposal(cmd: c.ApproveDisposal, state: Clue):
    """SL 40: the head approves; a shelved clue's re-disposal at a clearing likewise (IR2021 168)."""
    _require(state, (DISPOSAL_PROPOSED, SHELVED), "approve a disposal")
    pending = _approver(state, "disposal", cmd.by, "approve a disposal")
    return [ev.DisposalApproved(cmd.clue_id, pending.value, cmd.by.user)]


def reject_disposal(cmd: c.RejectDisposal, state: Clue):
    _require(state, (DISPOSAL_PROPOSED, SHELVED), "reject a disposal")
    _approver(state, "disposal", cmd.by, "reject a disposal")
    return [ev.DisposalRejected(cmd.clue_id, _text(cmd.reason, "reason"), cmd.by.user)]


def propose_clearing(cmd: c.ProposeClearing, state: Clue):
    """定期清理 (IR2021 168): a shelved clue closed or given any of the four disposals, each with the
    disposal approval."""
    return _shelved_proposal(
        state,
        "propose a disposal at a clearing",
        cmd.clue_id,
        _one_of(cmd.method, DISPOSAL_METHODS, "method"),
        _text(cmd.reason, "reason"),
        _text(cmd.clearing, "clearing"),
        cmd.by,
    )


def _shelved_proposal(state: Clue, operation: str, clue_id, method, reason, clearing, by):
    _require(state, (SHELVED,), operation)
    if state.pending:
        raise IllegalState(f"{state.status} (a {state.pending.value} disposal is pending approval)", operation)
    return [ev.ClearingProposed(clue_id, method, reason, clearing, by.user)]


def _light(outcome: str, form: str, field: str) -> str:
    """The light-handling form: required with LIGHT_HANDLING, none otherwise."""
    if outcome == "LIGHT_HANDLING":
        return _one_of(form, LIGHT_FORMS, field)
    if form.strip():
        raise Validation(field, f"only with LIGHT_HANDLING, not {outcome}")
    return ""


def conclude_talk(cmd: c.ConcludeTalkOrLetter, state: Clue):
    """The 情况报告 and 处置意见 of a talk or letter inquiry: in effect only when approved (Rules ch. 5)."""
    operation = "report a talk or letter inquiry"
    _require(state, (TALK_OR_LETTER,), operation)
    if state.pending:
        raise IllegalState(f"{state.status} (a conclusion is pending approval)", operation)
    outcome = _one_of(cmd.outcome, TALK_OUTCOMES, "outcome")
    light = _light(outcome, cmd.light_handling, "light_handling")
    return [ev.TalkOrLetterReported(cmd.clue_id, outcome, _text(cmd.summary, "summary"), cmd.by.user, light)]


def approve_talk(cmd: c.ApproveTalkOrLetterConclusion, state: Clue):
    operation = "approve a talk or letter conclusion"
    _require(state, (TALK_OR_LETTER,), operation)
    p = _approver(state, "talk", cmd.by, operation)
    return [ev.TalkOrLetterConcluded(cmd.clue_id, p.value, p.reason, p.proposed_by, cmd.by.user, p.detail)]


def reject_talk(cmd: c.RejectTalkOrLetterConclusion, state: Clue):
    operation = "reject a talk or letter conclusion"
    _require(state, (TALK_OR_LETTER,), operation)
    _approver(state, "talk", cmd.by, operation)
    return [ev.TalkOrLetterConclusionRejected(cmd.clue_id, _text(cmd.reason, "reason"), cmd.by.user)]


def submit_plan(cmd: c.SubmitPrelimCheckPlan, state: Clue):
    _require(state, (PRELIM_CHECK,), "submit a preliminary-check plan")
    if state.plan and state.plan.complete:
        raise IllegalState(f"{state.status} (plan already approved)", "submit a preliminary-check plan")
    team = tuple(t.strip() for t in cmd.team if t.strip())
    if len(team) < 2:
        raise Validation("team", "a preliminary check needs a team of at least two people")
    return [
        ev.PrelimCheckPlanSubmitted(
            cmd.clue_id,
            _text(cmd.work_plan, "work_plan", limit=MAX_TEXT),
            team,
            cmd.subject_heads_lower_committee,
            cmd.by.user,
        )
    ]


def approve_plan(cmd: c.ApprovePrelimCheckPlan, state: Clue):
    operation = "approve a preliminary-check plan"
    _require(state, (PRELIM_CHECK,), operation)
    plan = state.plan
    if plan is None:
        raise IllegalState(f"{state.status} (no plan submitted)", operation)
    if cmd.by.user == plan.submitted_by:
        raise Forbidden(f"{cmd.by.user} submitted this plan; another principal must approve it")
    if cmd.by.role not in plan.needs:
        raise Forbidden(
            f"this plan needs approval by {', '.join(sorted(plan.needs))}, not {cmd.by.role} "
            "(Rules art. 33: the same-level Party committee head only when the subject heads "
            "the next-lower committee)"
        )
    if cmd.by.role in plan.approved:
        raise IllegalState(f"{state.status} (plan already approved by {cmd.by.role})", operation)
    return [ev.PrelimCheckPlanApproved(cmd.clue_id, cmd.by.role, cmd.by.user)]


def report(cmd: c.ReportPrelimCheck, state: Clue):
    operation = "report a preliminary check"
    _require(state, (PRELIM_CHECK,), operation)
    if state.plan is None or not state.plan.complete:
        missing = sorted(state.plan.needs - state.plan.approved) if state.plan else ["a submitted plan"]
        raise IllegalState(f"{state.status} (plan lacks approval: {', '.join(missing)})", operation)
    findings = _text(cmd.findings, "findings", limit=MAX_TEXT)
    proposal, light, organisation = _proposal(cmd)
    return [ev.PrelimCheckReported(cmd.clue_id, findings, proposal, cmd.by.user, light, organisation)]


def _proposal(cmd) -> tuple[str, str, str]:
    """A report's proposal with its details: the light-handling form, the Party organisation."""
    proposal = _one_of(cmd.proposal, REPORT_PROPOSALS, "proposal")
    light = _light(proposal, cmd.light_handling, "light_handling")
    organisation = ""
    if proposal == "HAND_OVER_TO_PARTY_ORGANISATION":
        organisation = _text(cmd.party_organisation, "party_organisation")
    elif cmd.party_organisation.strip():
        raise Validation("party_organisation", f"only with HAND_OVER_TO_PARTY_ORGANISATION, not {proposal}")
    return proposal, light, organisation


def _details(pending) -> tuple[str, str]:
    """(light_handling, party_organisation) of a pending report proposal."""
    if pending.value == "LIGHT_HANDLING":
        return pending.detail, ""
    return "", pending.detail if pending.value == "HAND_OVER_TO_PARTY_ORGANISATION" else ""


def approve_report(cmd: c.ApproveReport, state: Clue):
    _require(state, (REPORTED,), "approve the report")
    pending = _approver(state, "report", cmd.by, "approve the report")
    out = [ev.ReportApproved(cmd.clue_id, pending.value, cmd.by.user, *_details(pending))]
    if pending.value == "FILE_CASE":
        r = state.registered
        out.append(
            ev.FilingProposed(
                cmd.clue_id, r.subjects, state.findings, state.handling_office, state.clue_number, pending.proposed_by
            )
        )
    return out


def reject_report(cmd: c.RejectReport, state: Clue):
    _require(state, (REPORTED,), "reject the report")
    _approver(state, "report", cmd.by, "reject the report")
    return [ev.ReportRejected(cmd.clue_id, _text(cmd.reason, "reason"), cmd.by.user)]


def revise_proposal(cmd: c.ReviseReportProposal, state: Clue):
    _require(state, (REPORTED,), "revise the report's proposal")
    if state.pending:
        raise IllegalState(f"{state.status} (a proposal is pending approval)", "revise the report's proposal")
    proposal, light, organisation = _proposal(cmd)
    return [
        ev.ReportProposalRevised(cmd.clue_id, proposal, _text(cmd.reason, "reason"), cmd.by.user, light, organisation)
    ]


def case_filed(cmd: c.RecordCaseFiled, state: Clue):
    _require(state, (AWAITING_FILING,), "record a filed case")
    return [ev.ClueCaseFiled(cmd.clue_id, _text(cmd.case_id, "case_id"), cmd.filed_at)]


def filing_rejected(cmd: c.RecordFilingRejected, state: Clue):
    _require(state, (AWAITING_FILING,), "record a refused filing")
    return [ev.ClueFilingRejected(cmd.clue_id, _text(cmd.reason, "reason"))]


def reopen(cmd: c.ReopenClue, state: Clue):
    """New information: a preliminary check proposed for the disposal approval (no longer at once)."""
    info = _text(cmd.new_information, "new_information")
    return _shelved_proposal(state, "reopen the clue", cmd.clue_id, PRELIM_CHECK, info, "", cmd.by)


def issue_notice(cmd: c.IssueSupervisionNotice, state: Clue):
    operation = "issue a supervision notice"
    if state.status == NONE or state.status in TERMINAL:
        raise IllegalState(state.status, operation)
    required = _one_of(cmd.required, NOTICE_RESULTS, "required")
    if satisfies(required, state.status):
        raise IllegalState(f"{state.status} (already {required.lower()})", operation)
    if cmd.notice_id.strip() in state.notice_ids:
        raise Validation("notice_id", f"{cmd.notice_id.strip()} was already issued on this clue")
    if cmd.due_at <= cmd.issued_at:
        raise Validation("due_at", "is not after the time of issue: a notice needs a date still ahead")
    office = (cmd.to_office or "").strip() or state.handling_office or state.registered.receiving_office
    return [
        ev.SupervisionNoticeIssued(
            cmd.clue_id, _text(cmd.notice_id, "notice_id"), office, cmd.due_at, required, cmd.by.user
        )
    ]


ESCALATABLE = (REGISTERED, DISPOSAL_PROPOSED, TALK_OR_LETTER, PRELIM_CHECK, SHELVED, REPORTED)


def escalate(cmd: c.EscalateClue, state: Clue):
    """Escalation (提级办理 / 领办) changes the holder, so the head approves it (issue 17): proposed
    by others, at once when the head escalates (the approval recorded with it)."""
    operation = "escalate the clue"
    _require(state, ESCALATABLE, operation)
    if state.escalation:
        raise IllegalState(f"{state.status} (an escalation to {state.escalation.value} is pending)", operation)
    to = _text(cmd.to_office, "to_office")
    if to == state.handling_office:
        raise Validation("to_office", f"the clue is already handled by {to}")
    reason = _text(cmd.reason, "reason")
    if cmd.approves:
        return [ev.ClueEscalated(cmd.clue_id, state.handling_office, to, reason, cmd.by.user, cmd.by.user)]
    return [ev.EscalationProposed(cmd.clue_id, to, reason, cmd.by.user)]


def _escalation(state: Clue, by, operation: str):
    """The pending escalation, if `by` did not propose it."""
    pending = state.escalation
    if pending is None:
        raise IllegalState(f"{state.status} (no escalation proposal pending)", operation)
    if by.user == pending.proposed_by:
        raise Forbidden(f"{by.user} proposed this escalation; another principal must approve it")
    return pending


def approve_escalation(cmd: c.ApproveEscalation, state: Clue):
    operation = "approve the escalation"
    pending = _escalation(state, cmd.by, operation)
    _require(state, ESCALATABLE, operation)
    return [
        ev.ClueEscalated(
            cmd.clue_id, state.handling_office, pending.value, pending.reason, pending.proposed_by, cmd.by.user
        )
    ]


def reject_escalation(cmd: c.RejectEscalation, state: Clue):
    _escalation(state, cmd.by, "reject the escalation")
    return [ev.EscalationRejected(cmd.clue_id, _text(cmd.reason, "reason"), cmd.by.user)]


def warning(cmd: c.RecordWarning, state: Clue) -> list:
    """A warning stands only while the clue is still open in the stage it was set for: a timer
    left from an earlier stage changes nothing (the rules say so, whatever the timer table holds)."""
    if state.status in TERMINAL or state.status != cmd.stage:
        return []
    return [ev.ClueWarningRaised(cmd.clue_id, cmd.colour, cmd.stage, cmd.rule, cmd.deadline)]


def notice_overdue(cmd: c.RecordNoticeOverdue, state: Clue) -> list:
    """Overdue only if the notice is still open (not satisfied meanwhile)."""
    if cmd.notice_id not in {n[0] for n in state.notices}:
        return []
    return [ev.SupervisionNoticeOverdue(cmd.clue_id, cmd.notice_id, cmd.due_at)]


def fast_track_notice(request_id: str) -> str:
    """The supervision notice of an integrity-opinion request: `integrity:<request uuid>`."""
    return "integrity:" + request_id.removeprefix("integrity-")


def fast_track(cmd: c.FastTrackClue, state: Clue) -> list:
    """Seed 004; domain.md §5: a candidate's open clue answers PENDING (正在核实), so it is handled
    first (快查快处快结): top priority and a supervision notice (督办) to bring it to a conclusion
    before the intended date. Audit's request arrives by its topic, perhaps more than once: once
    per request and clue; nothing for an unknown or concluded clue (FORWARDED, CLOSED, CASE_FILED)."""
    notice_id = fast_track_notice(cmd.request_id)
    if state.status == NONE or state.status in TERMINAL:
        return []
    if cmd.request_id in state.fast_tracked or notice_id in state.notice_ids:
        return []
    office = state.handling_office or state.registered.receiving_office
    return [
        ev.ClueFastTracked(cmd.clue_id, cmd.request_id, cmd.person_id, cmd.intended_date, state.priority, notice_id),
        ev.SupervisionNoticeIssued(cmd.clue_id, notice_id, office, cmd.notice_due_at, "CONCLUDED", cmd.issued_by),
    ]


# commands that change no status (a timer's, a fast track), so they fulfil no notice
_STATUS_UNCHANGED = {c.RecordWarning: warning, c.RecordNoticeOverdue: notice_overdue, c.FastTrackClue: fast_track}
_DECIDE = {
    c.RegisterClue: register,
    c.ReadInformant: read_informant,
    c.ForwardClue: forward,
    c.DeclareRecusal: declare_recusal,
    c.ProposeRegistration: propose_registration,
    c.ApproveRegistration: approve_registration,
    c.RejectRegistration: reject_registration,
    c.ProposeDisposal: propose_disposal,
    c.ApproveDisposal: approve_disposal,
    c.RejectDisposal: reject_disposal,
    c.ConcludeTalkOrLetter: conclude_talk,
    c.ApproveTalkOrLetterConclusion: approve_talk,
    c.RejectTalkOrLetterConclusion: reject_talk,
    c.SubmitPrelimCheckPlan: submit_plan,
    c.ApprovePrelimCheckPlan: approve_plan,
    c.ReportPrelimCheck: report,
    c.ApproveReport: approve_report,
    c.RejectReport: reject_report,
    c.ReviseReportProposal: revise_proposal,
    c.RecordCaseFiled: case_filed,
    c.RecordFilingRejected: filing_rejected,
    c.ReopenClue: reopen,
    c.ProposeClearing: propose_clearing,
    c.IssueSupervisionNotice: issue_notice,
    c.EscalateClue: escalate,
    c.ApproveEscalation: approve_escalation,
    c.RejectEscalation: reject_escalation,
}


def decide(command, state: Clue) -> list:
    """The command's events, then a SupervisionNoticeSatisfied for each open notice they fulfil.
    A timer's command, or a fast track, changes no status, so it fulfils nothing."""
    if type(command) in _STATUS_UNCHANGED:
        return _STATUS_UNCHANGED[type(command)](command, state)
    events = _DECIDE[type(command)](command, state)
    after = fold_from(state, events)
    return events + [
        ev.SupervisionNoticeSatisfied(after.registered.clue_id, notice_id, after.status)
        for notice_id, required, _, _ in after.notices
        if satisfies(required, after.status)
    ]
