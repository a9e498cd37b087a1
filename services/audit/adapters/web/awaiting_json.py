"""The awaiting-me queue (待办, issue 20) as the page's JSON, and where the services answer it."""

from __future__ import annotations

import os

from common.v1 import awaiting_pb2
from kernel.edge.awaiting import Endpoint, Merged
from kernel.edge.awaiting_cli import endpoints
from kernel.edge.mapping import datetime_of
from services.audit.adapters.web.story_json import iso


def item_json(i: awaiting_pb2.AwaitingItem) -> dict:
    return {
        "service": i.service,
        "file_id": i.file_id,
        "reference": i.reference,
        "step": i.step,
        "role": i.role,
        "office": i.office,
        "summary": i.summary,
        "since": iso(datetime_of(i.since, "since")) if i.HasField("since") else None,
        "due": iso(datetime_of(i.due, "due")) if i.HasField("due") else None,
        "colour": i.colour.lower(),
    }


def awaiting_json(merged: Merged) -> dict:
    return {
        "items": [item_json(i) for i in merged.items],
        "unanswered": sorted(merged.failed),
        "truncated": list(merged.truncated),
    }


def parse_targets(text: str) -> dict[str, str]:
    """`clues=127.0.0.1:50051,cases=...` (AUDIT_PAGE_AWAITING_TARGETS) as {service: host:port}; a
    malformed entry stops the service at start, naming it."""
    found = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, target = part.partition("=")
        if not sep or not name.strip() or ":" not in target:
            raise SystemExit(f"AUDIT_PAGE_AWAITING_TARGETS: {part!r}: write SERVICE=HOST:PORT, comma separated")
        found[name.strip()] = target.strip()
    return found


def endpoints_for(targets: dict[str, str]) -> list[Endpoint]:
    """The endpoints asked: only the `targets` when given (tests, split deployments), else every
    service of the platform file at GRPC_HOST and its port (<NAME>_GRPC_PORT), like `awaiting_cli`."""
    return endpoints(list(targets), targets, os.environ)
