"""What each recorded event says for person dossiers (issue 26; domain.md §5): the ONLY place in
audit that knows other services' event types for dossiers. Decodes the payload with the services'
generated code and returns `domain.dossier.Fact`s — states, types, dates and offices only: never a
summary, finding, reason or anything about an informant.

The persons are the event's person links (kind "person", as the clues, cases and sanctions services
link every step of a file to its subjects) and the payload's person fields where the event names
persons itself (a measure's or decision's `person_id`, a disposal's outcomes). The holding office is
the holder the event's holding links state (need to know, domain.md §1).

Clue stages follow `services.clues.domain.state` exactly (its TERMINAL stages FORWARDED, CLOSED and
CASE_FILED close the clue); case states `services.cases.domain.state`; a decision's states
`sanctions.v1.DecisionStatus`. Events not listed here say nothing for a dossier.
"""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf.message import DecodeError, Message

from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues
from kernel.domain.access import holding_of_links
from kernel.domain.errors import Validation
from kernel.eventstore.envelope import Envelope, instant, unpack
from sanctions.v1 import events_pb2 as sanctions
from services.audit.domain import dossier as d

CLUE_TERMINAL = ("FORWARDED", "CLOSED", "CASE_FILED")  # services.clues.domain.state.TERMINAL
# services.clues.domain.state.REPORT_STATUS: where an approved report takes the clue (SL 41; Rules ch. 6)
REPORT_STAGE = {
    "FILE_CASE": "AWAITING_FILING",
    "CLOSE": "CLOSED",
    "TALK_OR_LETTER": "TALK_OR_LETTER",
    "SHELVE": "SHELVED",
    "LIGHT_HANDLING": "CLOSED",
    "HAND_OVER_TO_PARTY_ORGANISATION": "CLOSED",
}
# services.clues.domain.state._after_talk: where a talk/letter conclusion takes the clue
TALK_STAGE = {
    "CLEARED": "CLOSED",
    "LIGHT_HANDLING": "CLOSED",
    "REPEAT": "TALK_OR_LETTER",
    "PRELIM_CHECK": "PRELIM_CHECK",
}

Shape = tuple[str, str, dict]  # (kind, change, attrs)


def _name(enum, value: int, prefix: str) -> str:
    """An enum value's name without its prefix ("" for unspecified or unknown)."""
    try:
        name = enum.Name(value)
    except ValueError:
        return ""
    return "" if name.endswith("_UNSPECIFIED") else name.removeprefix(prefix)


def _sanction(value: int) -> str:
    return _name(cases.SanctionType, value, "SANCTION_TYPE_")


def _family(sanction: str) -> str:
    return "PARTY" if sanction.startswith("PARTY_") else "GOVERNMENT" if sanction.startswith("GOVERNMENT_") else ""


def _date(ts) -> str:
    """A timestamp's day (UTC), `YYYY-MM-DD`; "" when unset."""
    return instant(ts).date().isoformat() if ts.seconds or ts.nanos else ""


def _locks(locks) -> list[list[str]]:
    return [[lk.kind, lk.until, lk.rule] for lk in locks]


def _clue_stage(stage: str, **extra) -> Shape:
    return (
        d.CLUE,
        "closed" if stage in CLUE_TERMINAL else "stage",
        {"state": stage, "open": stage not in CLUE_TERMINAL, **extra},
    )


# --- clues (services.clues.domain.state) ---------------------------------------------------------


def _talk(m) -> list[Shape]:
    """TalkOrLetterConcluded: the clue's stage, and the talk/letter's outcome (诫勉 included)."""
    outcome = _name(clues.TalkOutcome, m.outcome, "TALK_OUTCOME_")
    form = _name(clues.LightHandling, m.light_handling, "LIGHT_HANDLING_")
    shapes = [_clue_stage(TALK_STAGE.get(outcome, "TALK_OR_LETTER"))] if outcome in TALK_STAGE else []
    return [*shapes, (d.TALK_OR_LETTER, "concluded", {"state": "CONCLUDED", "open": False, "what": form or outcome})]


def _report(m) -> list[Shape]:
    stage = REPORT_STAGE.get(_name(clues.ReportProposal, m.proposal, "REPORT_PROPOSAL_"))
    return [_clue_stage(stage)] if stage else []


CLUES: dict[type[Message], Callable[[Message], list[Shape]]] = {
    clues.ClueRegistered: lambda m: [(d.CLUE, "opened", {"state": "RECEIVED", "open": True})],
    clues.ClueForwarded: lambda m: [_clue_stage("FORWARDED")],
    clues.RegistrationApproved: lambda m: [_clue_stage("REGISTERED")],
    clues.DisposalProposed: lambda m: [_clue_stage("DISPOSAL_PROPOSED")],
    clues.DisposalApproved: lambda m: (
        [_clue_stage(stage)] if (stage := _name(clues.DisposalMethod, m.method, "DISPOSAL_METHOD_")) else []
    ),
    clues.DisposalRejected: lambda m: [(d.CLUE, "stage", {"state": "REGISTERED", "from": "DISPOSAL_PROPOSED"})],
    clues.TalkOrLetterConcluded: _talk,
    clues.PrelimCheckReported: lambda m: [_clue_stage("REPORTED")],
    clues.ReportApproved: _report,
    clues.ReportRejected: lambda m: [_clue_stage("PRELIM_CHECK")],
    clues.FilingProposed: lambda m: [_clue_stage("AWAITING_FILING")],
    clues.ClueCaseFiled: lambda m: [_clue_stage("CASE_FILED")],
    clues.ClueFilingRejected: lambda m: [_clue_stage("REPORTED")],
    clues.ClueReopened: lambda m: [(d.CLUE, "reopened", {"state": "PRELIM_CHECK", "open": True})],
    clues.ClueEscalated: lambda m: [(d.CLUE, "holder", {})],  # the holding office, from the holding links
}

# --- cases (services.cases.domain.state) ---------------------------------------------------------


def _case(state: str, change: str = "stage", open_: bool = True) -> Callable[[Message], list[Shape]]:
    return lambda m: [(d.CASE, change, {"state": state, "open": open_})]


CASES: dict[type[Message], Callable[[Message], list[Shape]]] = {
    cases.FilingOpened: lambda m: [(d.FILING, "opened", {"state": "AWAITING_APPROVAL", "open": True})],
    cases.FilingPrepared: lambda m: [(d.FILING, "stage", {"state": "AWAITING_APPROVAL"})],
    cases.FilingApproved: lambda m: [(d.FILING, "stage", {"state": "AWAITING_APPROVAL"})],  # one side of several
    cases.FilingRejected: lambda m: [(d.FILING, "closed", {"state": "REJECTED", "open": False})],
    cases.CaseFiled: lambda m: [
        (d.FILING, "filed", {"state": "FILED", "open": False}),
        (d.CASE, "opened", {"state": "FILED", "open": True, "start": _date(m.filed_at)}),
    ],
    cases.InvestigationStarted: _case("INVESTIGATING"),
    cases.SentToTrialReview: _case("UNDER_TRIAL_REVIEW"),
    cases.TrialReviewReturned: lambda m: [
        (d.CASE, "stage", {"state": _name(cases.ReturnTarget, m.to, "RETURN_TARGET_") or "INVESTIGATING"})
    ],
    cases.TrialReviewConcluded: _case("DELIBERATION"),
    cases.RehearingRequired: _case("REHEARING"),
    cases.CaseDisposed: _case("DISPOSED", "closed", False),
    cases.CaseWithdrawn: _case("WITHDRAWN", "closed", False),
    cases.CaseHandedOver: lambda m: [(d.CASE, "holder", {})],
}


def _measure(state: str, change: str = "stage", **extra) -> Callable[[Message], list[Shape]]:
    return lambda m: [(d.MEASURE, change, {"state": state, **extra})]


MEASURES: dict[type[Message], Callable[[Message], list[Shape]]] = {
    cases.MeasureRequested: lambda m: [
        (
            d.MEASURE,
            "opened",
            {"state": "REQUESTED", "open": True, "what": _name(cases.MeasureKind, m.kind, "MEASURE_KIND_")},
        )
    ],
    cases.MeasureRefused: _measure("REFUSED", "closed", open=False),
    cases.MeasureApproved: lambda m: [
        (d.MEASURE, "approved", {"state": "APPROVED", "start": _date(m.starts_at), "end": _date(m.ends_at)})
    ],
    cases.MeasureExecuted: _measure("EXECUTED"),
    cases.MeasureExtended: lambda m: [(d.MEASURE, "extended", {"end": _date(m.ends_at)})],
    cases.MeasureExpired: _measure("EXPIRED", "closed", open=False),
    cases.MeasureEnded: lambda m: [
        (
            d.MEASURE,
            "ended",
            {"state": _name(cases.MeasureOutcome, m.outcome, "MEASURE_OUTCOME_") or "ENDED", "open": False},
        )
    ],
    cases.CustodyTransferred: _measure("CUSTODY_TRANSFERRED", "ended", open=False),
    cases.ReleaseNoticeGiven: lambda m: [(d.MEASURE, "released", {"open": False})],
}

# --- sanctions (sanctions.v1.DecisionStatus) ------------------------------------------------------


def _issued(m) -> list[Shape]:
    what = _sanction(m.sanction)
    attrs = {"state": "IN_EFFECT", "what": what, "start": m.start, "end": m.end, "bars": _locks(m.locks)}
    return [(d.SANCTION, "issued", {**attrs, "family": _family(what)} if _family(what) else attrs)]


def _probation(m) -> list[Shape]:
    """P4 (Regs 12): restore (the bar on an equal or higher post), extend once (the new end), expel."""
    state = {"RESTORE": "RESTORED", "EXTEND": "EXTENDED", "EXPEL": "EXPELLED"}.get(m.outcome, m.outcome)
    attrs: dict = {"state": state, "add_bars": _locks(m.locks)}
    if m.outcome == "EXTEND" and m.new_end:
        attrs["end"] = m.new_end
    if m.outcome == "EXPEL":
        attrs.update(what="PARTY_EXPULSION", end="")
    return [(d.SANCTION, "probation", attrs)]


def _appeal(m) -> list[Shape]:
    """A5 (PSL 57-60): revoked (never runs), changed (the lighter sanction, its end), upheld."""
    if m.outcome == "REVOKE":
        return [(d.SANCTION, "revoked", {"state": "REVOKED"})]
    if m.outcome == "CHANGE":
        attrs: dict = {"state": "CHANGED"}
        if what := _sanction(m.changed_to):
            attrs["what"] = what
        if m.new_end:
            attrs["new_end"] = m.new_end
        return [(d.SANCTION, "changed", attrs)]
    return [(d.SANCTION, "upheld", {})]


SANCTIONS: dict[type[Message], Callable[[Message], list[Shape]]] = {
    sanctions.DecisionOpened: lambda m: [
        (
            d.SANCTION,
            "opened",
            {
                "state": "OPENED",
                "open": False,
                "what": _sanction(m.combined.sanction),
                "family": {1: "PARTY", 2: "GOVERNMENT"}.get(m.family, ""),
            },
        )
    ],
    sanctions.DecisionDrafted: lambda m: [(d.SANCTION, "stage", {"state": "DRAFTED"})],
    sanctions.DecisionCommitteeApproved: lambda m: [(d.SANCTION, "stage", {"state": "COMMITTEE_APPROVED"})],
    sanctions.DecisionIssued: _issued,
    sanctions.CriminalJudgmentRecorded: lambda m: [(d.SANCTION, "stage", {"state": "REDECISION_REQUIRED"})],
    sanctions.SanctionLifted: lambda m: [
        (d.SANCTION, "lifted", {"state": "LIFTED", "on": m.on, "locks_ended": list(m.locks_ended)})
    ],
    sanctions.LiftBlocked: lambda m: [(d.SANCTION, "blocked", {"state": "LIFT_BLOCKED"})],
    sanctions.EffectPeriodEnded: lambda m: [(d.SANCTION, "ended", {"state": "PERIOD_ENDED"})],
    sanctions.ProbationDecided: _probation,
    sanctions.AppealDecided: _appeal,
    sanctions.ImpactRecorded: lambda m: [
        (
            d.IMPACT,
            "issued",
            {
                "state": "IN_EFFECT",
                "open": False,
                "what": _name(sanctions.ImpactKind, m.kind, "IMPACT_KIND_"),
                "start": m.start,
                "end": m.end,
            },
        )
    ],
}

HANDLERS: dict[str, tuple[type[Message], Callable[[Message], list[Shape]]]] = {
    t.DESCRIPTOR.full_name: (t, h) for table in (CLUES, CASES, MEASURES, SANCTIONS) for t, h in table.items()
}


def _persons(env: Envelope, msg: Message) -> list[str]:
    """The event's person links, then the persons its payload names (in order, each once)."""
    found = [k.id for k in env.links if k.kind == "person" and k.id]
    if pid := getattr(msg, "person_id", ""):
        found.append(pid)
    found += [o.person_id for o in getattr(msg, "outcomes", ()) if o.person_id]  # CaseDisposed, per person
    found += [
        r.person_id for r in getattr(msg, "subjects", ()) if r.person_id
    ]  # ClueRegistered, FilingOpened, CaseFiled
    return list(dict.fromkeys(found))


def facts_of(env: Envelope, leaf_index: int) -> list[d.Fact]:
    """The dossier facts of one recorded event (none for an event that says nothing for one)."""
    handler = HANDLERS.get(env.event_type)
    if handler is None:
        return []
    message_type, shapes_of = handler
    try:
        msg = unpack(env, message_type)
    except (Validation, DecodeError):  # a payload not of its stated type says nothing (ingest goes on)
        return []
    shapes = shapes_of(msg)
    persons = _persons(env, msg) if shapes else []
    if not persons:
        return []
    held = holding_of_links((k.kind, k.id, k.relation) for k in env.links)
    office = held.holder if held else ""
    occurred, recorded = instant(env.occurred_at), instant(env.recorded_at)
    return [
        d.Fact(
            p,
            kind,
            env.stream_id,
            change,
            {**attrs, "holding_office": office} if office else attrs,
            occurred,
            recorded,
            leaf_index,
        )
        for p in persons
        for kind, change, attrs in shapes
    ]


def facts_of_many(events) -> list[d.Fact]:
    """The facts of (envelope, leaf index) pairs, in leaf order."""
    return [f for env, leaf in events for f in facts_of(env, leaf)]
