"""The loader's connection to the running platform: one gRPC channel per service, a token per
principal signed with the platform's key (as `jjjc token issue` signs them), and calls by method
name through the contracts' descriptors (tools/jjjc/rpc.py).

Every mutation carries a request id derived from the seed, the part of the story and the step, so
a second run asks for exactly the same things and the services answer with what they stored the
first time, appending nothing (kernel/eventstore/commands.py)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import grpc
from google.protobuf import message_factory

from kernel.domain.principal import Principal
from kernel.edge import tokens
from kernel.edge.mapping import timestamp
from kernel.eventstore.commands import REQUEST_ID_HEADER
from tools.jjjc import rpc

find = functools.lru_cache(maxsize=None)(rpc.find)  # the descriptor search costs ~2 ms a call
RETRIED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class DemoError(Exception):
    """A step the platform refused or never finished; says which (`code`: the refusal's status)."""

    def __init__(self, message: str, code: grpc.StatusCode | None = None):
        super().__init__(message)
        self.code = code


def refused(what: str, e: grpc.aio.AioRpcError) -> DemoError:
    hint = " (is the platform running? make run)" if e.code() == grpc.StatusCode.UNAVAILABLE else ""
    return DemoError(f"{what}: {rpc.describe_error(e)}{hint}", e.code())


def done_before(e: grpc.aio.AioRpcError) -> bool:
    """Our request id, already used with other content: a step stating the time it happens,
    done by an earlier run (the request ids are the demo's own)."""
    return e.code() == grpc.StatusCode.INVALID_ARGUMENT and (e.details() or "").startswith(f"{REQUEST_ID_HEADER}:")


class Session:
    def __init__(self, targets: dict[str, str], key_file: Path, tag: str, timeout: float = 30.0):
        try:
            self._signer = tokens.TokenSigner(tokens.load_private_key(Path(key_file)))
        except (OSError, ValueError) as e:
            raise DemoError(f"cannot read the token signing key {key_file}: {e} (give --key-file or DATA_DIR)") from e
        self.targets, self.tag, self.timeout = targets, tag, timeout
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._tokens: dict[Principal, str] = {}
        self.anchor: datetime | None = None  # the demo's "now", as the platform first recorded it
        self.sent = 0
        self.done_before = 0  # steps an interrupted earlier run did stating another time
        self.on_step: Callable[[], None] = lambda: None

    def at(self, days: float = 0.0):
        """A time of the story: the anchor moved by `days` (the same on every run)."""
        if self.anchor is None:
            raise DemoError("the demo's anchor time is not known yet (the first clue sets it)")
        return timestamp(self.anchor + timedelta(days=days))

    @staticmethod
    def now(days: float = 0.0):
        """A time something happens in the story: the wall clock (a step's time may not precede
        the file's last step), moved by `days`."""
        return timestamp(datetime.now(timezone.utc) + timedelta(days=days))

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()

    def token(self, who: Principal) -> str:
        if who not in self._tokens:
            self._tokens[who] = self._signer.issue(who, 3600)
        return self._tokens[who]

    def _channel(self, service: str) -> grpc.aio.Channel:
        if service not in self._channels:
            if service not in self.targets:
                raise DemoError(f"no address for the {service} service")
            self._channels[service] = grpc.aio.insecure_channel(self.targets[service])
        return self._channels[service]

    async def _invoke(self, method: str, who: Principal, fields: dict, request_id: str | None):
        found = find(method)
        request = message_factory.GetMessageClass(found.method.input_type)(**fields)
        md = [("authorization", f"Bearer {self.token(who)}"), ("x-correlation-id", f"{self.tag}-load")]
        md += [("x-request-id", request_id)] if request_id else []
        call = self._channel(found.package.split(".")[0]).unary_unary(
            found.path,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=found.response_class().FromString,
        )
        for attempt in range(4):
            try:
                return await call(request, metadata=md, timeout=self.timeout)
            except grpc.aio.AioRpcError as e:
                if e.code() not in RETRIED or attempt == 3:
                    raise
                await asyncio.sleep(1 + attempt)

    async def do(self, method: str, who: Principal, step: str, /, **fields):
        """A mutation, once per (seed, step) however often the demo runs; its answer, or None
        when an earlier run did it stating another time (see `done_before`)."""
        try:
            answer = await self._invoke(method, who, fields, f"{self.tag}-{step}"[:128])
        except grpc.aio.AioRpcError as e:
            if not done_before(e):
                raise refused(f"{step}: {method} as {who.user}", e) from e
            answer = None
            self.done_before += 1
        self.sent += 1
        self.on_step()
        return answer

    async def read(self, method: str, who: Principal, /, **fields):
        """A query (recorded as a read by the service, like any other: domain.md §1)."""
        try:
            return await self._invoke(method, who, fields, None)
        except grpc.aio.AioRpcError as e:
            raise refused(f"{method} as {who.user}", e) from e

    async def wait(self, probe: Callable[[], Awaitable[object]], what: str, seconds: float = 90.0):
        """Poll `probe()` until it answers something truthy (a NOT_FOUND counts as not yet)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                found = await probe()
            except DemoError as e:
                if e.code != grpc.StatusCode.NOT_FOUND:
                    raise DemoError(f"waiting for {what}: {e}", e.code) from e
                found = None
            if found:
                return found
            if time.monotonic() > deadline:
                raise DemoError(f"gave up after {seconds:.0f} s waiting for {what}")
            await asyncio.sleep(0.25)
