"""Trial review (案件审理): sending a case back with its approval, and the conclusion with each
person's violations and proposed combined sanctions (domain.md §3; Rules 55). Pure.

| From | To | Approval |
|---|---|---|
| UNDER_TRIAL_REVIEW | REINVESTIGATE | main facts unclear: the trial reviewer proposes, the **head** approves (Rules 55) |
| UNDER_TRIAL_REVIEW | SUPPLEMENTARY_INVESTIGATION | evidence to complete: the **responsible deputy** approves (Rules 55) |
| UNDER_TRIAL_REVIEW | DELIBERATION | the conclusion: violations and proposed sanctions per person |

The review's length (1 month, Rules 55) and its extensions (count and length, local) are the
`CasePolicy` the service loads from configuration (`services.cases.app.trial_rules`).
"""

from __future__ import annotations

from kernel.domain.checks import one_of, require
from kernel.domain.errors import Forbidden, IllegalState
from services.cases.domain import commands as c, events as ev
from services.cases.domain.outcomes import text, validate_outcomes
from services.cases.domain.sanctioning import person_sanctions, sanction_outcomes
from services.cases.domain.state import REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION, UNDER_TRIAL_REVIEW, Case

HEAD, DEPUTY = "commission_head", "deputy_head"
# Rules 55: who approves each return (the responsible deputy is the catalogue's deputy_head).
RETURN_APPROVERS = {REINVESTIGATE: HEAD, SUPPLEMENTARY_INVESTIGATION: DEPUTY}
RETURN_TARGETS = tuple(RETURN_APPROVERS)


def awaited_roles(state: Case) -> frozenset[str]:
    """Roles whose approval a case under trial review may await: the head's for an extension, and
    the approver of a proposed return (need to know names them)."""
    if state.status != UNDER_TRIAL_REVIEW:
        return frozenset()
    pending = state.return_proposal
    return frozenset({HEAD} | ({RETURN_APPROVERS[pending.to]} if pending else set()))


def propose_return(cmd: c.ReturnFromTrialReview, state: Case) -> list:
    """The trial reviewer proposes the return; nothing moves until it is approved (Rules 55)."""
    operation = "propose a return from trial review"
    require(state, (UNDER_TRIAL_REVIEW,), operation)
    if state.return_proposal is not None:
        raise IllegalState(f"{state.status} (a return to {state.return_proposal.to} awaits approval)", operation)
    to = one_of(cmd.to, RETURN_TARGETS, "to")
    return [ev.TrialReviewReturnProposed(state.case_id, to, text(cmd.reason, "reason"), cmd.by.user)]


def _pending(state: Case, by, operation: str) -> ev.TrialReviewReturnProposed:
    require(state, (UNDER_TRIAL_REVIEW,), operation)
    pending = state.return_proposal
    if pending is None:
        raise IllegalState(f"{state.status} (no return awaits approval)", operation)
    role = RETURN_APPROVERS[pending.to]
    if by.role != role:  # Rules 55: the head for reinvestigation, the responsible deputy for supplementary
        raise Forbidden(f"only {role} may {operation} to {pending.to}, not {by.role}")
    if by.user == pending.proposed_by:
        raise Forbidden(f"{by.user} proposed this return and may not decide it")
    return pending


def approve_return(cmd: c.ApproveTrialReviewReturn, state: Case) -> list:
    p = _pending(state, cmd.by, "approve the return")
    return [ev.TrialReviewReturned(state.case_id, p.to, p.reason, p.proposed_by, cmd.by.user, cmd.by.role)]


def reject_return(cmd: c.RejectTrialReviewReturn, state: Case) -> list:
    p = _pending(state, cmd.by, "reject the return")
    return [ev.TrialReviewReturnRejected(state.case_id, p.to, text(cmd.reason, "reason"), cmd.by.user, cmd.by.role)]


def conclude(cmd: c.ConcludeTrialReview, state: Case) -> list:
    """The conclusion proposes, per person, the violations and the combined sanction per family
    (checked by G2, G3, P6), and the other outcomes; at least one of either."""
    operation = "conclude the trial review"
    require(state, (UNDER_TRIAL_REVIEW,), operation)
    if state.return_proposal is not None:
        raise IllegalState(f"{state.status} (a return to {state.return_proposal.to} awaits approval)", operation)
    sanctions = person_sanctions(cmd.sanctions, state.subjects, "sanctions")
    others = validate_outcomes(cmd.proposals, state.subjects, "proposals", required=not sanctions)
    return [ev.TrialReviewConcluded(state.case_id, sanction_outcomes(sanctions) + others, cmd.by.user, sanctions)]
