"""Inbound translator: a disposed case's sanctions as the commands that open decisions, and its
(and a talk or letter conclusion's) outcomes with an impact period as the commands that record them.

The only place in the sanctions service that knows the cases' and clues' event types
(`cases.events.v1`, `clues.events.v1`). Every id derives from the source event's id, the person
and the family or kind, so a redelivery, a restart or a racing instance names the same decision.

- `cases.v1.CaseDisposed`: for each person's combined sanction of each family (issue 21 point 1;
  G2/G3 PSL 15, P6 Regs 24) an `OpenDecision` with that family's violations, the person's facts as
  stated at the disposal, the deliberation (Rules 56; SL 51), the origin clue (the envelope's
  ("clue", id, "origin") link) and the case's holding (its holding links). A disposal recorded
  before violations were reads each sanction outcome as one violation, combined by rule SINGLE
  (as the cases service reads it). Each ADMONISHMENT, ORGANISATIONAL_HANDLING or ACCOUNTABILITY
  outcome: a `RecordImpact` (domain.md §5, point 3).
- `clues.v1.TalkOrLetterConcluded` with light handling ADMONISHMENT (诫勉): a `RecordImpact` for each
  subject of the clue (its ("person", id, "subject") links).
- Every case event, for the case directory (issue 22, `from_cases_to_directory`): CaseFiled's
  subjects and day, CaseDisposed's and CaseWithdrawn's day (G10), the investigators and trial
  reviewers acting on the case (A1).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import tzinfo

from cases.v1 import events_pb2 as cases_pb2
from clues.v1 import events_pb2 as clues_pb2
from kernel.domain import facts as f, meetings, sanctions as s
from kernel.domain.access import holding_of_links
from kernel.domain.principal import Principal
from kernel.edge.mapping import enum_word
from kernel.eventstore.envelope import Envelope, instant, unpack
from services.sanctions.adapters.mapping import EVENTS
from services.sanctions.app.case_directory import HANDLER_ROLES, CaseNews
from services.sanctions.domain import commands as c

CASE_DISPOSED = cases_pb2.CaseDisposed.DESCRIPTOR.full_name
TALK_CONCLUDED = clues_pb2.TalkOrLetterConcluded.DESCRIPTOR.full_name
IMPACT_OUTCOMES = ("ADMONISHMENT", "ORGANISATIONAL_HANDLING", "ACCOUNTABILITY")
TALK_ARTICLE = "Rules ch. 5"  # light handling, the first of the four forms


def decision_id_for(case_event_id: str, person_id: str, family: str) -> str:
    """The decision a disposal opens for one person's sanction of one family."""
    return f"decision-{uuid.uuid5(uuid.NAMESPACE_URL, f'decision/{case_event_id}/{person_id}/{family}')}"


def impact_id_for(source_event_id: str, person_id: str, kind: str) -> str:
    """The impact record an outcome (or a talk's conclusion) makes for one person."""
    return f"decision-{uuid.uuid5(uuid.NAMESPACE_URL, f'impact/{source_event_id}/{person_id}/{kind}')}"


def _links(env: Envelope) -> list[tuple[str, str, str]]:
    return [(link.kind, link.id, link.relation) for link in env.links]


def _origin(env: Envelope) -> str:
    return next((i for kind, i, rel in _links(env) if kind == "clue" and rel == "origin"), "")


def _holding(env: Envelope) -> tuple[str, str]:
    held = holding_of_links(_links(env))
    return (held.holder, held.liaison) if held else ("", "")


def translate(env: Envelope, by: Principal, zone: tzinfo) -> list:
    """The commands an event of another service stands for here (none for the rest); `zone`: the
    service's time zone, whose calendar day an impact period starts on."""
    if env.event_type == CASE_DISPOSED:
        return from_case_disposed(env, by, zone)
    if env.event_type == TALK_CONCLUDED:
        return from_talk_concluded(env, by, zone)
    return []


def _entries(msg) -> list[tuple[str, tuple[s.Violation, ...], tuple[s.Combined, ...], tuple[str, ...], bool]]:
    """Per person: violations, combined sanctions, consequences, serious; from the outcomes for a
    disposal recorded before `sanctions` (each sanction outcome one violation, rule SINGLE)."""
    if msg.sanctions:
        return [
            (
                e.person_id,
                tuple(EVENTS.dataclass_of(s.Violation, v) for v in e.violations),
                tuple(EVENTS.dataclass_of(s.Combined, k) for k in e.combined),
                tuple(e.consequences),
                e.serious,
            )
            for e in msg.sanctions
        ]
    entries: dict[str, tuple] = {}
    for o in msg.outcomes:
        kind, sanction = enum_word(cases_pb2.OutcomeKind, o.kind), enum_word(cases_pb2.SanctionType, o.sanction)
        if kind not in s.FAMILIES or not sanction:
            continue
        person, violations, combined, _, _ = entries.get(o.person_id, (o.person_id, (), (), (), False))
        entries[o.person_id] = (
            person,
            violations + (s.Violation(o.article, sanction, o.detail),),
            combined + (s.Combined(sanction, None, s.SINGLE),),
            (),
            False,
        )
    return list(entries.values())


def from_case_disposed(env: Envelope, by: Principal, zone: tzinfo) -> list:
    msg = unpack(env, cases_pb2.CaseDisposed)
    clue_id, (holder, liaison) = _origin(env), _holding(env)
    disposed_at = instant(msg.decided_at)
    facts = {p.person_id: EVENTS.dataclass_of(f.PersonFacts, p) for p in msg.facts}
    deliberation = (
        EVENTS.dataclass_of(meetings.CollectiveDecision, msg.deliberation) if msg.HasField("deliberation") else None
    )
    out: list = []
    for person_id, violations, combined, consequences, serious in _entries(msg):
        for k in combined:
            if not k.sanction:
                continue
            family = s.family_of(k.sanction)
            out.append(
                c.OpenDecision(
                    decision_id=decision_id_for(env.event_id, person_id, family),
                    case_id=msg.case_id,
                    clue_id=clue_id,
                    person_id=person_id,
                    family=family,
                    combined=replace(k, period_months=k.period_months or None),  # 0: the statutory one
                    violations=tuple(v for v in violations if v.sanction in s.FAMILIES[family]),
                    consequences=consequences,
                    serious=serious,
                    facts=facts.get(person_id),
                    deliberation=deliberation,
                    disposed_at=disposed_at,
                    source_event_id=env.event_id,
                    holder=holder,
                    liaison=liaison,
                    by=by,
                )
            )
    for o in msg.outcomes:
        kind = enum_word(cases_pb2.OutcomeKind, o.kind)
        if kind in IMPACT_OUTCOMES:
            out.append(
                c.RecordImpact(
                    decision_id=impact_id_for(env.event_id, o.person_id, kind),
                    kind=kind,
                    person_id=o.person_id,
                    case_id=msg.case_id,
                    clue_id=clue_id,
                    decided_on=disposed_at.astimezone(zone).date(),
                    article=o.article,
                    detail=o.detail,
                    source_event_id=env.event_id,
                    by=by,
                    holder=holder,
                    liaison=liaison,
                )
            )
    return out


def from_talk_concluded(env: Envelope, by: Principal, zone: tzinfo) -> list:
    """诫勉 by a talk or letter (light handling, Rules ch. 5): one impact per subject of the clue."""
    msg = unpack(env, clues_pb2.TalkOrLetterConcluded)
    if enum_word(clues_pb2.LightHandling, msg.light_handling) != "ADMONISHMENT":
        return []
    holder, liaison = _holding(env)
    on = instant(env.occurred_at).astimezone(zone).date()
    persons = sorted({i for kind, i, rel in _links(env) if kind == "person" and rel == "subject"})
    return [
        c.RecordImpact(
            decision_id=impact_id_for(env.event_id, person_id, "ADMONISHMENT"),
            kind="ADMONISHMENT",
            person_id=person_id,
            case_id="",
            clue_id=msg.clue_id,
            decided_on=on,
            article=TALK_ARTICLE,
            detail="talk or letter concluded with admonishment (诫勉)",
            source_event_id=env.event_id,
            by=by,
            holder=holder,
            liaison=liaison,
        )
        for person_id in persons
    ]


# -- the case directory (G10, A1; issue 22) -------------------------------------------------------

CASE_FILED = cases_pb2.CaseFiled.DESCRIPTOR.full_name
CASE_WITHDRAWN = cases_pb2.CaseWithdrawn.DESCRIPTOR.full_name


def from_cases_to_directory(env: Envelope, zone: tzinfo) -> CaseNews | None:
    """What a case event (or a measure's event on a case) tells the case directory (None: nothing):
    CaseFiled its subjects and the day filed, CaseDisposed the day decided, CaseWithdrawn the day
    withdrawn (the event's day), and an investigator or trial reviewer acting on it (A1, Rules 59:
    the envelope's principal). Days in the service's zone `zone`."""
    case_id = next((i for kind, i, rel in _links(env) if kind == "case" and rel in ("case", "measure-of")), "")
    if not env.event_type.startswith("cases.v1.") or not case_id:
        return None
    persons, filed_on, closed_on, transferred = (), None, None, ()
    if env.event_type == CASE_FILED:
        msg = unpack(env, cases_pb2.CaseFiled)
        if msg.case_id != case_id:
            return None
        persons = tuple(dict.fromkeys(p.person_id for p in msg.subjects if p.person_id))
        filed_on = instant(msg.filed_at).astimezone(zone).date() if msg.HasField("filed_at") else None
        filed_on = filed_on or instant(env.occurred_at).astimezone(zone).date()
    elif env.event_type == CASE_DISPOSED:
        msg = unpack(env, cases_pb2.CaseDisposed)
        at = instant(msg.decided_at) if msg.HasField("decided_at") else instant(env.occurred_at)
        closed_on = at.astimezone(zone).date()
        # SL 54: the persons transferred for prosecution, about whom the court reports (G12; issue 24)
        transferred = tuple(
            dict.fromkeys(
                o.person_id for o in msg.outcomes if o.kind == cases_pb2.OUTCOME_KIND_TRANSFER_FOR_PROSECUTION
            )
        )
    elif env.event_type == CASE_WITHDRAWN:
        closed_on = instant(env.occurred_at).astimezone(zone).date()
    role = env.principal.role
    participant = (env.principal.user, role) if role in HANDLER_ROLES and env.principal.user else None
    if not (persons or closed_on or participant):
        return None
    return CaseNews(case_id, persons, filed_on, closed_on, participant, transferred)
