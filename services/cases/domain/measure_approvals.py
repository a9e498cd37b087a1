"""Who approves a measure, by the commission's level (domain.md §3; SL 33, 46, 47). Pure.

A measure's approval is a chain of steps, each a role's approval or a collective decision entered
by one of its roles, fixed by the measure's rule at the commission's level (configuration,
`deploy/config/measures.toml`):

- LOCAL: the commission's own approval: the head (SL 46), or the leadership's collective decision
  (领导人员集体研究决定) for a detention at every level (SL 47), at the LEADERSHIP body's quorum.
- COMMITTEE: the same-level Party committee head, for a person whose cadre management the
  committee holds (unverified for measures: a switch, off by default).
- UPPER: the upper commission's approval (上一级监察机关批准): a detention decided at city level or
  below (SL 47), recorded as the upper level's collective decision entered by its head
  (`superior_head`); an exit ban asked of a commission at provincial level or above (SL 33).

The measure runs (MeasureApproved) when the last step is given; earlier steps are
MeasureApprovalGiven. A filing (备案) with the national commission owed at provincial level (SL
47) is recorded on the approval. Measures recorded before issue 19 were approved in one step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from kernel.domain.checks import moment, text
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.meetings import LEADERSHIP, CollectiveDecision, check_meeting
from kernel.domain.principal import Principal
from services.cases.domain import events as ev

LOCAL, COMMITTEE, UPPER = "LOCAL", "COMMITTEE", "UPPER"
STEPS = (LOCAL, COMMITTEE, UPPER)
COMMITTEE_HEAD = "party_committee_head"


@dataclass(frozen=True)
class Step:
    """One approval a measure awaits: its name, the roles that may give it, and whether it is a
    collective decision (a LEADERSHIP meeting at its quorum, entered by one of `roles`)."""

    name: str
    roles: tuple[str, ...]
    collective: bool = False

    def says(self) -> str:
        who = " or ".join(self.roles)
        where = {LOCAL: "", COMMITTEE: " (the same-level Party committee)", UPPER: " (the upper commission)"}[self.name]
        return f"{who}{where}" + (", entering the leadership's collective decision" if self.collective else "")


def steps(rule, managed: bool) -> tuple[Step, ...]:
    """The chain of `rule` (a `measures.KindRule` at the commission's level): LOCAL, then COMMITTEE
    when the rule asks for it and the committee manages the person, then UPPER when the rule names
    the upper level's approver."""
    chain = [Step(LOCAL, rule.approvers, rule.collective)]
    if rule.committee_head and managed:
        chain.append(Step(COMMITTEE, (COMMITTEE_HEAD,), False))
    if rule.upper:
        chain.append(Step(UPPER, (rule.upper,), rule.upper_collective))
    return tuple(chain)


def awaited(rule, managed: bool, given: int) -> Step | None:
    """The step the measure awaits after `given` steps, or None when all are in."""
    chain = steps(rule, managed)
    return chain[given] if given < len(chain) else None


def check_step(
    step: Step,
    by,
    requested_by: str,
    kind: str,
    meeting: CollectiveDecision | None,
    quorum: Mapping[str, int],
    act: str,
) -> CollectiveDecision | None:
    """`by` may give `step` (its role, never the requester), with the collective decision the
    step needs (SL 47) and none it does not; the decision checked, or None."""
    if by.role not in step.roles:
        raise Forbidden(f"{act} a {kind} now is for {step.says()} ({step.name} step), not {by.role}")
    if by.user == requested_by:
        raise Forbidden(f"{by.user} requested this measure; another principal must {act} it")
    if not step.collective:
        if meeting is not None:
            raise Validation("meeting", f"the {step.name} step of a {kind} is one approver's, not a meeting's")
        return None
    if act != "approve":
        return None  # a refusal needs no decision to record (it may come from the meeting too)
    decided = check_meeting(meeting, LEADERSHIP, quorum, "meeting")
    if by.user not in decided.attendees:
        raise Validation("meeting.attendees", f"{by.user} enters the decision and must have attended it")
    return decided


def chain_roles(rule, managed: bool) -> frozenset[str]:
    """Every role the chain names (need to know: those who approve, or will)."""
    return frozenset(r for s in steps(rule, managed) for r in s.roles)


@dataclass(frozen=True)
class RecordNationalFiling:
    """The filing (备案) with the national commission was made (SL 47): when, its reference."""

    measure_id: str
    filed_at: datetime
    reference: str
    by: Principal


def record_national_filing(cmd: RecordNationalFiling, state) -> list:
    """Once, for a measure whose approval owed it (a detention at provincial level, SL 47), not
    before the approval; an ended measure's filing may still be recorded late."""
    operation = "record the filing with the national commission"
    if state.status in ("NONE", "REQUESTED", "REFUSED"):
        raise IllegalState(state.status, operation)
    if state.filed_nationally:
        raise IllegalState(f"{state.status} (filed with the national commission already)", operation)
    if not state.filing_owed:
        raise IllegalState(f"{state.status} (its approval owed no filing with the national commission)", operation)
    filed = moment(cmd.filed_at, "filed_at", state.starts_at, "the approval")
    return [ev.MeasureFiledWithNational(cmd.measure_id, filed, text(cmd.reference, "reference", 100), cmd.by.user)]
