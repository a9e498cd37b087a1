"""Small builders shared by tests."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from clues.v1 import events_pb2
from kernel import tokens
from kernel.envelope import NewEvent
from kernel.principal import Principal
from kernel.settings import ServiceSettings

ALICE = Principal("commission", "case_management", "case_manager", "u-alice")
OPERATOR = Principal("commission", "platform_operations", "platform_operator", "u-ops")


def token_for(settings: ServiceSettings, principal: Principal = ALICE, ttl: int = 3600) -> str:
    """A token signed with the platform key the service under test verifies with."""
    return tokens.TokenSigner(tokens.load_or_create_private_key(settings.signing_key_file)).issue(principal, ttl)


def call_metadata(settings: ServiceSettings, principal: Principal = ALICE, *, request_id: str | None = None,
                  correlation: str | None = None) -> list[tuple[str, str]]:
    md = [("authorization", f"Bearer {token_for(settings, principal)}")]
    md += [("x-correlation-id", correlation)] if correlation else []
    return md + ([("x-request-id", request_id)] if request_id else [])


def clue_event(stream_id: str = "", summary: str = "s", event_id: str | None = None) -> NewEvent:
    payload = events_pb2.ClueRegistered(clue_id=stream_id, summary=summary)
    return NewEvent(event_id=event_id or str(uuid.uuid4()), payload=payload,
                    occurred_at=datetime(2026, 3, 1, tzinfo=timezone.utc), principal=ALICE,
                    correlation_id="corr-1")
