"""Which driver errors mean "the store is down" (UNAVAILABLE, retry with the same request id) and
which are the caller's or the code's own problem. Errors are built as asyncpg builds them."""

import asyncio

import asyncpg
import pytest
from asyncpg.exceptions import PostgresError

from kernel.domain.errors import TooLarge, Unavailable, Validation
from kernel.eventstore.store import is_store_down, store_errors, store_unavailable


def server_error(sqlstate: str) -> PostgresError:
    """The exception asyncpg raises for an ErrorResponse carrying `sqlstate`."""
    return PostgresError.new({"C": sqlstate, "M": "from the server", "S": "FATAL"})


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError(104, "Connection reset by peer"),
        ConnectionRefusedError(111, "Connection refused"),
        OSError(113, "No route to host"),
        TimeoutError(),
        asyncpg.InterfaceError("cannot perform operation: connection is closed"),
        asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_client_side_failures_are_the_store_down(error):
    assert is_store_down(error)


@pytest.mark.parametrize(
    "sqlstate, kind",
    [
        ("08000", "PostgresConnectionError"),
        ("08003", "ConnectionDoesNotExistError"),
        ("08006", "ConnectionFailureError"),
        ("08P01", "ProtocolViolationError"),
        ("08XYZ", "UnknownPostgresError"),  # a code the driver has no class for: its class decides
        ("53000", "InsufficientResourcesError"),
        ("53100", "DiskFullError"),
        ("53300", "TooManyConnectionsError"),
        ("57P01", "AdminShutdownError"),
        ("57P02", "CrashShutdownError"),
        ("57P03", "CannotConnectNowError"),
        ("57014", "QueryCanceledError"),
    ],
)
def test_server_side_unavailability_is_the_store_down(sqlstate, kind):
    error = server_error(sqlstate)
    assert type(error).__name__ == kind
    assert is_store_down(error)


@pytest.mark.parametrize(
    "error",
    [
        server_error("23505"),  # unique violation: the store answered
        server_error("40001"),  # serialization failure: a conflict, not an outage
        server_error("42P01"),  # undefined table: a bug or a missing migration
        server_error("22P02"),  # invalid text representation: bad input
        server_error("XX000"),  # internal error of the server itself
        ValueError("bad"),
        KeyError("k"),
        RuntimeError("x"),
        Validation("summary", "must not be empty"),
        Unavailable("already ours"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_answers_and_bugs_are_not_the_store_down(error):
    assert not is_store_down(error)


def test_the_callers_message_says_retry_with_the_same_request_id_and_no_driver_detail():
    message = str(store_unavailable(asyncpg.exceptions.InternalClientError("cannot switch to state 15")))
    assert "unreachable" in message and "x-request-id" in message
    assert "state 15" not in message


async def test_store_errors_translates_only_the_store_down():
    with pytest.raises(Unavailable) as down:
        async with store_errors():
            raise asyncpg.exceptions.InternalClientError("cannot switch to state 15")
    assert isinstance(down.value.__cause__, asyncpg.exceptions.InternalClientError)
    with pytest.raises(asyncpg.exceptions.UniqueViolationError):
        async with store_errors():
            raise server_error("23505")


def test_too_large_names_the_event_the_size_and_the_limit_and_keeps_its_kind_in_a_batch():
    error = TooLarge("ClueRegistered", 1_049_012, 262_144)
    assert isinstance(error, Validation)
    assert str(error) == (
        "the event ClueRegistered would be 1,049,012 bytes, over the limit of 262,144 "
        "(MAX_EVENT_BYTES); shorten the request's text fields"
    )
    inner = error.within("clues[3]")
    assert isinstance(inner, TooLarge) and inner.size == 1_049_012
    assert str(inner).startswith("clues[3]: the event ClueRegistered would be 1,049,012 bytes")
