"""Thin gRPC edge of `audit.v1.IntegrityService` (issue 26; domain.md §5, seed 004): translate,
delegate, map errors (in kernel.edge.grpc_server).

GetDossier answers a person's dossier as the caller may know it (`app.holdings.Reader`: need to
know, domain.md §1) and puts the read on the record (`kernel.eventstore.reads.record_read`, the
person as the file read) before the answer leaves. The request RPCs delegate to
`app.integrity.Integrity`; its views become `audit.v1.IntegrityRequest`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from audit.v1 import integrity_pb2 as pb, integrity_pb2_grpc
from common.v1 import identity_pb2
from kernel.domain.access import Organisation
from kernel.domain.clock import Clock
from kernel.domain.errors import Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import datetime_of, enum_value, enum_word, persons_from_pb, timestamp
from kernel.edge.paging import page_size
from kernel.eventstore.reads import FileRef, record_read
from kernel.eventstore.store import EventStore
from services.audit.adapters.dossier_mapping import item_pb
from services.audit.app.holdings import Reader
from services.audit.app.integrity import CandidateView, Integrity, NewCandidate, RequestView, Summary, summary_of
from services.audit.domain import integrity_request as ir
from services.audit.domain.integrity import Reason

if TYPE_CHECKING:
    from services.audit.app.dossiers import Dossiers


def _answer(word: str) -> int:
    return enum_value(pb.IntegrityAnswer, word)


def _reason(r: Reason) -> pb.IntegrityReason:
    return pb.IntegrityReason(check=r.check, answer=_answer(r.answer), text=r.text, ref=r.ref, rule=r.rule)


def _candidate(c: CandidateView) -> pb.CandidateReply:
    out = pb.CandidateReply(
        person=identity_pb2.PersonRef(
            person_id=c.person.person_id, name=c.person.name, post=c.person.post, unit=c.person.unit
        ),
        liaison_office=c.liaison_office,
        proposed=_answer(c.proposal.answer),
        reasons=[_reason(r) for r in c.proposal.reasons],
        answer=_answer(c.signed.answer) if c.signed else 0,
        comment=c.signed.comment if c.signed else "",
        signed_off_by=c.signed.by if c.signed else "",
        fast_tracked_clues=list(c.fast_tracked),
        reply_text=c.line.reply_text,
    )
    if c.signed_off_at is not None:
        out.signed_off_at.CopyFrom(timestamp(c.signed_off_at))
    return out


def _summary(s: Summary, candidates=()) -> pb.IntegrityRequest:
    out = pb.IntegrityRequest(
        request_id=s.request_id,
        reference=s.reference,
        intended_use=enum_value(pb.IntendedUse, s.intended_use),
        intended_date=s.intended_date.isoformat(),
        due_at=timestamp(s.due_at),
        received_at=timestamp(s.received_at),
        requested_by_agency=s.agency,
        state=s.state,
        candidates=list(candidates),
        no_objection=s.counts[ir.NO_OBJECTION],
        pending=s.counts[ir.PENDING],
        objection=s.counts[ir.OBJECTION],
        signed_by=s.signed_by,
        tree_size=s.tree_size,
    )
    if s.replied_at is not None:
        out.replied_at.CopyFrom(timestamp(s.replied_at))
    return out


def request_pb(view: RequestView) -> pb.IntegrityRequest:
    return _summary(summary_of(view), [_candidate(c) for c in view.candidates])


def _day(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise Validation(field, f"{value!r} is not a date YYYY-MM-DD") from e


def _signed_off(items) -> tuple[ir.CandidateSignedOff, ...]:
    return tuple(
        ir.CandidateSignedOff(c.person_id.strip(), enum_word(pb.IntegrityAnswer, c.answer), c.comment) for c in items
    )


class IntegrityServicer(integrity_pb2_grpc.IntegrityServiceServicer):
    def __init__(self, integrity: Integrity, dossiers: Dossiers, org: Organisation, own: EventStore, clock: Clock):
        """`integrity`: the workflow; `dossiers`: the person dossiers; `org`: who may know what;
        `own`: audit's own store, where reads are recorded; `clock`: when."""
        self.integrity, self.dossiers, self.org, self.own, self.clock = integrity, dossiers, org, own, clock

    @rpc("audit.dossier")
    async def GetDossier(self, request, context, call):
        person_id = request.person_id.strip()
        now = self.clock.now()
        as_of = datetime_of(request.as_of, "as_of") if request.HasField("as_of") else now
        if as_of > now:
            raise Validation("as_of", "is in the future")
        items, tree_size = await self.dossiers.dossier(person_id, as_of, Reader(call.principal, self.org))
        answer = pb.GetDossierResponse(
            person_id=person_id, as_of=timestamp(as_of), items=[item_pb(i) for i in items], tree_size=tree_size
        )
        await record_read(
            self.own, call, "GetDossier", request.purpose, [FileRef("person", person_id)], [person_id], now=now
        )
        return answer

    @rpc("integrity.request", mutating=True)
    async def SubmitIntegrityRequest(self, request, context, call):
        candidates = [
            NewCandidate(person, c.liaison_office.strip())
            for person, c in zip(persons_from_pb(c.person for c in request.candidates), request.candidates)
        ]
        request_id = await self.integrity.submit(
            call,
            request.reference.strip(),
            enum_word(pb.IntendedUse, request.intended_use),
            _day(request.intended_date, "intended_date"),
            datetime_of(request.due_at, "due_at") if request.HasField("due_at") else None,
            candidates,
        )
        view = await self.integrity.get(call.principal, request_id)
        return pb.SubmitIntegrityRequestResponse(request=request_pb(view))

    @rpc("integrity.read")
    async def GetIntegrityRequest(self, request, context, call):
        view = await self.integrity.get(call.principal, request.request_id.strip())
        return pb.GetIntegrityRequestResponse(request=request_pb(view))

    @rpc("integrity.read")
    async def ListIntegrityRequests(self, request, context, call):
        page, token = await self.integrity.list(
            call.principal, request.state.strip(), page_size(request.page_size), request.page_token
        )
        return pb.ListIntegrityRequestsResponse(requests=[_summary(s) for s in page], next_page_token=token)

    @rpc("integrity.sign_off", mutating=True)
    async def SignOffCandidates(self, request, context, call):
        request_id = request.request_id.strip()
        await self.integrity.sign_off(call, request_id, _signed_off(request.candidates))
        view = await self.integrity.get(call.principal, request_id)
        return pb.SignOffCandidatesResponse(request=request_pb(view))

    @rpc("integrity.sign", mutating=True)
    async def SignIntegrityReply(self, request, context, call):
        request_id = request.request_id.strip()
        await self.integrity.sign(call, request_id)
        view = await self.integrity.get(call.principal, request_id)
        return pb.SignIntegrityReplyResponse(request=request_pb(view))
