"""Inbound translators: the cases service's answers to a filing proposal, and audit's requests to
fast-track a clue for an integrity-opinion reply (domain.md §5), as the clue's commands.

The only place in the clues service that knows the cases service's event types (`cases.events.v1`)
and audit's (`audit.events.v1`).
"""

from __future__ import annotations

import re
from datetime import date

from audit.v1 import events_pb2 as audit_pb2
from cases.v1 import events_pb2 as cases_pb2
from kernel.domain.ids import UUID_PATTERN
from kernel.eventstore.envelope import Envelope, instant, unpack
from services.clues.domain import commands as c

FAST_TRACK_REQUESTED = audit_pb2.IntegrityFastTrackRequested.DESCRIPTOR.full_name


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


def follows_audit_stream(stream_id: str) -> bool:
    """Whether an audit stream concerns a clue: only integrity-opinion requests (`integrity-<uuid>`)
    do. Audit's other streams (its reads, ...) are skipped before the inbox, cheaply; every event of
    a request's stream goes through it, so its versions run without gaps."""
    return stream_id.startswith("integrity-")


def from_audit(env: Envelope) -> c.FastTrackClue | None:
    """`IntegrityFastTrackRequested`: the candidate's open clue fast-tracked (seed 004); nothing
    else of audit's concerns a clue. A request naming no clue of this form, or no valid date, is
    none of the clue's business (None)."""
    if env.event_type != FAST_TRACK_REQUESTED:
        return None
    msg = unpack(env, audit_pb2.IntegrityFastTrackRequested)
    if not re.fullmatch(f"clue-{UUID_PATTERN}", msg.clue_id) or not msg.HasField("notice_due_at"):
        return None
    try:
        intended = date.fromisoformat(msg.intended_date)
    except ValueError:
        return None
    return c.FastTrackClue(msg.clue_id, msg.request_id, msg.person_id, intended, instant(msg.notice_due_at))
