"""gRPC bootstrap: server with health and reflection, authentication, error mapping, TLS.

The error family of `kernel.domain.errors` is mapped to status codes here and nowhere else. Callers
never see a stack trace: unexpected errors are logged and answered INTERNAL, except a store
failure that escaped as a raw driver error, which is UNAVAILABLE like every other one.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import ipaddress
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import grpc
import structlog
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from kernel.domain import errors
from kernel.domain.principal import Principal
from kernel.edge.auth import Authenticator
from kernel.edge.catalogue import Act
from kernel.edge.contract import Contract
from kernel.eventstore.commands import (
    CORRELATION_HEADER,
    REQUEST_ID_HEADER,
    CommandContext,
    check_correlation_id,
    check_request_id,
    fingerprint,
)
from kernel.eventstore.store import is_store_down, store_unavailable
from kernel.runtime import log as klog

CODES = {
    errors.Validation: grpc.StatusCode.INVALID_ARGUMENT,
    errors.IllegalState: grpc.StatusCode.FAILED_PRECONDITION,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.Concurrency: grpc.StatusCode.ABORTED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
}
RULE_BROKEN = "REQUEST_FIELD_RULE"  # ErrorInfo.reason of a refusal by the request's contract
OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

# The authenticated caller of the RPC being served, the authenticator that vouched for it and the
# contract its request is checked against.
_caller: contextvars.ContextVar[tuple[Principal, Authenticator, Contract]] = contextvars.ContextVar("caller")


def status_of(error: errors.PlatformError) -> grpc.StatusCode:
    for kind, code in CODES.items():
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.INTERNAL


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates every call except health and reflection, before the body is decoded:
    refusals are UNAUTHENTICATED whatever the bytes; an undecodable body from an authenticated
    caller is INVALID_ARGUMENT. The servicer then checks the role and the contract (`rpc`)."""

    def __init__(self, authenticator: Authenticator, contract: Contract):
        self.auth, self.contract = authenticator, contract

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        if handler is None:
            return handler
        if details.method.startswith(OPEN_SERVICES):
            # open to all, but a corrupt body is still INVALID_ARGUMENT, not grpc's traceback
            return _decoding(handler, details.method)
        try:
            principal = self.auth.authenticate(details.invocation_metadata)
        except errors.Unauthenticated as e:
            klog.get("rpc").info("rpc.unauthenticated", method=details.method, code="UNAUTHENTICATED", reason=str(e))
            return _refusing(handler, str(e))
        return _as_caller(handler, details.method, (principal, self.auth, self.contract))


def _refusing(handler, message: str):
    async def refuse(raw, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    return _same_kind(handler, refuse)


def _as_caller(handler, method: str, caller):
    """The same handler, decoding the body itself and run with `caller` bound for the servicer
    (set inside the RPC's own task)."""
    behaviour, decode = _behaviour(handler), handler.request_deserializer
    if handler.response_streaming:

        async def streamed(raw, context):
            request = await _decoded(raw, decode, method, context)
            token = _caller.set(caller)
            try:
                async for item in behaviour(request, context):
                    yield item
            finally:
                _caller.reset(token)

        return _same_kind(handler, streamed)

    async def unary(raw, context):
        request = await _decoded(raw, decode, method, context)
        token = _caller.set(caller)
        try:
            return await behaviour(request, context)
        finally:
            _caller.reset(token)

    return _same_kind(handler, unary)


async def _decoded(raw: bytes, decode, method: str, context):
    try:
        return decode(raw) if decode else raw
    except Exception as e:  # noqa: BLE001 - the decoder's text is not the caller's business
        klog.get("rpc").info("rpc.undecodable", method=method, size=len(raw), error=type(e).__name__)
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"the request body is not a valid {method.rsplit('/', 1)[-1]} request message: "
            "send the serialised request message of this RPC (see its .proto)",
        )


def _decoding(handler, method: str):
    """The same handler decoding its requests itself (each message of a request stream too), so
    an undecodable one is INVALID_ARGUMENT with one log line (issue 28: no traceback)."""
    behaviour, decode = _behaviour(handler), handler.request_deserializer
    if decode is None:
        return handler

    def requests(raw_messages, context):
        async def each():
            async for raw in raw_messages:
                yield await _decoded(raw, decode, method, context)

        return each()

    take = requests if handler.request_streaming else lambda raw, context: _decoded(raw, decode, method, context)

    async def argument(raw, context):
        value = take(raw, context)
        return await value if inspect.isawaitable(value) else value

    if handler.response_streaming and inspect.isasyncgenfunction(behaviour):

        async def streamed(raw, context):
            async for item in behaviour(await argument(raw, context), context):
                yield item

        return _same_kind(handler, streamed)

    async def answered(raw, context):  # unary, or a stream written with context.write
        return await behaviour(await argument(raw, context), context)

    return _same_kind(handler, answered)


def _behaviour(handler):
    return handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream


def _same_kind(handler, behaviour):
    """A handler like `handler` running `behaviour` on the raw request bytes (decoded by us)."""
    make = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }[(handler.request_streaming, handler.response_streaming)]
    return make(behaviour, request_deserializer=None, response_serializer=handler.response_serializer)


def metadata_value(context, key: str) -> str:
    for k, v in context.invocation_metadata() or ():
        if k == key and isinstance(v, str):
            return v
    return ""


def rpc(operation: str, *, act: Act = "perform", mutating: bool = False):
    """Wrap a unary servicer method `(self, request, context, call: CommandContext)`.

    Checks the caller's role against `operation` in the catalogue (PERMISSION_DENIED), then the
    request against its contract (`kernel.edge.contract`, INVALID_ARGUMENT), binds the correlation id,
    requires a request id on mutating calls, logs one line and maps errors.
    """

    def decorate(func: Callable):
        @functools.wraps(func)
        async def wrapper(self, request, context):
            started = time.monotonic()
            with klog.work() as work:
                async with _guarded(func, request, context, operation, act, mutating) as call:
                    result = await func(self, request, context, call)
                    # the unit of work's one line: the command (`rpc`, bound), the streams it
                    # changed and the state it left them in, who asked, the correlation id (bound)
                    klog.get("rpc").info(
                        "rpc.ok",
                        **klog.done(work),
                        **_who(call.principal),
                        request_id=call.request_id or None,
                        ms=round((time.monotonic() - started) * 1000, 1),
                    )
                    return result

        wrapper.operation, wrapper.mutating = operation, mutating  # type: ignore[attr-defined]
        return wrapper

    return decorate


def stream_rpc(operation: str, *, act: Act = "perform"):
    """`rpc` for a server-streaming method `(self, request, context, call)` written as an async
    generator: the role and the contract are checked before anything is sent, and an error raised
    before or while streaming ends the call with its status (never a stack trace)."""

    def decorate(func: Callable):
        @functools.wraps(func)
        async def wrapper(self, request, context):
            started, sent = time.monotonic(), 0
            async with _guarded(func, request, context, operation, act, False) as call:
                klog.get("rpc").info("rpc.stream_opened", **_who(call.principal))
                async for item in func(self, request, context, call):
                    sent += 1
                    yield item
                klog.get("rpc").info(
                    "rpc.stream_closed",
                    **_who(call.principal),
                    sent=sent,
                    ms=round((time.monotonic() - started) * 1000, 1),
                )

        wrapper.operation, wrapper.act, wrapper.mutating = operation, act, False  # type: ignore[attr-defined]
        return wrapper

    return decorate


@contextlib.asynccontextmanager
async def _guarded(func: Callable, request, context, operation: str, act: Act, mutating: bool):
    """The call's context (role, contract, correlation id) for the body; its errors mapped to
    statuses: a refusal to its code, a store down to UNAVAILABLE, anything else INTERNAL."""
    correlation = metadata_value(context, CORRELATION_HEADER)
    structlog.contextvars.bind_contextvars(rpc=func.__name__)
    logger = klog.get("rpc")
    try:
        correlation = check_correlation_id(correlation) or str(uuid.uuid4())
        structlog.contextvars.bind_contextvars(correlation_id=correlation)
        yield _call_context(request, context, func.__qualname__, operation, act, mutating, correlation)
    except errors.PlatformError as e:
        reason = _reason(func.__name__, e)
        caller = _caller.get(None)  # a refusal names who was refused, the code and the message
        logger.info("rpc.refused", code=status_of(e).name, reason=reason, **(_who(caller[0]) if caller else {}))
        await context.abort(status_of(e), reason, _details(e, reason))
    except (grpc.aio.AbortError, asyncio.CancelledError):
        raise
    except Exception as e:  # noqa: BLE001 - never leak a stack trace to the caller
        if is_store_down(e):  # a driver error from a query outside the store's own paths
            logger.warning("rpc.store_down", error=f"{type(e).__name__}: {e}")
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(store_unavailable(e)))
        logger.exception("rpc.failed")
        await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the service log")
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id", "rpc")


def _who(principal: Principal) -> dict:
    """The principal as a log line names it."""
    return {"user": principal.user, "role": principal.role, "office": principal.office}


def _details(error: errors.PlatformError, message: str) -> tuple:
    """Trailing metadata of a refusal: for bad input, the standard `google.rpc.BadRequest` naming
    the field, and `ErrorInfo` REQUEST_FIELD_RULE when it broke its declared rule."""
    if not isinstance(error, errors.Validation):
        return ()
    details = [
        error_details_pb2.BadRequest(
            field_violations=[error_details_pb2.BadRequest.FieldViolation(field=error.field, description=error.problem)]
        )
    ]
    if isinstance(error, errors.RuleBroken):
        details.append(
            error_details_pb2.ErrorInfo(reason=RULE_BROKEN, domain="jjjc.platform", metadata={"field": error.field})
        )
    status = status_pb2.Status(code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=message)
    for detail in details:
        status.details.add().Pack(detail)
    return rpc_status.to_status(status).trailing_metadata


def _reason(rpc_name: str, error: errors.PlatformError) -> str:
    """The caller's message. An oversized event names the RPC: the caller may not know which of
    its requests made which event."""
    return f"{rpc_name}: {error}" if isinstance(error, errors.TooLarge) else str(error)


def _call_context(
    request, context, method: str, operation: str, act: Act, mutating: bool, correlation: str
) -> CommandContext:
    caller = _caller.get(None)
    if caller is None:  # served without the interceptor: refuse rather than act anonymously
        raise errors.Unauthenticated("no authenticated caller")
    principal, auth, contract = caller
    auth.catalogue.authorize(principal, operation, act)
    contract.check(request)
    if not mutating:
        return CommandContext(principal, correlation, operation)
    request_id = check_request_id(metadata_value(context, REQUEST_ID_HEADER).strip())
    return CommandContext(
        principal,
        correlation,
        operation,
        request_id,
        fingerprint(f"{method}/{operation}/{act}", principal, request.SerializeToString(deterministic=True)),
    )


@dataclass(frozen=True)
class Tls:
    """Server TLS material (PEM files). With `client_ca`, clients must present a certificate."""

    cert: Path
    key: Path
    client_ca: Path | None = None

    def credentials(self) -> grpc.ServerCredentials:
        ca = self.client_ca.read_bytes() if self.client_ca else None
        return grpc.ssl_server_credentials(
            [(self.key.read_bytes(), self.cert.read_bytes())], root_certificates=ca, require_client_auth=ca is not None
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_server(
    host: str,
    port: int,
    register: Callable[[grpc.aio.Server], None],
    service_names: Iterable[str],
    authenticator: Authenticator,
    contract: Contract,
    tls: Tls | None = None,
    max_request_bytes: int = 8 << 20,
    interceptors: Iterable[grpc.aio.ServerInterceptor] = (),
) -> tuple[grpc.aio.Server, int]:
    """Build (not start) a server on host:port (port 0 picks one); returns (server, bound port).

    A request body over `max_request_bytes` is refused by gRPC itself (RESOURCE_EXHAUSTED) before
    it is read in full: the largest valid request of every RPC but a batch fits well under it.
    `interceptors` run outside the authentication (the metrics' count sees its refusals)."""
    server = grpc.aio.server(
        interceptors=[*interceptors, AuthInterceptor(authenticator, contract)],
        options=[("grpc.max_receive_message_length", max_request_bytes)],
    )
    register(server)
    health_servicer = health.aio.HealthServicer() if hasattr(health, "aio") else health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = (*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    address = f"{host}:{port}"
    bound = server.add_secure_port(address, tls.credentials()) if tls else server.add_insecure_port(address)
    server.health = health_servicer  # type: ignore[attr-defined]
    return server, bound


async def mark_serving(server, service_names: Iterable[str]) -> None:
    for name in ("", *service_names):
        await _set(server.health, name, health_pb2.HealthCheckResponse.SERVING)


async def _set(servicer, name, status):
    result = servicer.set(name, status)
    if hasattr(result, "__await__"):
        await result
