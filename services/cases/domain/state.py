"""The case as its events leave it: status plus what later rules need. Pure `evolve`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from kernel.domain.person import Subject
from services.cases.domain import events as ev

NONE, FILING, FILING_REJECTED, FILED = "NONE", "FILING", "FILING_REJECTED", "FILED"
INVESTIGATING, UNDER_TRIAL_REVIEW = "INVESTIGATING", "UNDER_TRIAL_REVIEW"
REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION = "REINVESTIGATE", "SUPPLEMENTARY_INVESTIGATION"
DELIBERATION, DISPOSED, WITHDRAWN = "DELIBERATION", "DISPOSED", "WITHDRAWN"
STATUSES = (
    FILING,
    FILING_REJECTED,
    FILED,
    INVESTIGATING,
    UNDER_TRIAL_REVIEW,
    REINVESTIGATE,
    SUPPLEMENTARY_INVESTIGATION,
    DELIBERATION,
    DISPOSED,
    WITHDRAWN,
)
# Filed and not yet closed. A filing awaiting approvals is neither open nor closed: it is
# rejected, never withdrawn.
OPEN = (FILED, INVESTIGATING, UNDER_TRIAL_REVIEW, REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION, DELIBERATION)
TERMINAL = (FILING_REJECTED, DISPOSED, WITHDRAWN)


@dataclass(frozen=True)
class Case:
    status: str = NONE
    opened: ev.FilingOpened | None = None
    approvals: tuple[ev.FilingApproved, ...] = ()  # side, approver_role, approved_by, plan
    filed_at: datetime | None = None
    simple: bool = False
    trial_review_due: datetime | None = None  # only while UNDER_TRIAL_REVIEW
    extensions: int = 0  # used in the current trial review
    overdue: bool = False  # the current due passed undecided
    proposals: tuple[ev.Outcome, ...] = ()
    heard: tuple[str, ...] = ()  # person ids heard in defence
    outcomes: tuple[ev.Outcome, ...] = ()
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
    heard = s.heard if e.person_id in s.heard else s.heard + (e.person_id,)
    return replace(s, heard=heard, proposals=e.proposals)


_EVOLVE = {
    ev.FilingOpened: lambda s, e: _opened(e),
    ev.FilingApproved: lambda s, e: _approved(s, e.approver_role, approvals=s.approvals + (e,)),
    ev.FilingRejected: lambda s, e: replace(s, status=FILING_REJECTED),
    ev.CaseFiled: lambda s, e: replace(s, status=FILED, filed_at=e.filed_at, simple=e.simple),
    ev.InvestigationStarted: lambda s, e: replace(s, status=INVESTIGATING),
    ev.SentToTrialReview: _review,
    ev.TrialReviewReturned: lambda s, e: replace(s, status=e.to, trial_review_due=None),
    ev.TrialReviewExtended: _extended,
    ev.TrialReviewOverdue: lambda s, e: replace(s, overdue=True) if e.due == s.trial_review_due else s,  # stale
    ev.TrialReviewConcluded: lambda s, e: replace(
        s, status=DELIBERATION, trial_review_due=None, proposals=e.proposals, heard=()
    ),
    ev.SubjectHeard: _heard,
    ev.CaseDisposed: lambda s, e: replace(s, status=DISPOSED, outcomes=e.outcomes, transfer=e.transfer),
    ev.CaseWithdrawn: lambda s, e: replace(s, status=WITHDRAWN, trial_review_due=None),
    ev.AccountabilityCaseOpened: lambda s, e: replace(
        s, accountability_case_ids=s.accountability_case_ids + (e.accountability_case_id,)
    ),
    ev.ActivityRecorded: lambda s, e: s,  # a reference for the replay; no rule reads it
    ev.QualityReviewed: lambda s, e: replace(s, quality_grade=e.grade, quality_criteria=e.criteria),
    ev.CaseHandOverProposed: lambda s, e: replace(s, hand_over=e),
    ev.CaseHandedOver: lambda s, e: _approved(s, e.approver_role, holder=e.to_office, hand_over=None),
    ev.CaseHandOverRejected: lambda s, e: _approved(s, e.approver_role, hand_over=None),
}


def evolve(state: Case, event) -> Case:
    return _EVOLVE[type(event)](state, event)


def fold(events) -> Case:
    return fold_from(Case(), events)


def fold_from(state: Case, events) -> Case:
    for e in events:
        state = evolve(state, e)
    return state
