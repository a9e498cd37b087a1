"""Composition root of the cases service: `python -m services.cases.main`.

Configuration (environment): CASES_MEASURE_RULES_FILE (the measures' approvals, limits and
warning leads; default deploy/config/measures.toml).
"""
from __future__ import annotations

import asyncio
import os

from cases.v1 import service_pb2, service_pb2_grpc
from kernel.consumer import Consumer
from kernel.service import ServiceHost, Wiring, serve
from kernel.settings import ServiceSettings, from_env
from services.cases.adapters import mapping, translators
from services.cases.adapters.grpc_servicer import CaseServicer
from services.cases.app import measure_ledger
from services.cases.app.filings import FilingOpener
from services.cases.app.handlers import CaseHandlers
from services.cases.app.measure_rules import load_measure_rules
from services.cases.domain.decide import DEFAULT_POLICY

SERVICE_NAMES = (service_pb2.DESCRIPTOR.services_by_name["CaseService"].full_name,)
MIGRATIONS = measure_ledger.MIGRATIONS


async def _on_start(host: ServiceHost) -> None:
    s = host.settings
    rules = load_measure_rules(os.environ.get("CASES_MEASURE_RULES_FILE") or None)
    handlers = CaseHandlers(host.store, DEFAULT_POLICY, rules, mapping.CODEC)
    consumer = await Consumer(s, host.pool, list(s.consumes), "filings", FilingOpener(handlers, translators.from_clues), status=host.status).start()
    host.extras.update(handlers=handlers, consumer=consumer)
    host.log.info("cases.measure_rules", kinds=sorted(rules.kinds))


async def _on_stop(host: ServiceHost) -> None:
    await host.extras["consumer"].stop()


def _register(host: ServiceHost, server) -> None:
    service_pb2_grpc.add_CaseServiceServicer_to_server(
        CaseServicer(host.extras["handlers"], host.clock, host.authenticator.catalogue.offices), server)


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost(settings, Wiring(register=_register, service_names=SERVICE_NAMES, on_start=_on_start,
                                        on_stop=_on_stop, migrations=MIGRATIONS))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("cases"))))
