"""`jjjc demo`: the demo loaded into the platform `make run` started (addresses and the token key
found as `jjjc call` finds them), with a progress bar and a short summary of what to look at."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from tools.demo.cast import CASE_MANAGER
from tools.demo.loader import DemoReport, load
from tools.demo.plan import SIZES, make_plan, total_steps
from tools.demo.session import DemoError
from tools.jjjc import env


def page_url(targets: dict[str, str]) -> str:
    """The replay page beside audit: AUDIT_PAGE_PORT, else audit's gRPC port + 2000."""
    host, _, port = targets["audit"].rpartition(":")
    return f"http://{host}:{os.environ.get('AUDIT_PAGE_PORT') or int(port) + 2000}/"


def summary(report: DemoReport, seconds: float, url: str) -> str:
    if report.complete_before:
        head = f"already loaded: {report.already} of {report.steps} steps (seed {report.seed}, {report.size}); nothing added"
    else:
        found = sum(report.parts.values())
        head = (
            f"loaded the {report.size} demo of seed {report.seed} in {seconds:.0f} s: {report.sent} calls; "
            f"{found} of {len(report.parts)} parts were there already"
        )
    who = CASE_MANAGER
    return "\n".join(
        [
            head,
            f"  cases: {len(report.case_ids)}, each from its clue to its decision executed by partner agencies",
            f"  seed 004: supervision notices {' (met), '.join(report.notices)} (open); resident_group_1's ledger reconciled",
            f"  seed 001: tour round {report.tour_round}; integrity request: {report.integrity_request}",
            f"  replay page: {url}  subject: {report.case_ids[0] if report.case_ids else '-'}",
            f"  a token for someone who may see it ({who.role}, {who.office}):",
            f"    jjjc token issue --agency {who.agency} --office {who.office} --role {who.role} --user {who.user}",
        ]
    )


def run(size: str, seed: int, key_file: Path, quiet: bool) -> int:
    """Exit status: 0 loaded (or already there), 1 the platform refused or did not answer, 2 usage."""
    if size not in SIZES:
        print(f"demo: --size {size!r}: one of {', '.join(SIZES)}", file=sys.stderr)
        return 2
    if not key_file.exists():
        print(
            f"demo: no token signing key at {key_file}: give --key-file, or the DATA_DIR the platform runs with",
            file=sys.stderr,
        )
        return 2
    total = total_steps(make_plan(seed, size))
    targets = {name: env.address(name) for name in env.services()}
    started = time.monotonic()
    columns = (TextColumn("demo"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), disable=quiet) as bar:
        task = bar.add_task("demo", total=total)
        try:
            report = asyncio.run(load(targets, key_file, size, seed, lambda n: bar.advance(task, n)))
        except DemoError as e:
            bar.stop()
            print(f"demo: {e}", file=sys.stderr)
            return 1
        bar.update(task, completed=total)
    print(summary(report, time.monotonic() - started, page_url(targets)))
    return 0
