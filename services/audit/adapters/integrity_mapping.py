"""Audit's own integrity events (`proto/audit/v1/events.proto`) <-> the domain's dataclasses
(`services.audit.domain.integrity_request`), field by field (`kernel.edge.mapping.EventMapping`):
the candidates as `common.v1.PersonRef`, the answers and uses as enum values, the intended date as
`YYYY-MM-DD`."""

from __future__ import annotations

from audit.v1 import events_pb2, integrity_pb2
from common.v1 import identity_pb2
from kernel.domain.person import Subject
from kernel.edge.mapping import Codec, EventMapping
from services.audit.domain import integrity_request as ir
from services.audit.domain.integrity import Reason

NESTED = {
    identity_pb2.PersonRef.DESCRIPTOR.full_name: (identity_pb2.PersonRef, Subject),
    integrity_pb2.IntegrityReason.DESCRIPTOR.full_name: (integrity_pb2.IntegrityReason, Reason),
    events_pb2.RequestedCandidate.DESCRIPTOR.full_name: (events_pb2.RequestedCandidate, ir.RequestedCandidate),
    events_pb2.CandidateProposal.DESCRIPTOR.full_name: (events_pb2.CandidateProposal, ir.CandidateProposal),
    events_pb2.CandidateSignedOff.DESCRIPTOR.full_name: (events_pb2.CandidateSignedOff, ir.CandidateSignedOff),
    events_pb2.CandidateReplyLine.DESCRIPTOR.full_name: (events_pb2.CandidateReplyLine, ir.CandidateReplyLine),
}
EVENTS = EventMapping(events_pb2, ir.EVENTS, NESTED)
CODEC = Codec(EVENTS.to_pb, EVENTS.from_pb, EVENTS.pb_of_name)
