"""Periods that end by themselves and items that fall overdue (issue 22 points 1 and 2; domain.md
§4a G9, G10, §4b P4, P8, §4d). Pure: the commands' rules (`DECIDE`), how their events change the
decision (`EVOLVE`), the durable timers the decision wants pending (`timers`) and the command each
timer's event stands for (`TIMER_COMMANDS`); the façade `decision.py` joins them.

A timer fires at the start (00:00 in the service's zone, `policy.zone`) of its day: an effect
period [start, end) ends at `end` 00:00 (记过 2026-03-10 → lifts 2027-03-10 00:00, G1/G9); an item
due 2026-07-30 is overdue from 2026-07-31 00:00 (§4d). The timers exist only for an issued
decision: the period's end while it is in effect (ISSUED, or REDECISION_REQUIRED: execution goes
on); each OPEN item's DUE and, when later, LATEST_DUE stage until raised (never for a DONE or
CLOSED item). A timer's event is what it would raise; its command (`EndPeriod`,
`RecordItemOverdue`) is judged on the state when it fires, so a stale timer changes nothing.

- EndPeriod: government → SanctionLifted (G9, `government.lift`: the locks end; 降级/撤职's post,
  rank and pay are not restored) when no case filed on the person within the period is open
  (`open_cases`, as the case directory knows them), else LiftBlocked (G10). Party → EffectPeriodEnded
  (P8, `party.period_ended`: nothing cancelled), or ProbationReviewDue for 留党察看 (P4: a decision
  of the deciding office follows). 开除 (G8, P2) has no period end here.
- RetryLift: a case holding a lift back was decided (CaseDisposed/CaseWithdrawn, the case
  directory); SanctionLifted with `after_cases` once none is left open; `on` is that day (the lift
  happens then, never before the period's end).
- DecideProbation (P4, `party.decide_probation_end`): RESTORE (a 24-month bar from the end),
  EXTEND (once, by a year; the period's end moves and a new EndPeriod timer follows), EXPEL (the
  decision's sanction is 开除党籍 from that day: `current_sanction`, read by in_force). The
  PROBATION_REVIEW item is done by it.
- RecordItemOverdue: ExecutionItemOverdue once per (item, stage); the P10 EXECUTION_REPORT item is
  an item like any other.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from kernel.domain import facts as f, sanctions as s
from kernel.domain.checks import one_of
from kernel.domain.errors import IllegalState, NotFound, Validation
from services.sanctions.domain import commands as c, events as ev, government as g, items as it, party as p
from services.sanctions.domain.decision_reads import locks_of, period_of, standing
from services.sanctions.domain.decision_state import (
    DONE,
    IN_EFFECT,
    LIFTED,
    OPEN,
    Decision,
    DecisionPolicy,
    require_status,
    with_item,
)

DUE, LATEST_DUE = "DUE", "LATEST_DUE"  # ExecutionItemOverdue.stage
STAGES = (DUE, LATEST_DUE)
OUTCOMES = (p.RESTORE, p.EXTEND, p.EXPEL)  # P4 (Regs 12)
P4 = "P4 (Regs 12)"


# --- what the decision's period is now ---------------------------------------------------------------


def current_sanction(state: Decision) -> str:
    """The sanction that stands now (`decision_reads.standing`: the issued one, a review's CHANGE
    (A5), or 开除党籍 from a probation's EXPEL (P4)); one reading for the reads and the timers."""
    return standing(state)


def period_end(state: Decision) -> date | None:
    """The effect period's end as it now stands (exclusive; None: 开除, or not issued):
    `decision_reads.period_of`'s (the issued one, P4 EXTEND's new end, A5 CHANGE's new end)."""
    return period_of(state)[1] if state.issued else None


def start_of(day: date, policy: DecisionPolicy) -> datetime:
    """00:00 of `day` in the service's zone: when a timer of that day fires."""
    return datetime.combine(day, time.min, tzinfo=policy.zone)


def _period_handled(state: Decision, end: date) -> bool:
    """Whether the end `end` was already met: lifted or held back (G9, G10), ended (P8), or its
    probation review raised (P4)."""
    if state.lifted or state.lift_blocked:
        return True
    if state.period_ended is not None:
        return True
    return state.probation_due is not None and state.probation_due.on >= end


def _end_event(state: Decision, end: date):
    """The event the period's end would raise on `state` with nothing blocking it (the timer's)."""
    sanction = current_sanction(state)
    if state.family == s.GOVERNMENT:
        lifted = g.lift(_effect(state, sanction, end), end, open_case=False)
        return ev.SanctionLifted(state.decision_id, end, lifted.locks_ended, lifted.not_restored)
    if sanction == p.PROBATION:
        return ev.ProbationReviewDue(state.decision_id, end)
    return ev.EffectPeriodEnded(state.decision_id, end)


def _effect(state: Decision, sanction: str, end: date) -> g.Effect:
    i = state.issued
    kinds = tuple(dict.fromkeys(x.kind for x in locks_of(state)))  # as they stand (A5 change)
    return g.Effect(state.person_id, sanction, i.start, end, i.period_months or None, kinds)


# --- timers --------------------------------------------------------------------------------------


def timers(state: Decision, policy: DecisionPolicy) -> dict[str, tuple[datetime, object]]:
    """The timers the decision wants pending now (ids unique within the decision):
    `end:<YYYY-MM-DD>` at its period's end while in effect and not yet met; `item:<item_id>:<stage>`
    at the day after each OPEN item's due date (DUE) and, when later, its latest due date
    (LATEST_DUE), until raised. None for an impact record or a decision not issued."""
    if not state.issued:
        return {}
    wanted: dict[str, tuple[datetime, object]] = {}
    end = period_end(state)
    sanction = current_sanction(state)
    if (
        state.status in IN_EFFECT
        and end is not None
        and sanction != p.EXPULSION
        and not _period_handled(state, end)
        and not (state.probation and state.probation.outcome == p.RESTORE)
    ):
        wanted[f"end:{end.isoformat()}"] = (start_of(end, policy), _end_event(state, end))
    for item_id, found in state.items.items():
        if found.status != OPEN:
            continue
        i = found.item
        for stage, on in ((DUE, i.due), (LATEST_DUE, i.latest_due)):
            if stage == LATEST_DUE and not (i.latest_due and i.latest_due > i.due):
                continue
            if (item_id, stage) in state.overdue_raised:
                continue
            event = ev.ExecutionItemOverdue(state.decision_id, item_id, i.kind, i.owner, i.agency, i.office, on, stage)
            wanted[f"item:{item_id}:{stage}"] = (start_of(on + timedelta(days=1), policy), event)
    return wanted


def _end_command(e, by) -> c.EndPeriod:
    return c.EndPeriod(e.decision_id, e.on, by)


TIMER_COMMANDS = {
    ev.SanctionLifted: _end_command,
    ev.EffectPeriodEnded: _end_command,
    ev.ProbationReviewDue: _end_command,
    ev.ExecutionItemOverdue: lambda e, by: c.RecordItemOverdue(e.decision_id, e.item_id, e.stage, by),
}


# --- commands --------------------------------------------------------------------------------------


def _require_date(value, name: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise Validation(name, "is required (a date)")
    return value


def end_period(cmd: c.EndPeriod, state: Decision, policy: DecisionPolicy) -> list:
    """The period's end (a timer's). A stale timer (the period moved, or its end was already met,
    or the decision is no longer in effect) changes nothing."""
    if not state.issued:
        require_status(state, IN_EFFECT, "end the effect period")
    on = _require_date(cmd.on, "on")
    end = period_end(state)
    if state.status not in IN_EFFECT or end is None or on != end or _period_handled(state, end):
        return []
    sanction = current_sanction(state)
    if state.family == s.GOVERNMENT:
        open_cases = tuple(sorted(set(cmd.open_cases)))
        if open_cases:  # G10 (PSL 13, 26): a case filed within the period is open at its end
            return [ev.LiftBlocked(state.decision_id, end, open_cases)]
        lifted = g.lift(_effect(state, sanction, end), on, open_case=False)  # G9 (PSL 26)
        return [ev.SanctionLifted(state.decision_id, lifted.on, lifted.locks_ended, lifted.not_restored)]
    if sanction == p.PROBATION:  # P4 (Regs 12): a decision follows, never automatic
        if state.probation and state.probation.outcome == p.RESTORE:
            return []
        return [ev.ProbationReviewDue(state.decision_id, end)]
    if sanction == p.EXPULSION:
        return []
    decided = p.PartySanction(state.person_id, sanction, state.issued.start, end, (), ())
    ended = p.period_ended(decided, on)  # P8 (Regs 46): the fact only, nothing cancelled
    return [ev.EffectPeriodEnded(state.decision_id, ended.ended_on)] if ended else []


def retry_lift(cmd: c.RetryLift, state: Decision, policy: DecisionPolicy) -> list:
    """G10 (PSL 13, 26): the lift held back is made once no case filed within the period is open,
    on the day the last of them was decided (never before the period's end). Nothing to do (not
    held back, lifted already, or still a case open): nothing recorded."""
    on = _require_date(cmd.on, "on")
    blocked = state.lift_blocked
    if blocked is None or state.lifted or state.status not in IN_EFFECT or state.family != s.GOVERNMENT:
        return []
    if cmd.open_cases:
        return []
    end = period_end(state) or blocked.on
    lifted = g.lift(_effect(state, current_sanction(state), end), max(on, end), open_case=False)
    return [
        ev.SanctionLifted(
            state.decision_id, max(on, end), lifted.locks_ended, lifted.not_restored, tuple(blocked.case_ids)
        )
    ]


def decide_probation(cmd: c.DecideProbation, state: Decision, policy: DecisionPolicy) -> list:
    """P4 (Regs 12): RESTORE or EXTEND once the probation's review is due (ProbationReviewDue at its
    current end); EXPEL also before the end (a further violation). Once restored or expelled,
    nothing more."""
    require_status(state, IN_EFFECT, "decide the probation")
    outcome = one_of((cmd.outcome or "").strip(), OUTCOMES, "outcome")
    decided_on = _require_date(cmd.decided_on, "decided_on")
    if current_sanction(state) != p.PROBATION:
        raise IllegalState(
            current_sanction(state) or "NOT_ISSUED",
            f"decide the probation: refused by {P4}: not a probation (留党察看)",
        )
    if state.probation and state.probation.outcome in (p.RESTORE, p.EXPEL):
        raise IllegalState(state.probation.outcome, "decide the probation again")
    if decided_on < state.issued.start:
        raise Validation("decided_on", f"must not be before the decision ({state.issued.start})")
    end = period_end(state)
    if outcome != p.EXPEL and not (state.probation_due and state.probation_due.on >= end):
        raise IllegalState(
            f"on probation until {end}", f"{outcome.lower()} it: refused by {P4}: the review is due at its end ({end})"
        )
    extended = bool(state.probation and state.probation.outcome == p.EXTEND)
    probation = p.Probation(state.issued.start, end, extended)
    facts = state.opened.facts or f.PersonFacts(state.person_id)
    try:
        decided = p.decide_probation_end(probation, outcome, decided_on, facts, rules=policy.rules.party)
    except Validation as e:
        raise Validation("outcome", e.problem) from None
    if outcome == p.EXPEL:
        locks = decided.expulsion.locks
        new_end = None
    elif outcome == p.EXTEND:
        locks, new_end = decided.locks, decided.probation.end
    else:
        locks, new_end = decided.locks, None
    return [ev.ProbationDecided(state.decision_id, outcome, decided_on, cmd.by.user, new_end, tuple(locks))]


def record_item_overdue(cmd: c.RecordItemOverdue, state: Decision, policy: DecisionPolicy) -> list:
    """§4d: an OPEN item past its due date (DUE) or its latest due date (LATEST_DUE): once per stage;
    a DONE or CLOSED item, or a stage already raised, changes nothing."""
    if not state.issued:
        require_status(state, IN_EFFECT, "record an item overdue")
    stage = one_of(cmd.stage, STAGES, "stage")
    found = state.items.get(cmd.item_id)
    if found is None:
        raise NotFound("execution item", f"{state.decision_id}/{cmd.item_id}")
    i = found.item
    if found.status != OPEN or (cmd.item_id, stage) in state.overdue_raised:
        return []
    if stage == LATEST_DUE and not (i.latest_due and i.latest_due > i.due):
        return []
    on = i.due if stage == DUE else i.latest_due
    return [ev.ExecutionItemOverdue(state.decision_id, i.item_id, i.kind, i.owner, i.agency, i.office, on, stage)]


DECIDE = {
    c.EndPeriod: end_period,
    c.RetryLift: retry_lift,
    c.DecideProbation: decide_probation,
    c.RecordItemOverdue: record_item_overdue,
}


# --- evolve ----------------------------------------------------------------------------------------


def _probation_decided(state: Decision, e: ev.ProbationDecided) -> Decision:
    """P4: the decision recorded; the review task (PROBATION_REVIEW) is done by it."""
    items = state.items
    for item_id, found in state.items.items():
        if found.item.kind == it.PROBATION_REVIEW and found.status == OPEN:
            items = with_item(replace(state, items=items), item_id, status=DONE, reported_by=e.decided_by)
    return replace(state, probation=e, items=items)


EVOLVE = {
    ev.SanctionLifted: lambda state, e: replace(state, status=LIFTED, lifted=e),
    ev.LiftBlocked: lambda state, e: replace(state, lift_blocked=e),
    ev.EffectPeriodEnded: lambda state, e: replace(state, period_ended=e),
    ev.ProbationReviewDue: lambda state, e: replace(state, probation_due=e),
    ev.ProbationDecided: _probation_decided,
    ev.ExecutionItemOverdue: lambda state, e: replace(
        state, overdue_raised=state.overdue_raised | {(e.item_id, e.stage)}
    ),
}
