"""Composition root of the sanctions service (处分决定执行): `python -m services.sanctions.main`.

What it runs, beside the kernel's shell (pool, migrations, store, timers, relay to
`sanctions.events.v1`, gRPC server with ControlService): the decisions' handlers on the one command
path, on the rules of `deploy/config/sanctions.toml` (loaded at start, so a bad file stops the
service naming the key); the decision opener following `cases.events.v1` (a disposal's sanctions
and impacts) and `clues.events.v1` (a talk's 诫勉), exactly once through its inbox (issue 21 points
1 and 3); the SanctionService (PreviewDecision and the decisions) and the ExecutionService (the
partners' items and the execution ledger) servicers; the decision index and execution ledger
tables, which `python -m kernel.eventstore.rebuild --service sanctions` rebuilds. Issue 22: the
decisions' durable timers (period ends, overdue items) fire through the decisions' command path,
and the case directory follows `cases.events.v1` (its own inbox and consumer group) for the cases
open on a person (G10) and a case's original handlers (A1).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from kernel.messaging.consumer import Consumer
from kernel.runtime.service import ServiceHost, Wiring, serve
from kernel.runtime.settings import ServiceSettings, env_path, extend, from_env
from sanctions.v1 import service_pb2, service_pb2_grpc
from services.sanctions.adapters import mapping, translators
from services.sanctions.adapters.execution_servicer import ExecutionServicer
from services.sanctions.adapters.grpc_servicer import SanctionServicer
from services.sanctions.app import case_directory, decision, decision_index, execution_ledger
from services.sanctions.app.access import Access
from services.sanctions.app.handlers import DecisionHandlers
from services.sanctions.app.opener import DecisionOpener
from services.sanctions.app.sanction_rules import load_sanction_rules
from services.sanctions.domain.decision import DecisionPolicy
from services.sanctions.domain.rules import SanctionRules

SERVICE_NAMES = tuple(
    service_pb2.DESCRIPTOR.services_by_name[name].full_name for name in ("SanctionService", "ExecutionService")
)
MIGRATIONS = decision_index.MIGRATIONS + execution_ledger.MIGRATIONS + case_directory.MIGRATIONS


@dataclass(frozen=True)
class SanctionsSettings(ServiceSettings):
    """The kernel's settings and the sanctions service's own."""

    # The rules' local and unverified numbers, the committee's approval, the impact periods and the
    # items' owners (SANCTIONS_RULES_FILE); None: deploy/config/sanctions.toml.
    sanction_rules_file: Path | None = None

    @classmethod
    def from_env(cls, env: dict | None = None) -> SanctionsSettings:
        return extend(cls, from_env("sanctions", env), sanction_rules_file=env_path(env, "SANCTIONS_RULES_FILE"))


@dataclass
class Sanctions:
    """What the sanctions service runs beside the shell."""

    rules: SanctionRules
    handlers: DecisionHandlers
    decisions: Consumer | None = None  # the disposals' and talks' follower
    cases: Consumer | None = None  # the case directory's follower (G10, A1; issue 22)


async def build_parts(host: ServiceHost[Sanctions]) -> Sanctions:
    s: SanctionsSettings = host.settings
    rules = load_sanction_rules(s.sanction_rules_file)
    policy = DecisionPolicy(rules, host.calendar, host.clock.tz)
    access = Access.of(host.authenticator.catalogue, rules)  # need to know (issue 21 point 6)
    handlers = DecisionHandlers(host.store, policy, mapping.CODEC, access)
    opener = DecisionOpener(handlers, partial(translators.translate, zone=host.clock.tz))
    decisions = await Consumer(s, host.pool, list(s.consumes), "decisions", opener, status=host.status).start()
    # periods that end and items that fall overdue (issue 22): a decision's timers are its commands
    if made := await decision.backfill_timers(host.store, handlers.decisions):  # issued before issue 22
        host.log.info("sanctions.timers_backfilled", decisions=made)
    host.timers.route("decision", handlers.decisions.fire)
    directory = case_directory.CaseDirectory(
        host.store, handlers.decisions, partial(translators.from_cases_to_directory, zone=host.clock.tz)
    )
    cases = await Consumer(s, host.pool, list(s.consumes), "case-directory", directory, status=host.status).start()
    return Sanctions(rules, handlers, decisions, cases)


def register(host: ServiceHost[Sanctions], parts: Sanctions, server) -> None:
    servicer = SanctionServicer(parts.handlers, host.clock, host.calendar, parts.rules)
    service_pb2_grpc.add_SanctionServiceServicer_to_server(servicer, server)
    service_pb2_grpc.add_ExecutionServiceServicer_to_server(ExecutionServicer(parts.handlers, host.clock), server)


async def stop(parts: Sanctions) -> None:
    if parts.decisions is not None:
        await parts.decisions.stop()
    if parts.cases is not None:
        await parts.cases.stop()


def build(settings: ServiceSettings) -> ServiceHost[Sanctions]:
    """The service on `settings` (plain kernel settings get the sanctions service's defaults)."""
    own = settings if isinstance(settings, SanctionsSettings) else extend(SanctionsSettings, settings)
    return ServiceHost(own, Wiring(SERVICE_NAMES, build_parts, register, stop, migrations=MIGRATIONS))


if __name__ == "__main__":
    asyncio.run(serve(build(SanctionsSettings.from_env())))
