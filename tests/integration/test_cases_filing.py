"""The cases service's filing on a real PostgreSQL: a clue's FilingProposed opens one filing however
it is redelivered or raced; the approvals file the case; refused commands leave nothing behind;
一案双查 opens the accountability case's filing in the same transaction."""

import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from clues.v1 import events_pb2 as clues_pb2
from common.v1 import identity_pb2
from kernel.domain.errors import Concurrency, Forbidden, IllegalState, Validation
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore import commands, envelope as env_mod, timers
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import NewEvent
from kernel.messaging.inbox import Source
from services.cases.adapters import mapping
from services.cases.adapters.translators import case_id_for, from_clues
from services.cases.app import case_index, clue_directory, measure_ledger
from services.cases.app.access import Access
from services.cases.app.filings import FilingOpener
from services.cases.app.handlers import CaseHandlers
from services.cases.app.measure_rules import load_measure_rules
from services.cases.domain import commands as c
from services.cases.domain.decide import DEFAULT_POLICY
from services.cases.tests import filing_facts

AT = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
CLUE = f"clue-{uuid.UUID(int=7)}"
INSPECTOR = Principal("commission", "supervision_1", "supervisor", "u-insp")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
SYSTEM = Principal.system("tests")  # reads as a system component: sees every case


def proposal(event_id: str | None = None, version: int = 1, findings: str = "money traced") -> bytes:
    payload = clues_pb2.FilingProposed(
        clue_id=CLUE,
        findings=findings,
        handling_office="supervision_1",
        clue_number="cm-2026-7",
        proposed_by="u-insp",
        subjects=[identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba")],
    )
    event = NewEvent(event_id or str(uuid.uuid4()), payload, AT, HEAD, "corr-f")
    return env_mod.seal(env_mod.build(event, CLUE, version, AT))


@pytest.fixture
async def handlers(store):
    """The cases service's handlers on the test's store, its tables made."""
    async with store.pool.acquire() as conn:
        for migrate in (
            measure_ledger.migrate,
            clue_directory.migrate,
            case_index.migrate,
            commands.migrate,
            timers.migrate_timers,
        ):
            await migrate(conn, store.schema)
    return CaseHandlers(store, DEFAULT_POLICY, load_measure_rules(), mapping.CODEC, Access.of(catalogue.load()))


def ctx(by: Principal) -> CommandContext:
    return CommandContext(by, "corr-f", "test", str(uuid.uuid4()))


async def run(handlers, case_id, command, expected_version=0):
    async def make(uow, state):
        return command

    return await handlers.handle(ctx(command.by), case_id, expected_version, AT, make)


async def types(store, stream):
    return [e.event_type.split(".")[-1] for e in await store.read_stream(stream)]


async def test_a_proposal_opens_one_filing_however_delivered(store, handlers):
    raw, event_id = proposal(), None
    event_id = env_mod.parse(raw).event_id
    opener = FilingOpener(handlers, from_clues)
    await asyncio.gather(*(FilingOpener(handlers, from_clues).record(raw, Source("t", 0, k)) for k in range(5)))
    await opener.record(raw, Source("t", 0, 9))  # redelivered after a restart
    case_id = case_id_for(event_id)
    assert await types(store, case_id) == ["FilingOpened"]
    state, version = await handlers.get_case(SYSTEM, case_id)
    assert (state.status, version, state.clue_id, [s.person_id for s in state.subjects]) == (
        "FILING",
        1,
        CLUE,
        ["P-77"],
    )
    again = proposal(version=2)  # a new proposal after a refusal
    await opener.record(again, Source("t", 0, 10))
    assert await types(store, case_id_for(env_mod.parse(again).event_id)) == ["FilingOpened"]


async def test_the_approvals_file_the_case_and_refusals_leave_nothing(store, handlers):
    raw = proposal()
    await FilingOpener(handlers, from_clues).record(raw, Source("t", 0, 0))
    case_id = case_id_for(env_mod.parse(raw).event_id)
    proposer = Principal("commission", "leadership", "commission_head", "u-insp")
    with pytest.raises(IllegalState, match="PrepareFiling"):  # the facts first (issue 18)
        await run(handlers, case_id, c.ApproveFiling(case_id, "PARTY", "", AT, HEAD))
    await run(handlers, case_id, filing_facts.prepare(case_id, "P-77", managed=True))
    with pytest.raises(Forbidden):
        await run(handlers, case_id, c.ApproveFiling(case_id, "PARTY", "", AT, proposer))
    with pytest.raises(IllegalState, match="FILING"):
        await run(handlers, case_id, c.ApproveFiling(case_id, "PARTY", "", AT, COMMITTEE))  # the head comes first
    with pytest.raises(Validation, match="plan"):  # the topic meeting's, after filing
        await run(handlers, case_id, c.ApproveFiling(case_id, "SUPERVISION", "interviews", AT, HEAD))
    with pytest.raises(Concurrency):
        await run(handlers, case_id, c.ApproveFiling(case_id, "PARTY", "", AT, HEAD), expected_version=5)
    assert await types(store, case_id) == ["FilingOpened", "FilingPrepared"]  # nothing refused left a trace
    for side in ("PARTY", "SUPERVISION"):
        await run(handlers, case_id, c.ApproveFiling(case_id, side, "", AT, HEAD))
        result = await run(handlers, case_id, c.ApproveFiling(case_id, side, "", AT, COMMITTEE))
    assert result["state"] == "FILED"
    assert await types(store, case_id) == [
        "FilingOpened",
        "FilingPrepared",
        "FilingApproved",
        "FilingApproved",
        "FilingApproved",
        "FilingApproved",
        "CaseFiled",
    ]


async def test_an_accountability_case_opens_its_filing_in_the_same_transaction(store, handlers):
    raw = proposal()
    await FilingOpener(handlers, from_clues).record(raw, Source("t", 0, 0))
    case_id = case_id_for(env_mod.parse(raw).event_id)
    await run(handlers, case_id, filing_facts.prepare(case_id, "P-77"))
    await run(handlers, case_id, c.FastTrackFiling(case_id, "report", AT, HEAD))
    other = f"case-{uuid.uuid4()}"
    opening = c.OpenAccountabilityCase(case_id, other, "oversight failed", (Subject("P-90", "Qian Shi"),), "", HEAD)
    with pytest.raises(Validation):  # a bad subject: neither case changes
        await run(
            handlers, case_id, c.OpenAccountabilityCase(case_id, other, "x", (Subject("", ""),), "supervision_2", HEAD)
        )
    assert await store.read_stream(other) == []
    await run(handlers, case_id, opening)
    accountability, _ = await handlers.get_case(SYSTEM, other)
    # it inherits its origin's holding (need to know): another office takes it only by a hand-over
    assert (accountability.status, accountability.origin_case_id, accountability.holder, accountability.liaison) == (
        "FILING",
        case_id,
        "supervision_1",
        "supervision_1",
    )
    assert (await handlers.get_case(SYSTEM, case_id))[0].accountability_case_ids == (other,)


async def test_a_proposal_no_filing_can_be_made_of_is_refused_at_once_so_the_clue_never_waits(store, handlers):
    raw = proposal(findings=" ")  # no findings: no filing
    await FilingOpener(handlers, from_clues).record(raw, Source("t", 0, 0))
    case_id = case_id_for(env_mod.parse(raw).event_id)
    [refused] = await store.read_stream(case_id)
    assert refused.event_type == "cases.v1.FilingRejected"
    state, _ = await handlers.get_case(SYSTEM, case_id)
    assert state.status == "FILING_REJECTED"
    await FilingOpener(handlers, from_clues).record(raw, Source("t", 0, 1))  # redelivered: refused once
    assert len(await store.read_stream(case_id)) == 1
