"""What a case or a measure awaits, by whom and by when (待办, issue 20), and the investigation
stage's time limit with its warnings. Pure: functions of the folded state (and the rules).

`case_awaited(state)` and `measure_awaited(state, rules)` list each step still needed as an
`Awaited` (the RPC that does it, the role that acts, a one-line summary, since when, by when, and
whether the role acts at the office holding the file). They feed `GetCase`, the measure's line and
the service's `ListAwaitingMe` projection, so a list is a query and says what the file says.

- Filing (Rules 38; SL 42): the facts stated (PrepareFiling) by the handling office; then per
  side the next role of its chain (the commission head, a resident group's escalation, the
  same-level Party committee head).
- The topic meeting on plan and measures, chaired by the head (SL 42; Rules 39), before the
  investigation; then the investigation started (announcement, notices).
- Investigation stages (INVESTIGATING, REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION): the report to
  trial review, by the stage's configured limit once known.
- A proposed hand-over: the head's approval. Trial review (Rules 55, 56): the conclusion by the
  review's due; a proposed return: the head (reinvestigation) or the responsible deputy
  (supplementary investigation); past due, the head's extension.
- DELIBERATION: each subject heard (PSL 43) and the standing committee's decision recorded;
  REHEARING: the persons heard again.
- A measure (SL 33, 46-48; measure_approvals): the approval step it awaits; running, the notice
  owed or the deferral to end (SL 50 ¶1), its execution recorded (SL 44), change requests to
  decide (SL 50 ¶2), the extension's approval as its end nears; expired and not ended, its end (SL
  74(7)); released, the release notice.

The investigation stage's limit (local practice, unverified; deploy/config/investigation.toml):
from the stage's start, YELLOW at `yellow`, RED at `red`. Durable timers raise
`InvestigationWarningRaised` (`investigation_timers`); `colour` reads the case's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.cases.domain import (
    events as ev,
    filing,
    measure_approvals as ma,
    measure_safeguards as safeguards,
    measures as m,
    trial,
)
from services.cases.domain.state import (
    DELIBERATION,
    FILED,
    FILING,
    INVESTIGATING,
    REHEARING,
    REINVESTIGATE,
    SUPPLEMENTARY_INVESTIGATION,
    UNDER_TRIAL_REVIEW,
    Case,
)

HEAD, DEPUTY = "commission_head", "deputy_head"
INVESTIGATOR, TRIAL_REVIEWER, CASE_MANAGER = "investigator", "trial_reviewer", "case_manager"
STAGES = (INVESTIGATING, REINVESTIGATE, SUPPLEMENTARY_INVESTIGATION)
GREEN, YELLOW, RED = "GREEN", "YELLOW", "RED"


@dataclass(frozen=True)
class Awaited:
    """One step a file awaits: `step` the RPC that does it, `role` who acts, `at_holder` whether it
    is the holding office's member of that role (else the role wherever it sits: a head, a deputy,
    the trial review office's reviewer)."""

    step: str
    role: str
    summary: str
    since: datetime | None = None
    due: datetime | None = None
    at_holder: bool = False


# -- the investigation stage's time limit -------------------------------------------------------


@dataclass(frozen=True)
class StageLimit:
    """One stage's warnings: YELLOW after `yellow`, RED after `red` (from the stage's start)."""

    yellow: m.Span
    red: m.Span


@dataclass(frozen=True)
class InvestigationLimits:
    """Each investigation stage's limit (deploy/config/investigation.toml; local practice,
    unverified). These defaults are the shipped file's, for tests."""

    stages: Mapping[str, StageLimit] = field(
        default_factory=lambda: {
            INVESTIGATING: StageLimit(m.Span(months=3), m.Span(months=6)),
            REINVESTIGATE: StageLimit(m.Span(months=2), m.Span(months=3)),
            SUPPLEMENTARY_INVESTIGATION: StageLimit(m.Span(days=20), m.Span(months=1)),
        }
    )


DEFAULT_LIMITS = InvestigationLimits()


def entered_stage(state: Case, events) -> bool:
    """Whether `events` (one change's) started a new investigation stage the case is now in."""
    started = any(isinstance(e, (ev.InvestigationStarted, ev.TrialReviewReturned)) for e in events)
    return started and state.status in STAGES


def investigation_timers(state: Case, started_at: datetime, limits: InvestigationLimits) -> dict:
    """The timers of the stage the case just entered: key -> (fire at, event). The keys name the
    round, so a later stage's timers are new and the earlier ones are cancelled."""
    limit = limits.stages.get(state.status)
    if limit is None or state.status not in STAGES:
        return {}
    due = limit.red.after(started_at)
    key = f"investigation:{state.case_id}:{state.investigation_round}"

    def warning(colour: str):
        return ev.InvestigationWarningRaised(
            state.case_id, state.status, state.investigation_round, colour, started_at, due
        )

    return {
        f"{key}:yellow": (limit.yellow.after(started_at), warning(YELLOW)),
        f"{key}:red": (due, warning(RED)),
    }


@dataclass(frozen=True)
class RecordInvestigationWarning:
    """A timer's warning, decided on the case as it stands (a stale one records nothing)."""

    warning: ev.InvestigationWarningRaised


def record_warning(cmd: RecordInvestigationWarning, state: Case) -> list:
    w = cmd.warning
    if state.status != w.stage or state.investigation_round != w.round:
        return []  # the stage ended or another began: the timer was cancelled too late
    current = state.investigation_warning
    if current is not None and (current.colour == w.colour or current.colour == RED):
        return []  # fired twice
    return [w]


def colour(state: Case, now: datetime | None = None) -> str:
    """GREEN, YELLOW or RED in an investigation stage (what its timers raised, or the clock at
    `now` once the limit is known); RED for a trial review past due; "" otherwise."""
    if state.status == UNDER_TRIAL_REVIEW:
        late = state.overdue or (now is not None and state.trial_review_due and state.trial_review_due <= now)
        return RED if late else GREEN
    if state.status not in STAGES:
        return ""
    w = state.investigation_warning
    if w is None:
        return GREEN
    if w.colour == RED or (now is not None and w.due <= now):
        return RED
    return YELLOW


def due(state: Case) -> datetime | None:
    """The case's current time limit: the trial review's, or the investigation stage's once known."""
    if state.status == UNDER_TRIAL_REVIEW:
        return state.trial_review_due
    w = state.investigation_warning
    return w.due if state.status in STAGES and w is not None else None


def overdue(state: Case) -> bool:
    """Past a time limit, as the events recorded it (the trial review's or the stage's RED)."""
    return colour(state) == RED


# -- what a case awaits ------------------------------------------------------------------------


def case_awaited(state: Case) -> tuple[Awaited, ...]:
    """Every step the case awaits, in the order they come (empty once closed)."""
    if state.opened is None:
        return ()
    out = list(_stage(state))
    if state.hand_over is not None:  # 移交审查调查: the head approves
        h = state.hand_over
        out.append(Awaited("ApproveHandOver", HEAD, f"hand over to {h.to_office}"[:200]))
    for t in state.prosecution:  # returned by the procuratorate for supplementary investigation (SL 54; issue 24)
        r = t.open_return
        if r is not None:
            summary = f"supplementary investigation of {t.person_id}, return {r.round} (SL 54)"[:200]
            out.append(Awaited("CompleteSupplementaryInvestigation", CASE_MANAGER, summary, r.returned_at, r.due))
    return tuple(out)


def _stage(state: Case) -> tuple[Awaited, ...]:
    s = state.status
    if s == FILING:
        return _filing(state)
    if s == FILED:
        if not state.measures_planned and not state.simple:
            return (
                Awaited(
                    "RecordTopicMeeting", HEAD, "topic meeting on plan and measures (SL 42; Rules 39)", state.filed_at
                ),
            )
        return (
            Awaited(
                "StartInvestigation",
                INVESTIGATOR,
                "announce the filing, notify the unit, start the investigation (SL 42)",
                state.filed_at,
                at_holder=True,
            ),
        )
    if s in STAGES:
        w = state.investigation_warning
        return (
            Awaited(
                "SendToTrialReview",
                INVESTIGATOR,
                f"{s.lower().replace('_', ' ')}: the report to trial review",
                w.started_at if w else None,
                due(state),
                at_holder=True,
            ),
        )
    if s == UNDER_TRIAL_REVIEW:
        return _review(state)
    if s == DELIBERATION:
        unheard = [p.person_id for p in state.subjects if p.person_id not in state.heard]
        hear = tuple(Awaited("HearSubject", TRIAL_REVIEWER, f"hear {p} in defence (PSL 43)") for p in unheard)
        decision = "the standing committee's decision (Rules 56; SL 51)"
        return hear + tuple(Awaited("DisposeCase", role, decision) for role in (HEAD, CASE_MANAGER))
    if s == REHEARING:
        return tuple(Awaited("HearSubject", TRIAL_REVIEWER, f"hear {p} again (PSL 43)") for p in state.rehearing)
    return ()


def _filing(state: Case) -> tuple[Awaited, ...]:
    if state.opened.by_person and state.prepared is None:
        return (
            Awaited("PrepareFiling", CASE_MANAGER, "state the filing's facts per subject (Rules 38)", at_holder=True),
        )
    chain = filing.chains(state, "list what the filing awaits")
    out = []
    for side, roles in chain.items():
        given = len(state.approved_roles(side))
        if given < len(roles):
            step = "FastTrackFiling" if side == filing.SIMPLE else "ApproveFiling"
            out.append(Awaited(step, roles[given], f"{side} side: approval {given + 1} of {len(roles)}"))
    return tuple(out)


def _review(state: Case) -> tuple[Awaited, ...]:
    due_ = state.trial_review_due
    out = []
    pending = state.return_proposal
    if pending is not None:
        role = trial.RETURN_APPROVERS[pending.to]
        out.append(Awaited("ApproveTrialReviewReturn", role, f"return to {pending.to} (Rules 55)", due=due_))
    else:
        out.append(Awaited("ConcludeTrialReview", TRIAL_REVIEWER, "conclude the trial review (Rules 55)", due=due_))
    if state.overdue:
        out.append(Awaited("ExtendTrialReview", HEAD, "the trial review is past due: extend (Rules 55-56)", due=due_))
    return tuple(out)


# -- what a measure awaits ---------------------------------------------------------------------


def measure_step(state: m.Measure, rules: m.MeasureRules) -> ma.Step | None:
    """The approval step a requested measure awaits (measure_approvals; SL 33, 46, 47)."""
    if state.status != m.REQUESTED or state.requested is None:
        return None
    return ma.awaited(rules.of(state.requested.kind), state.requested.managed, state.approvals)


def measure_awaited(state: m.Measure, rules: m.MeasureRules) -> tuple[Awaited, ...]:
    """Every step the measure awaits: its approval; running, the notice owed, the change requests
    to decide, the extension as its end nears; expired, its end (SL 74(7))."""
    r = state.requested
    if r is None:
        return ()
    what = f"{r.kind} on {r.person_id}"
    step = measure_step(state, rules)
    if step is not None:
        return tuple(Awaited("ApproveMeasure", role, f"{what}: {step.name} step"[:200]) for role in step.roles)
    out = []
    owes = rules.of(r.kind).notice_within is not None
    if state.status in m.RUNNING:
        if owes and not state.notice_given and not state.duties.deferred:  # overdue: still owed, late
            notice = m.notice_due(state, rules) or state.duties.notice_due_now or state.starts_at
            out.append(
                Awaited("GiveDetentionNotice", INVESTIGATOR, f"{what}: notice (SL 50 ¶1)", due=notice, at_holder=True)
            )
        if state.duties.deferred:  # SL 50 ¶1: ended once telling no longer obstructs
            out.append(Awaited("EndNoticeDeferral", INVESTIGATOR, f"{what}: notice deferred", at_holder=True))
        if not state.duties.executed:  # SL 44: two staff, the written notice, the signed record
            out.append(
                Awaited(
                    "RecordMeasureExecution",
                    INVESTIGATOR,
                    f"{what}: how it was carried out (SL 44)",
                    state.starts_at,
                    at_holder=True,
                )
            )
        for p in state.duties.changes:
            for role in rules.duties.change_deciders:
                out.append(
                    Awaited("DecideMeasureChange", role, f"{what}: change request (SL 50)", p.received_at, p.due)
                )
    if state.status == m.ACTIVE and state.warned_for is not None and state.warned_for == state.ends_at:
        ext = rules.of(r.kind).next_extension(state.extensions)
        if ext is not None:
            out.append(Awaited("ExtendMeasure", ext.approver, f"{what}: ends soon, extend or end", due=state.ends_at))
    d = state.duties
    if state.status == m.ENDED and owes and d.released_at is not None and not d.release_notice_given:
        notice = m.notice_due(state, rules)
        out.append(
            Awaited(
                "GiveReleaseNotice", INVESTIGATOR, f"{what}: release notice (SL 50 ¶1)", d.released_at, notice, True
            )
        )
    if state.status == m.EXPIRED:
        out.append(
            Awaited("EndMeasure", INVESTIGATOR, f"{what}: past its limit (SL 74(7))", due=state.ends_at, at_holder=True)
        )
    for step_, role, summary, since, due, at_holder in safeguards.awaited(state, rules.safeguards):
        out.append(Awaited(step_, role, f"{what}: {summary}"[:200], since, due, at_holder))
    return tuple(out)
