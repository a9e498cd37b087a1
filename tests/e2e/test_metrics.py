"""Issue 28 points 2 and 3 over real gRPC: a service's /metrics in Prometheus text format (parsed
with prometheus_client's own parser) counts every call by method and code, refusals included, and
carries the figures of GetStatus; its log has one line per unit of work naming the service, the
command, the stream, the new state, the principal and the correlation id; a refusal names the user
and the reason; a corrupt request is INVALID_ARGUMENT with no traceback anywhere in the log."""

from __future__ import annotations

import io
import json
import logging
import uuid

import aiohttp
import grpc
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from clues.v1 import events_pb2, service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.runtime import log as klog
from services.clues.main import build as build_clues
from tests.factories import ALICE, OPERATOR, call_metadata, service_settings

STATUS = "/control.v1.ControlService/GetStatus"
REGISTER = "/clues.v1.ClueService/RegisterClue"


@pytest.fixture
def log_lines():
    """The process's log pipeline (kernel.runtime.log) writing JSON into a buffer for the test, as
    a service started by `serve` would; the previous configuration restored afterwards."""
    saved, handlers, level = structlog.get_config(), logging.getLogger().handlers[:], logging.getLogger().level
    buffer = io.StringIO()
    klog.configure(service="clues", fmt="json", stream=buffer, force=True)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    structlog.configure(**saved)
    root = logging.getLogger()
    for h in root.handlers[:]:
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)
    klog._configured, klog._service = False, None


@pytest.fixture
async def clues(log_lines, database_url, bootstrap, unique, tmp_path):
    settings = service_settings(
        "clues", database_url, bootstrap, f"mx{unique}", tmp_path, database_schema=f"clues_mx{unique}", metrics_port=0
    )
    host = await build_clues(settings).start()
    yield host
    await host.stop()


async def scrape(host) -> dict:
    """{(metric sample name, labels as a sorted tuple): value} from the service's /metrics."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{host.metrics_server.port}/metrics") as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
            text = await r.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def count(samples: dict, method: str, code: str) -> float:
    key = ("jjjc_rpc_requests_total", (("code", code), ("method", method), ("service", "clues")))
    return samples.get(key, 0.0)


async def test_metrics_count_calls_by_method_and_code_and_carry_the_status_figures(clues, log_lines):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        stub = control_pb2_grpc.ControlServiceStub(ch)
        await stub.GetStatus(control_pb2.GetStatusRequest(), metadata=call_metadata(clues.settings, OPERATOR))
        with pytest.raises(grpc.aio.AioRpcError) as refused:  # an officer may not read the status
            await stub.GetStatus(control_pb2.GetStatusRequest(), metadata=call_metadata(clues.settings, ALICE))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await stub.GetStatus(control_pb2.GetStatusRequest())
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    samples = await scrape(clues)
    assert count(samples, STATUS, "OK") == 1
    assert count(samples, STATUS, "PERMISSION_DENIED") == 1
    assert count(samples, STATUS, "UNAUTHENTICATED") == 1
    histogram = ("jjjc_rpc_duration_seconds_count", (("code", "OK"), ("method", STATUS), ("service", "clues")))
    assert samples[histogram] == 1
    [build] = [labels for name, labels in samples if name == "jjjc_build_info"]
    assert dict(build)["service"] == "clues" and dict(build)["version"]
    # the same figures as GetStatus: the relay's, each consumer's, the store's
    relay = f"relay {clues.settings.topic}"
    assert samples[("jjjc_component_state", (("component", relay), ("service", "clues"), ("state", "ok")))] == 1
    figures = {labels: v for (name, labels), v in samples.items() if name == "jjjc_component_figure"}
    assert (("component", relay), ("figure", "published"), ("service", "clues")) in figures
    store = {dict(k)["figure"]: v for k, v in figures.items() if dict(k)["component"] == "store"}
    assert {"events", "relay_backlog", "timers_pending", "timers_due"} <= set(store)
    assert any(dict(k)["component"].startswith("consumer ") for k in figures)
    # a refusal's line names the user, the code and the reason
    [line] = [x for x in log_lines() if x["event"] == "rpc.refused"]
    assert line["user"] == ALICE.user and line["code"] == "PERMISSION_DENIED" and line["reason"]
    assert line["service"] == "clues" and line["rpc"] == "GetStatus" and line["correlation_id"]


async def test_one_line_per_command_names_the_stream_its_new_state_the_principal_and_correlation(clues, log_lines):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        resp = await clues_grpc.ClueServiceStub(ch).RegisterClue(
            clues_pb2.RegisterClueRequest(
                source=events_pb2.CLUE_SOURCE_PETITION,
                summary="took bribes for permits",
                subjects=[identity_pb2.PersonRef(person_id="p-100", name="Zhang San", post="bureau chief")],
            ),
            metadata=call_metadata(clues.settings, request_id=str(uuid.uuid4()), correlation="corr-log-line"),
        )
        await clues_grpc.ClueServiceStub(ch).GetClue(
            clues_pb2.GetClueRequest(clue_id=resp.clue_id, purpose="check the registration"),
            metadata=call_metadata(clues.settings),
        )
    [line] = [x for x in log_lines() if x["event"] == "rpc.ok" and x.get("rpc") == "RegisterClue"]
    assert line["service"] == "clues" and line["stream"] == resp.clue_id and line["state"] == "RECEIVED"
    assert line["version"] == 1 and line["user"] == ALICE.user and line["role"] == ALICE.role
    assert line["correlation_id"] == "corr-log-line" and line["level"] == "info"
    assert count(await scrape(clues), REGISTER, "OK") == 1
    [read] = [x for x in log_lines() if x["event"] == "rpc.ok" and x.get("rpc") == "GetClue"]
    assert read["read"] == resp.clue_id and read["state"] == "RECEIVED" and read["user"] == ALICE.user


async def test_a_corrupt_request_is_invalid_argument_counted_and_leaves_no_traceback(clues, log_lines):
    health, reflection = (
        "/grpc.health.v1.Health/Check",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    )
    corrupt = b"\xff\xff\xff\xff not a protobuf"
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        for method in (REGISTER, health):  # a servicer's RPC; an open one (grpc decoded those itself)
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await ch.unary_unary(method)(corrupt, metadata=call_metadata(clues.settings))
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method
        with pytest.raises(grpc.aio.AioRpcError) as bad:  # a request stream's message
            async for _ in ch.stream_stream(reflection)(iter([corrupt])):
                pass
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    samples = await scrape(clues)
    for method in (REGISTER, health, reflection):
        assert count(samples, method, "INVALID_ARGUMENT") == 1, method
    lines = log_lines()
    assert [x["method"] for x in lines if x["event"] == "rpc.undecodable"] == [REGISTER, health, reflection]
    assert not [x for x in lines if "exception" in x or "Traceback" in json.dumps(x) or x["level"] == "error"]
