"""The long operations on a service's data: `rebuild` (its projections, with a rich progress bar
and an ETA fed by the kernel's tick callback), `verify` and `reconcile` (the audit ledger's own
tools, services/audit/verify.py and reconcile.py, run with the database jjjc resolves)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from kernel.runtime.platform import PlatformError, load_platform, platform_file
from tools.jjjc import env


def progress_bar(quiet: bool = False) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
    )


def usage(what: str, message: str) -> int:
    print(f"{what}: {message}", file=sys.stderr)
    return 2


async def rebuild(service: str, names: list[str], check: bool, url: str | None, schema: str | None, quiet: bool) -> int:
    """As `python -m kernel.eventstore.rebuild` (its hooks, summary and exit status: 0 equal or
    replaced, 1 a difference under --check or a refused replacement, 2 usage), with rich."""
    from kernel.eventstore import migrations, store
    from kernel.eventstore.projections import rebuild as rebuild_one
    from kernel.eventstore.rebuild import _hook, summary

    try:
        hook = _hook(load_platform(platform_file()).service(service).module)
    except PlatformError as e:
        return usage("rebuild", str(e))
    if hook is None:
        return usage("rebuild", f"{service} keeps no projections to rebuild")
    found = hook.projections(os.environ)
    if unknown := set(names) - {p.name for p in found}:
        return usage(
            "rebuild",
            f"{service} has no projection {', '.join(sorted(unknown))} (it has {', '.join(p.name for p in found)})",
        )
    chosen = [p for p in found if not names or p.name in names]
    schema = schema or os.environ.get(f"{service.upper()}_DATABASE_SCHEMA") or service
    url = url or env.database_url(service)
    try:
        conn = await store.connect(url)
    except Exception as e:
        if not store.is_store_down(e) and not isinstance(e, OSError):
            raise
        return usage("rebuild", f"cannot reach {service}'s database ({type(e).__name__}: {e}); give --database-url")
    try:
        for needed in {p.source.requires for p in chosen}:
            if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.{needed}"):
                return usage(
                    "rebuild",
                    f"no {schema}.{needed}: no {service} store in schema {schema!r} (start the {service} "
                    f"service once, or give --schema)",
                )
        await migrations.apply(conn, schema, hook.MIGRATIONS)
        failed = False
        with progress_bar(quiet) as bar:
            for p in chosen:
                task = bar.add_task(p.name, total=await p.source.count(conn, schema))
                started = time.perf_counter()
                done = await rebuild_one(conn, schema, p, replace=not check, tick=lambda n, t=task: bar.advance(t, n))
                bar.update(task, completed=bar.tasks[task].total)
                bar.console.print(summary(p, done, time.perf_counter() - started, check), soft_wrap=True)
                failed |= bool(done.mismatched) or (check and not done.equal)
        return 1 if failed else 0
    finally:
        await conn.close()


def verify(url: str | None, schema: str | None, verifier_key: str | None, origin: str | None, quiet: bool) -> int:
    """services.audit.verify (its key resolution, report and exit status: 0 intact, 1 tampered,
    2 usage or a database that cannot be read), with a progress bar over the ledger's leaves."""
    from services.audit import verify as audit_verify

    args = audit_verify._parser().parse_args(
        ["--database-url", url or env.database_url("audit")]
        + (["--schema", schema] if schema else [])
        + (["--verifier-key", verifier_key] if verifier_key else [])
        + (["--origin", origin] if origin else [])
    )
    try:
        verifier = audit_verify.verifier(args)
    except audit_verify.UsageError as e:
        return usage("verify", str(e))
    return asyncio.run(_verify(audit_verify, args, verifier, quiet))


async def _verify(audit_verify, args, verifier, quiet: bool) -> int:
    total = None
    with contextlib.suppress(Exception):  # the count only sizes the bar; verify says why it cannot read
        conn = await asyncpg.connect(args.database_url, timeout=10)
        try:
            total = await conn.fetchval(
                f"SELECT count(*) FROM {args.schema}.recorded_events WHERE leaf_index IS NOT NULL"
            )
        finally:
            await conn.close()
    with progress_bar(quiet) as bar:
        task = bar.add_task("verify", total=total)
        code = await audit_verify.run(
            args.database_url, args.schema, verifier, args.origin, progress=lambda n: bar.update(task, completed=n)
        )
        bar.update(task, completed=total or 0)
    return code


def reconcile(url: str | None, schema: str | None, producers: list[str], limit: int) -> int:
    """services.audit.reconcile (its own progress bar with an ETA on a terminal): 0 exact, 1 a
    difference, 2 usage. Producers default to each producer's database as jjjc resolves it."""
    from services.audit import reconcile as audit_reconcile

    argv = ["--ledger-url", url or env.database_url("audit"), "--limit", str(limit)]
    argv += ["--ledger-schema", schema] if schema else []
    wanted = producers or [f"{name}={env.database_url(name)}" for name in load_platform(platform_file()).producers]
    for p in wanted:
        argv += ["--producer", p]
    return asyncio.run(audit_reconcile._main(audit_reconcile._parser().parse_args(argv)))
