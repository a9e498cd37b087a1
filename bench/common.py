"""What the benchmarks share: realistic events, progress lines, a PostgreSQL to run on."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from clues.v1 import events_pb2
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import NewEvent

BY = Principal("commission", "case_management", "case_manager", "u-bench")
AT = datetime(2026, 5, 6, 9, 0, tzinfo=timezone.utc)


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def new_event(i: int) -> NewEvent:
    """A realistic event: ~200 bytes of payload, links, principal, correlation."""
    payload = events_pb2.ClueRegistered(
        clue_id=f"clue-{uuid.UUID(int=i)}",
        source=events_pb2.CLUE_SOURCE_PETITION,
        subjects=[
            identity_pb2.PersonRef(
                person_id=f"P-{i:08d}",
                name="Zhang San",
                post="deputy director",
                unit="city housing and construction bureau",
            )
        ],
        summary="Alleged acceptance of gifts from a property developer during permit approvals, 2024-2025.",
        receiving_office=identity_pb2.OfficeRef(agency_id="commission", office_id="complaints"),
    )
    return NewEvent(
        event_id=str(uuid.uuid4()),
        payload=payload,
        occurred_at=AT,
        principal=BY,
        correlation_id=str(uuid.uuid4()),
        request_id=str(uuid.uuid4()),
    )


@contextmanager
def postgres(url: str):
    """`url`, or an embedded PostgreSQL started for the run and stopped after it."""
    if url:
        yield url
        return
    from kernel.runtime.embedded import EmbeddedPostgres

    pg = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="bench-pg-"))).start()
    say(f"embedded PostgreSQL at {pg.url}")
    try:
        yield pg.url
    finally:
        pg.stop()


def add_database_option(p) -> None:
    """`--database-url`: the PostgreSQL a benchmark uses (default DATABASE_URL; else embedded)."""
    p.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL to use (default DATABASE_URL; else an embedded one is started)",
    )
