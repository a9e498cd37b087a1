"""Reconciliation: is every producer event in the audit ledger, once, byte for byte?

    python -m services.audit.reconcile [--ledger-url postgresql://…] [--ledger-schema audit]
                                       [--producer NAME[:SCHEMA][=URL] …] [--limit 100]

Reads each producer's event store (`<schema>.events`) and the ledger (`<schema>.recorded_events`)
side by side, both ordered by (stream, version), in chunks (a sorted-merge join: memory stays
bounded at a million events), and names every departure, grouped per stream:

  MISSING  in a producer store, not in the ledger
  EXTRA    in the ledger, in no producer store (matched to a producer by the topic it came from)
  DIFFERS  the same event with other envelope bytes, or another event at the same version

A missing event may still be somewhere in audit: held behind a gap (`inbox_held`), kept aside
by a consumer that could not apply it (`consumer_quarantine`), or in `quarantine` as a
contradicting delivery; or its relay has not published it yet. The line says where.

Producers: `--producer clues` (URL from CLUES_DATABASE_URL or DATABASE_URL, schema from
CLUES_DATABASE_SCHEMA or the name), `--producer clues:t_clues` (another schema),
`--producer clues=postgresql://…` or `--producer clues:t_clues=postgresql://…` (the URL last,
whole, since URLs hold colons). Without any: clues, cases and sanctions from the environment.
A producer whose schema has no events table is reported as "no store" and skipped; ledger rows
from its topic are counted as not compared.

On a running platform the newest events may be in flight (stored, not yet recorded): rerun to
tell a lag from a loss. Exit status 0 when exact, 1 on a difference, 2 on a usage error or a
database that cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import asyncpg
from tqdm import tqdm

from kernel.eventstore import store
from kernel.eventstore.store import is_store_down
from kernel.runtime.platform import load_platform, platform_file
from services.audit.domain.reconciliation import MISSING, Entry, Finding, Reconciliation, producer_of_topic

CHUNK = 10_000
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ORDER = 'ORDER BY stream_id COLLATE "C", version'  # byte order = Python's str order: one merge key
LEDGER_SQL = (
    "SELECT stream_id, version, event_id::text, sha256(envelope) AS digest, topic FROM {s}.recorded_events " + ORDER
)
STORE_SQL = (
    "SELECT stream_id, version, event_id::text, sha256(envelope) AS digest, "
    "(order_key, position) <= ($1::xid8, $2::bigint) AS published FROM {s}.events " + ORDER
)


class UsageError(Exception):
    """What the operator must change; printed without a traceback, exit status 2."""


@dataclass(frozen=True)
class Producer:
    name: str
    url: str
    schema: str


@dataclass(frozen=True)
class StoreRow(Entry):
    published: bool | None = None  # by its relay's cursor; None: no cursor to tell


def where(url: str) -> str:
    """host:port/database of a URL, without user or password."""
    u = urlsplit(url)
    return f"{u.hostname or 'localhost'}{f':{u.port}' if u.port else ''}{u.path or '/'}"


def _check_url(url: str, option: str) -> str:
    u = urlsplit(url)
    if u.scheme not in ("postgresql", "postgres"):
        raise UsageError(f"{option}: {url.split('://')[0]!r} is not a PostgreSQL URL; give postgresql://host:port/db")
    try:
        _ = u.port  # urlsplit checks the port only when asked
    except ValueError as e:
        raise UsageError(f"{option}: a bad port ({e}); give postgresql://host:port/db") from e
    if ":" in u.path:
        raise UsageError(
            f"{option}: a colon in the database name {u.path!r}; a schema goes before the URL: "
            f"--producer NAME:SCHEMA=postgresql://…"
        )
    return url


def parse_producer(text: str, env: dict) -> Producer:
    """`NAME[:SCHEMA][=URL]`; what is not given comes from <NAME>_DATABASE_URL / DATABASE_URL and
    <NAME>_DATABASE_SCHEMA / the name."""
    head, eq, url = text.partition("=")
    name, colon, schema = head.partition(":")
    if not NAME.match(name) or (colon and not NAME.match(schema)) or (eq and not url):
        raise UsageError(
            f"--producer {text!r}: expected NAME[:SCHEMA][=URL], e.g. clues, clues:t_clues or "
            f"clues=postgresql://host:5432/db (name and schema: lower-case letters, digits, _)"
        )
    up = name.upper()
    url = url or env.get(f"{up}_DATABASE_URL") or env.get("DATABASE_URL")
    if not url:
        raise UsageError(
            f"no database URL for producer {name}: give --producer {name}=postgresql://… or set "
            f"{up}_DATABASE_URL or DATABASE_URL"
        )
    schema = schema or env.get(f"{up}_DATABASE_SCHEMA") or name
    if not NAME.match(schema):
        raise UsageError(f"{up}_DATABASE_SCHEMA {schema!r} is not a schema name")
    return Producer(name, _check_url(url, f"--producer {name}"), schema)


def producers(texts: list[str] | None, env: dict) -> list[Producer]:
    out = [parse_producer(t, env) for t in (texts or load_platform(platform_file(env)).producers)]
    twice = [n for n, k in Counter(p.name for p in out).items() if k > 1]
    if twice:
        raise UsageError(f"--producer {twice[0]} given twice; give each producer once")
    return out


async def connect(url: str, what: str, option: str) -> asyncpg.Connection:
    try:
        return await store.connect(url, timeout=15)
    except Exception as e:  # any failure to connect is the operator's to fix: say what and where
        raise UsageError(
            f"cannot reach the {what} at {where(url)} ({type(e).__name__}: {e}); check {option} "
            f"and that PostgreSQL is up"
        ) from e


async def _exists(conn, table: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)


class Side:
    """One ordered read in a read-only snapshot, taken a chunk at a time."""

    def __init__(self, conn, query: str, args: tuple, row):
        self.conn, self.query, self.args, self.row = conn, query, args, row
        self.buf: list[Entry] = []
        self.exhausted = False

    async def open(self) -> None:
        self.cursor = await self.conn.cursor(self.query, *self.args)

    async def refill(self) -> None:
        if not self.buf and not self.exhausted:
            rows = await self.cursor.fetch(CHUNK)
            self.buf, self.exhausted = [self.row(r) for r in rows], len(rows) < CHUNK

    def take(self, bound) -> list[Entry]:
        cut = len(self.buf) if bound is None else bisect.bisect_right(self.buf, bound, key=lambda e: e.key)
        out, self.buf = self.buf[:cut], self.buf[cut:]
        return out


async def windows(stores: dict[str, Side], ledger: Side):
    """Consecutive windows (stores' rows, ledger rows) cut at the same key: every side whose read
    goes on bounds the window by the last key it has read."""
    sides = [*stores.values(), ledger]
    while True:
        for s in sides:
            await s.refill()
        if all(s.exhausted and not s.buf for s in sides):
            return
        bound = min((s.buf[-1].key for s in sides if not s.exhausted), default=None)
        yield {name: s.take(bound) for name, s in stores.items()}, ledger.take(bound)


@dataclass
class Report:
    rec: Reconciliation
    limit: int
    skipped: dict[str, str] = field(default_factory=dict)  # producer -> why it was not read
    stores: dict[str, str] = field(default_factory=dict)  # producer -> where its store is
    shown: list[str] = field(default_factory=list)
    listed: int = 0
    hidden: int = 0
    whereabouts: Counter = field(default_factory=Counter)  # (producer, place) -> missing events there
    context: list[str] = field(default_factory=list)
    _stream: str | None = None

    def add(self, f: Finding, place: tuple[str, str] | None) -> None:
        if place and f.kind == MISSING:
            self.whereabouts[f.producer, place[0]] += 1
        if self.limit and self.listed >= self.limit:
            self.hidden += 1
            return
        if f.stream_id != self._stream:
            self.shown.append(f"{f.stream_id} ({f.producer})")
            self._stream = f.stream_id
        self.listed += 1
        self.shown.append(
            f"  v{f.version:<6} {f.kind:<8} event {f.event_id}: {f.detail}" + (f"; {place[1]}" if place else "")
        )

    @property
    def exact(self) -> bool:
        return self.rec.differences == 0

    def lines(self) -> list[str]:
        out = list(self.shown) + ([f"… and {self.hidden:,} more (--limit 0 lists all)"] if self.hidden else [])
        for name, t in self.rec.tallies.items():
            places = ", ".join(f"{n:,} {p}" for (prod, p), n in sorted(self.whereabouts.items()) if prod == name)
            out.append(
                f"{name} ({self.stores.get(name, 'no store')}): {t.store:,} events in the store, "
                f"{t.ledger:,} in the ledger; {t.missing:,} missing{f' ({places})' if places else ''}, "
                f"{t.extra:,} extra, {t.differing:,} differing"
            )
        out += [f"{name}: no store ({why}); skipped" for name, why in self.skipped.items()]
        if self.rec.not_compared:
            out.append(
                "ledger events of producers not read, not compared: "
                + ", ".join(f"{n:,} from {p}" for p, n in sorted(self.rec.not_compared.items()))
            )
        out += self.context
        if self.exact:
            return out + [
                "EXACT: every event of the stores read is in the ledger once, byte for byte, "
                "and the ledger holds no other event of theirs"
            ]
        totals = {k: sum(getattr(t, k) for t in self.rec.tallies.values()) for k in ("missing", "extra", "differing")}
        return out + ["DIFFERENT: " + ", ".join(f"{n:,} {k}" for k, n in totals.items())]


async def _whereabouts(conn, schema: str, findings: list[Finding], published: dict) -> dict[tuple, tuple]:
    """Where in audit each missing or differing event is, if anywhere: (stream, version) ->
    (place, what to read). One query per table for a window's findings."""
    ids = [f.event_id for f in findings] + [f.ledger_event_id for f in findings if f.ledger_event_id]
    missing = [f for f in findings if f.kind == MISSING]
    out: dict[tuple, tuple] = {}
    if missing and await _exists(conn, f"{schema}.inbox_held"):
        for r in await conn.fetch(
            f"SELECT consumer, stream_id, version, held_at FROM {schema}.inbox_held "
            f"WHERE (stream_id, version) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))",
            [f.stream_id for f in missing],
            [f.version for f in missing],
        ):
            out[r["stream_id"], r["version"]] = (
                "held",
                f"held behind a gap by consumer {r['consumer']} (since {r['held_at']:%Y-%m-%d %H:%M:%S %Z})",
            )
    if await _exists(conn, f"{schema}.consumer_quarantine"):
        for r in await conn.fetch(
            f"SELECT consumer, stream_id, version, attempts, error FROM "
            f"{schema}.consumer_quarantine WHERE event_id = ANY($1::text[])",
            ids,
        ):
            out.setdefault(
                (r["stream_id"], r["version"]),
                (
                    "kept aside",
                    f"kept aside by consumer {r['consumer']} after {r['attempts']} attempts ({r['error'][:120]})",
                ),
            )
    if await _exists(conn, f"{schema}.quarantine"):
        for r in await conn.fetch(
            f"SELECT stream_id, version, kind FROM {schema}.quarantine WHERE event_id = ANY($1::uuid[])", ids
        ):
            out.setdefault(
                (r["stream_id"], r["version"]), ("quarantined", f"a delivery of it is in quarantine ({r['kind']})")
            )
    for f in missing:
        if f.key not in out and published.get((f.producer, f.key)) is False:
            out[f.key] = ("unpublished", "not yet published: its relay's cursor is before it")
    return out


async def _context(conn, schema: str) -> list[str]:
    parts = []
    for table, label in (
        ("quarantine", "contradicting deliveries in quarantine"),
        ("inbox_held", "deliveries held behind a gap"),
        ("consumer_quarantine", "records kept aside by a consumer"),
    ):
        if await _exists(conn, f"{schema}.{table}"):
            parts.append(f"{await conn.fetchval(f'SELECT count(*) FROM {schema}.{table}'):,} {label}")
    return [f"audit ({schema}): " + ", ".join(parts)] if parts else []


async def _snapshot(conn) -> None:
    """A read-only snapshot for the whole read (a server-side cursor needs a transaction)."""
    await conn.transaction(isolation="repeatable_read", readonly=True).start()


async def _open_store(p: Producer, conn) -> tuple[Side, int] | str:
    """The producer's ordered read and its size, or why there is no store."""
    if not await _exists(conn, f"{p.schema}.events"):
        return f"no table {p.schema}.events at {where(p.url)}"
    await _snapshot(conn)
    cursor = (None, None)  # no relay cursor for its topic: whether published is unknown
    if await _exists(conn, f"{p.schema}.relay_cursor"):
        for r in await conn.fetch(f"SELECT topic, order_key, position FROM {p.schema}.relay_cursor"):
            if producer_of_topic(r["topic"], (p.name,)):
                cursor = (int(r["order_key"]), r["position"])
    side = Side(
        conn,
        STORE_SQL.format(s=p.schema),
        cursor,
        lambda r, n=p.name: StoreRow(
            r["stream_id"], r["version"], r["event_id"], bytes(r["digest"]), n, r["published"]
        ),
    )
    await side.open()
    return side, await conn.fetchval(f"SELECT count(*) FROM {p.schema}.events")


async def run(ledger_url: str, ledger_schema: str, wanted: list[Producer], limit: int, progress: bool) -> Report:
    """Compare; raises UsageError for what the operator must change. The ledger's snapshot is
    taken before the stores': an event recorded by then was stored before, so a running platform
    shows its newest events as MISSING (in flight), never as EXTRA."""
    conns: list = []
    try:
        ledger_conn = await connect(ledger_url, "ledger", "--ledger-url")
        conns.append(ledger_conn)
        if not await _exists(ledger_conn, f"{ledger_schema}.recorded_events"):
            raise UsageError(
                f"no audit ledger in schema {ledger_schema!r} at {where(ledger_url)}; check "
                f"--ledger-schema (the audit service creates it when it starts)"
            )
        await _snapshot(ledger_conn)
        total = await ledger_conn.fetchval(f"SELECT count(*) FROM {ledger_schema}.recorded_events")
        lookup = await connect(ledger_url, "ledger", "--ledger-url")
        conns.append(lookup)
        opened, skipped, stores = {}, {}, {}
        for p in wanted:
            conns.append(await connect(p.url, f"{p.name} store", f"--producer {p.name}"))
            got = await _open_store(p, conns[-1])
            if isinstance(got, str):
                skipped[p.name] = got
            else:
                opened[p.name], stores[p.name] = got, f"{p.schema} at {where(p.url)}"
        if not opened:
            raise UsageError(
                "no producer store to compare ("
                + "; ".join(f"{n}: {why}" for n, why in skipped.items())
                + "); check --producer"
            )
        report = Report(Reconciliation(tuple(opened), load_platform(platform_file()).producers), limit, skipped, stores)
        ledger = Side(
            ledger_conn,
            LEDGER_SQL.format(s=ledger_schema),
            (),
            lambda r: Entry(r["stream_id"], r["version"], r["event_id"], bytes(r["digest"]), r["topic"]),
        )
        await ledger.open()
        with tqdm(
            total=total + sum(n for _, n in opened.values()),
            unit="event",
            unit_scale=True,
            desc="reconcile",
            file=sys.stderr,
            disable=not progress,
        ) as bar:
            async for window, rows in windows({n: s for n, (s, _) in opened.items()}, ledger):
                findings = list(report.rec.compare(window, rows))
                if findings:
                    published = {(e.origin, e.key): e.published for side in window.values() for e in side}
                    places = await _whereabouts(lookup, ledger_schema, findings, published)
                    for f in findings:
                        report.add(f, places.get(f.key))
                bar.update(len(rows) + sum(map(len, window.values())))
        report.context = await _context(lookup, ledger_schema)
        return report
    finally:
        for c in conns:
            await c.close()


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(
            2, f"{self.prog}: error: {message}\n(python -m services.audit.reconcile --help explains every option)\n"
        )


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m services.audit.reconcile",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument(
        "--ledger-url",
        default=os.environ.get("AUDIT_DATABASE_URL") or os.environ.get("DATABASE_URL"),
        help="the audit service's PostgreSQL (default: AUDIT_DATABASE_URL or DATABASE_URL)",
    )
    p.add_argument(
        "--ledger-schema",
        default=os.environ.get("AUDIT_DATABASE_SCHEMA") or "audit",
        help="the audit service's schema (default: AUDIT_DATABASE_SCHEMA or audit)",
    )
    p.add_argument(
        "--producer",
        action="append",
        metavar="NAME[:SCHEMA][=URL]",
        help="a producer store to compare, once per producer (default: clues, cases, sanctions "
        "from <NAME>_DATABASE_URL or DATABASE_URL)",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=100,
        help="differences listed at most (0: all; default 100); the summary counts them all",
    )
    return p


async def _main(args) -> int:
    try:
        if not args.ledger_url:
            raise UsageError("give --ledger-url (or set AUDIT_DATABASE_URL or DATABASE_URL)")
        if not NAME.match(args.ledger_schema):
            raise UsageError(f"--ledger-schema {args.ledger_schema!r} is not a schema name")
        if args.limit < 0:
            raise UsageError("--limit must be 0 (all) or more")
        wanted = producers(args.producer, dict(os.environ))
        report = await run(
            _check_url(args.ledger_url, "--ledger-url"),
            args.ledger_schema,
            wanted,
            args.limit,
            progress=sys.stderr.isatty(),
        )
    except UsageError as e:
        print(f"reconcile: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        if not is_store_down(e):
            raise
        print(
            f"reconcile: a database stopped answering mid-way ({type(e).__name__}: {e}); nothing was "
            f"concluded, run it again",
            file=sys.stderr,
        )
        return 2
    print("\n".join(report.lines()))
    return 0 if report.exact else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(_parser().parse_args())))
