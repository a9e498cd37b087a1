"""Inbound translator: a clue's filing proposal as the command that opens a case's filing.

The only place in the cases service that knows the clues service's event types (`clues.events.v1`).
"""

from __future__ import annotations

import uuid

from clues.v1 import events_pb2 as clues_pb2
from kernel.domain.principal import Principal
from kernel.edge.mapping import persons_from_pb
from kernel.eventstore.envelope import Envelope, unpack
from services.cases.domain import commands as c


def case_id_for(proposal_event_id: str) -> str:
    """The case a proposal opens, derived from its event id: a redelivery names the same case."""
    return f"case-{uuid.uuid5(uuid.NAMESPACE_URL, f'filing/{proposal_event_id}')}"


def from_clues(env: Envelope, by: Principal) -> c.OpenFiling | None:
    if env.event_type != clues_pb2.FilingProposed.DESCRIPTOR.full_name:
        return None
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
