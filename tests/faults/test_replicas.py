"""Two replicas of a service on one schema, as processes, under load (issue 28, point 4).

The platform of tests/faults/stack.py with clues and audit each run twice: officers' calls go to
both clues replicas (a call to a dead one moves to the other, with its request id, as behind a
load balancer); one clues relay publishes and the other stands by; the two audit replicas share
every topic's partitions in the ledger's consumer group. Mid-way the publishing clues replica and
one audit replica are SIGKILLed. The standby relay takes over without rebuilding the topic, the
surviving audit replica takes the dead one's partitions, and the exact count of
`Stack.converged` holds: every event of the clues store once in the ledger, nothing held or kept
aside, every acknowledged call stored once, the tree whole, the ledger judging clues complete.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import grpc
import pytest

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.runtime.embedded import free_port
from tests.factories import OPERATOR, call_metadata
from tests.faults.stack import RETRYABLE, ROOT, Load, Stack, wait_serving

pytestmark = pytest.mark.faults
STEP = 40  # acknowledged calls between the phases


class Replica:
    """A second process of a service beside the stack's own, on its own ports."""

    def __init__(self, stack: Stack, service: str):
        self.service, self.port = service, free_port()
        self.log_path = stack.tmp / f"{service}-2.log"
        env = {
            **stack.env,
            f"{service.upper()}_GRPC_PORT": str(self.port),
            f"{service.upper()}_METRICS_PORT": str(free_port()),
        }
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}.main"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_serving(self.address, self.proc)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class SpreadLoad(Load):
    """The stack's load, each officer on one of the clues replicas; a call whose replica does not
    answer is retried, same request id and content, on the next one."""

    def __init__(self, stack: Stack, addresses: list[str]):
        super().__init__(stack)
        self.addresses = addresses

    async def _client(self, i: int) -> None:
        channels = [grpc.aio.insecure_channel(a) for a in self.addresses]
        stubs = [clues_grpc.ClueServiceStub(ch) for ch in channels]
        at = i % len(stubs)
        try:
            while not self._stop.is_set():
                request_id = str(uuid.uuid4())
                while True:
                    try:
                        clue_id = await self._register_once(stubs[at], request_id)
                        break
                    except grpc.aio.AioRpcError as e:
                        assert e.code() in RETRYABLE, f"RegisterClue answered {e.code().name}: {e.details()}"
                        self.outcomes[e.code().name.lower()] += 1
                        at = (at + 1) % len(stubs)
                        await asyncio.sleep(0.1)
                self.acknowledged.add(clue_id)
                self.stack.acknowledged.add(clue_id)
        finally:
            for ch in channels:
                await ch.close()

    async def _register_once(self, stub, request_id: str) -> str:
        request = clues_pb2.RegisterClueRequest(
            source=events_pb2.CLUE_SOURCE_AUDIT,
            summary=self.summary,
            subjects=[identity_pb2.PersonRef(person_id="p-1", name="n")],
        )
        reply = await stub.RegisterClue(
            request, metadata=call_metadata(self.stack.settings, request_id=request_id), timeout=5
        )
        self.outcomes["ok"] += 1
        return reply.clue_id


async def publishing(stack: Stack, address: str) -> int:
    """1 if the clues relay at `address` publishes, 0 if it stands by."""
    async with grpc.aio.insecure_channel(address) as ch:
        status = await control_pb2_grpc.ControlServiceStub(ch).GetStatus(
            control_pb2.GetStatusRequest(), metadata=call_metadata(stack.settings, OPERATOR), timeout=10
        )
    [relay] = [c for c in status.components if c.name.startswith("relay ")]
    return relay.counters["publishing"]


async def test_two_replicas_of_clues_and_of_audit_one_of_each_killed_under_load(tmp_path):
    stack = Stack(tmp_path)
    replicas: list[Replica] = []
    try:
        stack.start("clues")
        stack.start("audit")
        replicas = [Replica(stack, "clues"), Replica(stack, "audit")]
        clues2, audit2 = replicas
        load = SpreadLoad(stack, [stack.address("clues"), clues2.address]).start()
        await load.until(STEP)

        await asyncio.sleep(1.5)  # the second relay has tried the lock (standby_retry_seconds)
        roles = {a: await publishing(stack, a) for a in (stack.address("clues"), clues2.address)}
        assert sorted(roles.values()) == [0, 1], f"not one publisher and one standby: {roles}"
        if roles[stack.address("clues")]:  # kill the publisher, whichever it is
            await asyncio.to_thread(stack.kill, "clues")
            survivor, survivor_log = clues2.address, clues2.log
        else:
            await asyncio.to_thread(clues2.kill)
            survivor, survivor_log = stack.address("clues"), lambda: stack.log("clues")
        for _ in range(300):  # the group gave the second audit replica partitions: it records
            if '"audit.recorded"' in audit2.log():
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the second audit replica recorded nothing in 30 s: no partition shared")
        await asyncio.to_thread(audit2.kill)  # its partitions go to the other audit replica

        for _ in range(150):  # a standby tries every second (standby_retry_seconds)
            if await publishing(stack, survivor):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the standby relay did not take over within 15 s")
        await load.until(len(load.acknowledged) + STEP)
        await load.stop()
        counts = await stack.converged(load, seconds=180)
        assert '"relay.topic_lost"' not in survivor_log(), "the takeover rebuilt the topic"
        assert "relay.publishing" in survivor_log()
        print(f"\n[replicas] {counts}")
    finally:
        for r in replicas:
            r.stop()
        stack.close()
