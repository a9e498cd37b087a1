"""`make run`: the whole platform on one machine, supervised.

With no DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS it starts embedded PostgreSQL and the embedded
broker under the data folder (DATA_DIR, default ./.data); then the four services, each in its
own process, and prints where each listens and each process id; once every service answers its
gRPC health check SERVING, a "ready" line (how long it took) follows their addresses and metrics
endpoints. While a relay republishes its store (at every start: the embedded broker keeps nothing;
and after the broker's restart) a progress line every 2 s says how far it is, from the service's
metrics (the `store` figures events and relay_backlog), and one says when it caught up.

Supervision: when a service, the embedded PostgreSQL or the embedded broker dies, the runner
says so on stderr and restarts it after a backoff (0.5 s, doubling up to 10 s; back to 0.5 s
once it has run 30 s). PostgreSQL comes back on the same data folder (nothing is lost); the
broker comes back empty and the relays republish from PostgreSQL. Services ride out a
PostgreSQL or broker restart by retrying, so they are not restarted for it. A child that fails
more than --max-restarts times within --restart-window seconds is a fault to fix, not to hide:
the runner says so, stops everything and exits with status 1.

Ctrl-C (or SIGTERM) stops everything: the services (SIGTERM, SIGKILL after 15 s), then the
broker, then PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from kernel.edge import tokens
from kernel.runtime.embedded import EmbeddedBroker, EmbeddedPostgres
from kernel.runtime.platform import ServiceEntry, load_platform, platform_file
from kernel.runtime.settings import metrics_port
from kernel.runtime.supervisor import ChildHistory, Republishing, RestartPolicy

STOP_TIMEOUT = 15.0  # seconds a service gets between SIGTERM and SIGKILL
TICK = 0.25  # seconds between looks at the children
FIGURES_EVERY = 2.0  # seconds between reads of the services' store figures (republish progress)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="make run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ".data"), help="data folder (default .data)")
    p.add_argument(
        "--pg-port",
        type=int,
        default=int(os.environ.get("EMBEDDED_PG_PORT", "55432")),
        help="embedded PostgreSQL port (default 55432)",
    )
    p.add_argument(
        "--kafka-port",
        type=int,
        default=int(os.environ.get("EMBEDDED_KAFKA_PORT", "59092")),
        help="embedded broker port (default 59092)",
    )
    p.add_argument(
        "--max-restarts",
        type=int,
        default=int(os.environ.get("RUN_MAX_RESTARTS", "5")),
        help="failures of one child tolerated within the window; one more stops everything "
        "(env RUN_MAX_RESTARTS, default 5; 0 = stop at the first failure)",
    )
    p.add_argument(
        "--restart-window",
        type=float,
        default=float(os.environ.get("RUN_RESTART_WINDOW_SECONDS", "60")),
        help="the window in seconds (env RUN_RESTART_WINDOW_SECONDS, default 60)",
    )
    args = p.parse_args(argv)
    if args.max_restarts < 0 or args.restart_window <= 0:
        p.error("--max-restarts must be >= 0 and --restart-window > 0")
    return args


def say(msg: str) -> None:
    print(f"[run] {msg}", file=sys.stderr, flush=True)


def _exit_text(rc: int) -> str:
    return f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exit code {rc}"


class ServiceChild:
    def __init__(self, entry: ServiceEntry, env: dict):
        self.entry, self.name, self.env, self.proc = entry, entry.name, env, None
        up = entry.name.upper()
        host = env.get(f"{up}_GRPC_HOST") or env.get("GRPC_HOST") or "127.0.0.1"
        self.host = "127.0.0.1" if host in ("0.0.0.0", "::", "[::]") else host  # where we reach it
        self.port = int(env.get(f"{up}_GRPC_PORT") or entry.port)
        self.address = f"{host}:{self.port}"
        self.metrics_port = metrics_port(env, entry.name)
        self.tls = bool(env.get(f"{up}_TLS_CERT_FILE") or env.get("TLS_CERT_FILE"))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", self.entry.module], env=self.env)

    def death(self) -> str | None:
        """None while it runs, else how it ended."""
        rc = self.proc.poll()
        return None if rc is None else _exit_text(rc)


class PostgresChild:
    """pg_ctl daemonises the postmaster: not our child, so no exit code, only its absence."""

    name = "postgres"

    def __init__(self, pg: EmbeddedPostgres):
        self.pg, self.pid = pg, pg.postmaster_pid()

    def start(self) -> None:
        self.pg.start()
        self.pid = self.pg.postmaster_pid()

    def death(self) -> str | None:
        return None if self.pg.alive() else "postmaster gone (not our child: exit status unknown)"


class BrokerChild:
    name = "broker"

    def __init__(self, broker: EmbeddedBroker):
        self.broker = broker

    @property
    def pid(self) -> int:
        return self.broker.proc.pid

    def start(self) -> None:
        self.broker.start()

    def death(self) -> str | None:
        rc = self.broker.proc.poll()
        return None if rc is None else _exit_text(rc)


class Supervisor:
    """Watches the children; restarts the dead after the policy's backoff."""

    def __init__(self, children: list, policy: RestartPolicy, clock=time.monotonic):
        self.children, self.policy, self.clock = children, policy, clock
        self.history = {c.name: ChildHistory(policy, clock()) for c in children}
        self.due: dict[str, float] = {}  # child name -> when its pending restart is due

    def tick(self) -> str | None:
        """One look at every child; returns the name of one that keeps failing, if any."""
        for c in self.children:
            now = self.clock()
            if c.name in self.due:
                if now >= self.due[c.name] and not self._restart(c, now):
                    return c.name
            elif (why := c.death()) is not None and not self._failed(c, f"(pid {c.pid}) died: {why}", now):
                return c.name
        return None

    def _failed(self, c, what: str, now: float) -> bool:
        v = self.history[c.name].failed(now)
        p = self.policy
        if v.give_up:
            say(
                f"{c.name} {what}; {v.failures} failures within {p.window:g} s (more than "
                f"--max-restarts {p.max_restarts}): giving up, stopping everything"
            )
            return False
        say(
            f"{c.name} {what}; restart {v.restarts} in {v.delay:g} s "
            f"(failure {v.failures} of {p.max_restarts} tolerated within {p.window:g} s)"
        )
        self.due[c.name] = now + v.delay
        return True

    def _restart(self, c, now: float) -> bool:
        del self.due[c.name]
        self.history[c.name].started(now)
        try:
            c.start()
        except Exception as e:  # noqa: BLE001 - a failed start is one more failure for the policy
            return self._failed(c, f"did not start again ({e})", self.clock())
        say(f"{c.name} restarted (pid {c.pid}; restart {self.history[c.name].restarts})")
        return True

    def restarts(self) -> dict[str, int]:
        return {name: h.restarts for name, h in self.history.items() if h.restarts}


def start_dependencies(args, data: Path, env: dict) -> list:
    """Embedded PostgreSQL and broker, unless the environment names real ones."""
    children = []
    names = load_platform(platform_file(env)).names
    if not env.get("DATABASE_URL") and not any(env.get(f"{s.upper()}_DATABASE_URL") for s in names):
        pg = EmbeddedPostgres(data / "postgres", port=args.pg_port).start()
        env["DATABASE_URL"] = pg.url
        children.append(PostgresChild(pg))
        say(f"embedded PostgreSQL  {pg.url}  (data {pg.data_dir}; pid {pg.postmaster_pid()})")
    if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
        broker = EmbeddedBroker(port=args.kafka_port).start(log_path=data / "broker.log")
        env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
        children.append(BrokerChild(broker))
        say(
            f"embedded broker      {broker.bootstrap}  (memory only; the relays republish from PostgreSQL; "
            f"pid {broker.proc.pid})"
        )
    return children


def prepare_platform_key(env: dict, data: Path) -> None:
    if not env.get("TOKEN_PUBLIC_KEY_FILES"):  # create the platform key once, before the services race for it
        key_file = Path(env.get("TOKEN_SIGNING_KEY_FILE") or data / "keys" / "token-signing.key")
        tokens.load_or_create_private_key(key_file)
        say(f"token signing key    {key_file}  (public half: {key_file.with_suffix('.pub')})")


def start_services(env: dict) -> list[ServiceChild]:
    services = [ServiceChild(s, env) for s in load_platform(platform_file(env)).services]
    for c in services:
        c.start()
        say(f"{c.name:<10} gRPC  {c.address}  (pid {c.pid}; starting: a ready line follows once all serve)")
    return services


def page_url(c: ServiceChild) -> str | None:
    """The audit service's replay page (issue 29): AUDIT_PAGE_PORT, default its gRPC port + 2000;
    0 disables it. (The runner reads the setting; it imports no service.)"""
    if c.name != "audit":
        return None
    raw = c.env.get("AUDIT_PAGE_PORT") or str(c.port + 2000 if 0 < c.port <= 63535 else 0)
    return f"http://{c.host}:{raw}/" if raw.isdigit() and int(raw) else None


def serving(c: ServiceChild, timeout: float = 0.5) -> bool:
    """The service answers its gRPC health check SERVING (over TLS, whose certificate we may not
    be able to check: it accepts connections)."""
    if c.tls:
        try:
            with socket.create_connection((c.host, c.port), timeout=timeout):
                return True
        except OSError:
            return False
    try:
        with grpc.insecure_channel(f"{c.host}:{c.port}") as ch:
            got = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        return got.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


def store_figures(c: ServiceChild, timeout: float = 1.0) -> dict[str, float]:
    """The service's `store` figures (events, relay_backlog, ...) from its metrics; {} if none."""
    if not c.metrics_port:
        return {}
    try:
        with urllib.request.urlopen(f"http://{c.host}:{c.metrics_port}/metrics", timeout=timeout) as r:
            text = r.read().decode()
    except OSError:
        return {}
    return {
        s.labels["figure"]: s.value
        for family in text_string_to_metric_families(text)
        if family.name == "jjjc_component_figure"
        for s in family.samples
        if s.labels.get("component") == "store"
    }


class Watch(threading.Thread):
    """Says when every service serves (the ready line, the addresses), when a restarted one serves
    again, and how far the relays are in republishing their stores. Only prints: supervision
    stays in the main loop."""

    def __init__(self, services: list[ServiceChild], started: float, clock=time.monotonic):
        super().__init__(name="run-watch", daemon=True)
        self.services, self.started, self.clock = services, started, clock
        self.stopping = threading.Event()
        self.serving: dict[str, int] = {}  # service -> the pid seen serving
        self.ready = False
        self.progress = Republishing(every=FIGURES_EVERY)
        self.next_figures = float("-inf")

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.look()

    def look(self) -> None:
        for c in self.services:
            if self.serving.get(c.name) != c.pid and c.proc.poll() is None and serving(c):
                again = c.name in self.serving
                self.serving[c.name] = c.pid
                if self.ready and again:
                    say(f"{c.name} serving again at {c.address} (pid {c.pid})")
        if not self.ready and all(self.serving.get(c.name) == c.pid for c in self.services):
            self.ready = True
            for c in self.services:
                metrics = f"  metrics http://{c.host}:{c.metrics_port}/metrics" if c.metrics_port else ""
                say(f"{c.name:<10} serving  gRPC {c.address}{metrics}  (pid {c.pid})")
            say(f"ready: all {len(self.services)} services serve ({self.clock() - self.started:.1f} s after the start)")
            for c in self.services:
                if url := page_url(c):
                    say(f"replay page (复盘): {url}  (sign in with a token, as below)")
            say(
                "get a token: make token ARGS='issue --agency commission --office case_management "
                "--role case_manager --user <your id>'  (send as `authorization: Bearer <token>`)"
            )
            jjjc = Path(sys.executable).with_name("jjjc")
            if jjjc.exists():
                say(f"what each service is doing: {jjjc} status; metrics as above")
        now = self.clock()
        if now < self.next_figures:  # a scrape reads every part's status: not more than needed
            return
        self.next_figures = now + FIGURES_EVERY
        for c in self.services:
            figures = store_figures(c) if self.serving.get(c.name) == c.pid else {}
            if "relay_backlog" in figures:
                line = self.progress.observe(
                    c.name, int(figures.get("events", 0)), int(figures["relay_backlog"]), self.clock()
                )
                if line:
                    say(line)


def stop_all(children: list) -> None:
    """Services first (they flush and close their pools), then the broker, then PostgreSQL."""
    services = [c for c in children if isinstance(c, ServiceChild) and c.proc]
    for c in services:
        if c.proc.poll() is None:
            c.proc.send_signal(signal.SIGTERM)
    for c in services:
        try:
            c.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            say(f"{c.name} did not stop within {STOP_TIMEOUT:g} s; killing it")
            c.proc.kill()
            c.proc.wait()
    for c in children:
        if isinstance(c, BrokerChild):
            c.broker.stop()
    for c in children:
        if isinstance(c, PostgresChild):
            c.pg.stop()


def main(argv=None) -> int:
    args = parse_args(argv)
    policy = RestartPolicy(max_restarts=args.max_restarts, window=args.restart_window)
    data = Path(args.data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DATA_DIR=str(data))
    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(1))
    children, culprit, watch, started = [], None, None, time.monotonic()
    try:
        children += start_dependencies(args, data, env)
        prepare_platform_key(env, data)
        if env.get("PLATFORM_TEST_MODE") in ("1", "true", "yes"):
            say("TEST MODE: service clocks may be moved through control.v1.ControlService; never in production")
        services = start_services(env)
        children += services
        watch = Watch(services, started)
        watch.start()
        say(
            f"supervising: a child that dies is restarted; more than {policy.max_restarts} failures "
            f"of one within {policy.window:g} s stops everything. Ctrl-C stops everything"
        )
        supervisor = Supervisor(children, policy)
        while not stopping and culprit is None:
            time.sleep(TICK)
            if not stopping:
                culprit = supervisor.tick()
    finally:
        if watch is not None:
            watch.stopping.set()
        say("stopping")
        stop_all(children)
    counts = supervisor.restarts()
    say(
        "stopped"
        + (f"; restarts: {', '.join(f'{n} {k}' for n, k in counts.items())}" if counts else "")
        + (f"; {culprit} kept failing" if culprit else "")
    )
    return 1 if culprit else 0


if __name__ == "__main__":
    sys.exit(main())
