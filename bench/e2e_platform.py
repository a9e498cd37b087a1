"""The platform an end-to-end benchmark drives: started as `make run` starts it
(kernel/runtime/runner.py in a subprocess, its own data folder and free ports), or the one a
`make run` already serves (`--target`); where its services listen, a token, its processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench import cpu
from bench.common import say
from kernel.domain.principal import Principal
from kernel.edge import tokens
from kernel.runtime.embedded import free_port
from kernel.runtime.platform import load_platform, platform_file

RUNNER = "kernel.runtime.runner"
CLERK = Principal("commission", "case_management", "case_manager", "u-bench")  # may register clues
OPERATOR = Principal("commission", "platform_operations", "platform_operator", "u-bench-ops")  # reads status


@dataclass
class Platform:
    data_dir: Path
    database_url: str
    addresses: dict[str, str]  # service -> host:port
    runner: subprocess.Popen | None = None  # ours to stop; None for a --target
    runner_pid: int | None = None
    processes: dict[str, int] = field(default_factory=dict)  # name -> pid, for CPU figures

    def token(self, principal: Principal) -> str:
        key = tokens.load_private_key(self.data_dir / "keys" / "token-signing.key")
        return tokens.TokenSigner(key).issue(principal, 24 * 3600)

    def stop(self) -> None:
        if self.runner is None or self.runner.poll() is not None:
            return
        self.runner.send_signal(signal.SIGINT)  # as Ctrl-C on `make run`: services, broker, PostgreSQL
        try:
            self.runner.wait(timeout=60)
        except subprocess.TimeoutExpired:
            say(f"the runner (pid {self.runner.pid}) did not stop within 60 s; killing it")
            self.runner.kill()
            self.runner.wait()
        if self.runner.returncode == 0:  # stopped cleanly: its data is of no further use (else kept to read)
            shutil.rmtree(self.data_dir, ignore_errors=True)


def start(log_path: Path | None = None) -> Platform:
    """`make run` in a subprocess: a fresh data folder, free ports for PostgreSQL, the broker and
    each service (metrics endpoints off: nothing here reads them), its log in `log_path`."""
    data = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    env = dict(os.environ, DATA_DIR=str(data))
    for name in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "TOPIC_PREFIX", "PLATFORM_TEST_MODE"):
        env.pop(name, None)
    addresses = {}
    for name in load_platform(platform_file(env)).names:
        port = free_port()
        env[f"{name.upper()}_GRPC_PORT"], env[f"{name.upper()}_METRICS_PORT"] = str(port), "0"
        addresses[name] = f"127.0.0.1:{port}"
    pg_port = free_port()
    env["EMBEDDED_PG_PORT"], env["EMBEDDED_KAFKA_PORT"] = str(pg_port), str(free_port())
    log = open(log_path or data / "run.log", "ab")  # noqa: SIM115 - the runner's, closed with it
    runner = subprocess.Popen([sys.executable, "-m", RUNNER], env=env, stdout=log, stderr=subprocess.STDOUT)
    say(f"make run started (pid {runner.pid}, data {data}, log {log.name})")
    url = f"postgresql://postgres@127.0.0.1:{pg_port}/postgres"
    return Platform(data, url, addresses, runner=runner, runner_pid=runner.pid)


def target(data_dir: str, database_url: str) -> Platform:
    """The platform a `make run` serves, found as jjjc finds it (ports and DATA_DIR from the
    environment as the runner reads them)."""
    from tools.jjjc import env as jjjc_env

    data = jjjc_env.data_dir(Path(data_dir) if data_dir else None)
    addresses = {name: jjjc_env.address(name) for name in jjjc_env.services()}
    runners = [p for p in cpu.all_stats() if f"-m {RUNNER}" in cpu.cmdline(p)]
    if len(runners) != 1:
        say(f"{len(runners)} `make run` processes found: CPU per process is not reported")
    return Platform(
        data,
        database_url or jjjc_env.database_url("audit"),
        addresses,
        runner_pid=runners[0] if len(runners) == 1 else None,
    )


def serving(address: str) -> bool:
    try:
        with grpc.insecure_channel(address) as ch:
            got = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
        return got.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


def wait_serving(p: Platform, seconds: float = 300.0) -> None:
    deadline = time.monotonic() + seconds
    while not all(serving(a) for a in p.addresses.values()):
        if p.runner is not None and p.runner.poll() is not None:
            raise SystemExit(f"make run ended (exit {p.runner.returncode}); see {p.data_dir / 'run.log'}")
        if time.monotonic() > deadline:
            raise SystemExit(f"the services did not all serve within {seconds:g} s")
        time.sleep(0.5)


async def find_processes(p: Platform) -> None:
    """Each service's process and the broker's (under the runner), PostgreSQL's postmaster (the
    parent of a backend: pg_ctl daemonises it, so it is no child of the runner)."""
    stats = cpu.all_stats()
    if p.runner_pid is not None:
        names = load_platform(platform_file()).names
        for pid in cpu.descendants(stats, p.runner_pid):
            line = cpu.cmdline(pid)
            for name in names:
                if f"services.{name}.main" in line:
                    p.processes[name] = pid
            if "tansu" in line and stats[pid].ppid == p.runner_pid:
                p.processes["broker"] = pid
    conn = await asyncpg.connect(p.database_url)
    try:
        backend = cpu.stat(await conn.fetchval("SELECT pg_backend_pid()"))  # read while it lives
    finally:
        await conn.close()
    if backend is not None:
        p.processes["postgres"] = backend.ppid
