"""Statistics from the recorded events (domain.md §5; issue 27), asked of the audit service.

  make token ARGS="issue --agency commission --office case_management --role case_manager --user P-1"
  python -m services.audit.report tour-contribution --year 2019 --level CITY --token <token>
  python -m services.audit.report notice-results --from 2021-04-01 --to 2022-03-01 --drill --token <token>
  REPORT_TOKEN=<token> make report ARGS="tour-problems --year 2019 --json"
  python -m services.audit.report four-forms --year 2025 --office supervision_1 --as-of 2025-07-01
  python -m services.audit.report overdue-execution --year 2026 --target 10.0.0.5:50054 --ca-file ca.pem

Calls audit.v1.StatisticsService/GetStatistic (operation `audit.statistics`) at GRPC_HOST (default
127.0.0.1) and AUDIT_GRPC_PORT (else the platform file's audit port, PLATFORM_FILE), with your token.
Case management, the head and the deputy heads may ask for any office (or all); anyone else for
their own. The read is recorded with its purpose. Dates are days in TIME_ZONE (default
Asia/Shanghai): a period is [from, to), `--year Y` is [Y-01-01, Y+1-01-01). `--as-of` counts the
events recorded at or before it (a day means its end: the next day's midnight).

Prints one line per figure: key, count, value (a ratio or share as a percentage), label; with
`--drill` each figure's evidence below it (ledger leaf, event id, stream, person, what), each leaf
provable with `AuditService/GetInclusionProof`; `--json` prints the answer as JSON instead. Exit
status 0; 1 when the service refused or did not answer (its status and message on stderr); 2 for a
usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
from google.protobuf import json_format

from audit.v1 import statistics_pb2 as pb, statistics_pb2_grpc
from common.v1 import person_pb2
from kernel.edge.mapping import timestamp
from kernel.runtime.platform import PlatformError, load_platform, platform_file

STATISTICS = {n.removeprefix("STATISTIC_").lower().replace("_", "-"): n for n in pb.Statistic.keys()[1:]}
LEVELS = [n.removeprefix("MANAGEMENT_LEVEL_") for n in person_pb2.ManagementLevel.keys()[1:]]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m services.audit.report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("statistic", choices=sorted(STATISTICS), help="which statistic (domain.md §5)")
    when = p.add_argument_group("period (required: --year, or --from and --to)")
    when.add_argument("--year", type=int, help="the calendar year Y: [Y-01-01, Y+1-01-01)")
    when.add_argument("--from", dest="start", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the first day")
    when.add_argument("--to", dest="end", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the day after the last")
    p.add_argument(
        "--office", default="", help="an office's figures (catalogue code); default every office you may see"
    )
    p.add_argument(
        "--level", choices=LEVELS, default="", help="tour-contribution: the cadre management level (市管 = CITY)"
    )
    p.add_argument("--as-of", default="", metavar="YYYY-MM-DD[THH:MM]", help="count events recorded at or before it")
    p.add_argument("--purpose", default="statistics report", help="why you read (recorded; at most 500 characters)")
    p.add_argument("--drill", action="store_true", help="print the events each count rests on")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--token", default=None, help="your bearer token (default: REPORT_TOKEN); see `make token`")
    p.add_argument(
        "--target", default="", metavar="HOST:PORT", help="the audit service (default GRPC_HOST and its port)"
    )
    p.add_argument("--ca-file", type=Path, default=None, help="CA certificate (PEM): connect over TLS")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds for the call (default 30)")
    return p


def period(args, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) at midnight in `zone`; ValueError in words for a wrong combination."""
    if args.year is not None:
        if args.start or args.end:
            raise ValueError("give --year or --from/--to, not both")
        start, end = date(args.year, 1, 1), date(args.year + 1, 1, 1)
    elif args.start and args.end:
        start, end = args.start, args.end
    else:
        raise ValueError("a period is required: --year Y, or --from and --to")
    if end <= start:
        raise ValueError("--to must be after --from")
    return datetime.combine(start, time(), zone), datetime.combine(end, time(), zone)


def moment(text: str, zone: tzinfo) -> datetime | None:
    """`--as-of`: a day (its end) or a time in `zone` (or with its own offset)."""
    if not text:
        return None
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text) + timedelta(days=1), time(), zone)
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=zone)


def target(args, env) -> str:
    if args.target:
        return args.target
    port = env.get("AUDIT_GRPC_PORT") or load_platform(platform_file(env)).service("audit").port
    return f"{env.get('GRPC_HOST') or '127.0.0.1'}:{port}"


def request(args, zone: tzinfo) -> pb.GetStatisticRequest:
    start, end = period(args, zone)
    req = pb.GetStatisticRequest(
        statistic=pb.Statistic.Value(STATISTICS[args.statistic]),
        period_start=timestamp(start),
        period_end=timestamp(end),
        office=args.office,
        purpose=args.purpose,
        management_level=person_pb2.ManagementLevel.Value(f"MANAGEMENT_LEVEL_{args.level}") if args.level else 0,
    )
    if (at := moment(args.as_of, zone)) is not None:
        req.as_of.CopyFrom(timestamp(at))
    return req


def text(answer: pb.GetStatisticResponse, drill: bool, zone: tzinfo) -> str:
    """The figures as aligned lines, evidence indented below each with --drill."""
    width = max((len(f.key) for f in answer.figures), default=3)
    lines = []
    for f in answer.figures:
        value = f"{f.value:7.2%}" if f.numerator_key else " " * 7
        ratio = f"  ({f.numerator_key} / {f.denominator_key})" if f.numerator_key else ""
        lines.append(f"{f.key.ljust(width)}  {f.count:>8}  {value}  {f.label}{ratio}")
        if drill:
            for e in f.evidence:
                who = f"  {e.person_id}" if e.person_id else ""
                lines.append(f"    leaf {e.leaf_index}  {e.event_id}  {e.stream_id}{who}  {e.what}")
    as_of = answer.as_of.ToDatetime().replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    offices = ", ".join(answer.offices) or "every office"
    lines.append(f"-- as of {as_of:%Y-%m-%d %H:%M %Z}, tree size {answer.tree_size}, {offices}")
    return "\n".join(lines)


async def ask(req, where: str, token: str, ca_file: Path | None, timeout: float) -> pb.GetStatisticResponse:
    creds = grpc.ssl_channel_credentials(ca_file.read_bytes()) if ca_file else None
    channel = grpc.aio.secure_channel(where, creds) if creds else grpc.aio.insecure_channel(where)
    async with channel:
        stub = statistics_pb2_grpc.StatisticsServiceStub(channel)
        return await stub.GetStatistic(req, metadata=[("authorization", f"Bearer {token}")], timeout=timeout)


def main(argv=None, env=os.environ) -> int:
    p = parser()
    args = p.parse_args(argv)
    token = args.token or env.get("REPORT_TOKEN")
    if not token:
        p.error("a token is required: --token or REPORT_TOKEN (issue one with `make token`)")
    zone = ZoneInfo(env.get("TIME_ZONE") or "Asia/Shanghai")
    try:
        req = request(args, zone)
        where = target(args, env)
    except (ValueError, PlatformError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        answer = asyncio.run(ask(req, where, token, args.ca_file, args.timeout))
    except grpc.RpcError as e:
        print(f"error: {where}: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                json_format.MessageToDict(answer, preserving_proto_field_name=True), ensure_ascii=False, indent=2
            )
        )
    else:
        print(text(answer, args.drill, zone))
    return 0


if __name__ == "__main__":
    sys.exit(main())
