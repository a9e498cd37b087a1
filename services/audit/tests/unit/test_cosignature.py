"""Ed25519 cosignatures (c2sp.org/tlog-cosignature, cosignature/v1): the spec's key ID and message, tampering
refused, other keys' lines ignored, and the one note splitter (c2sp.org/signed-note)."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.audit.domain.checkpoint import NoteSigner, NoteVerifier, open_checkpoint
from services.audit.domain.cosignature import (
    COSIGNATURE_V1,
    CosignatureVerifier,
    Cosigner,
    NoteError,
    cosigned_message,
    split_note,
)

# tlog-cosignature, "Ed25519 signed message": the example checkpoint and its message at time 1679315147.
SOFA_BODY = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_MESSAGE = b"cosignature/v1\ntime 1679315147\n" + SOFA_BODY
# tlog-cosignature, the example cosignature line (its key is not published: a foreign line to us).
SPEC_W1_LINE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
    "qhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)
SEED = bytes(range(32))
TS = 1679315147


def _cosigner(name: str = "witness.example/w1", seed: bytes = SEED) -> Cosigner:
    return Cosigner(name, Ed25519PrivateKey.from_private_bytes(seed))


def test_message_is_the_spec_example_tlog_cosignature():
    assert cosigned_message(SOFA_BODY, TS) == SOFA_MESSAGE
    assert cosigned_message(SOFA_BODY, 0).startswith(b"cosignature/v1\ntime 0\n")


def test_key_id_and_vkey_follow_the_spec_formula_tlog_cosignature():
    cosigner = _cosigner()
    public = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()
    expected_id = hashlib.sha256(b"witness.example/w1" + b"\n" + b"\x04" + public).digest()[:4]
    assert COSIGNATURE_V1 == b"\x04"
    assert cosigner.key_hash == expected_id
    vkey_data = base64.b64encode(b"\x04" + public).decode()
    assert cosigner.verifier_key == f"witness.example/w1+{expected_id.hex()}+{vkey_data}"
    # The same key as a note (log) signer has another ID: type byte 0x01, not 0x04.
    assert NoteSigner("witness.example/w1", Ed25519PrivateKey.from_private_bytes(SEED)).key_hash != expected_id


def test_line_layout_is_key_id_timestamp_signature_tlog_cosignature():
    cosigner = _cosigner()
    line = cosigner.cosign(SOFA_BODY, TS)
    assert line.startswith("\u2014 witness.example/w1 ") and line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == cosigner.key_hash
    assert int.from_bytes(raw[4:12], "big") == TS
    # The signature is checked here with the bare library, from the spec's message.
    Ed25519PublicKey.from_public_bytes(cosigner.public_key_bytes).verify(raw[12:], SOFA_MESSAGE)


def test_verifier_returns_the_timestamp_with_or_without_newline():
    cosigner = _cosigner()
    verifier = CosignatureVerifier(cosigner.verifier_key)
    line = cosigner.cosign(SOFA_BODY, TS)
    assert verifier.timestamp_of(SOFA_BODY, line) == TS
    assert verifier.timestamp_of(SOFA_BODY, line.rstrip("\n")) == TS
    assert (verifier.name, verifier.key_hash, verifier.public_key_bytes) == (
        cosigner.name,
        cosigner.key_hash,
        cosigner.public_key_bytes,
    )
    assert verifier.verifier_key == cosigner.verifier_key


def test_other_keys_lines_are_ignored_tlog_cosignature():
    verifier = CosignatureVerifier(_cosigner().verifier_key)
    other_name = _cosigner("witness.example/w2").cosign(SOFA_BODY, TS)
    same_name_other_key = _cosigner(seed=bytes(32)).cosign(SOFA_BODY, TS)
    log_line = NoteSigner("witness.example/w1", Ed25519PrivateKey.from_private_bytes(SEED)).sign(SOFA_BODY)
    assert verifier.timestamp_of(SOFA_BODY, other_name) is None
    assert verifier.timestamp_of(SOFA_BODY, same_name_other_key) is None
    assert verifier.timestamp_of(SOFA_BODY, split_note(log_line)[1][0]) is None  # 0x01 key ID differs
    assert verifier.timestamp_of(SOFA_BODY, SPEC_W1_LINE) is None
    assert verifier.timestamp_of(SOFA_BODY, "\u2014 someone.else notbase64!") is None


def _retimed(line: str, timestamp: int) -> str:
    prefix, b64 = line.rstrip("\n").rsplit(" ", 1)
    raw = base64.b64decode(b64)
    return f"{prefix} {base64.b64encode(raw[:4] + timestamp.to_bytes(8, 'big') + raw[12:]).decode()}"


@pytest.mark.parametrize(
    ("case", "body", "line", "message"),
    [
        ("another checkpoint", SOFA_BODY.replace(b"20852163", b"20852164"), None, "does not verify"),
        ("extension line added", SOFA_BODY + b"ext\n", None, "does not verify"),
        ("timestamp changed", SOFA_BODY, lambda l: _retimed(l, TS + 1), "does not verify"),
        ("timestamp above 2**63-1", SOFA_BODY, lambda l: _retimed(l, 2**63), "above 2"),
        ("signature truncated", SOFA_BODY, lambda l: l.rstrip("\n")[:-4], "not 76"),
        ("not base64", SOFA_BODY, lambda l: l[:40] + "!!!!", "base64"),
        ("no em dash", SOFA_BODY, lambda l: l.replace("\u2014", "-"), "em dash"),
        ("body not note text", b"no newline", None, "newline"),
    ],
)
def test_tampered_cosignatures_are_refused_tlog_cosignature(case, body, line, message):
    cosigner = _cosigner()
    good = cosigner.cosign(SOFA_BODY, TS)
    with pytest.raises(NoteError, match=message):
        CosignatureVerifier(cosigner.verifier_key).timestamp_of(body, line(good) if line else good)


def test_wrong_length_cosignature_is_refused():
    cosigner = _cosigner()
    raw = cosigner.key_hash + TS.to_bytes(8, "big") + bytes(60)
    line = f"\u2014 {cosigner.name} {base64.b64encode(raw).decode()}"
    with pytest.raises(NoteError, match="not 76"):
        CosignatureVerifier(cosigner.verifier_key).timestamp_of(SOFA_BODY, line)


@pytest.mark.parametrize(
    ("case", "vkey", "message"),
    [
        ("not three parts", "witness.example/w1", "form"),
        ("note key type 0x01", NoteSigner("w", Ed25519PrivateKey.from_private_bytes(SEED)).verifier_key, "only 04"),
        (
            "hash mismatch",
            _cosigner().verifier_key.replace("witness.example/w1", "witness.example/w2"),
            "does not match",
        ),
        ("uppercase hash", "w+ABCDEF01+" + base64.b64encode(b"\x04" + bytes(32)).decode(), "lowercase hex"),
        ("short key", "w+00000000+" + base64.b64encode(b"\x04" + bytes(31)).decode(), "not 32"),
        ("space in name", "w x+00000000+" + base64.b64encode(b"\x04" + bytes(32)).decode(), "spaces"),
        ("not a string", None, "form"),
    ],
)
def test_malformed_verifier_keys_are_refused_signed_note_vkeys(case, vkey, message):
    with pytest.raises(NoteError, match=message):
        CosignatureVerifier(vkey)


@pytest.mark.parametrize("timestamp", [-1, 2**63, 1.5])
def test_cosign_refuses_timestamps_out_of_range_tlog_cosignature(timestamp):
    with pytest.raises(NoteError, match="timestamp"):
        _cosigner().cosign(SOFA_BODY, timestamp)


def test_cosigned_note_still_opens_with_the_log_key_and_split_note_finds_every_line():
    log = NoteSigner("example.com/log", Ed25519PrivateKey.from_private_bytes(bytes(32)))
    body = b"example.com/log\n3\n" + base64.b64encode(bytes(32)) + b"\n"
    w1, w2 = _cosigner(), _cosigner("witness.example/w2", bytes([7]) * 32)
    note = log.sign(body) + w1.cosign(body, TS).encode() + w2.cosign(body, TS + 5).encode()
    assert open_checkpoint(note, NoteVerifier(log.verifier_key)).size == 3
    split_body, lines = split_note(note)
    assert split_body == body and len(lines) == 3 and not any(line.endswith("\n") for line in lines)
    assert [CosignatureVerifier(w.verifier_key).timestamp_of(body, lines[i]) for i, w in ((1, w1), (2, w2))] == [
        TS,
        TS + 5,
    ]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (SOFA_BODY, "no blank line"),
        (SOFA_BODY + b"\n", "no signature lines"),
        (SOFA_BODY + b"\nnot a signature\n", "em dash"),
        (SOFA_BODY + b"\n" + (SPEC_W1_LINE + "\n").encode() * 101, "more than 100"),
        (b"\xff\n\n", "UTF-8"),
    ],
)
def test_split_note_refuses_malformed_notes_signed_note(note, message):
    with pytest.raises(NoteError, match=message):
        split_note(note)
