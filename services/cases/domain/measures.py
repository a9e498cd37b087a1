"""Investigation measures (调查措施), domain.md §3: each measure is its own stream `measure-<uuid>`,
linked to a case, with its own approval, time limit, extensions and timers. Pure: commands carry
the times; the rules (who approves, how long, which extensions) are configuration.

An expiry moves an ACTIVE measure to EXPIRED, after which it may be ended but never extended: an
expired detention cannot continue silently. Timer events (expiring, expired, notice overdue) may
arrive late; one whose moment has passed (the end moved, the measure ended, the notice was given)
is stale and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import partial

from kernel.domain.calendar import plus_months
from kernel.domain.checks import moment, require as _require
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.cases.domain import events as ev
from services.cases.domain.outcomes import text as _text

KINDS = (
    "DETENTION",
    "COMPELLED_APPEARANCE",
    "ORDERED_WAITING",
    "PROTECTIVE_CUSTODY",
    "TECHNICAL_INVESTIGATION",
    "EXIT_BAN",
    "INQUIRY",
    "FREEZING",
    "SEARCH",
    "SEIZURE",
    "SEALING",
    "APPRAISAL",
)
OUTCOMES = ("RELEASED", "CONVERTED", "LIFTED", "COMPLETED")
NONE, REQUESTED, ACTIVE, EXPIRED, REFUSED, ENDED = "NONE", "REQUESTED", "ACTIVE", "EXPIRED", "REFUSED", "ENDED"
RUNNING = (ACTIVE, EXPIRED)  # approved and not ended: an expired measure still awaits its end


# -- rules (configuration: deploy/config/measures.toml) -------------------------------------------


@dataclass(frozen=True)
class Span:
    """A length of time as the rules state it: calendar months (same time of day), days, hours."""

    months: int = 0
    days: int = 0
    hours: int = 0

    def after(self, moment: datetime) -> datetime:
        return plus_months(moment, self.months) + timedelta(days=self.days, hours=self.hours)

    def before(self, moment: datetime) -> datetime:
        return plus_months(moment, -self.months) - timedelta(days=self.days, hours=self.hours)


@dataclass(frozen=True)
class Extension:
    """One extension: its length, the role that grants it, whether it is the special one."""

    length: Span
    approver: str
    special: bool = False


@dataclass(frozen=True)
class KindRule:
    approvers: tuple[str, ...]  # roles that may approve or refuse the request
    limit: Span | None = None  # None: until lifted, or no time limit
    extensions: tuple[Extension, ...] = ()  # granted in this order, each at most once
    renewal: Extension | None = None  # after those, further grants as often as approved
    notice_within: Span | None = None  # the unit and family must be told within this
    warn_before: Span | None = None  # the expiring warning's lead (local practice)

    def next_extension(self, used: int) -> Extension | None:
        return self.extensions[used] if used < len(self.extensions) else self.renewal


@dataclass(frozen=True)
class MeasureRules:
    kinds: Mapping[str, KindRule]

    def of(self, kind: str) -> KindRule:
        return self.kinds[kind]


# -- commands ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestMeasure:
    measure_id: str
    case_id: str
    kind: str
    person_id: str
    office: str  # the case's holder when requested
    reason: str
    by: Principal
    liaison_office: str = ""  # the case's liaison when requested


@dataclass(frozen=True)
class ApproveMeasure:
    measure_id: str
    starts_at: datetime
    by: Principal


@dataclass(frozen=True)
class RefuseMeasure:
    measure_id: str
    reason: str
    by: Principal


@dataclass(frozen=True)
class GiveDetentionNotice:
    measure_id: str
    unit_notified_at: datetime
    family_notified_at: datetime
    by: Principal


@dataclass(frozen=True)
class ExtendMeasure:
    measure_id: str
    reason: str
    special: bool
    by: Principal
    at: datetime | None = None  # when decided: at or past the end it is too late, even before the timer fires


@dataclass(frozen=True)
class RecordNoticeOverdue:
    """From a timer: the detention notice was due at `due`."""

    measure_id: str
    due: datetime


@dataclass(frozen=True)
class RecordExpiring:
    """From a timer: the measure ending at `ends_at` is close to its end."""

    measure_id: str
    ends_at: datetime


@dataclass(frozen=True)
class RecordExpired:
    """From a timer: the measure's end `ends_at` has come."""

    measure_id: str
    ends_at: datetime


@dataclass(frozen=True)
class EndMeasure:
    measure_id: str
    outcome: str
    reason: str
    at: datetime
    by: Principal


# -- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    status: str = NONE
    requested: ev.MeasureRequested | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    extensions: int = 0
    warned_for: datetime | None = None  # the end the expiring warning was raised for
    notice_given: bool = False
    notice_overdue: bool = False
    outcome: str = ""


def _current_end(s: Measure, ends_at: datetime) -> bool:
    return s.status == ACTIVE and s.ends_at is not None and ends_at == s.ends_at


def _notice_pending(s: Measure) -> bool:
    return s.status in RUNNING and not s.notice_given and not s.notice_overdue


_EVOLVE = {
    ev.MeasureRequested: lambda s, e: Measure(status=REQUESTED, requested=e),
    ev.MeasureApproved: lambda s, e: replace(s, status=ACTIVE, starts_at=e.starts_at, ends_at=e.ends_at),
    ev.MeasureRefused: lambda s, e: replace(s, status=REFUSED),
    ev.DetentionNoticeGiven: lambda s, e: replace(s, notice_given=True),  # late stays on record as overdue
    ev.DetentionNoticeOverdue: lambda s, e: replace(s, notice_overdue=True) if _notice_pending(s) else s,
    ev.MeasureExtended: lambda s, e: replace(s, ends_at=e.ends_at, extensions=s.extensions + 1),
    ev.MeasureExpiring: lambda s, e: replace(s, warned_for=e.ends_at) if _current_end(s, e.ends_at) else s,
    ev.MeasureExpired: lambda s, e: replace(s, status=EXPIRED) if _current_end(s, e.ends_at) else s,
    ev.MeasureEnded: lambda s, e: replace(s, status=ENDED, outcome=e.outcome),
}


def evolve(state: Measure, event) -> Measure:
    """Timer events may be stale when folded (they live on the timer stream): those change nothing."""
    return _EVOLVE[type(event)](state, event)


def fold(events) -> Measure:
    state = Measure()
    for e in events:
        state = evolve(state, e)
    return state


# -- decide --------------------------------------------------------------------------------------

_moment = partial(moment, since="the measure started")


def _approver(state: Measure, by: Principal, roles: tuple[str, ...], act: str) -> None:
    """Only the rule's roles decide, and never the requester: requesting and approving are two people."""
    if by.role not in roles:
        raise Forbidden(f"{act} a {state.requested.kind} is for {' or '.join(roles)}, not {by.role}")
    if by.user == state.requested.requested_by:
        raise Forbidden(f"{by.user} requested this measure; another principal must {act} it")


def request(cmd: RequestMeasure, state: Measure, rules: MeasureRules):
    _require(state, (NONE,), "request a measure that exists")
    if cmd.kind not in rules.kinds:
        raise Validation("kind", f"must be one of {', '.join(k for k in KINDS if k in rules.kinds)}")
    return [
        ev.MeasureRequested(
            _text(cmd.measure_id, "measure_id"),
            _text(cmd.case_id, "case_id"),
            cmd.kind,
            _text(cmd.person_id, "person_id"),
            _text(cmd.office, "office"),
            _text(cmd.reason, "reason"),
            cmd.by.user,
            _text(cmd.liaison_office, "liaison_office", False),
        )
    ]


def approve(cmd: ApproveMeasure, state: Measure, rules: MeasureRules):
    _require(state, (REQUESTED,), "approve the measure")
    rule = rules.of(state.requested.kind)
    _approver(state, cmd.by, rule.approvers, "approve")
    starts = _moment(cmd.starts_at, "starts_at")
    ends = rule.limit.after(starts) if rule.limit else None
    return [ev.MeasureApproved(cmd.measure_id, cmd.by.role, cmd.by.user, starts, ends)]


def refuse(cmd: RefuseMeasure, state: Measure, rules: MeasureRules):
    _require(state, (REQUESTED,), "refuse the measure")
    _approver(state, cmd.by, rules.of(state.requested.kind).approvers, "refuse")
    return [ev.MeasureRefused(cmd.measure_id, _text(cmd.reason, "reason"), cmd.by.user, cmd.by.role)]


def give_notice(cmd: GiveDetentionNotice, state: Measure, rules: MeasureRules):
    operation = "give the detention notice"
    _require(state, RUNNING, operation)
    if rules.of(state.requested.kind).notice_within is None:
        raise IllegalState(f"{state.status} ({state.requested.kind} owes no notice)", operation)
    if state.notice_given:
        raise IllegalState(f"{state.status} (notice already given)", operation)
    unit = _moment(cmd.unit_notified_at, "unit_notified_at", state.starts_at)
    family = _moment(cmd.family_notified_at, "family_notified_at", state.starts_at)
    return [ev.DetentionNoticeGiven(cmd.measure_id, unit, family, cmd.by.user)]


def extend(cmd: ExtendMeasure, state: Measure, rules: MeasureRules):
    operation = "extend the measure"
    _require(state, (ACTIVE,), operation)  # EXPIRED included: an expired measure may only be ended
    step = rules.of(state.requested.kind).next_extension(state.extensions) if state.ends_at else None
    if step is None:
        raise IllegalState(
            f"{state.status} ({state.requested.kind}: {state.extensions} extension(s) granted, "
            "no further extension allowed)",
            operation,
        )
    if cmd.special != step.special:
        raise Validation(
            "special",
            "the next extension is the special one (national approval)"
            if step.special
            else "the next extension is an ordinary one; a special one comes only after it",
        )
    if cmd.at is not None and _moment(cmd.at, "at", state.starts_at) >= state.ends_at:
        raise IllegalState(f"{EXPIRED} (ended {state.ends_at.isoformat()})", operation)
    _approver(state, cmd.by, (step.approver,), "extend")
    return [
        ev.MeasureExtended(
            cmd.measure_id,
            step.length.after(state.ends_at),
            _text(cmd.reason, "reason"),
            cmd.by.role,
            cmd.by.user,
            step.special,
        )
    ]


def notice_overdue(cmd: RecordNoticeOverdue, state: Measure, rules: MeasureRules):
    owed = _notice_pending(state) and rules.of(state.requested.kind).notice_within is not None
    return [ev.DetentionNoticeOverdue(cmd.measure_id, cmd.due)] if owed else []


def expiring(cmd: RecordExpiring, state: Measure, rules: MeasureRules):
    current = _current_end(state, cmd.ends_at) and state.warned_for != cmd.ends_at
    return [ev.MeasureExpiring(cmd.measure_id, cmd.ends_at)] if current else []


def expired(cmd: RecordExpired, state: Measure, rules: MeasureRules):
    return [ev.MeasureExpired(cmd.measure_id, cmd.ends_at)] if _current_end(state, cmd.ends_at) else []


def end(cmd: EndMeasure, state: Measure, rules: MeasureRules):
    _require(state, RUNNING, "end the measure")
    if cmd.outcome not in OUTCOMES:
        raise Validation("outcome", f"must be one of {', '.join(OUTCOMES)}")
    ended = _moment(cmd.at, "at", state.starts_at)
    return [ev.MeasureEnded(cmd.measure_id, cmd.outcome, _text(cmd.reason, "reason"), cmd.by.user, ended)]


_DECIDE = {
    RequestMeasure: request,
    ApproveMeasure: approve,
    RefuseMeasure: refuse,
    GiveDetentionNotice: give_notice,
    ExtendMeasure: extend,
    RecordNoticeOverdue: notice_overdue,
    RecordExpiring: expiring,
    RecordExpired: expired,
    EndMeasure: end,
}
_FROM_TIMER = (RecordNoticeOverdue, RecordExpiring, RecordExpired)


def decide(command, state: Measure, rules: MeasureRules) -> list:
    """The command's events. A timer's command is never refused: it is current, or stale and yields []."""
    if isinstance(command, _FROM_TIMER) and state.status == NONE:
        return []
    if state.requested and command.measure_id != state.requested.measure_id:
        raise Validation("measure_id", f"names another measure than {state.requested.measure_id}")
    return _DECIDE[type(command)](command, state, rules)


# -- timers and the office's ledger --------------------------------------------------------------


def notice_due(state: Measure, rules: MeasureRules) -> datetime | None:
    """When the unit and family must have been told, while they have not been (nor overdue recorded)."""
    if not _notice_pending(state):
        return None
    within = rules.of(state.requested.kind).notice_within
    return within.after(state.starts_at) if within else None


def utc_key(at: datetime) -> str:
    """An instant as a timer key: the same text for the same instant, whatever zone it came in
    (a time zone in the key renamed the timers when an approval's +08:00 end was read back in UTC)."""
    return at.astimezone(timezone.utc).isoformat()


def approver_roles(kind: str, status: str, extensions: int, has_end: bool, rules: MeasureRules) -> frozenset[str]:
    """The roles its rule names for the approvals the measure had or awaits (need to know, issue
    17): the request's (whoever approved or refused it held one), those of the extensions granted,
    and the next extension's while it runs towards an end. From what its ledger line holds too."""
    if status == NONE:
        return frozenset()
    rule = rules.of(kind)
    roles = set(rule.approvers) | {rule.next_extension(k).approver for k in range(extensions)}
    upcoming = rule.next_extension(extensions) if status == ACTIVE and has_end else None
    return frozenset(roles | ({upcoming.approver} if upcoming else set()))


def kinds_approved_by(role: str, rules: MeasureRules) -> tuple[str, ...]:
    """The kinds whose rule names `role` for an approval (a list query's first cut)."""
    steps = lambda r: (*r.extensions, *([r.renewal] if r.renewal else []))  # noqa: E731
    return tuple(k for k, r in rules.kinds.items() if role in r.approvers or role in {e.approver for e in steps(r)})


def timers_for(state: Measure, rules: MeasureRules) -> dict[str, tuple[datetime, object]]:
    """The timers an active measure needs: key -> (fire at, event to raise). The expiry keys name the
    end they watch, so an extension's new end is a new timer and the old ones are cancelled."""
    if state.status != ACTIVE:
        return {}
    mid, out = state.requested.measure_id, {}
    if state.ends_at is not None:
        end_key = f"{mid}:{utc_key(state.ends_at)}"
        lead = rules.of(state.requested.kind).warn_before
        if lead:
            out[f"expiring:{end_key}"] = (lead.before(state.ends_at), ev.MeasureExpiring(mid, state.ends_at))
        out[f"expired:{end_key}"] = (state.ends_at, ev.MeasureExpired(mid, state.ends_at))
    due = notice_due(state, rules)
    if due:
        out[f"notice:{mid}"] = (due, ev.DetentionNoticeOverdue(mid, due))
    return out


def ledger_row(state: Measure, rules: MeasureRules) -> dict:
    """The measure's line in its office's ledger (调查措施台账). `notice_due` is the deadline still
    open; the flags are what the events recorded (the app may recompute them against a clock)."""
    r = state.requested
    return {
        "measure_id": r.measure_id,
        "case_id": r.case_id,
        "office": r.office,
        "kind": r.kind,
        "person_id": r.person_id,
        "status": state.status,
        "starts_at": state.starts_at,
        "ends_at": state.ends_at,
        "extensions": state.extensions,
        "notice_due": notice_due(state, rules),
        "notice_given": state.notice_given,
        "notice_overdue": state.notice_overdue,
        "expired_not_ended": state.status == EXPIRED,
        "liaison": r.liaison_office,  # as recorded: "" before holdings were (the catalogue's applies)
    }
