"""Appeals and reviews of a sanction (domain.md §4c, A1-A5): the Party appeal (申诉, Rules 59), the
复审 and 复核 of a government sanction (SL 56), that seeking review never makes it heavier
(PSL 55, 56), and what revoking or changing a sanction brings (PSL 57-60). Pure: dates arrive in
the call. Every refusal names the rule and its article: "refused by A4 (PSL 55): ...".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from kernel.domain import sanctions as s
from kernel.domain.calendar import add_months
from kernel.domain.errors import Validation
from services.sanctions.domain.items import FINANCE, HR, ORG_DEPT, ExecutionItem


@dataclass(frozen=True)
class AppealRules:
    """The months of §4c (Rules 59, SL 56); configuration may override them."""

    appeal_decide_months: int = 3  # A1 (Rules 59)
    review_apply_months: int = 1  # A2 (SL 56): 复审 applied for within 1 month of receipt
    review_decide_months: int = 1  # A2 (SL 56)
    recheck_apply_months: int = 1  # A3 (SL 56): 复核 within 1 month of the 复审 decision's receipt
    recheck_decide_months: int = 2  # A3 (SL 56)
    compensation_months: int = 1  # A5 (PSL 57-60), local: the compensating items are due within


DEFAULT_RULES = AppealRules()

DECIDING_BODY = "DECIDING_BODY"  # A5 (PSL 57): restores the reputation within the original scope

# A4 (SL 56; PSL 55): execution goes on while an appeal or review runs.
EXECUTION_SUSPENDED = False


@dataclass(frozen=True)
class Appeal:
    """A1: a Party appeal accepted on `accepted_on`, to be decided by `decide_by`."""

    accepted_on: date
    team: tuple[str, ...]
    decide_by: date


def accept_appeal(
    accepted_on: date,
    team: Iterable[str],
    original_handlers: Iterable[str],
    *,
    rules: AppealRules = DEFAULT_RULES,
) -> Appeal:
    """A1 (Rules 59): no deadline to lodge; the deciding or approving body accepts it; the 复议复查
    team excludes the case's original investigators and reviewers; decided within 3 months."""
    members = tuple(dict.fromkeys(team))
    if not members:
        raise Validation("team", "refused by A1 (Rules 59): the 复议复查 team needs at least one member")
    clash = sorted(set(members) & set(original_handlers))
    if clash:
        raise Validation(
            "team",
            f"refused by A1 (Rules 59): {', '.join(clash)} investigated or reviewed the original case; "
            "the 复议复查 team excludes them",
        )
    return Appeal(accepted_on, members, add_months(accepted_on, rules.appeal_decide_months))


@dataclass(frozen=True)
class ReviewApplication:
    """A 复审 (A2) or 复核 (A3) application: the deadline to apply, whether it was late (flagged,
    not refused: the body decides whether to accept), and when the decision is due."""

    kind: str  # "REVIEW" (复审) or "RECHECK" (复核)
    apply_by: date
    applied_on: date
    late: bool
    decide_by: date
    rule: str


def apply_for_review(received_on: date, applied_on: date, *, rules: AppealRules = DEFAULT_RULES) -> ReviewApplication:
    """A2 (SL 56): 复审 applied for within 1 month of receiving the decision; decided in 1 month."""
    return _application(
        "REVIEW", received_on, applied_on, rules.review_apply_months, rules.review_decide_months, "A2 (SL 56)"
    )


def apply_for_recheck(
    review_received_on: date, applied_on: date, *, rules: AppealRules = DEFAULT_RULES
) -> ReviewApplication:
    """A3 (SL 56): 复核 by the upper commission, applied for within 1 month of receiving the 复审
    decision; decided in 2 months."""
    return _application(
        "RECHECK", review_received_on, applied_on, rules.recheck_apply_months, rules.recheck_decide_months, "A3 (SL 56)"
    )


def _application(kind: str, received: date, applied: date, apply_months: int, decide_months: int, rule: str):
    if applied < received:
        raise Validation("applied_on", f"refused by {rule}: applied on {applied}, before receipt on {received}")
    apply_by = add_months(received, apply_months)
    return ReviewApplication(kind, apply_by, applied, applied > apply_by, add_months(applied, decide_months), rule)


def check_not_heavier(original: str, decided: str) -> None:
    """A4 (SL 56; PSL 55, 56): never heavier because the person sought review; an error against the
    person is corrected by a separate act, not by the review."""
    if s.family_of(decided) != s.family_of(original):
        raise Validation("sanction", f"refused by A4 (PSL 55): a review keeps the family of {original}")
    if s.rank(decided) > s.rank(original):
        raise Validation(
            "sanction",
            f"refused by A4 (SL 56; PSL 55, 56): {decided} is heavier than {original}; seeking review never "
            "makes a sanction heavier (correct an error by a separate act)",
        )


# --- the outcome (A5) -------------------------------------------------------------------------------

REVOKE, CHANGE, UPHOLD = "REVOKE", "CHANGE", "UPHOLD"
# PSL 57: revoked for unclear facts, insufficient evidence, a breach of procedure, or ultra vires.
REVOKE_GROUNDS = ("FACTS", "EVIDENCE", "PROCEDURE", "ULTRA_VIRES")
# PSL 58: changed for a wrong application of the law, wrong circumstances, or an improper sanction.
CHANGE_GROUNDS = ("LAW", "CIRCUMSTANCES", "IMPROPER_SANCTION")
GROUNDS = {REVOKE: REVOKE_GROUNDS, CHANGE: CHANGE_GROUNDS, UPHOLD: ("LAWFUL",)}

ADJUST_POST_AND_PAY = "ADJUST_POST_AND_PAY"
RESTORE_GRADE_AND_PAY, RESTORE_POST = "RESTORE_GRADE_AND_PAY", "RESTORE_POST"
REPUTATION_NOTICE, COMPENSATION, PROPERTY_RETURN = "REPUTATION_NOTICE", "COMPENSATION", "PROPERTY_RETURN"
LIFT_LOCKS = "LIFT_LOCKS"
# The lightest sanction of each family that touches post or pay (G: 降级; Party: 撤销党内职务).
_TOUCHES_POST = {s.GOVERNMENT: "GOVERNMENT_DEMOTION", s.PARTY: "PARTY_REMOVAL_FROM_POSTS"}


@dataclass(frozen=True)
class ReviewOutcome:
    outcome: str
    ground: str
    sanction: str | None  # what stands: the original (UPHOLD), the changed one, or None (REVOKE)
    items: tuple[ExecutionItem, ...]


def decide_review(
    original: str,
    outcome: str,
    ground: str,
    decided_on: date,
    *,
    changed_to: str | None = None,
    property_taken: bool = False,
    due_months: int = 1,
) -> ReviewOutcome:
    """A5 (PSL 57-60): revoke, change or uphold, always with its ground. CHANGE (PSL 58) → adjust
    post and pay; never heavier (A4). REVOKE (PSL 57, 59, 60) → locks lifted, reputation restored
    within the original scope, and for a sanction that touched post or pay: grade and pay restored
    (HR), an equivalent post (org dept), the lost pay compensated (finance); property taken is
    returned or compensated (finance). `due_months` is local (domain.md gives none)."""
    if outcome not in GROUNDS:
        raise Validation("outcome", f"A5 (PSL 57-60): one of {', '.join(GROUNDS)}")
    if ground not in GROUNDS[outcome]:
        raise Validation(
            "ground", f"refused by A5 (PSL 57-60): {outcome} needs one of its grounds {', '.join(GROUNDS[outcome])}"
        )
    family, due = s.family_of(original), add_months(decided_on, due_months)
    if outcome == UPHOLD:
        if changed_to is not None:
            raise Validation("changed_to", "refused by A5 (PSL 57-60): an upheld sanction is not changed")
        return ReviewOutcome(UPHOLD, ground, original, ())
    if outcome == CHANGE:
        if changed_to is None or changed_to == original:
            raise Validation("changed_to", f"refused by A5 (PSL 58): CHANGE names a sanction other than {original}")
        check_not_heavier(original, changed_to)
        items = (_item(ADJUST_POST_AND_PAY, HR, due, "A5 (PSL 58)"),)
        return ReviewOutcome(CHANGE, ground, changed_to, items)
    if changed_to is not None:
        raise Validation("changed_to", "refused by A5 (PSL 57): a revoked sanction is not changed")
    items = [
        _item(LIFT_LOCKS, ORG_DEPT, due, "A5 (PSL 57)"),
        _item(REPUTATION_NOTICE, DECIDING_BODY, due, "A5 (PSL 57)"),
    ]
    if s.rank(original) >= s.rank(_TOUCHES_POST[family]):
        items += [
            _item(RESTORE_GRADE_AND_PAY, HR, due, "A5 (PSL 57)"),
            _item(RESTORE_POST, ORG_DEPT, due, "A5 (PSL 57)"),
            _item(COMPENSATION, FINANCE, due, "A5 (PSL 59)"),
        ]
    if property_taken:
        items.append(_item(PROPERTY_RETURN, FINANCE, due, "A5 (PSL 60)"))
    return ReviewOutcome(REVOKE, ground, None, tuple(items))


def _item(kind: str, owner: str, due: date, rule: str) -> ExecutionItem:
    return ExecutionItem(kind, owner, due, due, rule)
