"""A person's facts as their sources report them (issue 24; domain.md §1), on the kernel's one
command path: the aggregate of `person-<uuid>` streams (`kernel.domain.ids.person_stream_id`), and
the reading a case command that needs facts does in its own transaction (`complete`).

The person stream is not a file (no holder): any role the catalogue lets report or read may; the
report's agency is checked by the pure rules (`services.cases.domain.person_facts`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from google.protobuf import json_format

from kernel.domain import facts as f
from kernel.domain.errors import Validation
from kernel.domain.ids import person_stream_id
from kernel.domain.principal import Principal
from kernel.eventstore.aggregate import Aggregate, CommandRunner
from kernel.eventstore.commands import CommandContext, run_once
from kernel.eventstore.envelope import Link
from kernel.eventstore.store import EventStore, UnitOfWork
from services.cases.domain import commands as c, person_facts as pf
from services.cases.domain.state import Case

DISPOSAL_FACTS = 2  # cases.v1.DisposeCaseRequest.person_facts' max_items


class PersonAggregate(Aggregate[pf.PersonRecord]):
    kind = "person"
    initial = staticmethod(pf.PersonRecord)
    evolve = staticmethod(pf.evolve)

    def __init__(self, codec):
        self.codec = codec

    def decide(self, command, state: pf.PersonRecord) -> list:
        return pf.decide(command, state)

    def links(self, state: pf.PersonRecord, event) -> tuple[Link, ...]:
        return (Link("person", event.person_id, "subject"),)

    def result(self, change) -> dict:
        """JSON-able (kept for a retry with the same request id): the facts as proto3 JSON."""
        facts = self.codec.to_pb(change.events[-1]).facts if change.events else None
        as_json = json_format.MessageToDict(facts, preserving_proto_field_name=True) if facts else {}
        return {"person_stream_id": change.stream_id, "version": change.version, "facts": as_json}


class PersonFacts:
    """Reports and reads of person facts, and their use by the case's commands."""

    def __init__(self, store: EventStore, codec):
        self.store = store
        self.runner = CommandRunner(store, PersonAggregate(codec), codec)

    async def report(self, ctx: CommandContext, cmd: pf.ReportPersonFacts, expected_version: int = 0) -> dict:
        """The report on the person's stream, made by its first report (a concurrent report appends
        at the same version: ABORTED, retry)."""
        stream = person_stream_id(cmd.person_id)

        async def work(uow: UnitOfWork) -> dict:
            history = await self.runner.load(uow, stream, new=True)
            change = await self.runner.execute(
                uow, ctx, stream, cmd, cmd.at, expected_version=expected_version, history=history
            )
            return self.runner.aggregate.result(change)

        return await run_once(self.store, ctx, work)

    async def get(self, reader: Principal, person_id: str) -> tuple[f.PersonFacts, int]:
        """The latest reported facts (NOT_FOUND before any report)."""
        history = await self.runner.read(self.store, reader, person_stream_id(person_id))
        return history.state.facts, history.version

    async def latest(self, uow: UnitOfWork, person_ids) -> dict[str, f.PersonFacts]:
        """The latest reported facts of each of `person_ids` that has any, read in `uow`."""
        out = {}
        for person_id in dict.fromkeys(person_ids):
            history = await self.runner.load(uow, person_stream_id(person_id), new=True)
            if history.state.facts is not None:
                out[person_id] = history.state.facts
        return out

    async def complete(self, uow: UnitOfWork, command, state: Case):
        """PrepareFiling and DisposeCase decided on the latest reported facts where the request
        states none (issue 24), in the command's transaction; None for any other command."""
        if isinstance(command, c.PrepareFiling):
            persons = [s.person_id for s in command.person_facts]
            reported = await self.latest(uow, persons)
            facts = pf.resolve(command.person_facts, reported, command.facts_reason, "subjects", pf.FILING_PARTS)
            return replace(command, person_facts=facts)
        if isinstance(command, c.DisposeCase):
            subjects = {s.person_id for s in (state.subjects or ())}
            sanctioned = [e.person_id for e in command.sanctions if e.person_id in subjects]
            reported = await self.latest(uow, sanctioned + [x.person_id for x in command.facts])
            facts = pf.resolve(command.facts, reported, command.facts_reason, "person_facts")
            if len(facts) > DISPOSAL_FACTS:  # the request's bound (the event's size): facts of the sanctioned
                raise Validation("person_facts", f"facts of at most {DISPOSAL_FACTS} persons, the sanctioned ones")
            return replace(command, facts=facts)
        return None


def report_command(person_id: str, by: Principal, reported: f.PersonFacts, document, at: datetime):
    return pf.ReportPersonFacts(person_id, by.agency, reported, document, at, by.user)
