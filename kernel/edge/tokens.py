"""Signed bearer tokens that carry the principal (agency, office, role, user) with an expiry.

Format: `jjjc1.<claims>.<signature>`, both parts base64url without padding. The claims are
compact JSON `{"agency","office","role","user","iat","exp"}` (seconds since the epoch; `user` is
the user's personnel-system person id, `Principal.person_id`, the id recusal compares with the
subjects of a clue or case, SL 67); the
signature is Ed25519 over the ASCII text `jjjc1.<claims>`. Callers send the token in the gRPC
metadata `authorization: Bearer <token>`.

The platform's signing key is an Ed25519 private key in PEM (PKCS#8). Services only need the
public half to verify; the embedded default generates the pair into `DATA_DIR/keys/`.
Expiry is checked against the wall clock, never the settable domain clock: moving a test
service's clock to June must not expire or revive anyone's credentials.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kernel.domain.errors import Unauthenticated
from kernel.domain.principal import Principal

PREFIX = "jjjc1"
CLAIMS = ("agency", "office", "role", "user")
CLOCK_SKEW_SECONDS = 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Canonical unpadded base64url only: a token has one spelling, so nothing keyed on its text (a
    deny-list, a log search) is sidestepped by another spelling of the same bytes."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise binascii.Error("not canonical base64url")
    return data


@dataclass(frozen=True)
class Claims:
    principal: Principal
    issued_at: int
    expires_at: int


class TokenSigner:
    def __init__(self, key: Ed25519PrivateKey):
        self._key = key

    def issue(self, principal: Principal, ttl_seconds: int, now: float | None = None) -> str:
        if ttl_seconds <= 0:
            raise ValueError("ttl must be positive")
        iat = int(time.time() if now is None else now)
        body = {
            **dict(zip(CLAIMS, (principal.agency, principal.office, principal.role, principal.user))),
            "iat": iat,
            "exp": iat + int(ttl_seconds),
        }
        signed = f"{PREFIX}.{_b64(json.dumps(body, separators=(',', ':'), sort_keys=True).encode())}"
        return f"{signed}.{_b64(self._key.sign(signed.encode()))}"


class TokenVerifier:
    """Checks format, signature (any of the configured public keys, for rotation) and expiry."""

    def __init__(self, keys: Iterable[Ed25519PublicKey], now: Callable[[], float] = time.time):
        self._keys, self._now = tuple(keys), now
        if not self._keys:
            raise ValueError("at least one public key is needed to verify tokens")

    def verify(self, token: str) -> Claims:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            raise Unauthenticated(f"malformed token: expected {PREFIX}.<claims>.<signature>")
        try:
            signature, body = _unb64(parts[2]), json.loads(_unb64(parts[1]))
        except (binascii.Error, ValueError) as e:
            raise Unauthenticated("malformed token: claims or signature not decodable") from e
        if not any(self._valid(k, signature, f"{parts[0]}.{parts[1]}".encode()) for k in self._keys):
            raise Unauthenticated("token signature is not valid for this platform")
        return self._claims(body)

    @staticmethod
    def _valid(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
        try:
            key.verify(signature, data)
            return True
        except InvalidSignature:
            return False

    def _claims(self, body) -> Claims:
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) and body[k].strip() for k in CLAIMS):
            raise Unauthenticated(f"token claims must name {', '.join(CLAIMS)}")
        iat, exp = body.get("iat"), body.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            raise Unauthenticated("token claims must carry integer iat and exp")
        now = self._now()
        if now >= exp:
            raise Unauthenticated(
                f"token expired at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(exp))}; ask for a new one"
            )
        if iat > now + CLOCK_SKEW_SECONDS:
            raise Unauthenticated("token issued in the future; check the issuer's clock")
        return Claims(Principal(*(body[k] for k in CLAIMS)), iat, exp)


def bearer_token(metadata) -> str:
    """The token from `authorization: Bearer <token>` metadata, or raise Unauthenticated."""
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            raise Unauthenticated("authorization metadata must be `Bearer <token>`")
    raise Unauthenticated(
        "missing credentials: send metadata `authorization: Bearer <token>` "
        "(issue one with `python -m kernel.edge.tokens_cli issue --help`)"
    )


# -- key files ---------------------------------------------------------------------------------
def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = Path(path).read_bytes()
    key = (
        serialization.load_pem_private_key(data, password=None).public_key()
        if b"PRIVATE KEY" in data
        else serialization.load_pem_public_key(data)
    )
    if not isinstance(key, Ed25519PublicKey):
        raise SystemExit(f"{path}: not an Ed25519 key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """Load the signing key, generating it (mode 0600, public half beside it as `.pub`) if absent.

    Several processes may start at once: the key is written to a temporary file and linked into
    place, so exactly one key wins and every process reads that one.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        try:
            os.write(fd, pem)
            os.close(fd)
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = load_private_key(path)
    pub = path.with_suffix(".pub")
    if not pub.exists():
        pub.write_bytes(public_pem(key.public_key()))
    return key
