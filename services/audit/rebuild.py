"""Rebuild the audit service's projections from its ledger, and compare them with the live ones.

    python -m services.audit.rebuild --database-url postgresql://… [--schema audit] [--check]

Every projection (today: `story_links`, the replay index) is rebuilt from the leaves alone, in
leaf order, into a shadow table, then compared row for row with the live table. Without
`--check` the rebuilt table replaces the live one; with it, nothing changes. The audit service may
keep ingesting meanwhile: only the leaves recorded during the rebuild, the comparison and the swap
hold ingest off. Leaves whose bytes no longer match the ledger's stored hashes are tampering:
the rebuild refuses to replace from them and names them (locate it with
`python -m services.audit.verify`).

Exit status 0 when every projection was equal (or was replaced), 1 when `--check` found a
difference or a replacement was refused, 2 on usage errors.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

from tqdm import tqdm

from kernel import store
from services.audit.app import ledger, projections


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m services.audit.rebuild", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--database-url", default=os.environ.get("AUDIT_DATABASE_URL") or os.environ.get("DATABASE_URL"),
                   help="the audit service's PostgreSQL (default: AUDIT_DATABASE_URL or DATABASE_URL)")
    p.add_argument("--schema", default=os.environ.get("AUDIT_DATABASE_SCHEMA") or "audit",
                   help="the audit service's schema (default: AUDIT_DATABASE_SCHEMA or audit)")
    p.add_argument("--check", action="store_true", help="compare only; leave the live tables as they are")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def summary(p: projections.Projection, done: projections.Progress, seconds: float, check: bool) -> str:
    rate = done.leaves / seconds if seconds else 0
    head = f"{p.name}: {done.leaves:,} leaves read, {done.rows:,} rows rebuilt in {seconds:.1f} s ({rate:,.0f} leaves/s); "
    live = ("live table equal, byte for byte" if done.equal else
            f"live table differed: {done.missing:,} rows missing from it, {done.extra:,} rows it should not hold")
    if done.mismatched:
        return (head + live + f"; NOT replaced: {len(done.mismatched)} leaves fail their stored hash "
                f"(first {done.mismatched[:5]}), run python -m services.audit.verify")
    return head + live + ("" if check or done.equal else "; replaced by the rebuild")


async def run(conn, schema: str, check: bool, quiet: bool = False) -> int:
    failed = False
    for p in projections.PROJECTIONS:
        total = await ledger.size(conn, schema)
        with tqdm(total=total, unit="leaf", unit_scale=True, desc=p.name, file=sys.stderr, disable=quiet) as bar:
            started = time.perf_counter()
            done = await projections.rebuild(conn, schema, p, replace=not check, tick=bar.update)
        print(summary(p, done, time.perf_counter() - started, check))
        failed |= bool(done.mismatched) or (check and not done.equal)
    return 1 if failed else 0


async def _main(args) -> int:
    if not args.database_url:
        print("rebuild: give --database-url (or set DATABASE_URL)", file=sys.stderr)
        return 2
    conn = await store.connect(args.database_url)
    try:
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{args.schema}.ledger_head"):
            print(f"rebuild: no audit ledger in schema {args.schema!r} (start the audit service once, or give "
                  f"--schema)", file=sys.stderr)
            return 2
        await projections.migrate(conn, args.schema)
        return await run(conn, args.schema, args.check, args.quiet)
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(_parser().parse_args())))
