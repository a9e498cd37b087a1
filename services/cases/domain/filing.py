"""Filing by person (立案, domain.md §3): the sides each subject needs, who approves each side and in
which order, the fast track, the announcement and a serious case's notices, the topic meeting.
Pure; the rules of Rules 38-39 and SL 42, applied to the facts as the filing report stated them
(`FilingPrepared`), never to today's values.

- Sides (Rules 38 with its commentary; SL 42): a Party member with only Party discipline at issue:
  the Party side (立案审查); a public official (SL 15) who is not a member: the supervision side
  (立案调查); a member who is a public official suspected of both: both together. Anyone else: no
  filing on that side, refused naming why.
- Approval, each side (Rules 38; SL 42): the commission head; then the same-level Party committee
  head if that committee manages a subject needing the side (同级党委管理的党员、干部以及监察对象),
  never before the commission head. The case is FILED when every needed side's approvals are in.
- A resident group (派驻纪检监察组) files with escalated approval (提级审批, seed 003; local
  practice): the dispatching commission's head (the configured role) approves each side after the
  group's head, before the Party committee head; the role is recorded when the facts are stated.
- The fast track (a simple case, local practice) still needs the Party committee head where it
  manages a subject; its announcement is recorded like any other (StartInvestigation), which then
  sends the case to trial review with the fast track's report.
- After filing the head chairs a topic meeting (专题会议) on plan and measures (SL 42; Rules 39):
  a collective decision at its configured quorum; the investigation starts only after it.
- Announce to the subject and notify the unit; a serious case (SL 42 ¶3) also the family and the
  public, all before the investigation starts.

Filings recorded before issue 18 (`FilingOpened.by_person` false) keep their rules: both sides,
the Party committee head on the Party side for everyone (still never before the commission head),
the plan on the supervision side's approval, no topic meeting, a fast track in one step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kernel.domain import facts as f
from kernel.domain.calendar import plus_months
from kernel.domain.checks import moment, one_of, require, text
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.meetings import TOPIC_MEETING, check_meeting
from services.cases.domain import commands as c, events as ev
from services.cases.domain.person_facts import check_reason
from services.cases.domain.state import FILED, FILING, Case

HEAD, COMMITTEE_HEAD = "commission_head", "party_committee_head"
PARTY, SUPERVISION, SIMPLE = "PARTY", "SUPERVISION", "SIMPLE"
PARTY_DISCIPLINE, OFFICIAL_MISCONDUCT, BOTH = "PARTY_DISCIPLINE", "OFFICIAL_MISCONDUCT", "BOTH"
AT_ISSUE = (PARTY_DISCIPLINE, OFFICIAL_MISCONDUCT, BOTH)
# The sides what is at issue asks for (Rules 38; SL 42), before the person's facts are weighed.
SIDES_OF = {PARTY_DISCIPLINE: (PARTY,), OFFICIAL_MISCONDUCT: (SUPERVISION,), BOTH: (PARTY, SUPERVISION)}

# The commission's level, and the cadres its same-level Party committee manages (干部管理权限).
COUNTY, CITY, PROVINCIAL, NATIONAL = "COUNTY", "CITY", "PROVINCIAL", "NATIONAL"
LEVELS = (COUNTY, CITY, PROVINCIAL, NATIONAL)
MANAGES = {COUNTY: f.COUNTY, CITY: f.CITY, PROVINCIAL: f.PROVINCIAL, NATIONAL: f.CENTRAL}

# Filings recorded before issue 18: both sides, the committee head on the Party side for everyone.
LEGACY_STEPS = {PARTY: (HEAD, COMMITTEE_HEAD), SUPERVISION: (HEAD,)}


@dataclass(frozen=True)
class Commission:
    """The commission this deployment serves (configuration): its level and whether it is a resident
    group (派驻纪检监察组; then `level` is that of the commission that dispatched it)."""

    level: str
    resident_group: bool = False
    escalate_to: str = ""  # a resident group's filings: the dispatching commission head's role

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"commission level {self.level!r}: one of {', '.join(LEVELS)}")

    @property
    def manages(self) -> str:
        """The management level of the cadres the same-level Party committee manages."""
        return MANAGES[self.level]


@dataclass(frozen=True)
class FilingRules:
    """What filing takes from configuration: the commission, and the least attendees of the topic
    meeting (local practice)."""

    commission: Commission = field(default_factory=lambda: Commission(COUNTY))
    quorum: Mapping[str, int] = field(default_factory=lambda: {TOPIC_MEETING: 3})


DEFAULT_RULES = FilingRules()  # the shipped configuration's values, for tests


# --- what the filing needs -------------------------------------------------------------------------


def sides_for(facts: f.PersonFacts, at_issue: str) -> tuple[str, ...]:
    """The sides one person is filed on (Rules 38; SL 42); refused, naming why, where none can be."""
    wanted = SIDES_OF[at_issue]
    member = facts.is_member if PARTY in wanted else None  # FactMissing (facts.party) if not stated
    official = facts.is_official if SUPERVISION in wanted else None  # facts.official
    if facts.party and facts.official and not facts.is_member and not facts.is_official:
        why = "is neither a Party member nor a public official (SL 15): nothing to file on"
    elif member is False:
        why = "is not a Party member: no Party-side filing (立案审查, Rules 38)"
    elif official is False:
        why = "is not a public official (SL 15): no supervision-side filing (立案调查, SL 42)"
    else:
        return wanted
    raise IllegalState(f"FILING ({facts.person_id} {why})", f"file on {at_issue}")


def _chain(managed: bool, escalated_to: str = "") -> tuple[str, ...]:
    return (HEAD, *((escalated_to,) if escalated_to else ()), *((COMMITTEE_HEAD,) if managed else ()))


def chains(state: Case, operation: str) -> dict[str, tuple[str, ...]]:
    """The approvals each needed side takes, in order: on a fast-tracked filing, SIMPLE alone."""
    if not state.opened.by_person:
        return {SIMPLE: (HEAD,)} if fast_tracked(state) else LEGACY_STEPS
    p = state.prepared
    if p is None:
        raise IllegalState("FILING (the filing's facts are not stated: PrepareFiling first, Rules 38)", operation)
    if fast_tracked(state):
        return {SIMPLE: _chain(bool(p.managed), p.escalated_to)}
    return {
        side: _chain(any(side in SIDES_OF[a.at_issue] and a.person_id in p.managed for a in p.at_issue), p.escalated_to)
        for side in p.sides
    }


def roles_named(state: Case) -> frozenset[str]:
    """Every role the filing's approvals name (need to know): before its facts are stated, the
    commission head and the Party committee head, as for every filing recorded before."""
    try:
        return frozenset(r for roles in chains(state, "read the filing").values() for r in roles)
    except IllegalState:
        return frozenset((HEAD, COMMITTEE_HEAD))


def fast_tracked(state: Case) -> bool:
    return bool(state.approved_roles(SIMPLE))


def _next(state: Case, chain: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Per side still awaiting approval, the role whose approval comes next."""
    out = {}
    for side, roles in chain.items():
        given = len(state.approved_roles(side))
        if given < len(roles):
            out[side] = roles[given]
    return out


def _not_proposer(state: Case, by, operation: str) -> None:
    """Proposing and approving a filing are two people."""
    if by.user == state.proposed_by:
        raise Forbidden(f"{by.user} proposed this filing and may not {operation} it")


def _filed(state: Case, at, simple: bool = False) -> ev.CaseFiled:
    o = state.opened
    return ev.CaseFiled(o.case_id, o.clue_id, at, o.subjects, o.handling_office, simple, o.origin_case_id)


def _review(state: Case, report: str, by: str, at, policy) -> ev.SentToTrialReview:
    return ev.SentToTrialReview(state.case_id, report, by, at, plus_months(at, policy.trial_review_months))


# --- the commands ----------------------------------------------------------------------------------


def _subject_items(items, subjects: tuple[str, ...], field_name: str) -> dict[str, object]:
    """One item per subject, by person id (Validation naming the item otherwise)."""
    out = {}
    for i, item in enumerate(items or ()):
        person_id = (item.person_id or "").strip()
        if person_id not in subjects:
            raise Validation(f"{field_name}[{i}].person_id", f"{person_id!r} is not a subject of the case")
        if person_id in out:
            raise Validation(f"{field_name}[{i}].person_id", f"{person_id} is listed twice")
        out[person_id] = item
    return out


def prepare(cmd: c.PrepareFiling, state: Case, policy):
    """The filing report states, per subject, the facts and what is at issue (Rules 38); the sides
    and whether the same-level Party committee head approves follow, at the commission's level."""
    operation = "state the filing's facts"
    require(state, (FILING,), operation)
    if not state.opened.by_person:
        raise IllegalState("FILING (recorded before filing by person: both sides, no facts)", operation)
    if state.approvals:
        raise IllegalState("FILING (approvals were given on the facts stated)", operation)
    rules: FilingRules = policy.filing
    subjects = tuple(s.person_id for s in state.subjects)
    stated = _subject_items(cmd.person_facts, subjects, "person_facts")
    issues = _subject_items(cmd.at_issue, subjects, "at_issue")
    sides, managed, person_facts, at_issue = set(), [], [], []
    for person_id in subjects:
        if person_id not in issues:
            raise Validation("at_issue", f"what is at issue for {person_id} is not stated")
        issue = one_of(issues[person_id].at_issue, AT_ISSUE, f"at_issue[{list(issues).index(person_id)}].at_issue")
        facts = f.facts_of(stated.values(), person_id)
        sides.update(sides_for(facts, issue))
        if facts.need_cadre().level == rules.commission.manages:  # FactMissing (facts.cadre) if not stated
            managed.append(person_id)
        person_facts.append(facts)
        at_issue.append(ev.SubjectAtIssue(person_id, issue))
    serious = bool(cmd.serious)
    if serious and SUPERVISION not in sides:
        raise Validation(
            "serious", "SL 42 ¶3 concerns serious job-related violations or crimes: no subject has one at issue"
        )
    return [
        ev.FilingPrepared(
            state.case_id,
            tuple(person_facts),
            tuple(at_issue),
            serious,
            tuple(s for s in (PARTY, SUPERVISION) if s in sides),
            tuple(managed),
            rules.commission.level,
            cmd.by.user,
            rules.commission.escalate_to if rules.commission.resident_group else "",
            check_reason(cmd.facts_reason),  # issue 24: why stated facts differ from the reported
        )
    ]


def approve(cmd: c.ApproveFiling, state: Case, policy):
    """One approval on a side the filing needs, in its order; the last one files the case."""
    operation = "approve the filing"
    require(state, (FILING,), operation)
    side = one_of(cmd.side, (PARTY, SUPERVISION, SIMPLE), "side")
    at = moment(cmd.at, "at")
    _not_proposer(state, cmd.by, "approve")
    chain = chains(state, operation)
    if side not in chain:
        if side == SIMPLE:
            raise IllegalState("FILING (not fast-tracked: the head fast-tracks it first)", operation)
        if SIMPLE in chain:
            raise IllegalState("FILING (fast-tracked: only the SIMPLE side's approvals remain)", operation)
        raise Validation("side", f"this filing needs only {' and '.join(chain)} (Rules 38; SL 42)")
    roles, given = chain[side], state.approved_roles(side)
    if cmd.by.role not in roles:
        if cmd.by.role == COMMITTEE_HEAD:
            raise Forbidden(
                f"the same-level Party committee manages no subject on the {side} side: its head does not approve it"
            )
        raise Forbidden(f"only {' or '.join(roles)} may approve the {side} side of a filing, not {cmd.by.role}")
    if cmd.by.role in given:
        raise IllegalState(f"FILING ({side} approval by {cmd.by.role} already given)", operation)
    if cmd.by.role != roles[len(given)]:
        raise IllegalState(f"FILING (awaiting {roles[len(given)]} on the {side} side first)", operation)
    plan = ""
    if not state.opened.by_person and side == SUPERVISION:
        plan = text(cmd.plan, "plan")  # before issue 18, the supervision approval carried the plan
    elif (cmd.plan or "").strip():
        raise Validation("plan", "the plan and measures are the topic meeting's, after filing (RecordTopicMeeting)")
    approval = ev.FilingApproved(state.case_id, side, cmd.by.role, cmd.by.user, plan)
    awaited = [(s, r) for s, roles in chain.items() for r in roles[len(state.approved_roles(s)) :]]
    if awaited != [(side, cmd.by.role)]:  # not the last approval the filing needs
        return [approval]
    return [approval, _filed(state, at, simple=side == SIMPLE)]


def fast_track(cmd: c.FastTrackFiling, state: Case, policy):
    """A simple case with clear facts (local practice): the head's approval, then the Party
    committee head's where it manages a subject (Rules 38), files it; StartInvestigation records
    the announcement and sends it to trial review with this report. Before issue 18: at once."""
    operation = "fast-track the filing"
    require(state, (FILING,), operation)
    if cmd.by.role != HEAD:
        raise Forbidden(f"only {HEAD} may fast-track a simple case, not {cmd.by.role}")
    _not_proposer(state, cmd.by, "approve")
    report, at = text(cmd.report, "report"), moment(cmd.at, "at")
    if fast_tracked(state):
        raise IllegalState("FILING (fast-tracked already)", operation)
    if not state.opened.by_person:
        return [
            ev.FilingApproved(state.case_id, SIMPLE, cmd.by.role, cmd.by.user),
            _filed(state, at, simple=True),
            _review(state, report, cmd.by.user, at, policy),
        ]
    chains(state, operation)  # the facts are stated
    approval = ev.FilingApproved(state.case_id, SIMPLE, cmd.by.role, cmd.by.user, report=report)
    more = state.prepared.managed or state.prepared.escalated_to
    return [approval] + ([] if more else [_filed(state, at, simple=True)])


def reject(cmd: c.RejectFiling, state: Case, _policy):
    """The commission head may refuse at any time; the Party committee head only when its own
    approval is the one awaited (after the commission head's, Rules 38)."""
    operation = "reject the filing"
    require(state, (FILING,), operation)
    later = (COMMITTEE_HEAD, state.prepared.escalated_to if state.prepared else "")
    if cmd.by.role != HEAD and cmd.by.role not in later:
        raise Forbidden(f"only {HEAD} or {COMMITTEE_HEAD} may reject a filing, not {cmd.by.role}")
    _not_proposer(state, cmd.by, "reject")
    awaited = set(_next(state, chains(state, operation)).values()) if cmd.by.role != HEAD else {HEAD}
    if cmd.by.role not in awaited:
        first = " and ".join(sorted(awaited))
        raise IllegalState(f"FILING (the {cmd.by.role}'s approval is not awaited: {first} decides first)", operation)
    reason = text(cmd.reason, "reason")
    return [ev.FilingRejected(state.case_id, state.clue_id, reason, cmd.by.user, moment(cmd.at, "at"))]


def topic_meeting(cmd: c.RecordTopicMeeting, state: Case, policy):
    """The head chairs the topic meeting on plan and measures after filing (SL 42; Rules 39)."""
    operation = "record the topic meeting"
    require(state, (FILED,), operation)
    if cmd.by.role != HEAD:
        raise Forbidden(f"only {HEAD} chairs the topic meeting, not {cmd.by.role}")
    if state.simple:
        raise IllegalState("FILED (a simple case: no investigation to plan)", operation)
    if state.topic_meeting is not None:
        raise IllegalState("FILED (the topic meeting was recorded already)", operation)
    m = check_meeting(cmd.meeting, TOPIC_MEETING, policy.filing.quorum, "meeting", not_before=state.filed_at)
    if cmd.by.user not in m.attendees:
        raise Validation("meeting.attendees", f"the head who chairs it ({cmd.by.user}) must attend")
    return [ev.TopicMeetingHeld(state.case_id, m, cmd.by.user)]


def _notice(value, field_name: str, state: Case, serious: bool):
    if not serious:
        if value is not None:
            raise Validation(field_name, "only for a serious case (SL 42 ¶3)")
        return None
    if value is None:
        raise Validation(field_name, "required: a serious case notifies the family and publishes the filing (SL 42 ¶3)")
    return moment(value, field_name, state.filed_at, "the filing")


def start_investigation(cmd: c.StartInvestigation, state: Case, policy):
    """Announced to the subject and notified to the unit (a serious case: the family and the public
    too, SL 42 ¶3), after the topic meeting; a simple case goes on to trial review."""
    operation = "start the investigation"
    require(state, (FILED,), operation)
    announced = moment(cmd.announced_at, "announced_at", state.filed_at, "the filing")
    notified = moment(cmd.unit_notified_at, "unit_notified_at", state.filed_at, "the filing")
    serious = bool(state.prepared and state.prepared.serious)
    family = _notice(cmd.family_notified_at, "family_notified_at", state, serious)
    published = _notice(cmd.published_at, "published_at", state, serious)
    if state.opened.by_person and not state.simple and state.topic_meeting is None:
        raise IllegalState("FILED (no topic meeting on plan and measures yet: SL 42; Rules 39)", operation)
    started = ev.InvestigationStarted(state.case_id, announced, notified, cmd.by.user, family, published)
    if not state.simple:
        return [started]
    report = next(a.report for a in state.approvals if a.side == SIMPLE and a.report)
    return [started, _review(state, report, cmd.by.user, moment(cmd.at, "at"), policy)]
