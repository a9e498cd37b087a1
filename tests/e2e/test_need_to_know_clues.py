"""Need to know on the clues service (domain.md §1, issue 17), over gRPC on a real PostgreSQL and
broker: every ClueService RPC walked by officers of another office (each refused as NOT_FOUND, in
the words of an unknown id, and nothing changed); each actor the policy allows reading and, where
its role allows, acting; lists filtered; escalation moving the holder only once the head approves
it, the liaison staying; and every read on the record with its purpose."""

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from clues.v1 import events_pb2 as ev_pb2, service_pb2 as pb
from common.v1 import identity_pb2, reads_pb2
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import parse, unpack
from tests.e2e.test_clue_lifecycle import HEAD, INSPECTOR, Client
from tests.factories import ALICE, ts

OTHER = Principal("commission", "supervision_2", "supervisor", "u-other")  # another office
OTHER_HEAD = Principal("commission", "supervision_2", "office_head", "u-other-head")
COMPLAINTS = Principal("commission", "complaints", "complaints_officer", "u-complaints")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
RESIDENT_1 = Principal("commission", "resident_group_1", "resident_officer", "u-res1")
RESIDENT_1_HEAD = Principal("commission", "resident_group_1", "office_head", "u-res1-head")
RESIDENT_2 = Principal("commission", "resident_group_2", "resident_officer", "u-res2")
DEPUTY_1 = Principal("commission", "deputy_leadership_1", "deputy_head", "u-deputy1")  # oversees supervision_1
DEPUTY_2 = Principal("commission", "deputy_leadership_2", "deputy_head", "u-deputy2")
SYSTEM = Principal.system("need-to-know-test")
PURPOSE = "need-to-know walk"


@pytest.fixture(scope="module")
async def clues(shared_platform):
    """The shared clues service: nothing else writes its schema while a test counts it."""
    host = shared_platform[0]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
        yield Client(host, ch)


async def received(client, who, person="P-1", informant=True) -> str:
    reg = await client(
        "RegisterClue",
        who,
        source=ev_pb2.CLUE_SOURCE_PETITION,
        summary="allegation",
        subjects=[identity_pb2.PersonRef(person_id=person, name="Subject")],
        informant=pb.Informant(name="Informant", contact="tel") if informant else None,
    )
    return reg.clue_id


async def registered(client, office, who=INSPECTOR, person="P-1") -> str:
    cid = await received(client, who, person)
    await client("ProposeRegistration", clue_id=cid, handling_office=office)
    await client("ApproveRegistration", HEAD, clue_id=cid)
    return cid


async def read(client, who, cid):
    return await client("GetClue", who, clue_id=cid, purpose=PURPOSE)


async def listed(client, who) -> set[str]:
    return {c.clue_id for c in (await client("ListClues", who, purpose=PURPOSE)).clues}


async def footprint(client, *clue_ids) -> tuple:
    """Every event in the service's schema, and each clue's version: what a refusal must leave."""
    host = client.host
    total = await host.pool.fetchval(f"SELECT count(*) FROM {host.store.schema}.events")
    return total, [len(await host.store.read_stream(c)) for c in clue_ids]


def walk(a: str, a0: str) -> list[tuple[str, Principal, dict]]:
    """Every ClueService RPC on a clue, with an officer of another office whose role may call it:
    `a` is handled by supervision_1 (registered, a plan needing the Party committee's approval not
    submitted yet), `a0` received by supervision_1 and not yet proposed for registration (no
    approval names the head's role). Case management alone performs ProposeRegistration and
    IssueSupervisionNotice, and it sees every clue: those two have no foreign caller to refuse."""
    due = ts(datetime.now(timezone.utc) + timedelta(days=30))
    return [
        ("GetClue", OTHER, dict(clue_id=a, purpose=PURPOSE)),
        ("GetInformant", COMPLAINTS, dict(clue_id=a, purpose=PURPOSE)),  # not received by complaints
        ("ForwardClue", COMPLAINTS, dict(clue_id=a0, to_agency="court", reason="jurisdiction")),
        ("ApproveRegistration", HEAD, dict(clue_id=a0)),
        ("RejectRegistration", HEAD, dict(clue_id=a0, reason="no")),
        ("ProposeDisposal", OTHER, dict(clue_id=a, method=ev_pb2.DISPOSAL_METHOD_CLOSED, reason="r")),
        ("ApproveDisposal", HEAD, dict(clue_id=a0)),
        ("RejectDisposal", HEAD, dict(clue_id=a0, reason="no")),
        ("ConcludeTalkOrLetter", OTHER, dict(clue_id=a, outcome=ev_pb2.TALK_OUTCOME_CLEARED, summary="s")),
        ("SubmitPrelimCheckPlan", OTHER, dict(clue_id=a, work_plan="p", team=["u-a", "u-b"])),
        ("ApprovePrelimCheckPlan", COMMITTEE, dict(clue_id=a)),
        ("ReportPrelimCheck", OTHER, dict(clue_id=a, findings="f", proposal=ev_pb2.REPORT_PROPOSAL_CLOSE)),
        ("ApproveReport", HEAD, dict(clue_id=a0)),
        ("RejectReport", HEAD, dict(clue_id=a0, reason="no")),
        ("ReviseReportProposal", OTHER, dict(clue_id=a, proposal=ev_pb2.REPORT_PROPOSAL_CLOSE, reason="r")),
        ("ReopenClue", OTHER, dict(clue_id=a, new_information="n")),
        ("ApproveTalkOrLetterConclusion", HEAD, dict(clue_id=a0)),
        ("RejectTalkOrLetterConclusion", HEAD, dict(clue_id=a0, reason="no")),
        ("ProposeClearing", OTHER, dict(clue_id=a, method=ev_pb2.DISPOSAL_METHOD_CLOSED, reason="r", clearing="H1")),
        ("DeclareRecusal", OTHER, dict(clue_id=a, person_id="u-kin", ground=ev_pb2.RECUSAL_GROUND_WITNESS, reason="r")),
        ("EscalateClue", OTHER_HEAD, dict(clue_id=a, to_office="supervision_2", reason="r")),
        ("ApproveEscalation", HEAD, dict(clue_id=a0)),
        ("RejectEscalation", HEAD, dict(clue_id=a0, reason="no")),
        ("ProposeRegistration", OTHER, dict(clue_id=a0, handling_office="supervision_2")),  # role refused first
        ("IssueSupervisionNotice", OTHER, dict(clue_id=a, notice_id="N-X", due_at=due, required="DISPOSED")),
    ]


async def test_an_officer_of_another_office_is_told_every_clue_rpc_finds_nothing(clues):
    a = await registered(clues, "supervision_1")
    a0 = await received(clues, INSPECTOR)
    walked = walk(a, a0)
    covered = {rpc for rpc, _, _ in walked} | {"RegisterClue", "RegisterClueBatch", "ListClues"}
    covered |= {"ListSupervisionNotices", "SubmitOfficeLedger", "GetReconciliation", "GetStockTake"}
    covered |= {"ListAwaitingMe"}  # filtered like the lists below
    assert covered == set(pb.DESCRIPTOR.services_by_name["ClueService"].methods_by_name)  # every RPC
    before = await footprint(clues, a, a0)
    for rpc, who, fields in walked:
        err = await clues.refused(rpc, who, **fields)
        if rpc in ("ProposeRegistration", "IssueSupervisionNotice"):
            assert err.code() == grpc.StatusCode.PERMISSION_DENIED, rpc
            continue
        unknown = f"clue-{uuid.uuid4()}"
        twin = await clues.refused(rpc, who, **{**fields, "clue_id": unknown})
        assert (err.code(), twin.code()) == (grpc.StatusCode.NOT_FOUND,) * 2, (rpc, err.details())
        assert err.details().replace(fields["clue_id"], unknown) == twin.details() == f"clue '{unknown}' not found"
    for rpc, fields in [
        ("SubmitOfficeLedger", dict(office="supervision_1", month=f"{datetime.now():%Y-%m}")),
        ("GetReconciliation", dict(office="supervision_1", month="2026-01", purpose=PURPOSE)),
        ("GetStockTake", dict(start=ts(datetime(2026, 1, 1, tzinfo=timezone.utc)), office="supervision_1")),
    ]:
        if rpc == "GetStockTake":
            fields |= dict(end=ts(datetime.now(timezone.utc)), purpose=PURPOSE)
        err = await clues.refused(rpc, OTHER, **fields)
        assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, "office 'supervision_1' not found"), rpc
    assert not {a, a0} & await listed(clues, OTHER)
    notices = await clues("ListSupervisionNotices", OTHER, purpose=PURPOSE)
    assert not {n.clue_id for n in notices.notices} & {a, a0}
    mine = await clues("ListAwaitingMe", OTHER, purpose=PURPOSE)
    assert not {i.file_id for i in mine.items} & {a, a0}
    reads_before = before[0] + 3  # the three lists just answered are on the record; nothing else was written
    assert await footprint(clues, a, a0) == (reads_before, before[1])
    own = await received(clues, OTHER, person="P-own")  # what an office registers is its own
    assert own in await listed(clues, OTHER) and own not in await listed(clues, INSPECTOR)


async def test_each_actor_the_policy_names_reads_and_acts(clues):
    a = await registered(clues, "supervision_1", person="P-A")
    # case management: reads everything, issues a notice to another office (a step on the clue)
    assert (await read(clues, ALICE, a)).handling_office == "supervision_1"
    due = ts(datetime.now(timezone.utc) + timedelta(days=30))
    await clues(
        "IssueSupervisionNotice",
        clue_id=a,
        notice_id="DB-A",
        to_office="resident_group_2",
        due_at=due,
        required="CONCLUDED",
    )
    # the holder proposes; the head, named by the pending approval, approves
    assert (await read(clues, INSPECTOR, a)).state == "REGISTERED"
    await clues("ProposeDisposal", INSPECTOR, clue_id=a, method=ev_pb2.DISPOSAL_METHOD_PRELIM_CHECK, reason="r")
    assert (await read(clues, HEAD, a)).pending_kind == "disposal"
    await clues("ApproveDisposal", HEAD, clue_id=a)
    # the notice's addressee reads it, sees the notice, and (its role allows) submits the plan
    assert (await read(clues, RESIDENT_2, a)).state == "PRELIM_CHECK"
    addressed = await clues("ListSupervisionNotices", RESIDENT_2, purpose=PURPOSE)
    assert [n.notice_id for n in addressed.notices if n.clue_id == a] == ["DB-A"]
    await clues(
        "SubmitPrelimCheckPlan",
        RESIDENT_2,
        clue_id=a,
        work_plan="p",
        team=["u-a", "u-b"],
        subject_heads_lower_committee=True,
    )
    # the same-level Party committee head, named by the plan's pending approval, approves it (the
    # catalogue gives that role no clue reads)
    assert (await clues("ApprovePrelimCheckPlan", COMMITTEE, clue_id=a)).state == "PRELIM_CHECK"
    # the deputy head overseeing supervision_1 reads it (no clue operation is theirs); the other does not
    assert (await read(clues, DEPUTY_1, a)).clue_id == a and a in await listed(clues, DEPUTY_1)
    err = await clues.refused("GetClue", DEPUTY_2, clue_id=a, purpose=PURPOSE)
    assert err.code() == grpc.StatusCode.NOT_FOUND and a not in await listed(clues, DEPUTY_2)
    assert (await read(clues, SYSTEM, a)).clue_id == a  # a system component
    # the complaints office, on what it received: reads the clue and its informant, forwards it
    c = await received(clues, COMPLAINTS, person="P-C")
    assert (await read(clues, COMPLAINTS, c)).state == "RECEIVED"
    informant = await clues("GetInformant", COMPLAINTS, clue_id=c, purpose=PURPOSE)
    assert informant.informant.name == "Informant"
    assert (await clues("ForwardClue", COMPLAINTS, clue_id=c, to_agency="court", reason="r")).state == "FORWARDED"
    # the liaison of a resident group's clue reads and acts on it
    b = await registered(clues, "resident_group_1", who=ALICE, person="P-B")
    assert (await read(clues, INSPECTOR, b)).handling_office == "resident_group_1"
    await clues("ProposeDisposal", INSPECTOR, clue_id=b, method=ev_pb2.DISPOSAL_METHOD_CLOSED, reason="r")
    seen = await listed(clues, INSPECTOR)
    assert {a, b} <= seen and c not in seen
    assert {a, b, c} <= await listed(clues, ALICE)


async def test_the_holder_changes_only_by_an_approved_escalation_and_the_liaison_stays(clues):
    b = await registered(clues, "resident_group_1", who=ALICE, person="P-E")
    proposed = await clues("EscalateClue", RESIDENT_1_HEAD, clue_id=b, to_office="supervision_2", reason="complex")
    assert proposed.state == "REGISTERED"
    assert (await clues.refused("GetClue", OTHER, clue_id=b, purpose=PURPOSE)).code() == grpc.StatusCode.NOT_FOUND
    await clues("RejectEscalation", HEAD, clue_id=b, reason="stays")
    await clues("EscalateClue", RESIDENT_1_HEAD, clue_id=b, to_office="supervision_2", reason="complex")
    err = await clues.refused("ApproveEscalation", RESIDENT_1_HEAD, clue_id=b)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED  # an office head proposes; the head approves
    await clues("ApproveEscalation", HEAD, clue_id=b)
    assert (await read(clues, OTHER, b)).handling_office == "supervision_2"  # the new holder
    assert (await read(clues, INSPECTOR, b)).handling_office == "supervision_2"  # the liaison, kept
    err = await clues.refused("GetClue", RESIDENT_1, clue_id=b, purpose=PURPOSE)  # the file moved on
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert b in await listed(clues, OTHER) and b not in await listed(clues, RESIDENT_1)
    at_once = await registered(clues, "supervision_1", person="P-F")
    moved = await clues("EscalateClue", HEAD, clue_id=at_once, to_office="supervision_2", reason="the head leads")
    types = [s.event_type.split(".")[-1] for s in await clues.host.store.read_stream(at_once)]
    assert moved.state == "REGISTERED" and types[-1] == "ClueEscalated"
    types = [s.event_type.split(".")[-1] for s in await clues.host.store.read_stream(b)]
    assert types[-4:] == ["EscalationProposed", "EscalationRejected", "EscalationProposed", "ClueEscalated"]


async def test_reconciliations_and_stock_takes_are_for_the_office_its_overseer_and_case_management(clues):
    month = f"{datetime.now():%Y-%m}"
    start, end = ts(datetime(2026, 1, 1, tzinfo=timezone.utc)), ts(datetime.now(timezone.utc))
    done = await clues("SubmitOfficeLedger", INSPECTOR, office="supervision_1", month=month)
    assert done.reconciliation.office == "supervision_1"
    for who in (INSPECTOR, ALICE):
        got = await clues("GetReconciliation", who, office="supervision_1", month=month, purpose=PURPOSE)
        assert got.reconciliation == done.reconciliation
    own = await clues("GetStockTake", OTHER, start=start, end=end, office="supervision_2", purpose=PURPOSE)
    assert own.office == "supervision_2"
    err = await clues.refused("GetStockTake", OTHER, start=start, end=end, purpose=PURPOSE)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED  # every office at once: case management's
    assert (await clues("GetStockTake", ALICE, start=start, end=end, purpose=PURPOSE)).office == ""


async def test_every_read_is_on_the_record_with_its_purpose(clues):
    a = await registered(clues, "supervision_1", person="P-R")
    await clues("GetClue", INSPECTOR, clue_id=a, purpose="prepare the disposal proposal")
    await clues("ListClues", INSPECTOR, stage="REGISTERED", purpose="my office's queue")
    await clues(
        "GetStockTake",
        ALICE,
        start=ts(datetime(2026, 1, 1, tzinfo=timezone.utc)),
        end=ts(datetime.now(timezone.utc)),
        office="supervision_1",
        purpose="half-year count",
    )
    host = clues.host
    rows = await host.pool.fetch(
        f"SELECT stream_id, envelope FROM {host.store.schema}.events WHERE event_type = 'common.v1.FileRead' "
        f"ORDER BY position DESC LIMIT 3"
    )
    assert all(r["stream_id"].startswith("read-") for r in rows)
    stock, queue, clue = [(parse(r["envelope"]), unpack(parse(r["envelope"]), reads_pb2.FileRead)) for r in rows]
    env, fr = clue
    assert (fr.operation, fr.purpose, env.principal.user) == (
        "clues.read/GetClue",
        "prepare the disposal proposal",
        "u-insp",
    )
    assert [(f.kind, f.id) for f in fr.files] == [("clue", a)]
    assert {(link.kind, link.id, link.relation) for link in env.links} == {
        ("clue", a, "read"),
        ("person", "P-R", "read"),
    }
    env, fr = queue
    assert (fr.operation, fr.purpose, fr.query) == ("clues.read/ListClues", "my office's queue", "stage=REGISTERED")
    assert ("clue", a) in {(f.kind, f.id) for f in fr.files} and ("person", "P-R", "read") in {
        (link.kind, link.id, link.relation) for link in env.links
    }
    env, fr = stock
    assert (fr.operation, fr.purpose, env.principal.user) == (
        "clues.reconcile/GetStockTake",
        "half-year count",
        "u-alice",
    )
    assert [(f.kind, f.id) for f in fr.files] == [("office", "supervision_1")]
    refused = await clues.refused("GetClue", INSPECTOR, clue_id=a, purpose=" ")
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "purpose" in refused.details()
