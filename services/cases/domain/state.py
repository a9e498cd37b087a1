"""The case as its events leave it: status plus what later rules need. Pure `evolve`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from kernel.domain.person import Subject
from services.cases.domain import events as ev, prosecution as pr
from services.cases.domain.sanctioning import sanction_outcomes

NONE, FILING, FILING_REJECTED, FILED = "NONE", "FILING", "FILING_REJECTED", "FILED"
INVESTIGATING, UNDER_TRIAL_REVIEW = "INVESTIGATING", "UNDER_TRIAL_REVIEW"
REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION = "REINVESTIGATE", "SUPPLEMENTARY_INVESTIGATION"
DELIBERATION, DISPOSED, WITHDRAWN = "DELIBERATION", "DISPOSED", "WITHDRAWN"
REHEARING = "REHEARING"  # a decision heavier than what a person was heard on: heard again (PSL 43)
STATUSES = (
    FILING,
    FILING_REJECTED,
    FILED,
    INVESTIGATING,
    UNDER_TRIAL_REVIEW,
    REINVESTIGATE,
    SUPPLEMENTARY_INVESTIGATION,
    DELIBERATION,
    REHEARING,
    DISPOSED,
    WITHDRAWN,
)
# Filed and not yet closed. A filing awaiting approvals is neither open nor closed: it is
# rejected, never withdrawn.
OPEN = (FILED, INVESTIGATING, UNDER_TRIAL_REVIEW, REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION, DELIBERATION, REHEARING)
TERMINAL = (FILING_REJECTED, DISPOSED, WITHDRAWN)


@dataclass(frozen=True)
class Case:
    status: str = NONE
    opened: ev.FilingOpened | None = None
    approvals: tuple[ev.FilingApproved, ...] = ()  # side, approver_role, approved_by, plan
    prepared: ev.FilingPrepared | None = None  # the facts stated for the filing (issue 18)
    topic_meeting: ev.TopicMeetingHeld | None = None  # after filing, before the investigation
    filed_at: datetime | None = None
    simple: bool = False
    trial_review_due: datetime | None = None  # only while UNDER_TRIAL_REVIEW
    extensions: int = 0  # used in the current trial review
    overdue: bool = False  # the current due passed undecided
    proposals: tuple[ev.Outcome, ...] = ()
    heard: tuple[str, ...] = ()  # person ids heard in defence
    outcomes: tuple[ev.Outcome, ...] = ()
    # Trial review and disposal (issue 18): the return awaiting approval (Rules 55); the proposed
    # sanctions per person; what each heard person was heard on (their proposed sanctions after
    # their hearing, PSL 43); who must be heard again; what was decided, on which facts, by which
    # meeting.
    return_proposal: ev.TrialReviewReturnProposed | None = None
    proposed_sanctions: tuple[ev.PersonSanctions, ...] = ()
    heard_on: tuple[ev.PersonSanctions, ...] = ()
    rehearing: tuple[str, ...] = ()
    sanctions: tuple[ev.PersonSanctions, ...] = ()
    facts: tuple = ()  # of kernel.domain.facts.PersonFacts
    deliberation: object = None  # kernel.domain.meetings.CollectiveDecision
    transfer: tuple[ev.Document, ...] = ()
    accountability_case_ids: tuple[str, ...] = ()
    quality_grade: str = ""  # the latest review's
    quality_criteria: tuple[ev.Criterion, ...] = ()
    # Need to know (issue 17): who holds the case now (the handling office named at filing, until
    # an approved hand-over), its liaison as recorded at filing ("" in older filings), the
    # hand-over awaiting approval, the roles past approvals were given in, and whether it was
    # ever sent to trial review.
    holder: str = ""
    liaison: str = ""
    hand_over: ev.CaseHandOverProposed | None = None
    approver_roles: frozenset[str] = frozenset()
    reviewed: bool = False
    # The investigation stage's time limit (issue 20; services.cases.domain.awaiting): which stage
    # round the case is in (each InvestigationStarted or return from trial review starts one), and
    # what its timers raised for it (none in cases recorded before: GREEN until a timer raises).
    investigation_round: int = 0
    investigation_warning: ev.InvestigationWarningRaised | None = None
    # After a transfer for prosecution (SL 54; issue 24, services.cases.domain.prosecution): each
    # transferred person's returns, decision and referral, as the procuratorate reported them.
    prosecution: tuple[pr.Transferred, ...] = ()

    @property
    def measures_planned(self) -> bool:
        """The head's topic meeting on plan and measures was held (SL 42; Rules 39): measures are
        approved after it. Filings recorded before issue 18 and simple cases had none to hold."""
        return self.topic_meeting is not None or not (self.opened and self.opened.by_person) or self.simple

    @property
    def case_id(self) -> str:
        return self.opened.case_id if self.opened else ""

    @property
    def clue_id(self) -> str:
        return self.opened.clue_id if self.opened else ""

    @property
    def origin_case_id(self) -> str:
        return self.opened.origin_case_id if self.opened else ""

    @property
    def subjects(self) -> tuple[Subject, ...]:
        return self.opened.subjects if self.opened else ()

    @property
    def proposed_by(self) -> str:
        return self.opened.proposed_by if self.opened else ""

    def approved_roles(self, side: str) -> tuple[str, ...]:
        return tuple(a.approver_role for a in self.approvals if a.side == side)


HEAD = "commission_head"


def _review(s: Case, e: ev.SentToTrialReview) -> Case:
    return replace(s, status=UNDER_TRIAL_REVIEW, trial_review_due=e.due, extensions=0, overdue=False, reviewed=True)


def _approved(s: Case, role: str, **changes) -> Case:
    return replace(s, approver_roles=s.approver_roles | {role}, **changes)


def _opened(e: ev.FilingOpened) -> Case:
    return Case(status=FILING, opened=e, holder=e.handling_office, liaison=e.liaison_office)


def _extended(s: Case, e: ev.TrialReviewExtended) -> Case:
    role = e.approver_role or HEAD  # an older extension: only the head could give it
    return _approved(s, role, trial_review_due=e.due, extensions=s.extensions + 1, overdue=False)


def _heard(s: Case, e: ev.SubjectHeard) -> Case:
    """PSL 43: the person was heard on the proposals; what they were heard on is what they stand to
    receive after it (their sanctions in `e.sanctions`)."""
    heard = s.heard if e.person_id in s.heard else s.heard + (e.person_id,)
    mine = next((p for p in e.sanctions if p.person_id == e.person_id), ev.PersonSanctions(e.person_id, (), ()))
    heard_on = tuple(p for p in s.heard_on if p.person_id != e.person_id) + (mine,)
    rehearing = tuple(p for p in s.rehearing if p != e.person_id)
    status = DELIBERATION if s.status == REHEARING and not rehearing else s.status
    return replace(
        s,
        status=status,
        heard=heard,
        proposals=e.proposals,
        proposed_sanctions=e.sanctions,
        heard_on=heard_on,
        rehearing=rehearing,
    )


def _rehear(s: Case, e: ev.RehearingRequired) -> Case:
    """The committee's heavier decision is the proposal the persons are heard on again."""
    others = tuple(o for o in s.proposals if not o.sanction)
    proposals = sanction_outcomes(e.sanctions) + others
    return replace(s, status=REHEARING, rehearing=e.persons, proposed_sanctions=e.sanctions, proposals=proposals)


def _round(s: Case, **changes) -> Case:
    """A new investigation stage: its clock starts again (issue 20)."""
    return replace(s, investigation_round=s.investigation_round + 1, investigation_warning=None, **changes)


def _warned(s: Case, e: ev.InvestigationWarningRaised) -> Case:
    """A warning of the current stage round (a stale one changes nothing); RED is never lowered."""
    if e.round != s.investigation_round or e.stage != s.status:
        return s
    if s.investigation_warning is not None and s.investigation_warning.colour == "RED":
        return s
    return replace(s, investigation_warning=e)


def _returned(s: Case, e: ev.TrialReviewReturned) -> Case:
    s = _round(s, status=e.to, trial_review_due=None, return_proposal=None)
    return _approved(s, e.approver_role) if e.approver_role else s  # older returns had no approval


def _on_prosecution(rule):
    return lambda s, e: replace(s, prosecution=rule(s.prosecution, e))


_EVOLVE = {
    ev.FilingOpened: lambda s, e: _opened(e),
    ev.FilingPrepared: lambda s, e: replace(s, prepared=e),
    ev.TopicMeetingHeld: lambda s, e: replace(s, topic_meeting=e),
    ev.FilingApproved: lambda s, e: _approved(s, e.approver_role, approvals=s.approvals + (e,)),
    ev.FilingRejected: lambda s, e: replace(s, status=FILING_REJECTED),
    ev.CaseFiled: lambda s, e: replace(s, status=FILED, filed_at=e.filed_at, simple=e.simple),
    ev.InvestigationStarted: lambda s, e: _round(s, status=INVESTIGATING),
    ev.SentToTrialReview: _review,
    ev.TrialReviewReturnProposed: lambda s, e: replace(s, return_proposal=e),
    ev.TrialReviewReturned: _returned,
    ev.TrialReviewReturnRejected: lambda s, e: _approved(s, e.approver_role, return_proposal=None),
    ev.TrialReviewExtended: _extended,
    ev.TrialReviewOverdue: lambda s, e: replace(s, overdue=True) if e.due == s.trial_review_due else s,  # stale
    ev.TrialReviewConcluded: lambda s, e: replace(
        s,
        status=DELIBERATION,
        trial_review_due=None,
        proposals=e.proposals,
        proposed_sanctions=e.sanctions,
        heard=(),
        heard_on=(),
        rehearing=(),
    ),
    ev.SubjectHeard: _heard,
    ev.RehearingRequired: _rehear,
    ev.CaseDisposed: lambda s, e: replace(
        s,
        status=DISPOSED,
        outcomes=e.outcomes,
        transfer=e.transfer,
        sanctions=e.sanctions,
        facts=e.facts,
        deliberation=e.deliberation,
        prosecution=pr.on_disposed(e),
    ),
    ev.CaseWithdrawn: lambda s, e: replace(s, status=WITHDRAWN, trial_review_due=None),
    ev.AccountabilityCaseOpened: lambda s, e: replace(
        s, accountability_case_ids=s.accountability_case_ids + (e.accountability_case_id,)
    ),
    ev.ActivityRecorded: lambda s, e: s,  # a reference for the replay; no rule reads it
    ev.QualityReviewed: lambda s, e: replace(s, quality_grade=e.grade, quality_criteria=e.criteria),
    ev.CaseHandOverProposed: lambda s, e: replace(s, hand_over=e),
    ev.CaseHandedOver: lambda s, e: _approved(s, e.approver_role, holder=e.to_office, hand_over=None),
    ev.CaseHandOverRejected: lambda s, e: _approved(s, e.approver_role, hand_over=None),
    ev.InvestigationWarningRaised: _warned,
    **{k: _on_prosecution(f) for k, f in pr.EVOLVE.items()},  # SL 54 (issue 24)
}


def evolve(state: Case, event) -> Case:
    return _EVOLVE[type(event)](state, event)


def fold(events) -> Case:
    return fold_from(Case(), events)


def fold_from(state: Case, events) -> Case:
    for e in events:
        state = evolve(state, e)
    return state
