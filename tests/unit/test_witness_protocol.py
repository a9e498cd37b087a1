"""The witness's decision on add-checkpoint (c2sp.org/tlog-witness): one row per status rule, in the spec's
order, with which refusals are kept as evidence of a misbehaving log."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain.checkpoint import Checkpoint, NoteSigner, NoteVerifier
from services.audit.domain.merkle import EMPTY_ROOT, consistency_proof, leaf_hash, root_of
from tools.witness.protocol import SIZE_TYPE, AddCheckpoint, Cosign, Refuse, decide, parse_add_checkpoint

ORIGIN = "jjjc.test/audit-ledger"
LOG = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(32)))
OTHER_LOG = NoteSigner("other.test/log", Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32))
IMPOSTOR = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes([2]) * 32))  # same name, other key
TRUSTED = {ORIGIN: [NoteVerifier(LOG.verifier_key)], OTHER_LOG.name: [NoteVerifier(OTHER_LOG.verifier_key)]}
LEAVES = [leaf_hash(b"event %d" % i) for i in range(20)]
FORKED = LEAVES[:7] + [leaf_hash(b"rewritten")] + LEAVES[8:]


def note(size: int, leaves=LEAVES, signer=LOG, origin=ORIGIN, root=None) -> bytes:
    return signer.sign(Checkpoint(origin, size, root or root_of(leaves[:size])).body())


def body(old: int, size: int, leaves=LEAVES, proof=None, checkpoint=None) -> bytes:
    proof = consistency_proof(old, size, leaves) if proof is None else proof
    lines = [f"old {old}"] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n").encode() + (checkpoint if checkpoint is not None else note(size, leaves))


def latest(size: int, leaves=LEAVES) -> tuple[int, bytes]:
    return size, root_of(leaves[:size])


def test_parse_reads_the_spec_layout_tlog_witness():
    request = parse_add_checkpoint(body(5, 12))
    assert isinstance(request, AddCheckpoint)
    assert (request.old, request.origin, request.checkpoint.size) == (5, ORIGIN, 12)
    assert list(request.proof) == consistency_proof(5, 12, LEAVES)
    assert request.note == note(12) and request.signatures[0].startswith("\u2014 " + ORIGIN)


# (rule, body, latest, status, evidence, reason fragment)
ROWS = [
    # 400: the body is not an add-checkpoint body.
    ("400 no empty line", b"old 0\n" + note(3).replace(b"\n\n", b"\n"), None, 400, False, "empty line"),
    ("400 old line missing", b"0\n\n" + note(3), None, 400, False, "old <size>"),
    ("400 old with leading zero", b"old 03\n\n" + note(3), None, 400, False, "old <size>"),
    ("400 old size above 2**63-1", b"old 9999999999999999999\n\n" + note(3), None, 400, False, "exceeds"),
    ("400 proof line not base64", b"old 2\n!!!!\n\n" + note(3), (2, root_of(LEAVES[:2])), 400, False, "base64"),
    ("400 proof line not 32 bytes", b"old 2\nAAAA\n\n" + note(3), None, 400, False, "32-byte"),
    ("400 more than 63 proof lines", body(2, 3, proof=[bytes(32)] * 64), None, 400, False, "more than 63"),
    ("400 checkpoint not a note", b"old 0\n\nnot a checkpoint\n", None, 400, False, "checkpoint"),
    ("400 checkpoint size not decimal", b"old 0\n\n" + note(3).replace(b"\n3\n", b"\n03\n", 1), None, 400, False, ""),
    # 404: "If the checkpoint origin is unknown, the witness MUST respond with 404".
    ("404 unknown origin", body(0, 3, checkpoint=note(3, origin="stranger.test/log")), None, 404, False, "unknown"),
    # 403: no trusted signature, or a trusted key's signature fails.
    ("403 signed by another key only", body(0, 3, checkpoint=note(3, signer=IMPOSTOR)), None, 403, False, "no valid"),
    ("403 another log's key", body(0, 3, checkpoint=note(3, signer=OTHER_LOG, origin=ORIGIN)), None, 403, False, ""),
    (
        "403 trusted key's signature fails",
        body(0, 3, checkpoint=note(3).replace(b"\n3\n", b"\n4\n", 1)),
        None,
        403,
        False,
        "no valid",
    ),
    # 400: "The old size MUST be equal to or lower than the checkpoint size".
    ("400 old above size", body(0, 3).replace(b"old 0", b"old 5"), (5, root_of(LEAVES[:5])), 400, False, "greater"),
    # 409: old size is not the size last cosigned; rollbacks and forks are kept.
    ("409 first contact with old > 0", body(3, 5), None, 409, False, "not the size 0"),
    ("409 stale old size", body(3, 9), latest(5), 409, False, "not the size 5"),
    ("409 rollback below cosigned", body(0, 3), latest(5), 409, True, "rollback"),
    ("409 cosigned checkpoint again with old 0", body(0, 5), latest(5), 409, False, "not the size 5"),
    ("409 fork at cosigned size", body(0, 9, FORKED), latest(9), 409, True, "fork"),
    # 422: empty tree, proof with old 0, proof not verifying, same size other root.
    ("422 size 0 not empty root", body(0, 0, checkpoint=note(0, root=bytes(32))), None, 422, True, "empty tree"),
    ("422 proof with old 0", body(0, 4, proof=[bytes(32)]), None, 422, True, "must be empty"),
    ("422 proof does not verify", body(4, 12, proof=[bytes(32)] * 4), latest(4), 422, True, "does not verify"),
    ("422 proof from a forked tree", body(9, 12, FORKED), latest(9), 422, True, "does not verify"),
    ("422 same size other root", body(9, 9, FORKED), latest(9), 422, True, "fork"),
    ("422 same size with a proof", body(9, 9, proof=[bytes(32)]), latest(9), 422, True, "must be empty"),
]


@pytest.mark.parametrize(
    ("rule", "request_body", "known", "status", "evidence", "reason"), ROWS, ids=[r[0] for r in ROWS]
)
def test_refusals_tlog_witness(rule, request_body, known, status, evidence, reason):
    outcome = decide(request_body, TRUSTED, known)
    assert isinstance(outcome, Refuse), outcome
    assert (outcome.status, outcome.evidence) == (status, evidence)
    assert reason in outcome.reason
    if status == 409:  # "The response body MUST consist of the tree size ... Content-Type text/x.tlog.size"
        assert outcome.ctype == SIZE_TYPE
        assert outcome.body == f"{known[0] if known else 0}\n".encode()
    else:
        assert outcome.ctype.startswith("text/plain") and outcome.body.decode().rstrip("\n") == outcome.reason
    # The origin is known (and the log's signature checked) from the 403 rule on.
    assert (outcome.origin is None) == (status == 404 or (status == 400 and "greater" not in reason))


ACCEPTED = [
    ("first contact, old 0, no proof", body(0, 7), None, 7),
    ("first contact, empty tree", body(0, 0, checkpoint=note(0, root=EMPTY_ROOT)), None, 0),
    ("growth with a consistency proof", body(7, 12), latest(7), 12),
    ("growth from a power of two", body(8, 20), latest(8), 20),
    ("growth from size 1", body(1, 2), latest(1), 2),
    ("same checkpoint again", body(12, 12), latest(12), 12),
    ("from the empty tree cosigned", body(0, 3), (0, EMPTY_ROOT), 3),
]


@pytest.mark.parametrize(("rule", "request_body", "known", "size"), ACCEPTED, ids=[r[0] for r in ACCEPTED])
def test_cosigned_tlog_witness(rule, request_body, known, size):
    outcome = decide(request_body, TRUSTED, known)
    assert isinstance(outcome, Cosign), outcome
    assert outcome.checkpoint.size == size
    assert outcome.body == outcome.checkpoint.body()


def test_unknown_signatures_are_ignored_and_dropped_from_the_kept_note_tlog_witness():
    checkpoint = note(5) + IMPOSTOR.sign(Checkpoint(ORIGIN, 5, root_of(LEAVES[:5])).body()).split(b"\n\n")[1]
    # IMPOSTOR has the log's name but another key hash: "ignore signatures from unknown keys".
    outcome = decide(body(0, 5, checkpoint=checkpoint), TRUSTED, None)
    assert isinstance(outcome, Cosign)
    assert outcome.note == note(5)


def test_two_trusted_keys_for_one_origin_any_may_sign():
    second = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32))
    trusted = {ORIGIN: [NoteVerifier(LOG.verifier_key), NoteVerifier(second.verifier_key)]}
    assert isinstance(decide(body(0, 5, checkpoint=note(5, signer=second)), trusted, None), Cosign)
