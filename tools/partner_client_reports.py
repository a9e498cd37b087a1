"""The reference partner client's report-back (issue 24 point 1), each only about what the agency's
feed delivered to it — anything else is NOT_FOUND, the same answer as an unknown id:

  report-item  an execution item of the agency done, with the receipt by hash (§4d, P9/G14):
               sanctions.v1.ExecutionService.ReportItem
  custody      the procuratorate took a transferred person into custody (IR2025 134; the same
               command as an officer's TransferCustody, so the detention ends):
               cases.v1.ProsecutionService.ReportCustodyTaken
  judgment     the court's criminal judgment on a person a case's disposal transferred for
               prosecution (G12, PSL 14, 49; the same command as an officer's RecordJudgment, so
               the person's decisions from the case are re-decided):
               sanctions.v1.SanctionService.ReportJudgment

Documents and receipts go by SHA-256 only (`--document FILE` / `--receipt FILE` are hashed here and
never sent). Every call is mutating: it carries `x-request-id` (`--request-id` to retry safely: a
retry returns the original result and records nothing again).
"""

from __future__ import annotations

import argparse
import hashlib
from datetime import datetime, timezone
from pathlib import Path

from google.protobuf import timestamp_pb2

SENTENCES = ("FIXED_TERM", "SUSPENDED", "LIFE", "DEATH", "DETENTION", "CONTROL", "FINE_ONLY", "EXEMPT")


class ReportUsage(Exception):
    """A report's argument to fix (exit status 2)."""


def timestamp(text: str | None, option: str) -> timestamp_pb2.Timestamp:
    """An ISO 8601 time with its zone (default now) as a protobuf Timestamp."""
    try:
        at = datetime.fromisoformat(text) if text else datetime.now(timezone.utc)
    except ValueError:
        raise ReportUsage(f"{option} {text!r}: not an ISO 8601 time, e.g. 2026-05-04T10:00:00+08:00") from None
    if at.tzinfo is None:
        raise ReportUsage(f"{option} {text!r}: give a time zone, e.g. 2026-05-04T10:00:00+08:00")
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at.astimezone(timezone.utc))
    return ts


def sha256_of(path: str | None, given: str | None, option: str) -> str:
    """A file's SHA-256 (the file never leaves), or the one given."""
    if path:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if given:
        return given.lower()
    raise ReportUsage(f"give {option} FILE (hashed here) or {option}-sha256")


def _request_id(p: argparse.ArgumentParser) -> None:
    p.add_argument("--request-id", help="x-request-id; reuse it to retry safely (default: a new one)")


def _document(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--document", help=f"the {what}'s file: its SHA-256 is sent, never the file")
    p.add_argument("--document-sha256", help="its SHA-256 (hex) instead of --document")
    p.add_argument("--title", required=True, help=f"the {what}'s title, one line (at most 200 characters)")


def add_parsers(sub) -> None:
    r = sub.add_parser("report-item", help="report one of your execution items done (ExecutionService.ReportItem)")
    r.add_argument("--decision-id", required=True, help="the decision (DecisionIssued's decision_id)")
    r.add_argument("--item-id", required=True, help="your item, e.g. PERSONNEL_FILE")
    r.add_argument("--receipt", help="the receipt's file: its SHA-256 is sent, never the file")
    r.add_argument("--receipt-sha256", help="the receipt's SHA-256 (hex) instead of --receipt")
    r.add_argument("--done-at", help="when it was done, ISO 8601 with a zone (default now)")
    r.add_argument("--note", help="a note (at most 500 characters)")
    _request_id(r)

    c = sub.add_parser(
        "custody", help="procuratorate: a transferred person taken into custody (ProsecutionService.ReportCustodyTaken)"
    )
    c.add_argument("--case-id", help="the transfer's case, case-… (as the feed's CaseDisposed entry names it)")
    c.add_argument("--person-id", help="the transferred person (as the feed's entry names them)")
    c.add_argument("--measure-id", help="or the detention itself, measure-… (instead of --case-id/--person-id)")
    c.add_argument("--taken-at", help="when custody was taken, ISO 8601 with a zone (default now)")
    _document(c, "custody document (e.g. 羁押回执)")
    _request_id(c)

    j = sub.add_parser(
        "judgment", help="court: a criminal judgment on a transferred person (SanctionService.ReportJudgment)"
    )
    j.add_argument("--case-id", required=True, help="the case whose disposal transferred the person, case-…")
    j.add_argument("--person-id", required=True, help="the person judged (as your feed delivered it)")
    j.add_argument("--judgment-number", required=True, help="the judgment's number, e.g. (2026)京0101刑初12号")
    j.add_argument("--sentence", required=True, choices=SENTENCES, help="the sentence")
    j.add_argument("--intentional", action="store_true", help="an intentional crime (故意犯罪): G12 requires dismissal")
    _document(j, "judgment (刑事判决书)")
    _request_id(j)


def report_item(conn, args) -> str:
    from sanctions.v1 import service_pb2 as spb, service_pb2_grpc as spb_grpc

    request = spb.ReportItemRequest(
        decision_id=args.decision_id,
        item_id=args.item_id,
        done_at=timestamp(args.done_at, "--done-at"),
        receipt_sha256=sha256_of(args.receipt, args.receipt_sha256, "--receipt"),
        note=args.note or "",
    )
    stub = spb_grpc.ExecutionServiceStub(conn.channel(conn.sanctions))
    r = stub.ReportItem(request, metadata=conn.metadata(True, args.request_id), timeout=conn.timeout)
    return f"{r.item.item.item_id} {r.item.status} (decision version {r.version})"


def report_custody(conn, args) -> str:
    from cases.v1 import events_pb2 as cev, prosecution_pb2 as ppb, prosecution_pb2_grpc as ppb_grpc

    document = cev.DocumentRef(title=args.title, sha256=sha256_of(args.document, args.document_sha256, "--document"))
    if not args.measure_id and not (args.case_id and args.person_id):
        raise SystemExit("custody: give --case-id and --person-id (from the feed), or --measure-id")
    request = ppb.ReportCustodyTakenRequest(
        measure_id=args.measure_id or "",
        case_id=args.case_id or "",
        person_id=args.person_id or "",
        document=document,
        taken_at=timestamp(args.taken_at, "--taken-at"),
    )
    stub = ppb_grpc.ProsecutionServiceStub(conn.channel(conn.cases))
    r = stub.ReportCustodyTaken(request, metadata=conn.metadata(True, args.request_id), timeout=conn.timeout)
    return f"{r.measure_id} {r.state} (measure version {r.version}, {r.detention_days} days in detention)"


def report_judgment(conn, args) -> str:
    from sanctions.v1 import events_pb2 as sev, service_pb2 as spb, service_pb2_grpc as spb_grpc

    document = sev.DocumentRef(title=args.title, sha256=sha256_of(args.document, args.document_sha256, "--document"))
    request = spb.ReportJudgmentRequest(
        case_id=args.case_id,
        person_id=args.person_id,
        judgment=document,
        judgment_number=args.judgment_number,
        intentional=args.intentional,
        sentence=args.sentence,
    )
    stub = spb_grpc.SanctionServiceStub(conn.channel(conn.sanctions))
    r = stub.ReportJudgment(request, metadata=conn.metadata(True, args.request_id), timeout=conn.timeout)
    lines = [f"{d.decision_id} {sev.DecisionStatus.Name(d.status)} (version {d.version})" for d in r.decisions]
    return "\n".join(lines or ["no decision changed"])


REPORTS = {"report-item": report_item, "custody": report_custody, "judgment": report_judgment}
