"""History bundles for offline verification: a stream's recorded events, each with its inclusion
proof in one signed checkpoint, in a JSON file a partner auditor verifies with no database and no
network (`python -m services.audit.verify_bundle`).

    {"format": "jjjc-audit-bundle/v1", "subject": "clue-…", "checkpoint": "<signed note>",
     "events": [{"leaf_index": 5, "envelope": "<base64 bytes>", "proof": ["<base64 hash>", …]}, …]}
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from kernel.domain.errors import NotFound
from kernel.eventstore.envelope import Envelope, parse
from kernel.eventstore.reads import READ
from services.audit.app import ledger
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.holdings import Reader
from services.audit.domain.merkle import inclusion_proof_nodes

FORMAT = "jjjc-audit-bundle/v1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Bundle:
    data: bytes
    tree_size: int
    events: int
    persons: list[str]  # the persons the events link (what the read is about, for its record)


async def export(pool, schema: str, checkpoints: Checkpointer, stream_id: str, reader: Reader | None = None) -> Bundle:
    """The stream's bundle, proven in a checkpoint signed now if the tree grew since the last one
    (so every recorded event of the stream is covered). A stream the reader (default: audit's
    own, which knows everything) may not know is NOT_FOUND like an unknown one, and signs nothing."""
    reader = reader or Reader.everything()
    async with pool.acquire() as conn:
        if not await reader.may_know(conn, schema, stream_id):
            raise NotFound("recorded stream", stream_id)
    signed = await checkpoints.sign()
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT leaf_index, envelope FROM {schema}.recorded_events WHERE stream_id = $1 "
            f"AND leaf_index < $2 ORDER BY version",
            stream_id,
            signed.tree_size,
        )
        if not rows:
            raise NotFound("recorded stream", stream_id)
        paths = [inclusion_proof_nodes(r["leaf_index"], signed.tree_size) for r in rows]
        proofs = await ledger.hashes_of(conn, schema, [group for path in paths for group in path])
    events, k, persons = [], 0, {}
    for r, path in zip(rows, paths):
        persons |= dict.fromkeys(persons_of(parse(bytes(r["envelope"]))))
        n = len(path)
        events.append(
            {
                "leaf_index": r["leaf_index"],
                "envelope": _b64(bytes(r["envelope"])),
                "proof": [_b64(h) for h in proofs[k : k + n]],
            }
        )
        k += n
    bundle = {"format": FORMAT, "subject": stream_id, "checkpoint": signed.note.decode(), "events": events}
    return Bundle(json.dumps(bundle, indent=1).encode(), signed.tree_size, len(events), list(persons))


def persons_of(env: Envelope) -> list[str]:
    """The persons an event is about (its person links, a read's own excepted)."""
    return [k.id for k in env.links if k.kind == "person" and k.relation != READ and k.id]
