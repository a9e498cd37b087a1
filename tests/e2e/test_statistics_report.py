"""The report command against the running audit service (issue 27; domain.md §5; seeds 001, 004):
`python -m services.audit.report`, run as an operator runs it, with a token, prints the seeds'
figures from the ledger — 69% of 2019's 市管 persons disposed came from tour clues, 1443 problems
and 14 letters, 30 / 26 / 5 / 1 notices and results — in the commission's time zone, with --drill
the ledger leaves each count rests on, --json the answer; a refusal exits 1 naming the office,
a usage error 2.

The histories are `tests.statistics_history`'s, the exact bytes the services publish, recorded into
the audit ledger as its consumer would."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

import pytest

from kernel.domain.principal import Principal
from tests import statistics_history as sh
from tests.e2e.platforms import start_service
from tests.factories import token_for

pytestmark = pytest.mark.e2e

CASE_MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
S2 = Principal("commission", "supervision_2", "supervisor", "u-s2")
SEED_001_RAWS, SEED_001 = sh.seed_001()
SEED_004_RAWS, SEED_004 = sh.seed_004()


@pytest.fixture(scope="module")
async def audit(database_url, bootstrap, tmp_path_factory):
    prefix = f"rp{uuid.uuid4().hex[:8]}"
    host = await start_service("audit", database_url, bootstrap, prefix, tmp_path_factory.mktemp("report"))
    await sh.record(host.parts.recorder, [*SEED_001_RAWS, *SEED_004_RAWS], batch=1000)
    yield host
    await host.stop()


async def report(host, principal: Principal, *args: str) -> tuple[int, str, str]:
    """The command in its own process (the service answers on this loop meanwhile)."""
    env = {"REPORT_TOKEN": token_for(host.settings, principal), "TIME_ZONE": "Asia/Shanghai", "PATH": ""}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.audit.report",
        *args,
        "--target",
        f"127.0.0.1:{host.port}",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_seed_001_tour_contribution_69_percent_printed_and_as_json(audit):
    code, out, err = await report(audit, CASE_MANAGER, "tour-contribution", "--year", "2019", "--level", "CITY")
    assert code == 0, err
    lines = {line.split()[0]: line.split() for line in out.splitlines() if not line.startswith("--")}
    assert lines["D"][1] == "100" and lines["T"][1] == "69"
    assert lines["rate"][2] == "69.00%"
    assert "every office" in out.splitlines()[-1]
    code, out, err = await report(
        audit, CASE_MANAGER, "tour-contribution", "--year", "2019", "--level", "CITY", "--json"
    )
    assert code == 0, err
    answer = json.loads(out)
    figures = {f["key"]: f for f in answer["figures"]}
    assert (figures["D"]["count"], figures["T"]["count"]) == ("100", "69")  # uint64 as JSON strings
    assert figures["rate"]["value"] == pytest.approx(0.69)
    assert {e["person_id"] for e in figures["T"]["evidence"]} == SEED_001["T_persons"]


async def test_seed_001_problems_and_letters(audit):
    code, out, err = await report(audit, CASE_MANAGER, "tour-problems", "--year", "2019")
    assert code == 0, err
    counts = {line.split()[0]: int(line.split()[1]) for line in out.splitlines() if not line.startswith("--")}
    assert (counts["problems"], counts["letters"]) == (1443, 14)
    assert counts == SEED_001["TOUR_PROBLEMS"] | {k: 0 for k in counts if k not in SEED_001["TOUR_PROBLEMS"]}


async def test_seed_004_with_the_drill_down(audit):
    code, out, err = await report(
        audit, CASE_MANAGER, "notice-results", "--from", "2021-04-01", "--to", "2022-03-01", "--drill"
    )
    assert code == 0, err
    figures = {line.split()[0]: int(line.split()[1]) for line in out.splitlines() if not line.startswith(("--", " "))}
    assert figures == SEED_004["NOTICE_RESULTS"]
    drilled = [line.split() for line in out.splitlines() if line.startswith("    leaf ")]
    notices = {row[2] for row in drilled if "notice" in " ".join(row[4:])}
    assert notices == SEED_004["notice_events"]
    assert all(int(row[1]) < len(SEED_001_RAWS) + len(SEED_004_RAWS) for row in drilled)


async def test_another_office_exits_1_naming_it_and_usage_errors_exit_2(audit):
    code, out, err = await report(
        audit, S2, "notice-results", "--from", "2021-04-01", "--to", "2022-03-01", "--office", "supervision_1"
    )
    assert (code, out) == (1, "")
    assert "PERMISSION_DENIED" in err and "supervision_1" in err
    code, _, err = await report(audit, CASE_MANAGER, "notice-results")  # no period
    assert code == 2 and "period" in err
