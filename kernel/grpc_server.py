"""gRPC bootstrap: server with health and reflection, the principal interceptor, error mapping.

The error family of `kernel.errors` is mapped to status codes here and nowhere else. Callers
never see a stack trace: unexpected errors are logged and answered INTERNAL.
"""
from __future__ import annotations

import functools
import uuid
from typing import Callable, Iterable

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from kernel import errors, log as klog
from kernel.principal import Principal

CODES = {
    errors.Validation: grpc.StatusCode.INVALID_ARGUMENT,
    errors.IllegalState: grpc.StatusCode.FAILED_PRECONDITION,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.Concurrency: grpc.StatusCode.ABORTED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
}
OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def status_of(error: errors.PlatformError) -> grpc.StatusCode:
    for kind, code in CODES.items():
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.INTERNAL


class PrincipalInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every call without a principal (UNAUTHENTICATED), except health and reflection."""

    async def intercept_service(self, continuation, details):
        if details.method.startswith(OPEN_SERVICES):
            return await continuation(details)
        try:
            Principal.from_metadata(details.invocation_metadata)
        except errors.Unauthenticated as e:
            message = str(e)

            async def refuse(request, context):
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
            return grpc.unary_unary_rpc_method_handler(refuse)
        return await continuation(details)


def metadata_value(context, key: str) -> str:
    for k, v in context.invocation_metadata() or ():
        if k == key and isinstance(v, str):
            return v
    return ""


def rpc(func: Callable):
    """Wrap a servicer method: principal, correlation id, one log line, error mapping."""
    @functools.wraps(func)
    async def wrapper(self, request, context):
        correlation = metadata_value(context, "x-correlation-id") or str(uuid.uuid4())
        structlog.contextvars.bind_contextvars(correlation_id=correlation, rpc=func.__name__)
        logger = klog.get("rpc")
        try:
            principal = Principal.from_metadata(context.invocation_metadata())
            result = await func(self, request, context, principal=principal, correlation_id=correlation)
            logger.info("rpc.ok", user=principal.user)
            return result
        except errors.PlatformError as e:
            logger.info("rpc.refused", code=status_of(e).name, reason=str(e))
            await context.abort(status_of(e), str(e))
        except grpc.aio.AbortError:
            raise
        except Exception:  # noqa: BLE001 - never leak a stack trace to the caller
            logger.exception("rpc.failed")
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the service log")
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "rpc")
    return wrapper


def create_server(host: str, port: int, register: Callable[[grpc.aio.Server], None],
                  service_names: Iterable[str]) -> tuple[grpc.aio.Server, int]:
    """Build (not start) a server on host:port (port 0 picks one); returns (server, bound port)."""
    server = grpc.aio.server(interceptors=[PrincipalInterceptor()])
    register(server)
    health_servicer = health.aio.HealthServicer() if hasattr(health, "aio") else health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = (*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    server.health = health_servicer  # type: ignore[attr-defined]
    return server, bound


async def mark_serving(server, service_names: Iterable[str]) -> None:
    for name in ("", *service_names):
        await _set(server.health, name, health_pb2.HealthCheckResponse.SERVING)


async def _set(servicer, name, status):
    result = servicer.set(name, status)
    if hasattr(result, "__await__"):
        await result
