"""Composition root of the audit service: `python -m services.audit.main`."""
from __future__ import annotations

import asyncio

from audit.v1 import service_pb2, service_pb2_grpc
from kernel import topics
from kernel.service import ServiceHost, Wiring, serve
from kernel.settings import PRODUCERS, ServiceSettings, from_env
from services.audit.adapters.agents import build_app
from services.audit.adapters.grpc_servicer import AuditServicer
from services.audit.app.recorder import Recorder

SERVICE_NAMES = (service_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,)


async def _on_start(host: ServiceHost) -> None:
    s = host.settings
    recorder = Recorder(host.store)
    await recorder.migrate()
    for producer in PRODUCERS:  # consumers wait for topics; creating them with the owner's spec is equivalent
        await asyncio.to_thread(topics.ensure_topic, s.kafka_bootstrap,
                                topics.TopicSpec(s.topic_of(producer), s.topic_partitions, s.replication_factor))
    app = build_app(s, recorder)
    await app.start()
    host.extras.update(recorder=recorder, faust=app)


async def _on_stop(host: ServiceHost) -> None:
    await host.extras["faust"].stop()


def _register(host: ServiceHost, server) -> None:
    service_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(host.extras["recorder"]), server)


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost(settings, Wiring(register=_register, service_names=SERVICE_NAMES, produces=False,
                                        on_start=_on_start, on_stop=_on_stop))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("audit"))))
