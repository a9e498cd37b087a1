"""A person's merged view of what waits for them (待办, issue 20) across the services.

Each service answers `ListAwaitingMe` with `common.v1.AwaitingItem`s in one order: by due (items
without one last), then since, then file id. `merge` puts the services' pages together in that
order (pure); `awaiting_for` asks every service the caller names, page by page, with the caller's
own credentials (so each service applies its need-to-know policy and records the read), and says
which services did not answer instead of failing the whole view.

Services are found by contract, not by name: `endpoint` takes a service's generated modules and
finds the service in them that has `ListAwaitingMe`, so a service joins the view as soon as its
contract has the RPC. The kernel imports no service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType

import grpc

from common.v1 import awaiting_pb2

RPC = "ListAwaitingMe"
MAX_ITEMS = 1000  # per service: the view is a work list, not an export


def order(item: awaiting_pb2.AwaitingItem) -> tuple:
    """Due (unset last), since, file id, then service, step and role (a stable tie-break)."""
    due = item.due.ToNanoseconds() if item.HasField("due") else None
    since = item.since.ToNanoseconds() if item.HasField("since") else 0
    return (due is None, due or 0, since, item.file_id, item.service, item.step, item.role)


def merge(pages: Iterable[Iterable[awaiting_pb2.AwaitingItem]]) -> list[awaiting_pb2.AwaitingItem]:
    """Every item of every page, in the order of `common.v1.AwaitingItem` lists."""
    return sorted((item for page in pages for item in page), key=order)


@dataclass(frozen=True)
class Endpoint:
    """Where one service answers `ListAwaitingMe`: its name, its address (host:port), its stub class
    and its request message class (fields `page_size`, `page_token`, `purpose`)."""

    service: str
    target: str
    stub: type
    request: type


def endpoint(service: str, target: str, pb2: ModuleType, pb2_grpc: ModuleType) -> Endpoint | None:
    """The endpoint of the service in `pb2` (its `service_pb2`) that has `ListAwaitingMe`; None when
    none has it yet."""
    for svc in pb2.DESCRIPTOR.services_by_name.values():
        method = svc.methods_by_name.get(RPC)
        if method is not None:
            return Endpoint(service, target, getattr(pb2_grpc, f"{svc.name}Stub"), getattr(pb2, method.input_type.name))
    return None


@dataclass
class Merged:
    """The merged items, and for each service that did not answer, why (its status and words)."""

    items: list[awaiting_pb2.AwaitingItem] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)  # services with more than `max_items`


async def _pages(stub, ep: Endpoint, metadata, purpose: str, page_size: int, max_items: int, timeout: float):
    items, token = [], ""
    while True:
        request = ep.request(page_size=page_size, page_token=token, purpose=purpose)
        answer = await getattr(stub, RPC)(request, metadata=metadata, timeout=timeout)
        items += answer.items
        token = answer.next_page_token
        if not token or len(items) >= max_items:
            return items[:max_items], bool(token) or len(items) > max_items


async def _one(ep: Endpoint, metadata, purpose: str, credentials, page_size: int, max_items: int, timeout: float):
    """(items, more, error) of one service."""
    channel = grpc.aio.secure_channel(ep.target, credentials) if credentials else grpc.aio.insecure_channel(ep.target)
    async with channel:
        try:
            items, more = await _pages(ep.stub(channel), ep, metadata, purpose, page_size, max_items, timeout)
        except grpc.aio.AioRpcError as e:
            return [], False, f"{e.code().name}: {e.details()}"
    return items, more, ""


async def awaiting_for(
    metadata: Sequence[tuple[str, str]],
    endpoints: Iterable[Endpoint],
    purpose: str,
    *,
    credentials: grpc.ChannelCredentials | None = None,
    page_size: int = 200,
    max_items: int = MAX_ITEMS,
    timeout: float = 10.0,
) -> Merged:
    """What waits for the caller (`metadata`: their `authorization: Bearer <token>`) at every
    endpoint, asked at once and merged; `purpose` goes on each service's record of the read."""
    endpoints = list(endpoints)
    answers = await asyncio.gather(
        *(_one(ep, metadata, purpose, credentials, page_size, max_items, timeout) for ep in endpoints)
    )
    merged = Merged()
    for ep, (_, more, error) in zip(endpoints, answers):
        if error:
            merged.failed[ep.service] = error
        elif more:
            merged.truncated.append(ep.service)
    merged.items = merge(items for items, _, _ in answers)
    return merged
