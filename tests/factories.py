"""Small builders shared by tests."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from clues.v1 import events_pb2
from kernel.envelope import NewEvent
from kernel.principal import Principal

ALICE = Principal("commission", "case_management", "case_manager", "u-alice")


def clue_event(stream_id: str = "", summary: str = "s", event_id: str | None = None) -> NewEvent:
    payload = events_pb2.ClueRegistered(clue_id=stream_id, summary=summary)
    return NewEvent(event_id=event_id or str(uuid.uuid4()), payload=payload,
                    occurred_at=datetime(2026, 3, 1, tzinfo=timezone.utc), principal=ALICE,
                    correlation_id="corr-1")
