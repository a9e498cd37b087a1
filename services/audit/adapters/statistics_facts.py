"""What each recorded event states for the statistics (issue 27; domain.md §5): the ONLY place in
audit that knows other services' event types for statistics. Decodes the payload with the services'
generated code and returns `domain.statistics.Fact`s — codes, ids and dates only: never a summary,
description or anything about an informant.

* `ref` is always the event's own stream (so each evidence row names where its event is); ids of
  other files go in `key` (the clue a case was filed from) or `attrs` (a measure's case).
* The office is the holder the event's holding links state, with its liaison (need to know,
  domain.md §1); else the office the payload names as holding (a tour round's, a case's handling
  office, a measure's office); else the recording principal's office.
* `occurred_at` is the date that counts: a disposal's `decided_at` (the decision date, domain.md
  "Decision date = document date"), reported person facts' effective date (the cadre level's
  source `as_of`), otherwise the event's domain time.
* Clue stages are the dossier's (`adapters.dossier_facts.CLUES`, which follows
  `services.clues.domain.state`): one table says where each clue event takes the clue. Only what
  the statistics count is kept: the stages that conclude a clue (FORWARDED, CLOSED, CASE_FILED)
  and the registration of a tour's clue.
* Outcome codes (for the four forms, `deploy/config/statistics.toml`): a disposal's Party or
  government sanction by its `SanctionType` name (PARTY_WARNING, GOVERNMENT_DEMERIT, ...), any other
  disposal outcome by its `OutcomeKind` name (LIGHT_HANDLING, ADMONISHMENT, ORGANISATIONAL_HANDLING,
  TRANSFER_FOR_PROSECUTION, ...); a talk/letter conclusion by its light-handling form
  (TALK_REMINDER, CRITICISM_AND_EDUCATION, ORDERED_SELF_EXAMINATION, ADMONISHMENT), LIGHT_HANDLING
  when an older conclusion names none, or CLEARED.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from google.protobuf.message import DecodeError, Message

from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues, tour_events_pb2 as tours
from common.v1 import person_pb2
from kernel.domain.access import holding_of_links
from kernel.domain.errors import Validation
from kernel.eventstore.envelope import Envelope, instant, unpack
from sanctions.v1 import events_pb2 as sanctions
from services.audit.adapters import dossier_facts
from services.audit.domain import dossier, statistics as s

# (kind, key, person, attrs, occurred_at or None for the event's, office or "" for the links')
Shape = tuple[str, str, str, dict, datetime | None, str]


def _name(enum, value: int, prefix: str) -> str:
    """An enum value's name without its prefix ("" for unspecified or unknown)."""
    try:
        name = enum.Name(value)
    except ValueError:
        return ""
    return "" if name.endswith("_UNSPECIFIED") else name.removeprefix(prefix)


def _at(ts) -> datetime | None:
    return instant(ts) if ts.seconds or ts.nanos else None


def _level(facts) -> str:
    """A PersonFacts' cadre management level name (CITY for 市管), "" when not stated."""
    return _name(person_pb2.ManagementLevel, facts.cadre.level, "MANAGEMENT_LEVEL_") if facts.HasField("cadre") else ""


def _persons(env: Envelope) -> list[str]:
    return list(dict.fromkeys(k.id for k in env.links if k.kind == "person" and k.id))


# --- clues -----------------------------------------------------------------------------------------


def _registered(env: Envelope, m) -> list[Shape]:
    """Only a tour's clue is kept: the tour contribution asks whether a case's origin clue is one."""
    source = _name(clues.ClueSource, m.source, "CLUE_SOURCE_")
    if source != s.TOUR_SOURCE:
        return []
    return [(s.CLUE_REGISTERED, "", "", {"source": source, "tour_round_id": m.tour_round_id}, _at(m.received_at), "")]


def _talk(env: Envelope, m) -> list[Shape]:
    """A talk/letter conclusion: an outcome of each subject (four forms), unless it goes on."""
    outcome = _name(clues.TalkOutcome, m.outcome, "TALK_OUTCOME_")
    if outcome not in ("CLEARED", "LIGHT_HANDLING"):
        return []
    code = _name(clues.LightHandling, m.light_handling, "LIGHT_HANDLING_") or outcome
    return [(s.TALK_CONCLUDED, code, p, {"outcome": outcome, "code": code}, None, "") for p in _persons(env)]


def _notice(env: Envelope, m) -> list[Shape]:
    return [(s.NOTICE_ISSUED, m.notice_id, "", {"to_office": m.to_office}, None, "")]


CLUES: dict[type[Message], Callable[[Envelope, Message], list[Shape]]] = {
    clues.ClueRegistered: _registered,
    clues.TalkOrLetterConcluded: _talk,
    clues.SupervisionNoticeIssued: _notice,
}

# --- tour rounds -----------------------------------------------------------------------------------

TOURS: dict[type[Message], Callable[[Envelope, Message], list[Shape]]] = {
    tours.TourRoundOpened: lambda env, m: [
        (
            s.TOUR_OPENED,
            "",
            "",
            {"reference": m.reference, "kind": _name(tours.TourKind, m.kind, "TOUR_KIND_")},
            None,
            m.office,
        )
    ],
    tours.TourProblemRecorded: lambda env, m: [(s.TOUR_PROBLEM, m.problem_id, "", {"unit": m.unit}, None, "")],
    tours.TourSuggestionLetterIssued: lambda env, m: [(s.TOUR_LETTER, m.letter_id, "", {}, None, "")],
}

# --- cases -----------------------------------------------------------------------------------------


def _disposed(env: Envelope, m) -> list[Shape]:
    """Each outcome of each person, at the decision date, with the level the disposal states."""
    levels = {f.person_id: _level(f) for f in m.facts}
    shapes: list[Shape] = []
    for o in m.outcomes:
        outcome = _name(cases.OutcomeKind, o.kind, "OUTCOME_KIND_")
        code = _name(cases.SanctionType, o.sanction, "SANCTION_TYPE_") or outcome
        if not outcome or not o.person_id:
            continue
        attrs = {"outcome": outcome, "code": code}
        if levels.get(o.person_id):
            attrs["level"] = levels[o.person_id]
        shapes.append((s.DISPOSED, code, o.person_id, attrs, _at(m.decided_at), ""))
    return shapes


def _person_facts(env: Envelope, m) -> list[Shape]:
    """The person's cadre level as reported (PersonFactsReported), from its effective date."""
    facts = m.facts if m.HasField("facts") else m.reported
    level = _level(facts)
    if not level or not m.person_id:
        return []
    at = _at(facts.cadre.source.as_of) or _at(m.reported_at)
    return [(s.PERSON_LEVEL, "", m.person_id, {"level": level}, at, "")]


def _measure(env: Envelope, m) -> list[Shape]:
    attrs = {"kind": _name(cases.MeasureKind, m.kind, "MEASURE_KIND_"), "case_id": m.case_id, "clue_id": m.clue_id}
    return [(s.MEASURE_REQUESTED, "", m.person_id, attrs, None, m.office)]


CASES: dict[type[Message], Callable[[Envelope, Message], list[Shape]]] = {
    cases.CaseFiled: lambda env, m: [(s.CASE_FILED, m.clue_id, "", {}, _at(m.filed_at), m.handling_office)],
    cases.CaseDisposed: _disposed,
    cases.PersonFactsReported: _person_facts,
    cases.MeasureRequested: _measure,
    cases.MeasureApproved: lambda env, m: [(s.MEASURE_APPROVED, "", "", {}, None, "")],
    cases.MeasureAttachedToCase: lambda env, m: [(s.MEASURE_ATTACHED, m.case_id, "", {"case_id": m.case_id}, None, "")],
}

# --- sanctions: the execution ledger (domain.md §4d) ------------------------------------------------


def _item(m) -> str:
    """An execution item across its decision's streams (its timer stream raises the overdue)."""
    return f"{m.decision_id}/{m.item_id}"


def _overdue(env: Envelope, m) -> list[Shape]:
    attrs = {"due": m.due, "kind": m.kind, "stage": m.stage, "owner": m.owner, "item_id": m.item_id}
    return [(s.EXEC_OVERDUE, _item(m), "", attrs, None, "")]


def _blockage(env: Envelope, m) -> list[Shape]:
    cause = _name(sanctions.BlockageCause, m.cause, "BLOCKAGE_CAUSE_")
    return [(s.EXEC_BLOCKAGE, _item(m), "", {"cause": cause or s.NO_BLOCKAGE}, None, "")]


SANCTIONS: dict[type[Message], Callable[[Envelope, Message], list[Shape]]] = {
    sanctions.ExecutionItemOverdue: _overdue,
    sanctions.ExecutionBlockageRecorded: _blockage,
    sanctions.ExecutionItemReported: lambda env, m: [(s.EXEC_DONE, _item(m), "", {}, _at(m.done_at), "")],
    sanctions.DecisionDelivered: lambda env, m: [(s.EXEC_DONE, _item(m), "", {}, None, "")] if m.item_id else [],
}

HANDLERS: dict[str, tuple[type[Message], Callable[[Envelope, Message], list[Shape]]]] = {
    t.DESCRIPTOR.full_name: (t, h) for table in (CLUES, TOURS, CASES, SANCTIONS) for t, h in table.items()
}


def _stages(env: Envelope) -> list[Shape]:
    """Where a clue event takes the clue, as the dossier reads it (one table for both)."""
    handler = dossier_facts.HANDLERS.get(env.event_type)
    if handler is None or handler[0] not in dossier_facts.CLUES:
        return []
    message_type, shapes_of = handler
    try:
        msg = unpack(env, message_type)
    except (Validation, DecodeError):
        return []
    return [
        (s.CLUE_STAGE, "", "", {"stage": attrs["state"]}, None, "")
        for kind, _, attrs in shapes_of(msg)
        if kind == dossier.CLUE and attrs.get("state") in s.CONCLUDED
    ]


def facts_of(env: Envelope, leaf_index: int) -> list[s.Fact]:
    """The statistics facts of one recorded event (none for an event that states nothing)."""
    shapes = _stages(env)
    handler = HANDLERS.get(env.event_type)
    if handler is not None:
        message_type, shapes_of = handler
        try:
            shapes += shapes_of(env, unpack(env, message_type))
        except (Validation, DecodeError):  # a payload not of its stated type states nothing (ingest goes on)
            pass
    if not shapes:
        return []
    held = holding_of_links((k.kind, k.id, k.relation) for k in env.links)
    holder, liaison = (held.holder, held.liaison) if held else ("", "")
    occurred, recorded = instant(env.occurred_at), instant(env.recorded_at)
    return [
        s.Fact(
            kind,
            env.stream_id,
            key,
            person,
            attrs,
            holder or office or env.principal.office,
            at or occurred,
            recorded,
            leaf_index,
            env.event_id,
            liaison,
        )
        for kind, key, person, attrs, at, office in shapes
    ]
