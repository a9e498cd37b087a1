"""Reads on the record (治权之权, seed 003; domain.md §1): each read of a file a service serves is
an event, `common.v1.FileRead`, on a stream of its own (`read-<uuid>`), published and ledgered
like every other event. Who read is the envelope's principal, when is its time; the envelope links
every file read and every person those files are about (relation "read"), so audit answers "who
read what about this clue, case or person, when and why".

A read is recorded after it was answered from the store and before the answer leaves: a read that
cannot be recorded is not served (UNAVAILABLE, like a store that is down).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from common.v1 import reads_pb2
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link, NewEvent, new_event_id
from kernel.eventstore.store import EventStore

READ = "read"
MAX_FILES = 1000  # a list query names at most this many of the files it returned


@dataclass(frozen=True)
class FileRef:
    """A file read: its kind ("clue", "case", "measure", "office", "stream", "person") and id."""

    kind: str
    id: str


def read_stream_id() -> str:
    return f"read-{uuid.uuid4()}"


def read_event(
    ctx: CommandContext,
    rpc: str,
    purpose: str,
    files: Iterable[FileRef],
    persons: Iterable[str],
    now: datetime,
    query: str = "",
) -> NewEvent:
    """The FileRead event of one read, linking each file and each person it is about."""
    files = list(dict.fromkeys(files))[:MAX_FILES]
    payload = reads_pb2.FileRead(
        operation=f"{ctx.operation}/{rpc}",
        purpose=purpose.strip(),
        files=[reads_pb2.FileRef(kind=f.kind, id=f.id) for f in files],
        query=query,
    )
    links = [Link(f.kind, f.id, READ) for f in files if f.kind != "person"]
    links += [Link("person", p, READ) for p in dict.fromkeys([*persons, *(f.id for f in files if f.kind == "person")])]
    return NewEvent(
        event_id=new_event_id(),
        payload=payload,
        occurred_at=now,
        principal=ctx.principal,
        correlation_id=ctx.correlation_id,
        links=tuple(links),
    )


async def record_read(
    store: EventStore,
    ctx: CommandContext,
    rpc: str,
    purpose: str,
    files: Iterable[FileRef],
    persons: Iterable[str] = (),
    *,
    now: datetime,
    query: str = "",
) -> None:
    """Append the read's event on a new `read-<uuid>` stream (one autocommit statement)."""
    await store.append(read_stream_id(), 0, [read_event(ctx, rpc, purpose, files, persons, now, query)])
