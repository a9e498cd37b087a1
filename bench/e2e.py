"""End-to-end benchmark (issue 30): RegisterClue over gRPC against the whole platform as `make run`
starts it, from the command to the event in audit's ledger.

For each number of concurrent clients (closed loop: each sends its next command when the last is
answered) it runs `--seconds` of load and reports
  commands/s                       answered commands over the load's duration
  command p50/p99/p99.9 (ms)       RegisterClue's latency as the client sees it
  ledger p50/p99 (ms)              from the command sent until its event is in audit's ledger
                                   (bench/ledger_watch.py: polled every 5 ms)
  CPU ms/command by process        clues, cases, sanctions, audit, postgres, broker and their sum
                                   (the platform), from the load's start until the ledger holds
                                   every event and every consumer reports no backlog (settle s:
                                   how long that took after the load); the load generator's own apart;
                                   "net of rest": less the CPU at rest over the same time
  at rest                          CPU ms per second by process with no load (polls, timers),
                                   measured once after the warm-up
and at the end the backlog each service reports (control.v1 GetStatus: the relays' and consumers'
figures, as `jjjc status` shows them). `--runs 3` repeats every level three times (levels
alternate) and reports the medians.

  make bench-e2e                                  # starts its own platform (fresh data folder)
  make bench-e2e ARGS="--clients 1,8 --seconds 10 --runs 3"
  make bench-e2e ARGS="--target"                  # the platform a `make run` already serves

The load generator runs on the same machine as the platform and takes CPU from it: read the
figures as a floor of what the platform does alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid

import grpc

from bench import cpu, e2e_platform
from bench.common import say
from bench.ledger_watch import LedgerWatch
from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.eventstore.commands import CommandContext

PROCESSES = ("clues", "cases", "sanctions", "audit", "postgres", "broker")
CHANNELS = 8  # gRPC channels the clients share (HTTP/2 multiplexes the rest)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="make bench-e2e", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--clients", default="1,8,32,64", help="concurrent clients per level (default 1,8,32,64)")
    p.add_argument("--seconds", type=float, default=15.0, help="load per level and run (default 15)")
    p.add_argument("--runs", type=int, default=1, help="runs of every level; the medians are reported (default 1)")
    p.add_argument("--warmup", type=int, default=50, help="commands before the first level (default 50)")
    p.add_argument(
        "--drain-seconds", type=float, default=120.0, help="longest wait for the ledger and the consumers after a level"
    )
    p.add_argument("--idle-seconds", type=float, default=5.0, help="CPU at rest measured over this (default 5)")
    p.add_argument("--target", action="store_true", help="drive the platform `make run` serves instead of a new one")
    p.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ""), help="with --target: its data folder")
    p.add_argument("--database-url", default="", help="with --target: audit's PostgreSQL (default as jjjc finds it)")
    p.add_argument("--audit-schema", default=os.environ.get("AUDIT_DATABASE_SCHEMA", "audit"))
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = p.parse_args(argv)
    try:
        args.levels = [int(c) for c in args.clients.split(",")]
    except ValueError:
        p.error(f"--clients {args.clients!r}: expected numbers separated by commas")
    if not args.levels or min(args.levels) < 1 or args.runs < 1 or args.seconds <= 0:
        p.error("--clients must be positive numbers, --runs at least 1, --seconds above 0")
    return args


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999999) - 1))]


class Load:
    """Clients sending RegisterClue; each command's clue is expected in the ledger."""

    def __init__(self, platform: e2e_platform.Platform, watch: LedgerWatch):
        self.watch, self.principal = watch, e2e_platform.CLERK
        self.token = platform.token(self.principal)
        self.channels = [grpc.aio.insecure_channel(platform.addresses["clues"]) for _ in range(CHANNELS)]
        self.stubs = [clues_grpc.ClueServiceStub(ch) for ch in self.channels]
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}

    async def close(self) -> None:
        for ch in self.channels:
            await ch.close()

    async def one(self, stub, i: int) -> None:
        request_id = str(uuid.uuid4())
        clue_id = CommandContext(self.principal, "", "clues.register", request_id).derived_id("clue")
        md = (("authorization", f"Bearer {self.token}"), ("x-request-id", request_id), ("x-correlation-id", request_id))
        request = clues_pb2.RegisterClueRequest(
            source=events_pb2.CLUE_SOURCE_PETITION,
            summary=f"Alleged acceptance of gifts from a property developer during permit approvals ({i})",
            subjects=[identity_pb2.PersonRef(person_id=f"P-{i:08d}", name="Zhang San", post="deputy director")],
            informant=clues_pb2.Informant(name="Li Si", contact="138-0000-0000", details="a neighbour"),
        )
        sent = time.perf_counter()
        self.watch.expect(clue_id, sent)
        try:
            got = await stub.RegisterClue(request, metadata=md, timeout=30)
        except grpc.aio.AioRpcError as e:
            self.watch.pending.pop(clue_id, None)
            self.errors[e.code().name] = self.errors.get(e.code().name, 0) + 1
            return
        self.latencies.append(time.perf_counter() - sent)
        if got.clue_id != clue_id:  # the derivation drifted from the servicer's: the ledger figures would be empty
            raise SystemExit(f"RegisterClue answered {got.clue_id}, expected {clue_id}: fix bench/e2e.py")

    async def client(self, k: int, until: float) -> int:
        stub, n = self.stubs[k % len(self.stubs)], 0
        while time.perf_counter() < until:
            await self.one(stub, k * 1_000_000 + n)
            n += 1
        return n

    async def count(self, commands: int) -> None:
        for i in range(commands):
            await self.one(self.stubs[0], i)


async def level(load: Load, platform, clients: int, seconds: float, drain: float, at_rest: float) -> dict:
    """One level's figures; `at_rest` (platform CPU ms per second with no load) gives the net figure."""
    load.latencies, load.errors = [], {}
    load.watch.take_lags()
    before, gen_before = cpu.sample(platform.processes), sum(os.times()[:2])
    start = time.perf_counter()
    await asyncio.gather(*(load.client(k, start + seconds) for k in range(clients)))
    took = time.perf_counter() - start
    drained = await load.watch.drained(drain)
    caught_up = await settled(platform, start + took + drain)
    settle = time.perf_counter() - start - took
    used, gen = cpu.spent(before, cpu.sample(platform.processes)), sum(os.times()[:2]) - gen_before
    n, lat, lags = len(load.latencies), load.latencies, load.watch.take_lags()
    row = {
        "clients": clients,
        "commands": n,
        "commands_per_s": n / took,
        "p50_ms": 1000 * percentile(lat, 0.5),
        "p99_ms": 1000 * percentile(lat, 0.99),
        "p999_ms": 1000 * percentile(lat, 0.999),
        "ledger_p50_ms": 1000 * percentile(lags, 0.5),
        "ledger_p99_ms": 1000 * percentile(lags, 0.99),
        "not_in_ledger": 0 if drained else len(load.watch.pending),
        "settle_s": settle if caught_up else float("nan"),
        "errors": sum(load.errors.values()),
        "loadgen_cpu_ms": 1000 * gen / max(n, 1),
    }
    for name in PROCESSES:
        if name in used:
            row[f"cpu_{name}_ms"] = 1000 * used[name] / max(n, 1)
    row["cpu_platform_ms"] = sum(row.get(f"cpu_{name}_ms", 0.0) for name in PROCESSES)
    # what the commands cost above the platform's polls at rest over the same window (an estimate:
    # a busy relay or consumer polls less than an idle one)
    row["cpu_net_ms"] = row["cpu_platform_ms"] - at_rest * (took + settle) / max(n, 1)
    load.watch.pending.clear()
    return row


async def settled(platform, deadline: float) -> bool:
    """Wait until every consumer says it has nothing left (GetStatus backlogs all 0), so that the
    CPU figures hold all the work the commands caused; False at `deadline` (perf_counter)."""
    while time.perf_counter() < deadline:
        figures = [v for service in (await backlog(platform)).values() for v in service.values()]
        if figures and not any(figures):
            return True
        await asyncio.sleep(1.0)
    return False


async def idle(platform, seconds: float) -> dict[str, float]:
    """CPU the platform spends at rest, in ms per second, by process (its polls and timers)."""
    before = cpu.sample(platform.processes)
    await asyncio.sleep(seconds)
    used = cpu.spent(before, cpu.sample(platform.processes))
    return {name: 1000 * v / seconds for name, v in used.items()} | {"platform": 1000 * sum(used.values()) / seconds}


def medians(rows: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in rows) if k != "clients" else rows[0][k] for k in rows[0]}


async def backlog(platform) -> dict[str, dict[str, int]]:
    """Each service's backlog figures as GetStatus reports them (`jjjc status`'s source)."""
    md = (("authorization", f"Bearer {platform.token(e2e_platform.OPERATOR)}"),)
    out = {}
    for name, address in platform.addresses.items():
        async with grpc.aio.insecure_channel(address) as ch:
            try:
                got = await control_pb2_grpc.ControlServiceStub(ch).GetStatus(
                    control_pb2.GetStatusRequest(), metadata=md, timeout=10
                )
            except grpc.aio.AioRpcError as e:
                out[name] = {"unanswered": e.code().value[0]}
                continue
        out[name] = {
            f"{c.name}: {k}": v
            for c in got.components
            for k, v in c.counters.items()
            if k == "backlog" or k == "relay_backlog"
        }
    return out


async def drive(args, platform) -> tuple[list[dict], dict, dict]:
    await e2e_platform.find_processes(platform)
    say(f"processes: {', '.join(f'{n} {p}' for n, p in platform.processes.items())}")
    watch = LedgerWatch(platform.database_url, args.audit_schema)
    await watch.start()
    load = Load(platform, watch)
    try:
        say(f"warm-up: {args.warmup} commands, until the ledger holds them (consumers join their groups)")
        await load.count(args.warmup)
        if not await watch.drained(max(args.drain_seconds, 300)):
            raise SystemExit(f"warm-up: {len(watch.pending)} events never reached the ledger")
        await settled(platform, time.perf_counter() + args.drain_seconds)
        at_rest = await idle(platform, args.idle_seconds)
        say(f"at rest: {json.dumps(_rounded(at_rest))} CPU ms per second")
        runs: dict[int, list[dict]] = {c: [] for c in args.levels}
        for r in range(args.runs):
            for clients in args.levels:
                row = await level(load, platform, clients, args.seconds, args.drain_seconds, at_rest["platform"])
                say(f"run {r + 1}/{args.runs}, {clients} clients: {json.dumps(_rounded(row))}")
                runs[clients].append(row)
        return [medians(rows) for rows in runs.values()], at_rest, await backlog(platform)
    finally:
        await load.close()
        await watch.stop()


def _rounded(row: dict) -> dict:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}


COLUMNS = (
    ("clients", "clients", "{:d}"),
    ("commands/s", "commands_per_s", "{:.0f}"),
    ("p50 ms", "p50_ms", "{:.1f}"),
    ("p99 ms", "p99_ms", "{:.1f}"),
    ("p99.9 ms", "p999_ms", "{:.1f}"),
    ("ledger p50 ms", "ledger_p50_ms", "{:.0f}"),
    ("ledger p99 ms", "ledger_p99_ms", "{:.0f}"),
    *((f"{n} CPU ms", f"cpu_{n}_ms", "{:.2f}") for n in PROCESSES),
    ("platform CPU ms", "cpu_platform_ms", "{:.2f}"),
    ("net of rest ms", "cpu_net_ms", "{:.2f}"),
    ("load gen CPU ms", "loadgen_cpu_ms", "{:.2f}"),
    ("errors", "errors", "{:.0f}"),
    ("not in ledger", "not_in_ledger", "{:.0f}"),
    ("settle s", "settle_s", "{:.1f}"),
)


def table(rows: list[dict], at_rest: dict, backlogs: dict, runs: int) -> str:
    """A Markdown table, one row per level (medians of `runs`), the CPU at rest, the backlog at the end."""
    present = [c for c in COLUMNS if c[1] in rows[0]]
    lines = ["| " + " | ".join(c[0] for c in present) + " |", "|" + "---:|" * len(present)]
    for r in rows:
        lines.append("| " + " | ".join(fmt.format(r[key]) for _, key, fmt in present) + " |")
    lines.append(f"\n(medians of {runs} run{'s' if runs > 1 else ''}; CPU per command, load generator apart)")
    lines.append("at rest, CPU ms per second: " + ", ".join(f"{k} {v:.1f}" for k, v in at_rest.items()))
    for name, figures in backlogs.items():
        lines.append(
            f"backlog at the end, {name}: " + (", ".join(f"{k} {v}" for k, v in figures.items()) or "none reported")
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    platform = e2e_platform.target(args.data_dir, args.database_url) if args.target else e2e_platform.start()
    try:
        e2e_platform.wait_serving(platform)
        rows, at_rest, backlogs = asyncio.run(drive(args, platform))
    finally:
        platform.stop()
    report = {"levels": rows, "at_rest": at_rest, "backlog": backlogs}
    print(json.dumps(report, indent=1) if args.json else table(rows, at_rest, backlogs, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
