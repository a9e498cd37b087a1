"""Inclusion and consistency proofs served from the stored perfect-subtree nodes: one indexed
query of O(log n) rows per proof (root included), whatever the tree size.

Proofs reveal nothing (issue 17): hashes only, never an event's bytes, and an event the reader
may not know is NOT_FOUND with the very words of an unknown event id, before anything else about
it (its leaf, whether a checkpoint covers it yet) is looked at."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kernel.domain.errors import IllegalState, NotFound, Validation
from services.audit.app import ledger
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.holdings import Reader
from services.audit.domain.merkle import consistency_proof_nodes, decompose, inclusion_proof_nodes


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    hashes: list[bytes]
    root: bytes
    leaf_hash: bytes
    checkpoint: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    first_size: int
    second_size: int
    hashes: list[bytes]
    first_root: bytes
    second_root: bytes


class Proofs:
    def __init__(self, pool, schema: str, checkpoints: Checkpointer):
        self.pool, self.schema, self.checkpoints = pool, schema, checkpoints

    async def _size(self, conn, requested: int, field: str) -> int:
        """The requested size, or the latest signed one for 0; never beyond the ledger."""
        if requested == 0:
            latest = await self.checkpoints.latest(conn)
            if latest is None:
                raise IllegalState("no checkpoint signed yet", "prove against the latest checkpoint")
            return latest.tree_size
        held = await ledger.size(conn, self.schema)
        if requested > held:
            raise Validation(field, f"{requested} is beyond the ledger's {held} leaves")
        return requested

    async def inclusion(self, event_id: str, tree_size: int, reader: Reader | None = None) -> InclusionProof:
        """The proof of one event for `reader` (default: audit's own, which knows everything)."""
        reader = reader or Reader.everything()
        try:
            uuid.UUID(event_id)
        except ValueError:
            raise Validation("event_id", "must be a UUID") from None
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT e.leaf_index, e.stream_id, n.hash FROM {self.schema}.recorded_events e "
                f"LEFT JOIN {self.schema}.merkle_nodes n ON n.level = 0 AND n.idx = e.leaf_index "
                f"WHERE e.event_id = $1::uuid",
                event_id,
            )
            if (
                row is None
                or row["leaf_index"] is None
                or not await reader.may_know(conn, self.schema, row["stream_id"])
            ):
                raise NotFound("recorded event", event_id)
            size, index = await self._size(conn, tree_size, "tree_size"), row["leaf_index"]
            if index >= size:
                raise IllegalState(
                    f"tree size {size}",
                    f"prove leaf {index} (recorded after it, not yet checkpointed at that size; ask for a larger size)",
                )
            *path, root = await ledger.hashes_of(
                conn, self.schema, inclusion_proof_nodes(index, size) + [decompose(0, size)]
            )
        return InclusionProof(index, size, path, root, bytes(row["hash"]), await self.checkpoints.at_size(size))

    async def consistency(self, first: int, second: int) -> ConsistencyProof:
        if first < 1:
            raise Validation("first_size", "must be at least 1")
        async with self.pool.acquire() as conn:
            second = await self._size(conn, second, "second_size")
            if first > second:
                raise Validation("first_size", f"{first} is larger than second_size {second}")
            *path, root1, root2 = await ledger.hashes_of(
                conn, self.schema, consistency_proof_nodes(first, second) + [decompose(0, first), decompose(0, second)]
            )
        return ConsistencyProof(first, second, path, root1, root2)
