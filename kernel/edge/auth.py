"""Who is calling: verify the bearer token, then check its principal against the catalogue."""

from __future__ import annotations

from pathlib import Path

from kernel.domain.principal import Principal
from kernel.edge import catalogue as catalogue_mod, tokens
from kernel.edge.catalogue import Catalogue
from kernel.edge.tokens import TokenVerifier


class Authenticator:
    def __init__(self, verifier: TokenVerifier, catalogue: Catalogue):
        self.verifier, self.catalogue = verifier, catalogue

    def authenticate(self, metadata) -> Principal:
        """The caller's principal; UNAUTHENTICATED for a missing, forged, expired or uncatalogued one."""
        claims = self.verifier.verify(tokens.bearer_token(metadata))
        return self.catalogue.check_principal(claims.principal)

    @classmethod
    def from_files(cls, public_keys: tuple[Path, ...], catalogue_file: Path | None) -> Authenticator:
        verifier = TokenVerifier([tokens.load_public_key(p) for p in public_keys])
        return cls(verifier, catalogue_mod.load(catalogue_file))
