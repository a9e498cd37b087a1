"""Tamper detection: re-read the stored ledger against its signed checkpoints.

    python -m services.audit.verify --database-url postgresql://… [--schema audit]
                                    [--verifier-key '<name>+<hash>+<key>'] [--origin …]

1. Every stored checkpoint must open under the verifier key (its signature, origin and body).
2. The stored leaf hashes (level 0 of the tree) must rebuild every signed root: then they are the
   authentic leaves, and step 3 locates each departure exactly. If they do not (the node store
   was altered too), the first checkpoint they fail is reported and the leaf data is checked
   against the signed roots directly, which tells which checkpoints are broken, not where.
3. The stored envelope bytes, in leaf order, are hashed and compared with the authentic leaves:
   ALTERED, DELETED, INSERTED, SWAPPED, TRUNCATED with the leaf position and the row.

Rows recorded after the last checkpoint are covered by nothing: their truncation is undetectable
by design (checkpoint often). Exit status 0 when intact, 1 when tampering was found, 2 on usage
errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kernel.eventstore import store
from kernel.eventstore.store import is_store_down
from services.audit.domain.checkpoint import Checkpoint, NoteError, NoteVerifier, open_checkpoint
from services.audit.domain.merkle import CompactRange, leaf_hash
from services.audit.domain.tamper import Finding, StoredLeaf, locate

CHUNK = 10_000


@dataclass
class Report:
    checkpoints: int = 0
    covered: int = 0  # leaves the last checkpoint covers
    uncovered: int = 0  # rows recorded after it
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        head = (
            f"{self.checkpoints} checkpoints, {self.covered} leaves covered, "
            f"{self.uncovered} recorded after the last checkpoint (not covered: their truncation "
            f"cannot be detected)"
        )
        if self.intact:
            return [head, "INTACT: every covered leaf is the one signed"]
        return [head, f"TAMPERED: {len(self.findings)} finding(s)"] + [
            f"  {f.kind:<9} leaf {f.position}: {f.detail}" for f in self.findings
        ]


async def _checkpoints(conn, schema: str, verifier: NoteVerifier, origin: str | None, report: Report):
    signed: list[Checkpoint] = []
    for row in await conn.fetch(f"SELECT tree_size, note FROM {schema}.checkpoints ORDER BY tree_size"):
        try:
            cp = open_checkpoint(bytes(row["note"]), verifier, origin)
        except NoteError as e:
            report.findings.append(Finding("BAD_CHECKPOINT", row["tree_size"], str(e)))
            continue
        if cp.size != row["tree_size"]:
            report.findings.append(Finding("BAD_CHECKPOINT", row["tree_size"], f"the note signs size {cp.size}"))
        signed.append(cp)
    return signed


def _roots_at(hashes, sizes: set[int]) -> dict[int, bytes]:
    """Roots at the given sizes of the tree of `hashes` (incrementally, O(n log n) in all)."""
    out, rng = {}, CompactRange(0, ())
    if 0 in sizes:
        out[0] = rng.root()
    for h in hashes:
        rng, _ = rng.append([h])
        if rng.size in sizes:
            out[rng.size] = rng.root()
    return out


async def _rows(conn, query: str, *args):
    async with conn.transaction():
        async for row in conn.cursor(query, *args, prefetch=CHUNK):
            yield row


async def verify_ledger(conn, schema: str, verifier: NoteVerifier, origin: str | None = None, progress=None) -> Report:
    report = Report()
    signed = await _checkpoints(conn, schema, verifier, origin, report)
    report.checkpoints = len(signed)
    report.covered = max((cp.size for cp in signed), default=0)
    sizes = {cp.size for cp in signed}
    authentic = [
        bytes(r["hash"])
        async for r in _rows(
            conn, f"SELECT hash FROM {schema}.merkle_nodes WHERE level = 0 AND idx < $1 ORDER BY idx", report.covered
        )
    ]
    stored = []
    async for r in _rows(
        conn,
        f"SELECT leaf_index, envelope, event_id::text AS id, stream_id, version "
        f"FROM {schema}.recorded_events WHERE leaf_index IS NOT NULL ORDER BY leaf_index",
    ):
        stored.append(
            StoredLeaf(
                r["leaf_index"], leaf_hash(bytes(r["envelope"])), f"event {r['id']} ({r['stream_id']} v{r['version']})"
            )
        )
        if progress and len(stored) % CHUNK == 0:
            progress(len(stored))
    report.uncovered = sum(1 for s in stored if s.leaf_index >= report.covered)
    roots = _roots_at(authentic, sizes)
    broken = [cp for cp in signed if roots.get(cp.size) != cp.root]
    if not broken:
        report.findings += locate(stored, authentic)
        return report
    report.findings.append(
        Finding(
            "NODES_ALTERED",
            broken[0].size,
            "the stored leaf hashes do not rebuild the "
            "signed root at this size; checking the data against the signed roots",
        )
    )
    data_roots = _roots_at([s.hash for s in stored], sizes)
    report.findings += [
        Finding("ROOT_MISMATCH", cp.size, "the stored leaves do not rebuild this signed root")
        for cp in signed
        if data_roots.get(cp.size) != cp.root
    ]
    return report


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m services.audit.verify",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("AUDIT_DATABASE_URL") or os.environ.get("DATABASE_URL"),
        help="the audit service's PostgreSQL (default: AUDIT_DATABASE_URL or DATABASE_URL)",
    )
    p.add_argument("--schema", default=os.environ.get("AUDIT_DATABASE_SCHEMA") or "audit")
    p.add_argument(
        "--verifier-key",
        help="the C2SP verifier key (GetLedgerPublicKey); default: derived from "
        "the signing key file AUDIT_LEDGER_KEY_FILE or DATA_DIR/keys/ledger-signing.key",
    )
    p.add_argument(
        "--origin",
        default=os.environ.get("AUDIT_LEDGER_ORIGIN"),
        help="require this origin line (default: AUDIT_LEDGER_ORIGIN, else any)",
    )
    return p


class UsageError(Exception):
    """What the operator must change (a missing key); exit status 2."""


def _default_verifier(origin: str | None) -> NoteVerifier:
    from kernel.edge.tokens import load_private_key
    from services.audit.domain.checkpoint import NoteSigner
    from services.audit.main import DEFAULT_ORIGIN, KEY_FILE

    key_file = Path(os.environ.get("AUDIT_LEDGER_KEY_FILE") or Path(os.environ.get("DATA_DIR", ".data")) / KEY_FILE)
    if not key_file.exists():
        raise UsageError(
            f"no --verifier-key and no signing key at {key_file} (AUDIT_LEDGER_KEY_FILE, or the DATA_DIR "
            f"the platform runs with)"
        )
    return NoteVerifier(NoteSigner(origin or DEFAULT_ORIGIN, load_private_key(key_file)).verifier_key)


async def _main(args) -> int:
    if not args.database_url:
        print("verify: give --database-url (or set DATABASE_URL)", file=sys.stderr)
        return 2
    try:  # what the operator must change is a usage error (2), never "tampered" (1)
        checker = verifier(args)
    except UsageError as e:
        print(f"verify: {e}", file=sys.stderr)
        return 2
    return await run(args.database_url, args.schema, checker, args.origin, progress)


def verifier(args) -> NoteVerifier:
    """--verifier-key, else the one derived from the ledger's signing key; UsageError otherwise."""
    try:
        return NoteVerifier(args.verifier_key) if args.verifier_key else _default_verifier(args.origin)
    except NoteError as e:
        raise UsageError(str(e)) from e


async def run(database_url: str, schema: str, verifier: NoteVerifier, origin: str | None, progress=None) -> int:
    """Verify and print the report: 0 intact, 1 tampered, 2 when the database cannot be read."""
    try:
        conn = await store.connect(database_url)
        try:
            report = await verify_ledger(conn, schema, verifier, origin, progress=progress)
        finally:
            await conn.close()
    except Exception as e:
        if not is_store_down(e):
            raise
        print(f"verify: the database cannot be read ({type(e).__name__}: {e}); nothing was concluded", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 0 if report.intact else 1


def progress(n: int) -> None:
    print(f"  read {n} leaves…", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(_parser().parse_args())))
