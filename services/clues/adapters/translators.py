"""Inbound translator: the cases service's answers to a filing proposal as the clue's commands.

The only place in the clues service that knows the cases service's event types (`cases.events.v1`).
"""

from __future__ import annotations

from cases.v1 import events_pb2 as cases_pb2
from kernel.eventstore.envelope import Envelope, instant, unpack
from services.clues.domain import commands as c


def from_cases(env: Envelope) -> c.RecordCaseFiled | c.RecordFilingRejected | None:
    """`CaseFiled` moves the clue to CASE_FILED, `FilingRejected` back to REPORTED; nothing else
    concerns a clue (an accountability case, 一案双查, has no clue)."""
    if env.event_type == cases_pb2.CaseFiled.DESCRIPTOR.full_name:
        msg = unpack(env, cases_pb2.CaseFiled)
        return c.RecordCaseFiled(msg.clue_id, msg.case_id, instant(msg.filed_at)) if msg.clue_id else None
    if env.event_type == cases_pb2.FilingRejected.DESCRIPTOR.full_name:
        msg = unpack(env, cases_pb2.FilingRejected)
        return c.RecordFilingRejected(msg.clue_id, msg.reason)
    return None
