"""Thin gRPC edge of `cases.v1.PersonFactsService` (issue 24; domain.md §1): the organisation
department and HR report what changed about a person; officers read a person's latest facts."""

from __future__ import annotations

from google.protobuf import json_format

from cases.v1 import person_facts_pb2 as pb, person_facts_pb2_grpc
from common.v1 import person_pb2
from kernel.domain import facts as f
from kernel.domain.clock import Clock
from kernel.edge.grpc_server import rpc
from kernel.eventstore.reads import FileRef, record_read
from services.cases.adapters import mapping
from services.cases.app.person_facts import PersonFacts, report_command
from services.cases.domain import events as ev

_PARTS = (("party", f.PartyMembership), ("official", f.PublicOfficial), ("cadre", f.Cadre), ("service", f.Service))


def reported_of(request) -> f.PersonFacts:
    """The parts the request reports (only those set)."""
    parts = {
        name: mapping.EVENTS.dataclass_of(cls, getattr(request, name)) if request.HasField(name) else None
        for name, cls in _PARTS
    }
    posts = tuple(mapping.EVENTS.dataclass_of(f.Post, p) for p in request.posts)
    return f.PersonFacts(request.person_id.strip(), posts=posts, **parts)


class PersonFactsServicer(person_facts_pb2_grpc.PersonFactsServiceServicer):
    def __init__(self, facts: PersonFacts, clock: Clock):
        self.facts, self.clock = facts, clock

    @rpc("cases.person_facts_report", mutating=True)
    async def ReportPersonFacts(self, request, context, call):
        """Only about the attributes the caller's agency sources (domain.md §1)."""
        document = mapping.EVENTS.dataclass_of(ev.Document, request.document)
        person_id = request.person_id.strip()
        cmd = report_command(person_id, call.principal, reported_of(request), document, self.clock.now())
        result = await self.facts.report(call, cmd, request.expected_version)
        facts = json_format.ParseDict(result["facts"], person_pb2.PersonFacts())
        return pb.ReportPersonFactsResponse(
            person_stream_id=result["person_stream_id"], version=result["version"], facts=facts
        )

    @rpc("cases.person_facts_read")
    async def GetPersonFacts(self, request, context, call):
        person_id = request.person_id.strip()
        facts, version = await self.facts.get(call.principal, person_id)
        answer = pb.GetPersonFactsResponse(facts=mapping.EVENTS.message(person_pb2.PersonFacts, facts), version=version)
        files = [FileRef("person", person_id)]
        await record_read(
            self.facts.store, call, "GetPersonFacts", request.purpose, files, [person_id], now=self.clock.now()
        )
        return answer
