"""Sealed informant identity (举报人信息): encrypted at rest, only inside the clues service.

AES-256-GCM with a key file (generated into the data folder on first run for the embedded
default; point CLUES_INFORMANT_KEY_FILE at an operator-managed key elsewhere). The clue id is
bound as associated data, so a sealed record cannot be moved to another clue.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kernel.eventstore import migrations
from kernel.eventstore.migrations import Migration

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.informants (
    clue_id   text PRIMARY KEY,
    nonce     bytea NOT NULL,
    sealed    bytea NOT NULL
)"""
MIGRATIONS = (Migration("clues.informants", 1, "sealed informant identities", TABLE_SQL),)


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


class InformantVault:
    def __init__(self, schema: str, key: bytes):
        self.schema, self._aead = schema, AESGCM(key)

    async def migrate(self, conn) -> None:
        await migrations.apply(conn, self.schema, MIGRATIONS)

    async def seal(self, conn, clue_id: str, informant: dict[str, str]) -> None:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, json.dumps(informant).encode(), clue_id.encode())
        await conn.execute(
            f"INSERT INTO {self.schema}.informants (clue_id, nonce, sealed) VALUES ($1, $2, $3) "
            f"ON CONFLICT (clue_id) DO NOTHING",
            clue_id,
            nonce,
            sealed,
        )

    async def open(self, conn, clue_id: str) -> dict[str, str] | None:
        row = await conn.fetchrow(f"SELECT nonce, sealed FROM {self.schema}.informants WHERE clue_id = $1", clue_id)
        if row is None:
            return None
        return json.loads(self._aead.decrypt(bytes(row["nonce"]), bytes(row["sealed"]), clue_id.encode()))
