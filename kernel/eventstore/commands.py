"""Commands are idempotent by request id.

Every mutating call carries a request id (`x-request-id` metadata). The first call with an id
claims it in the service's `requests` table inside the command's own transaction; its result is
stored there when the command commits. A retry with the same id and the same content returns
that stored result and appends nothing; the same id with other content (another operation,
another request message, another user) is refused, naming `x-request-id`. Racing retries are
serialised by the primary key: the second INSERT waits for the first transaction to end.

Event ids (and new stream ids) derive from the request id, so even a command re-run after a lost
`requests` row could only produce the same events, which the store's event-id idempotency absorbs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from google.protobuf.message import Message

from kernel.domain.errors import Validation
from kernel.domain.principal import Principal
from kernel.eventstore import migrations
from kernel.eventstore.envelope import Link, NewEvent, derived_event_id
from kernel.eventstore.migrations import Migration

REQUEST_ID_HEADER = "x-request-id"
CORRELATION_HEADER = "x-correlation-id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")

REQUESTS_SQL = """
CREATE TABLE IF NOT EXISTS {s}.requests (
    request_id  text PRIMARY KEY,
    operation   text  NOT NULL,
    fingerprint bytea NOT NULL,
    result      jsonb,
    user_id     text  NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
)"""
MIGRATIONS = (Migration("requests", 1, "request ids answered once", REQUESTS_SQL),)


@dataclass(frozen=True)
class CommandContext:
    """Who asks, under which correlation, with which idempotency key, for which operation."""

    principal: Principal
    correlation_id: str
    operation: str
    request_id: str = ""
    fingerprint: bytes = b""

    def item(self, k: int) -> CommandContext:
        """The context of the k-th command of a batch request: same request, its own event ids."""
        return dataclasses.replace(self, operation=f"{self.operation}#{k}")

    def event_id(self, index: int) -> str:
        return derived_event_id(self.request_id, index, self.operation)

    def derived_id(self, context: str, index: int = 0) -> str:
        """A new stream id (`<context>-<uuid>`) that a retry of this request names again."""
        return f"{context}-{uuid.uuid5(uuid.NAMESPACE_URL, f'{self.operation}/{self.request_id}/{index}')}"

    def new_event(self, index: int, payload: Message, occurred_at: datetime, links: tuple[Link, ...] = ()) -> NewEvent:
        """The index-th event of this command, stamped with its principal and ids."""
        return NewEvent(
            event_id=self.event_id(index),
            payload=payload,
            occurred_at=occurred_at,
            principal=self.principal,
            correlation_id=self.correlation_id,
            causation_id=self.request_id,
            request_id=self.request_id,
            links=links,
        )


def check_request_id(value: str) -> str:
    if not value:
        raise Validation(
            REQUEST_ID_HEADER,
            "required on every mutating call: send a new UUID per intended operation and the same one on each retry",
        )
    if not _REQUEST_ID.fullmatch(value):
        raise Validation(REQUEST_ID_HEADER, "must be 1-128 characters of letters, digits, '.', '_', ':' or '-'")
    return value


def check_correlation_id(value: str) -> str:
    """A caller's correlation id ("" when none was sent): the request id's format, since it is
    copied into every event, Kafka header and log line of the conversation."""
    if value and not _REQUEST_ID.fullmatch(value):
        raise Validation(CORRELATION_HEADER, "must be 1-128 characters of letters, digits, '.', '_', ':' or '-'")
    return value


def fingerprint(method: str, principal: Principal, request: bytes) -> bytes:
    """What makes two calls 'the same request': method, acting user and request message bytes."""
    h = hashlib.sha256()
    for part in (method.encode(), principal.user.encode(), request):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.digest()


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


async def run_once(store, ctx: CommandContext, work: Callable[[object], Awaitable[dict]]) -> dict:
    """Run `work(uow)` once per request id; return its JSON-able result, stored for retries."""
    s = store.schema
    async with store.unit_of_work() as uow:
        claimed = await uow.conn.fetchval(
            f"INSERT INTO {s}.requests (request_id, operation, fingerprint, user_id) VALUES ($1, $2, $3, $4) "
            f"ON CONFLICT (request_id) DO NOTHING RETURNING true",
            ctx.request_id,
            ctx.operation,
            ctx.fingerprint,
            ctx.principal.user,
        )
        if not claimed:
            row = await uow.conn.fetchrow(
                f"SELECT fingerprint, result FROM {s}.requests WHERE request_id = $1", ctx.request_id
            )
            if bytes(row["fingerprint"]) != ctx.fingerprint:
                raise Validation(
                    REQUEST_ID_HEADER, "already used for a different request; use a new request id for a new operation"
                )
            return json.loads(row["result"])
        result = await work(uow)
        await uow.conn.execute(
            f"UPDATE {s}.requests SET result = $2::jsonb WHERE request_id = $1", ctx.request_id, json.dumps(result)
        )
        return result
