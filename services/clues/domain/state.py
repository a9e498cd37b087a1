"""The clue as its events leave it: status plus what later rules need. Pure `evolve`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from services.clues.domain import events as ev

NONE, RECEIVED, FORWARDED, REGISTERED = "NONE", "RECEIVED", "FORWARDED", "REGISTERED"
DISPOSAL_PROPOSED, TALK_OR_LETTER, PRELIM_CHECK = "DISPOSAL_PROPOSED", "TALK_OR_LETTER", "PRELIM_CHECK"
SHELVED, CLOSED, REPORTED = "SHELVED", "CLOSED", "REPORTED"
AWAITING_FILING, CASE_FILED = "AWAITING_FILING", "CASE_FILED"
STATUSES = (
    RECEIVED,
    FORWARDED,
    REGISTERED,
    DISPOSAL_PROPOSED,
    TALK_OR_LETTER,
    PRELIM_CHECK,
    SHELVED,
    CLOSED,
    REPORTED,
    AWAITING_FILING,
    CASE_FILED,
)
TERMINAL = (FORWARDED, CLOSED, CASE_FILED)
FAST_TRACK = "FAST_TRACK"  # the priority class of a fast-tracked clue: before every other (seed 004)


@dataclass(frozen=True)
class Pending:
    """A proposal awaiting approval: what is proposed and by whom."""

    kind: str  # "registration" | "disposal" | "talk" | "report" | "escalation"
    value: str  # handling office, disposal method, talk outcome, report proposal, or the office escalated to
    proposed_by: str
    reason: str = ""  # an escalation's (carried to ClueEscalated), a talk report's summary
    detail: str = ""  # a light-handling form, or the Party organisation a clue is handed to


@dataclass(frozen=True)
class Plan:
    """A preliminary-check work plan and the approvals it still needs."""

    submitted_by: str
    needs: frozenset[str]
    approved: frozenset[str] = frozenset()

    @property
    def complete(self) -> bool:
        return self.needs <= self.approved


@dataclass(frozen=True)
class Clue:
    status: str = NONE
    registered: ev.ClueRegistered | None = None
    clue_number: str = ""
    handling_office: str = ""
    pending: Pending | None = None
    plan: Plan | None = None
    findings: str = ""
    case_id: str = ""
    outcome: str = ""
    outcome_detail: str = ""  # the outcome's light-handling form, or the Party organisation handed to
    notices: tuple[tuple, ...] = ()  # open supervision notices: (id, required, office, due_at)
    notice_ids: frozenset[str] = frozenset()  # every notice ever issued on the clue
    # who may know the clue (domain.md §1; `services.clues.domain.holding`):
    escalation: Pending | None = None  # an escalation awaiting the head (beside any other proposal)
    first_office: str = ""  # the handling office registration named: its liaison stays the clue's
    addressees: frozenset[str] = frozenset()  # every office a supervision notice was addressed to
    decided: frozenset[str] = frozenset()  # kinds of proposal an approver decided (approved or not)
    approver_roles: frozenset[str] = frozenset()  # roles that approved a preliminary-check plan
    recused: frozenset[str] = frozenset()  # person ids of declared recusals (SL 67)
    parts_forwarded: tuple[tuple[str, str], ...] = ()  # (agency, part) forwarded in part (IR2021 171(3))
    fast_tracked: frozenset[str] = frozenset()  # integrity-opinion requests it was fast-tracked for (§5)

    @property
    def priority(self) -> str:
        """The priority class: FAST_TRACK once fast-tracked for an integrity-opinion reply (domain.md
        §5; seed 004), else the class given at registration ("" for none)."""
        if self.fast_tracked:
            return FAST_TRACK
        return self.registered.priority if self.registered else ""

    @property
    def subjects(self):
        """The persons the clue is about: none of them acts on it (SL 67; `kernel.domain.recusal`)."""
        return self.registered.subjects if self.registered else ()


def _pending(kind: str):
    return lambda s, e: replace(s, pending=Pending(kind, _value(e), _by(e), detail=_detail(e)))


def _detail(e) -> str:
    return getattr(e, "light_handling", "") or getattr(e, "party_organisation", "")


def _value(e) -> str:
    return getattr(e, "handling_office", None) or getattr(e, "method", None) or e.proposal


def _by(e) -> str:
    return next(getattr(e, f) for f in ("proposed_by", "reported_by", "revised_by") if hasattr(e, f))


def _decided(kind: str, **changes):
    """An approver's decision on a `kind` proposal: the state `changes`, and the kind remembered."""
    return lambda s, e: replace(s, decided=s.decided | {kind}, **changes)


def _registered(s: Clue, e: ev.RegistrationApproved) -> Clue:
    office = s.pending.value
    return replace(
        s,
        status=REGISTERED,
        handling_office=office,
        first_office=office,
        pending=None,
        decided=s.decided | {"registration"},
    )


def _disposal_rejected(s: Clue, e: ev.DisposalRejected) -> Clue:
    """Back where the proposal came from: REGISTERED, or SHELVED after a clearing's proposal."""
    status = REGISTERED if s.status == DISPOSAL_PROPOSED else s.status
    return replace(s, status=status, pending=None, decided=s.decided | {"disposal"})


def _after_disposal(s: Clue, e: ev.DisposalApproved) -> Clue:
    return replace(
        s, status=e.method, pending=None, plan=None, outcome="", outcome_detail="", decided=s.decided | {"disposal"}
    )


def _after_talk(s: Clue, e: ev.TalkOrLetterConcluded) -> Clue:
    """In effect (approved; or recorded before approvals were needed, as it was then)."""
    status = {"CLEARED": CLOSED, "LIGHT_HANDLING": CLOSED, "REPEAT": TALK_OR_LETTER, "PRELIM_CHECK": PRELIM_CHECK}
    decided = s.decided | {"talk"} if e.approved_by else s.decided
    return replace(
        s,
        status=status[e.outcome],
        outcome=e.outcome,
        outcome_detail=e.light_handling,
        pending=None,
        decided=decided,
    )


REPORT_STATUS = {
    "FILE_CASE": AWAITING_FILING,
    "CLOSE": CLOSED,
    "TALK_OR_LETTER": TALK_OR_LETTER,
    "SHELVE": SHELVED,
    "LIGHT_HANDLING": CLOSED,
    "HAND_OVER_TO_PARTY_ORGANISATION": CLOSED,
}


def _after_report(s: Clue, e: ev.ReportApproved) -> Clue:
    """SL 41; Rules ch. 6: light handling and hand-over close the clue here, their outcome kept."""
    closing = e.proposal in ("LIGHT_HANDLING", "HAND_OVER_TO_PARTY_ORGANISATION")
    return replace(
        s,
        status=REPORT_STATUS[e.proposal],
        outcome=e.proposal if closing else s.outcome,
        outcome_detail=(e.light_handling or e.party_organisation) if closing else s.outcome_detail,
        pending=None,
        decided=s.decided | {"report"},
    )


def _escalated(s: Clue, e: ev.ClueEscalated) -> Clue:
    """The holder changes; an escalation recorded before approvals were needed decided nothing."""
    decided = s.decided | {"escalation"} if e.approved_by else s.decided
    return replace(s, handling_office=e.to_office, escalation=None, decided=decided)


def _plan(s: Clue, e: ev.PrelimCheckPlanSubmitted) -> Clue:
    needs = {"commission_head"} | ({"party_committee_head"} if e.subject_heads_lower_committee else set())
    return replace(s, plan=Plan(e.submitted_by, frozenset(needs)))


_EVOLVE = {
    ev.ClueRegistered: lambda s, e: Clue(status=RECEIVED, registered=e),
    ev.InformantIdentityRead: lambda s, e: s,
    ev.ClueWarningRaised: lambda s, e: s,  # lives on the clue's timer stream, not its own
    ev.ClueForwarded: lambda s, e: replace(s, status=FORWARDED, pending=None),
    ev.CluePartForwarded: lambda s, e: replace(s, parts_forwarded=s.parts_forwarded + ((e.to_agency, e.part),)),
    ev.RecusalDeclared: lambda s, e: replace(s, recused=s.recused | {e.person_id}),
    ev.RegistrationProposed: lambda s, e: replace(_pending("registration")(s, e), clue_number=e.clue_number),
    ev.RegistrationApproved: _registered,
    ev.RegistrationRejected: _decided("registration", pending=None, clue_number=""),
    ev.DisposalProposed: lambda s, e: replace(_pending("disposal")(s, e), status=DISPOSAL_PROPOSED),
    ev.DisposalApproved: _after_disposal,
    ev.DisposalRejected: _disposal_rejected,
    ev.TalkOrLetterReported: lambda s, e: replace(
        s, pending=Pending("talk", e.outcome, e.reported_by, e.summary, e.light_handling)
    ),
    ev.TalkOrLetterConcluded: _after_talk,
    ev.TalkOrLetterConclusionRejected: _decided("talk", pending=None),
    ev.PrelimCheckPlanSubmitted: _plan,
    ev.PrelimCheckPlanApproved: lambda s, e: replace(
        s,
        plan=replace(s.plan, approved=s.plan.approved | {e.approver_role}),
        approver_roles=s.approver_roles | {e.approver_role},
    ),
    ev.PrelimCheckReported: lambda s, e: replace(_pending("report")(s, e), status=REPORTED, findings=e.findings),
    ev.ReportApproved: _after_report,
    ev.ReportRejected: _decided("report", status=PRELIM_CHECK, pending=None),
    ev.ReportProposalRevised: lambda s, e: _pending("report")(s, e),
    ev.FilingProposed: lambda s, e: s,
    ev.ClueCaseFiled: lambda s, e: replace(s, status=CASE_FILED, case_id=e.case_id),
    ev.ClueFilingRejected: lambda s, e: replace(s, status=REPORTED, pending=None),
    ev.ClearingProposed: lambda s, e: replace(s, pending=Pending("disposal", e.method, e.proposed_by, e.reason)),
    ev.ClueReopened: lambda s, e: replace(s, status=PRELIM_CHECK, plan=None),
    ev.SupervisionNoticeIssued: lambda s, e: replace(
        s,
        notices=s.notices + ((e.notice_id, e.required, e.to_office, e.due_at),),
        notice_ids=s.notice_ids | {e.notice_id},
        addressees=s.addressees | {e.to_office},
    ),
    ev.SupervisionNoticeSatisfied: lambda s, e: replace(s, notices=tuple(n for n in s.notices if n[0] != e.notice_id)),
    ev.SupervisionNoticeOverdue: lambda s, e: s,  # lives on the clue's timer stream
    ev.EscalationProposed: lambda s, e: replace(
        s, escalation=Pending("escalation", e.to_office, e.proposed_by, e.reason)
    ),
    ev.EscalationRejected: _decided("escalation", escalation=None),
    ev.ClueEscalated: _escalated,
    ev.ClueFastTracked: lambda s, e: replace(s, fast_tracked=s.fast_tracked | {e.request_id}),
}

UNDISPOSED = (RECEIVED, REGISTERED, DISPOSAL_PROPOSED)


def satisfies(required: str, status: str) -> bool:
    """Whether a clue in `status` has reached what a supervision notice requires."""
    return status in TERMINAL if required == "CONCLUDED" else status not in UNDISPOSED


def evolve(state: Clue, event) -> Clue:
    return _EVOLVE[type(event)](state, event)


def fold(events) -> Clue:
    return fold_from(Clue(), events)


def fold_from(state: Clue, events) -> Clue:
    for e in events:
        state = evolve(state, e)
    return state
