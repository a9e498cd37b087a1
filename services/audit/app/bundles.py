"""History bundles for offline verification: the recorded events of a stream, or of the whole story
of a clue, case or decision (everything `GetHistory` tells: its clues, cases, measures, decisions
and their items), each with its inclusion proof in ONE checkpoint, signed now if the tree grew and
witnessed when witnesses are configured (issue 25). A partner auditor verifies the JSON file with no
database and no network (`python -m services.audit.verify_bundle`), or each event's C2SP
tlog-proof with any tlog-proof verifier, given only the ledger's key and the witness policy.

    {"format": "jjjc-audit-bundle/v2", "subject": "case-…", "whole_story": true,
     "as_of": "2026-…+00:00" | null,
     "subjects": [{"id": "case-…", "kind": "case", "linked_from": "", "relation": ""}, …],
     "checkpoint": "<signed note: the ledger's signature, then the witnesses' cosignatures>",
     "events": [{"leaf_index": 5, "envelope": "<base64 bytes>", "proof": ["<base64 hash>", …],
                 "tlog_proof": "c2sp.org/tlog-proof@v1\\nindex 5\\n…"}, …]}

Events are in story order (domain time, recorded time, stream, version; `domain.story.tell`), or
in version order for one stream. Version 1 (`jjjc-audit-bundle/v1`: one stream, no subjects, no
tlog_proof) is no longer written and still verifies.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kernel.domain.errors import IllegalState, NotFound, Validation
from kernel.eventstore.envelope import Envelope, parse
from kernel.eventstore.reads import READ
from kernel.runtime import log as klog
from services.audit.app import ledger, story
from services.audit.app.checkpoints import Checkpointer, Signed
from services.audit.app.holdings import Reader
from services.audit.app.replay import EVERYTHING
from services.audit.domain.merkle import inclusion_proof_nodes
from services.audit.domain.story import subject_kind, tell
from services.audit.domain.tlog_proof import format_proof

FORMAT = "jjjc-audit-bundle/v2"
# A bigger story is exported as of an earlier moment. An event takes some 3-5 KB of JSON (its bytes,
# its proof twice, the checkpoint in its tlog-proof): a client receiving big stories raises its gRPC
# receive limit (4 MB by default, about a thousand steps).
MAX_EVENTS = 10_000
# Witnessing.witness (app.witnessing): the signed checkpoint with the cosignatures gathered in time
Witness = Callable[[Signed], Awaitable[Any]]
log = klog.get("audit.bundles")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Bundle:
    data: bytes
    tree_size: int
    events: int
    persons: list[str]  # the persons the events link (what the read is about, for its record)
    subjects: list[story.Subject]  # the files the bundle holds (for the read's record)
    witnessed: bool = False  # the checkpoint's cosignatures meet the witness policy
    cosigners: tuple[str, ...] = ()  # key names of the witnesses that cosigned it


async def export(
    pool,
    schema: str,
    checkpoints: Checkpointer,
    stream_id: str,
    reader: Reader | None = None,
    *,
    whole_story: bool = False,
    as_of: datetime | None = None,
    witness: Witness | None = None,
) -> Bundle:
    """The bundle of `stream_id` (with `whole_story`: of the story it is the subject of, as of
    `as_of`), proven in a checkpoint signed now if the tree grew since the last one (so every
    recorded event is covered), then witnessed by `witness` if given. What the reader (default:
    audit's own, which knows everything) may not know is left out; a subject it may not know is
    NOT_FOUND like an unknown one, and signs nothing."""
    reader = reader or Reader.everything()
    if as_of is not None and not whole_story:
        raise Validation("as_of", "only with whole_story: a single stream's bundle holds everything recorded")
    if whole_story and not subject_kind(stream_id):
        raise Validation(
            "stream_id",
            "with whole_story must be a clue, case or decision stream id: clue-<uuid>, case-<uuid> or decision-<uuid>",
        )
    unknown = (
        NotFound("story", stream_id if as_of is None else f"{stream_id} as of {as_of.isoformat()}")
        if whole_story
        else NotFound("recorded stream", stream_id)
    )
    async with pool.acquire() as conn:
        if not await reader.may_know(conn, schema, stream_id):
            raise unknown
    signed = await checkpoints.sign()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        if whole_story:
            subjects, told_as_of, leaves = await _story(conn, schema, stream_id, as_of, signed.tree_size, reader)
        else:
            subjects, told_as_of = [story.Subject(stream_id, stream_id.partition("-")[0])], None
            leaves = await conn.fetch(
                f"SELECT leaf_index FROM {schema}.recorded_events WHERE stream_id = $1 AND leaf_index < $2 "
                f"ORDER BY version",
                stream_id,
                signed.tree_size,
            )
            leaves = [r["leaf_index"] for r in leaves]
        if not leaves:
            raise unknown
        rows = await story.recorded(conn, schema, leaves)
        paths = [inclusion_proof_nodes(leaf, signed.tree_size) for leaf in leaves]
        proofs = await ledger.hashes_of(conn, schema, [group for path in paths for group in path])
    note, witnessed, cosigners = await _witnessed(signed, witness)
    events, k, persons = [], 0, {}
    for r, path in zip(rows, paths):
        raw = bytes(r["envelope"])
        persons |= dict.fromkeys(persons_of(parse(raw)))
        hashes = proofs[k : k + len(path)]
        k += len(path)
        events.append(
            {
                "leaf_index": r["leaf_index"],
                "envelope": _b64(raw),
                "proof": [_b64(h) for h in hashes],
                "tlog_proof": format_proof(r["leaf_index"], hashes, note),
            }
        )
    bundle = {
        "format": FORMAT,
        "subject": stream_id,
        "whole_story": whole_story,
        "as_of": told_as_of.isoformat() if told_as_of else None,
        "subjects": [
            {"id": s.id, "kind": s.kind, "linked_from": s.linked_from, "relation": s.relation} for s in subjects
        ],
        "checkpoint": note.decode(),
        "events": events,
    }
    return Bundle(
        json.dumps(bundle, indent=1).encode(),
        signed.tree_size,
        len(events),
        list(persons),
        subjects,
        witnessed,
        cosigners,
    )


async def _story(conn, schema: str, subject: str, as_of: datetime | None, below: int, reader: Reader):
    """The story's subjects, the moment it is told as of, and its steps' leaves in story order:
    what `GetHistory` tells (`app.replay`), bounded by the checkpoint's tree size."""
    knowable = reader.knowable
    subjects = await story.subjects(conn, schema, subject, as_of or EVERYTHING, below, knowable)
    members = await story.members(conn, schema, [s.id for s in subjects], below, knowable)
    told = tell(members, as_of, None, len(members) or 1)
    if told.total > MAX_EVENTS:
        raise IllegalState(
            f"story of {told.total} steps",
            f"export more than {MAX_EVENTS} steps in one bundle; export it as of an earlier moment (as_of)",
        )
    return subjects, told.as_of, told.leaves


async def _witnessed(signed: Signed, witness: Witness | None) -> tuple[bytes, bool, tuple[str, ...]]:
    """The checkpoint note to prove against: the signed one with the cosignatures the witnesses gave
    in time, whether they meet the policy, and who cosigned. A witnessing that fails leaves the
    plain signed note (the bundle then verifies without a policy); it never fails the export."""
    if witness is None:
        return signed.note, False, ()
    try:
        w = await witness(signed)
    except Exception as e:  # noqa: BLE001 - a witness's trouble is reported by Witnessing; the export goes on
        log.warning("audit.bundle_unwitnessed", tree_size=signed.tree_size, error=repr(e))
        return signed.note, False, ()
    if w is None or w.tree_size != signed.tree_size or not bytes(w.note).startswith(signed.note):
        return signed.note, False, ()
    return bytes(w.note), bool(w.met), tuple(w.cosigners)


def persons_of(env: Envelope) -> list[str]:
    """The persons an event is about (its person links, a read's own excepted)."""
    return [k.id for k in env.links if k.kind == "person" and k.relation != READ and k.id]
