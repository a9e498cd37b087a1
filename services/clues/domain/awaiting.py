"""What a clue waits for (待办, issue 20): each approval or step still needed, whose act it awaits,
since when and by when. Pure: one page of the §2 table (domain.md) read as "who acts next".

`steps(state, roles)` says what the clue in `state` waits for; `awaiting(timed_events, ...)` adds
since when (the instant the step first became due and has stayed so) and by when (a supervision
notice's due date, else the current stage's deadline under the warning scheme in force). A clue
fast-tracked for an integrity-opinion reply (seed 004; domain.md §5) is due, step by step, by its
fast-track notice's due date at the latest (before the intended date): its steps come first in
every queue ordered by due.

| State | Step awaited | By (role; office) |
|---|---|---|
| RECEIVED, routed up or to another body | ForwardClue (5 working days; CR 15, IR2021 169, 171) | `clues.forward`: case management, the receiving office |
| RECEIVED, handled here | ProposeRegistration (Rules 23) | `clues.registration`: case management |
| registration proposed | ApproveRegistration (Rules 23) | its approvers (the head) |
| REGISTERED | ProposeDisposal (SL 40; due by the warning scheme) | `clues.disposal`: the holding office |
| DISPOSAL_PROPOSED, SHELVED with a proposal | ApproveDisposal (SL 40; IR2021 168) | the head |
| TALK_OR_LETTER | ConcludeTalkOrLetter, then ApproveTalkOrLetterConclusion (Rules ch. 5) | the holding office; the head |
| PRELIM_CHECK | SubmitPrelimCheckPlan, ApprovePrelimCheckPlan (each role the plan still needs: the head, and the Party committee head when the subject heads the next-lower committee, Rules 33), ReportPrelimCheck | the holding office; the approvers |
| REPORTED | ApproveReport (SL 41), or after a refused filing ReviseReportProposal | the head; the holding office |
| escalation proposed | ApproveEscalation | the head |
| open supervision notice | SupervisionNotice (督办通知书: its due date) | the office addressed |
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from kernel.domain.calendar import WorkingCalendar
from services.clues.domain.decide import NO_JURISDICTION, OTHER_BODY, UPPER_LEVEL, fast_track_notice
from services.clues.domain.state import (
    DISPOSAL_PROPOSED,
    PRELIM_CHECK,
    RECEIVED,
    REGISTERED,
    REPORTED,
    SHELVED,
    TALK_OR_LETTER,
    TERMINAL,
    Clue,
    evolve,
)
from services.clues.domain.warnings import Scheme, marks, timeline

SUMMARY_LIMIT = 200


@dataclass(frozen=True)
class Roles:
    """What the catalogue says about who acts: the roles performing and approving each operation
    (`clues.disposal`, …), and the roles acting on every file wherever it is held (case
    management's: they number, forward and supervise every clue, so their steps name no office)."""

    perform: Mapping[str, frozenset[str]] = field(default_factory=dict)
    approve: Mapping[str, frozenset[str]] = field(default_factory=dict)
    anywhere: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Step:
    """One act the clue waits for. `office`: the office whose officers act ("" for a role that acts
    wherever the clue is held: an approval, case management); `due_at`: a date the step itself
    carries (a supervision notice's), else the stage deadline applies."""

    step: str
    role: str
    summary: str
    office: str = ""
    due_at: datetime | None = None
    key: str = ""  # what stays the same while the step keeps waiting (for `since`)
    not_by: str = ""  # an approval's proposer, who may not approve it (user id)


@dataclass(frozen=True)
class Awaited:
    """A step with since when it waits and by when it is due (None: no rule sets a deadline)."""

    step: str
    role: str
    summary: str
    office: str
    since: datetime
    due: datetime | None
    not_by: str = ""  # an approval's proposer, who may not approve it


def steps(state: Clue, roles: Roles) -> list[Step]:
    """What the clue in `state` waits for, one item per role that may act."""
    if state.registered is None or state.status in TERMINAL:
        return []
    out: list[Step] = []
    holder = state.handling_office or state.registered.receiving_office

    def approve(step: str, op: str, summary: str, kind: str, by: str) -> None:
        """The approvers' roles; never the proposer `by` (an approver is never the proposer, §2)."""
        out.extend(
            Step(step, r, summary, key=f"{step}:{r}:{kind}", not_by=by) for r in sorted(roles.approve.get(op, ()))
        )

    def perform(step: str, op: str, summary: str, office: str = holder, everywhere: bool = False, **due) -> None:
        """Officers of `office` (and, if `everywhere`, case management's roles) act."""
        tag = f":{due['tag']}" if due else ""
        for r in sorted(roles.perform.get(op, ())):
            if r in roles.anywhere and everywhere:
                out.append(Step(step, r, summary, "", due.get("at"), f"{step}:{r}{tag}"))
            elif r not in roles.anywhere:
                out.append(Step(step, r, summary, office, due.get("at"), f"{step}:{r}:{office}{tag}"))

    pending, status = state.pending, state.status
    if status == RECEIVED and pending is None:
        routing = state.registered.routing
        if routing == UPPER_LEVEL or (routing in (OTHER_BODY, NO_JURISDICTION) and not state.parts_forwarded):
            why = {UPPER_LEVEL: "CR 15", OTHER_BODY: "IR2021 169, 171", NO_JURISDICTION: "IR2021 171(4)"}[routing]
            perform(
                "ForwardClue", "clues.forward", f"forward ({routing}, {why}) within 5 working days", everywhere=True
            )
        else:
            perform(
                "ProposeRegistration", "clues.registration", "number it and propose its office (Rules 23)", "", True
            )
    elif pending and pending.kind == "registration":
        approve(
            "ApproveRegistration",
            "clues.registration",
            f"register, handled by {pending.value} (Rules 23)",
            "r",
            pending.proposed_by,
        )
    elif status == REGISTERED:
        perform("ProposeDisposal", "clues.disposal", "propose a disposal (SL 40)")
    elif pending and pending.kind == "disposal" and status in (DISPOSAL_PROPOSED, SHELVED):
        where = "at a clearing (IR2021 168)" if status == SHELVED else "(SL 40)"
        approve(
            "ApproveDisposal",
            "clues.disposal",
            f"approve disposal {pending.value} {where}",
            pending.value,
            pending.proposed_by,
        )
    elif status == TALK_OR_LETTER and pending and pending.kind == "talk":
        detail = f" {pending.detail}" if pending.detail else ""
        approve(
            "ApproveTalkOrLetterConclusion",
            "clues.talk_or_letter",
            f"approve the talk or letter conclusion {pending.value}{detail} (Rules ch. 5)",
            pending.value,
            pending.proposed_by,
        )
    elif status == TALK_OR_LETTER:
        perform("ConcludeTalkOrLetter", "clues.talk_or_letter", "report the talk or letter inquiry (Rules ch. 5)")
    elif status == PRELIM_CHECK and state.plan is None:
        perform("SubmitPrelimCheckPlan", "clues.prelim_check_plan", "submit the work plan and team (Rules 33)")
    elif status == PRELIM_CHECK and not state.plan.complete:
        for r in sorted(state.plan.needs - state.plan.approved):
            why = "the subject heads the next-lower committee, Rules 33" if r == "party_committee_head" else "Rules 33"
            summary = f"approve the preliminary-check plan ({why})"
            out.append(Step("ApprovePrelimCheckPlan", r, summary, key=f"plan:{r}", not_by=state.plan.submitted_by))
    elif status == PRELIM_CHECK:
        perform("ReportPrelimCheck", "clues.prelim_check_report", "report the preliminary check (SL 41)")
    elif status == REPORTED and pending and pending.kind == "report":
        approve(
            "ApproveReport",
            "clues.prelim_check_report",
            f"approve the report: {pending.value} (SL 41)",
            "p",
            pending.proposed_by,
        )
    elif status == REPORTED:
        perform("ReviseReportProposal", "clues.prelim_check_report", "the filing was refused: propose anew")
    if state.escalation:
        e = state.escalation
        approve("ApproveEscalation", "clues.escalate", f"escalate to {e.value}", e.value, e.proposed_by)
    for notice_id, required, office, due in state.notices:
        perform(
            "SupervisionNotice",
            "clues.disposal",
            f"supervision notice {notice_id}: {required.lower()} by its due date (督办)",
            office or holder,
            at=due,
            tag=notice_id,
        )
    return [_short(s) for s in out]


def _short(s: Step) -> Step:
    if len(s.summary) <= SUMMARY_LIMIT:
        return s
    return replace(s, summary=s.summary[: SUMMARY_LIMIT - 1] + "…")


def awaiting(timed_events: Iterable[tuple], roles: Roles, scheme: Scheme, calendar: WorkingCalendar) -> list[Awaited]:
    """From (event, occurred_at, version) triples: what the clue waits for, since when and by when,
    ordered by due (none last), since, step and role."""
    timed_events = list(timed_events)
    state, since = Clue(), {}
    for event, at, _ in timed_events:
        state = evolve(state, event)
        since = {s.key: since.get(s.key, at) for s in steps(state, roles)}
    found = steps(state, roles)
    if not found:
        return []
    t = timeline(timed_events, evolve, Clue())
    deadline = min((m.deadline for m in marks(scheme, t, calendar)), default=None)
    hurry = fast_track_due(state)
    items = [
        Awaited(s.step, s.role, s.summary, s.office, since[s.key], _sooner(s.due_at or deadline, hurry), s.not_by)
        for s in found
    ]
    return sorted(items, key=order)


def fast_track_due(state: Clue) -> datetime | None:
    """The earliest due date of the clue's open fast-track notices (快查快处快结, seed 004; domain.md
    §5), None when it has none: every step toward the conclusion is due by then."""
    wanted = {fast_track_notice(r) for r in state.fast_tracked}
    return min((due for notice_id, _, _, due in state.notices if notice_id in wanted), default=None)


def _sooner(due: datetime | None, hurry: datetime | None) -> datetime | None:
    return min(due, hurry) if due and hurry else due or hurry


def order(a: Awaited) -> tuple:
    """Due (none last), since, step, role: the order of `common.v1.AwaitingItem` lists."""
    due = a.due.timestamp() if a.due else float("inf")
    return (due, a.since.timestamp(), a.step, a.role, a.office)


def basis(roles: Roles, scheme: Scheme, calendar: WorkingCalendar, zone: str) -> str:
    """A fingerprint of everything but the events that what a clue awaits depends on: who acts
    (the catalogue), the warning scheme, the working-day calendar and the time zone. Kept items
    computed on another basis are computed again (`ClueHandlers.refresh_awaiting`)."""
    canonical = {
        "perform": {op: sorted(r) for op, r in sorted(roles.perform.items())},
        "approve": {op: sorted(r) for op, r in sorted(roles.approve.items())},
        "anywhere": sorted(roles.anywhere),
        "scheme": [repr(_rule(rule)) for rule in scheme.rules],
        "holidays": sorted(d.isoformat() for d in calendar.holidays),
        "workdays": sorted(d.isoformat() for d in calendar.workdays),
        "weekend": sorted(calendar.weekend),
        "zone": zone,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _rule(rule) -> tuple:
    return (rule.name, sorted(rule.stages), rule.start, rule.red, rule.yellow, rule.yellow_before_red)
