"""The witness over real HTTP (c2sp.org/tlog-witness) with its SQLite state in tmp_path: it cosigns a log that
grows consistently, refuses rollbacks and forks (keeping each as evidence), never rolls back under
concurrent submissions (also from two servers on one file), and keeps its state across a restart."""

import asyncio
import base64
import hashlib
import time

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain.checkpoint import Checkpoint, NoteSigner, NoteVerifier, open_checkpoint, split_note
from services.audit.domain.cosignature import CosignatureVerifier
from services.audit.domain.merkle import consistency_proof, leaf_hash, root_of
from tools.witness.__main__ import main as witness_cli
from tools.witness.server import MAX_BODY, start_witness
from tools.witness.store import WitnessStore

ORIGIN = "jjjc.test/audit-ledger"
WITNESS = "court.test/witness"
LOG = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
LEAVES = [leaf_hash(b"event %d" % i) for i in range(64)]
FORKED = LEAVES[:10] + [leaf_hash(b"history rewritten")] + LEAVES[11:]
WITNESS_KEY = Ed25519PrivateKey.generate()


def note(size: int, leaves=LEAVES, signer=LOG, origin=ORIGIN) -> bytes:
    return signer.sign(Checkpoint(origin, size, root_of(leaves[:size])).body())


def request(old: int, size: int, leaves=LEAVES, checkpoint: bytes | None = None) -> bytes:
    lines = [f"old {old}"] + [base64.b64encode(h).decode() for h in consistency_proof(old, size, leaves)]
    return ("\n".join(lines) + "\n\n").encode() + (checkpoint or note(size, leaves))


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def witness(tmp_path):
    running = await start_witness(WITNESS, WITNESS_KEY, [LOG.verifier_key], tmp_path / "witness.sqlite")
    yield running
    await running.stop()


async def post(http, running, data: bytes) -> tuple[int, str, str]:
    async with http.post(f"{running.url}/add-checkpoint", data=data) as r:
        return r.status, r.headers.get("Content-Type", ""), await r.text()


async def latest_note(http, running, origin=ORIGIN) -> tuple[int, bytes]:
    async with http.get(f"{running.url}/{hashlib.sha256(origin.encode()).hexdigest()}/checkpoint") as r:
        return r.status, await r.read()


def cosigned_at(running, checkpoint_note: bytes, line: str) -> int | None:
    body, _ = split_note(checkpoint_note)
    return CosignatureVerifier(running.verifier_key).timestamp_of(body, line)


async def test_first_checkpoint_then_growth_with_a_consistency_proof_are_cosigned_tlog_witness(http, witness):
    assert (await latest_note(http, witness))[0] == 404  # "never cosigned ... MUST respond 404"
    before = int(time.time())
    status, ctype, text = await post(http, witness, request(0, 5))
    assert (status, ctype.split(";")[0]) == (200, "text/plain")
    assert text.startswith(f"\u2014 {WITNESS} ") and text.endswith("\n") and text.count("\n") == 1
    assert before <= cosigned_at(witness, note(5), text) <= int(time.time())

    status, _, text = await post(http, witness, request(5, 13))
    assert status == 200 and cosigned_at(witness, note(13), text) >= before

    # The monitoring endpoint: the checkpoint, the log signature the witness verified, and its cosignature.
    status, served = await latest_note(http, witness)
    assert status == 200
    assert open_checkpoint(served, NoteVerifier(LOG.verifier_key), ORIGIN).size == 13
    body, lines = split_note(served)
    assert body == Checkpoint(ORIGIN, 13, root_of(LEAVES[:13])).body()
    assert lines[-1] + "\n" == text  # the very line add-checkpoint returned
    assert (await latest_note(http, witness, "other.test/log"))[0] == 404


async def test_rollback_is_refused_409_with_the_size_and_kept_as_evidence_tlog_witness(http, witness, tmp_path):
    assert (await post(http, witness, request(0, 20)))[0] == 200
    status, ctype, text = await post(http, witness, request(0, 12))
    assert (status, ctype, text) == (409, "text/x.tlog.size", "20\n")
    # A client that only lost track of the size re-syncs with the size from the 409.
    assert (await post(http, witness, request(0, 25)))[:2] == (409, "text/x.tlog.size")
    assert (await post(http, witness, request(20, 25)))[0] == 200
    evidence = witness.store.evidence(ORIGIN)
    assert [(e.status, e.reason.split(":")[0]) for e in evidence] == [(409, "rollback")]
    assert evidence[0].request == request(0, 12)  # verbatim, to show others


async def test_forks_are_refused_422_and_kept_as_evidence_tlog_witness(http, witness, capsys):
    assert (await post(http, witness, request(0, 16)))[0] == 200
    # Two checkpoints of one size with different roots.
    status, _, text = await post(http, witness, request(16, 16, FORKED))
    assert status == 422 and "fork" in text
    # A larger checkpoint of the forked tree, with that tree's (valid for it) consistency proof.
    status, _, text = await post(http, witness, request(16, 30, FORKED))
    assert status == 422 and "does not verify" in text
    assert (await latest_note(http, witness))[1].split(b"\n")[1] == b"16"  # nothing cosigned moved
    evidence = witness.store.evidence()
    assert [e.status for e in evidence] == [422, 422]
    assert [e.request for e in evidence] == [request(16, 16, FORKED), request(16, 30, FORKED)]
    # The operator lists the evidence and prints one request verbatim.
    db = str(witness.store.path)
    capsys.readouterr()  # the server's log lines so far
    assert witness_cli(["evidence", "--db", db]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 2 and all("\t422\t" + ORIGIN + "\t" in line for line in listing)
    assert witness_cli(["evidence", "--db", db, "--request", str(evidence[1].id)]) == 0
    assert capsys.readouterr().out.encode() == request(16, 30, FORKED)


@pytest.mark.parametrize(
    ("case", "data", "status", "says"),
    [
        ("unknown origin 404", request(0, 3, checkpoint=note(3, origin="stranger.test/log")), 404, "unknown"),
        ("bad signature 403", request(0, 3, checkpoint=note(3).replace(b"\n3\n", b"\n4\n", 1)), 403, "signature"),
        (
            "signed by an untrusted key 403",
            request(0, 3, checkpoint=note(3, signer=NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))),
            403,
            "signature",
        ),
        ("malformed 400", b"old 0\nnot base64\n\n" + note(3), 400, "base64"),
        ("old above size 400", request(0, 3).replace(b"old 0", b"old 9"), 400, "greater"),
        ("body too large 413", b"old 0\n" + b"A" * MAX_BODY + b"\n\n" + note(3), 413, "Too Large"),
    ],
)
async def test_refusals_over_http_tlog_witness(http, witness, case, data, status, says):
    got, ctype, text = await post(http, witness, data)
    assert (got, ctype.split(";")[0]) == (status, "text/plain")
    assert says in text and "Traceback" not in text
    assert witness.store.evidence() == []  # not misbehaviour of a known log
    assert (await latest_note(http, witness))[0] == 404


async def test_get_add_checkpoint_and_unknown_paths_are_plain_errors(http, witness):
    async with http.get(f"{witness.url}/add-checkpoint") as r:
        assert r.status == 405 and "Traceback" not in await r.text()
    async with http.get(f"{witness.url}/{'AB' * 32}/checkpoint") as r:
        assert r.status == 404


async def test_concurrent_submissions_never_roll_back_tlog_witness(http, tmp_path):
    """tlog-witness: the old-size check and the update are atomic, else request A (size N) and request B
    (size N+K) can both pass and A's update rolls back K leaves. 20 clients push their checkpoint at once
    through two servers sharing one SQLite file, each re-syncing on 409 until the witness is at or
    beyond its size: the cosigned (old, size) pairs form one chain, each old being the previous size."""
    db = tmp_path / "shared.sqlite"
    servers = [await start_witness(WITNESS, WITNESS_KEY, [LOG.verifier_key], db) for _ in range(2)]
    cosigned: list[tuple[int, int]] = []

    async def client(i: int) -> None:
        size, old = 20 + i * 2, 0
        while True:
            status, _, text = await post(http, servers[i % 2], request(old, size))
            if status == 200:
                cosigned.append((old, size))
                return
            assert status == 409, text
            old = int(text)
            if old >= size:
                return

    try:
        await asyncio.gather(*(client(i) for i in range(20)))
        chain = sorted(cosigned, key=lambda pair: pair[1])
        assert chain[0][0] == 0
        assert all(later[0] == earlier[1] for earlier, later in zip(chain, chain[1:], strict=False))
        for running in servers:
            status, served = await latest_note(http, running)
            assert status == 200 and served.split(b"\n")[1] == str(chain[-1][1]).encode()
        # A stale old size is no misbehaviour; a checkpoint smaller than the one cosigned, arriving late,
        # is kept (the witness cannot tell it from a log showing an old view), and nothing else is.
        assert {(e.status, e.reason.split(":")[0]) for e in servers[0].store.evidence()} <= {(409, "rollback")}
    finally:
        for running in servers:
            await running.stop()


async def test_restart_keeps_the_latest_checkpoint_and_the_evidence(http, tmp_path):
    db = tmp_path / "witness.sqlite"
    first = await start_witness(WITNESS, WITNESS_KEY, [LOG.verifier_key], db)
    try:
        status, _, line = await post(http, first, request(0, 9))
        assert status == 200
        assert (await post(http, first, request(0, 4)))[0] == 409
        served = (await latest_note(http, first))[1]
    finally:
        await first.stop()
    second = await start_witness(WITNESS, WITNESS_KEY, [LOG.verifier_key], db)
    try:
        assert await latest_note(http, second) == (200, served)  # same note, same cosignature line
        assert (await post(http, second, request(0, 12)))[1:] == ("text/x.tlog.size", "9\n")
        assert (await post(http, second, request(9, 12)))[0] == 200
        assert [e.reason.split(":")[0] for e in second.store.evidence()] == ["rollback"]
    finally:
        await second.stop()
    assert WitnessStore(db).latest(ORIGIN).size == 12


def test_cli_key_prints_the_cosignature_vkey_and_a_policy_line(tmp_path, capsys):
    key_file = tmp_path / "witness.key"
    assert witness_cli(["key", "--name", WITNESS, "--key-file", str(key_file), "--url", "http://w.test:7380"]) == 0
    vkey_line, policy_line = capsys.readouterr().out.splitlines()
    vkey = vkey_line.split(": ", 1)[1]
    assert CosignatureVerifier(vkey).name == WITNESS  # type 0x04, key ID per tlog-cosignature
    assert policy_line.split()[2:] == ["witness", WITNESS, vkey, "http://w.test:7380"]
    assert witness_cli(["key", "--name", WITNESS, "--key-file", str(key_file)]) == 0  # the same key again
    assert capsys.readouterr().out.splitlines()[0] == vkey_line


def test_cli_logs_file_reads_a_policys_log_lines_and_usage_errors_exit_2(tmp_path, capsys):
    from tools.witness.__main__ import read_logs_file

    policy = tmp_path / "witnesses.policy"
    policy.write_text(f"# comment\nlog {LOG.verifier_key} http://log.test\nwitness w court.test/w+00+AA\nquorum none\n")
    assert read_logs_file(policy) == [LOG.verifier_key]
    (tmp_path / "bad").write_text("log a b c d\n")
    base = ["serve", "--name", WITNESS, "--key-file", str(tmp_path / "k"), "--db", str(tmp_path / "db")]
    assert witness_cli([*base, "--logs-file", str(tmp_path / "bad")]) == 2
    assert witness_cli([*base, "--log", "not a vkey"]) == 2
    assert witness_cli(base) == 2
    assert witness_cli([*base, "--log", LOG.verifier_key, "--listen", "nowhere"]) == 2
    with pytest.raises(SystemExit) as e:
        witness_cli(["serve"])
    assert e.value.code == 2
    assert "line 1" in capsys.readouterr().err
