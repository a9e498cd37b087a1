"""Need to know for decisions (domain.md §1; issue 21 point 6): each decision's holding as the
kernel's one policy (`kernel.domain.access`) judges it.

A decision is held by the office holding its case (承办) when it was disposed, with the case's
liaison (联系): the disposal's holding links said so and the opening recorded them. Once issued,
the offices owning its execution items have a step on it (an owning partner office knows the
decision and may act on its items; partner roles are not granted `sanctions.read`, so they still
cannot read the decision itself). Its approvers: the commission head (who issues it) and, where
the same-level Party committee approves before the issue ([issue] committee_approves, local), that
committee's head. Case management sees everything. An impact record is held by the source case's
(or clue's) holding office, with no steps and no approvers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.domain.access import Holding, Organisation
from services.sanctions.domain import decision as d
from services.sanctions.domain.rules import DEFAULT_RULES, SanctionRules


def holder_of(state: d.Decision) -> tuple[str, str]:
    """(holder, liaison) as recorded by the opening or the impact record ("" when none)."""
    if state.opened is not None:
        return state.opened.holder, state.opened.liaison
    if state.impact is not None:
        return state.impact.holder, state.impact.liaison
    return "", ""


def steps_of(state: d.Decision, rules: SanctionRules = DEFAULT_RULES) -> tuple[str, ...]:
    """The offices owning the decision's execution items, in order (none before the issue), and
    those a follow-up visit's result was sent to (issue 22; [visits] send_to's [owners] offices)."""
    return d.steps(state, rules)


def approvers_of(state: d.Decision, rules: SanctionRules = DEFAULT_RULES) -> tuple[str, ...]:
    """The commission head, and the same-level Party committee's head where it approves (local)."""
    return d.approvers(state, rules)


@dataclass(frozen=True)
class Access:
    """What need to know takes from the catalogue: the organisation (liaisons, case management,
    leaders' oversight)."""

    organisation: Organisation = field(default_factory=Organisation)
    rules: SanctionRules = DEFAULT_RULES

    @classmethod
    def of(cls, catalogue, rules: SanctionRules = DEFAULT_RULES) -> Access:
        return cls(catalogue.organisation, rules)

    def decision(self, state: d.Decision) -> Holding | None:
        """None for a stream without an opening (only those who see everything know it) or one
        whose source stated no holding."""
        holder, liaison = holder_of(state)
        if not holder:
            return None
        return (
            self.organisation.holding(holder, liaison)
            .with_steps(*steps_of(state, self.rules))
            .with_approvers(approvers_of(state, self.rules))
        )

    def of_row(self, row) -> Holding | None:
        """A decision_index row's holding, as `decision` gives the decision's."""
        if not row["holder"]:
            return None
        return (
            self.organisation.holding(row["holder"], row["liaison"])
            .with_steps(*row["steps"])
            .with_approvers(row["approvers"])
        )
