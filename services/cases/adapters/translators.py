"""Inbound translator: a clue's filing proposal as the command that opens a case's filing, and
each clue event as what the clue directory needs (`from_clues_to_directory`, measures before filing).

The only place in the cases service that knows the clues service's event types (`clues.events.v1`).
"""

from __future__ import annotations

import uuid

from clues.v1 import events_pb2 as clues_pb2
from kernel.domain.access import holding_of_links
from kernel.domain.principal import Principal
from kernel.edge.mapping import enum_word, persons_from_pb
from kernel.eventstore.envelope import Envelope, unpack
from kernel.messaging.follower import acting_on
from services.cases.domain import commands as c
from services.cases.domain.before_filing import ClueNews


def case_id_for(proposal_event_id: str) -> str:
    """The case a proposal opens, derived from its event id: a redelivery names the same case."""
    return f"case-{uuid.uuid5(uuid.NAMESPACE_URL, f'filing/{proposal_event_id}')}"


@acting_on(clues_pb2.FilingProposed.DESCRIPTOR.full_name)  # the filings consumer skips the rest (issue 30)
def from_clues(env: Envelope, by: Principal) -> c.OpenFiling | None:
    msg = unpack(env, clues_pb2.FilingProposed)
    return c.OpenFiling(
        case_id=case_id_for(env.event_id),
        clue_id=msg.clue_id,
        clue_number=msg.clue_number,
        subjects=persons_from_pb(msg.subjects),
        findings=msg.findings,
        handling_office=msg.handling_office,
        proposed_by=msg.proposed_by,
        by=by,
    )


# -- the clue directory (measures before filing, SL 25, 41) ----------------------------------------

_TALK_STAGES = {"CLEARED": "CLOSED", "LIGHT_HANDLING": "CLOSED", "REPEAT": "TALK_OR_LETTER"}
_REPORT_STAGES = {  # the report's approved proposal (SL 41; Rules ch. 6)
    "FILE_CASE": "AWAITING_FILING",
    "CLOSE": "CLOSED",
    "TALK_OR_LETTER": "TALK_OR_LETTER",
    "SHELVE": "SHELVED",
    "LIGHT_HANDLING": "CLOSED",
    "HAND_OVER_TO_PARTY_ORGANISATION": "CLOSED",
}


def _stage_of(msg) -> dict:
    """What a clue event changes of the directory's entry, by the clue's lifecycle (domain.md §2)."""
    name = msg.DESCRIPTOR.name
    if name == "ClueRegistered":
        office = msg.receiving_office.office_id
        return {"stage": "RECEIVED", "subjects": tuple(p.person_id for p in msg.subjects), "holder": office}
    if name == "RegistrationProposed":
        return {"proposed_office": msg.handling_office}
    if name == "RegistrationApproved":
        return {"stage": "REGISTERED", "registration_approved": True}
    if name == "DisposalProposed":
        return {"stage": "DISPOSAL_PROPOSED"}
    if name == "DisposalRejected":
        return {"stage": "REGISTERED"}
    if name == "DisposalApproved":
        return {"stage": enum_word(clues_pb2.DisposalMethod, msg.method), "plan_dropped": True}
    if name == "TalkOrLetterConcluded":
        outcome = enum_word(clues_pb2.TalkOutcome, msg.outcome)
        return {"stage": _TALK_STAGES.get(outcome, outcome)}
    if name == "PrelimCheckPlanSubmitted":
        needs = {"commission_head"} | ({"party_committee_head"} if msg.subject_heads_lower_committee else set())
        return {"plan_needs": frozenset(needs)}
    if name == "PrelimCheckPlanApproved":
        return {"plan_approved_by": msg.approver_role}
    if name in ("PrelimCheckReported", "ClueFilingRejected"):
        return {"stage": "REPORTED"}
    if name == "ReportRejected":
        return {"stage": "PRELIM_CHECK"}
    if name == "ReportApproved":
        return {"stage": _REPORT_STAGES.get(enum_word(clues_pb2.ReportProposal, msg.proposal), "REPORTED")}
    if name == "ClueCaseFiled":
        return {"stage": "CASE_FILED", "case_id": msg.case_id}
    if name == "ClueReopened":
        return {"stage": "PRELIM_CHECK", "plan_dropped": True}
    if name == "ClueForwarded":
        return {"stage": "FORWARDED"}
    if name == "ClueEscalated":
        return {"holder": msg.to_office}
    return {}


def from_clues_to_directory(env: Envelope) -> ClueNews | None:
    """What a clue event tells the clue directory: its stage, holding, subjects, work plan (None for
    events of no concern, and for the clue's timer stream). The holding its links state (issue 17)
    is the clues service's own judgement, taken over as it stands; events recorded before holdings
    were stamped give it by their fields."""
    if not env.event_type.startswith("clues.v1.") or not env.stream_id.startswith("clue-"):
        return None
    message = getattr(clues_pb2, env.event_type.removeprefix("clues.v1."), None)
    if message is None:
        return None
    msg = unpack(env, message)
    if getattr(msg, "clue_id", None) != env.stream_id:
        return None  # the clue's timer stream, or an event on no clue
    changes = _stage_of(msg)
    held = holding_of_links((link.kind, link.id, link.relation) for link in env.links)
    if held is not None:
        changes.update(holder=held.holder, liaison=held.liaison)
    return ClueNews(env.stream_id, env.version, **changes) if changes else None
