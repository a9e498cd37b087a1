"""Signed bearer tokens: round trip, and every way a token can be wrong."""

import base64
import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kernel.domain.errors import Unauthenticated
from kernel.edge import tokens
from kernel.edge.tokens import TokenSigner, TokenVerifier, bearer_token
from tests.factories import ALICE

NOW = 1_790_000_000.0
KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def verifier(*keys, now=NOW):
    return TokenVerifier([k.public_key() for k in (keys or (KEY,))], now=lambda: now)


def test_round_trip_carries_the_principal_and_expiry():
    claims = verifier().verify(TokenSigner(KEY).issue(ALICE, 3600, now=NOW))
    assert claims.principal == ALICE and claims.expires_at == int(NOW) + 3600


def test_any_configured_key_verifies_so_keys_can_rotate():
    token = TokenSigner(OTHER).issue(ALICE, 60, now=NOW)
    assert verifier(KEY, OTHER).verify(token).principal == ALICE


def _tamper_claims(token: str, **changes) -> str:
    prefix, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims.update(changes)
    new = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{prefix}.{new}.{sig}"


def _flip_signature_bit(token: str) -> str:
    prefix, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[0] ^= 1
    return f"{prefix}.{body}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


GOOD = TokenSigner(KEY).issue(ALICE, 3600, now=NOW)


@pytest.mark.parametrize(
    "token,reason",
    [
        (TokenSigner(OTHER).issue(ALICE, 3600, now=NOW), "signature"),  # forged: another key
        (_tamper_claims(GOOD, role="commission_head"), "signature"),  # escalated role
        (_tamper_claims(GOOD, exp=int(NOW) + 10**6), "signature"),  # extended expiry
        (_flip_signature_bit(GOOD), "signature"),
        (TokenSigner(KEY).issue(ALICE, 60, now=NOW - 61), "expired"),
        (TokenSigner(KEY).issue(ALICE, 3600, now=NOW + 3600), "future"),
        ("", "malformed"),
        ("jjjc1.abc", "malformed"),
        ("jwt.a.b", "malformed"),
        ("jjjc1.!!!.???", "malformed"),
    ],
)
def test_wrong_tokens_are_refused_with_a_reason(token, reason):
    with pytest.raises(Unauthenticated) as err:
        verifier().verify(token)
    assert reason in str(err.value)


def test_claims_must_name_every_field():
    signer = TokenSigner(KEY)
    token = signer.issue(ALICE, 60, now=NOW)
    # re-sign a body without `user`, so only the claim check can refuse it
    prefix, body, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    del claims["user"]
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(KEY.sign(f"{prefix}.{body}".encode())).rstrip(b"=").decode()
    with pytest.raises(Unauthenticated, match="claims must name"):
        verifier().verify(f"{prefix}.{body}.{sig}")


@pytest.mark.parametrize(
    "metadata,ok",
    [
        ([("authorization", "Bearer abc")], True),
        ([("authorization", "bearer  abc ")], True),
        ([("authorization", "Basic abc")], False),
        ([("authorization", "Bearer ")], False),
        ([], False),
        (None, False),
        ([("x-user", "u-alice")], False),
    ],
)
def test_bearer_token_from_metadata(metadata, ok):
    if ok:
        assert bearer_token(metadata) == "abc"
    else:
        with pytest.raises(Unauthenticated):
            bearer_token(metadata)


def test_key_created_once_even_when_processes_race(tmp_path):
    path = tmp_path / "keys" / "token-signing.key"
    keys = []
    threads = [threading.Thread(target=lambda: keys.append(tokens.load_or_create_private_key(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    publics = {tokens.public_pem(k.public_key()) for k in keys}
    assert len(publics) == 1 and (path.stat().st_mode & 0o777) == 0o600
    assert path.with_suffix(".pub").read_bytes() in publics
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".key-")] == []


def test_cli_issues_a_token_the_verifier_accepts_and_refuses_uncatalogued_roles(tmp_path, capsys):
    from kernel.edge import tokens_cli

    key = tmp_path / "k.key"
    args = [
        "--key-file",
        str(key),
        "issue",
        "--agency",
        "commission",
        "--office",
        "complaints",
        "--role",
        "complaints_officer",
        "--user",
        "P-1",
        "--ttl",
        "2h",
    ]
    assert tokens_cli.main(args) == 0
    token = capsys.readouterr().out.strip()
    claims = TokenVerifier([tokens.load_private_key(key).public_key()]).verify(token)
    assert claims.principal.role == "complaints_officer" and claims.expires_at - claims.issued_at == 7200
    assert tokens_cli.main(["--key-file", str(key), "inspect", token]) == 0
    assert tokens_cli.main([a if a != "complaints_officer" else "head" for a in args]) == 2
    assert "unknown role 'head'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tokens_cli.main([*args[:-2], "--ttl", "forever"])


def test_a_token_has_one_spelling():
    """The signature's last character carries unused bits: another spelling of the same bytes is
    refused, so a token's text identifies it."""
    prefix, body, sig = GOOD.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same = [
        c
        for c in alphabet
        if c != sig[-1] and base64.urlsafe_b64decode(sig[:-1] + c + "==") == base64.urlsafe_b64decode(sig + "==")
    ]
    assert same
    with pytest.raises(Unauthenticated, match="malformed"):
        verifier().verify(f"{prefix}.{body}.{sig[:-1]}{same[0]}")
    assert verifier().verify(GOOD).principal == ALICE
