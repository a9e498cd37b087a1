"""The decision (处分决定) aggregate, stream `decision-<uuid>`: its state, `evolve`, and `decide`
(the rules of domain.md §4 on each command; no I/O, no clock). Also an impact record (§5: 诫勉,
organisational handling, 问责), whose only event is ImpactRecorded.

OPENED → DRAFTED (redrafted while OPENED or DRAFTED) → COMMITTEE_APPROVED (only where the
same-level Party committee approves: [issue] committee_approves, local) → ISSUED →
REDECISION_REQUIRED (after a criminal judgment, G12). The draft and the issue run THE SAME
function as PreviewDecision (`preview.preview`), so a preview and an issue never disagree.

Errors are the kernel's: Validation (INVALID_ARGUMENT naming the field), IllegalState
(FAILED_PRECONDITION naming the state), NotFound (an item unknown, or not the caller's agency's:
the same answer), Forbidden (the wrong role for an approval or the issue).
"""

from __future__ import annotations

from datetime import datetime

from kernel.domain.errors import Validation
from kernel.domain.principal import Principal
from services.sanctions.domain import decision_commands, periods, reviews, visits
from services.sanctions.domain.decision_commands import required_sanction, run_rules
from services.sanctions.domain.decision_reads import (
    InForceEntry,
    approvers,
    awaiting,
    days_over,
    in_force,
    index_row,
    item_status,
    ledger_rows,
    locks_of,
    period_of,
    standing,
    steps,
)
from services.sanctions.domain.decision_state import (  # the aggregate's words and state
    CLOSED,
    COMMITTEE_APPROVED,
    DEFAULT_POLICY,
    DONE,
    DRAFTED,
    IMPACT_RECORDED,
    IN_EFFECT,
    ISSUED,
    LIFTED,
    NONE,
    OPEN,
    OPENED,
    OVERDUE,
    REDECISION_REQUIRED,
    REVOKED,
    AppealState,
    Decision,
    DecisionPolicy,
    ItemState,
    VisitState,
    committee_needed,
)

__all__ = [
    "CLOSED",
    "LIFTED",
    "REVOKED",
    "AppealState",
    "VisitState",
    "timer_command",
    "timers",
    "COMMITTEE_APPROVED",
    "DONE",
    "DRAFTED",
    "IMPACT_RECORDED",
    "IN_EFFECT",
    "ISSUED",
    "NONE",
    "OPEN",
    "OPENED",
    "OVERDUE",
    "REDECISION_REQUIRED",
    "Decision",
    "ItemState",
    "DecisionPolicy",
    "InForceEntry",
    "approvers",
    "awaiting",
    "committee_needed",
    "days_over",
    "decide",
    "evolve",
    "in_force",
    "index_row",
    "item_status",
    "ledger_rows",
    "required_sanction",
    "run_rules",
    "steps",
    "locks_of",
    "period_of",
    "standing",
]

# Each command module's commands and events (`DECIDE`, `EVOLVE`), and optionally its durable
# timers (`timers(state, policy)`) and the command each timer's event stands for
# (`TIMER_COMMANDS`: event class → make(event, by)); issue 22's modules join here.
_MODULES = (decision_commands, periods, visits, reviews)
_DECIDE = {k: v for m in _MODULES for k, v in m.DECIDE.items()}
_EVOLVE = {k: v for m in _MODULES for k, v in m.EVOLVE.items()}
_TIMER_COMMANDS = {k: v for m in _MODULES for k, v in getattr(m, "TIMER_COMMANDS", {}).items()}


def timers(state: Decision, policy: DecisionPolicy = DEFAULT_POLICY) -> dict[str, tuple[datetime, object]]:
    """The timers the decision wants pending now: timer id → (when, the event it raises)."""
    wanted: dict[str, tuple[datetime, object]] = {}
    for m in _MODULES:
        if hasattr(m, "timers"):
            wanted.update(m.timers(state, policy))
    return wanted


def timer_command(event, by: Principal):
    """The command a due timer's event stands for (judged by `decide` like any other); None: none."""
    make = _TIMER_COMMANDS.get(type(event))
    return make(event, by) if make else None


def evolve(state: Decision, event) -> Decision:
    """The state after `event` (events are facts: never refused here)."""
    step = _EVOLVE.get(type(event))
    if step is None:
        raise TypeError(f"not a decision event: {type(event).__name__}")
    return step(state, event)


def decide(command, state: Decision, policy: DecisionPolicy = DEFAULT_POLICY) -> list:
    """The events of `command` on `state`; raises (and so changes nothing) if it is refused."""
    if state.decision_id and command.decision_id != state.decision_id:
        raise Validation("decision_id", f"the command is for {command.decision_id}, this is {state.decision_id}")
    return _DECIDE[type(command)](command, state, policy)
