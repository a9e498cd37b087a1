"""The shell every service runs in: pool -> store -> relay -> gRPC server -> (Faust agents).

`main.py` of each service builds a `ServiceHost` with its own wiring; nothing connects until
`start()`. `serve()` runs one host until SIGINT/SIGTERM and stops it cleanly.
"""
from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import asyncpg
import grpc

from kernel import log as klog
from kernel.clock import SystemClock
from kernel.grpc_server import create_server, mark_serving
from kernel.relay import OutboxRelay
from kernel.republish import RepublishServer
from kernel.settings import ServiceSettings, republish_topic
from kernel.store import EventStore
from kernel.topics import TopicSpec


@dataclass
class Wiring:
    """What a service adds to the shell."""
    register: Callable[["ServiceHost", grpc.aio.Server], None]
    service_names: tuple[str, ...]
    produces: bool = True
    on_start: Callable[["ServiceHost"], Awaitable[None]] | None = None
    on_stop: Callable[["ServiceHost"], Awaitable[None]] | None = None


@dataclass
class ServiceHost:
    settings: ServiceSettings
    wiring: Wiring
    port: int = 0
    pool: asyncpg.Pool | None = None
    store: EventStore | None = None
    relay: OutboxRelay | None = None
    republish_server: RepublishServer | None = None
    extras: dict = field(default_factory=dict)

    async def start(self) -> "ServiceHost":
        s = self.settings
        self.log = klog.get(s.service)
        self.clock = SystemClock(s.time_zone)
        self.pool = await asyncpg.create_pool(s.database_url, min_size=1, max_size=10)
        self.store = EventStore(self.pool, s.schema, self.clock)
        await self.store.migrate()
        if self.wiring.on_start:
            await self.wiring.on_start(self)
        if self.wiring.produces:
            spec = TopicSpec(s.topic, s.topic_partitions, s.replication_factor)
            self.relay = OutboxRelay(self.store, s.kafka_bootstrap, spec,
                                     poll_seconds=s.relay_poll_seconds, marker_check_seconds=s.marker_check_seconds)
            self._relay_task = asyncio.create_task(self.relay.run(), name=f"{s.service}-relay")
            self.republish_server = RepublishServer(self.relay, s.kafka_bootstrap, republish_topic(s.topic_prefix))
            self._republish_task = asyncio.create_task(self.republish_server.run(), name=f"{s.service}-republish")
        self.server, self.port = create_server(s.grpc_host, s.grpc_port,
                                               lambda srv: self.wiring.register(self, srv), self.wiring.service_names)
        await self.server.start()
        await mark_serving(self.server, self.wiring.service_names)
        self.log.info("service.listening", service=s.service, address=f"{s.grpc_host}:{self.port}",
                      topic=s.topic if self.wiring.produces else None)
        return self

    async def stop(self) -> None:
        await self.server.stop(grace=2)
        if self.wiring.on_stop:
            await self.wiring.on_stop(self)
        if self.republish_server:
            await self.republish_server.stop()
            self._republish_task.cancel()
            await asyncio.gather(self._republish_task, return_exceptions=True)
        if self.relay:
            await self.relay.stop()
            self._relay_task.cancel()
            await asyncio.gather(self._relay_task, return_exceptions=True)
        await self.pool.close()
        self.log.info("service.stopped", service=self.settings.service)


async def serve(host: ServiceHost) -> None:
    klog.configure()
    await host.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await host.stop()
