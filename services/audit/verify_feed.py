"""Offline verification of a partner feed (issue 23 point 2, 4): no database, no network, only what
the partner received and the public keys it pinned (ListPublicKeys: the feed's verifier key, and
the ledger's for the source leaves).

    python -m services.audit.verify_feed received.json --key '<feed verifier key>'
                                         [--ledger-key '<ledger verifier key>'] [--origin …]

Operators check a feed as audit stores it the same way (every signed checkpoint against the stored
entries, each entry against its stored leaf hash):

    python -m services.audit.verify_feed --database-url postgresql://… [--schema audit]
                                         --agency court --key '<feed verifier key>'

`received.json` ("format": "jjjc-feed-proofs/v1") holds the signed feed checkpoint (GetFeedCheckpoint
or GetFeedProof's `checkpoint`) and entries as received (Subscribe), each `{"position", "entry"
(base64 of the exact bytes)}` and optionally its `proof` (GetFeedProof's `hashes`, base64) and
`ledger` proof of its source leaf (`{"leaf_hash", "hashes", "checkpoint"}` from GetFeedProof).
Entries 0..n-1 received in full prove themselves: they must rebuild the signed root of the first
`tree_size` entries. An entry with a proof is checked on its own against the signed root. Either
way each entry must be a canonical entry of this feed's agency at its position. Exit status 0 when
everything verifies, 1 when anything does not (the line says what), 2 on usage.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.audit.domain.checkpoint import Checkpoint, NoteError, NoteVerifier, open_checkpoint
from services.audit.domain.feeds import parse_entry
from services.audit.domain.merkle import ProofError, leaf_hash, root_of, verify_inclusion

FORMAT = "jjjc-feed-proofs/v1"


class FeedError(ValueError):
    """Something received does not verify; the message says which part."""


@dataclass(frozen=True)
class Received:
    """One entry as received, with what proves it (empty when it is proved by the whole prefix)."""

    position: int
    entry: bytes
    proof: Sequence[bytes] = ()
    ledger_leaf_hash: bytes = b""
    ledger_proof: Sequence[bytes] = ()
    ledger_checkpoint: bytes = b""


def open_feed_checkpoint(note: bytes, verifier_key: str, origin: str | None = None) -> Checkpoint:
    try:
        return open_checkpoint(note, NoteVerifier(verifier_key), origin)
    except NoteError as e:
        raise FeedError(f"feed checkpoint: {e}") from None


def agency_of(checkpoint: Checkpoint) -> str:
    """The agency a feed's origin `<ledger origin>/feed/<agency>` names."""
    head, sep, agency = checkpoint.origin.rpartition("/feed/")
    if not sep or not head or not agency:
        raise FeedError(f"feed checkpoint: origin {checkpoint.origin!r} is not `<ledger origin>/feed/<agency>`")
    return agency


def check_entry(raw: bytes, position: int, agency: str) -> dict:
    """The entry's data, when it is a canonical entry of `agency`'s feed at `position`."""
    try:
        doc = parse_entry(raw)
    except ValueError as e:
        raise FeedError(f"entry {position}: {e}") from None
    if doc["agency"] != agency or doc["position"] != position:
        raise FeedError(
            f"entry {position}: it says agency {doc['agency']!r} position {doc['position']}, "
            f"received as {agency!r} position {position}"
        )
    return doc


def verify_prefix(entries: Sequence[bytes], checkpoint: Checkpoint) -> None:
    """Entries 0..n-1 (n >= the checkpoint's size) rebuild the signed root of its first entries."""
    if len(entries) < checkpoint.size:
        raise FeedError(f"{len(entries)} entries received, the checkpoint covers {checkpoint.size}")
    root = root_of([leaf_hash(e) for e in entries[: checkpoint.size]])
    if root != checkpoint.root:
        raise FeedError(
            f"the first {checkpoint.size} entries do not rebuild the signed root "
            f"(calculated {root.hex()}, signed {checkpoint.root.hex()}): an entry was altered, dropped, "
            f"added or reordered"
        )


def verify_entry(got: Received, checkpoint: Checkpoint) -> None:
    """One entry's inclusion in the signed feed tree."""
    try:
        verify_inclusion(leaf_hash(got.entry), got.position, checkpoint.size, list(got.proof), checkpoint.root)
    except ProofError as e:
        raise FeedError(f"entry {got.position}: not in the signed feed tree: {e}") from None


def verify_source(got: Received, doc: dict, ledger_key: str, ledger_origin: str | None = None) -> Checkpoint:
    """The entry's source leaf (its hash only) in the ledger at a signed ledger checkpoint."""
    try:
        cp = open_checkpoint(got.ledger_checkpoint, NoteVerifier(ledger_key), ledger_origin)
        verify_inclusion(got.ledger_leaf_hash, doc["leaf_index"], cp.size, list(got.ledger_proof), cp.root)
    except (NoteError, ProofError) as e:
        raise FeedError(
            f"entry {got.position}: source leaf {doc['leaf_index']} not in the signed ledger: {e}"
        ) from None
    return cp


def verify_feed(
    received: Sequence[Received],
    note: bytes,
    feed_key: str,
    *,
    origin: str | None = None,
    ledger_key: str | None = None,
    ledger_origin: str | None = None,
) -> list[str]:
    """One line per verified entry; FeedError at the first thing that does not verify. Entries
    without a proof must be the whole prefix 0..n-1 (checked together against the signed root)."""
    cp = open_feed_checkpoint(note, feed_key, origin)
    agency = agency_of(cp)
    lines = [f"feed checkpoint {cp.origin}: {cp.size} entries, root {cp.root.hex()} — signature OK"]
    unproved = [g for g in received if not g.proof]
    if unproved:
        positions = sorted(g.position for g in unproved)
        if positions != list(range(len(positions))):
            raise FeedError("entries without a proof must be the positions 0..n-1, each once")
        verify_prefix([g.entry for g in sorted(unproved, key=lambda g: g.position)], cp)
    for got in sorted(received, key=lambda g: g.position):
        doc = check_entry(got.entry, got.position, agency)
        if got.proof or got.position >= cp.size:
            if got.position >= cp.size:
                lines.append(f"entry {got.position:>8}  not covered by the checkpoint (size {cp.size}): unverified")
                continue
            verify_entry(got, cp)
        source = ""
        if got.ledger_proof or got.ledger_checkpoint:
            if not ledger_key:
                raise FeedError(f"entry {got.position}: a ledger proof needs the ledger's key (--ledger-key)")
            ledger_cp = verify_source(got, doc, ledger_key, ledger_origin)
            source = f", source leaf {doc['leaf_index']} in ledger of {ledger_cp.size} OK"
        lines.append(f"entry {got.position:>8}  {doc['event_type']:<36} {doc['occurred_at']}  OK{source}")
    return lines + [f"{len(received)} entries of {agency}'s feed checked against its signed checkpoint"]


async def verify_stored(conn, schema: str, agency: str, feed_key: str, origin: str | None = None) -> list[str]:
    """Problems of `agency`'s feed as stored (none when intact): every signed checkpoint must open
    under the key and be the root of the stored entries it covers; every entry must hash to its
    stored leaf and be a canonical entry of the agency at its position."""
    problems = []
    entries = [
        (r["position"], bytes(r["entry"]), bytes(r["hash"]) if r["hash"] is not None else None)
        for r in await conn.fetch(
            f"SELECT e.position, e.entry, n.hash FROM {schema}.feed_entries e LEFT JOIN {schema}.feed_nodes n "
            f"ON n.agency = e.agency AND n.level = 0 AND n.idx = e.position WHERE e.agency = $1 ORDER BY e.position",
            agency,
        )
    ]
    for k, (position, raw, stored) in enumerate(entries):
        if position != k:
            problems.append(f"position {k}: missing (next stored is {position})")
            break
        if stored != leaf_hash(raw):
            problems.append(f"entry {position}: its bytes do not hash to the stored leaf (altered)")
        try:
            check_entry(raw, position, agency)
        except FeedError as e:
            problems.append(str(e))
    for row in await conn.fetch(
        f"SELECT tree_size, note FROM {schema}.feed_checkpoints WHERE agency = $1 ORDER BY tree_size", agency
    ):
        try:
            cp = open_feed_checkpoint(bytes(row["note"]), feed_key, origin)
            verify_prefix([raw for _, raw, _ in entries], cp)
        except FeedError as e:
            problems.append(f"checkpoint {row['tree_size']}: {e}")
    return problems


async def _stored_main(args) -> int:
    from kernel.eventstore import store

    conn = await store.connect(args.database_url)
    try:
        problems = await verify_stored(conn, args.schema, args.agency, _key(args.key), args.origin)
    finally:
        await conn.close()
    print("\n".join(problems) if problems else f"INTACT: {args.agency}'s stored feed is the one signed")
    return 1 if problems else 0


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def load(data: bytes) -> tuple[bytes, list[Received]]:
    """The checkpoint note and the entries of a `jjjc-feed-proofs/v1` document."""
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise FeedError(f"not a {FORMAT} document")
        note = doc["checkpoint"].encode()
        received = []
        for e in doc["entries"]:
            ledger = e.get("ledger") or {}
            received.append(
                Received(
                    int(e["position"]),
                    _b64(e["entry"]),
                    [_b64(h) for h in e.get("proof", [])],
                    _b64(ledger.get("leaf_hash", "")),
                    [_b64(h) for h in ledger.get("hashes", [])],
                    ledger.get("checkpoint", "").encode(),
                )
            )
    except FeedError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise FeedError(f"malformed document: {e!r}") from None
    return note, received


def dump(note: bytes, received: Sequence[Received]) -> bytes:
    """A `jjjc-feed-proofs/v1` document (what a partner keeps of what it received)."""

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode("ascii")

    entries = []
    for g in received:
        e: dict = {"position": g.position, "entry": b64(g.entry)}
        if g.proof:
            e["proof"] = [b64(h) for h in g.proof]
        if g.ledger_checkpoint:
            e["ledger"] = {
                "leaf_hash": b64(g.ledger_leaf_hash),
                "hashes": [b64(h) for h in g.ledger_proof],
                "checkpoint": g.ledger_checkpoint.decode(),
            }
        entries.append(e)
    return json.dumps({"format": FORMAT, "checkpoint": note.decode(), "entries": entries}, indent=1).encode()


def _key(text: str | None) -> str | None:
    if text is None:
        return None
    return Path(text).read_text().strip() if Path(text).is_file() else text


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m services.audit.verify_feed",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("received", type=Path, nargs="?", help=f"the {FORMAT} document")
    p.add_argument("--key", required=True, help="the feed's verifier key string, or a file that holds it")
    p.add_argument("--ledger-key", help="the ledger's verifier key string (or file), for the source leaves' proofs")
    p.add_argument("--origin", help="require this feed origin line")
    p.add_argument("--ledger-origin", help="require this ledger origin line")
    p.add_argument("--database-url", help="check the feed as audit stores it, not a received document")
    p.add_argument("--schema", default="audit", help="the audit service's schema (with --database-url)")
    p.add_argument("--agency", help="the feed to check (with --database-url)")
    args = p.parse_args(argv)
    if args.database_url:
        if not args.agency:
            p.error("--database-url needs --agency")
        return asyncio.run(_stored_main(args))
    if args.received is None:
        p.error("give the received document, or --database-url and --agency")
    try:
        note, received = load(args.received.read_bytes())
        lines = verify_feed(
            received,
            note,
            _key(args.key),
            origin=args.origin,
            ledger_key=_key(args.ledger_key),
            ledger_origin=args.ledger_origin,
        )
    except FeedError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"cannot read: {e}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
