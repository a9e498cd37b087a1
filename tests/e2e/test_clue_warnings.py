"""Three-colour warnings in a running service whose clock the test moves: a registered clue left
alone turns yellow, then red, on schedule; each warning is raised once, also across a restart; the
work queue shows the colour."""

import asyncio
import datetime as dt
import uuid

import grpc
import pytest

from clues.v1 import events_pb2 as ev_pb2, service_pb2 as pb
from common.v1 import identity_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.domain.ids import timer_stream_id
from kernel.eventstore.envelope import parse, unpack
from services.clues.main import build as build_clues
from tests.e2e.platforms import CLOCKED, FAST_JOIN
from tests.e2e.test_clue_lifecycle import HEAD, Client
from tests.factories import OPERATOR, call_metadata, service_settings, ts

CST = dt.timezone(dt.timedelta(hours=8))
# Real time: a restarted test-mode service starts from the system clock again, so the story is
# told forward from now (the rule exercised counts calendar days, so any start date works).
T0 = dt.datetime.now(CST).replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
async def settings(database_url, bootstrap, tmp_path_factory):
    return service_settings(
        "clues",
        database_url,
        bootstrap,
        f"cw{uuid.uuid4().hex[:8]}",
        tmp_path_factory.mktemp("warnings"),
        **CLOCKED,
        **FAST_JOIN,
    )


async def set_clock(host, at):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
        await control_pb2_grpc.ControlServiceStub(ch).SetClock(
            control_pb2.SetClockRequest(at=ts(at), freeze=True), metadata=call_metadata(host.settings, OPERATOR)
        )


async def warnings_of(host, clue_id, count, seconds=30):
    for _ in range(seconds * 10):
        stored = await host.store.read_stream(timer_stream_id(clue_id))
        if len(stored) >= count:
            return [unpack(parse(s.envelope), ev_pb2.ClueWarningRaised) for s in stored]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{clue_id}: {count} warnings expected, {len(stored)} raised")


async def test_a_clue_left_alone_turns_yellow_then_red_once(settings):
    host = await build_clues(settings).start()
    try:
        await set_clock(host, T0)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
            client = Client(host, ch)
            reg = await client(
                "RegisterClue",
                source=ev_pb2.CLUE_SOURCE_SUPERIOR_ASSIGNMENT,
                summary="assigned",
                subjects=[identity_pb2.PersonRef(person_id="P-5", name="Han Yi")],
                priority=ev_pb2.CLUE_PRIORITY_SAME_LEVEL_COMMITTEE_CADRE,
            )
            cid = reg.clue_id
            await client("ProposeRegistration", clue_id=cid, handling_office="resident_group_1")
            await client("ApproveRegistration", HEAD, clue_id=cid)
            got = await client.get(cid)  # disposal due 15 days after registration
            assert got.colour == ev_pb2.WARNING_COLOUR_GREEN
            assert got.deadline.ToDatetime(tzinfo=CST) == T0 + dt.timedelta(days=15)
            await set_clock(host, T0 + dt.timedelta(days=12))
            [yellow] = await warnings_of(host, cid, 1)
            assert (yellow.colour, yellow.stage, yellow.rule) == (
                ev_pb2.WARNING_COLOUR_YELLOW,
                "REGISTERED",
                "propose-disposal",
            )
            queue = await client.stub.ListClues(
                pb.ListCluesRequest(
                    office="resident_group_1", colour=ev_pb2.WARNING_COLOUR_YELLOW, purpose="the yellow queue"
                ),
                metadata=call_metadata(host.settings),
            )
            assert [c.clue_id for c in queue.clues] == [cid]
            await set_clock(host, T0 + dt.timedelta(days=15, minutes=1))
            await warnings_of(host, cid, 2)
    finally:
        await host.stop()
    host = await build_clues(settings).start()  # restarted: nothing is raised twice
    try:
        await set_clock(host, T0 + dt.timedelta(days=16))
        await asyncio.sleep(1.0)
        warnings = await warnings_of(host, cid, 2)
        assert [(w.colour, w.rule) for w in warnings] == [
            (ev_pb2.WARNING_COLOUR_YELLOW, "propose-disposal"),
            (ev_pb2.WARNING_COLOUR_RED, "propose-disposal"),
        ]
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
            client = Client(host, ch)
            assert (await client.get(cid)).colour == ev_pb2.WARNING_COLOUR_RED
            # disposing of it cancels what no longer applies: a month after receipt nothing new is raised
            await client("ProposeDisposal", clue_id=cid, method=ev_pb2.DISPOSAL_METHOD_SHELVED, reason="hold")
            await client("ApproveDisposal", HEAD, clue_id=cid)
        await set_clock(host, T0 + dt.timedelta(days=70))
        await asyncio.sleep(1.0)
        assert len(await host.store.read_stream(timer_stream_id(cid))) == 2  # the undisposed rule was cancelled
    finally:
        await host.stop()
