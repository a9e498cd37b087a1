"""Partner feeds over gRPC (issue 23 points 2-5), against the real PostgreSQL and the audit service.

Events are recorded through the audit's recorder as its consumer records them (one transaction per
batch); a feed configuration of the test's own gives the court and the procuratorate each their
redacted view of clue registrations, and the procuratorate case filings too. What is proved here:

* each agency's feed holds one entry per selected leaf, exactly once and in leaf order, at
  positions 0, 1, 2, ... — at ingest, for leaves an older replica recorded without the feed
  (caught up at the next start), and across a restart; the entries rebuild equal from the ledger;
  the feed's signed root is the root of its entries;
* a partner reads, acknowledges and proves only its own feed: naming another agency is
  PERMISSION_DENIED, and so is an officer of the commission or a partner asking for the backlogs;
* Subscribe killed 20 times at random points (the client cancelling, the channel closed, while
  entries keep coming) and resumed from the last position received + 1: the union received is
  exactly the feed, in order, once;
* Acknowledge moves a watermark (lower is no change, beyond the feed FAILED_PRECONDITION) and
  ListFeedBacklogs shows it to operators;
* an entry and the feed received in full verify offline with the published public keys alone
  (`services.audit.verify_feed`, also as a command), with the source leaf's proof in the ledger;
  a tampered entry, or another feed's key, is refused.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from audit.v1 import feeds_pb2 as pb, feeds_pb2_grpc
from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import NewEvent
from kernel.eventstore.projections import rebuild
from kernel.messaging.inbox import Source
from kernel.runtime.settings import extend
from services.audit import verify_feed
from services.audit.app import feeds, projections
from services.audit.domain import feeds as rules, merkle
from services.audit.main import AuditSettings, build as build_audit
from services.audit.verify_feed import FeedError, Received
from tests.factories import call_metadata, service_settings, wait_until

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
PROCURATOR = Principal("procuratorate", "prosecution_intake", "partner_system", "u-proc")
COURT = Principal("court", "court_filing", "partner_officer", "u-court")
OPERATOR = Principal("commission", "platform_operations", "platform_operator", "u-ops")
INVESTIGATOR = Principal("commission", "investigation_2", "investigator", "u-inv")
CLERK = Principal("commission", "complaints", "complaints_officer", "u-clerk")

CONFIG = """
schema_version = 1
[agencies.court.events."clues.v1.ClueRegistered"]
select = "all"
fields = ["clue_id", "summary"]
[agencies.procuratorate.events."clues.v1.ClueRegistered"]
select = "all"
fields = ["clue_id"]
[agencies.procuratorate.events."cases.v1.CaseFiled"]
select = "all"
fields = ["case_id", "filed_at"]
"""


class Producer:
    """Envelopes as the producers seal them: clue registrations (court and procuratorate), case
    filings (procuratorate only) and clue notes no feed receives, each on its own stream."""

    def __init__(self):
        self.made = 0
        self.offset = 0

    def events(self, n: int) -> list[bytes]:
        out = []
        for _ in range(n):
            k = self.made
            self.made += 1
            kind = k % 3
            stream = f"{('clue', 'case', 'clue')[kind]}-{uuid.UUID(int=0x2300000 + k)}"
            payload = (
                clues.ClueRegistered(clue_id=stream, summary=f"kickbacks #{k}", has_sealed_informant=True),
                cases.CaseFiled(case_id=stream, clue_id=f"clue-{uuid.UUID(int=k)}", handling_office="investigation_2"),
                clues.ClueCaseFiled(clue_id=stream, case_id=f"case-{uuid.UUID(int=k)}"),
            )[kind]
            at = T0 + timedelta(minutes=k)
            event = NewEvent(str(uuid.uuid5(uuid.UUID(int=23), str(k))), payload, at, CLERK, "c")
            out.append(env_mod.seal(env_mod.build(event, stream, 1, at)))
        return out

    async def record(self, audit, raws: list[bytes], batch: int = 4) -> None:
        for i in range(0, len(raws), batch):
            chunk = raws[i : i + batch]
            await audit.parts.recorder.record_batch(
                [(raw, Source("feeds.test", 0, self.offset + j)) for j, raw in enumerate(chunk)]
            )
            self.offset += len(chunk)


def expected(raws: list[bytes], agency: str) -> list[str]:
    """The event ids each agency's feed must hold, in recording order."""
    wanted = {"court": ("clues.v1.ClueRegistered",), "procuratorate": ("clues.v1.ClueRegistered", "cases.v1.CaseFiled")}
    return [e.event_id for e in map(env_mod.parse, raws) if e.event_type in wanted[agency]]


@pytest.fixture
async def platform(database_url, bootstrap, tmp_path):
    """(start, stop): the audit service on one schema and data folder, restartable."""
    prefix = f"pf{uuid.uuid4().hex[:8]}"
    (tmp_path / "feeds.toml").write_text(CONFIG)
    settings = extend(
        AuditSettings,
        service_settings("audit", database_url, bootstrap, prefix, tmp_path, database_schema=f"audit_{prefix}"),
        checkpoint_seconds=3600,
        partner_feeds_file=tmp_path / "feeds.toml",
        feed_key_dir=tmp_path / "feed-keys",
    )
    running, configured = [], feeds._config  # the service configures the process's feeds: restored after

    async def start():
        running.append(await build_audit(settings).start())
        return running[-1]

    async def stop(host):
        running.remove(host)
        await host.stop()

    yield start, stop
    for host in list(running):
        await host.stop()
    feeds.configure(configured)


async def stored(audit, agency: str):
    s = audit.settings.schema
    return await audit.pool.fetch(
        f"SELECT position, leaf_index, event_id::text AS event_id, entry FROM {s}.feed_entries "
        f"WHERE agency = $1 ORDER BY position",
        agency,
    )


def md(audit, principal: Principal):
    return call_metadata(audit.settings, principal)


async def test_each_agency_gets_each_selected_leaf_once_at_ingest_after_an_older_replica_and_a_restart(
    platform, monkeypatch
):
    start, stop = platform
    audit, producer = await start(), Producer()
    raws = producer.events(12)
    await producer.record(audit, raws)
    # an older replica (without the feeds projection) records the next leaves: no entry is made...
    older = tuple(p for p in projections.PROJECTIONS if p.name != "feeds")
    with monkeypatch.context() as m:
        m.setattr(projections, "PROJECTIONS", older)
        more = producer.events(9)
        await producer.record(audit, more)
    assert len(await stored(audit, "procuratorate")) == len(expected(raws, "procuratorate"))
    await stop(audit)
    # ...until the next start catches the feed up, before anything else is recorded
    audit = await start()
    last = producer.events(6)
    await producer.record(audit, last)
    everything = raws + more + last
    signed_sizes = {}
    for agency in ("court", "procuratorate"):
        rows = await stored(audit, agency)
        assert [r["event_id"] for r in rows] == expected(everything, agency)  # each once, in leaf order
        assert [r["position"] for r in rows] == list(range(len(rows)))
        assert [r["leaf_index"] for r in rows] == sorted(r["leaf_index"] for r in rows)
        for r in rows:
            doc = rules.parse_entry(bytes(r["entry"]))
            assert (doc["agency"], doc["position"], doc["leaf_index"]) == (agency, r["position"], r["leaf_index"])
            assert "has_sealed_informant" not in doc["view"]  # not allowed: never leaves
            assert set(doc["view"]) <= (
                {"clue_id", "summary"} if agency == "court" else {"clue_id", "case_id", "filed_at"}
            )
        signed = await audit.parts.feeds.checkpointer.sign(agency)
        signed_sizes[agency] = signed.tree_size
        assert signed.tree_size == len(rows)
        assert signed.root == merkle.root_of([merkle.leaf_hash(bytes(r["entry"])) for r in rows])
    feed, schema = projections.BY_NAME["feeds"], audit.settings.schema
    async with audit.pool.acquire() as conn:  # the feeds are a projection: they rebuild equal...
        assert (await rebuild(conn, schema, feed, replace=False)).equal
        assert (await rebuild(conn, schema, feed, replace=True)).equal
        # ...but a signed entry is never replaced: an altered one is reported, left for verify_feed
        altered = await conn.fetchval(
            f"UPDATE {schema}.feed_entries SET entry = entry || ' '::bytea WHERE agency = 'court' AND position = 1 "
            f"RETURNING leaf_index"
        )
        done = await rebuild(conn, schema, feed, replace=True)
        assert not done.equal and not done.replaced and done.mismatched == [altered]
        assert bytes((await stored(audit, "court"))[1]["entry"]).endswith(b" ")
        keys = {a: signer.verifier_key for a, signer in audit.parts.feeds.checkpointer.signers.items()}
        assert await verify_feed.verify_stored(conn, schema, "procuratorate", keys["procuratorate"]) == []
        found = await verify_feed.verify_stored(conn, schema, "court", keys["court"])
        assert found[0] == "entry 1: its bytes do not hash to the stored leaf (altered)"
        assert any(p.startswith(f"checkpoint {signed_sizes['court']}: ") for p in found)
        wrong_key = await verify_feed.verify_stored(conn, schema, "court", keys["procuratorate"])
        assert any("no signature by" in p for p in wrong_key)
    assert await audit.parts.recorder.migrate() is None  # a further start indexes nothing twice
    assert len(await stored(audit, "court")) == len(expected(everything, "court"))


async def test_a_partner_reads_acknowledges_and_proves_only_its_own_feed(platform):
    start, _ = platform
    audit, producer = await start(), Producer()
    await producer.record(audit, producer.events(9))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = feeds_pb2_grpc.PartnerFeedServiceStub(ch)
        refusals = [
            (stub.Acknowledge, pb.AcknowledgeRequest(agency="court", position=0), md(audit, PROCURATOR)),
            (stub.GetFeedCheckpoint, pb.GetFeedCheckpointRequest(agency="court"), md(audit, PROCURATOR)),
            (stub.GetFeedProof, pb.GetFeedProofRequest(agency="procuratorate"), md(audit, COURT)),
            (stub.GetFeedCheckpoint, pb.GetFeedCheckpointRequest(), md(audit, INVESTIGATOR)),  # no partner
            (stub.ListFeedBacklogs, pb.ListFeedBacklogsRequest(), md(audit, COURT)),  # operators' only
        ]
        for method, request, metadata in refusals:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await method(request, metadata=metadata)
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, (method, refused.value.details())
        for principal, other in ((PROCURATOR, "court"), (COURT, "procuratorate"), (INVESTIGATOR, "")):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                async for _ in stub.Subscribe(pb.SubscribeRequest(agency=other), metadata=md(audit, principal)):
                    pass
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # its own feed, named or not: only its own entries
        for principal, named in ((COURT, ""), (COURT, "court"), (PROCURATOR, "procuratorate")):
            got = await read(stub, md(audit, principal), 0, named)
            assert {rules.parse_entry(e.entry)["agency"] for e in got} == {principal.agency}
            assert [e.position for e in got] == list(range(len(got))) and got
        with pytest.raises(grpc.aio.AioRpcError) as beyond:
            async for _ in stub.Subscribe(pb.SubscribeRequest(from_position=99), metadata=md(audit, COURT)):
                pass
        assert beyond.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "99" in beyond.value.details()


async def read(stub, metadata, start: int, agency: str = "") -> list[pb.FeedEntry]:
    """The feed from `start` until the stream says it is caught up."""
    got = []
    call = stub.Subscribe(pb.SubscribeRequest(agency=agency, from_position=start), metadata=metadata)
    async for msg in call:
        if msg.HasField("caught_up"):
            assert msg.caught_up.size == start + len(got)
            break
        got.append(msg.entry)
    call.cancel()
    return got


async def test_subscribe_killed_twenty_times_at_random_points_resumes_exactly_once_in_order(platform, monkeypatch):
    monkeypatch.setattr(feeds, "PAGE", 5)  # many pages, and pages cut by the kills
    start, _ = platform
    audit, producer = await start(), Producer()
    await producer.record(audit, producer.events(60))
    rng = random.Random(23)
    received: list[pb.FeedEntry] = []
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}")
    metadata = md(audit, PROCURATOR)
    kills = 0
    while kills < 20:
        stub = feeds_pb2_grpc.PartnerFeedServiceStub(channel)
        resume = received[-1].position + 1 if received else 0
        call = stub.Subscribe(pb.SubscribeRequest(from_position=resume), metadata=metadata)
        want = rng.randint(0, 9)
        async for msg in call:
            if msg.HasField("entry"):
                received.append(msg.entry)
            if len(received) - resume >= want or msg.HasField("caught_up"):
                break
        if kills % 4 == 3:  # new entries while a subscriber is away, or waiting at the end
            await producer.record(audit, producer.events(rng.randint(1, 8)))
        if kills % 3 == 0:
            await channel.close()  # the connection dropped
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}")
        else:
            call.cancel()  # the client killed
        kills += 1
    stub = feeds_pb2_grpc.PartnerFeedServiceStub(channel)
    received += await read(stub, metadata, received[-1].position + 1)
    await channel.close()
    rows = await stored(audit, "procuratorate")
    assert len(rows) > 40
    assert [e.position for e in received] == list(range(len(rows)))  # in order, once each
    assert [e.entry for e in received] == [bytes(r["entry"]) for r in rows]


async def test_a_live_subscriber_gets_new_entries_as_they_are_recorded(platform):
    start, _ = platform
    audit, producer = await start(), Producer()
    await producer.record(audit, producer.events(3))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        call = feeds_pb2_grpc.PartnerFeedServiceStub(ch).Subscribe(pb.SubscribeRequest(), metadata=md(audit, COURT))
        got, caught_up = [], 0
        async for msg in call:
            if msg.HasField("caught_up"):
                caught_up += 1
                if caught_up == 1:
                    await producer.record(audit, producer.events(6))
            else:
                got.append(msg.entry.position)
            if len(got) == 3:
                break
        call.cancel()
    assert got == [0, 1, 2] and caught_up == 1


async def test_acknowledgements_move_a_watermark_and_operators_see_the_backlog(platform):
    start, _ = platform
    audit, producer = await start(), Producer()
    await producer.record(audit, producer.events(12))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = feeds_pb2_grpc.PartnerFeedServiceStub(ch)
        size = len(await stored(audit, "procuratorate"))
        acked = await stub.Acknowledge(pb.AcknowledgeRequest(position=4), metadata=md(audit, PROCURATOR))
        assert (acked.acknowledged, acked.size, acked.backlog) == (5, size, size - 5)
        again = await stub.Acknowledge(pb.AcknowledgeRequest(position=2), metadata=md(audit, PROCURATOR))
        assert again.acknowledged == 5  # a watermark: lower changes nothing
        with pytest.raises(grpc.aio.AioRpcError) as beyond:
            await stub.Acknowledge(pb.AcknowledgeRequest(position=size), metadata=md(audit, PROCURATOR))
        assert (
            beyond.value.code() == grpc.StatusCode.FAILED_PRECONDITION and f"{size} entries" in beyond.value.details()
        )
        backlogs = await stub.ListFeedBacklogs(pb.ListFeedBacklogsRequest(), metadata=md(audit, OPERATOR))
        published = await stub.ListPublicKeys(pb.ListPublicKeysRequest(), metadata=md(audit, OPERATOR))
        assert [k.log for k in published.keys] == ["ledger", "feed/court", "feed/procuratorate"]
        by_agency = {f.agency: f for f in backlogs.feeds}
        assert set(by_agency) == {"court", "procuratorate"}
        proc, court = by_agency["procuratorate"], by_agency["court"]
        assert (proc.size, proc.acknowledged, proc.backlog) == (size, 5, size - 5) and proc.HasField("acknowledged_at")
        assert (court.acknowledged, court.backlog) == (0, court.size) and not court.HasField("acknowledged_at")


async def test_an_entry_verifies_offline_with_the_public_keys_alone_and_a_tampered_one_is_refused(platform, tmp_path):
    start, _ = platform
    audit, producer = await start(), Producer()
    raws = producer.events(10)
    await producer.record(audit, raws)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = feeds_pb2_grpc.PartnerFeedServiceStub(ch)
        mine = md(audit, COURT)
        entries = await read(stub, mine, 0)
        proof = await stub.GetFeedProof(pb.GetFeedProofRequest(position=2), metadata=mine)  # signed on demand
        checkpoint = await stub.GetFeedCheckpoint(pb.GetFeedCheckpointRequest(), metadata=mine)
        keys = {k.log: k for k in (await stub.ListPublicKeys(pb.ListPublicKeysRequest(), metadata=mine)).keys}
        refusals = [
            (pb.GetFeedProofRequest(position=len(entries)), grpc.StatusCode.NOT_FOUND),  # not in the feed
            (pb.GetFeedProofRequest(position=0, tree_size=1), grpc.StatusCode.FAILED_PRECONDITION),  # unsigned size
            (pb.GetFeedProofRequest(position=0, tree_size=999), grpc.StatusCode.INVALID_ARGUMENT),
        ]
        for request, code in refusals:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetFeedProof(request, metadata=mine)
            assert refused.value.code() == code, refused.value.details()
    assert set(keys) == {"ledger", "feed/court", "feed/procuratorate"}
    feed_key, ledger_key = keys["feed/court"], keys["ledger"]
    assert (
        feed_key.origin == f"{ledger_key.origin}/feed/court" and feed_key.verifier_key.split("+")[1] == feed_key.key_id
    )
    assert checkpoint.tree_size == proof.tree_size == len(entries) and checkpoint.note == proof.checkpoint
    entry = entries[2]
    by_id = {env_mod.parse(r).event_id: r for r in raws}
    assert proof.ledger_leaf_hash == merkle.leaf_hash(by_id[entry.event_id])  # the hash only, not the bytes
    one = Received(
        2, entry.entry, list(proof.hashes), proof.ledger_leaf_hash, list(proof.ledger_hashes), proof.ledger_checkpoint
    )
    lines = verify_feed.verify_feed([one], proof.checkpoint, feed_key.verifier_key, ledger_key=ledger_key.verifier_key)
    assert lines[1].endswith(f"OK, source leaf {proof.leaf_index} in ledger of {proof.ledger_size} OK")
    whole = [Received(e.position, e.entry) for e in entries]  # the feed received in full proves itself
    verify_feed.verify_feed(whole, checkpoint.note, feed_key.verifier_key, origin=feed_key.origin)
    # tampered: the view altered, still a canonical entry of the court's feed at its position
    doc = json.loads(entry.entry)
    doc["view"]["summary"] = "nothing happened"
    forged = rules.canonical(doc)
    for received in (
        [Received(2, forged, one.proof)],
        [Received(g.position, forged if g.position == 2 else g.entry) for g in whole],
        [Received(0, whole[1].entry), Received(1, whole[0].entry), *whole[2:]],  # reordered
    ):
        with pytest.raises(FeedError):
            verify_feed.verify_feed(received, checkpoint.note, feed_key.verifier_key)
    with pytest.raises(FeedError, match="signature"):  # another feed's key
        verify_feed.verify_feed(whole, checkpoint.note, keys["feed/procuratorate"].verifier_key)
    # as a command, on what a partner keeps
    good, bad = tmp_path / "received.json", tmp_path / "tampered.json"
    good.write_bytes(verify_feed.dump(checkpoint.note, [one, *whole[3:]]))
    bad.write_bytes(verify_feed.dump(checkpoint.note, [Received(2, forged, one.proof)]))
    key_file = tmp_path / "court.key"
    key_file.write_text(feed_key.verifier_key)
    args = ["--key", str(key_file), "--ledger-key", ledger_key.verifier_key]
    assert verify_feed.main([str(good), *args]) == 1  # entries without proofs must be the whole prefix
    good.write_bytes(verify_feed.dump(checkpoint.note, [one]))
    assert verify_feed.main([str(good), *args]) == 0
    assert verify_feed.main([str(bad), *args]) == 1


async def test_the_feed_keys_are_kept_across_restarts(platform):
    start, stop = platform
    audit = await start()
    before = {a: s.verifier_key for a, s in audit.parts.feeds.checkpointer.signers.items()}
    await stop(audit)
    audit = await start()
    assert {a: s.verifier_key for a, s in audit.parts.feeds.checkpointer.signers.items()} == before
