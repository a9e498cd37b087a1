"""A data folder made by the previous commit starts under the new code with nothing lost (issue 16,
point 6).

The code of 249011d (the last commit before issue 16's refactoring) is checked out in a git
worktree and its clues, cases and audit services run as processes on the session's PostgreSQL and
broker (their own schemas and topic prefix). A small story leaves timers pending: a clue only
received, a clue registered under a supervision notice due in ten days, a clue filed as a case
(through the cases service's filing process manager) whose detention is approved and its notice
never given. Once audit's ledger holds every event the old services stop, and the current code's
start on the same data:

- migrations adopt the schemas (every component recorded at the code's numbers, nothing refused),
  every old event and ledger leaf is kept byte for byte, and every projection rebuilds equal;
- every clue, case, measure, list, notice and audit history reads back as the old code answered;
- the clock moved 17 days ahead fires the pending timers (warnings, the notice's and the
  detention notice's overdue), each once; new commands go on from the old versions (the clue
  numbers too); moved past the last due date, every other old timer fires once or was replaced by
  its aggregate's command (a measure's expiry timers are renamed by its next command, as the
  previous code did too: their key spells the end in the time zone the state was folded in);
- the ledger takes the new events, each once, its tree whole, judged complete against the
  producers' watermarks; the projections rebuild equal again.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from audit.v1 import service_pb2 as apb, service_pb2_grpc as audit_grpc
from cases.v1 import events_pb2 as cev, service_pb2 as cpb, service_pb2_grpc as cases_grpc
from clues.v1 import events_pb2 as ev, service_pb2 as pb, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2, recording_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.domain.ids import timer_stream_id
from kernel.domain.principal import Principal
from kernel.edge import tokens
from kernel.eventstore.envelope import parse, unpack
from kernel.runtime.embedded import free_port
from services.audit.domain.merkle import leaf_hash, root_of
from tests.factories import ALICE, OPERATOR, call_metadata, service_settings, ts

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]
PREVIOUS = "249011d"  # the last commit before issue 16's refactoring began
SERVICES = ("clues", "cases", "audit")
PRODUCERS = ("clues", "cases")
AHEAD = timedelta(days=17)  # past every pending due date of the story (the furthest: 15 days)

HEAD = Principal("commission", "leadership", "commission_head", "u-head")
INSPECTOR = Principal("commission", "supervision_1", "supervisor", "u-insp")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
OTHER_OFFICE = Principal("commission", "supervision_2", "supervisor", "u-other")
INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "u-inv")
SUPERIOR = Principal("superior_commission", "superior_leadership", "superior_head", "u-sup")
# The old code recorded no hand-over: the old case and its measure are held by their handling
# office (need to know, issue 17), whose head goes on with them.
HOLDER = Principal("commission", "supervision_1", "office_head", "u-sup1h")
RECORDING = recording_pb2.RecordingRef(sha256="9f" * 32, duration_seconds=5400, kind="interrogation")
# what could point a service at anything but this test's database, broker, schemas and data
FOREIGN = (
    "PYTHONPATH",
    "TOPIC_PREFIX",
    "DATA_DIR",
    "KAFKA_BOOTSTRAP_SERVERS",
    "TOKEN_PUBLIC_KEY_FILES",
    "TOKEN_SIGNING_KEY_FILE",
    "PLATFORM_FILE",
)


# -- the old code and the processes --------------------------------------------------------------


@pytest.fixture(scope="module")
def previous_code():
    """The previous commit's tree, in a detached worktree removed afterwards."""
    known = subprocess.run(["git", "cat-file", "-e", f"{PREVIOUS}^{{commit}}"], cwd=ROOT, capture_output=True)
    assert known.returncode == 0, f"commit {PREVIOUS} is not in this clone's history (a shallow clone? fetch it)"
    where = Path(tempfile.mkdtemp(prefix="upgrade-old-")) / "code"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(where), PREVIOUS], cwd=ROOT, check=True, capture_output=True
    )
    try:
        yield where
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, capture_output=True)
        shutil.rmtree(where.parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


class Platform:
    """The three services of one code version as processes, on shared data."""

    def __init__(self, code: Path, env: dict, logs: Path, tag: str):
        self.code, self.logs, self.tag = code, logs, tag
        self.env = {**env, "PYTHONPATH": f"{code}{os.pathsep}{code / 'gen'}"}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> Platform:
        for s in SERVICES:
            with open(self.log_path(s), "ab") as out:
                self.procs[s] = subprocess.Popen(
                    [sys.executable, "-m", f"services.{s}.main"],
                    cwd=self.code,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        for s in SERVICES:
            self._wait_serving(s)
        return self

    def stop(self) -> dict[str, int]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = {}
        for s, proc in self.procs.items():
            try:
                codes[s] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[s] = proc.wait()
        self.procs.clear()
        return codes

    def log_path(self, service: str) -> Path:
        return self.logs / f"{self.tag}-{service}.log"

    def log(self, service: str) -> str:
        return self.log_path(service).read_text(errors="replace")

    def lines(self, service: str, event: str) -> list[dict]:
        found = []
        for line in self.log(service).splitlines():
            if f'"{event}"' in line:
                try:
                    found.append(json.loads(line))
                except ValueError:
                    pass
        return [x for x in found if x.get("event") == event]

    def errors(self) -> str:
        """The ERROR lines and tracebacks of every log, for a failure's message."""
        out = []
        for s in SERVICES:
            bad = [
                l
                for l in self.log(s).splitlines()
                if '"level": "error"' in l
                or "Traceback" in l
                or l.startswith(("  File", "    "))
                or re.match(r"^\w+(Error|Exception|Refused)\b", l)
            ]
            out += [f"[{self.tag} {s}] {l}" for l in bad[-30:]]
        return "\n".join(out)

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.env[f'{service.upper()}_GRPC_PORT']}"

    def _wait_serving(self, service: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            proc = self.procs[service]
            assert proc.poll() is None, (
                f"{self.tag} {service} exited with {proc.returncode}:\n{self.log(service)[-4000:]}"
            )
            try:
                with grpc.insecure_channel(self.address(service)) as ch:
                    reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            assert time.monotonic() < deadline, f"{self.tag} {service} not serving after {seconds} s"
            time.sleep(0.2)


# -- calls ---------------------------------------------------------------------------------------


class Calls:
    """gRPC calls on one platform, with tokens signed by the data folder's key."""

    def __init__(self, platform: Platform, settings):
        self.platform, self.settings = platform, settings
        self.channels = {s: grpc.aio.insecure_channel(platform.address(s)) for s in SERVICES}
        self.clues = clues_grpc.ClueServiceStub(self.channels["clues"])
        self.cases = cases_grpc.CaseServiceStub(self.channels["cases"])
        self.audit = audit_grpc.AuditServiceStub(self.channels["audit"])

    async def close(self) -> None:
        for ch in self.channels.values():
            await ch.close()

    def md(self, who: Principal = ALICE, command: bool = False):
        return call_metadata(
            self.settings,
            who,
            request_id=str(uuid.uuid4()) if command else None,
            correlation="corr-upgrade" if command else None,
        )

    async def clue(self, rpc: str, who: Principal = ALICE, **fields):
        return await getattr(self.clues, rpc)(
            getattr(pb, f"{rpc}Request")(**fields), metadata=self.md(who, True), timeout=20
        )

    async def case(self, rpc: str, who: Principal, **fields):
        return await getattr(self.cases, rpc)(
            getattr(cpb, f"{rpc}Request")(**fields), metadata=self.md(who, True), timeout=20
        )

    async def get_clue(self, clue_id):
        return await self.clues.GetClue(
            pb.GetClueRequest(clue_id=clue_id, purpose="check the upgrade"), metadata=self.md(), timeout=10
        )

    async def get_case(self, case_id):
        return await self.cases.GetCase(
            cpb.GetCaseRequest(case_id=case_id, purpose="check the upgrade"), metadata=self.md(), timeout=10
        )

    async def get_measure(self, measure_id):
        return await self.cases.GetMeasure(
            cpb.GetMeasureRequest(measure_id=measure_id, purpose="check the upgrade"), metadata=self.md(), timeout=10
        )

    async def list_clues(self):
        return await self.clues.ListClues(
            pb.ListCluesRequest(purpose="check the upgrade"), metadata=self.md(), timeout=10
        )

    async def notices(self):
        return await self.clues.ListSupervisionNotices(
            pb.ListSupervisionNoticesRequest(purpose="check the upgrade"), metadata=self.md(), timeout=10
        )

    async def measures(self):
        return await self.cases.ListMeasures(
            cpb.ListMeasuresRequest(office="supervision_1", purpose="check the upgrade"), metadata=self.md(), timeout=10
        )

    async def history(self, stream_id):
        try:
            return await self.audit.GetStreamHistory(
                apb.GetStreamHistoryRequest(stream_id=stream_id, purpose="check the upgrade"),
                metadata=self.md(),
                timeout=10,
            )
        except grpc.aio.AioRpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return apb.GetStreamHistoryResponse(stream_id=stream_id)

    async def story(self, subject):
        """The replay (GetHistory) of a clue or case, every page, as (steps, total)."""
        steps, token = [], ""
        while True:
            page = await self.audit.GetHistory(
                apb.GetHistoryRequest(subject=subject, page_token=token, purpose="check the upgrade"),
                metadata=self.md(),
                timeout=10,
            )
            steps += list(page.steps)
            token = page.next_page_token
            if not token:
                return steps, page.total_steps

    async def checkpoint(self):
        return await self.audit.GetCheckpoint(apb.GetCheckpointRequest(), metadata=self.md(), timeout=10)

    async def set_clock(self, at: datetime) -> None:
        for s in PRODUCERS:
            await control_pb2_grpc.ControlServiceStub(self.channels[s]).SetClock(
                control_pb2.SetClockRequest(at=ts(at), freeze=True), metadata=self.md(OPERATOR), timeout=10
            )


async def eventually(check, what: str, seconds: float = 30, every: float = 0.25):
    """check()'s value once it is truthy (NOT_FOUND counts as not yet)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            got = await check()
            if got:
                return got
        except grpc.aio.AioRpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND:
                raise
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)


# -- the database, read directly -------------------------------------------------------------


class Data:
    def __init__(self, conn, schemas: dict[str, str]):
        self.conn, self.schemas = conn, schemas

    async def events(self, service: str) -> dict[str, tuple]:
        rows = await self.conn.fetch(
            f"SELECT event_id, stream_id, version, event_type, envelope FROM {self.schemas[service]}.events"
        )
        return {str(r["event_id"]): (r["stream_id"], r["version"], r["event_type"], bytes(r["envelope"])) for r in rows}

    async def produced(self) -> set[str]:
        ids: set[str] = set()
        for s in (*PRODUCERS, "audit"):  # audit records the reads it serves (issue 17)
            ids |= set(await self.events(s))
        return ids

    async def recorded(self) -> list[tuple[int, str, bytes]]:
        rows = await self.conn.fetch(
            f"SELECT leaf_index, event_id, envelope FROM {self.schemas['audit']}.recorded_events ORDER BY leaf_index"
        )
        return [(r["leaf_index"], str(r["event_id"]), bytes(r["envelope"])) for r in rows]

    async def timers(self, service: str) -> dict[str, dict]:
        rows = await self.conn.fetch(
            f"SELECT timer_id, stream_id, due_at, event_type, status, fired_event_id "
            f"FROM {self.schemas[service]}.timers"
        )
        return {r["timer_id"]: dict(r) for r in rows}

    async def has_table(self, service: str, table: str) -> bool:
        return await self.conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{self.schemas[service]}.{table}")

    async def migrations(self, service: str) -> dict[str, int]:
        rows = await self.conn.fetch(
            f"SELECT component, max(number) AS v FROM {self.schemas[service]}.schema_migrations GROUP BY component"
        )
        return {r["component"]: r["v"] for r in rows}

    async def ledger_holds_everything(self) -> bool:
        produced = await self.produced()
        return bool(produced) and {e for _, e, _ in await self.recorded()} >= produced


def expected_migrations() -> dict[str, dict[str, int]]:
    """Each service's components at the numbers the current code knows."""
    from kernel.runtime.service import KERNEL_MIGRATIONS
    from services.audit.main import MIGRATIONS as AUDIT
    from services.cases.main import MIGRATIONS as CASES
    from services.clues.main import MIGRATIONS as CLUES

    out = {}
    for service, own in (("clues", CLUES), ("cases", CASES), ("audit", AUDIT)):
        versions: dict[str, int] = {}
        for m in (*KERNEL_MIGRATIONS, *own):
            versions[m.component] = max(versions.get(m.component, 0), m.number)
        out[service] = versions
    return out


# -- the story told to the old code --------------------------------------------------------------


async def old_story(api: Calls, t0: datetime) -> dict:
    """Three clues in three stages, a notice, a case under investigation with a detention whose
    notice is never given; what it made, by name."""
    subjects = [identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba", post="county head")]
    received = (
        await api.clue(
            "RegisterClue",
            source=ev.CLUE_SOURCE_PETITION,
            summary="left as received",
            subjects=[identity_pb2.PersonRef(person_id="P-70", name="Qian Yi")],
        )
    ).clue_id
    registered = (
        await api.clue(
            "RegisterClue",
            source=ev.CLUE_SOURCE_SUPERIOR_ASSIGNMENT,
            summary="registered, under a notice",
            subjects=[identity_pb2.PersonRef(person_id="P-71", name="Sun Er")],
        )
    ).clue_id
    await api.clue("ProposeRegistration", clue_id=registered, handling_office="supervision_1")
    await api.clue("ApproveRegistration", HEAD, clue_id=registered)
    await api.clue(
        "IssueSupervisionNotice",
        clue_id=registered,
        notice_id="DB-UPG-01",
        due_at=ts(t0 + timedelta(days=10)),
        required="DISPOSED",
    )

    filed = (
        await api.clue("RegisterClue", source=ev.CLUE_SOURCE_PETITION, summary="bribes for permits", subjects=subjects)
    ).clue_id
    await api.clue("ProposeRegistration", clue_id=filed, handling_office="supervision_1")
    await api.clue("ApproveRegistration", HEAD, clue_id=filed)
    await api.clue("ProposeDisposal", clue_id=filed, method=ev.DISPOSAL_METHOD_PRELIM_CHECK, reason="specific")
    await api.clue("ApproveDisposal", HEAD, clue_id=filed)
    await api.clue(
        "SubmitPrelimCheckPlan",
        INSPECTOR,
        clue_id=filed,
        work_plan="interview, bank records",
        team=["u-insp", "u-insp2"],
        subject_heads_lower_committee=True,
    )
    await api.clue("ApprovePrelimCheckPlan", HEAD, clue_id=filed)
    await api.clue("ApprovePrelimCheckPlan", COMMITTEE, clue_id=filed)
    await api.clue(
        "ReportPrelimCheck", INSPECTOR, clue_id=filed, findings="money traced", proposal=ev.REPORT_PROPOSAL_FILE_CASE
    )
    assert (await api.clue("ApproveReport", HEAD, clue_id=filed)).state == "AWAITING_FILING"

    async def opened():  # the cases service's filing process manager, over Kafka
        history = await api.history(filed)
        for e in history.events:
            if e.envelope.event_type.endswith(".FilingProposed"):
                from services.cases.adapters.translators import case_id_for

                case_id = case_id_for(e.envelope.event_id)
                return (await api.get_case(case_id)).case_id

    case_id = await eventually(opened, "the cases service to open the filing", seconds=40)
    await api.case("ApproveFiling", HEAD, case_id=case_id, side=cev.FILING_SIDE_PARTY)
    await api.case("ApproveFiling", COMMITTEE, case_id=case_id, side=cev.FILING_SIDE_PARTY)
    await api.case("ApproveFiling", HEAD, case_id=case_id, side=cev.FILING_SIDE_SUPERVISION, plan="interviews")

    async def clue_filed():
        return (await api.get_clue(filed)).state == "CASE_FILED"

    await eventually(clue_filed, "the clue to follow its case to CASE_FILED", seconds=40)
    now = datetime.now(timezone.utc)
    await api.case("StartInvestigation", INVESTIGATOR, case_id=case_id, announced_at=ts(now), unit_notified_at=ts(now))
    measure_id = (
        await api.case(
            "RequestMeasure",
            INVESTIGATOR,
            case_id=case_id,
            kind=cev.MEASURE_KIND_DETENTION,
            person_id="P-77",
            reason="risk of collusion",
        )
    ).measure_id
    assert (await api.case("ApproveMeasure", SUPERIOR, measure_id=measure_id)).state == "ACTIVE"
    return dict(received=received, registered=registered, filed=filed, case=case_id, measure=measure_id)


async def answers(api: Calls, made: dict) -> dict:
    """Everything the story made, as the services answer it."""
    out = {name: await api.get_clue(made[name]) for name in ("received", "registered", "filed")}
    out.update(
        case=await api.get_case(made["case"]),
        measure=await api.get_measure(made["measure"]),
        list=await api.list_clues(),
        notices=await api.notices(),
        measures=await api.measures(),
    )
    return out


def _problem(what: str, platform: Platform | None = None) -> str:
    return what + (f"\n{platform.errors()}" if platform else "")


# -- the test ------------------------------------------------------------------------------------


async def test_a_data_folder_of_the_previous_commit_starts_under_the_new_code_with_nothing_lost(
    previous_code, database_url, bootstrap, tmp_path
):
    started = time.monotonic()
    prefix = f"up{uuid.uuid4().hex[:8]}"
    schemas = {s: f"{s}_{prefix}" for s in SERVICES}
    data_dir = tmp_path / "data"
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k in FOREIGN or k.endswith(("DATABASE_URL", "_GRPC_PORT", "_DATABASE_SCHEMA", "_CONSUMER_GROUP")))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATA_DIR": str(data_dir),
            "TOPIC_PREFIX": f"{prefix}.",
            "TOPIC_PARTITIONS": "3",
            "PLATFORM_TEST_MODE": "1",
            "TIMER_POLL_SECONDS": "0.2",
            "RELAY_MARKER_CHECK_SECONDS": "1",
            "RELAY_WATERMARK_SECONDS": "1",
            "AUDIT_CHECKPOINT_SECONDS": "2",
            "CONSUMER_COMMIT_SECONDS": "0.5",
            "PYTHONUNBUFFERED": "1",
            **{f"{s.upper()}_GRPC_PORT": str(free_port()) for s in SERVICES},
            **{f"{s.upper()}_DATABASE_SCHEMA": schema for s, schema in schemas.items()},
        }
    )
    settings = service_settings("clues", database_url, bootstrap, prefix, data_dir)
    tokens.load_or_create_private_key(settings.signing_key_file)  # as `make run` makes it on first start
    conn = await asyncpg.connect(database_url)
    db = Data(conn, schemas)
    old = Platform(previous_code, env, tmp_path, "old")
    new = Platform(ROOT, env, tmp_path, "new")
    try:
        # -- the previous commit writes the data folder -----------------------------------------
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import kernel, services.clues.main, clues.v1.service_pb2 as p;"
                "print(kernel.__file__); print(p.__file__)",
            ],
            cwd=previous_code,
            env=old.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert probe.returncode == 0, probe.stderr
        assert all(line.startswith(str(previous_code)) for line in probe.stdout.split()), (
            f"the old services would not run the old code: {probe.stdout}"
        )
        old.start()
        print(f"\n[upgrade] old services serving after {time.monotonic() - started:.1f} s")
        t0 = datetime.now(timezone.utc)
        api = Calls(old, settings)
        try:
            made = await old_story(api, t0)
            await eventually(db.ledger_holds_everything, "the old ledger to hold every event", seconds=40)
            before = await answers(api, made)
            old_histories = {
                sid: await api.history(sid)
                for sid in (*(made[k] for k in ("received", "registered", "filed", "case", "measure")),)
            }
            old_stories = {sid: await api.story(sid) for sid in (made["case"], made["filed"])}
        finally:
            await api.close()
        codes = old.stop()
        print(f"[upgrade] old story told and stopped after {time.monotonic() - started:.1f} s (exit {codes})")
        assert await db.ledger_holds_everything()

        old_events = {s: await db.events(s) for s in PRODUCERS}
        old_recorded = await db.recorded()
        pending = {s: {k: t for k, t in (await db.timers(s)).items() if t["status"] == "pending"} for s in PRODUCERS}
        assert not [s for s in SERVICES if await db.has_table(s, "schema_migrations")], (
            "the previous commit recorded no migrations"
        )
        timer_streams = {t["stream_id"] for ts_ in pending.values() for t in ts_.values()}
        assert timer_streams >= {
            timer_stream_id(made["received"]),
            timer_stream_id(made["registered"]),
            timer_stream_id(made["measure"]),
        }, f"pending timers: {pending}"
        assert any(t["event_type"].endswith("SupervisionNoticeOverdue") for t in pending["clues"].values())
        assert any(t["event_type"].endswith("DetentionNoticeOverdue") for t in pending["cases"].values())
        due = t0 + AHEAD
        to_fire = {s: {k for k, t in ts_.items() if t["due_at"] <= due} for s, ts_ in pending.items()}
        assert {
            k
            for s in PRODUCERS
            for k, t in pending[s].items()
            if t["event_type"].endswith(("SupervisionNoticeOverdue", "DetentionNoticeOverdue"))
        } <= to_fire["clues"] | to_fire["cases"]

        # -- the new code starts on it --------------------------------------------------------
        new.start()
        print(f"[upgrade] new services serving after {time.monotonic() - started:.1f} s")
        wanted = expected_migrations()
        for s in SERVICES:
            lines = new.lines(s, "schema.migrated")
            assert lines, _problem(f"{s}: no schema.migrated line", new)
            assert lines[-1]["schema"] == schemas[s]
            assert lines[-1]["versions"] == wanted[s], lines[-1]
            assert lines[-1]["applied"] == sum(wanted[s].values())  # every migration recorded, none refused
            assert await db.migrations(s) == wanted[s]
        for s in PRODUCERS:  # every event the old code stored, byte for byte
            now_held = await db.events(s)
            lost = {e: row for e, row in old_events[s].items() if now_held.get(e) != row}
            assert not lost, f"{s}: {len(lost)} old events lost or changed"
        assert (await db.recorded())[: len(old_recorded)] == old_recorded, "the old ledger's leaves changed"

        rebuilt_equal(new.env, schemas, "as adopted")  # the old code's projections, as the new code builds them

        api = Calls(new, settings)
        try:
            after = await answers(api, made)
            before["case"].liaison_office = "supervision_1"  # need to know: the catalogue's, for an old case
            # issue 18: a filing recorded before needs both sides, as it did (a field the old code lacked)
            before["case"].sides_needed[:] = [cev.FILING_SIDE_PARTY, cev.FILING_SIDE_SUPERVISION]
            # issue 19: GetCase lists the case's measures (measure_ids, a field the old code lacked)
            before["case"].measure_ids[:] = [made["measure"]]
            # issue 19: a line shows the notice still owed (MeasureLine.notice_due, a field the old code
            # lacked): the old detention's, 24 hours after its start (SL 50 ¶1)
            owed = before["measure"].measure.starts_at.ToDatetime(timezone.utc) + timedelta(hours=24)
            for line in (before["measure"].measure, *before["measures"].measures):
                if line.measure_id == made["measure"]:
                    line.notice_due.FromDatetime(owed)
            # issue 20: GetCase says what the case still needs, by whom, and its colour (fields the
            # old code lacked): the old investigation's report to trial review, GREEN before any
            # warning (its stage's timers were set at start, months ahead)
            old_case = before["case"]
            old_case.awaiting.add(
                service="cases",
                file_id=made["case"],
                reference=old_case.clue_number or made["case"],
                step="SendToTrialReview",
                summary="investigating: the report to trial review",
                role="investigator",
                office=old_case.handling_office,
                colour="GREEN",
            )
            old_case.colour = "GREEN"
            # issue 20: GetClue says what the clue still needs, by whom and by when (a field the old
            # code lacked): the received clue's numbering by case management (Rules 23), the registered
            # one's disposal proposal (SL 40) and its notice (督办) by the handling office's officers,
            # each due by the stage deadline the old code showed, or the notice's date
            officers = ("office_head", "resident_officer", "supervisor")
            expected = {
                "received": {("ProposeRegistration", "case_manager", before["received"].deadline.ToDatetime())},
                "registered": {("ProposeDisposal", r, before["registered"].deadline.ToDatetime()) for r in officers}
                | {("SupervisionNotice", r, ts(t0 + timedelta(days=10)).ToDatetime()) for r in officers},
                "filed": set(),  # AWAITING_FILING: the cases service acts
            }
            for name, items in expected.items():
                got = after[name].awaiting
                assert {(i.step, i.role, i.due.ToDatetime()) for i in got} == items, (name, got)
                assert {(i.service, i.file_id) for i in got} <= {("clues", made[name])}
                before[name].awaiting.extend(got)
            for name in before:  # read back exactly as the old code answered
                assert after[name] == before[name], (
                    f"{name} reads back differently:\nold {before[name]}\nnew {after[name]}"
                )
            assert {c.clue_id for c in after["list"].clues} == {made[k] for k in ("received", "registered", "filed")}
            for sid, h in old_histories.items():
                assert list((await api.history(sid)).events) == list(h.events), f"{sid}: audit history differs"
            for sid, told in old_stories.items():  # a case recorded before reads the same in the replay
                assert await api.story(sid) == told, f"{sid}: the replay differs"
            # need to know on the old clues (issue 17): their holding from their events and the
            # catalogue, so the handling office reads them and another office is told they do not exist
            for name in ("registered", "filed"):
                read = pb.GetClueRequest(clue_id=made[name], purpose="check the upgrade")
                assert (await api.clues.GetClue(read, metadata=api.md(INSPECTOR), timeout=10)).clue_id == made[name]
                with pytest.raises(grpc.aio.AioRpcError) as hidden:
                    await api.clues.GetClue(read, metadata=api.md(OTHER_OFFICE), timeout=10)
                assert (hidden.value.code(), hidden.value.details()) == (
                    grpc.StatusCode.NOT_FOUND,
                    f"clue {made[name]!r} not found",
                )

            # -- the pending timers fire once, on the new code ------------------------------------
            await api.set_clock(due)

            async def fired():
                now_timers = {s: await db.timers(s) for s in PRODUCERS}
                return all(now_timers[s][k]["status"] == "fired" for s in PRODUCERS for k in to_fire[s]) and now_timers

            timers_now = await eventually(fired, "every pending timer due to fire", seconds=30)
            for s in PRODUCERS:
                events_now = await db.events(s)
                fired_ids = [str(timers_now[s][k]["fired_event_id"]) for k in to_fire[s]]
                assert len(set(fired_ids)) == len(fired_ids) and all(e in events_now for e in fired_ids)
                assert not [k for k, t in timers_now[s].items() if t["status"] == "pending" and t["due_at"] <= due]
            print(
                "[upgrade] old timers fired on the new code: "
                + "; ".join(
                    f"{s} {sorted(pending[s][k]['event_type'].split('.')[-1] for k in to_fire[s])}" for s in PRODUCERS
                )
            )

            warned = {
                name: {("ClueWarningRaised", rule, c) for c in ("YELLOW", "RED")}
                for name, rule in (("received", "forward-or-register"), ("registered", "propose-disposal"))
            }
            at_due = {
                timer_stream_id(made["received"]): warned["received"],
                timer_stream_id(made["registered"]): warned["registered"]
                | {("SupervisionNoticeOverdue", "DB-UPG-01", "")},
                timer_stream_id(made["measure"]): {("DetentionNoticeOverdue", "", "")},
            }
            for stream, wanted_there in at_due.items():  # in the ledger, each once
                await raised_exactly(api, stream, wanted_there)
            for name in ("received", "registered"):
                assert (await api.get_clue(made[name])).colour == ev.WARNING_COLOUR_RED
            notice = {n.notice_id: n for n in (await api.notices()).notices}["DB-UPG-01"]
            assert notice.overdue, notice
            assert (await api.get_measure(made["measure"])).measure.notice_overdue

            # -- new commands go on from the old versions ----------------------------------------
            reg = before["registered"]
            moved = await api.clue(
                "ProposeDisposal",
                clue_id=made["registered"],
                expected_version=reg.version,
                method=ev.DISPOSAL_METHOD_TALK_OR_LETTER,
                reason="after the upgrade",
            )
            assert moved.version == reg.version + 1
            assert (await api.clue("ApproveDisposal", HEAD, clue_id=made["registered"])).state == "TALK_OR_LETTER"
            numbered = await api.clue(
                "ProposeRegistration",
                clue_id=made["received"],
                expected_version=before["received"].version,
                handling_office="supervision_1",
            )
            assert numbered.version == before["received"].version + 1
            number = (await api.get_clue(made["received"])).clue_number
            old_numbers = {before[k].clue_number for k in ("registered", "filed")}
            assert number and number not in old_numbers
            same_year = [n for n in old_numbers if n.rsplit("-", 1)[0] == number.rsplit("-", 1)[0]]
            if same_year:  # the office's sequence goes on where the old code left it
                assert int(number.rsplit("-", 1)[1]) == max(int(n.rsplit("-", 1)[1]) for n in same_year) + 1
            told = ts(due)
            notified = await api.case(
                "GiveDetentionNotice",
                HOLDER,
                measure_id=made["measure"],
                unit_notified_at=told,
                family_notified_at=told,
                expected_version=before["measure"].version,
            )
            assert notified.version == before["measure"].version + 1
            recorded = await api.case(
                "RecordActivity",
                HOLDER,
                case_id=made["case"],
                activity=cev.RECORDED_ACTIVITY_INTERROGATION,
                recording=RECORDING,
                measure_id=made["measure"],
                expected_version=before["case"].version,
            )
            assert recorded.version == before["case"].version + 1
            fresh = (
                await api.clue(
                    "RegisterClue",
                    source=ev.CLUE_SOURCE_AUDIT,
                    summary="after the upgrade",
                    subjects=[identity_pb2.PersonRef(person_id="P-72", name="Li Si")],
                )
            ).clue_id

            # -- the timers further ahead fire too (or were cancelled by the new commands) ---------
            last = max(t["due_at"] for ts_ in pending.values() for t in ts_.values()) + timedelta(minutes=1)
            await api.set_clock(last)

            async def settled():
                now_timers = {s: await db.timers(s) for s in PRODUCERS}
                return (
                    not [k for s in PRODUCERS for k in pending[s] if now_timers[s][k]["status"] == "pending"]
                    and now_timers
                )

            timers_now = await eventually(settled, "every old timer fired or cancelled", seconds=30)
            # each raised once: the old timers, or (a measure's expiry) the ones its command rescheduled
            at_last = {
                **at_due,
                timer_stream_id(made["received"]): at_due[timer_stream_id(made["received"])]
                | {("ClueWarningRaised", "undisposed", c) for c in ("YELLOW", "RED")},
                timer_stream_id(made["measure"]): {
                    ("DetentionNoticeOverdue", "", ""),
                    ("MeasureExpiring", "", ""),
                    ("MeasureExpired", "", ""),
                },
            }
            for stream, wanted_there in at_last.items():
                await raised_exactly(api, stream, wanted_there)
            print(f"[upgrade] clock at {last:%Y-%m-%d}: every old timer fired once or was rescheduled")
            for s in PRODUCERS:
                events_now = await db.events(s)
                fired_ids = [str(t["fired_event_id"]) for t in timers_now[s].values() if t["status"] == "fired"]
                assert len(set(fired_ids)) == len(fired_ids) and set(fired_ids) <= set(events_now)
            listed = {c.clue_id: c for c in (await api.list_clues()).clues}
            assert set(listed) == {fresh, *(made[k] for k in ("received", "registered", "filed"))}
            for clue_id, line in listed.items():  # the list (a projection) agrees with each clue's events
                got = await api.get_clue(clue_id)
                assert (
                    line.clue_number,
                    line.state,
                    line.handling_office,
                    line.receiving_office,
                    line.priority,
                    line.colour,
                    line.deadline,
                    line.received_at,
                    line.summary,
                ) == (
                    got.clue_number,
                    got.state,
                    got.handling_office,
                    got.receiving_office.office_id,
                    got.priority,
                    got.colour,
                    got.deadline,
                    got.received_at,
                    got.summary,
                ), f"{clue_id}: listed {line}, read {got}"
            [line] = [m for m in (await api.measures()).measures if m.measure_id == made["measure"]]
            assert line == (await api.get_measure(made["measure"])).measure

            # -- the ledger takes the new events, each once, with no gap -------------------------
            produced = await eventually(lambda: _all_recorded(db), "the new ledger to hold every event", seconds=40)
            leaves = await db.recorded()
            assert [i for i, _, _ in leaves] == list(range(len(leaves))), "leaf indices are not 0..n-1"
            assert len({e for _, e, _ in leaves}) == len(leaves) == len(produced), "an event recorded twice"
            from services.audit.app.ledger import root_at

            size = await conn.fetchval(f"SELECT size FROM {schemas['audit']}.ledger_head")
            assert size == len(leaves)
            assert await root_at(conn, schemas["audit"], size) == root_of([leaf_hash(b) for _, _, b in leaves])
            for table in ("quarantine", "consumer_quarantine", "inbox_held"):
                if await db.has_table("audit", table):
                    assert await conn.fetchval(f"SELECT count(*) FROM {schemas['audit']}.{table}") == 0, table
            counts = {f"{prefix}.{s}.events.v1": len(await db.events(s)) for s in (*PRODUCERS, "audit")}

            async def complete():
                got = {c.topic: c for c in (await api.checkpoint()).completeness}
                return (
                    all(t in got and got[t].complete_count == n and got[t].missing == 0 for t, n in counts.items())
                    and got
                )

            judged = await eventually(complete, f"the ledger judged complete through {counts}", seconds=30)
            assert {t: (judged[t].complete_count, judged[t].missing) for t in counts} == {
                t: (n, 0) for t, n in counts.items()
            }
        finally:
            await api.close()

        # -- every projection rebuilds equal ------------------------------------------------------
        rebuilt_equal(new.env, schemas, "after the new commands")
        print(f"[upgrade] done after {time.monotonic() - started:.1f} s")
    except BaseException:
        print(old.errors() if old.log_path("clues").exists() else "")
        print(new.errors() if new.log_path("clues").exists() else "")
        raise
    finally:
        old.stop()
        new.stop()
        await conn.close()


async def raised_exactly(api: Calls, stream: str, wanted: set[tuple[str, str, str]]) -> None:
    """The ledger holds exactly `wanted` of the timer stream, each once."""

    async def enough():
        return len((await api.history(stream)).events) >= len(wanted)

    await eventually(enough, f"{len(wanted)} timer events of {stream} in the ledger")
    await asyncio.sleep(0.5)  # and nothing more comes
    said = [_timer_event(e) for e in (await api.history(stream)).events]
    assert sorted(said) == sorted(wanted), f"{stream}: raised {said}"


def _timer_event(recorded) -> tuple[str, str, str]:
    """(event type, rule or notice id, colour) of a timer's event as the ledger holds it."""
    kind = recorded.envelope.event_type.split(".")[-1]
    if kind == "ClueWarningRaised":
        w = unpack(parse(recorded.envelope_bytes), ev.ClueWarningRaised)
        return kind, w.rule, ev.WarningColour.Name(w.colour).removeprefix("WARNING_COLOUR_")
    if kind == "SupervisionNoticeOverdue":
        return kind, unpack(parse(recorded.envelope_bytes), ev.SupervisionNoticeOverdue).notice_id, ""
    return kind, "", ""


async def _all_recorded(db: Data):
    produced = await db.produced()
    recorded = {e for _, e, _ in await db.recorded()}
    return recorded >= produced and produced


def rebuilt_equal(env: dict, schemas: dict[str, str], when: str) -> None:
    for command in rebuild_commands(schemas):
        done = subprocess.run(
            [sys.executable, "-m", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{' '.join(command)} {when} found a difference:\n{done.stdout}\n{done.stderr}"
        print(f"[upgrade] {when}, {' '.join(command[:3])}: " + "; ".join(done.stdout.split("\n")).strip("; "))


def rebuild_commands(schemas: dict[str, str]) -> list[list[str]]:
    """The projection rebuilds this code has, in their compare-only mode (each service's schema
    comes from the environment, <SERVICE>_DATABASE_SCHEMA, as the service reads it)."""
    return [["kernel.eventstore.rebuild", "--service", s, "--check", "--quiet"] for s in SERVICES]
