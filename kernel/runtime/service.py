"""The shell every service runs in: pool -> migrations -> store -> timers -> the service's own
parts -> relay -> gRPC server.

`main.py` of each service builds a `ServiceHost` with its `Wiring`: the function that builds its
parts (a typed object of the service's own: handlers, consumers...) once the store is ready, the
function that registers its gRPC servicers from those parts, and the one that stops them. Nothing
connects until `start()`. `serve()` runs one host until SIGINT/SIGTERM and stops it cleanly.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import asyncpg
import grpc

from kernel.domain import calendar
from kernel.domain.clock import ServiceClock
from kernel.edge import control, tokens
from kernel.edge.auth import Authenticator
from kernel.edge.contract import Contract
from kernel.edge.grpc_server import Tls, create_server, is_loopback, mark_serving
from kernel.edge.status import StatusBoard
from kernel.eventstore import commands, migrations, store, timers
from kernel.eventstore.migrations import Migration
from kernel.eventstore.store import EventStore, create_pool
from kernel.messaging import backlog, quarantine
from kernel.messaging.relay import OutboxRelay
from kernel.messaging.republish import RepublishServer
from kernel.messaging.topics import TopicSpec
from kernel.runtime import log as klog
from kernel.runtime.metrics import MetricsInterceptor, MetricsServer, RpcMetrics, store_probe
from kernel.runtime.settings import ServiceSettings, republish_topic

# what every service's schema holds, numbered per component (kernel.eventstore.migrations)
KERNEL_MIGRATIONS = (
    *store.MIGRATIONS,
    *commands.MIGRATIONS,
    *timers.MIGRATIONS,
    *quarantine.MIGRATIONS,
    *backlog.MIGRATIONS,
)


P = TypeVar("P")


async def _nothing(*_) -> None:
    return None


@dataclass
class Wiring(Generic[P]):
    """What a service adds to the shell: `build` makes its parts once the store is ready,
    `register` adds its servicers from them, `stop` stops them (before the shell's own)."""

    service_names: tuple[str, ...]
    build: Callable[[ServiceHost[P]], Awaitable[P]] = _nothing
    register: Callable[[ServiceHost[P], P, grpc.aio.Server], None] = lambda host, parts, server: None
    stop: Callable[[P], Awaitable[None]] = _nothing
    produces: bool = True
    migrations: tuple[Migration, ...] = ()  # the service's own, applied after the kernel's


@dataclass
class ServiceHost(Generic[P]):
    settings: ServiceSettings
    wiring: Wiring[P]
    port: int = 0
    pool: asyncpg.Pool | None = None
    store: EventStore | None = None
    relay: OutboxRelay | None = None
    republish_server: RepublishServer | None = None
    parts: P | None = None
    metrics_server: MetricsServer | None = None

    async def start(self) -> ServiceHost:
        s = self.settings
        self.log = klog.get(s.service)
        self.status = StatusBoard(s.service)
        self.clock = ServiceClock(s.time_zone, settable=s.test_mode)
        self.authenticator = authenticator_for(s)
        tls = tls_for(s)
        self.pool = await create_pool(s.database_url, min_size=1, max_size=10)
        self.store = EventStore(self.pool, s.schema, self.clock, max_event_bytes=s.max_event_bytes)
        await migrations.apply(self.pool, s.schema, (*KERNEL_MIGRATIONS, *self.wiring.migrations), self.log)
        self.calendar = calendar.load_calendar(s.holiday_calendar_file)
        if not self.calendar.covers(self.clock.now().date()):
            self.log.warning(
                "calendar.year_not_covered",
                year=self.clock.now().year,
                file=str(s.holiday_calendar_file or calendar.default_calendar_path()),
                effect="only weekends count as rest days until the year is added",
            )
        self.timers = timers.TimerScheduler(
            self.store, self.clock, poll_seconds=s.timer_poll_seconds, component=f"{s.service}-timers"
        )
        self.clock.on_change(self.timers.wake)
        self._timer_task = asyncio.create_task(self.timers.run(), name=f"{s.service}-timers")
        self.parts = await self.wiring.build(self)
        if self.wiring.produces:
            spec = TopicSpec(s.topic, s.topic_partitions, s.replication_factor, max_message_bytes=s.kafka_message_bytes)
            self.relay = OutboxRelay(
                self.store,
                s.kafka_bootstrap,
                spec,
                max_request_size=s.relay_max_request_bytes or s.kafka_message_bytes,
                poll_seconds=s.relay_poll_seconds,
                marker_check_seconds=s.marker_check_seconds,
                watermark_seconds=s.relay_watermark_seconds,
            )
            self._relay_task = asyncio.create_task(self.relay.run(), name=f"{s.service}-relay")
            self.status.register(self.relay.status)
            self.republish_server = RepublishServer(
                self.relay, s.kafka_bootstrap, republish_topic(s.topic_prefix), replication_factor=s.replication_factor
            )
            self._republish_task = asyncio.create_task(self.republish_server.run(), name=f"{s.service}-republish")
        # the store's figures (events, relay backlog, pending timers) in the status and the metrics
        self.status.register(store_probe(self.store, s.topic if self.wiring.produces else None))
        self.rpc_metrics = RpcMetrics(s.service)
        names = (*self.wiring.service_names, control.SERVICE_NAME)
        self.server, self.port = create_server(
            s.grpc_host,
            s.grpc_port,
            self._register,
            names,
            self.authenticator,
            Contract(self.clock, s.request_limits),
            tls,
            s.request_max_bytes,
            interceptors=(MetricsInterceptor(self.rpc_metrics),),
        )
        await self.server.start()
        if s.metrics_port is not None:  # issue 28: Prometheus text format on its own port
            metrics = MetricsServer(s.service, self.status, self.rpc_metrics, s.grpc_host, s.metrics_port)
            try:
                await metrics.start()
                self.metrics_server = metrics
            except OSError as e:  # the service serves without: metrics are no reason to stop it
                self.log.error(
                    "metrics.unavailable",
                    port=s.metrics_port,
                    error=str(e),
                    remedy=f"set {s.service.upper()}_METRICS_PORT to a free port (0 disables the endpoint)",
                )
        await mark_serving(self.server, names)
        self.log.info(
            "service.listening",
            service=s.service,
            address=f"{s.grpc_host}:{self.port}",
            tls=tls is not None,
            test_mode=s.test_mode,
            time_zone=s.time_zone,
            topic=s.topic if self.wiring.produces else None,
            metrics=f"http://{s.grpc_host}:{self.metrics_server.port}/metrics" if self.metrics_server else None,
        )
        return self

    def _register(self, server: grpc.aio.Server) -> None:
        control.register(server, self.clock, self.status)
        self.wiring.register(self, self.parts, server)

    async def stop(self) -> None:
        await self.server.stop(grace=2)
        if self.metrics_server:
            await self.metrics_server.stop()
        self.timers.stop()
        await asyncio.gather(self._timer_task, return_exceptions=True)
        await self.wiring.stop(self.parts)
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


def authenticator_for(s: ServiceSettings) -> Authenticator:
    """Verify with the configured public keys, or with the platform key in the data folder
    (generated on first run: the embedded default)."""
    keys = s.token_public_keys
    if not keys:
        tokens.load_or_create_private_key(s.signing_key_file)
        keys = (s.signing_key_file,)
    return Authenticator.from_files(keys, s.catalogue_file)


def tls_for(s: ServiceSettings) -> Tls | None:
    if s.tls_cert_file and s.tls_key_file:
        return Tls(s.tls_cert_file, s.tls_key_file, s.tls_client_ca_file)
    if s.tls_cert_file or s.tls_key_file:
        raise SystemExit(f"{s.service}: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
    if not is_loopback(s.grpc_host) and not s.allow_plaintext:
        raise SystemExit(
            f"{s.service}: refusing plaintext gRPC on {s.grpc_host}: set TLS_CERT_FILE and "
            "TLS_KEY_FILE, or GRPC_ALLOW_PLAINTEXT=1 behind a TLS-terminating proxy"
        )
    return None


async def serve(host: ServiceHost) -> None:
    klog.configure(service=host.settings.service)  # every line names the service (issue 28)
    await host.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await host.stop()
