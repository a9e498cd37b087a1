"""`make run` supervises itself: a SIGKILLed service, PostgreSQL postmaster or broker comes back and
serves again (PostgreSQL with its data), the restart is logged, and Ctrl-C still stops everything.

One runner for the whole module: its start-up is the expensive part.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from kernel.runtime.embedded import free_port
from kernel.runtime.platform import load_platform
from tests.factories import call_metadata, service_settings

SERVICES = load_platform().names

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]
# Anything that would point the runner at servers other than its own embedded ones.
FOREIGN_ENV = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "TOPIC_PREFIX",
    "TOKEN_PUBLIC_KEY_FILES",
    "TOKEN_SIGNING_KEY_FILE",
    "DATA_DIR",
    *(f"{s.upper()}_DATABASE_URL" for s in SERVICES),
)


class Runner:
    def __init__(self, tmp: Path):
        self.data = tmp / "data"
        self.err = tmp / "runner.err"
        ports = {s: free_port() for s in SERVICES}
        self.clues = f"127.0.0.1:{ports['clues']}"
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
        env.update({f"{s.upper()}_GRPC_PORT": str(p) for s, p in ports.items()})
        env.update(RUN_MAX_RESTARTS="5", RUN_RESTART_WINDOW_SECONDS="60", PYTHONUNBUFFERED="1")
        with open(self.err, "wb") as err:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kernel.runtime.runner",
                    "--data-dir",
                    str(self.data),
                    "--pg-port",
                    str(free_port()),
                    "--kafka-port",
                    str(free_port()),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.settings = service_settings("clues", "", "", "sup", self.data)

    def log(self) -> str:
        return "\n".join(line for line in self.err.read_text(errors="replace").splitlines() if line.startswith("[run]"))

    def pid(self, child: str) -> int:
        """The child's pid as the runner last announced it (start line or restart line)."""
        start = {"postgres": r"embedded PostgreSQL ", "broker": r"embedded broker "}.get(child, rf"{child} +gRPC ")
        found = re.findall(rf"^\[run\] (?:{start}.*\bpid|{child} restarted \(pid) (\d+)", self.log(), re.M)
        assert found, f"no pid of {child} in:\n{self.log()}"
        return int(found[-1])

    def wait_log(self, pattern: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not re.search(pattern, self.log(), re.M):
            assert self.proc.poll() is None, f"runner exited {self.proc.returncode}:\n{self.log()}"
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{self.log()}"
            time.sleep(0.2)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def serving(address: str) -> bool:
    try:
        with grpc.insecure_channel(address) as ch:
            resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        return resp.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


def register_clue(runner: Runner) -> str:
    req = clues_pb2.RegisterClueRequest(
        source=events_pb2.CLUE_SOURCE_AUDIT,
        summary="supervised",
        subjects=[identity_pb2.PersonRef(person_id="p-sup", name="n")],
    )
    with grpc.insecure_channel(runner.clues) as ch:
        resp = clues_grpc.ClueServiceStub(ch).RegisterClue(
            req, metadata=call_metadata(runner.settings, request_id=str(uuid.uuid4())), timeout=10
        )
    return resp.clue_id


def get_clue(runner: Runner, clue_id: str):
    with grpc.insecure_channel(runner.clues) as ch:
        return clues_grpc.ClueServiceStub(ch).GetClue(
            clues_pb2.GetClueRequest(clue_id=clue_id, purpose="check the clue survived"),
            metadata=call_metadata(runner.settings),
            timeout=10,
        )


def wait_serving(address: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not serving(address):
        assert time.monotonic() < deadline, f"{address} not SERVING within {seconds:g} s"
        time.sleep(0.5)


def eventually(fn, seconds: float = 90):
    """fn() once it stops raising gRPC errors (the service or its store is coming back)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except grpc.RpcError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def descendants(pid: int) -> set[int]:
    """pid's process tree, from /proc (no psutil)."""
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            parent[int(d.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    tree, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parent.items() if pp == p}
        tree |= kids
        todo += kids
    return tree


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    r = Runner(tmp_path_factory.mktemp("supervised"))
    try:
        r.wait_log(r"^\[run\] supervising", seconds=120)
        deadline = time.monotonic() + 120
        while not serving(r.clues):
            assert r.proc.poll() is None and time.monotonic() < deadline, r.log()
            time.sleep(0.5)
        yield r
    finally:
        r.stop()
        print(r.log())  # shown by pytest when a test failed
        if found := re.search(r"\(data (\S+);", r.log()):  # placed outside tmp when `nobody` cannot reach tmp
            shutil.rmtree(found[1], ignore_errors=True)


def test_a_killed_service_is_restarted_and_serves_again(runner):
    before = eventually(lambda: register_clue(runner))
    pid = runner.pid("clues")
    os.kill(pid, signal.SIGKILL)
    runner.wait_log(rf"^\[run\] clues \(pid {pid}\) died: killed by SIGKILL; restart 1 in ")
    runner.wait_log(r"^\[run\] clues restarted \(pid \d+; restart 1\)")
    assert runner.pid("clues") != pid
    wait_serving(runner.clues)
    after = eventually(lambda: register_clue(runner))
    assert after != before
    others = "|".join(s for s in SERVICES if s != "clues")
    assert not re.search(rf"^\[run\] (?:{others}) \(pid", runner.log(), re.M), "only clues should have restarted"


def test_a_killed_postgres_is_restarted_with_its_data(runner):
    kept = eventually(lambda: register_clue(runner))
    pgdata = Path(re.search(r"\(data (\S+);", runner.log())[1]) / "pgdata"
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    assert pid == runner.pid("postgres")
    os.kill(pid, signal.SIGKILL)
    runner.wait_log(rf"^\[run\] postgres \(pid {pid}\) died: postmaster gone")
    runner.wait_log(r"^\[run\] postgres restarted \(pid \d+")
    assert eventually(lambda: register_clue(runner))
    assert eventually(lambda: get_clue(runner, kept)).clue_id == kept  # the data survived


def test_a_killed_broker_is_restarted_empty_on_its_port(runner):
    pid = runner.pid("broker")
    port = int(re.search(r"embedded broker +127\.0\.0\.1:(\d+)", runner.log())[1])
    os.kill(pid, signal.SIGKILL)
    runner.wait_log(rf"^\[run\] broker \(pid {pid}\) died: killed by SIGKILL; restart 1 in ")
    runner.wait_log(r"^\[run\] broker restarted \(pid \d+")
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert eventually(lambda: register_clue(runner))  # a command never needed the broker


def test_ctrl_c_stops_everything_and_leaves_nothing_behind(runner):
    tree = descendants(runner.proc.pid) | {runner.pid("postgres"), runner.pid("broker")}
    tree |= descendants(runner.pid("postgres"))
    assert len(tree) >= 6
    assert runner.stop() == 0, runner.log()
    assert re.search(r"^\[run\] stopped", runner.log(), re.M), runner.log()
    if "clues restarted" in runner.log():  # the restarts are counted in the closing line
        assert re.search(r"^\[run\] stopped; restarts: .*clues \d", runner.log(), re.M), runner.log()
    time.sleep(1)  # PostgreSQL's backends and the reaper finish after the postmaster
    left = [p for p in tree if running(p)]
    assert not left, f"left behind: {left}"
