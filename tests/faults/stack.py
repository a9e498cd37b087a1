"""A private platform for fault scenarios: its own PostgreSQL and broker, the clues, cases and
audit services as real processes (so they can be SIGKILLed), a load of concurrent gRPC clients,
and the exact count every scenario ends with."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.edge import tokens
from kernel.runtime.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
from services.audit.domain.merkle import leaf_hash, root_of
from tests.factories import OPERATOR, call_metadata, service_settings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("clues", "cases", "audit")
PRODUCERS = ("clues", "cases")
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class Stack:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pg = EmbeddedPostgres(tmp / "pg", port=free_port()).start()
        self.broker = EmbeddedBroker(port=free_port()).start(log_path=tmp / "broker.log")
        self.ports = {s: free_port() for s in SERVICES}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "_GRPC_PORT"))},
            "DATABASE_URL": self.pg.url,
            "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap,
            "DATA_DIR": str(tmp / "data"),
            "TOPIC_PREFIX": "",
            "TOPIC_PARTITIONS": "3",
            "RELAY_MARKER_CHECK_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
            "AUDIT_CHECKPOINT_SECONDS": "2",
            "RELAY_WATERMARK_SECONDS": "1",
            **{f"{s.upper()}_GRPC_PORT": str(p) for s, p in self.ports.items()},
        }
        self.settings = service_settings("clues", self.pg.url, self.broker.bootstrap, "", tmp / "data")
        tokens.load_or_create_private_key(self.settings.signing_key_file)
        self.procs: dict[str, subprocess.Popen] = {}
        self.acknowledged: set[str] = set()  # clue ids answered to any load on this stack

    # -- processes ----------------------------------------------------------------------------
    def start(self, service: str, **env: str) -> None:
        with open(self.tmp / f"{service}.log", "ab") as out:
            self.procs[service] = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}.main"],
                cwd=ROOT,
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_serving(self.address(service), self.procs[service])

    def kill(self, service: str) -> None:
        proc = self.procs.pop(service)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop(self, service: str) -> None:
        proc = self.procs.pop(service)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]}"

    def close(self) -> None:
        for service in list(self.procs):
            self.stop(service)
        self.broker.stop()
        self.pg.stop()
        shutil.rmtree(self.pg.data_dir, ignore_errors=True)  # it may live outside tmp (see kernel.runtime.embedded)

    def log(self, service: str) -> str:
        return (self.tmp / f"{service}.log").read_text(errors="replace")

    async def status(self, service: str) -> control_pb2.GetStatusResponse:
        async with grpc.aio.insecure_channel(self.address(service)) as ch:
            return await control_pb2_grpc.ControlServiceStub(ch).GetStatus(
                control_pb2.GetStatusRequest(), metadata=call_metadata(self.settings, OPERATOR), timeout=10
            )

    # -- the exact count ------------------------------------------------------------------------
    async def converged(self, load: Load, seconds: float = 120) -> Counter:
        """Wait until the ledger holds every producer event, then check it exactly: each once,
        nothing held or kept aside, every acknowledged command stored, the tree whole."""
        conn = await asyncpg.connect(self.pg.url)
        try:
            deadline = time.monotonic() + seconds
            while True:
                produced, recorded = await _produced(conn), await _recorded(conn)
                if set(recorded) == produced or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            missing = produced - set(recorded)
            assert not missing, f"{len(missing)} of {len(produced)} events never reached the ledger"
            assert len(recorded) == len(set(recorded)) == len(produced), "an event was recorded twice"
            assert not set(recorded) - produced, "the ledger holds an event no producer stored"
            for table in ("quarantine", "consumer_quarantine", "inbox_held"):
                assert await conn.fetchval(f"SELECT count(*) FROM audit.{table}") == 0, f"audit.{table} not empty"
            registered = {
                r[0]
                for r in await conn.fetch(
                    "SELECT stream_id FROM clues.events WHERE event_type = 'clues.v1.ClueRegistered'"
                )
            }
            lost = self.acknowledged - registered
            assert not lost, f"{len(lost)} acknowledged RegisterClue calls have no clue in the store"
            assert len(registered) == len(self.acknowledged), "a retried call registered a second clue"
            await _tree_whole(conn)
            await _judged_complete(conn, deadline)
            return Counter(events=len(produced), acknowledged=len(load.acknowledged), **load.outcomes)
        finally:
            await conn.close()


async def _produced(conn) -> set[str]:
    ids: set[str] = set()
    for schema in PRODUCERS:
        if await conn.fetchval("SELECT to_regclass($1)", f"{schema}.events"):
            ids |= {str(r[0]) for r in await conn.fetch(f"SELECT event_id FROM {schema}.events")}
    return ids


async def _recorded(conn) -> list[str]:
    if not await conn.fetchval("SELECT to_regclass('audit.recorded_events')"):
        return []
    return [str(r[0]) for r in await conn.fetch("SELECT event_id FROM audit.recorded_events")]


async def _tree_whole(conn) -> None:
    """The head's size is the leaf count, leaves are 0..size-1, and the root stored as nodes is
    the root of the stored envelopes' hashes."""
    from services.audit.app.ledger import root_at

    size = await conn.fetchval("SELECT size FROM audit.ledger_head")
    rows = await conn.fetch("SELECT leaf_index, envelope FROM audit.recorded_events ORDER BY leaf_index")
    assert [r["leaf_index"] for r in rows] == list(range(size)), "leaf indices are not 0..size-1"
    assert await root_at(conn, "audit", size) == root_of([leaf_hash(bytes(r["envelope"])) for r in rows])


async def _judged_complete(conn, deadline: float) -> None:
    """The ledger itself, from the relays' watermarks, finds every producer complete through all
    it stored: no loss unnoticed, and (with the log) no false gap raised by any fault."""
    for schema in PRODUCERS:
        produced = (
            await conn.fetchval(f"SELECT count(*) FROM {schema}.events")
            if await conn.fetchval("SELECT to_regclass($1)", f"{schema}.events")
            else 0
        )
        if not produced:
            continue
        while True:
            row = await conn.fetchrow(
                "SELECT verified_count, missing FROM audit.completeness WHERE topic = $1", f"{schema}.events.v1"
            )
            if row is not None and row["verified_count"] == produced and row["missing"] == 0:
                break
            assert time.monotonic() < deadline, f"{schema}: judged complete {dict(row or {})}, stored {produced}"
            await asyncio.sleep(0.5)


def wait_serving(address: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, f"service at {address} exited with {proc.returncode}"
        try:
            with grpc.insecure_channel(address) as ch:
                reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        assert time.monotonic() < deadline, f"service at {address} not serving after {seconds} s"
        time.sleep(0.2)


class Load:
    """`clients` concurrent officers registering clues; a call that fails UNAVAILABLE or times out
    is retried with the same request id until it is answered (its outcome was unknown)."""

    def __init__(self, stack: Stack, clients: int = 8, summary_bytes: int = 40):
        self.stack, self.clients, self.summary = stack, clients, "x" * summary_bytes
        self.acknowledged: set[str] = set()
        self.outcomes: Counter = Counter()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def start(self) -> Load:
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._client(i)) for i in range(self.clients)]
        return self

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def until(self, acknowledged: int, seconds: float = 60) -> None:
        """Wait until at least `acknowledged` calls in all were answered."""
        deadline = time.monotonic() + seconds
        while len(self.acknowledged) < acknowledged:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} calls answered"
            await asyncio.sleep(0.05)

    async def _client(self, i: int) -> None:
        async with grpc.aio.insecure_channel(self.stack.address("clues")) as ch:
            stub = clues_grpc.ClueServiceStub(ch)
            while not self._stop.is_set():
                clue_id = await self._register(stub, str(uuid.uuid4()))
                self.acknowledged.add(clue_id)
                self.stack.acknowledged.add(clue_id)

    async def _register(self, stub, request_id: str) -> str:
        request = clues_pb2.RegisterClueRequest(
            source=events_pb2.CLUE_SOURCE_AUDIT,
            summary=self.summary,
            subjects=[identity_pb2.PersonRef(person_id="p-1", name="n")],
        )
        metadata = call_metadata(self.stack.settings, request_id=request_id)
        while True:  # an unanswered call is retried as it is: same request id, same content
            try:
                reply = await stub.RegisterClue(request, metadata=metadata, timeout=5)
                self.outcomes["ok"] += 1
                return reply.clue_id
            except grpc.aio.AioRpcError as e:
                assert e.code() in RETRYABLE, f"RegisterClue answered {e.code().name}: {e.details()}"
                self.outcomes[e.code().name.lower()] += 1
                await asyncio.sleep(0.2)
