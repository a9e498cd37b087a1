"""c2sp.org/tlog-proof texts (issue 25 point 3): what format_proof writes parses back the same, the
spec's layout line by line, and every deviation from it is refused naming the line."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain import merkle
from services.audit.domain.checkpoint import Checkpoint, NoteSigner
from services.audit.domain.tlog_proof import HEADER, ProofFormatError, TlogProof, format_proof, parse_proof

ORIGIN = "test.jjjc/audit-ledger"
LEAVES = [merkle.leaf_hash(f"event {k}".encode()) for k in range(11)]
ROOT = merkle.root_of(LEAVES)
NOTE = NoteSigner(ORIGIN, Ed25519PrivateKey.generate()).sign(Checkpoint(ORIGIN, 11, ROOT).body())
PATH = merkle.inclusion_proof(6, 11, LEAVES)


def b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def test_the_text_is_laid_out_as_the_spec_shows():
    text = format_proof(6, PATH, NOTE)
    assert text == "\n".join([HEADER, "index 6", *map(b64, PATH)]) + "\n\n" + NOTE.decode()
    assert text.endswith("\n") and NOTE.decode() in text  # the checkpoint verbatim


@pytest.mark.parametrize("extra", [None, b"", b"clue-1 v3", bytes(range(256))])
def test_a_formatted_proof_parses_back_to_the_same_values(extra):
    proof = parse_proof(format_proof(6, PATH, NOTE, extra))
    assert proof == TlogProof(6, tuple(PATH), NOTE, extra)
    merkle.verify_inclusion(LEAVES[6], proof.index, 11, proof.hashes, ROOT)


def test_an_entry_in_a_tree_of_one_has_no_hash_lines_and_bytes_parse_like_text():
    note = NoteSigner(ORIGIN, Ed25519PrivateKey.generate()).sign(Checkpoint(ORIGIN, 1, LEAVES[0]).body())
    text = format_proof(0, [], note)
    assert text.startswith(f"{HEADER}\nindex 0\n\n")
    assert parse_proof(text.encode()) == parse_proof(text) == TlogProof(0, (), note, None)


def test_a_witnessed_checkpoint_with_its_cosignature_lines_is_kept_verbatim():
    # a cosignature line has the signed-note form; its verification is the verifier's, not the parser's
    line = "\u2014 witness.example/w1 " + b64(b"\x01\x02\x03\x04" + bytes(8) + bytes(64)) + "\n"
    note = NOTE + line.encode()
    assert parse_proof(format_proof(6, PATH, note)).note == note


GOOD = format_proof(6, PATH, NOTE)
HASH_LINE = b64(PATH[0])


@pytest.mark.parametrize(
    "text, says",
    [
        (GOOD.replace(HEADER, "c2sp.org/tlog-proof@v2"), "line 1"),  # the header line, exactly
        (GOOD.replace("index 6", "index 06"), "line 2 must be `index"),  # canonical decimal
        (GOOD.replace("index 6", "index +6"), "line 2 must be `index"),
        (GOOD.replace("index 6", "index  6"), "line 2 must be `index"),
        (GOOD.replace("index 6", "Index 6"), "line 2 must be `index"),
        (GOOD.replace("index 6", f"index {2**63}"), "exceeds"),
        (GOOD.replace("index 6\n", ""), "line 2 must be `index"),
        (GOOD.replace("index 6", "extra !!\nindex 6"), "extra) is not valid base64"),
        (GOOD.replace("index 6", "extra YQ\nindex 6"), "not valid base64"),  # padding required
        (GOOD.replace(HASH_LINE, HASH_LINE.rstrip("=")), "line 3 (hash) is not valid base64"),
        (GOOD.replace(HASH_LINE, b64(PATH[0][:31])), "line 3 (hash) is 31 bytes"),
        (GOOD.replace(HASH_LINE, b64(PATH[0] + b"\0")), "line 3 (hash) is 33 bytes"),
        (GOOD.replace(HASH_LINE, HASH_LINE[:-2] + "R="), "not canonical"),  # non-zero padding bits
        (GOOD.replace(f"{HASH_LINE}\n", f"{HASH_LINE}\r\n"), "line 3"),
        (GOOD.replace("\n\n", "\n", 1), "line 7 (hash) is not valid base64"),  # the checkpoint read as hashes
        (GOOD.split("\n\n")[0], "no empty line"),
        (GOOD.replace("\n\n", "\n\n\n", 1), "checkpoint after the empty line"),
        (GOOD[: GOOD.index("\n\n") + 2], "checkpoint after the empty line"),  # no checkpoint
        (GOOD[:-1], "checkpoint after the empty line"),  # truncated: no final newline
        (GOOD.replace(f"{ORIGIN}\n11\n", f"{ORIGIN}\n011\n"), "checkpoint after the empty line"),
        (GOOD.rsplit("\u2014", 1)[0], "checkpoint after the empty line"),  # no signature line
        (GOOD.replace("index 6", "index 6\u00e9"), "not ASCII"),
    ],
)
def test_every_deviation_from_the_spec_is_refused_naming_the_line(text, says):
    with pytest.raises(ProofFormatError, match=says.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        parse_proof(text)


def test_more_hashes_than_a_tree_of_2_63_leaves_needs_is_refused_both_ways():
    many = [hashlib.sha256(bytes([k])).digest() for k in range(64)]
    with pytest.raises(ProofFormatError, match="at most 63"):
        format_proof(0, many, NOTE)
    text = "\n".join([HEADER, "index 0", *map(b64, many)]) + "\n\n" + NOTE.decode()
    with pytest.raises(ProofFormatError, match="more than 63"):
        parse_proof(text)


@pytest.mark.parametrize(
    "index, hashes, note, says",
    [
        (-1, PATH, NOTE, "index"),
        (True, PATH, NOTE, "index"),
        (6, [*PATH[:-1], PATH[-1][:16]], NOTE, "hash 3 is not 32 bytes"),
        (6, PATH, NOTE.split(b"\n\n")[0] + b"\n", "checkpoint"),  # a note with no signature
        (6, PATH, "not a checkpoint\n\n\u2014 x AAAA\n".encode(), "checkpoint"),
    ],
)
def test_format_refuses_what_would_not_parse_back(index, hashes, note, says):
    with pytest.raises(ProofFormatError, match=says):
        format_proof(index, hashes, note)
