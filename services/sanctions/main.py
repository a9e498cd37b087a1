"""Composition root of the sanctions service (处分决定执行): `python -m services.sanctions.main`.

What it runs, beside the kernel's shell (pool, migrations, store, timers, relay to
`sanctions.events.v1`, gRPC server with ControlService): the SanctionService servicer, for now
PreviewDecision (issue 21 point 2) on the rules of `deploy/config/sanctions.toml` (loaded at start,
so a bad file stops the service naming the key); its decisions and execution ledger come next.
"""

from __future__ import annotations

import asyncio

from kernel.runtime.service import ServiceHost, Wiring, serve
from kernel.runtime.settings import ServiceSettings, from_env
from sanctions.v1 import service_pb2, service_pb2_grpc
from services.sanctions.adapters.grpc_servicer import SanctionServicer
from services.sanctions.app.sanction_rules import load_sanction_rules
from services.sanctions.domain.rules import SanctionRules

SERVICE_NAMES = (service_pb2.DESCRIPTOR.services_by_name["SanctionService"].full_name,)


async def build_parts(host: ServiceHost[SanctionRules]) -> SanctionRules:
    return load_sanction_rules()


def register(host: ServiceHost[SanctionRules], rules: SanctionRules, server) -> None:
    service_pb2_grpc.add_SanctionServiceServicer_to_server(SanctionServicer(host.clock, host.calendar, rules), server)


def build(settings: ServiceSettings) -> ServiceHost[SanctionRules]:
    return ServiceHost(settings, Wiring(SERVICE_NAMES, build_parts, register))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("sanctions"))))
