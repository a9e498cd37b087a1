"""What waits for you (待办) across the platform's services, merged and ordered by due date.

  make token ARGS="issue --agency commission --office leadership --role commission_head --user P-1"
  python -m kernel.edge.awaiting_cli --token <token>
  AWAITING_TOKEN=<token> make awaiting ARGS="--purpose 'morning review'"
  python -m kernel.edge.awaiting_cli --token <token> --target clues=10.0.0.5:50051 --ca-file ca.pem

Asks every service of the platform file (PLATFORM_FILE, deploy/config/platform.toml) whose
contract has `ListAwaitingMe`, at GRPC_HOST (default 127.0.0.1) and the service's port
(<NAME>_GRPC_PORT, else the platform file's), with your token: each service shows only what you
may know and records the read with its purpose. Prints one line per item: due, colour, service,
reference, step and summary (times in TIME_ZONE, default Asia/Shanghai). Exit status 0; 1 when a
service did not answer (the rest is still shown); 2 for a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc

from kernel.edge.awaiting import MAX_ITEMS, Endpoint, Merged, awaiting_for, endpoint
from kernel.runtime.platform import PlatformError, load_platform, platform_file

COLUMNS = ("due", "colour", "service", "reference", "step", "summary")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kernel.edge.awaiting_cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--token", default=None, help="your bearer token (default: AWAITING_TOKEN); see `make token`")
    p.add_argument(
        "--purpose",
        default="what awaits me (待办)",
        help="why you read, recorded by each service with the read (at most 500 characters)",
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="SERVICE=HOST:PORT",
        help="where a service answers (repeatable); default GRPC_HOST and the service's port",
    )
    p.add_argument("--service", action="append", default=[], help="ask only this service (repeatable)")
    p.add_argument("--ca-file", type=Path, default=None, help="CA certificate (PEM): connect over TLS")
    p.add_argument("--max-items", type=int, default=MAX_ITEMS, help=f"per service (default {MAX_ITEMS})")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call (default 10)")
    return p


def endpoints(wanted: list[str], targets: dict[str, str], env=os.environ) -> list[Endpoint]:
    """The platform's services (or those `wanted`) whose contract has ListAwaitingMe."""
    platform = load_platform(platform_file(env))
    names = wanted or list(platform.names)
    host = env.get("GRPC_HOST") or "127.0.0.1"
    found = []
    for name in names:
        entry = platform.service(name)
        try:
            pb2 = importlib.import_module(f"{name}.v1.service_pb2")
            pb2_grpc = importlib.import_module(f"{name}.v1.service_pb2_grpc")
        except ImportError:
            continue  # a service without a gRPC contract of its own
        port = env.get(f"{name.upper()}_GRPC_PORT") or entry.port
        ep = endpoint(name, targets.get(name) or f"{host}:{port}", pb2, pb2_grpc)
        if ep is not None:
            found.append(ep)
    return found


def table(merged: Merged, tz) -> str:
    """The items as aligned columns (the summary last, unpadded)."""
    rows = [COLUMNS]
    for i in merged.items:
        due = i.due.ToDatetime().replace(tzinfo=ZoneInfo("UTC")).astimezone(tz) if i.HasField("due") else None
        rows.append(
            (
                due.strftime("%Y-%m-%d %H:%M") if due else "-",
                i.colour or "-",
                i.service,
                i.reference,
                f"{i.step} ({i.role})",
                i.summary,
            )
        )
    widths = [max(len(r[k]) for r in rows) for k in range(len(COLUMNS) - 1)]
    lines = ["  ".join([*(r[k].ljust(widths[k]) for k in range(len(widths))), r[-1]]).rstrip() for r in rows]
    return "\n".join(lines)


def _targets(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        name, sep, target = v.partition("=")
        if not sep or not name or not target:
            raise argparse.ArgumentTypeError(f"--target {v!r}: write SERVICE=HOST:PORT, e.g. clues=127.0.0.1:50051")
        out[name] = target
    return out


def main(argv=None, env=os.environ) -> int:
    p = parser()
    args = p.parse_args(argv)
    token = args.token or env.get("AWAITING_TOKEN")
    if not token:
        p.error("a token is required: --token or AWAITING_TOKEN (issue one with `make token`)")
    try:
        targets = _targets(args.target)
        found = endpoints(args.service, targets, env)
        credentials = grpc.ssl_channel_credentials(args.ca_file.read_bytes()) if args.ca_file else None
    except (argparse.ArgumentTypeError, PlatformError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not found:
        print("error: no service of the platform answers ListAwaitingMe", file=sys.stderr)
        return 2
    merged = asyncio.run(
        awaiting_for(
            [("authorization", f"Bearer {token}")],
            found,
            args.purpose,
            credentials=credentials,
            max_items=args.max_items,
            timeout=args.timeout,
        )
    )
    print(table(merged, ZoneInfo(env.get("TIME_ZONE") or "Asia/Shanghai")))
    asked = ", ".join(ep.service for ep in found)
    print(f"{len(merged.items)} item(s) from {asked}", file=sys.stderr)
    for service in merged.truncated:
        print(f"note: {service} has more than {args.max_items} items; showing the first", file=sys.stderr)
    for service, why in merged.failed.items():
        print(f"error: {service} did not answer: {why}", file=sys.stderr)
    return 1 if merged.failed else 0


if __name__ == "__main__":
    sys.exit(main())
