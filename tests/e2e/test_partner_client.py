"""The reference partner client runs against the running platform (issue 24 points 3 and 4).

Clues, cases, sanctions and audit run as `make run` starts them (audit signing checkpoints every
second). A case is disposed and its government decision issued: the archives' PERSONNEL_FILE item
reaches the archives' feed (DecisionIssued, item_owner). The archives' integration team, with a
partner_system token, runs `python -m tools.partner_client` (its `main`, as the command line does):
`keys` pins the ledger's and the feeds' verifier keys (ListPublicKeys); `follow` reads
`partner.archives.v1` from Kafka (kafka-python's blocking consumer), verifies each entry against
the feed's signed checkpoint and its source leaf against the ledger's with the pinned keys, prints
it and acknowledges it (the backlog goes to 0); `report-item` reports the item done
(ExecutionService.ReportItem); `follow --grpc` resumes from the saved position over Subscribe and
gets the report's entry. A tampered entry is refused: a copy of a record with other bytes on the
topic (exit status 1, the genuine entry processed, nothing else acknowledged), an entry altered by
one byte, and the entry checked under another agency's pinned key.

On a second platform, a case whose disposal transfers P-77 for prosecution: the procuratorate's
and the court's clients follow their feeds and report back on what they delivered (custody taken,
the detention ends; the judgment, the decision re-decided: issue 24 point 1).
"""

import asyncio
import json
import uuid
from datetime import datetime, timezone

import grpc
import pytest
from kafka import KafkaProducer

from audit.v1 import feeds_pb2 as fpb, feeds_pb2_grpc
from cases.v1 import events_pb2 as cev
from common.v1 import person_pb2
from kernel.domain.principal import Principal
from kernel.messaging.topics import partner_topic
from sanctions.v1 import events_pb2 as sev
from tests.e2e.platforms import platform_fixture
from tests.e2e.test_clue_lifecycle import HEAD
from tests.e2e.test_sanctions_story import drafted_approved_issued, items_by_id
from tests.factories import call_metadata, token_for, wait_until
from tests.stories import (
    CASE_MANAGER,
    INVESTIGATOR,
    PURPOSE,
    ROUTE,
    dispose_from_a_clue,
    dispose_transferring_p77,
    facts_of_p77,
    sanctions_of,
    story_clients,
    ts,
)
from tools import partner_client
from tools.partner_client import Connection, PinnedKeys, Refused, Verifier

ARCHIVES = Principal("archives", "personnel_files", "partner_system", "u-archives-gateway")
PROCURATORATE = Principal("procuratorate", "prosecution_intake", "partner_system", "u-procuratorate-gateway")
COURT = Principal("court", "court_filing", "partner_system", "u-court-gateway")
AUDITOR = Principal("commission", "case_management", "auditor", "u-auditor")
FILE_RECEIPT = "e5" * 32


def now_ts():
    return ts(datetime.now(timezone.utc))


# clues, cases, sanctions and audit (checkpoints every second)
platform = platform_fixture("pc", checkpoint_seconds=1.0)
# another platform, for a case of P-77 transferred for prosecution (the first test's P-77 has a
# decision in force)
transfer_platform = platform_fixture("pt", scope="function", checkpoint_seconds=1.0)


async def backlog(audit, agency: str) -> fpb.FeedBacklog:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        listed = await feeds_pb2_grpc.PartnerFeedServiceStub(ch).ListFeedBacklogs(
            fpb.ListFeedBacklogsRequest(), metadata=call_metadata(audit.settings, AUDITOR)
        )
    return next(f for f in listed.feeds if f.agency == agency)


async def feed_holds(audit, agency: str, event_type: str, stream_id: str) -> None:
    async def holds() -> bool:
        return bool(
            await audit.pool.fetchval(
                f"SELECT count(*) FROM {audit.settings.schema}.feed_entries "
                "WHERE agency = $1 AND event_type = $2 AND stream_id = $3",
                agency,
                event_type,
                stream_id,
            )
        )

    await wait_until(holds, 90, f"{event_type} of {stream_id} in {agency}'s feed")
    schema = audit.settings.schema

    async def signed() -> bool:  # what `--until-caught-up` over Kafka waits for: the signed size
        return await audit.pool.fetchval(
            f"SELECT coalesce((SELECT max(tree_size) FROM {schema}.feed_checkpoints WHERE agency = $1), 0) "
            f">= (SELECT count(*) FROM {schema}.feed_entries WHERE agency = $1)",
            agency,
        )

    await wait_until(signed, 60, f"{agency}'s feed checkpoint to cover {stream_id}'s {event_type}")


async def test_the_reference_client_follows_verifies_acknowledges_and_reports_back(
    platform, bootstrap, tmp_path, capsys
):
    clues, cases, sanctions, audit = platform
    prefix = clues.settings.topic_prefix
    async with story_clients(clues, cases, sanctions) as (client, api, sx):
        facts = facts_of_p77(cadre=person_pb2.MANAGEMENT_LEVEL_COUNTY, party_post="secretary, bureau Party group")
        story = await dispose_from_a_clue(clues, client, api, sanctions_of("GOVERNMENT_DEMOTION"), facts)
        decisions = await sx.wait_decisions(story.case_id, 2)
        gid = next(d.decision_id for d in decisions if d.family == sev.SANCTION_FAMILY_GOVERNMENT_SANCTION)
        await drafted_approved_issued(sx, gid)
        await feed_holds(audit, "archives", "sanctions.v1.DecisionIssued", gid)

        token = token_for(audit.settings, ARCHIVES)
        keys, state = tmp_path / "keys.json", tmp_path / "archives.state.json"
        common = ["--token", token, "--audit", f"127.0.0.1:{audit.port}", "--keys", str(keys)]
        common += ["--sanctions", f"127.0.0.1:{sanctions.port}", "--cases", f"127.0.0.1:{cases.port}"]
        kafka = ["--bootstrap", bootstrap, "--topic-prefix", prefix, "--until-caught-up"]

        async def client_main(*argv: str) -> tuple[int, str, str]:
            capsys.readouterr()
            code = await asyncio.to_thread(partner_client.main, [*common, *argv], {})
            out, err = capsys.readouterr()
            return code, out, err

        # keys: the ledger's and every feed's verifier key, pinned
        code, out, err = await client_main("keys")
        assert code == 0, err
        pinned = PinnedKeys.load(keys)
        assert pinned.feed("archives")[1].endswith("/feed/archives") and pinned.ledger_key.startswith(
            pinned.ledger_origin
        )

        # follow from Kafka: every entry verified, printed, acknowledged: the backlog is 0
        code, out, err = await client_main("follow", "--agency", "archives", "--state", str(state), *kafka)
        assert code == 0, err
        size = (await backlog(audit, "archives")).size
        assert size >= 1 and out.count(" verified (feed ") == size
        assert "sanctions.v1.DecisionIssued" in out and gid in out and "PERSONNEL_FILE" in out
        assert json.loads(state.read_text()) == {"agency": "archives", "next": size}
        after = await backlog(audit, "archives")
        assert (after.acknowledged, after.backlog) == (size, 0)

        # report back: the archives' item done, receipt by hash
        code, out, err = await client_main(
            "report-item", "--decision-id", gid, "--item-id", "PERSONNEL_FILE", "--receipt-sha256", FILE_RECEIPT
        )
        assert code == 0, err
        assert "\nPERSONNEL_FILE DONE (decision version" in out  # (the services log to stdout too)
        assert items_by_id(await sx.decision(gid))["PERSONNEL_FILE"].status == "DONE"
        # the same report again is refused (FAILED_PRECONDITION: done already), exit status 1
        code, out, err = await client_main(
            "report-item", "--decision-id", gid, "--item-id", "PERSONNEL_FILE", "--receipt-sha256", FILE_RECEIPT
        )
        assert code == 1 and "FAILED_PRECONDITION" in err
        # the procuratorate reports custody of a detention its feed never delivered (this disposal
        # transferred nobody): NOT_FOUND, as an unknown id (issue 24 point 1)
        procuratorate = ["--token", token_for(cases.settings, PROCURATORATE)]
        custody = ["custody", "--measure-id", f"measure-{uuid.uuid4()}", "--title", "羁押回执"]
        code, out, err = await client_main(*procuratorate, *custody, "--document-sha256", FILE_RECEIPT)
        assert code == 1 and "NOT_FOUND" in err, err
        code, out, err = await client_main(*procuratorate, *custody)
        assert code == 2 and "--document" in err  # a usage error, nothing sent
        # the court reports a judgment on a person this case never transferred for prosecution
        # (its feed never delivered it): NOT_FOUND, as an unknown id; the decision unchanged
        version = (await sx.decision(gid)).version
        judgment = ["judgment", "--case-id", story.case_id, "--person-id", "P-77", "--title", "刑事判决书"]
        judgment += ["--judgment-number", "(2026)京0101刑初12号", "--sentence", "FIXED_TERM", "--intentional"]
        court = ["--token", token_for(sanctions.settings, COURT)]
        code, out, err = await client_main(*court, *judgment, "--document-sha256", FILE_RECEIPT)
        assert code == 1 and "NOT_FOUND" in err, err
        assert (await sx.decision(gid)).version == version

    # follow over Subscribe, resuming from the saved position: the report's entry comes, verified
    await feed_holds(audit, "archives", "sanctions.v1.ExecutionItemReported", gid)
    code, out, err = await client_main(
        "follow", "--agency", "archives", "--state", str(state), "--grpc", "--until-caught-up"
    )
    assert code == 0, err
    grown = (await backlog(audit, "archives")).size
    assert grown > size and out.count(" verified (feed ") == grown - size
    assert "sanctions.v1.ExecutionItemReported" in out and FILE_RECEIPT in out
    assert (await backlog(audit, "archives")).backlog == 0

    # the state decides, the group's offsets are a hint: a state at position 1 with the group's
    # offsets at the topic's end (the feed's signed checkpoint covers more) reads the topic again
    # from the beginning and processes 1 onwards, once each
    first = ["follow", "--agency", "archives", "--group", "g2", "--no-ack", *kafka]
    code, out, err = await client_main(*first, "--state", str(tmp_path / "g2.state.json"))
    assert code == 0 and out.count(" verified (feed ") == grown, err
    behind = tmp_path / "behind.state.json"
    behind.write_text(json.dumps({"agency": "archives", "next": 1}))
    code, out, err = await client_main(*first, "--state", str(behind))
    assert code == 0, err
    assert "position 1 missing at the topic's end: reading it again" in err
    assert out.count(" verified (feed ") == grown - 1 and json.loads(behind.read_text())["next"] == grown

    # a tampered entry is refused: another record at position 0 with other bytes on the topic
    row = await audit.pool.fetchrow(
        f"SELECT entry, stream_id FROM {audit.settings.schema}.feed_entries WHERE agency = 'archives' AND position = 0"
    )
    genuine = bytes(row["entry"])
    tampered = genuine.replace(b'"view":{', b'"view":{"forged":"yes",', 1)
    assert tampered != genuine
    await asyncio.to_thread(produce, bootstrap, partner_topic("archives", prefix), row["stream_id"], tampered)
    fresh = tmp_path / "fresh.state.json"
    code, out, err = await client_main(
        "follow", "--agency", "archives", "--state", str(fresh), "--group", "another", *kafka
    )
    assert code == 1 and "REFUSED position 0" in err, err
    assert out.count(" verified (feed ") == grown and "forged" not in out
    assert json.loads(fresh.read_text())["next"] == grown

    # the verifier alone: one byte altered, and the right bytes under another agency's pinned key
    conn = Connection(token=token, audit=f"127.0.0.1:{audit.port}")
    try:
        verifier = Verifier(conn, pinned, "archives", wait_checkpoint=5)
        assert (await asyncio.to_thread(verifier.check, 0, genuine)).position == 0
        flipped = genuine.replace(b'"position":0', b'"position":0 ', 1)
        for bad in (tampered, flipped, genuine[:-1] + b" "):
            with pytest.raises(Refused):
                await asyncio.to_thread(verifier.check, 0, bad)
        wrong = PinnedKeys(pinned.ledger_key, pinned.ledger_origin, {"archives": pinned.feed("court")})
        with pytest.raises(Refused, match="checkpoint"):
            await asyncio.to_thread(Verifier(conn, wrong, "archives", 5).check, 0, genuine)
    finally:
        conn.close()


def produce(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    """A record as audit's publisher writes it (key = stream id, the position header), other bytes."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    headers = [("event-id", b"x"), ("position", b"0"), ("agency", b"archives"), ("leaf-index", b"0")]
    producer.send(topic, key=key.encode(), value=value, headers=headers).get(timeout=30)
    producer.close()


def printed(out: str) -> list[tuple[str, str, dict]]:
    """The entries the client printed: (event type, stream id, view)."""
    lines, found = out.splitlines(), []
    for k, line in enumerate(lines):
        if " verified (feed " in line:
            _, event_type, stream_id, *_ = line.split()
            found.append((event_type, stream_id, json.loads(lines[k + 1])))
    return found


async def test_the_procuratorate_and_the_court_report_back_with_the_client_on_what_their_feeds_delivered(
    transfer_platform, tmp_path, capsys
):
    """Issue 24 point 1 through the reference client: P-77 detained, the case disposed with a
    transfer for prosecution. The procuratorate's client follows its feed (the disposal, verified),
    reports custody taken (IR2025 134: the detention ends) and then receives the hand-over in its
    feed; the court's client follows its feed (the disposal: the case and the person) and reports
    the judgment on the issued decision's person (G12, PSL 14, 49: re-decided)."""
    clues, cases, sanctions, audit = transfer_platform
    async with story_clients(clues, cases, sanctions) as (client, api, sx):
        story, mid = await dispose_transferring_p77(clues, client, api, cases, FILE_RECEIPT)
        for agency in ("procuratorate", "court"):
            await feed_holds(audit, agency, "cases.v1.CaseDisposed", story.case_id)

        keys = ["--keys", str(tmp_path / "keys.json"), "--audit", f"127.0.0.1:{audit.port}"]
        keys += ["--cases", f"127.0.0.1:{cases.port}", "--sanctions", f"127.0.0.1:{sanctions.port}"]

        async def as_agency(who: Principal, *argv: str) -> tuple[int, str, str]:
            capsys.readouterr()
            token = ["--token", token_for(audit.settings, who)]
            code = await asyncio.to_thread(partner_client.main, [*token, *keys, *argv], {})
            out, err = capsys.readouterr()
            return code, out, err

        assert (await as_agency(PROCURATORATE, "keys"))[0] == 0
        follow = ["follow", "--grpc", "--until-caught-up"]

        # the procuratorate: the disposal delivered (the case, the person transferred), verified
        pstate = str(tmp_path / "procuratorate.state.json")
        code, out, err = await as_agency(PROCURATORATE, *follow, "--agency", "procuratorate", "--state", pstate)
        assert code == 0, err
        ((event_type, stream_id, view),) = printed(out)
        assert (event_type, stream_id, view["case_id"]) == ("cases.v1.CaseDisposed", story.case_id, story.case_id)
        assert [o["person_id"] for o in view["outcomes"]] == ["P-77"]
        # custody taken, named as the feed delivered it: the transfer's case and person
        custody = ["custody", "--case-id", view["case_id"], "--person-id", view["outcomes"][0]["person_id"]]
        custody += ["--title", "羁押回执", "--document-sha256", FILE_RECEIPT]
        code, out, err = await as_agency(PROCURATORATE, *custody)
        assert code == 0 and f"{mid} ENDED" in out, err
        ended = (await api("GetMeasure", INVESTIGATOR, measure_id=mid, purpose=PURPOSE)).measure
        assert (ended.state, ended.outcome) == ("ENDED", cev.MEASURE_OUTCOME_CUSTODY_TRANSFERRED)
        await feed_holds(audit, "procuratorate", "cases.v1.MeasureEnded", mid)
        code, out, err = await as_agency(PROCURATORATE, *follow, "--agency", "procuratorate", "--state", pstate)
        assert code == 0, err
        assert {(t, s) for t, s, _ in printed(out)} == {
            ("cases.v1.CustodyTransferred", mid),
            ("cases.v1.MeasureEnded", mid),
        }
        assert (await backlog(audit, "procuratorate")).backlog == 0

        # the court: the same disposal delivered (the case and the person, no package), verified
        code, out, err = await as_agency(COURT, *follow, "--agency", "court", "--state", str(tmp_path / "court.json"))
        assert code == 0, err
        ((event_type, _, view),) = printed(out)
        assert event_type == "cases.v1.CaseDisposed" and "transfer" not in view
        case_id, person_id = view["case_id"], view["outcomes"][0]["person_id"]
        decisions = await sx.wait_decisions(story.case_id, 2)
        gid = next(d.decision_id for d in decisions if d.family == sev.SANCTION_FAMILY_GOVERNMENT_SANCTION)
        draft = dict(decision_id=gid, title="关于给予P-77记过处分的决定", legal_basis=["政务处分法 art. 32"])
        await sx("DraftDecision", CASE_MANAGER, **draft, review_route=ROUTE, announcement_scope="所在单位")
        await sx("IssueDecision", HEAD, decision_id=gid, document_number="县纪〔2026〕31号", decided_at=now_ts())
        judgment = ["judgment", "--case-id", case_id, "--person-id", person_id, "--title", "刑事判决书"]
        judgment += ["--document-sha256", FILE_RECEIPT, "--judgment-number", "(2026)县0101刑初7号"]
        judgment += ["--sentence", "SUSPENDED", "--intentional", "--request-id", str(uuid.uuid4())]
        for _ in range(120):  # until the sanctions service has followed the disposal from Kafka
            code, out, err = await as_agency(COURT, *judgment)
            if "NOT_FOUND" not in err:
                break
            await asyncio.sleep(0.5)
        assert code == 0 and f"{gid} DECISION_STATUS_REDECISION_REQUIRED" in out, err
        assert (await sx.decision(gid)).status == sev.DECISION_STATUS_REDECISION_REQUIRED


class FakeVerifier:
    """Accepts the bytes `good[position]`, refuses anything else (what the real one does on a forgery)."""

    def __init__(self, good: dict[int, bytes]):
        self.good, self.checked = good, []

    def check(self, position: int, raw: bytes):
        self.checked.append(position)
        if self.good.get(position) != raw:
            raise Refused(f"position {position}: does not verify")
        return partner_client.Verified(position, {"event_type": "t", "stream_id": "s", "occurred_at": "o",
                                                  "leaf_index": position, "view": {}}, 9, 9)  # fmt: skip


def test_positions_are_processed_in_order_once_whatever_kafka_delivers(tmp_path, capsys):
    """At least once, out of order across partitions (issue 23 point 3): the client holds an early
    position, skips a repeat, refuses a forgery before or after the real entry, and acknowledges
    nothing (here) beyond what it processed."""
    good = {p: f"entry {p}".encode() for p in range(6)}
    verifier = FakeVerifier(good)
    state = partner_client.State(tmp_path / "s.json", "archives")
    follower = partner_client.Follower(None, verifier, state, ack=False)
    for position, raw in [(2, good[2]), (0, b"forged 0"), (0, good[0]), (1, good[1]), (1, good[1]), (0, good[0])]:
        follower.receive(position, raw)
        follower.drain()
    assert state.next == 3 and follower.processed == 3 and follower.refused == 1  # the forged 0
    follower.receive(1, b"forged 1")  # a repeat with other bytes: refused, nothing changes
    follower.receive(4, good[4])
    follower.drain()
    assert (state.next, follower.refused, sorted(follower.pending)) == (3, 2, [4])  # 4 waits for 3
    follower.receive(3, good[3])
    follower.receive(3, b"forged 3")  # a second candidate at the same position, after the real one
    follower.drain()
    assert (state.next, follower.refused, follower.pending) == (5, 3, {})
    assert json.loads((tmp_path / "s.json").read_text()) == {"agency": "archives", "next": 5}
    assert verifier.checked == [0, 0, 1, 2, 3, 4]  # a repeat is not verified again
    assert capsys.readouterr().err.count("REFUSED position") == 3
    resumed = partner_client.State.load(tmp_path / "s.json", "archives")
    assert resumed.next == 5
    with pytest.raises(partner_client.Usage):
        partner_client.State.load(tmp_path / "s.json", "court")  # another feed's state


def test_the_client_helps_and_asks_for_a_token_and_keys(tmp_path, capsys):
    with pytest.raises(SystemExit) as helped:
        partner_client.main(["--help"])
    assert helped.value.code == 0 and "follow" in capsys.readouterr().out
    assert partner_client.main(["keys"], {}) == 2 and "PARTNER_TOKEN" in capsys.readouterr().err
    missing = ["--token", "t", "--keys", str(tmp_path / "none.json"), "follow", "--agency", "archives", "--grpc"]
    assert partner_client.main(missing, {}) == 2 and "run `keys` first" in capsys.readouterr().err
