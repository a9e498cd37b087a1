"""Need to know for cases and measures (domain.md §1, issue 17): each one's holding as the kernel's
one policy (`kernel.domain.access`) judges it.

A case is held (承办) by the handling office named at filing until an approved hand-over moves it;
its liaison (联系) is the one recorded at filing (older filings: the catalogue's liaison of the
handling office) and stays through hand-overs. The trial review office has a step on it once it
was sent to trial review. Approver roles: those of its past approvals, and the catalogue's
approvers of what awaits approval (the filing, a hand-over, an extension of the trial review, a
return from it: the head, or the responsible deputy for a supplementary investigation).
A measure is held by the case's holder when requested, with the case's liaison then; its approver
roles are those its rule names for the approvals it had or awaits, and while it is expired and not
ended the alert roles of the duties' configuration (the leaders' queue, SL 74(7)).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.domain.access import Holding, Organisation
from services.cases.domain import filing, measure_safeguards as ms, measures as m, trial
from services.cases.domain.state import FILING, FILING_REJECTED, UNDER_TRIAL_REVIEW, Case

TRIAL_REVIEWER = "trial_reviewer"


@dataclass(frozen=True)
class Access:
    """What need to know takes from the catalogue: the organisation, the approvers of the
    operations that await approval on a case, and the trial review offices."""

    organisation: Organisation = field(default_factory=Organisation)
    filing_approvers: frozenset[str] = frozenset()
    hand_over_approvers: frozenset[str] = frozenset()
    review_approvers: frozenset[str] = frozenset()
    trial_review_offices: frozenset[str] = frozenset()

    @classmethod
    def of(cls, catalogue) -> Access:
        """From the catalogue (`kernel.edge.catalogue.Catalogue`): the trial review offices are
        those holding the trial reviewer's role."""
        return cls(
            catalogue.organisation,
            catalogue.approvers("cases.filing"),
            catalogue.approvers("cases.hand_over"),
            catalogue.approvers("cases.trial_review"),
            frozenset(code for code, o in catalogue.offices.items() if TRIAL_REVIEWER in o.roles),
        )

    def case(self, state: Case) -> Holding | None:
        """None for a stream without a filing (a proposal refused on arrival names no office):
        only those who see everything know it."""
        if state.opened is None:
            return None
        org = self.organisation
        liaison = state.liaison or org.holding(state.opened.handling_office).liaison
        holding = org.holding(state.holder, liaison)
        if state.reviewed:  # the trial review office keeps its step after the review: hearing, quality grading
            holding = holding.with_steps(*self.trial_review_offices)
        return holding.with_approvers(state.approver_roles | self._pending(state))

    def _pending(self, state: Case) -> frozenset[str]:
        roles = frozenset()
        if state.status in (FILING, FILING_REJECTED):  # the filing's approval, awaited or refused, names them
            roles |= self.filing_approvers & filing.roles_named(state)
        if state.status == UNDER_TRIAL_REVIEW:  # an extension (the head's), a proposed return (Rules 55)
            roles |= self.review_approvers & trial.awaited_roles(state)
        if state.hand_over is not None:
            roles |= self.hand_over_approvers
        return roles

    def measure(self, state: m.Measure, rules: m.MeasureRules) -> Holding | None:
        r = state.requested
        if r is None:
            return None
        roles = m.approver_roles(r.kind, state.status, state.extensions, state.ends_at is not None, rules)
        roles |= ms.decider_roles(state, rules.safeguards)  # a complaint's deciders while it awaits them (SL 69)
        return self.organisation.holding(r.office, r.liaison_office).with_approvers(roles)
