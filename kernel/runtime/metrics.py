"""Each service's metrics in Prometheus text format (issue 28 point 3).

`GET http://<grpc_host>:<metrics_port>/metrics` (`<SERVICE>_METRICS_PORT`, default the gRPC port +
1000; 0 disables it; `kernel.runtime.settings.metrics_port`) serves:

* the figures of `control.v1.GetStatus`, read from the service's `StatusBoard` at each scrape (so
  they are never older than the scrape): `jjjc_component_state{component,state}` (1 for the state
  the part is in, 0 for the others), `jjjc_component_figure{component,figure}` (each counter a part
  reports: a relay's published and republishes, a consumer's kept and held streams, the store's
  events, relay backlog and pending timers...) and `jjjc_component_problems{component}`;
* the stuck events (`kernel.edge.status.stuck_events`): `jjjc_consumer_quarantined{consumer}`, the
  deliveries each consumer keeps in quarantine, and `jjjc_relay_stuck{topic}`, 1 while a relay is
  stuck on a stored event or a refused topic (its `stuck_position` figure names the event);
* `jjjc_build_info{version}`: the platform's version (the installed project's);
* every gRPC call counted by method and status code, refusals and unauthenticated calls included
  (`jjjc_rpc_requests_total{method,code}`), and its latency (`jjjc_rpc_duration_seconds`, a
  histogram by method and code). `MetricsInterceptor` is the server's outermost interceptor: it
  sees the code a call ended with whoever ended it.

Every series carries `service`. The store's own figures (`store_probe`) are a status component
like the others, so `GetStatus`, `jjjc status` and the metrics say the same.
"""

from __future__ import annotations

import inspect
import time

import grpc
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from kernel.edge.status import CONSUMER, DEGRADED, OK, QUARANTINED, RELAY, RETRYING, STUCK, Component, StatusBoard
from kernel.runtime import http, log as klog
from kernel.runtime.version import platform_version

STATES = (OK, RETRYING, STUCK, DEGRADED)
disable_created_metrics()  # no `_created` series beside every counter: nothing here reads them
# Seconds: from a health check to a batch of hundreds of events, with the gRPC deadlines' range.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CODES = {c.value[0]: c for c in grpc.StatusCode}


def _code_name(code) -> str:
    if isinstance(code, grpc.StatusCode):
        return code.name
    if isinstance(code, int) and code in _CODES:
        return _CODES[code].name
    return "OK" if code is None else str(code)


class RpcMetrics:
    """The request counts and latencies of one service (a registry of its own: several services
    may run in one process under test)."""

    def __init__(self, service: str):
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "jjjc_rpc_requests",
            "gRPC calls served, by method and the status code they ended with",
            ("service", "method", "code"),
            registry=self.registry,
        )
        Info("jjjc_build", "The platform's version this service runs", ("service",), registry=self.registry).labels(
            service
        ).info({"version": platform_version()})
        self.duration = Histogram(
            "jjjc_rpc_duration_seconds",
            "gRPC call latency in seconds, by method and status code",
            ("service", "method", "code"),
            buckets=BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, code: str, seconds: float) -> None:
        self.requests.labels(self.service, method, code).inc()
        self.duration.labels(self.service, method, code).observe(seconds)


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts every call with the code it ended with: OK, the code of an abort (a refusal, an
    unauthenticated or undecodable request), CANCELLED, UNKNOWN for an escaped exception."""

    def __init__(self, metrics: RpcMetrics):
        self.metrics = metrics

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        if handler is None:
            return None
        return _timed(handler, details.method, self.metrics)


def _ended(context, error: BaseException | None) -> str:
    if error is None or isinstance(error, grpc.aio.AbortError):
        code = context.code()
        return _code_name(code) if code is not None else ("OK" if error is None else "UNKNOWN")
    if isinstance(error, grpc.RpcError):
        return _code_name(error.code())
    return "CANCELLED" if type(error).__name__ == "CancelledError" else "UNKNOWN"


def _timed(handler, method: str, metrics: RpcMetrics):
    if handler.response_streaming and inspect.isasyncgenfunction(handler.unary_stream or handler.stream_stream):
        inner = handler.unary_stream or handler.stream_stream

        async def streamed(request, context):
            started, error = time.monotonic(), None
            try:
                async for item in inner(request, context):
                    yield item
            except BaseException as e:
                error = e
                raise
            finally:
                metrics.observe(method, _ended(context, error), time.monotonic() - started)

        behaviour = streamed
    else:  # unary, or a stream written with context.write (health's Watch)
        inner = handler.unary_unary or handler.stream_unary or handler.unary_stream or handler.stream_stream

        async def unary(request, context):
            started, error = time.monotonic(), None
            try:
                return await inner(request, context)
            except BaseException as e:
                error = e
                raise
            finally:
                metrics.observe(method, _ended(context, error), time.monotonic() - started)

        behaviour = unary
    make = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }[(handler.request_streaming, handler.response_streaming)]
    return make(
        behaviour, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )


class _Snapshot:
    """The status board as read for one scrape, as metric families (a collector for one use)."""

    def __init__(self, service: str, components: list[Component]):
        self.service, self.components = service, components

    def collect(self):
        state = GaugeMetricFamily(
            "jjjc_component_state",
            "1 for the state a part of the service is in (ok, retrying, stuck, degraded), 0 for the others",
            labels=("service", "component", "state"),
        )
        figure = GaugeMetricFamily(
            "jjjc_component_figure",
            "Each figure a part of the service reports in control.v1.GetStatus",
            labels=("service", "component", "figure"),
        )
        problems = GaugeMetricFamily(
            "jjjc_component_problems",
            "Problems a part of the service reports (each a sentence in GetStatus)",
            labels=("service", "component"),
        )
        yield from self._stuck()
        for c in self.components:
            for s in STATES:
                state.add_metric((self.service, c.name, s), 1.0 if c.state == s else 0.0)
            for name, value in sorted(c.counters.items()):
                figure.add_metric((self.service, c.name, name), float(value))
            problems.add_metric((self.service, c.name), float(len(c.problems)))
        yield from (state, figure, problems)

    def _stuck(self):
        quarantined = GaugeMetricFamily(
            "jjjc_consumer_quarantined",
            "Deliveries a consumer keeps in quarantine (stuck events: their streams are held behind them)",
            labels=("service", "consumer"),
        )
        relay_stuck = GaugeMetricFamily(
            "jjjc_relay_stuck",
            "1 while the relay is stuck on a stored event or a refused topic, nothing after it published",
            labels=("service", "topic"),
        )
        for c in self.components:
            if c.name.startswith(CONSUMER) and QUARANTINED in c.counters:
                quarantined.add_metric((self.service, c.name.removeprefix(CONSUMER)), float(c.counters[QUARANTINED]))
            elif c.name.startswith(RELAY):
                relay_stuck.add_metric((self.service, c.name.removeprefix(RELAY)), 1.0 if c.state == STUCK else 0.0)
        yield from (quarantined, relay_stuck)


class MetricsServer:
    """The /metrics endpoint on the service's event loop (aiohttp): the board is read where its
    probes' pool lives."""

    def __init__(self, service: str, board: StatusBoard, metrics: RpcMetrics, host: str, port: int):
        self.service, self.board, self.metrics = service, board, metrics
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application()
        app.router.add_get("/metrics", self._scrape)
        self._runner, self.port = await http.serve(app, self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def text(self) -> bytes:
        components = await self.board.read()
        return generate_latest(self.metrics.registry) + generate_latest(_Snapshot(self.service, components))

    async def _scrape(self, request: web.Request) -> web.Response:
        try:
            body = await self.text()
        except Exception as e:  # noqa: BLE001 - a scrape never takes the service down
            klog.get("metrics").warning("metrics.unreadable", error=f"{type(e).__name__}: {e}")
            return web.Response(status=503, text=f"metrics unreadable: {type(e).__name__}\n")
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def store_probe(store, topic: str | None):
    """The status component `store`: the events the store holds, how many the relay has still to
    publish (the relay backlog: what a republish after a broker loss works through), and the timers
    pending (`timers_due`: pending and already due)."""
    s = store.schema

    async def probe() -> Component:
        async with store.pool.acquire() as conn:
            counters: dict[str, int] = {}
            row = (
                await conn.fetchrow(
                    f"SELECT c.through_count, (SELECT count(*) FROM {s}.events e "
                    f"WHERE (e.order_key, e.position) > (c.order_key, c.position)) AS backlog "
                    f"FROM {s}.relay_cursor c WHERE c.topic = $1",
                    topic,
                )
                if topic
                else None
            )
            if row is not None and row["through_count"] is not None:
                counters["relay_backlog"] = int(row["backlog"])
                counters["events"] = int(row["through_count"]) + int(row["backlog"])
            else:
                counters["events"] = int(await conn.fetchval(f"SELECT count(*) FROM {s}.events"))
            timers = await conn.fetchrow(
                f"SELECT count(*) AS pending, count(*) FILTER (WHERE due_at <= now()) AS due "
                f"FROM {s}.timers WHERE status = 'pending'"
            )
            counters["timers_pending"], counters["timers_due"] = int(timers["pending"]), int(timers["due"])
        return Component(name="store", counters=counters)

    probe.__qualname__ = "store"
    return probe
