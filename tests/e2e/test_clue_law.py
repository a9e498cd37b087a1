"""Issue 20 over gRPC on a real PostgreSQL and broker: the clue table of domain.md §2 as the law
says it. A clue about the commission's own head goes straight up and the head never sees it
(CR 15; SL 67); the upper level's is never registered here (CR 15); part of a clue forwarded and
the rest registered (IR2021 171(3)); one nobody has jurisdiction over returned to its sender
(171(4)); a talk/letter conclusion in effect only when approved (Rules ch. 5); the report's
proposals beyond filing (SL 41; Rules ch. 6); a shelved clue closed at a periodic clearing with
the disposal approval (IR2021 168); recusal, of a subject and declared (SL 67), on commands, reads
and lists; every refusal named and leaving nothing behind."""

import uuid

import grpc
import pytest

from clues.v1 import events_pb2 as ev_pb2
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from tests.e2e.test_clue_lifecycle import HEAD, INSPECTOR, Client, to_report
from tests.factories import ALICE

PURPOSE = "issue 20: the clue table as the law says"
COMPLAINTS = Principal("commission", "complaints", "complaints_officer", "u-complaints")
OFFICE_HEAD = Principal("commission", "supervision_1", "office_head", "u-office-head")


@pytest.fixture(scope="module")
async def client(shared_platform):
    """The shared clues service (each test's clues are its own; lists are checked for them)."""
    host = shared_platform[0]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
        yield Client(host, ch)


def person(pid, name="Subject"):
    return identity_pb2.PersonRef(person_id=pid, name=name)


async def receive(client, who=COMPLAINTS, subjects=("P-1",), **fields):
    reg = await client(
        "RegisterClue",
        who,
        source=ev_pb2.CLUE_SOURCE_PETITION,
        summary="allegation",
        subjects=[person(p) for p in subjects],
        **fields,
    )
    return reg.clue_id


async def registered(client, subjects=("P-1",)):
    cid = await receive(client, subjects=subjects)
    await client("ProposeRegistration", clue_id=cid, handling_office="supervision_1")
    await client("ApproveRegistration", HEAD, clue_id=cid)
    return cid


async def disposed(client, method, subjects=("P-1",)):
    cid = await registered(client, subjects)
    await client("ProposeDisposal", clue_id=cid, method=method, reason="specific")
    await client("ApproveDisposal", HEAD, clue_id=cid)
    return cid


async def history_size(client, cid):
    return len(await client.host.store.read_stream(cid))


async def listed(client, who):
    return {c.clue_id for c in (await client("ListClues", who, purpose=PURPOSE)).clues}


async def test_cr15_a_clue_about_the_own_head_goes_up_at_once_and_the_head_never_sees_it(client):
    cid = await receive(
        client,
        subjects=("u-head",),  # the head's person id is the head's token user
        routing=ev_pb2.CLUE_ROUTING_ABOUT_OWN_HEAD,
        forward_to="superior_commission",
    )
    got = await client.get(cid)  # case management sees every clue
    assert (got.state, got.clue_number) == ("FORWARDED", "")  # never registered here
    assert got.routing == ev_pb2.CLUE_ROUTING_ABOUT_OWN_HEAD
    stored = [e.event_type for e in await client.host.store.read_stream(cid)]
    assert stored == ["clues.v1.ClueRegistered", "clues.v1.ClueForwarded"]
    err = await client.refused("GetClue", HEAD, clue_id=cid, purpose=PURPOSE)
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, f"clue '{cid}' not found")
    assert cid not in await listed(client, HEAD)
    err = await client.refused("RegisterClue", COMPLAINTS, **_head_clue(routing=ev_pb2.CLUE_ROUTING_ABOUT_OWN_HEAD))
    assert (err.code(), "forward_to" in err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, True)


def _head_clue(**fields):
    return dict(source=ev_pb2.CLUE_SOURCE_PETITION, summary="s", subjects=[person("u-head")], **fields)


async def test_cr15_ir2021_171_routed_clues_are_forwarded_in_whole_or_part_or_returned(client):
    upward = await receive(client, routing=ev_pb2.CLUE_ROUTING_UPPER_LEVEL)
    err = await client.refused("ProposeRegistration", clue_id=upward, handling_office="supervision_1")
    assert (err.code(), "UPPER_LEVEL" in err.details()) == (grpc.StatusCode.FAILED_PRECONDITION, True)
    up = await client(
        "ForwardClue",
        clue_id=upward,
        to_agency="superior_commission",
        reason="a cadre the upper level manages (CR 15)",
        routing=ev_pb2.CLUE_ROUTING_UPPER_LEVEL,
    )
    assert up.state == "FORWARDED"

    mixed = await receive(client, routing=ev_pb2.CLUE_ROUTING_OTHER_BODY)
    part = await client(
        "ForwardClue",
        clue_id=mixed,
        to_agency="audit office",
        reason="the tender is the audit office's",
        routing=ev_pb2.CLUE_ROUTING_OTHER_BODY,
        part="the tender of 2025",
    )
    assert part.state == "RECEIVED"  # the rest stays here (IR2021 171(3))
    await client("ProposeRegistration", clue_id=mixed, handling_office="supervision_1")
    assert (await client("ApproveRegistration", HEAD, clue_id=mixed)).state == "REGISTERED"

    nobody = await receive(client, routing=ev_pb2.CLUE_ROUTING_NO_JURISDICTION)
    returned = await client(
        "ForwardClue",
        clue_id=nobody,
        to_agency="the sender",
        reason="a private dispute: no supervision organ has jurisdiction (IR2021 171(4))",
        routing=ev_pb2.CLUE_ROUTING_NO_JURISDICTION,
    )
    assert returned.state == "FORWARDED"
    wrong = await receive(client)
    err = await client.refused(
        "ForwardClue", clue_id=wrong, to_agency="x", reason="r", routing=ev_pb2.CLUE_ROUTING_UPPER_LEVEL, part="p"
    )
    assert (err.code(), "part" in err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, True)


async def test_rules_ch5_a_talk_conclusion_takes_effect_only_when_approved(client):
    cid = await disposed(client, ev_pb2.DISPOSAL_METHOD_TALK_OR_LETTER)
    err = await client.refused(
        "ConcludeTalkOrLetter", INSPECTOR, clue_id=cid, outcome=ev_pb2.TALK_OUTCOME_LIGHT_HANDLING, summary="s"
    )
    assert (err.code(), "light_handling" in err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, True)
    reported = await client(
        "ConcludeTalkOrLetter",
        INSPECTOR,
        clue_id=cid,
        outcome=ev_pb2.TALK_OUTCOME_LIGHT_HANDLING,
        summary="admitted the late declaration",
        light_handling=ev_pb2.LIGHT_HANDLING_CRITICISM_AND_EDUCATION,
    )
    assert reported.state == "TALK_OR_LETTER"  # nothing in effect yet
    got = await client.get(cid)
    assert (got.pending_kind, got.pending_value, got.pending_proposed_by) == ("talk", "LIGHT_HANDLING", "u-insp")
    assert got.pending_detail == "CRITICISM_AND_EDUCATION"
    size = await history_size(client, cid)
    err = await client.refused("ApproveTalkOrLetterConclusion", INSPECTOR, clue_id=cid)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED  # a supervisor's role does not approve
    head_reporter = Principal("commission", "leadership", "commission_head", "u-insp")
    err = await client.refused("ApproveTalkOrLetterConclusion", head_reporter, clue_id=cid)
    assert (err.code(), "another principal" in err.details()) == (grpc.StatusCode.PERMISSION_DENIED, True)
    assert await history_size(client, cid) == size  # refusals leave nothing
    approved = await client("ApproveTalkOrLetterConclusion", HEAD, clue_id=cid)
    assert approved.state == "CLOSED"
    got = await client.get(cid)
    assert (got.outcome, got.outcome_detail) == ("LIGHT_HANDLING", "CRITICISM_AND_EDUCATION")

    again = await disposed(client, ev_pb2.DISPOSAL_METHOD_TALK_OR_LETTER)
    await client("ConcludeTalkOrLetter", INSPECTOR, clue_id=again, outcome=ev_pb2.TALK_OUTCOME_CLEARED, summary="s")
    sent_back = await client("RejectTalkOrLetterConclusion", HEAD, clue_id=again, reason="ask about the car")
    assert sent_back.state == "TALK_OR_LETTER" and (await client.get(again)).pending_kind == ""


async def test_sl41_a_report_shelves_and_the_shelved_clue_is_closed_at_a_clearing_with_approval(client):
    cid = await to_report(client, ev_pb2.REPORT_PROPOSAL_SHELVE, lower_committee=False)
    assert (await client("ApproveReport", HEAD, clue_id=cid)).state == "SHELVED"
    proposed = await client(
        "ProposeClearing",
        clue_id=cid,
        method=ev_pb2.DISPOSAL_METHOD_CLOSED,
        reason="nothing new in a year",
        clearing="2026-H1",
    )
    assert proposed.state == "SHELVED"
    kept = await client("RejectDisposal", HEAD, clue_id=cid, reason="keep it")
    assert kept.state == "SHELVED"  # refused: shelved still, not REGISTERED
    await client(
        "ProposeClearing", clue_id=cid, method=ev_pb2.DISPOSAL_METHOD_CLOSED, reason="again", clearing="2026-H2"
    )
    assert (await client("ApproveDisposal", HEAD, clue_id=cid)).state == "CLOSED"

    handed = await to_report(client, ev_pb2.REPORT_PROPOSAL_FILE_CASE, lower_committee=False)
    await client("RejectReport", HEAD, clue_id=handed, reason="propose the Party group")
    await client(
        "ReportPrelimCheck",
        INSPECTOR,
        clue_id=handed,
        findings="a Party-discipline matter",
        proposal=ev_pb2.REPORT_PROPOSAL_HAND_OVER_TO_PARTY_ORGANISATION,
        party_organisation="the bureau's Party group",
    )
    assert (await client("ApproveReport", HEAD, clue_id=handed)).state == "CLOSED"
    got = await client.get(handed)
    assert (got.outcome, got.outcome_detail) == ("HAND_OVER_TO_PARTY_ORGANISATION", "the bureau's Party group")

    reopened = await disposed(client, ev_pb2.DISPOSAL_METHOD_SHELVED)
    assert (await client("ReopenClue", clue_id=reopened, new_information="a new report")).state == "SHELVED"
    assert (await client("ApproveDisposal", HEAD, clue_id=reopened)).state == "PRELIM_CHECK"


async def test_sl67_nobody_acts_on_a_clue_about_themselves_or_one_they_are_recused_from(client):
    about_inspector = await disposed(client, ev_pb2.DISPOSAL_METHOD_TALK_OR_LETTER, subjects=("u-insp",))
    err = await client.refused(
        "ConcludeTalkOrLetter", INSPECTOR, clue_id=about_inspector, outcome=ev_pb2.TALK_OUTCOME_CLEARED, summary="s"
    )
    assert (err.code(), err.details()) == (grpc.StatusCode.NOT_FOUND, f"clue '{about_inspector}' not found")
    assert about_inspector not in await listed(client, INSPECTOR)

    cid = await registered(client)
    await client("ProposeDisposal", clue_id=cid, method=ev_pb2.DISPOSAL_METHOD_CLOSED, reason="nothing in it")
    recusal = await client(
        "DeclareRecusal",
        OFFICE_HEAD,
        clue_id=cid,
        person_id="u-head",
        ground=ev_pb2.RECUSAL_GROUND_NEAR_RELATIVE,
        reason="the subject is the head's brother-in-law",
    )
    assert recusal.state == "DISPOSAL_PROPOSED"
    size = await history_size(client, cid)
    err = await client.refused("ApproveDisposal", HEAD, clue_id=cid)
    assert (err.code(), "SL 67" in err.details()) == (grpc.StatusCode.PERMISSION_DENIED, True)
    err = await client.refused("GetClue", HEAD, clue_id=cid, purpose=PURPOSE)
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert await history_size(client, cid) == size
    err = await client.refused(
        "DeclareRecusal", ALICE, clue_id=cid, person_id="u-head", ground=ev_pb2.RECUSAL_GROUND_OTHER, reason="r"
    )
    assert (err.code(), "person_id" in err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, True)
    deputy_acting = Principal("commission", "leadership", "commission_head", "u-acting-head")
    assert (await client("ApproveDisposal", deputy_acting, clue_id=cid)).state == "CLOSED"
