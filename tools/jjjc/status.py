"""`jjjc status`: each service's health (grpc.health.v1), its moving parts
(control.v1.ControlService/GetStatus: relay, consumers, timers, ... each with its counters and
problems, as the service reports them) and, for the audit ledger, the last checkpoint with its
completeness per producer (audit.v1.AuditService/GetCheckpoint) and its witnesses
(ListWitnesses). Each service's stuck events (issue 28: deliveries its consumers keep in quarantine,
a relay stuck on an event) get a row of their own, `none` when there are none."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.table import Table

from kernel.edge.status import stuck_events
from tools.jjjc import env, rpc


@dataclass
class ServiceReport:
    name: str
    address: str
    health: str = "unknown"
    version: str = ""  # the platform's version it runs (GetStatusResponse.version)
    error: str = ""  # the service did not answer (the tool exits 1)
    components: list = field(default_factory=list)  # control.v1.ComponentStatus
    refused: str = ""  # it answered, but not with its status (e.g. PERMISSION_DENIED)
    ledger: dict = field(default_factory=dict)  # audit: checkpoint and witnesses

    @property
    def answered(self) -> bool:
        return not self.error


def _call(ch, name: str, md, timeout: float):
    [response] = rpc.invoke(ch, rpc.find(name), rpc.find(name).request("{}"), md, timeout)
    return response


def read(service: str, md, timeout: float, ca_file=None) -> ServiceReport:
    report = ServiceReport(service, env.address(service))
    with rpc.channel(report.address, ca_file) as ch:
        try:
            got = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
            report.health = health_pb2.HealthCheckResponse.ServingStatus.Name(got.status)
        except grpc.RpcError as e:
            if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                report.error = _silent(e, report.address, timeout)
                return report
            report.health = e.code().name
        try:
            got = _call(ch, "control.v1.ControlService.GetStatus", md, timeout)
            report.components, report.version = list(got.components), got.version
        except grpc.RpcError as e:
            if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                report.error = _silent(e, report.address, timeout)
                return report
            report.refused = rpc.describe_error(e)
        report.ledger = _ledger(ch, md, timeout)  # empty where the service holds no ledger
    return report


def _silent(e: grpc.RpcError, address: str, timeout: float) -> str:
    if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"DEADLINE_EXCEEDED: no answer within {timeout:g} s"
    return f"UNAVAILABLE: nothing answers at {address}; is the platform up (make run)?"


def _ledger(ch, md, timeout: float) -> dict:
    out = {}
    try:
        cp = _call(ch, "audit.v1.AuditService.GetCheckpoint", md, timeout)
        out["checkpoint"] = (
            f"size {cp.tree_size}, signed {cp.signed_at.ToJsonString() if cp.HasField('signed_at') else '—'}"
            if cp.tree_size or cp.HasField("signed_at")
            else "none yet"
        )
        out["completeness"] = [
            f"{c.topic}: complete through {c.complete_through} ({c.complete_count} events)"
            + (f", {c.missing} missing" if c.missing else "")
            for c in cp.completeness
        ]
    except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.UNIMPLEMENTED:
            return {}  # not the ledger's service
        out["checkpoint"] = rpc.describe_error(e)
    try:
        w = _call(ch, "audit.v1.AuditService.ListWitnesses", md, timeout)
        out["witnesses"] = [f"{x.name}: {x.state}, cosigned size {x.cosigned_size}" for x in w.witnesses] or [
            "none configured"
        ]
        if w.witnessed_size:
            out["witnesses"].append(f"latest witnessed size {w.witnessed_size} after {w.witnessed_after_seconds:.1f} s")
    except grpc.RpcError as e:
        out["witnesses"] = [rpc.describe_error(e)]
    return out


STATE_STYLE = {"ok": "green", "SERVING": "green", "retrying": "yellow", "degraded": "yellow", "stuck": "red"}


def table(reports: list[ServiceReport]) -> Table:
    t = Table(title="jjjc status", show_lines=True)
    for col in ("service", "version", "address", "health"):
        t.add_column(col, no_wrap=True)
    for col in ("part", "state", "figures", "problems"):
        t.add_column(col, overflow="fold")
    for r in reports:
        health = f"[{STATE_STYLE.get(r.health, 'red')}]{r.health}[/]"
        if r.error:
            code, _, said = r.error.partition(": ")
            t.add_row(r.name, "", r.address, "[red]no answer[/]", "", f"[red]{code}[/]", "", said.split("; ", 1)[-1])
            continue
        rows = [
            (c.name, f"[{STATE_STYLE.get(c.state, 'red')}]{c.state}[/]", _figures(c.counters), "\n".join(c.problems))
            for c in r.components
        ]
        if r.refused:
            rows.append(("status", "[red]refused[/]", "", r.refused))
        else:
            stuck = stuck_events(r.components)
            said = "\n".join(f"{name}: {what}" for name, what in stuck.items())
            rows.append(("stuck events", "[red]stuck[/]" if stuck else "[green]none[/]", said, ""))
        for key, value in r.ledger.items():
            rows.append((f"ledger {key}", "", "\n".join(value) if isinstance(value, list) else value, ""))
        for i, row in enumerate(rows or [("", "", "", "")]):
            t.add_row(*((r.name, r.version or "—", r.address, health) if i == 0 else ("", "", "", "")), *row)
    return t


def summary(reports: list[ServiceReport]) -> Table:
    """One row per service, the figures an operator looks at first; `table` has every part."""
    t = Table(title="jjjc status", caption="every part's figures and problems: jjjc status --parts")
    for col in ("service", "health", "version", "relay published / waiting", "consumers' backlog"):
        t.add_column(col, no_wrap=True)
    for col in ("timers pending / due", "stuck events", "problems"):
        t.add_column(col, overflow="fold")
    for r in reports:
        if r.error:
            t.add_row(r.name, "[red]no answer[/]", "", "", "", "", "", r.error)
            continue
        health = f"[{STATE_STYLE.get(r.health, 'red')}]{r.health}[/]"
        if r.refused:
            t.add_row(r.name, health, r.version, "", "", "", "", r.refused)
            continue
        store = _counters(r.components, "store")
        stuck = stuck_events(r.components)
        problems = [f"{c.name}: {p}" for c in r.components for p in c.problems]
        t.add_row(
            r.name,
            health,
            r.version or "—",
            f"{_sum(r.components, 'relay ', 'published')} / {store.get('relay_backlog', '?')}",
            _backlog(r.components),
            f"{store.get('timers_pending', '?')} / {store.get('timers_due', '?')}",
            "\n".join(f"[red]{n}: {what}[/]" for n, what in stuck.items()) or "[green]none[/]",
            "\n".join(problems) or "—",
        )
    return t


def ledger_lines(reports: list[ServiceReport]) -> list[str]:
    """The ledger's checkpoint, completeness and witnesses, as lines under the summary."""
    out = []
    for r in reports:
        if r.ledger:
            out.append(f"{r.name} ledger: last checkpoint {r.ledger.get('checkpoint', '—')}")
            out += [f"  {key:<12}  {line}" for key in ("completeness", "witnesses") for line in r.ledger.get(key, [])]
    return out


def _counters(components, name: str) -> dict:
    return next((dict(c.counters) for c in components if c.name == name), {})


def _sum(components, prefix: str, figure: str) -> str:
    values = [c.counters[figure] for c in components if c.name.startswith(prefix) and figure in c.counters]
    return f"{sum(values):,}" if values else "—"


def _backlog(components) -> str:
    """The consumers' backlog, each consumer's after its name; `unknown` where a producer's
    watermark was not yet seen (kernel/messaging/backlog.py: never 0 for unknown)."""
    parts = [
        f"{c.name.removeprefix('consumer ')} {c.counters['backlog']:,}"
        if "backlog" in c.counters
        else f"{c.name.removeprefix('consumer ')} unknown"
        for c in components
        if c.name.startswith("consumer ")
    ]
    return "\n".join(parts) or "—"


def _figures(counters) -> str:
    return "\n".join(f"{k} {v:,}" for k, v in sorted(counters.items()))


def as_dict(r: ServiceReport) -> dict:
    return {
        "service": r.name,
        "version": r.version,
        "address": r.address,
        "health": r.health if r.answered else "no answer",
        "error": r.error,
        "refused": r.refused,
        "components": [
            {"name": c.name, "state": c.state, "counters": dict(c.counters), "problems": list(c.problems)}
            for c in r.components
        ],
        "stuck_events": stuck_events(r.components),
        "ledger": r.ledger,
    }
