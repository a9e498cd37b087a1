"""Rebuild a service's projections from their source events, and compare them with the live ones.

    python -m kernel.eventstore.rebuild --service SERVICE [--check] [--projection NAME]
                             [--database-url postgresql://…] [--schema NAME] [--quiet]

Each projection is rebuilt into a shadow table from its source alone, then compared row for row
with the live table. Without `--check` the rebuilt table replaces the live one; with it, nothing
changes. A service's projections are named by the module `rebuild` beside its composition root
(the platform file's `module`): `projections(env)` and the `MIGRATIONS` of their live tables.

The service may keep running: only what was written during the rebuild, the comparison and the
swap hold its writers off. The database URL defaults to <SERVICE>_DATABASE_URL or DATABASE_URL,
the schema to <SERVICE>_DATABASE_SCHEMA or the service's name, as the service itself reads them.

Exit status 0 when every projection was equal (or was replaced), 1 when `--check` found a
difference or a replacement was refused, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import textwrap
import time

from tqdm import tqdm

from kernel.eventstore import migrations, store
from kernel.eventstore.projections import Progress, Projection, rebuild
from kernel.runtime.platform import PlatformError, load_platform, platform_file


def _parser(hooks: dict) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kernel.eventstore.rebuild",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] + "\n\n" + _services(hooks),
    )
    p.add_argument("--service", required=True, choices=list(hooks), help="whose projections (see below)")
    p.add_argument(
        "--projection",
        action="append",
        metavar="NAME",
        help="only this projection (repeatable; default: all of the service's)",
    )
    p.add_argument("--database-url", help="the service's PostgreSQL (default: <SERVICE>_DATABASE_URL or DATABASE_URL)")
    p.add_argument("--schema", help="the service's schema (default: <SERVICE>_DATABASE_SCHEMA or the service's name)")
    p.add_argument("--check", action="store_true", help="compare only; leave the live tables as they are")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _services(hooks: dict) -> str:
    """What each service rebuilds: the first paragraph of its hook's docstring."""
    lines = ["services:"]
    for name, hook in hooks.items():
        about = " ".join((hook.__doc__ or "").split("\n\n")[0].split()) if hook else "keeps no projections"
        lines += textwrap.wrap(about, 96, initial_indent=f"  {name:<10}", subsequent_indent=" " * 12)
    return "\n".join(lines)


def plural(unit: str, n: int) -> str:
    return unit if n == 1 else {"leaf": "leaves"}.get(unit, unit + "s")


def summary(p: Projection, done: Progress, seconds: float, check: bool) -> str:
    unit, rate = p.source.unit, done.read / seconds if seconds else 0
    head = (
        f"{p.name}: {done.read:,} {plural(unit, done.read)} read, {done.rows:,} rows rebuilt in {seconds:.1f} s "
        f"({rate:,.0f} {plural(unit, 2)}/s); "
    )
    live = (
        "live table equal, byte for byte"
        if done.equal
        else f"live table differed: {done.missing:,} rows missing from it, {done.extra:,} rows it should not hold"
    )
    if done.mismatched:
        return (
            head + live + f"; NOT replaced: {len(done.mismatched)} {plural(unit, 2)} fail their check "
            f"(first {done.mismatched[:5]}), {p.source.on_mismatch}"
        )
    return head + live + ("" if check or done.equal else "; replaced by the rebuild")


async def run(conn, schema: str, chosen, check: bool, quiet: bool = False) -> int:
    failed = False
    for p in chosen:
        total = await p.source.count(conn, schema)
        with tqdm(total=total, unit=p.source.unit, unit_scale=True, desc=p.name, file=sys.stderr, disable=quiet) as bar:
            started = time.perf_counter()
            done = await rebuild(conn, schema, p, replace=not check, tick=bar.update)
        print(summary(p, done, time.perf_counter() - started, check), flush=True)
        failed |= bool(done.mismatched) or (check and not done.equal)
    return 1 if failed else 0


def _usage(message: str) -> int:
    print(f"rebuild: {message}", file=sys.stderr)
    return 2


async def _main(args, hook) -> int:
    up, env = args.service.upper(), os.environ
    url = args.database_url or env.get(f"{up}_DATABASE_URL") or env.get("DATABASE_URL")
    schema = args.schema or env.get(f"{up}_DATABASE_SCHEMA") or args.service
    if not url:
        return _usage(f"give --database-url (or set {up}_DATABASE_URL or DATABASE_URL)")
    found = hook.projections(env)
    chosen = [p for p in found if not args.projection or p.name in args.projection]
    if unknown := set(args.projection or ()) - {p.name for p in found}:
        return _usage(
            f"{args.service} has no projection {', '.join(sorted(unknown))} (it has {', '.join(p.name for p in found)})"
        )
    conn = await store.connect(url)
    try:
        for needed in {p.source.requires for p in chosen}:
            if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.{needed}"):
                return _usage(
                    f"no {schema}.{needed}: no {args.service} store in schema {schema!r} (start the "
                    f"{args.service} service once, or give --schema)"
                )
        await migrations.apply(conn, schema, hook.MIGRATIONS)  # the live tables, on a store older than them
        return await run(conn, schema, chosen, args.check, args.quiet)
    finally:
        await conn.close()


def _hook(module: str):
    """`<package>.rebuild` beside a service's composition root `<package>.main`, or None."""
    name = f"{module.rpartition('.')[0]}.rebuild"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
        return None


def main(argv: list[str] | None = None) -> int:
    try:
        platform = load_platform(platform_file())
    except PlatformError as e:
        return _usage(str(e))
    hooks = {s.name: _hook(s.module) for s in platform.services}
    args = _parser(hooks).parse_args(argv)
    hook = hooks[args.service]
    if hook is None:
        return _usage(f"{args.service} keeps no projections to rebuild")
    return asyncio.run(_main(args, hook))


if __name__ == "__main__":
    sys.exit(main())
