"""Composition root of the audit service: `python -m services.audit.main`."""
from __future__ import annotations

import asyncio

from audit.v1 import service_pb2, service_pb2_grpc
from kernel import topics
from kernel.republish import HeldGapSweeper, RepublishRequester
from kernel.service import ServiceHost, Wiring, serve
from kernel.settings import PRODUCERS, ServiceSettings, from_env, republish_topic
from services.audit.adapters.agents import build_app
from services.audit.adapters.grpc_servicer import AuditServicer
from services.audit.app.recorder import Recorder

SERVICE_NAMES = (service_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,)


async def _on_start(host: ServiceHost) -> None:
    s = host.settings
    requester = RepublishRequester(s.kafka_bootstrap, republish_topic(s.topic_prefix),
                                   requested_by=s.consumer_group or s.service)
    recorder = Recorder(host.store, on_gap=requester.request)   # ask for a gap as soon as it is held
    await recorder.migrate()
    sweeper = HeldGapSweeper(recorder.inbox, host.pool, requester,   # and again while it stays held
                             interval_seconds=float(s.extra.get("held_sweep_seconds", 5.0)))
    sweeper_task = asyncio.create_task(sweeper.run(), name="audit-held-sweeper")
    for producer in PRODUCERS:  # consumers wait for topics; creating them with the owner's spec is equivalent
        await asyncio.to_thread(topics.ensure_topic, s.kafka_bootstrap,
                                topics.TopicSpec(s.topic_of(producer), s.topic_partitions, s.replication_factor))
    app = build_app(s, recorder)
    await app.start()
    host.extras.update(recorder=recorder, faust=app, requester=requester, sweeper=sweeper, sweeper_task=sweeper_task)


async def _on_stop(host: ServiceHost) -> None:
    await host.extras["faust"].stop()
    host.extras["sweeper"].stop()
    await asyncio.gather(host.extras["sweeper_task"], return_exceptions=True)
    await host.extras["requester"].close()


def _register(host: ServiceHost, server) -> None:
    service_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(host.extras["recorder"]), server)


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost(settings, Wiring(register=_register, service_names=SERVICE_NAMES, produces=False,
                                        on_start=_on_start, on_stop=_on_stop))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("audit"))))
