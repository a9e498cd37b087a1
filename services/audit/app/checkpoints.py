"""Signed checkpoints of the ledger (C2SP tlog-checkpoint in a signed note), at an interval and
on demand.

Before signing size n2 after a signed (n1, r1), the signer proves from the stored nodes that the
tree of n2 extends the tree of n1 and verifies that proof against r1: if the store was altered
under a signed checkpoint, it refuses (and says so loudly) rather than sign a fork.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from kernel.eventstore import migrations
from kernel.eventstore.migrations import Migration
from kernel.runtime import log as klog
from services.audit.app import ledger
from services.audit.domain.checkpoint import Checkpoint, NoteSigner
from services.audit.domain.merkle import ProofError, consistency_proof_nodes, verify_consistency

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.checkpoints (
    tree_size bigint PRIMARY KEY,
    root      bytea  NOT NULL,
    note      bytea  NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now()
)"""
MIGRATIONS = (Migration("audit.checkpoints", 1, "signed checkpoints", TABLE_SQL),)


@dataclass(frozen=True)
class Signed:
    tree_size: int
    root: bytes
    note: bytes
    signed_at: datetime


def _signed(row) -> Signed:
    return Signed(row["tree_size"], bytes(row["root"]), bytes(row["note"]), row["signed_at"])


class CheckpointRefused(Exception):
    """The stored tree does not extend the last signed checkpoint: the store was altered."""


class Checkpointer:
    def __init__(self, pool, schema: str, signer: NoteSigner, origin: str, completeness=None):
        """`completeness` (`app.completeness.Completeness`): what is known missing goes into each
        checkpoint as extension lines."""
        self.pool, self.schema, self.signer, self.origin = pool, schema, signer, origin
        self.completeness = completeness
        self.log = klog.get("audit.checkpoints")

    async def migrate(self) -> None:
        await migrations.apply(self.pool, self.schema, MIGRATIONS)

    async def latest(self, conn=None) -> Signed | None:
        query = f"SELECT * FROM {self.schema}.checkpoints ORDER BY tree_size DESC LIMIT 1"
        row = await (conn.fetchrow(query) if conn else self.pool.fetchrow(query))
        return _signed(row) if row else None

    async def at_size(self, tree_size: int) -> bytes:
        note = await self.pool.fetchval(f"SELECT note FROM {self.schema}.checkpoints WHERE tree_size = $1", tree_size)
        return bytes(note) if note else b""

    async def all(self) -> list[Signed]:
        rows = await self.pool.fetch(f"SELECT * FROM {self.schema}.checkpoints ORDER BY tree_size")
        return [_signed(r) for r in rows]

    async def sign(self) -> Signed:
        """Sign the tree as it stands, if it grew since the last checkpoint; the latest either way."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"checkpoint:{self.schema}")
            last = await self.latest(conn)
            size = await ledger.size(conn, self.schema)
            if last and last.tree_size >= size:
                return last
            root = await ledger.root_at(conn, self.schema, size)
            if last:
                await self._check_extends(conn, last, size, root)
            extensions = await self.completeness.extension_lines(conn) if self.completeness else ()
            note = self.signer.sign(Checkpoint(self.origin, size, root, extensions).body())
            row = await conn.fetchrow(
                f"INSERT INTO {self.schema}.checkpoints (tree_size, root, note) VALUES ($1, $2, $3) RETURNING signed_at",
                size,
                root,
                note,
            )
        self.log.info("audit.checkpoint_signed", tree_size=size, root=root.hex())
        return Signed(size, root, note, row["signed_at"])

    async def _check_extends(self, conn, last: Signed, size: int, root: bytes) -> None:
        proof = await ledger.hashes_of(conn, self.schema, consistency_proof_nodes(last.tree_size, size))
        try:
            verify_consistency(last.tree_size, size, proof, last.root, root)
        except ProofError as e:
            self.log.error(
                "audit.checkpoint_refused",
                last_size=last.tree_size,
                size=size,
                problem=str(e),
                action="run `python -m services.audit.verify` to locate the alteration",
            )
            raise CheckpointRefused(
                f"the stored tree of {size} does not extend checkpoint {last.tree_size}: {e}"
            ) from e

    async def run(self, interval_seconds: float) -> None:
        """Sign at an interval until cancelled; a refusal is logged each time, never swallowed silently."""
        while True:
            try:
                await self.sign()
            except CheckpointRefused:
                pass  # logged as an error in _check_extends
            except Exception as e:  # noqa: BLE001 - keep signing later; the store may be back
                self.log.warning("audit.checkpoint_failed", error=repr(e))
            await asyncio.sleep(interval_seconds)
