"""Appeals and reviews of an issued decision (domain.md §4c, A1-A5): lodged, accepted (a Party
appeal), decided within their limits, overdue the day after their decide-by date. Pure: `DECIDE`,
`EVOLVE`, `timers` and `TIMER_COMMANDS` join the decision's façade (`decision._MODULES`); the
rules themselves are `appeals.py`'s.

- LodgeAppeal: PARTY_APPEAL (申诉, A1, Rules 59) for a Party decision, no deadline; REVIEW (复审,
  A2, SL 56) or RECHECK (复核, A3: only after a decided REVIEW) for a government one, applied for
  within 1 month of receipt (REVIEW's receipt defaults to the recorded delivery to the person); a
  late one is flagged (`late`), never refused (accepting it is the body's call). One undecided
  appeal at a time. Ids `appeal-1`, `appeal-2` … in order.
- AcceptAppeal (A1): a Party appeal only; the 复议复查 team excludes the case's original
  investigators and trial reviewers (`original_handlers`, filled in the command's transaction
  from the service's case directory); due in 3 months ([appeals] appeal_decide_months).
- DecideAppeal (A5, PSL 57-60, via `appeals.decide_review`): UPHOLD changes nothing. CHANGE (PSL
  58, never heavier: A4) → the changed sanction stands, with its new end from THE SAME rules as
  the issue (`preview.preview` on the changed sanction, counted from the issue date), the open
  items the changed sanction no longer brings CLOSED, the open items due at the old end moved to
  the new one, and ADJUST_POST_AND_PAY added. REVOKE (PSL 57) → status REVOKED, every open item
  CLOSED, the compensating items added (restore grade and pay, post, reputation notice,
  compensation through finance; property returned, PSL 60), nothing in force after. The
  compensating items are due in [appeals] compensation_months (local) and owned per [owners].
- RecordAppealOverdue (a timer's, the day after decide_by 00:00 in the service's zone): once.

A4 (SL 56; PSL 55): execution is never suspended — nothing here blocks an item or a timer.
Errors: Validation naming the field ("refused by A1 (Rules 59): ..."), IllegalState naming the
state, NotFound for an unknown appeal.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from kernel.domain import facts as f, sanctions as s
from kernel.domain.errors import IllegalState, NotFound, Validation
from services.sanctions.domain import appeals as a, commands as c, events as ev, items as it
from services.sanctions.domain.decision_reads import period_of, standing
from services.sanctions.domain.decision_state import (
    CLOSED,
    IN_EFFECT,
    LIFTED,
    LINE_LIMIT,
    OPEN,
    PERSON,
    REVOKED,
    AppealState,
    Decision,
    DecisionPolicy,
    ItemState,
    one_line,
    require_status,
)
from services.sanctions.domain.preview import preview

PARTY_APPEAL, REVIEW, RECHECK = "PARTY_APPEAL", "REVIEW", "RECHECK"
KINDS = (PARTY_APPEAL, REVIEW, RECHECK)
APPEALABLE = (*IN_EFFECT, LIFTED)  # a lifted sanction may still be appealed; a revoked one is gone
MAX_TEAM = 10


def _day(value, name: str) -> date:
    if not isinstance(value, date):
        raise Validation(name, "is required")
    return value


def _appeal(state: Decision, appeal_id: str) -> AppealState:
    found = state.appeals.get((appeal_id or "").strip())
    if found is None:
        raise NotFound("appeal", f"{state.decision_id}/{appeal_id}")
    return found


def lodge(cmd: c.LodgeAppeal, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, APPEALABLE, "lodge an appeal")
    if cmd.kind not in KINDS:
        raise Validation("kind", f"one of {', '.join(KINDS)}")
    party = state.family == s.PARTY
    if party and cmd.kind != PARTY_APPEAL:
        raise Validation(
            "kind", f"refused by A1 (Rules 59): a Party decision is appealed (PARTY_APPEAL), not {cmd.kind}"
        )
    if not party and cmd.kind == PARTY_APPEAL:
        raise Validation("kind", "refused by A2 (SL 56): a government decision is reviewed (REVIEW, then RECHECK)")
    pending = next((x for x in state.appeals.values() if x.decided is None), None)
    if pending is not None:
        raise IllegalState(
            f"{pending.appeal_id} {pending.status}", f"lodge another appeal before {pending.appeal_id} is decided"
        )
    applied = _day(cmd.applied_on, "applied_on")
    issued_on = state.issued.start
    if applied < issued_on:
        raise Validation("applied_on", f"must not be before the decision ({issued_on})")
    rules = policy.rules.appeals
    appeal_id = f"appeal-{len(state.appeals) + 1}"
    done = [x for x in state.appeals.values() if x.lodged.kind == cmd.kind]
    if cmd.kind == PARTY_APPEAL:
        if cmd.received_on is not None:
            raise Validation("received_at", "refused by A1 (Rules 59): a Party appeal has no deadline; leave it unset")
        event = ev.AppealLodged(cmd.decision_id, appeal_id, PARTY_APPEAL, None, applied, None, False, None, cmd.by.user)
        return [event]
    if done:
        raise IllegalState(f"{done[0].appeal_id} decided", f"lodge a second {cmd.kind} (A2, A3: one each)")
    if cmd.kind == REVIEW:
        received = cmd.received_on
        if received is None:
            delivered = state.deliveries.get(PERSON)
            if delivered is None:
                raise Validation("received_at", "required: no delivery to the person is recorded (A2, SL 56)")
            received = policy.day(delivered.delivered_at)
        if received < issued_on:
            raise Validation("received_at", f"must not be before the decision ({issued_on})")
        application = a.apply_for_review(received, applied, rules=rules)
    else:
        review = next((x for x in state.appeals.values() if x.lodged.kind == REVIEW and x.decided), None)
        if review is None:
            raise IllegalState("no decided REVIEW", "lodge a RECHECK (A3, SL 56: 复核 follows a decided 复审)")
        received = _day(cmd.received_on, "received_at")
        if received < review.decided.decided_on:
            raise Validation("received_at", f"must not be before the 复审 decision ({review.decided.decided_on})")
        application = a.apply_for_recheck(received, applied, rules=rules)
    return [
        ev.AppealLodged(
            cmd.decision_id,
            appeal_id,
            cmd.kind,
            received,
            applied,
            application.apply_by,
            application.late,
            application.decide_by,
            cmd.by.user,
        )
    ]


def accept(cmd: c.AcceptAppeal, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, APPEALABLE, "accept an appeal")
    found = _appeal(state, cmd.appeal_id)
    if found.lodged.kind != PARTY_APPEAL:
        raise IllegalState(
            found.lodged.kind, f"accept {found.appeal_id}: only a Party appeal is accepted (A1, Rules 59)"
        )
    if found.status != "LODGED":
        raise IllegalState(found.status, f"accept {found.appeal_id} again")
    on = _day(cmd.accepted_on, "accepted_on")
    if on < found.lodged.applied_on:
        raise Validation("accepted_on", f"must not be before the appeal ({found.lodged.applied_on})")
    if len(cmd.team) > MAX_TEAM:
        raise Validation("team", f"at most {MAX_TEAM}")
    team = tuple(one_line(x, f"team[{i}]", LINE_LIMIT) for i, x in enumerate(cmd.team))
    accepted = a.accept_appeal(on, team, cmd.original_handlers, rules=policy.rules.appeals)
    return [ev.AppealAccepted(cmd.decision_id, found.appeal_id, accepted.team, on, accepted.decide_by, cmd.by.user)]


def _changed_period(state: Decision, sanction: str, policy: DecisionPolicy):
    """A5 (PSL 58): THE SAME rules as the issue (`preview.preview`) on the changed sanction, as
    the one assessment that now stands, counted from the issue date (the time served counts)."""
    o, d = state.opened, state.draft
    try:
        return preview(
            o.family,
            o.facts or f.PersonFacts(o.person_id),
            (s.Violation("A5 (PSL 58)", sanction),),
            sanction,
            state.issued.start,
            policy.calendar,
            period_months=(d.probation_months or None) if sanction == "PARTY_PROBATION" else None,
            heard_on=sanction,
            serious=o.serious,
            removal_from_office_recorded=d.removal_from_office is not None,
            gains_found=d.gains_found,
            appraisals=d.appraisals,
            rules=policy.rules,
        )
    except Validation as e:
        problem = e.problem if e.problem.startswith("refused by") else f"refused by {e.problem}"
        raise Validation("changed_to", f"{sanction}: {problem} ({e.field})") from None


def _numbered(state: Decision, items, policy: DecisionPolicy) -> tuple[ev.ExecutionItem, ...]:
    """The compensating items with ids unique in the decision (`kind`, `kind:n` from the second)
    and their owners' catalogue agency and office ([owners])."""
    seen: dict[str, int] = {}
    for x in state.items.values():
        seen[x.item.kind] = seen.get(x.item.kind, 0) + 1
    out = []
    for i in items:
        seen[i.kind] = n = seen.get(i.kind, 0) + 1
        agency, office = policy.rules.owners.place(i.owner)
        out.append(
            ev.ExecutionItem(
                i.kind, i.owner, i.due, i.latest_due, i.rule, i.kind if n == 1 else f"{i.kind}:{n}", agency, office
            )
        )
    return tuple(out)


def decide_appeal(cmd: c.DecideAppeal, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, APPEALABLE, "decide an appeal")
    found = _appeal(state, cmd.appeal_id)
    if found.decided is not None:
        raise IllegalState("DECIDED", f"decide {found.appeal_id} again")
    if found.lodged.kind == PARTY_APPEAL and found.accepted is None:
        raise IllegalState("LODGED", f"decide {found.appeal_id} before it is accepted (A1, Rules 59)")
    on = _day(cmd.decided_on, "decided_on")
    since = found.accepted.accepted_on if found.accepted else found.lodged.applied_on
    if on < since:
        raise Validation("decided_on", f"must not be before {since}")
    if cmd.property_taken and cmd.outcome != a.REVOKE:
        raise Validation("property_taken", "refused by A5 (PSL 60): property is returned on a revocation only")
    original = standing(state)
    try:
        r = a.decide_review(
            original,
            cmd.outcome,
            cmd.ground,
            on,
            changed_to=cmd.changed_to or None,
            property_taken=cmd.property_taken,
            due_months=policy.rules.appeals.compensation_months,
        )
    except Validation as e:
        raise Validation("changed_to" if e.field == "sanction" else e.field, e.problem) from None
    items = _numbered(state, r.items, policy)
    new_end, closed = None, ()
    if r.outcome == a.CHANGE:
        changed = _changed_period(state, r.sanction, policy)
        new_end = changed.end
        kinds = {i.kind for i in changed.items}
        closed = tuple(i.item.item_id for i in state.items.values() if i.status == OPEN and i.item.kind not in kinds)
    elif r.outcome == a.REVOKE:
        closed = tuple(i.item.item_id for i in state.items.values() if i.status == OPEN)
    decide_by = found.decide_by
    return [
        ev.AppealDecided(
            cmd.decision_id,
            found.appeal_id,
            r.outcome,
            r.ground,
            r.sanction if r.outcome == a.CHANGE else "",
            on,
            cmd.by.user,
            items,
            closed,
            bool(decide_by and on > decide_by),
            new_end,
        )
    ]


def record_overdue(cmd: c.RecordAppealOverdue, state: Decision, policy: DecisionPolicy) -> list:
    """A timer's: once, and only for an appeal still undecided with a decide-by date (a stale
    timer changes nothing)."""
    found = state.appeals.get(cmd.appeal_id)
    if found is None or found.decided is not None or found.overdue or found.decide_by is None:
        return []
    return [ev.AppealOverdue(cmd.decision_id, found.appeal_id, found.decide_by)]


DECIDE = {
    c.LodgeAppeal: lodge,
    c.AcceptAppeal: accept,
    c.DecideAppeal: decide_appeal,
    c.RecordAppealOverdue: record_overdue,
}


def timers(state: Decision, policy: DecisionPolicy) -> dict[str, tuple[datetime, object]]:
    """`appeal:<appeal_id>` at 00:00 (the service's zone) of the day after each undecided appeal's
    decide-by date, until it is raised."""
    wanted: dict[str, tuple[datetime, object]] = {}
    for x in state.appeals.values():
        if x.decided is None and not x.overdue and x.decide_by is not None:
            when = datetime.combine(x.decide_by + timedelta(days=1), time(), policy.zone)
            wanted[f"appeal:{x.appeal_id}"] = (when, ev.AppealOverdue(state.decision_id, x.appeal_id, x.decide_by))
    return wanted


TIMER_COMMANDS = {ev.AppealOverdue: lambda e, by: c.RecordAppealOverdue(e.decision_id, e.appeal_id, by)}


# --- evolve ----------------------------------------------------------------------------------------


def _with_appeal(state: Decision, appeal_id: str, **changes) -> dict[str, AppealState]:
    return {**state.appeals, appeal_id: replace(state.appeals[appeal_id], **changes)}


def _decided(state: Decision, e: ev.AppealDecided) -> Decision:
    appeals = _with_appeal(state, e.appeal_id, decided=e)
    old_end = period_of(state)[1]
    items = dict(state.items)
    for item_id in e.closed_items:
        if item_id in items and items[item_id].status == OPEN:
            items[item_id] = replace(items[item_id], status=CLOSED)
    if e.outcome == a.CHANGE and old_end is not None and e.new_end is not None and e.new_end != old_end:
        # the open items due at the old end (PROMOTION_LOCK, FOLLOW_UP_VISIT) move to the new one
        for item_id, i in items.items():
            if i.status == OPEN and i.item.due == old_end and i.item.kind in (it.PROMOTION_LOCK, it.FOLLOW_UP_VISIT):
                items[item_id] = replace(i, item=replace(i.item, due=e.new_end, latest_due=e.new_end))
    for i in e.items:
        items[i.item_id] = ItemState(i)
    status = REVOKED if e.outcome == a.REVOKE else state.status
    return replace(state, appeals=appeals, items=items, status=status)


EVOLVE = {
    ev.AppealLodged: lambda state, e: replace(
        state, appeals={**state.appeals, e.appeal_id: AppealState(e.appeal_id, e)}
    ),
    ev.AppealAccepted: lambda state, e: replace(state, appeals=_with_appeal(state, e.appeal_id, accepted=e)),
    ev.AppealDecided: _decided,
    ev.AppealOverdue: lambda state, e: replace(state, appeals=_with_appeal(state, e.appeal_id, overdue=True)),
}
