"""jjjc against running services (issue 28 point 1): a clue registered, read and refused through
`jjjc call` (JSON in and out by reflection, the request id and token as metadata, a refusal as
"CODE: details" with exit 1); `jjjc status` with a token it signs from DATA_DIR's key; the clue
exported as a bundle; `jjjc rebuild --check`, `jjjc reconcile` (exact) and `jjjc verify` on the ledger the services wrote:
0 intact, 1 once a recorded envelope is altered under a signed checkpoint."""

import asyncio
import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from kernel.runtime.version import platform_version
from services.audit.main import build as build_audit
from services.clues.main import build as build_clues
from tests.factories import ALICE, service_settings, token_for

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "jjjc"  # the console script `make install` puts there
REGISTER = {
    "source": "CLUE_SOURCE_PETITION",
    "summary": "took bribes for permits",
    "subjects": [{"person_id": "p-100", "name": "Zhang San", "post": "bureau chief"}],
}


@pytest.fixture
async def platform(database_url, bootstrap, unique, tmp_path, monkeypatch):
    def settings(service):
        return service_settings(
            service, database_url, bootstrap, f"jj{unique}", tmp_path, database_schema=f"{service}_jj{unique}"
        )

    clues = await build_clues(settings("clues")).start()
    audit = await build_audit(settings("audit")).start()
    monkeypatch.setenv("DATA_DIR", str(tmp_path))  # where the services keep their keys, as make run
    monkeypatch.setenv("CLUES_GRPC_PORT", str(clues.port))
    monkeypatch.setenv("AUDIT_GRPC_PORT", str(audit.port))
    monkeypatch.delenv("JJJC_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    yield clues, audit
    await clues.stop()
    await audit.stop()


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stderr + self.stdout


async def jjjc(*args: str) -> Ran:
    """The installed console script (python -m tools.jjjc where there is none), as an operator runs it."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "tools.jjjc"]
    proc = await asyncio.create_subprocess_exec(
        *command, *args, cwd=ROOT, env=dict(os.environ), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return Ran(proc.returncode, out.decode(), err.decode())


async def test_a_clue_through_jjjc_call_and_its_ledger_through_status_export_rebuild_and_verify(platform, database_url):
    clues, audit = platform
    alice = token_for(clues.settings, ALICE)
    request_id = str(uuid.uuid4())
    got = await jjjc(
        "call", "clues.v1.ClueService.RegisterClue", json.dumps(REGISTER), "--token", alice, "--request-id", request_id
    )
    assert got.exit_code == 0, got.output
    clue_id = json.loads(got.stdout)["clue_id"]
    again = await jjjc(
        "call", "ClueService/RegisterClue", json.dumps(REGISTER), "--token", alice, "--request-id", request_id
    )
    assert json.loads(again.stdout)["clue_id"] == clue_id  # the request id went as metadata: the same clue

    got = await jjjc(
        "call",
        "ClueService.GetClue",
        json.dumps({"clue_id": clue_id, "purpose": "check the registration"}),
        "-H",
        f"authorization=Bearer {alice}",
        "-H",
        "x-correlation-id=corr-jjjc",
    )
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["state"] == "RECEIVED"

    refused = await jjjc("call", "ClueService.GetClue", json.dumps({"clue_id": clue_id}), "--token", alice)
    assert refused.exit_code == 1
    assert refused.output.startswith("INVALID_ARGUMENT: ") and "purpose" in refused.output
    denied = await jjjc("call", "control.v1.ControlService.GetStatus", "-s", "clues", "--token", alice)
    assert denied.exit_code == 1 and denied.output.startswith("PERMISSION_DENIED: ")

    # status: no --token, so jjjc signs an operator's token with DATA_DIR's key
    got = await jjjc("status", "-s", "clues", "-s", "audit", "--json")
    assert got.exit_code == 0, got.output
    reports = {r["service"]: r for r in json.loads(got.stdout)}
    assert reports["clues"]["health"] == "SERVING" and not reports["clues"]["refused"]
    assert reports["clues"]["version"] == platform_version()  # issue 28: as jjjc --version says
    assert any(c["name"].startswith("relay ") for c in reports["clues"]["components"])
    assert {"checkpoint", "witnesses"} <= set(reports["audit"]["ledger"])
    table = await jjjc("status", "-s", "clues", "-s", "audit", "--parts")
    assert table.exit_code == 0 and "relay " in table.stdout
    summary = await jjjc("status", "-s", "clues", "-s", "audit")  # one row per service, then the ledger
    assert summary.exit_code == 0 and "clues-filings" in summary.stdout, summary.output
    assert "audit ledger: last checkpoint" in summary.stdout and "witnesses" in summary.stdout

    for _ in range(120):  # the clue's event reaches the ledger
        exported = await jjjc("export", clue_id, "--purpose", "jjjc e2e", "--token", alice)
        if exported.exit_code == 0:
            break
        await asyncio.sleep(0.5)
    assert exported.exit_code == 0, exported.output
    bundle = json.loads(exported.stdout.strip())
    assert bundle["format"].startswith("jjjc-audit-bundle/") and len(bundle["events"]) == 1

    operator = "commission/platform_operations/platform_operator/u-ops"
    signed = await jjjc("call", "audit.v1.AuditService.SignCheckpoint", "--token", _token(operator, clues))
    assert signed.exit_code == 0, signed.output
    schema = audit.settings.schema
    rebuilt = await jjjc("rebuild", "audit", "--check", "--quiet", "--database-url", database_url, "--schema", schema)
    assert rebuilt.exit_code == 0, rebuilt.output
    exact = await jjjc(
        "reconcile",
        "--database-url",
        database_url,
        "--schema",
        schema,
        "--producer",
        f"clues:{clues.settings.schema}={database_url}",
    )
    assert exact.exit_code == 0, exact.output
    assert "EXACT" in exact.stdout and "0 missing, 0 extra, 0 differing" in exact.stdout
    intact = await jjjc("verify", "--database-url", database_url, "--schema", schema)
    assert intact.exit_code == 0, intact.output
    assert "INTACT" in intact.stdout
    async with audit.store.pool.acquire() as conn:
        await conn.execute(f"UPDATE {schema}.recorded_events SET envelope = envelope || '\\x00'::bytea")
    tampered = await jjjc("verify", "--database-url", database_url, "--schema", schema)
    assert tampered.exit_code == 1, tampered.output
    assert "TAMPERED" in tampered.stdout and "ALTERED" in tampered.stdout


def _token(principal: str, host) -> str:
    from kernel.domain.principal import Principal

    return token_for(host.settings, Principal(*principal.split("/")))
