"""Composition root of the audit service: `python -m services.audit.main`."""
from __future__ import annotations

import asyncio

from audit.v1 import service_pb2, service_pb2_grpc
from kernel.consumer import Consumer
from kernel.service import ServiceHost, Wiring, serve
from kernel.settings import PRODUCERS, ServiceSettings, from_env
from services.audit.adapters.grpc_servicer import AuditServicer
from services.audit.app.recorder import Recorder

SERVICE_NAMES = (service_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,)


async def _on_start(host: ServiceHost) -> None:
    recorder = Recorder(host.store)
    await recorder.migrate()
    consumer = await Consumer(host.settings, host.pool, list(PRODUCERS), "ledger", recorder).start()
    host.extras.update(recorder=recorder, consumer=consumer)


async def _on_stop(host: ServiceHost) -> None:
    await host.extras["consumer"].stop()


def _register(host: ServiceHost, server) -> None:
    service_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(host.extras["recorder"]), server)


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost(settings, Wiring(register=_register, service_names=SERVICE_NAMES, produces=False,
                                        on_start=_on_start, on_stop=_on_stop))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("audit"))))
