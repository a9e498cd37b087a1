"""Seed 004 (Ningbo, June 2021) told end to end: the organisation department's request for integrity
opinions (党风廉政意见征求意见函) on 200 candidates of a general election, one of whom has a talk or
letter inquiry under way (信访举报正在核实), against the running clues and audit services over gRPC
and Kafka (domain.md §5):

- audit proposes from the dossiers of its ledger: 199 NO_OBJECTION, 1 PENDING (an open clue);
- the clue is fast-tracked in the clues service (快查快处快结): priority FAST_TRACK, first in the
  ledger, with a supervision notice (督办) due before the intended date;
- the clue is concluded (the talk cleared the cadre: 经核查，未发现…问题), and the notice is met;
- a second request about the cadre is answered NO_OBJECTION;
- the liaison offices sign off their candidates (the one with the concluded clue changed to no
  objection, with the office's comment), the head signs the reply, and the reply reaches the
  organisation department on its partner feed (`PartnerFeedService.Subscribe`)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone

import grpc
import pytest

from audit.v1 import (
    feeds_pb2 as fpb,
    feeds_pb2_grpc,
    integrity_pb2 as ipb,
    integrity_pb2_grpc,
)
from clues.v1 import events_pb2 as ev_pb2
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from tests.e2e.platforms import platform_fixture
from tests.e2e.test_clue_lifecycle import HEAD, INSPECTOR, Client
from tests.factories import ALICE, call_metadata, wait_until

platform = platform_fixture("is", ("clues", "audit"), clocked=None)

ORG_DEPT = Principal("organisation_department", "cadre_management", "partner_system", "u-org")
SUPERVISOR_2 = Principal("commission", "supervision_2", "supervisor", "u-sup2")
PURPOSE = "integrity-opinion reply (党风廉政意见回复)"
# liaison offices by unit (deploy/config/integrity.toml [liaison.units])
UNITS = {"县教育局": "supervision_1", "县卫生健康局": "supervision_1", "县交通运输局": "supervision_2"}
CANDIDATES = 200
THE_ONE = 42  # the candidate the talk or letter inquiry is about (某局局长)
NO_OBJECTION, PENDING = ipb.INTEGRITY_ANSWER_NO_OBJECTION, ipb.INTEGRITY_ANSWER_PENDING


def person_id(k: int) -> str:
    return f"P-004-{k:03d}"


def candidates() -> list[ipb.Candidate]:
    units = list(UNITS)
    return [
        ipb.Candidate(
            person=identity_pb2.PersonRef(
                person_id=person_id(k), name=f"候选人{k:03d}", post="局长", unit=units[k % len(units)]
            )
        )
        for k in range(CANDIDATES)
    ]


class Integrity:
    """Audit's IntegrityService, one principal per call, each call its own request id."""

    def __init__(self, host, channel):
        self.host, self.stub = host, integrity_pb2_grpc.IntegrityServiceStub(channel)

    async def __call__(self, rpc: str, who: Principal, **fields):
        request = getattr(ipb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=str(uuid.uuid4()), correlation="corr-integrity")
        return await getattr(self.stub, rpc)(request, metadata=md)

    async def dossier(self, person: str):
        return await self("GetDossier", ALICE, person_id=person, purpose=PURPOSE)

    async def submit(self, reference: str, intended: date, people: list[ipb.Candidate]):
        return (
            await self(
                "SubmitIntegrityRequest",
                ORG_DEPT,
                reference=reference,
                intended_use=ipb.INTENDED_USE_PROMOTION,
                intended_date=intended.isoformat(),
                candidates=people,
            )
        ).request


async def feed_entries(audit, agency: str, office: str) -> list[dict]:
    """The agency's feed read from its start until the stream says it caught up, each entry's JSON."""
    principal = Principal(agency, office, "partner_system", f"u-{agency}")
    out = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stream = feeds_pb2_grpc.PartnerFeedServiceStub(ch).Subscribe(
            fpb.SubscribeRequest(from_position=0), metadata=call_metadata(audit.settings, principal)
        )
        async for message in stream:
            if message.HasField("caught_up"):
                stream.cancel()
                break
            out.append(json.loads(message.entry.entry))
    return out


@pytest.fixture
async def clients(platform):
    clues, audit = platform
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1,
        grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch2,
    ):
        yield Client(clues, ch1), Integrity(audit, ch2)


async def talk_under_way(client: Client, person: str) -> str:
    """A petition about the cadre, registered and disposed by a talk or letter inquiry (Rules ch. 5)."""
    reg = await client(
        "RegisterClue",
        source=ev_pb2.CLUE_SOURCE_PETITION,
        summary="信访举报：违规收受礼金",
        subjects=[identity_pb2.PersonRef(person_id=person, name=f"候选人{THE_ONE:03d}", post="局长", unit="县教育局")],
    )
    cid = reg.clue_id
    await client("ProposeRegistration", clue_id=cid, handling_office="supervision_1")
    await client("ApproveRegistration", HEAD, clue_id=cid)
    await client("ProposeDisposal", clue_id=cid, method=ev_pb2.DISPOSAL_METHOD_TALK_OR_LETTER, reason="specific")
    await client("ApproveDisposal", HEAD, clue_id=cid)
    return cid


async def clue_in_dossier(integrity: Integrity, person: str, clue_id: str, open_: bool) -> None:
    async def shown() -> bool:
        items = (await integrity.dossier(person)).items
        return any(i.ref == clue_id and i.kind == ipb.DOSSIER_ITEM_KIND_CLUE and i.open == open_ for i in items)

    await wait_until(shown, 60, f"audit's dossier of {person} showing {clue_id} {'open' if open_ else 'closed'}")


async def test_seed_004_two_hundred_candidates_one_clue_fast_tracked_and_the_reply_signed(platform, clients):
    _, audit = platform
    client, integrity = clients
    cadre = person_id(THE_ONE)
    clue_id = await talk_under_way(client, cadre)
    await clue_in_dossier(integrity, cadre, clue_id, open_=True)
    intended = datetime.now(timezone.utc).date() + timedelta(days=10)

    # the request: 199 no objection, 1 pending (正在核实) with its open clue named
    request = await integrity.submit("甬组干函〔2021〕26号", intended, candidates())
    assert (request.no_objection, request.pending, request.objection) == (199, 1, 0)
    [pending] = [c for c in request.candidates if c.proposed == PENDING]
    assert pending.person.person_id == cadre and list(pending.fast_tracked_clues) == [clue_id]
    assert [r.check for r in pending.reasons] == ["OPEN_CLUE"] and pending.reasons[0].ref == clue_id
    assert {c.proposed for c in request.candidates if c.person.person_id != cadre} == {NO_OBJECTION}

    # the fast track: top priority, a notice due before the intended date, first in the ledger
    async def fast_tracked() -> bool:
        return (await client.get(clue_id)).priority == ev_pb2.CLUE_PRIORITY_FAST_TRACK

    await wait_until(fast_tracked, 60, "the clue fast-tracked by the clues service")
    notice = f"integrity:{request.request_id.removeprefix('integrity-')}"
    listed = await client("ListSupervisionNotices", ALICE, purpose=PURPOSE)
    [n] = [n for n in listed.notices if n.clue_id == clue_id]
    assert (n.notice_id, n.to_office, n.required) == (notice, "supervision_1", "CONCLUDED")
    beginning = datetime.combine(intended, datetime.min.time(), tzinfo=timezone(timedelta(hours=8)))
    assert n.due_at.ToDatetime(tzinfo=timezone.utc) < beginning and not n.HasField("satisfied_at")
    other = await client(
        "RegisterClue",
        source=ev_pb2.CLUE_SOURCE_PETITION,
        summary="another petition",
        subjects=[identity_pb2.PersonRef(person_id="P-004-900", name="某某")],
        priority=ev_pb2.CLUE_PRIORITY_SAME_LEVEL_COMMITTEE_CADRE,
    )
    ledger = await client("ListClues", ALICE, purpose=PURPOSE)
    order = [c.clue_id for c in ledger.clues]
    assert order.index(clue_id) < order.index(other.clue_id)  # before every other class
    refused = await client.refused(
        "RegisterClue",
        source=ev_pb2.CLUE_SOURCE_PETITION,
        summary="x",
        subjects=[identity_pb2.PersonRef(person_id="P-004-901", name="某某")],
        priority=ev_pb2.CLUE_PRIORITY_FAST_TRACK,
    )
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "priority" in refused.details()

    # the clue concluded (cleared): the notice met
    await client(
        "ConcludeTalkOrLetter",
        INSPECTOR,
        clue_id=clue_id,
        outcome=ev_pb2.TALK_OUTCOME_CLEARED,
        summary="经核查，未发现所反映问题",
    )
    await client("ApproveTalkOrLetterConclusion", HEAD, clue_id=clue_id)
    listed = await client("ListSupervisionNotices", ALICE, purpose=PURPOSE)
    [n] = [n for n in listed.notices if n.clue_id == clue_id]
    assert n.HasField("satisfied_at")

    # a second request about the cadre, once audit recorded the conclusion: no objection
    await clue_in_dossier(integrity, cadre, clue_id, open_=False)
    again = await integrity.submit("甬组干函〔2021〕27号", intended, [candidates()[THE_ONE]])
    assert (again.no_objection, again.pending, again.objection) == (1, 0, 0)
    assert list(again.candidates[0].fast_tracked_clues) == []

    # the liaison offices sign off; the cadre's office changes pending to no objection, saying why
    rid = request.request_id
    with pytest.raises(grpc.aio.AioRpcError) as early:
        await integrity("SignIntegrityReply", HEAD, request_id=rid)
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    changed = ipb.CandidateSignOff(
        person_id=cadre, answer=NO_OBJECTION, comment="线索已快查快结，经核查未发现所反映问题"
    )
    ones = [
        ipb.CandidateSignOff(person_id=c.person.person_id)
        for c in request.candidates
        if c.liaison_office == "supervision_1" and c.person.person_id != cadre
    ]
    await integrity("SignOffCandidates", INSPECTOR, request_id=rid, candidates=[*ones, changed])
    await integrity("SignOffCandidates", SUPERVISOR_2, request_id=rid)
    replied = (await integrity("SignIntegrityReply", HEAD, request_id=rid)).request
    assert replied.state == "REPLIED" and replied.signed_by == HEAD.user
    [line] = [c for c in replied.candidates if c.person.person_id == cadre]
    assert (line.proposed, line.answer) == (PENDING, NO_OBJECTION) and "不持异议" in line.reply_text

    # the reply reaches the organisation department on its feed: every candidate's answer and words
    async def reply_entry() -> dict | None:
        for e in await feed_entries(audit, "organisation_department", "cadre_management"):
            if e["event_type"] == "audit.v1.IntegrityReplySigned" and e["view"]["request_id"] == rid:
                return e["view"]
        return None

    await wait_until(reply_entry, 60, "IntegrityReplySigned on the organisation department's feed")
    view = await reply_entry()
    assert view["reference"] == "甬组干函〔2021〕26号" and len(view["replies"]) == CANDIDATES
    [mine] = [r for r in view["replies"] if r["person_id"] == cadre]
    assert mine["answer"] == "INTEGRITY_ANSWER_NO_OBJECTION" and "不持异议" in mine["reply_text"]
    assert {r["answer"] for r in view["replies"]} == {"INTEGRITY_ANSWER_NO_OBJECTION"}
    assert "快查快结" not in json.dumps(view, ensure_ascii=False)  # the office's comment stays inside
