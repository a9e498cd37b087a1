"""Investigation measures (调查措施), domain.md §3: each measure is its own stream `measure-<uuid>`,
linked to a case, with its own approval, time limit, extensions and timers. Pure: commands carry
the times; the rules (who approves, how long, which extensions) are configuration.

An expiry moves an ACTIVE measure to EXPIRED, after which it may be ended but never extended: an
expired detention cannot continue silently. Timer events (expiring, expired, notice overdue) may
arrive late; one whose moment has passed (the end moved, the measure ended, the notice was given)
is stale and changes nothing.

Issue 19: the rules are those of the commission's level. Who approves, in which steps and with
which collective decision: `measure_approvals` (SL 33, 46, 47); a detention's extensions, +2
months and recounting: `detention` (SL 48; IR2025 133); what measures ask of each other (管护's
grounds, a compelled appearance's 24 hours and gap, conversions): `measure_conditions` (SL 25, 46).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import partial

from kernel.domain.calendar import Span
from kernel.domain.checks import moment, require as _require
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.facts import PersonFacts
from kernel.domain.meetings import LEADERSHIP, CollectiveDecision
from kernel.domain.principal import Principal
from services.cases.domain import (
    detention as dt,
    events as ev,
    measure_approvals as ma,
    measure_conditions as mc,
    measure_duties as md,
    measure_safeguards as ms,
)
from services.cases.domain.filing import MANAGES
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
    "CONFINEMENT",  # 禁闭 of the commission's own staff, at most 7 days (SL 64)
)
OUTCOMES = ("RELEASED", "CONVERTED", "LIFTED", "COMPLETED")
NONE, REQUESTED, ACTIVE, EXPIRED, REFUSED, ENDED = "NONE", "REQUESTED", "ACTIVE", "EXPIRED", "REFUSED", "ENDED"
RUNNING = (ACTIVE, EXPIRED)  # approved and not ended: an expired measure still awaits its end


# -- rules (configuration: deploy/config/measures.toml) -------------------------------------------


@dataclass(frozen=True)
class Extension:
    """One extension: its length, the role that grants it, whether it is the special one (a
    detention's +2 months, SL 48 ¶2: its conditions in `detention`), whether the approver states
    the length, at most `length` (管护: 1 to 3 days, SL 46 ¶4)."""

    length: Span
    approver: str
    special: bool = False
    stated: bool = False


@dataclass(frozen=True)
class KindRule:
    approvers: tuple[str, ...]  # roles that may approve or refuse the request
    limit: Span | None = None  # None: until lifted, or no time limit
    extensions: tuple[Extension, ...] = ()  # granted in this order, each at most once
    renewal: Extension | None = None  # after those, further grants as often as approved
    notice_within: Span | None = None  # the unit and family must be told within this
    warn_before: Span | None = None  # the expiring warning's lead (local practice)
    before_filing: bool = False  # may be requested on a clue under preliminary check (SL 25, 41)
    # Issue 19, at the commission's level (measure_approvals; SL 33, 46-48):
    collective: bool = False  # the approvers enter the leadership's collective decision (SL 47)
    upper: str = ""  # the upper commission's approval, entered by this role ("": none)
    upper_collective: bool = False  # ... as the upper level's collective decision (SL 47)
    national_filing: bool = False  # a filing (备案) with the national commission is owed (SL 47)
    committee_head: bool = False  # the same-level Party committee head for its cadres (unverified)
    recount: Extension | None = None  # a detention's recounting and its approver (SL 48 ¶3); None: not here
    followed_limit: Span | None = None  # compelled appearance: the limit when 管护 or 留置 follows (SL 46)
    min_gap: Span | None = None  # compelled appearance: the least gap after the last one ended (SL 46 ¶2)

    def next_extension(self, used: int) -> Extension | None:
        return self.extensions[used] if used < len(self.extensions) else self.renewal


@dataclass(frozen=True)
class MeasureRules:
    """The rules of each kind at the commission's `level`, and the least attendees of the
    leadership's collective decision (`quorum`, local practice)."""

    kinds: Mapping[str, KindRule]
    level: str = "COUNTY"
    quorum: Mapping[str, int] = field(default_factory=lambda: {LEADERSHIP: 3})
    duties: md.DutyRules = md.DutyRules()  # the duties common to measures (SL 44, 50, 74(7); IR2025 134)
    safeguards: ms.SafeguardRules = ms.SafeguardRules()  # release, search, complaints, offset (SL 26-28, 50, 69)

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
    clue_id: str = ""  # before filing (SL 25, 41): the clue instead of the case (`case_id` "")
    custody_grounds: ev.CustodyGrounds | None = None  # 管护 only (SL 25)
    person_facts: PersonFacts | None = None  # the person's cadre level, where the committee head may approve


@dataclass(frozen=True)
class ApproveMeasure:
    measure_id: str
    starts_at: datetime
    by: Principal
    meeting: CollectiveDecision | None = None  # the step's collective decision (SL 47)
    others: tuple[mc.Related, ...] = ()  # the person's other compelled appearances (SL 46 ¶2)


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
    length: Span | None = None  # shorter than the rule's (or chosen: 管护 1-3 days, SL 46 ¶4); None: the rule's
    charge: ev.Charge | None = None  # a detention's +2 months: the job crime and its likely sentence (SL 48 ¶2)
    followed_by: mc.Related | None = None  # a compelled appearance's following 管护 or 留置 (SL 46)


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
class AttachToCase:
    """The case `case_id` was filed from the measure's clue: the measure follows the clue into it."""

    measure_id: str
    case_id: str
    clue_id: str


@dataclass(frozen=True)
class EndMeasure:
    measure_id: str
    outcome: str
    reason: str
    at: datetime
    by: Principal
    converted_to: mc.Related | None = None  # CONVERTED: the measure it becomes (e.g. ordered waiting)
    recording: ev.Recording | None = None  # a search, seizure or sealing COMPLETED: its recording (SL 44 ¶2)


RecountDetention = dt.RecountDetention  # a detention's time counted again (SL 48 ¶3)
RecordNationalFiling = ma.RecordNationalFiling  # the filing with the NCC a detention owes (SL 47)


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
    # Issue 19: approval steps given before the last (SL 47); extensions since the time last
    # counted from (a recounting starts again, SL 48 ¶3); the +2 months granted (once in all,
    # IR2025 133); recounted; when it ended; the 管护 or 留置 a compelled appearance's 24 h awaits.
    approvals: int = 0
    period_extensions: int = 0
    special_used: bool = False
    recounted: bool = False
    ended_at: datetime | None = None
    followed_by: str = ""
    filing_owed: bool = False  # a filing (备案) with the NCC owed, not yet made (SL 47)
    filed_nationally: bool = False
    duties: md.Duties = md.Duties()  # notices, change requests, execution, custody (measure_duties)
    safeguards: ms.Safeguards = ms.Safeguards()  # property found unrelated, complaints (measure_safeguards)


def _current_end(s: Measure, ends_at: datetime) -> bool:
    return s.status == ACTIVE and s.ends_at is not None and ends_at == s.ends_at


def _notice_pending(s: Measure) -> bool:
    return s.status in RUNNING and not s.notice_given and not s.notice_overdue and not s.duties.deferred


_EVOLVE = {
    ev.MeasureRequested: lambda s, e: Measure(status=REQUESTED, requested=e),
    ev.MeasureApproved: lambda s, e: replace(
        s, status=ACTIVE, starts_at=e.starts_at, ends_at=e.ends_at, filing_owed=e.national_filing_owed
    ),
    ev.MeasureFiledWithNational: lambda s, e: replace(s, filing_owed=False, filed_nationally=True),
    ev.MeasureRefused: lambda s, e: replace(s, status=REFUSED),
    ev.DetentionNoticeGiven: lambda s, e: replace(s, notice_given=True),  # late stays on record as overdue
    ev.DetentionNoticeOverdue: lambda s, e: replace(s, notice_overdue=True) if _notice_pending(s) else s,
    ev.MeasureApprovalGiven: lambda s, e: replace(s, approvals=s.approvals + 1),
    ev.MeasureExtended: lambda s, e: replace(
        s,
        ends_at=e.ends_at,
        extensions=s.extensions + 1,
        period_extensions=s.period_extensions + 1,
        special_used=s.special_used or e.special,
        followed_by=e.followed_by or s.followed_by,
    ),
    ev.DetentionRecounted: lambda s, e: replace(s, ends_at=e.ends_at, recounted=True, period_extensions=0),
    ev.MeasureExpiring: lambda s, e: replace(s, warned_for=e.ends_at) if _current_end(s, e.ends_at) else s,
    ev.MeasureExpired: lambda s, e: replace(s, status=EXPIRED) if _current_end(s, e.ends_at) else s,
    ev.MeasureEnded: lambda s, e: md.ended(replace(s, status=ENDED, outcome=e.outcome, ended_at=e.ended_at), e),
    ev.MeasureAttachedToCase: lambda s, e: replace(s, requested=replace(s.requested, case_id=e.case_id)),
    **md.EVOLVE,  # the duties common to measures
    **ms.EVOLVE,  # the person's safeguards (SL 26, 28, 69)
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


def check_target(case_id: str, clue_id: str) -> None:
    """A measure names its case, or before filing its clue (SL 25, 41): exactly one of them."""
    if bool((case_id or "").strip()) == bool((clue_id or "").strip()):
        field = "clue_id" if clue_id else "case_id"
        raise Validation(field, "name the case, or before filing the clue: exactly one of case_id, clue_id")


def request(cmd: RequestMeasure, state: Measure, rules: MeasureRules):
    _require(state, (NONE,), "request a measure that exists")
    if cmd.kind not in rules.kinds:
        raise Validation("kind", f"must be one of {', '.join(k for k in KINDS if k in rules.kinds)}")
    check_target(cmd.case_id, cmd.clue_id)
    if cmd.clue_id and not rules.of(cmd.kind).before_filing:
        allowed = ", ".join(k for k, r in rules.kinds.items() if r.before_filing) or "none configured"
        raise Validation("kind", f"{cmd.kind} is not allowed before filing (SL 25, 41; allowed: {allowed})")
    return [
        ev.MeasureRequested(
            _text(cmd.measure_id, "measure_id"),
            _text(cmd.case_id, "case_id", not cmd.clue_id),
            cmd.kind,
            _text(cmd.person_id, "person_id"),
            _text(cmd.office, "office"),
            _text(cmd.reason, "reason"),
            cmd.by.user,
            _text(cmd.liaison_office, "liaison_office", False),
            clue_id=_text(cmd.clue_id, "clue_id", False),
        )
    ]


def _by_level(cmd: RequestMeasure, state: Measure, rules: MeasureRules):
    """The request, with what its approvals and conditions need (issue 19): the commission's level,
    a 管护's grounds (SL 25), and whether the same-level Party committee manages the person where
    its head approves (the cadre level stated: FAILED_PRECONDITION naming it otherwise)."""
    events = request(cmd, state, rules)
    rule = rules.of(cmd.kind)
    grounds = mc.custody_grounds(cmd.kind, cmd.custody_grounds)
    facts, managed = None, False
    if rule.committee_head:
        facts = cmd.person_facts if cmd.person_facts is not None else PersonFacts(cmd.person_id)
        if facts.person_id != cmd.person_id:
            raise Validation("person_facts.person_id", f"must be the measure's person {cmd.person_id}")
        managed = facts.need_cadre().level == MANAGES[rules.level]
    elif cmd.person_facts is not None:
        facts = cmd.person_facts
    extra = dict(commission_level=rules.level, custody_grounds=grounds, managed=managed, person_facts=facts)
    return [replace(events[0], **extra)]


def _managed(state: Measure) -> bool:
    return state.requested.managed


def approve(cmd: ApproveMeasure, state: Measure, rules: MeasureRules):
    """The step the measure awaits at the commission's level (measure_approvals; SL 33, 46, 47); the
    last one starts it (a compelled appearance never right after another, SL 46 ¶2)."""
    _require(state, (REQUESTED,), "approve the measure")
    r, rule = state.requested, rules.of(state.requested.kind)
    step = ma.awaited(rule, _managed(state), state.approvals)
    meeting = ma.check_step(step, cmd.by, r.requested_by, r.kind, cmd.meeting, rules.quorum, "approve")
    starts = _moment(cmd.starts_at, "starts_at")
    if ma.awaited(rule, _managed(state), state.approvals + 1) is not None:
        return [ev.MeasureApprovalGiven(cmd.measure_id, step.name, cmd.by.role, cmd.by.user, meeting, rules.level)]
    if r.kind == mc.APPEARANCE:
        mc.not_consecutive(cmd.others, r.measure_id, starts, rule.min_gap)
    ends = rule.limit.after(starts) if rule.limit else None
    chained = state.approvals > 0 or step.collective or bool(r.commission_level)
    extra = dict(step=step.name, meeting=meeting, commission_level=rules.level) if chained else {}
    owed = {"national_filing_owed": True} if rule.national_filing else {}
    return [ev.MeasureApproved(cmd.measure_id, cmd.by.role, cmd.by.user, starts, ends, **extra, **owed)]


def refuse(cmd: RefuseMeasure, state: Measure, rules: MeasureRules):
    """Refused by a role of the step it awaits (the upper level may refuse what was decided below)."""
    _require(state, (REQUESTED,), "refuse the measure")
    r, rule = state.requested, rules.of(state.requested.kind)
    step = ma.awaited(rule, _managed(state), state.approvals)
    ma.check_step(step, cmd.by, r.requested_by, r.kind, None, rules.quorum, "refuse")
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


def _followed(cmd: ExtendMeasure, state: Measure, rule: KindRule):
    """A compelled appearance runs to its longer limit (24 h) only when 管护 or 留置 of the person
    follows (SL 46): a condition, once, not an extension."""
    operation = "let the compelled appearance run until the measure that follows"
    if state.followed_by:
        raise IllegalState(f"{state.status} (runs already until {state.followed_by} follows)", operation)
    if cmd.at is not None and _moment(cmd.at, "at", state.starts_at) >= state.ends_at:
        raise IllegalState(f"{EXPIRED} (ended {state.ends_at.isoformat()})", operation)
    following = mc.following(state, cmd.followed_by, operation)
    _approver(state, cmd.by, rule.approvers, "extend")
    return [
        ev.MeasureExtended(
            cmd.measure_id,
            rule.followed_limit.after(state.starts_at),
            _text(cmd.reason, "reason"),
            cmd.by.role,
            cmd.by.user,
            followed_by=following,
        )
    ]


def _length(cmd: ExtendMeasure, step: Extension, ends_at: datetime) -> Span:
    """The extension's length: the rule's, or a shorter one stated (the approver chooses it where
    the rule says so: 管护 1 to 3 days, SL 46 ¶4)."""
    if cmd.length is None:
        if step.stated:
            raise Validation("length", f"required: the approver chooses it, at most {_says(step.length)}")
        return step.length
    if cmd.length.after(ends_at) <= ends_at or cmd.length.after(ends_at) > step.length.after(ends_at):
        raise Validation("length", f"must be more than nothing and at most {_says(step.length)}")
    return cmd.length


def _says(span: Span) -> str:
    return ", ".join(f"{n} {unit}" for unit, n in vars(span).items() if n)


def extend(cmd: ExtendMeasure, state: Measure, rules: MeasureRules):
    operation = "extend the measure"
    _require(state, (ACTIVE,), operation)  # EXPIRED included: an expired measure may only be ended
    rule = rules.of(state.requested.kind)
    if rule.followed_limit is not None and state.ends_at:
        return _followed(cmd, state, rule)
    step = rule.next_extension(state.period_extensions) if state.ends_at else None
    if step is not None and step.special and state.special_used:
        dt.special_charge(state.status, cmd.charge, True)  # the +2 months once in all (IR2025 133)
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
    charge = None
    if step.special and state.requested.kind == dt.DETENTION:
        charge = dt.special_charge(state.status, cmd.charge, state.special_used)  # SL 48 ¶2
    elif cmd.charge is not None:
        raise Validation("charge", "only for a detention's +2 months (SL 48 ¶2)")
    length = _length(cmd, step, state.ends_at)
    return [
        ev.MeasureExtended(
            cmd.measure_id,
            length.after(state.ends_at),
            _text(cmd.reason, "reason"),
            cmd.by.role,
            cmd.by.user,
            step.special,
            charge=charge,
        )
    ]


def recount(cmd: RecountDetention, state: Measure, rules: MeasureRules):
    _require(state, (ACTIVE,), "recount the detention")
    return dt.recount(cmd, state, rules.of(state.requested.kind))


def notice_overdue(cmd: RecordNoticeOverdue, state: Measure, rules: MeasureRules):
    owed = _notice_pending(state) and rules.of(state.requested.kind).notice_within is not None
    return [ev.DetentionNoticeOverdue(cmd.measure_id, cmd.due)] if owed else []


def expiring(cmd: RecordExpiring, state: Measure, rules: MeasureRules):
    current = _current_end(state, cmd.ends_at) and state.warned_for != cmd.ends_at
    return [ev.MeasureExpiring(cmd.measure_id, cmd.ends_at)] if current else []


def expired(cmd: RecordExpired, state: Measure, rules: MeasureRules):
    return [ev.MeasureExpired(cmd.measure_id, cmd.ends_at)] if _current_end(state, cmd.ends_at) else []


def attach(cmd: AttachToCase, state: Measure, rules: MeasureRules):
    """A measure taken on a clue before filing follows the clue into its case, once: again into the
    same case records nothing (a redelivered filing, a restart); into another case is refused."""
    operation = "attach the measure to the case filed from its clue"
    _require(state, (REQUESTED, *RUNNING, REFUSED, ENDED), operation)
    r = state.requested
    if not r.clue_id or r.clue_id != cmd.clue_id:
        raise IllegalState(f"{state.status} (requested on {r.clue_id or r.case_id}, not on {cmd.clue_id})", operation)
    if r.case_id == cmd.case_id:
        return []
    if r.case_id:
        raise IllegalState(f"{state.status} (already the measure of {r.case_id})", operation)
    return [ev.MeasureAttachedToCase(cmd.measure_id, _text(cmd.case_id, "case_id"), cmd.clue_id)]


def end(cmd: EndMeasure, state: Measure, rules: MeasureRules):
    _require(state, RUNNING, "end the measure")
    md.check_end_outcome(cmd.outcome)  # CUSTODY_TRANSFERRED: TransferCustody records it (IR2025 134)
    ms.check_end(cmd.outcome, state)  # property found unrelated is released (SL 26, 28)
    if cmd.outcome not in OUTCOMES:
        raise Validation("outcome", f"must be one of {', '.join(OUTCOMES)}")
    ended = _moment(cmd.at, "at", state.starts_at)
    into = mc.converted_to(state, cmd.outcome, cmd.converted_to)  # linked (SL 48: convert when unneeded)
    extra = {"converted_to": into} if into else {}
    recording = md.end_recording(cmd.outcome, cmd.recording, state, rules)  # SL 44 ¶2
    extra |= {"recording": recording} if recording else {}
    return [ev.MeasureEnded(cmd.measure_id, cmd.outcome, _text(cmd.reason, "reason"), cmd.by.user, ended, **extra)]


_DECIDE = {
    RequestMeasure: _by_level,
    ApproveMeasure: approve,
    RefuseMeasure: refuse,
    GiveDetentionNotice: give_notice,
    ExtendMeasure: extend,
    RecordNoticeOverdue: notice_overdue,
    RecordExpiring: expiring,
    RecordExpired: expired,
    EndMeasure: end,
    RecountDetention: recount,
    RecordNationalFiling: lambda cmd, state, rules: ma.record_national_filing(cmd, state),
    AttachToCase: attach,
    **md.DECIDE,  # the duties common to measures
    **ms.DECIDE,  # the person's safeguards; wraps execution (SL 27) and custody (SL 50 ¶4)
}
_FROM_TIMER = (RecordNoticeOverdue, RecordExpiring, RecordExpired, *md.FROM_TIMER, *ms.FROM_TIMER)


def decide(command, state: Measure, rules: MeasureRules) -> list:
    """The command's events. A timer's command is never refused: it is current, or stale and yields []."""
    if isinstance(command, _FROM_TIMER) and state.status == NONE:
        return []
    if state.requested and command.measure_id != state.requested.measure_id:
        raise Validation("measure_id", f"names another measure than {state.requested.measure_id}")
    return _DECIDE[type(command)](command, state, rules)


# -- timers and the office's ledger --------------------------------------------------------------


def notice_due(state: Measure, rules: MeasureRules) -> datetime | None:
    """When the unit and family must have been told, while they have not been (nor overdue recorded):
    at the start, at once when a deferral ended, after a release (SL 50 ¶1; measure_duties)."""
    if state.requested is None:
        return None
    return md.notice_due(state, rules.of(state.requested.kind).notice_within, _notice_pending(state))


def utc_key(at: datetime) -> str:
    """An instant as a timer key: the same text for the same instant, whatever zone it came in
    (a time zone in the key renamed the timers when an approval's +08:00 end was read back in UTC)."""
    return at.astimezone(timezone.utc).isoformat()


def approver_roles(kind: str, status: str, extensions: int, has_end: bool, rules: MeasureRules) -> frozenset[str]:
    """The roles its rule names for the approvals the measure had or awaits (need to know, issue
    17): the request's (whoever approved or refused it held one), those of the extensions granted,
    and the next extension's while it runs towards an end; while EXPIRED, the alert roles too (the
    leaders' queue, SL 74(7); measure_duties). From what its ledger line holds too."""
    if status == NONE:
        return frozenset()
    rule = rules.of(kind)
    granted = (rule.next_extension(k) for k in range(extensions))  # a recounted detention counts again
    roles = ma.chain_roles(rule, True) | {e.approver for e in granted if e}  # every step of its level's chain
    upcoming = rule.next_extension(extensions) if status == ACTIVE and has_end else None
    if status == ACTIVE and has_end and rule.recount:
        roles |= {rule.recount.approver}  # SL 48 ¶3
    alert = md.alert_roles(status, rules.duties)  # an expired measure is on the leaders' queue (SL 74(7))
    return frozenset(roles | ({upcoming.approver} if upcoming else set()) | alert)


def kinds_approved_by(role: str, rules: MeasureRules) -> tuple[str, ...]:
    """The kinds whose rule names `role` for an approval (a list query's first cut)."""
    steps = lambda r: (*r.extensions, *([r.renewal] if r.renewal else []), *([r.recount] if r.recount else []))  # noqa: E731
    return tuple(
        k for k, r in rules.kinds.items() if role in ma.chain_roles(r, True) or role in {e.approver for e in steps(r)}
    )


def timers_for(state: Measure, rules: MeasureRules) -> dict[str, tuple[datetime, object]]:
    """The timers an active measure needs: key -> (fire at, event to raise). The expiry keys name the
    end they watch, so an extension's new end is a new timer and the old ones are cancelled."""
    changes = md.timers(state)  # undecided change requests, while the measure runs (SL 50 ¶2)
    changes |= ms.timers(state) if state.requested else {}  # release due (SL 26, 28), complaints (SL 69)
    if state.status != ACTIVE:
        return changes
    mid, out = state.requested.measure_id, dict(changes)
    if state.ends_at is not None:
        end_key = f"{mid}:{utc_key(state.ends_at)}"
        lead = rules.of(state.requested.kind).warn_before
        if lead:
            out[f"expiring:{end_key}"] = (lead.before(state.ends_at), ev.MeasureExpiring(mid, state.ends_at))
        out[f"expired:{end_key}"] = (state.ends_at, ev.MeasureExpired(mid, state.ends_at))
    due = notice_due(state, rules)
    if due:
        out[md.notice_timer_key(state, mid, utc_key)] = (due, ev.DetentionNoticeOverdue(mid, due))
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
        "clue_id": r.clue_id,  # before filing (SL 25, 41): its clue; case_id "" until the case takes it
        **md.ledger_columns(state),  # notices deferred, execution, change requests, release (measure_duties)
        **ms.ledger_columns(state),  # property found unrelated, its release, complaints (measure_safeguards)
    }
