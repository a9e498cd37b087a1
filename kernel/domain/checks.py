"""The domain kit: the small checks every decider makes, written once (pure, no I/O).

Each raises the platform's own errors, naming the field or the state, so a decider reads as its
rules: `require(state, (REGISTERED,), "propose a disposal")`, `text(cmd.reason, "reason")`.
"""

from __future__ import annotations

from datetime import datetime

from kernel.domain.errors import IllegalState, Validation

MAX_TEXT = 20_000


def require(state, statuses: tuple[str, ...], operation: str) -> None:
    """The aggregate (`state.status`) is in one of `statuses`, or FAILED_PRECONDITION naming it."""
    if state.status not in statuses:
        raise IllegalState(state.status, operation)


def text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    """Non-blank text of at most `limit` characters, stripped."""
    if not value or not value.strip():
        raise Validation(field, "must not be empty")
    if len(value) > limit:
        raise Validation(field, f"longer than {limit} characters")
    return value.strip()


def one_of(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise Validation(field, f"must be one of {', '.join(allowed)}")
    return value


def moment(value: datetime | None, field: str, not_before: datetime | None = None, since: str = "") -> datetime:
    """A time-zone-aware instant, not before `not_before` (`since` says what that was)."""
    if not isinstance(value, datetime):
        raise Validation(field, "is required")
    if value.utcoffset() is None:
        raise Validation(field, "must carry a time zone")
    if not_before is not None and value < not_before:
        raise Validation(field, f"is before {since or 'the start'} ({not_before.isoformat()})")
    return value
