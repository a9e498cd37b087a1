"""Need to know at audit's gRPC edge (domain.md §1, issue 17), with the clues service producing:
a clue held by the first resident group (liaison: the first supervision office, an approval
naming the commission head) reaches audit through Kafka with its holding links. An officer of
another office is answered on every audit RPC naming its stream, story or event exactly as for
an unknown id, and nothing is recorded of it; a partner's proof calls likewise; the holder,
liaison, approver and case management are served. Every read served is on the record with its
purpose: audit's own (its store, its topic `audit.events.v1`, its own ledger) and the clues
service's, and `ListReads` answers who read the clue, or about its subject, when and why. A
quarantined delivery's bytes go only to whom may know its stream."""

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from audit.v1 import service_pb2 as pb, service_pb2_grpc
from clues.v1 import events_pb2 as clue_events, service_pb2 as clues_pb
from common.v1 import identity_pb2
from kernel.domain.access import holding_links
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link, NewEvent, build, new_event_id, parse, seal
from kernel.eventstore.reads import FileRef, record_read
from kernel.messaging.inbox import Source
from tests.e2e.platforms import start_service
from tests.e2e.test_clue_lifecycle import Client
from tests.factories import call_metadata, ts, wait_until

ORG = catalogue.load().organisation
HOLDING = ORG.holding("resident_group_1").with_approvers(["commission_head"])
STRANGER = Principal("commission", "supervision_2", "supervisor", "u-s2")
PARTNER = Principal("procuratorate", "prosecution_intake", "partner_system", "u-procuratorate")
ALLOWED = {
    "holder": Principal("commission", "resident_group_1", "office_head", "u-rg1-head"),
    "liaison": Principal("commission", "supervision_1", "supervisor", "u-s1"),
    "approver": Principal("commission", "leadership", "commission_head", "u-head"),
    "case management": Principal("commission", "case_management", "case_manager", "u-cm"),
}
AUDITOR = Principal("commission", "case_management", "auditor", "u-auditor")
OTHER_AUDITOR = Principal("commission", "trial_review", "auditor", "u-tr")  # holds the audit roles, not the file
T0 = datetime(2026, 11, 3, 9, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    prefix, data = f"nk{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("need-to-know")
    clues = await start_service("clues", database_url, bootstrap, prefix, data)
    audit = await start_service("audit", database_url, bootstrap, prefix, data, checkpoint_seconds=3600)
    clue = f"clue-{uuid.uuid4()}"
    held = tuple(Link(*link) for link in holding_links(HOLDING))
    subject = Link("person", "P-17", "subject")
    by = ALLOWED["holder"]
    events = [
        NewEvent(new_event_id(), clue_events.ClueRegistered(clue_id=clue), T0, by, "c", links=(subject, *held)),
        NewEvent(new_event_id(), clue_events.ClueWarningRaised(clue_id=clue), T0, by, "c", links=(subject, *held)),
    ]
    await clues.store.append(clue, 0, events)  # as the clues service stamps them (kernel runner)
    ctx = CommandContext(ALLOWED["holder"], "c-read", "clues.read")
    await record_read(clues.store, ctx, "GetClue", "prepare the talk", [FileRef("clue", clue)], ["P-17"], now=T0)
    await wait_until(lambda: _holds(audit, clue, 2), 60, "the clue's events in audit")
    yield clues, audit, clue, [e.event_id for e in events]
    await clues.stop()
    await audit.stop()


async def _holds(audit, stream_id: str, n: int) -> bool:
    return len(await audit.parts.recorder.stream_history(stream_id)) >= n


def calls(clue: str, event_id: str) -> dict:
    """Every audit RPC naming the clue's stream, story or event (and ListReads about it)."""
    purpose = "issue 17 walk"
    return {
        "GetStreamHistory": pb.GetStreamHistoryRequest(stream_id=clue, purpose=purpose),
        "GetStreamHistory/timers": pb.GetStreamHistoryRequest(
            stream_id=clue.replace("clue-", "clue-timers-"), purpose=purpose
        ),
        "GetHistory": pb.GetHistoryRequest(subject=clue, purpose=purpose),
        "ExportHistoryBundle": pb.ExportHistoryBundleRequest(stream_id=clue, purpose=purpose),
        "GetInclusionProof": pb.GetInclusionProofRequest(event_id=event_id),
        "ListReads": pb.ListReadsRequest(file_id=clue, purpose=purpose),
    }


async def answer(audit, name: str, request, who: Principal):
    """The answer, or the refusal, of `name` (an RPC, "/" a variant) asked by `who`."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = service_pb2_grpc.AuditServiceStub(ch)
        try:
            return await getattr(stub, name.split("/")[0])(request, metadata=call_metadata(audit.settings, who))
        except grpc.aio.AioRpcError as e:
            return e


async def sign(audit) -> None:
    assert not isinstance(await answer(audit, "SignCheckpoint", pb.SignCheckpointRequest(), AUDITOR), Exception)


async def own_events(audit) -> int:
    return await audit.pool.fetchval(f"SELECT count(*) FROM {audit.settings.schema}.events")


@pytest.mark.parametrize("who", [STRANGER, PARTNER, OTHER_AUDITOR], ids=lambda p: p.office)
async def test_whom_may_not_know_the_clue_is_answered_as_for_an_unknown_id_and_nothing_is_recorded(platform, who):
    _, audit, clue, event_ids = platform
    await sign(audit)
    before = await own_events(audit)
    other_clue, other_event = f"clue-{uuid.uuid4()}", str(uuid.uuid4())
    hidden, absent = calls(clue, event_ids[0]), calls(other_clue, other_event)
    for name in hidden:
        got, expected = await answer(audit, name, hidden[name], who), await answer(audit, name, absent[name], who)
        assert isinstance(got, grpc.aio.AioRpcError) and isinstance(expected, grpc.aio.AioRpcError), (name, got)
        assert got.code() == expected.code(), (name, got)
        assert got.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED), (name, got)
        if name.endswith("timers"):
            continue  # a timer stream nobody recorded: a stream of another id
        said = got.details().replace(clue, "ID").replace(event_ids[0], "ID")
        assert said == expected.details().replace(other_clue, "ID").replace(other_event, "ID"), name
    assert await own_events(audit) == before  # no read served, none recorded


async def test_a_partners_proof_of_a_clue_event_is_an_unknown_events(platform):
    _, audit, clue, event_ids = platform
    await sign(audit)
    for event_id in (*event_ids, str(uuid.uuid4())):
        refused = await answer(audit, "GetInclusionProof", pb.GetInclusionProofRequest(event_id=event_id), PARTNER)
        assert refused.code() == grpc.StatusCode.NOT_FOUND
        assert refused.details() == f"recorded event {event_id!r} not found"


@pytest.mark.parametrize("actor", sorted(ALLOWED))
async def test_the_holder_liaison_approver_and_case_management_are_served(platform, actor):
    _, audit, clue, event_ids = platform
    await sign(audit)
    who, asked = ALLOWED[actor], calls(clue, event_ids[0])
    history = await answer(audit, "GetStreamHistory", asked["GetStreamHistory"], who)
    assert [parse(e.envelope_bytes).event_id for e in history.events] == event_ids
    story = await answer(audit, "GetHistory", asked["GetHistory"], who)
    assert story.total_steps == 2 and [s.id for s in story.subjects] == [clue]  # reads are no steps
    bundle = await answer(audit, "ExportHistoryBundle", asked["ExportHistoryBundle"], who)
    assert bundle.events == 2
    proof = await answer(audit, "GetInclusionProof", asked["GetInclusionProof"], who)
    assert len(proof.leaf_hash) == 32 and proof.tree_size >= 2


async def test_every_read_is_on_the_record_with_its_purpose_and_audits_own_in_its_own_ledger(platform):
    clues, audit, clue, _ = platform
    asked = pb.GetStreamHistoryRequest(stream_id=clue, purpose="liaison check")
    assert not isinstance(await answer(audit, "GetStreamHistory", asked, ALLOWED["liaison"]), Exception)
    found: list = []

    async def listed() -> bool:
        got = await answer(audit, "ListReads", pb.ListReadsRequest(file_id=clue, purpose="who read it"), AUDITOR)
        found[:] = list(got.reads)
        return {"prepare the talk", "liaison check"} <= {r.purpose for r in got.reads}

    await wait_until(listed, 60, "both reads in the ledger")
    by_purpose = {r.purpose: r for r in found}
    theirs, own = by_purpose["prepare the talk"], by_purpose["liaison check"]
    assert (theirs.operation, theirs.topic, theirs.reader.user) == (
        "clues.read/GetClue",
        clues.settings.topic,
        "u-rg1-head",
    )
    assert (own.operation, own.topic, own.reader.user) == ("audit.read/GetStreamHistory", audit.settings.topic, "u-s1")
    assert audit.settings.topic.endswith("audit.events.v1")
    assert [(f.kind, f.id) for f in own.files] == [("clue", clue)]
    about = await answer(audit, "ListReads", pb.ListReadsRequest(person_id="P-17", purpose="about P-17"), AUDITOR)
    assert {"prepare the talk", "liaison check"} <= {r.purpose for r in about.reads}
    later = T0 + timedelta(days=400)  # a window after every read
    window = pb.ListReadsRequest(file_id=clue, purpose="a window", start=ts(later), end=ts(later + timedelta(days=1)))
    assert list((await answer(audit, "ListReads", window, AUDITOR)).reads) == []
    # audit's own FileRead is a leaf of its own ledger, provable to whom sees everything
    await sign(audit)
    proof = await answer(audit, "GetInclusionProof", pb.GetInclusionProofRequest(event_id=own.event_id), AUDITOR)
    assert proof.leaf_index == own.leaf_index
    curious = await answer(audit, "ListReads", pb.ListReadsRequest(file_id=clue, purpose="curious"), OTHER_AUDITOR)
    assert curious.code() == grpc.StatusCode.NOT_FOUND  # who read a file is as closed as the file
    both = pb.ListReadsRequest(file_id=clue, person_id="P-17", purpose="x")
    assert (await answer(audit, "ListReads", both, AUDITOR)).code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_quarantined_deliverys_bytes_go_only_to_whom_may_know_its_stream(platform):
    _, audit, clue, event_ids = platform
    forged = NewEvent(event_ids[0], clue_events.ClueRegistered(clue_id=clue, summary="other bytes"), T0, AUDITOR, "c")
    await audit.parts.recorder.record(seal(build(forged, clue, 1, T0)), Source("forged", 0, 0))
    operator = Principal("commission", "platform_operations", "platform_operator", "u-ops")
    for who, shown in ((AUDITOR, True), (operator, False)):
        kept = await answer(audit, "ListQuarantined", pb.ListQuarantinedRequest(), who)
        [delivery] = [d for d in kept.deliveries if d.stream_id == clue]
        assert bool(delivery.envelope_bytes) == shown and delivery.kind == pb.QUARANTINE_KIND_DIGEST


async def test_a_clue_read_through_the_clues_service_is_listed_by_audit_with_its_purpose(platform):
    clues, audit, _, _ = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        reg = await client(
            "RegisterClue",
            source=clue_events.CLUE_SOURCE_PETITION,
            summary="kickbacks",
            subjects=[identity_pb2.PersonRef(person_id="P-18", name="Wu Jiu")],
        )
        read = clues_pb.GetClueRequest(clue_id=reg.clue_id, purpose="check the intake")
        await client.stub.GetClue(read, metadata=call_metadata(clues.settings, ALLOWED["case management"]))
    found: list = []

    async def listed() -> bool:
        asked = pb.ListReadsRequest(file_id=reg.clue_id, purpose="who read the new clue")
        found[:] = [
            r for r in (await answer(audit, "ListReads", asked, AUDITOR)).reads if r.purpose == "check the intake"
        ]
        return bool(found)

    await wait_until(listed, 60, "the clues service's read in audit")
    [r] = found
    assert (r.operation, r.topic, r.reader.user) == ("clues.read/GetClue", clues.settings.topic, "u-cm")
    assert [(f.kind, f.id) for f in r.files] == [("clue", reg.clue_id)]
