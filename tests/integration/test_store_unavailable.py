"""Every store failure reaches the caller as UNAVAILABLE, however it happens: connections torn
mid-operation (pg_terminate_backend), PostgreSQL killed outright (pg_ctl stop -m immediate), a
commit whose reply never arrives. And a command whose outcome the caller could not learn is
retried with its request id: exactly one clue, one event, the original result.

RegisterClue runs against a clues service built as `make run` builds it, over real gRPC."""

import asyncio
import json
import os
import random
import signal
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import grpc
import pytest

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from kernel.runtime.embedded import EmbeddedPostgres
from services.clues.main import build as build_clues
from tests.factories import call_metadata, service_settings

OK, UNAVAILABLE = grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE
REQUEST = clues_pb2.RegisterClueRequest(
    source=events_pb2.CLUE_SOURCE_AUDIT,
    summary="a report",
    subjects=[identity_pb2.PersonRef(person_id="p-1", name="Zhang San")],
)


@dataclass(frozen=True)
class Outcome:
    request_id: str
    code: grpc.StatusCode
    details: str = ""
    response: clues_pb2.RegisterClueResponse | None = None


async def register(stub, settings, request_id: str) -> Outcome:
    try:
        response = await stub.RegisterClue(REQUEST, metadata=call_metadata(settings, request_id=request_id), timeout=30)
        return Outcome(request_id, OK, response=response)
    except grpc.aio.AioRpcError as e:
        return Outcome(request_id, e.code(), e.details())


async def under_load(stub, settings, fault, workers: int = 8) -> list[Outcome]:
    """RegisterClue from `workers` concurrent clients, each a new request id, until `fault()` ends."""
    outcomes: list[Outcome] = []
    done = asyncio.Event()

    async def client():
        while not done.is_set():
            outcome = await register(stub, settings, str(uuid.uuid4()))
            outcomes.append(outcome)
            if outcome.code != OK:
                await asyncio.sleep(0.02)  # the store is away: do not spin

    clients = [asyncio.create_task(client()) for _ in range(workers)]
    try:
        await fault()
    finally:
        done.set()
        await asyncio.gather(*clients)
    return outcomes


def assert_only_unavailable(outcomes: list[Outcome]) -> list[Outcome]:
    """Every failure is UNAVAILABLE saying to retry with the request id; returns the failures."""
    failed = [o for o in outcomes if o.code != OK]
    assert {o.code for o in failed} <= {UNAVAILABLE}, {(o.code, o.details) for o in failed if o.code != UNAVAILABLE}
    for o in failed:
        assert "x-request-id" in o.details and "Traceback" not in o.details, o.details
    return failed


async def retried(stub, settings, outcomes: list[Outcome]) -> dict[str, clues_pb2.RegisterClueResponse]:
    """Each failed request again with its own request id (all must now succeed): id -> response."""
    answers = {o.request_id: o.response for o in outcomes if o.code == OK}
    for o in outcomes:
        if o.code != OK:
            again = await register(stub, settings, o.request_id)
            assert again.code == OK, (again.code, again.details)
            answers[o.request_id] = again.response
    return answers


async def assert_exactly_once(url: str, schema: str, answers: dict[str, clues_pb2.RegisterClueResponse]) -> None:
    """One request row, one clue stream and one event per request id; every answer is the stored result."""
    conn = await asyncpg.connect(url)
    try:
        results = {
            r["request_id"]: json.loads(r["result"])
            for r in await conn.fetch(f"SELECT request_id, result FROM {schema}.requests")
        }
        streams = {
            r["stream_id"]: r["n"]
            for r in await conn.fetch(
                f"SELECT stream_id, count(*) AS n FROM {schema}.events WHERE stream_id LIKE 'clue-%' GROUP BY stream_id"
            )
        }
    finally:
        await conn.close()
    assert set(results) == set(answers)
    assert {r["clue_id"] for r in results.values()} == set(streams) and set(streams.values()) == {1}
    for request_id, answer in answers.items():
        assert (answer.clue_id, answer.version) == (results[request_id]["clue_id"], results[request_id]["version"])


def with_application_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, f"application_name={name}") if q)
    return urlunsplit(parts._replace(query=query))


async def test_connections_torn_mid_operation_are_unavailable_and_retries_apply_once(
    database_url, bootstrap, unique, tmp_path
):
    """pg_terminate_backend of the service's connections, from outside, while calls are in flight."""
    victim = f"torn{unique}"
    settings = service_settings(
        "clues",
        with_application_name(database_url, victim),
        bootstrap,
        victim,
        tmp_path,
        topic_partitions=1,
        database_schema=f"torn_{unique}",
    )
    clues = await build_clues(settings).start()
    admin = await asyncpg.connect(database_url)
    terminated = 0

    async def tear_connections():
        nonlocal terminated
        for _ in range(25):
            await asyncio.sleep(random.uniform(0.02, 0.08))
            terminated += await admin.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1",
                victim,
            )
        await asyncio.sleep(0.3)  # calls after the last tear succeed: the service recovered by itself

    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
            stub = clues_grpc.ClueServiceStub(ch)
            outcomes = await under_load(stub, settings, tear_connections)
            failed = assert_only_unavailable(outcomes)
            assert terminated > 0 and failed, f"no call was caught by a torn connection ({terminated} terminated)"
            assert outcomes[-1].code == OK or any(o.code == OK for o in outcomes[-8:])
            answers = await retried(stub, settings, outcomes)
        await assert_exactly_once(database_url, settings.schema, answers)
    finally:
        await admin.close()
        await clues.stop()


async def stop_immediately(pg: EmbeddedPostgres) -> None:
    """What `pg_ctl stop -m immediate` does: SIGQUIT to the postmaster, which kills every backend
    at once (no shutdown checkpoint; crash recovery at the next start). Signalled directly:
    forking pg_ctl from this process, busy with gRPC threads, sometimes crashed the child."""
    pid_file = pg.data_dir / "pgdata" / "postmaster.pid"
    os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
    for _ in range(200):
        if not pid_file.exists():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("PostgreSQL did not stop within 10 s of SIGQUIT")


async def test_postgres_killed_under_load_is_unavailable_and_retries_apply_once(bootstrap, unique, tmp_path):
    pg = EmbeddedPostgres(tmp_path / "pg").start()
    settings = service_settings("clues", pg.url, bootstrap, f"kill{unique}", tmp_path, topic_partitions=1)
    clues = await build_clues(settings).start()

    async def kill_and_restart():
        await asyncio.sleep(0.5)
        await stop_immediately(pg)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(pg.start)
        await asyncio.sleep(1.0)

    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
            stub = clues_grpc.ClueServiceStub(ch)
            outcomes = await under_load(stub, settings, kill_and_restart)
            failed = assert_only_unavailable(outcomes)
            assert failed and outcomes[-1].code == OK
            answers = await retried(stub, settings, outcomes)
        await assert_exactly_once(pg.url, settings.schema, answers)
    finally:
        await clues.stop()
        pg.stop()


class CommitCutter:
    """A TCP proxy to PostgreSQL. Armed with a request id, it lets the COMMIT of the transaction
    that carried that id reach the server, then cuts the connection before the server's reply
    reaches the service: the command is committed, and neither service nor caller can know."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.request_id = b""
        self.cut = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.close()

    async def _relay(self, service_in, service_out):
        pg_in, pg_out = await asyncio.open_connection(*self.target)
        state = {"carried": False, "committing": False}

        async def to_postgres():
            while data := await service_in.read(65536):
                if self.request_id and self.request_id in data:  # bound as a parameter of the command
                    state["carried"] = True
                if state["carried"] and b"COMMIT" in data:
                    state["committing"], self.request_id = True, b""
                pg_out.write(data)
                await pg_out.drain()
            pg_out.close()  # each side's end reaches the other, or a closing pool waits forever

        async def to_service():
            while data := await pg_in.read(65536):
                if state["committing"]:  # the server's reply to COMMIT: it has committed
                    self.cut += 1
                    service_out.transport.abort()
                    pg_out.transport.abort()
                    return
                service_out.write(data)
                await service_out.drain()
            service_out.close()

        await asyncio.gather(to_postgres(), to_service(), return_exceptions=True)


async def test_a_commit_whose_reply_is_lost_is_unavailable_and_the_retry_returns_the_original_result(
    database_url, bootstrap, unique, tmp_path
):
    target = urlsplit(database_url)
    cutter = CommitCutter(target.hostname, target.port or 5432)
    proxied = urlunsplit(
        target._replace(
            netloc=target.netloc.replace(f"{target.hostname}:{target.port}", f"127.0.0.1:{await cutter.start()}")
        )
    )
    settings = service_settings(
        "clues", proxied, bootstrap, f"cut{unique}", tmp_path, topic_partitions=1, database_schema=f"cut_{unique}"
    )
    clues = await build_clues(settings).start()
    request_id = str(uuid.uuid4())
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
            stub = clues_grpc.ClueServiceStub(ch)
            cutter.request_id = request_id.encode()
            first = await register(stub, settings, request_id)
            assert cutter.cut == 1
            assert first.code == UNAVAILABLE and "x-request-id" in first.details, (first.code, first.details)
            conn = await asyncpg.connect(database_url)
            try:  # committed all the same
                stored = json.loads(
                    await conn.fetchval(
                        f"SELECT result FROM {settings.schema}.requests WHERE request_id = $1", request_id
                    )
                )
            finally:
                await conn.close()
            again = await register(stub, settings, request_id)
            assert again.code == OK
            assert (again.response.clue_id, again.response.version) == (stored["clue_id"], stored["version"])
        await assert_exactly_once(database_url, settings.schema, {request_id: again.response})
    finally:
        await clues.stop()
        await cutter.stop()
