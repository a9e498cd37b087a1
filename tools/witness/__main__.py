"""A transparency-log witness (c2sp.org/tlog-witness) that a partner agency runs to keep the audit ledger honest.

It cosigns the ledger's checkpoints (Ed25519 cosignature/v1, c2sp.org/tlog-cosignature) only after checking
that each one extends the last it cosigned, and keeps every refused rollback or fork as evidence.

  # 1. make (or show) the witness key and the line the commission adds to its witness policy
  python -m tools.witness key --name court.example/witness --key-file witness.key \\
      --url http://witness.court.example:7380
  # 2. serve, trusting the ledger's verifier key (AuditService.ListPublicKeys; `python -m
  #    tools.partner_client keys` pins it) as a log: its key name is the checkpoints' origin
  python -m tools.witness serve --name court.example/witness --key-file witness.key \\
      --log 'jjjc.local/audit-ledger+1a2b3c4d+AXk...' --db witness.sqlite --listen 0.0.0.0:7380
  #    or with every log of a tlog-policy file (only its `log` lines are read) or one vkey per line
  python -m tools.witness serve ... --logs-file deploy/config/witnesses.policy
  # 3. list the refusals kept as evidence; print one request verbatim
  python -m tools.witness evidence --db witness.sqlite
  python -m tools.witness evidence --db witness.sqlite --request 3 > rollback-3.txt

HTTP: POST /add-checkpoint and GET /<sha256(origin) hex>/checkpoint (see tools/witness/server.py).
Exit status: 0 done, 1 a failure while serving, 2 usage (bad arguments, keys or files).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import signal
import sys
from collections.abc import Iterable
from pathlib import Path

from kernel.edge.tokens import load_or_create_private_key
from kernel.runtime import log as logging
from services.audit.domain.checkpoint import NoteError, NoteVerifier
from services.audit.domain.cosignature import Cosigner
from tools.witness.server import start_witness
from tools.witness.store import WitnessStore

DEFAULT_LISTEN = "127.0.0.1:7380"


class Usage(Exception):
    """Something the operator must give or fix first (exit status 2)."""


def read_logs_file(path: Path) -> list[str]:
    """Log vkeys from a file: `log <vkey> [<url>]` lines (a tlog-policy file: its witness, group and quorum
    lines are skipped) or bare vkeys, one a line; `#` comments and blank lines ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise Usage(f"--logs-file {path}: {e}") from None
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words or words[0] in ("witness", "group", "quorum"):
            continue
        if words[0] == "log" and len(words) in (2, 3):
            keys.append(words[1])
        elif len(words) == 1:
            keys.append(words[0])
        else:
            raise Usage(f"--logs-file {path} line {number}: expected `log <vkey> [<url>]` or a vkey")
    return keys


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise Usage(f"--listen {text!r} must be HOST:PORT")
    return host.strip("[]") or "0.0.0.0", int(port)


def _verifiers(keys: Iterable[str]) -> list[NoteVerifier]:
    verifiers = []
    for key in keys:
        try:
            verifiers.append(NoteVerifier(key))
        except NoteError as e:
            raise Usage(f"log key {key[:40]!r}: {e}") from None
    if not verifiers:
        raise Usage("no log to witness: give --log VKEY (repeatable) or --logs-file FILE")
    return verifiers


async def _serve(args) -> int:
    keys = list(args.log or []) + (read_logs_file(args.logs_file) if args.logs_file else [])
    logs = _verifiers(keys)
    host, port = _listen(args.listen)
    logging.configure(args.log_level)
    key = load_or_create_private_key(args.key_file)
    try:
        running = await start_witness(args.name, key, logs, args.db, host, port)
    except NoteError as e:
        raise Usage(f"--name: {e}") from None
    log = logging.get("witness")
    log.info(
        "witness.started",
        url=running.url,
        verifier_key=running.verifier_key,
        logs=[v.name for v in logs],
        db=str(args.db),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()
        log.info("witness.stopped")
    return 0


def _key(args) -> int:
    try:
        cosigner = Cosigner(args.name, load_or_create_private_key(args.key_file))
    except NoteError as e:
        raise Usage(f"--name: {e}") from None
    url = f" {args.url}" if args.url else ""
    print(f"verifier key: {cosigner.verifier_key}")
    print(f"policy line:  witness {args.policy_name or args.name} {cosigner.verifier_key}{url}")
    print(f"private key in {args.key_file} (keep it secret; its public half is beside it)", file=sys.stderr)
    return 0


def _evidence(args) -> int:
    if not args.db.exists():
        raise Usage(f"--db {args.db} does not exist")
    store = WitnessStore(args.db)
    try:
        rows = store.evidence(args.origin)
    finally:
        store.close()
    if args.request is not None:
        row = next((r for r in rows if r.id == args.request), None)
        if row is None:
            raise Usage(f"no evidence with id {args.request}")
        sys.stdout.buffer.write(row.request)
        return 0
    for r in rows:
        when = datetime.datetime.fromtimestamp(r.received_at, datetime.UTC).isoformat()
        print(f"{r.id}\t{when}\t{r.status}\t{r.origin}\t{r.reason}")
    print(f"{len(rows)} refusal(s) kept as evidence in {args.db}", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.witness",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve add-checkpoint and the latest cosigned checkpoints over HTTP")
    s.add_argument("--name", required=True, help="the witness's key name, a schema-less URL (court.example/witness)")
    s.add_argument("--key-file", type=Path, required=True, help="Ed25519 private key (PEM); created if absent")
    s.add_argument("--log", action="append", metavar="VKEY", help="a log's verifier key (its name is its origin)")
    s.add_argument("--logs-file", type=Path, help="a tlog-policy file (its `log` lines) or one log vkey per line")
    s.add_argument("--db", type=Path, required=True, help="the SQLite file of the witness's state and evidence")
    s.add_argument("--listen", default=DEFAULT_LISTEN, help=f"HOST:PORT (default {DEFAULT_LISTEN})")
    s.add_argument("--log-level", default="INFO", help="INFO (default), DEBUG, WARNING")

    k = sub.add_parser("key", help="create or load the witness key; print its verifier key and a policy line")
    k.add_argument("--name", required=True, help="the witness's key name, a schema-less URL (court.example/witness)")
    k.add_argument("--key-file", type=Path, required=True, help="Ed25519 private key (PEM); created if absent")
    k.add_argument("--url", help="the witness's submission prefix for the policy line (http://host:7380)")
    k.add_argument("--policy-name", help="the witness's name in the policy (default: --name)")

    e = sub.add_parser("evidence", help="list the refusals kept as evidence (rollbacks, forks, failed proofs)")
    e.add_argument("--db", type=Path, required=True, help="the witness's SQLite file")
    e.add_argument("--origin", help="only this log's")
    e.add_argument("--request", type=int, metavar="ID", help="print this refusal's request body verbatim")
    return p


def main(argv: Iterable[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "serve":
            return asyncio.run(_serve(args))
        if args.command == "key":
            return _key(args)
        return _evidence(args)
    except Usage as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:  # a key file that is not a key, an address in use, a locked database
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
