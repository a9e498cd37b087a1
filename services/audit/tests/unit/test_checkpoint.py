"""C2SP checkpoints in signed notes: known answers from golang.org/x/mod and C2SP, every malformation refused."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain.checkpoint import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    parse_checkpoint,
    signer_from_key,
)

# golang.org/x/mod sumdb/note/note_test.go (TestNewSigner, TestSign, TestOpen) and the package doc of note.go.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
).encode()
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
).encode()
# c2sp.org/signed-note, "Example".
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_TEXT = b"This is an example message.\n"
C2SP_SIG = "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
# c2sp.org/tlog-checkpoint, the example checkpoint (its key is not published: a foreign signature to us).
SOFA_BODY = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_SIG = (
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9n"
    "To+zyWE+xeMcTOAYQ8=\n"
).encode()
# golang.org/x/mod sumdb/tlog/note_test.go (TestFormatTree): RecordHash("hello world") at size 123456789012.
TREE_BODY = b"go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
TREE_ROOT = hashlib.sha256(b"\x00hello world").digest()

ORIGIN = "example.org/audit-ledger"
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
VERIFIER = NoteVerifier(SIGNER.verifier_key)
CP = Checkpoint(ORIGIN, 20852163, hashlib.sha256(b"root").digest(), ("ext one", "ext-two"))
NOTE = SIGNER.sign(CP.body())
BODY = CP.body()
ROOT64 = base64.b64encode(CP.root)
SIG_LINE = NOTE[len(BODY) + 1 :]


def signed(body: bytes) -> bytes:
    return SIGNER.sign(body)


def refused(fragment: str, call, *args):
    with pytest.raises(NoteError) as raised:
        call(*args)
    assert fragment in str(raised.value), str(raised.value)


# --- known answers -----------------------------------------------------------------------------------------


def test_go_signer_key_signs_byte_for_byte_as_go():
    signer = signer_from_key(PETER_SKEY)
    assert (signer.name, signer.key_hash.hex()) == ("PeterNeumann", "c74f20a3")
    assert signer.verifier_key == PETER_VKEY
    assert signer.signer_key == PETER_SKEY
    assert signer.sign(GO_TEXT) == GO_TEXT + b"\n" + PETER_SIG
    assert base64.b64encode(b"\x01" + signer.public_key_bytes).decode() == PETER_VKEY.split("+")[2]


@pytest.mark.parametrize(
    "vkey,name,hash_hex,text,sig_line",
    [
        (PETER_VKEY, "PeterNeumann", "c74f20a3", GO_TEXT, PETER_SIG),
        (ENOCH_VKEY, "EnochRoot", "af0cfe78", GO_TEXT, ENOCH_SIG),
        (C2SP_VKEY, "example.com/foo", "530d903a", C2SP_TEXT, f"\u2014 example.com/foo {C2SP_SIG}\n".encode()),
    ],
    ids=["go-peter", "go-enoch", "c2sp-example"],
)
def test_published_verifier_keys_verify_published_signatures(vkey, name, hash_hex, text, sig_line):
    verifier = NoteVerifier(vkey)
    assert (verifier.name, verifier.key_hash.hex()) == (name, hash_hex)
    raw = base64.b64decode(sig_line.decode().split(" ")[2])
    assert raw[:4] == verifier.key_hash
    assert verifier.verifies(text, raw[4:])
    assert not verifier.verifies(text + b"x\n", raw[4:])


@pytest.mark.parametrize("vkey", [PETER_VKEY, ENOCH_VKEY])
def test_go_notes_pass_the_signature_check_then_fail_as_checkpoints(vkey):
    # The signature is accepted (else the error would name it); the text simply is not a checkpoint.
    refused("checkpoint has 2 line(s)", open_checkpoint, GO_TEXT + b"\n" + PETER_SIG + ENOCH_SIG, NoteVerifier(vkey))


def test_go_tree_body_is_a_checkpoint():
    assert Checkpoint("go.sum database tree", 123456789012, TREE_ROOT).body() == TREE_BODY
    assert parse_checkpoint(TREE_BODY) == Checkpoint("go.sum database tree", 123456789012, TREE_ROOT)


def test_c2sp_example_checkpoint_parses():
    cp = parse_checkpoint(SOFA_BODY)
    assert (cp.origin, cp.size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert cp.body() == SOFA_BODY


# --- round trip and foreign signatures ----------------------------------------------------------------------


def test_round_trip():
    assert open_checkpoint(NOTE, VERIFIER) == CP
    assert open_checkpoint(NOTE, VERIFIER, ORIGIN) == CP
    assert parse_checkpoint(BODY) == CP
    assert NOTE == BODY + b"\n" + SIG_LINE and SIG_LINE.startswith("\u2014 ".encode() + ORIGIN.encode() + b" ")


def test_empty_tree_and_bytes_like_root():
    cp = Checkpoint(ORIGIN, 0, bytearray(hashlib.sha256(b"").digest()))
    assert isinstance(cp.root, bytes)
    assert open_checkpoint(signed(cp.body()), VERIFIER) == cp


def test_signer_key_round_trip():
    key = Ed25519PrivateKey.generate()
    signer = NoteSigner("log.example/a", key)
    again = signer_from_key(signer.signer_key)
    assert (again.verifier_key, again.public_key_bytes) == (signer.verifier_key, key.public_key().public_bytes_raw())
    assert again.sign(BODY) == signer.sign(BODY)


@pytest.mark.parametrize(
    "note",
    [
        SOFA_BODY + b"\n" + SOFA_SIG + signed(SOFA_BODY)[len(SOFA_BODY) + 1 :],
        signed(SOFA_BODY) + SOFA_SIG,
        NOTE + ENOCH_SIG,
        BODY + b"\n" + PETER_SIG + SIG_LINE + ENOCH_SIG,
    ],
    ids=["c2sp-first", "c2sp-after", "enoch-after", "go-around"],
)
def test_signatures_by_unknown_keys_are_ignored(note):
    assert open_checkpoint(note, VERIFIER).size in (CP.size, 20852163)


def test_sixteen_signatures_accepted():
    assert open_checkpoint(BODY + b"\n" + SIG_LINE + ENOCH_SIG * 15, VERIFIER) == CP


# --- refusals -----------------------------------------------------------------------------------------------


def test_note_by_another_key_refused():
    stranger = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())  # same name, other key hash
    refused("no signature by", open_checkpoint, stranger.sign(BODY), VERIFIER)
    refused("no signature by", open_checkpoint, NOTE, NoteVerifier(PETER_VKEY))
    refused("no signature by", open_checkpoint, SOFA_BODY + b"\n" + SOFA_SIG, VERIFIER)


def tampered_signature() -> bytes:
    raw = bytearray(base64.b64decode(SIG_LINE.split(b" ")[2]))
    raw[10] ^= 1
    return SIG_LINE.split(b" ")[0] + b" " + SIG_LINE.split(b" ")[1] + b" " + base64.b64encode(bytes(raw)) + b"\n"


NOTE_CASES = {
    "tampered body": (NOTE.replace(b"20852163", b"20852164"), "does not verify"),
    "tampered signature": (BODY + b"\n" + tampered_signature(), "does not verify"),
    "one good, one bad by the same key": (NOTE + tampered_signature(), "does not verify"),
    "signature cut short": (BODY + b"\n" + SIG_LINE[:-12] + b"\n", "base64"),
    "truncated mid-signature": (NOTE[:-10], "does not end with a newline"),
    "truncated after the blank line": (BODY + b"\n", "no signature lines"),
    "truncated to the body": (BODY, "no blank line"),
    "empty": (b"", "does not end with a newline"),
    "missing blank line": (BODY + SIG_LINE, "no blank line"),
    "CRLF": (NOTE.replace(b"\n", b"\r\n"), "carriage return"),
    "CR in a signature line": (NOTE[:-1] + b"\r\n", "carriage return"),
    "non-UTF-8": (b"\xff" + NOTE, "UTF-8"),
    "overlong UTF-8": (NOTE.replace(b"example.org", b"example\xc0\xae.org"), "UTF-8"),
    "control character": (NOTE.replace(b"ext one", b"ext\tone"), "control character"),
    "NUL": (NOTE + b"\x00\n", "control character"),
    "hyphen instead of em dash": (BODY + b"\n-" + SIG_LINE[3:], "em dash"),
    "no space after the key name": (BODY + b"\n" + b"".join(SIG_LINE.rsplit(b" ", 1)), "no space"),
    "empty key name": (BODY + b"\n\xe2\x80\x94  " + SIG_LINE.split(b" ")[2], "non-empty"),
    "bad base64 signature": (NOTE[:-5] + b"!!!=\n", "base64"),
    "unpadded base64 signature": (NOTE[:-2] + b"\n", "base64"),
    "trailing blank line": (NOTE + b"\n", "no signature lines"),
    "text after the signatures": (NOTE + b"Unexpected line.\n", "em dash"),
    "too many signatures": (BODY + b"\n" + SIG_LINE * 101, "more than 100"),
    "too many, none ours": (BODY + b"\n" + ENOCH_SIG * 101, "more than 100"),
    "not bytes": (NOTE.decode(), "must be bytes"),
}


@pytest.mark.parametrize("note,fragment", NOTE_CASES.values(), ids=NOTE_CASES.keys())
def test_malformed_notes_refused(note, fragment):
    refused(fragment, open_checkpoint, note, VERIFIER)


def body(origin=ORIGIN, size=b"5", root=ROOT64, *extensions):
    return b"\n".join([origin.encode(), size, root, *extensions]) + b"\n"


BODY_CASES = {
    "leading zero": (body(size=b"05"), "canonical decimal"),
    "plus sign": (body(size=b"+5"), "canonical decimal"),
    "negative": (body(size=b"-5"), "canonical decimal"),
    "hex": (body(size=b"0x1f"), "canonical decimal"),
    "underscore": (body(size=b"1_000"), "canonical decimal"),
    "space": (body(size=b" 5"), "canonical decimal"),
    "non-ASCII digit": (body(size="\u0665".encode()), "canonical decimal"),
    "beyond int64": (body(size=str(2**63).encode()), "exceeds"),
    "thousands of digits": (body(size=b"9" * 5000), "exceeds"),
    "empty size": (body(size=b""), "line 2 is empty"),
    "empty origin": (body(origin=""), "line 1 is empty"),
    "root 31 bytes": (body(root=base64.b64encode(bytes(31))), "31 bytes, not 32"),
    "root 33 bytes": (body(root=base64.b64encode(bytes(33))), "33 bytes, not 32"),
    "root hex": (body(root=hashlib.sha256(b"").hexdigest().encode()), "48 bytes"),  # hex is valid base64
    "root bad base64": (body(root=b"!" * 44), "not valid base64"),
    "root unpadded": (body(root=ROOT64.rstrip(b"=")), "not valid base64"),
    "root non-canonical bits": (body(root=b"Tszz" + b"A" * 38 + b"B="), "not canonical"),
    "root URL-safe alphabet": (body(root=base64.urlsafe_b64encode(b"\xfb" * 32)), "not valid base64"),
    "missing root": (ORIGIN.encode() + b"\n5\n", "2 line(s)"),
    "empty extension": (body(ORIGIN, b"5", ROOT64, b"", b"ext"), "line 4 is empty"),
}


@pytest.mark.parametrize("text,fragment", BODY_CASES.values(), ids=BODY_CASES.keys())
def test_malformed_checkpoints_refused(text, fragment):
    refused(fragment, parse_checkpoint, text)
    refused(fragment, open_checkpoint, signed(text), VERIFIER)  # validly signed, still refused


def test_origin_mismatch_refused():
    refused("not the expected", open_checkpoint, NOTE, VERIFIER, "example.org/other")
    refused("not the expected", open_checkpoint, NOTE, VERIFIER, ORIGIN + " ")


ROOT = bytes(32)
CHECKPOINT_CASES = {
    "empty origin": ("", 1, ROOT, ()),
    "origin with newline": ("a\nb", 1, ROOT, ()),
    "origin with CR": ("a\rb", 1, ROOT, ()),
    "origin not UTF-8 encodable": ("a\ud800", 1, ROOT, ()),
    "negative size": ("o", -1, ROOT, ()),
    "size beyond int64": ("o", 2**63, ROOT, ()),
    "boolean size": ("o", True, ROOT, ()),
    "string size": ("o", "1", ROOT, ()),
    "short root": ("o", 1, bytes(31), ()),
    "root as str": ("o", 1, "x" * 32, ()),
    "empty extension": ("o", 1, ROOT, ("",)),
    "extension with newline": ("o", 1, ROOT, ("a\n",)),
    "extensions as list": ("o", 1, ROOT, ["a"]),
}


@pytest.mark.parametrize("origin,size,root,extensions", CHECKPOINT_CASES.values(), ids=CHECKPOINT_CASES.keys())
def test_invalid_checkpoints_cannot_be_built(origin, size, root, extensions):
    with pytest.raises(NoteError):
        Checkpoint(origin, size, root, extensions)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\nb", "a\u00a0b", "a\u3000b", "a\u2028b", "a\ud800"])
def test_invalid_key_names_refused(name):
    with pytest.raises(NoteError):
        NoteSigner(name, Ed25519PrivateKey.generate())


@pytest.mark.parametrize(
    "text,fragment",
    [
        (b"no final newline", "does not end with a newline"),
        (b"\xff\n", "UTF-8"),
        (b"a\r\n", "carriage return"),
        ("a\n", "must be bytes"),
    ],
)
def test_signer_refuses_non_note_text(text, fragment):
    refused(fragment, SIGNER.sign, text)


def test_signer_refuses_other_keys():
    with pytest.raises(NoteError):
        NoteSigner(ORIGIN, object())


def manglings(key: str):
    """Every proper substring and every one-character increment (as golang.org/x/mod TestNewVerifier)."""
    subs = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)} - {key}
    return subs | {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}


def test_mangled_verifier_keys_refused():
    bad = manglings(PETER_VKEY) | {
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # Go: wrong key length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # Go: unknown algorithm
        PETER_VKEY.replace("c74f20a3", "C74F20A3"),
        PETER_VKEY + "\n",
        None,
    }
    for key in bad:
        with pytest.raises(NoteError):
            NoteVerifier(key)


def test_mangled_signer_keys_refused():
    for key in manglings(PETER_SKEY) | {PETER_VKEY, PETER_SKEY.replace("PRIVATE", "private"), None}:
        with pytest.raises(NoteError):
            signer_from_key(key)


@pytest.mark.parametrize(
    "key,fragment",
    [
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20a3+AhpczQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "signature type 02"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T=", "not canonical"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "spaces"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 lowercase hex"),
        ("PeterNeumann", "<name>+<hash>+<key>"),
    ],
)
def test_verifier_key_errors_say_what_is_wrong(key, fragment):
    refused(fragment, NoteVerifier, key)


def test_signer_key_errors_do_not_echo_key_material():
    with pytest.raises(NoteError) as raised:
        signer_from_key(PETER_SKEY.replace("c74f20a3", "c74f20a4"))
    assert "does not match" in str(raised.value) and "AYEKFALV" not in str(raised.value)
