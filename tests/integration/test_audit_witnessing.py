"""The ledger's checkpoints witnessed (issue 25; C2SP tlog-witness, tlog-cosignature, tlog-policy) on a
real PostgreSQL with three REAL witnesses (tools.witness over HTTP, SQLite state): a 2-of-3 quorum met
with one witness down (shown down, ingest goes on), re-sync after a witness or audit lost track (the
409 path), a forked checkpoint refused by the witnesses and reported, latency reported; over gRPC,
GetWitnessedCheckpoint and ListWitnesses."""

import asyncio
import hashlib
import uuid

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from structlog.testing import capture_logs

from audit.v1 import service_pb2 as pb, service_pb2_grpc
from kernel.domain.principal import Principal
from kernel.edge.status import DEGRADED, OK
from kernel.edge.tokens import load_or_create_private_key
from kernel.messaging.inbox import Source
from kernel.runtime.settings import extend
from services.audit.app.checkpoints import Checkpointer, Signed
from services.audit.app.recorder import Recorder
from services.audit.app.witnessing import Witnessing, load_policy
from services.audit.domain.checkpoint import Checkpoint, NoteError, NoteSigner
from services.audit.domain.policy import PolicyError, open_witnessed, parse_policy
from services.audit.main import AuditSettings, build as build_audit
from services.audit.verify_bundle import BundleError, verify_bundle
from tests.factories import call_metadata, service_settings, wait_until
from tests.integration.test_audit_ledger import events
from tests.integration.test_inbox import stream_of
from tools.witness.server import start_witness

ORIGIN = "test.jjjc/audit-ledger"
NAMES = ("court", "procuratorate", "finance")
BACKOFF = 0.3  # seconds a witness down is left alone (at most; 60 in the service)
AUDITOR = Principal("commission", "case_management", "auditor", "u-auditor")


def _key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"witness {name}".encode()).digest())


class Witnesses:
    """Three real witnesses of one log, restartable (same key; same SQLite file unless `fresh`)."""

    def __init__(self, tmp_path, log_vkey: str):
        self.tmp_path, self.log_vkey, self.running, self.ports = tmp_path, log_vkey, {}, {}

    async def start(self, name: str, fresh: bool = False):
        db = self.tmp_path / f"{name}{'-' + uuid.uuid4().hex[:6] if fresh else ''}.db"
        running = await start_witness(
            f"{name}.example/witness", _key(name), [self.log_vkey], db, port=self.ports.get(name, 0)
        )
        self.ports[name] = int(running.url.rsplit(":", 1)[1])
        self.running[name] = running
        return running

    async def stop(self, name: str) -> None:
        await self.running.pop(name).stop()

    def policy(self, quorum: str = "group partners 2 court procuratorate finance\nquorum partners\n") -> str:
        lines = [f"log {self.log_vkey}"]
        lines += [f"witness {n} {w.verifier_key} {w.url}" for n, w in self.running.items()]
        return "\n".join(lines) + "\n" + quorum


@pytest.fixture
async def world(store, tmp_path):
    recorder = Recorder(store, consumer="wit-test")
    await recorder.migrate()
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    checkpoints = Checkpointer(store.pool, store.schema, signer, ORIGIN)
    await checkpoints.migrate()
    witnesses = Witnesses(tmp_path, signer.verifier_key)
    for name in NAMES:
        await witnesses.start(name)
    policy = parse_policy(witnesses.policy())
    witnessing = Witnessing(store.pool, store.schema, policy, checkpoints, timeout=2.0, backoff_max=BACKOFF)
    await witnessing.migrate()
    grown = iter(range(1000))

    async def grow(n: int) -> Signed:
        k = next(grown)
        raws = events(1, n, f"w{k}-")
        await recorder.record_batch([(r, Source("t", k, i)) for i, r in enumerate(raws)])
        return await checkpoints.sign()

    yield witnessing, witnesses, grow, policy, signer
    await witnessing.close()
    for name in list(witnesses.running):
        await witnesses.stop(name)


def _by_name(statuses):
    return {s.name: s for s in statuses}


async def test_a_checkpoint_cosigned_by_all_three_meets_the_quorum_and_verifies_offline(world):
    witnessing, witnesses, grow, policy, _ = world
    signed = await grow(5)
    with capture_logs() as logs:
        witnessed = await witnessing.witness(signed)
    assert witnessed.met and witnessed.tree_size == signed.tree_size == 5
    assert witnessed.cosigners == tuple(f"{n}.example/witness" for n in NAMES)
    checkpoint, found = open_witnessed(witnessed.note, policy, ORIGIN)  # tlog-policy: log key + 2 of 3
    assert (checkpoint.size, checkpoint.root, set(found)) == (5, signed.root, set(NAMES))
    done = [e for e in logs if e["event"] == "audit.checkpoint_witnessed"]
    assert len(done) == 1 and done[0]["tree_size"] == 5 and done[0]["seconds"] >= 0
    assert sorted(done[0]["cosigners"]) == sorted(witnessed.cosigners)
    latest = await witnessing.latest_witnessed()
    assert (latest.tree_size, latest.note, latest.met) == (5, witnessed.note, True)
    assert latest.seconds is not None and latest.seconds >= 0 and latest.witnessed_at >= latest.signed_at
    for s in await witnessing.statuses():  # latency reported, per witness
        assert (s.state, s.cosigned_size, s.failures, s.last_error) == ("ok", 5, 0, "")
        assert 0 < s.last_latency < 2 and s.last_cosigned_at is not None
    # asked again for the same checkpoint: nothing is re-submitted, the same note comes back
    with capture_logs() as again:
        assert (await witnessing.witness(signed)).note == witnessed.note
    assert not [e for e in again if e["event"] in ("audit.witness_cosigned", "audit.checkpoint_witnessed")]
    # the tree grows: each witness cosigns the extension from the size it cosigned (consistency proof)
    bigger = await grow(7)
    assert (await witnessing.witness(bigger)).met
    assert {s.cosigned_size for s in await witnessing.statuses()} == {12}


async def test_two_of_three_with_one_witness_down_the_quorum_is_met_and_the_down_one_shown(world):
    witnessing, witnesses, grow, policy, _ = world
    await witnesses.stop("finance")
    signed = await grow(4)
    with capture_logs() as logs:
        witnessed = await witnessing.witness(signed)  # never raises for a witness's failure
    assert witnessed.met and len(witnessed.cosigners) == 2
    open_witnessed(witnessed.note, policy, ORIGIN)
    down = [e for e in logs if e["event"] == "audit.witness_down"]
    assert [e["witness"] for e in down] == ["finance"]
    finance = _by_name(await witnessing.statuses())["finance"]
    assert (finance.state, finance.failures, finance.cosigned_size) == ("down", 1, 0) and finance.last_error
    status = await witnessing.status()
    assert status.state == DEGRADED and "witness finance" in status.problems[0]
    # ingest goes on; the down witness is left alone while it backs off, then asked again
    more = await grow(3)
    assert (await witnessing.witness(more)).met
    assert _by_name(await witnessing.statuses())["finance"].failures == 1
    await asyncio.sleep(BACKOFF)
    assert (await witnessing.witness(more)).met
    assert _by_name(await witnessing.statuses())["finance"].failures == 2
    # a second witness down: 1 of 3 is not the quorum; the checkpoint is signed but not witnessed
    await witnesses.stop("procuratorate")
    third = await grow(2)
    unmet = await witnessing.witness(third)
    assert not unmet.met and unmet.cosigners == ("court.example/witness",) and unmet.witnessed_at is None
    with pytest.raises(NoteError, match="witness policy not met: quorum `partners` needs 2 of"):
        open_witnessed(unmet.note, policy, ORIGIN)
    assert (await witnessing.latest_witnessed()).tree_size == more.tree_size
    # both come back (same state files): the next round cosigns from where each one is
    await witnesses.start("finance")
    await witnesses.start("procuratorate")
    await asyncio.sleep(BACKOFF)
    back = await witnessing.witness(third)
    assert back.met and len(back.cosigners) == 3
    assert {s.name: s.state for s in await witnessing.statuses()} == dict.fromkeys(NAMES, "ok")
    assert (await witnessing.status()).state == OK


async def test_resync_after_a_witness_lost_its_state_and_after_audit_lost_its_own(world, store):
    witnessing, witnesses, grow, policy, _ = world
    first = await grow(6)
    assert (await witnessing.witness(first)).met
    # the court's witness comes back with an empty state file: audit's "old 6" gets 409 "0" and
    # audit submits again from 0 (tlog-witness add-checkpoint, 409 Conflict)
    await witnesses.stop("court")
    await witnesses.start("court", fresh=True)
    signed = await grow(3)
    with capture_logs() as logs:
        assert len((await witnessing.witness(signed)).cosigners) == 3
    assert not [e for e in logs if e["event"] in ("audit.witness_refused", "audit.witness_down")]
    # audit forgets what the procuratorate's witness cosigned (its rows gone, a restarted audit):
    # it submits "old 0", the witness answers 409 "9", audit sends the proof from 9
    key = _by_name(await witnessing.statuses())["procuratorate"].verifier_key
    await store.pool.execute(f"DELETE FROM {store.schema}.witness_cosignatures WHERE witness = $1", key)
    restarted = Witnessing(store.pool, store.schema, policy, witnessing.checkpoints, timeout=2.0)
    try:
        assert _by_name(await restarted.statuses())["procuratorate"].cosigned_size == 0
        # asked for the old checkpoint of 6, the witness says it is at 9: it cannot cosign 6 any more
        with capture_logs() as logs:
            assert (await restarted.witness(first)).met  # court's and finance's cosignatures of 6: 2 of 3
        [ahead] = [e for e in logs if e["event"] == "audit.witness_refused"]
        assert ahead["status"] == 409 and "cosigned size 9, larger than" in ahead["reason"]
        assert _by_name(await restarted.statuses())["procuratorate"].cosigned_size == 9
        grown = await grow(2)
        witnessed = await restarted.witness(grown)
        assert witnessed.met and len(witnessed.cosigners) == 3
        assert _by_name(await restarted.statuses())["procuratorate"].cosigned_size == grown.tree_size == 11
    finally:
        await restarted.close()


async def test_a_forked_checkpoint_is_refused_by_the_witnesses_and_reported(world):
    witnessing, witnesses, grow, policy, signer = world
    first = await grow(5)
    assert (await witnessing.witness(first)).met
    honest = await grow(3)
    # the log's key signs a tree of 8 that does not extend the cosigned 5 (a split view): the proof
    # from the stored nodes does not lead to this root, so every witness answers 422 and keeps it
    forged_root = hashlib.sha256(b"another history").digest()
    fork = Signed(8, forged_root, signer.sign(Checkpoint(ORIGIN, 8, forged_root).body()), honest.signed_at)
    with capture_logs() as logs:
        refused = await witnessing.witness(fork)
    assert not refused.met and refused.cosigners == () and refused.note == fork.note
    reports = [e for e in logs if e["event"] == "audit.witness_refused"]
    assert sorted(e["witness"] for e in reports) == sorted(NAMES)
    assert {e["status"] for e in reports} == {422}
    for s in await witnessing.statuses():
        assert s.state == "refusing" and s.last_error.startswith("HTTP 422") and s.cosigned_size == 5
    assert "refusing" in (await witnessing.status()).problems[0]
    # each witness kept the forged request as evidence (tlog-witness: it MAY log the request)
    for running in witnesses.running.values():
        assert [e.status for e in running.store.evidence(ORIGIN)] == [422]
    # the refused checkpoint is not submitted again (the background loop would otherwise repeat it)
    with capture_logs() as again:
        await witnessing.witness(fork)
    assert not [e for e in again if e["event"] == "audit.witness_refused"]
    assert all(len(running.store.evidence(ORIGIN)) == 1 for running in witnesses.running.values())
    # the honest checkpoint of the same size is still cosigned: the witnesses were not moved
    assert (await witnessing.witness(honest)).met
    assert {s.state for s in await witnessing.statuses()} == {"ok"}


def test_the_shipped_policy_has_no_witness_and_a_bad_file_names_the_line(tmp_path):
    assert load_policy().quorum == "none" and load_policy().witnesses == ()
    bad = tmp_path / "w.policy"
    bad.write_text("quorum none\nwitness x\n")
    with pytest.raises(PolicyError, match=r"w\.policy: line 2: expected `witness"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="cannot read it"):
        load_policy(tmp_path / "missing.policy")


async def test_no_witness_configured_leaves_checkpoints_unwitnessed(store):
    recorder = Recorder(store, consumer="wit-none")
    await recorder.migrate()
    checkpoints = Checkpointer(store.pool, store.schema, NoteSigner(ORIGIN, Ed25519PrivateKey.generate()), ORIGIN)
    await checkpoints.migrate()
    witnessing = Witnessing(store.pool, store.schema, load_policy(), checkpoints)
    await witnessing.migrate()
    signed = await checkpoints.sign()
    plain = await witnessing.witness(signed)
    assert (plain.met, plain.cosigners, plain.note) == (False, (), signed.note)
    assert await witnessing.latest_witnessed() is None and await witnessing.statuses() == []
    assert (await witnessing.status()).state == OK


@pytest.fixture
async def audit_service(database_url, bootstrap, tmp_path):
    """The audit service with a policy of three real witnesses, signing and witnessing every 0.2 s."""
    prefix = f"aw{uuid.uuid4().hex[:8]}"
    key_file = tmp_path / "ledger.key"
    log_vkey = NoteSigner(ORIGIN, load_or_create_private_key(key_file)).verifier_key
    witnesses = Witnesses(tmp_path, log_vkey)
    for name in NAMES:
        await witnesses.start(name)
    (tmp_path / "witnesses.policy").write_text(witnesses.policy())
    settings = extend(
        AuditSettings,
        service_settings("audit", database_url, bootstrap, prefix, tmp_path, database_schema=f"audit_{prefix}"),
        checkpoint_seconds=0.2,
        ledger_origin=ORIGIN,
        ledger_key_file=key_file,
        witness_policy_file=tmp_path / "witnesses.policy",
        witness_timeout_seconds=2.0,
    )
    host = await build_audit(settings).start()
    yield host, witnesses
    await host.stop()
    for name in list(witnesses.running):
        await witnesses.stop(name)


async def test_grpc_get_witnessed_checkpoint_and_list_witnesses(audit_service):
    host, witnesses = audit_service
    await witnesses.stop("finance")
    clue = f"clue-{uuid.uuid4()}"
    raws = stream_of(clue, 3) + events(1, 3, "g")
    await host.parts.recorder.record_batch([(r, Source("t", 0, i)) for i, r in enumerate(raws)])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
        stub = service_pb2_grpc.AuditServiceStub(channel)
        md = call_metadata(host.settings, AUDITOR)

        async def witnessed():
            try:
                answer = await stub.GetWitnessedCheckpoint(pb.GetWitnessedCheckpointRequest(), metadata=md)
            except grpc.aio.AioRpcError as e:
                assert e.code() == grpc.StatusCode.NOT_FOUND
                return False
            return answer.tree_size >= len(raws)

        await wait_until(witnessed, 20, "the background loop to witness the ledger's checkpoint")
        answer = await stub.GetWitnessedCheckpoint(pb.GetWitnessedCheckpointRequest(), metadata=md)
        policy = parse_policy(answer.policy)
        checkpoint, found = open_witnessed(answer.note, policy, ORIGIN)
        assert checkpoint.size == answer.tree_size and checkpoint.root == answer.root_hash
        assert set(found) == {"court", "procuratorate"}
        assert sorted(answer.cosigners) == ["court.example/witness", "procuratorate.example/witness"]
        assert answer.witnessed_at.ToDatetime() >= answer.signed_at.ToDatetime()
        listed = await stub.ListWitnesses(pb.ListWitnessesRequest(), metadata=md)
        assert [w.name for w in listed.witnesses] == list(NAMES) and listed.policy == answer.policy
        states = {w.name: w for w in listed.witnesses}
        assert states["finance"].state == "down" and states["finance"].failures >= 1 and states["finance"].last_error
        assert states["court"].state == "ok" and states["court"].cosigned_size >= len(raws)
        assert states["court"].last_latency_seconds > 0 and states["court"].HasField("last_cosigned_at")
        assert listed.witnessed_size >= len(raws) and listed.witnessed_after_seconds >= 0
        # a bundle exported now carries a checkpoint cosigned by the two witnesses up (issue 25 with
        # ExportHistoryBundle): it verifies offline against the policy alone (its log line is the key)
        bundle = await stub.ExportHistoryBundle(
            pb.ExportHistoryBundleRequest(stream_id=clue, purpose="hand over to the court"), metadata=md
        )
        assert bundle.witnessed and sorted(bundle.cosigners) == sorted(answer.cosigners)
        assert verify_bundle(bundle.bundle, policy=policy)[-1].startswith("3 events")
        with pytest.raises(BundleError, match="witness policy not met"):  # a verifier demanding all three
            verify_bundle(
                bundle.bundle, policy=parse_policy(answer.policy.replace("quorum partners", "quorum finance"))
            )
