"""Identity on every call of every service, walked through reflection; roles from the catalogue;
TLS; the settable clock. The four services run in-process as `make run` builds them."""

import asyncio
import datetime as dt
import uuid

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.domain.principal import Principal
from kernel.edge.tokens import TokenSigner, load_or_create_private_key
from services.audit.main import build as build_audit
from services.cases.main import build as build_cases
from services.clues.main import build as build_clues
from services.sanctions.main import build as build_sanctions
from tests.e2e.platforms import FAST_JOIN, start_together
from tests.factories import ALICE, OPERATOR, call_metadata, service_settings, token_for, ts

OPEN = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection")
BUILDERS = {"clues": build_clues, "cases": build_cases, "sanctions": build_sanctions, "audit": build_audit}


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    prefix, data = f"id{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("identity")
    starts = [
        build(
            service_settings(name, database_url, bootstrap, prefix, data, test_mode=(name == "clues"), **FAST_JOIN)
        ).start()
        for name, build in BUILDERS.items()
    ]
    hosts = dict(zip(BUILDERS, await start_together(starts)))
    yield hosts
    for host in hosts.values():
        await host.stop()


def _methods(port: int) -> list[tuple[str, bool, bool]]:
    """(path, client streaming, server streaming) of every RPC the server lists by reflection."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        db = ProtoReflectionDescriptorDatabase(channel)
        from google.protobuf.descriptor_pool import DescriptorPool

        pool = DescriptorPool(db)
        found = []
        for name in db.get_services():
            if name in OPEN:
                continue
            for m in pool.FindServiceByName(name).methods:
                found.append((f"/{name}/{m.name}", m.client_streaming, m.server_streaming))
        return found


def _call(port: int, path: str, server_streaming: bool, metadata) -> grpc.StatusCode:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            if server_streaming:
                list(channel.unary_stream(path)(b"", metadata=metadata, timeout=10))
            else:
                channel.unary_unary(path)(b"", metadata=metadata, timeout=10)
        except grpc.RpcError as e:
            return e.code()
    return grpc.StatusCode.OK


def _bad_credentials(settings):
    key = load_or_create_private_key(settings.signing_key_file)
    forged = TokenSigner(Ed25519PrivateKey.generate()).issue(ALICE, 3600)
    expired = TokenSigner(key).issue(ALICE, 60, now=1_600_000_000)
    unknown_role = TokenSigner(key).issue(Principal("commission", "case_management", "janitor", "u-x"), 3600)
    valid = token_for(settings)
    return {
        "missing": [],
        "not bearer": [("authorization", valid)],
        "malformed": [("authorization", "Bearer not-a-token")],
        "forged": [("authorization", f"Bearer {forged}")],
        "expired": [("authorization", f"Bearer {expired}")],
        "unknown role": [("authorization", f"Bearer {unknown_role}")],
        "plain principal headers": [
            ("x-agency", "commission"),
            ("x-office", "case_management"),
            ("x-role", "case_manager"),
            ("x-user", "u-alice"),
        ],
    }


async def test_every_rpc_of_every_service_refuses_bad_credentials(platform):
    walked = 0
    for name, host in platform.items():
        methods = await asyncio.to_thread(_methods, host.port)
        assert methods, f"{name} lists no RPC by reflection"
        for path, _, server_streaming in methods:
            for kind, md in _bad_credentials(host.settings).items():
                code = await asyncio.to_thread(_call, host.port, path, server_streaming, md)
                assert code == grpc.StatusCode.UNAUTHENTICATED, f"{path} with {kind} credentials: {code}"
            walked += 1
    assert walked >= 4 + 3 + 1  # every service has at least the control service


async def test_a_valid_token_passes_authentication_on_every_rpc(platform):
    """The same walk with a good token never answers UNAUTHENTICATED (so the refusals above mean it)."""
    for host in platform.values():
        for path, _, server_streaming in await asyncio.to_thread(_methods, host.port):
            md = call_metadata(host.settings, request_id=str(uuid.uuid4()))
            code = await asyncio.to_thread(_call, host.port, path, server_streaming, md)
            assert code != grpc.StatusCode.UNAUTHENTICATED, path


async def test_a_role_the_catalogue_does_not_allow_is_permission_denied(platform):
    clues = platform["clues"]
    partner = Principal("procuratorate", "prosecution_intake", "partner_system", "gw-1")
    req = clues_pb2.RegisterClueRequest(
        source=events_pb2.CLUE_SOURCE_AUDIT,
        summary="x",
        subjects=[identity_pb2.PersonRef(person_id="p-1", name="Li Si")],
    )
    request_id = str(uuid.uuid4())
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await clues_grpc.ClueServiceStub(ch).RegisterClue(
                req, metadata=call_metadata(clues.settings, partner, request_id=request_id)
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "partner_system" in err.value.details() and "clues.register" in err.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await control_pb2_grpc.ControlServiceStub(ch).SetClock(
                control_pb2.SetClockRequest(at=ts(dt.datetime(2026, 5, 6, tzinfo=dt.timezone.utc))),
                metadata=call_metadata(clues.settings),
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    async with clues.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM clues.requests WHERE request_id = $1", request_id) == 0


async def test_clock_is_settable_in_test_mode_only(platform):
    clues, cases = platform["clues"], platform["cases"]
    may = dt.datetime(2026, 5, 6, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        stub = control_pb2_grpc.ControlServiceStub(ch)
        try:
            set_ = await stub.SetClock(
                control_pb2.SetClockRequest(at=ts(may), freeze=True), metadata=call_metadata(clues.settings, OPERATOR)
            )
            assert set_.clock.frozen and set_.clock.time_zone == "Asia/Shanghai"
            assert set_.clock.now.ToDatetime(tzinfo=dt.timezone.utc) == may
            # a command that takes its time from the clock sees the moved clock
            req = clues_pb2.RegisterClueRequest(
                source=events_pb2.CLUE_SOURCE_PETITION,
                summary="in May",
                subjects=[identity_pb2.PersonRef(person_id="p-9", name="Qian")],
            )
            resp = await clues_grpc.ClueServiceStub(ch).RegisterClue(
                req, metadata=call_metadata(clues.settings, request_id=str(uuid.uuid4()))
            )
            got = await clues_grpc.ClueServiceStub(ch).GetClue(
                clues_pb2.GetClueRequest(clue_id=resp.clue_id, purpose="check the time"),
                metadata=call_metadata(clues.settings),
            )
            assert got.received_at.ToDatetime(tzinfo=dt.timezone.utc) == may
        finally:
            reset = await stub.ResetClock(
                control_pb2.ResetClockRequest(), metadata=call_metadata(clues.settings, OPERATOR)
            )
        assert not reset.clock.moved
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch:
        stub = control_pb2_grpc.ControlServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.SetClock(
                control_pb2.SetClockRequest(at=ts(may)), metadata=call_metadata(cases.settings, OPERATOR)
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "PRODUCTION_MODE" in err.value.details() and "PLATFORM_TEST_MODE" in err.value.details()
        got = await stub.GetClock(control_pb2.GetClockRequest(), metadata=call_metadata(cases.settings))
        assert not got.clock.settable and not got.clock.moved


async def test_moving_the_clock_fires_due_timers_of_a_running_service(platform):
    """A deadline timer in the running clues service fires once the test moves its clock past it,
    and the timer's event travels like any other: store -> relay -> Kafka -> audit."""
    from audit.v1 import service_pb2 as audit_pb2, service_pb2_grpc as audit_grpc
    from kernel.domain.ids import timer_stream_id
    from kernel.eventstore import timers

    clues, audit = platform["clues"], platform["audit"]
    clue = f"clue-{uuid.uuid4()}"
    stream = timer_stream_id(f"notice-{uuid.uuid4()}")  # a stream no aggregate routes: the event as scheduled
    due = clues.clock.now() + dt.timedelta(days=30)
    async with clues.store.unit_of_work() as uow:
        await timers.schedule(
            uow,
            f"deadline:{clue}",
            due,
            stream,
            events_pb2.ClueRegistered(clue_id=clue, summary="stage deadline"),
            correlation_id="corr-tm",
        )
    await asyncio.sleep(0.3)
    assert await clues.store.read_stream(stream) == []  # not due yet: nothing fires
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        stub = control_pb2_grpc.ControlServiceStub(ch)
        await stub.SetClock(
            control_pb2.SetClockRequest(at=ts(due + dt.timedelta(minutes=1))),
            metadata=call_metadata(clues.settings, OPERATOR),
        )
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ach:
                history = None
                for _ in range(240):
                    try:
                        history = await audit_grpc.AuditServiceStub(ach).GetStreamHistory(
                            audit_pb2.GetStreamHistoryRequest(stream_id=stream, purpose="check the record"),
                            metadata=call_metadata(audit.settings),
                        )
                        break
                    except grpc.aio.AioRpcError as e:
                        assert e.code() == grpc.StatusCode.NOT_FOUND
                        await asyncio.sleep(0.25)
            assert history is not None, "the timer's event never reached audit"
            [recorded] = history.events
            assert recorded.envelope.principal.user == "system:clues-timers"
            assert recorded.envelope.occurred_at.ToDatetime(tzinfo=dt.timezone.utc) == due
        finally:
            await stub.ResetClock(control_pb2.ResetClockRequest(), metadata=call_metadata(clues.settings, OPERATOR))
