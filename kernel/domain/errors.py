"""The one closed error family of the platform; `kernel.edge.grpc_server` maps it to status codes."""

from __future__ import annotations


class PlatformError(Exception):
    """Base of every error a caller may see. The message is safe to show to the caller."""


class Validation(PlatformError):
    """Bad input (INVALID_ARGUMENT). Names the offending field."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")

    def within(self, prefix: str) -> Validation:
        """The same problem, named inside a container: `clues[3].summary`."""
        return Validation(f"{prefix}.{self.field}", self.problem)


class RuleBroken(Validation):
    """A request field breaks the rule its contract declares (`kernel.edge.contract`): INVALID_ARGUMENT
    whose details carry the ErrorInfo reason REQUEST_FIELD_RULE."""


class TooLarge(Validation):
    """An event whose sealed envelope exceeds the store's bound (INVALID_ARGUMENT): the broker
    could never take it, so it is refused at append. `field` is "" or the item of a batch."""

    def __init__(self, event_type: str, size: int, limit: int, field: str = ""):
        self.event_type, self.size, self.limit = event_type, size, limit
        self.field = field
        self.problem = (
            f"the event {event_type} would be {size:,} bytes, over the limit of {limit:,} "
            f"(MAX_EVENT_BYTES); shorten the request's text fields"
        )
        PlatformError.__init__(self, f"{field}: {self.problem}" if field else self.problem)

    def within(self, prefix: str) -> TooLarge:
        return TooLarge(self.event_type, self.size, self.limit, f"{prefix}.{self.field}" if self.field else prefix)


class IllegalState(PlatformError):
    """The operation is not allowed in the current state (FAILED_PRECONDITION)."""

    def __init__(self, current_state: str, operation: str):
        self.current_state = current_state
        super().__init__(f"cannot {operation} in state {current_state}")


class NotFound(PlatformError):
    """Unknown id (NOT_FOUND)."""

    def __init__(self, kind: str, ident: str):
        super().__init__(f"{kind} {ident!r} not found")


class Concurrency(PlatformError):
    """Optimistic concurrency conflict on a stream (ABORTED): reload and retry."""

    def __init__(self, stream_id: str, expected: int, actual: int | None = None):
        self.stream_id, self.expected, self.actual = stream_id, expected, actual
        found = "" if actual is None else f", found {actual}"
        super().__init__(f"stream {stream_id}: expected version {expected}{found}")


class Unauthenticated(PlatformError):
    """Missing, malformed, forged or expired credentials (UNAUTHENTICATED)."""


class Forbidden(PlatformError):
    """The principal's role may not perform the operation (PERMISSION_DENIED)."""


class Unavailable(PlatformError):
    """A dependency the operation needs (the store) is down (UNAVAILABLE): retry later."""
