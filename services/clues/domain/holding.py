"""Who may know a clue (domain.md §1, issue 17): its holding, as its events leave it. Pure.

* Holder: the office that received it until registration is approved, then the handling office,
  then the office each approved escalation moved it to.
* Liaison: the catalogue's liaison of the first handling office (of the receiving office before
  registration), kept across escalations: the office that supervised the file from the start
  goes on supervising it.
* Steps: the receiving office (the complaints office on what it received) and every office a
  supervision notice was addressed to.
* Approvers: the roles of every approval decided on the clue and of every one pending (the
  catalogue's approvers of each kind of proposal; a preliminary-check plan names its own).
"""

from __future__ import annotations

from collections.abc import Mapping

from kernel.domain.access import Holding, Organisation
from services.clues.domain.state import Clue

# The catalogue operation approving each kind of proposal on a clue.
APPROVALS = {
    "registration": "clues.registration",
    "disposal": "clues.disposal",
    "talk": "clues.talk_or_letter",
    "report": "clues.prelim_check_report",
    "escalation": "clues.escalate",
}


def holding(state: Clue, org: Organisation, approvers: Mapping[str, frozenset[str]]) -> Holding | None:
    """The clue's holding in `state` (None before it exists); `approvers`: the roles approving
    each kind of proposal (`APPROVALS`), as the catalogue says."""
    r = state.registered
    if r is None:
        return None
    liaison = org.holding(state.first_office or r.receiving_office).liaison
    held = org.holding(state.handling_office or r.receiving_office, liaison)
    return held.with_steps(r.receiving_office, *sorted(state.addressees)).with_approvers(
        approver_roles(state, approvers)
    )


def approver_roles(state: Clue, approvers: Mapping[str, frozenset[str]]) -> frozenset[str]:
    pending = {p.kind for p in (state.pending, state.escalation) if p}
    roles = set(state.approver_roles)
    for kind in state.decided | pending:
        roles |= approvers.get(kind, frozenset())
    if state.plan and not state.plan.complete:
        roles |= state.plan.needs - state.plan.approved
    return frozenset(roles)
