"""Stuck events in status (issue 28): a delivery the ledger's consumer cannot apply is kept in its
quarantine, and operators see it in `control.v1.GetStatus`, `jjjc status` (a row of its own, and
`stuck_events` in --json) and the metrics (`jjjc_consumer_quarantined`); a relay stuck on an event
shows as `jjjc_relay_stuck` 1 and in the same row. Audit runs in-process on the real PostgreSQL
and the real embedded broker; jjjc is the installed console script."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiokafka import AIOKafkaProducer

from kernel.edge.status import DEGRADED, OK, STUCK, Component, stuck_events
from kernel.runtime.metrics import _Snapshot
from services.audit.main import build as build_audit
from tests.e2e.test_jjjc import jjjc
from tests.e2e.test_metrics import scrape
from tests.e2e.test_status import status
from tests.factories import OPERATOR, service_settings

CONSUMER = "consumer audit-recorder"


@pytest.fixture
async def audit(database_url, bootstrap, unique, tmp_path, monkeypatch):
    settings = service_settings(
        "audit", database_url, bootstrap, f"sk{unique}", tmp_path, database_schema=f"audit_sk{unique}", metrics_port=0
    )
    host = await build_audit(settings).start()
    monkeypatch.setenv("DATA_DIR", str(tmp_path))  # jjjc signs an operator's token with its key
    monkeypatch.setenv("AUDIT_GRPC_PORT", str(host.port))
    monkeypatch.delenv("JJJC_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    yield host
    await host.stop()


async def ledger_consumer(host):
    got = await status(host, OPERATOR)
    return {c.name: c for c in got.components}[CONSUMER]


async def test_a_quarantined_delivery_shows_in_status_jjjc_status_and_metrics(audit, bootstrap):
    before = await ledger_consumer(audit)
    assert before.counters["kept_total"] == 0 and not stuck_events([before])
    samples = await scrape(audit)
    key = ("jjjc_consumer_quarantined", (("consumer", "audit-recorder"), ("service", "audit")))
    assert samples[key] == 0.0
    relay = ("jjjc_relay_stuck", (("service", "audit"), ("topic", audit.settings.topic)))
    assert samples[relay] == 0.0

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:  # not an envelope: kept at once, trying again cannot help
        await producer.send_and_wait(audit.settings.topic_of("clues"), b"not an envelope", key=b"clue-x")
    finally:
        await producer.stop()
    deadline = time.monotonic() + 60
    while (part := await ledger_consumer(audit)).counters["kept_total"] != 1:
        assert time.monotonic() < deadline, f"nothing quarantined: {dict(part.counters)}"
        await asyncio.sleep(0.2)
    assert part.state == DEGRADED and "consumer_quarantine" in part.problems[0]

    assert (await scrape(audit))[key] == 1.0
    got = await jjjc("status", "-s", "audit", "--json")
    assert got.exit_code == 0, got.output
    [report] = json.loads(got.stdout)
    assert report["stuck_events"] == {CONSUMER: "1 quarantined delivery"}
    summary = await jjjc("status", "-s", "audit")  # the summary's stuck-events column names it
    assert summary.exit_code == 0 and f"{CONSUMER}: 1 quarantined" in summary.stdout, summary.output
    table = await jjjc("status", "-s", "audit", "--parts")
    assert table.exit_code == 0, table.output
    [row] = [line for line in table.stdout.splitlines() if "stuck events" in line]
    assert "stuck" in row.replace("stuck events", "") and f"{CONSUMER}: 1 quarantined delivery" in row


def test_a_stuck_relay_is_a_stuck_event_and_a_metric():
    """The relay's stuck record (a stored event the broker refuses): its problem in the row, 1 in
    `jjjc_relay_stuck`; parts with nothing stuck are left out."""
    parts = [
        Component("relay clues.events.v1", STUCK, {"stuck_position": 17}, ("stuck on event e-17 (too large)",)),
        Component("relay other.events.v1", OK),
        Component("consumer followers", OK, {"kept_total": 0}),
        Component("consumer ledger", DEGRADED, {"kept_total": 3}),
    ]
    assert stuck_events(parts) == {
        "relay clues.events.v1": "stuck on event e-17 (too large)",
        "consumer ledger": "3 quarantined deliveries",
    }
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in _Snapshot("clues", parts).collect()
        for s in family.samples
    }
    assert samples[("jjjc_relay_stuck", (("service", "clues"), ("topic", "clues.events.v1")))] == 1.0
    assert samples[("jjjc_relay_stuck", (("service", "clues"), ("topic", "other.events.v1")))] == 0.0
    assert samples[("jjjc_consumer_quarantined", (("consumer", "ledger"), ("service", "clues")))] == 3.0
    assert samples[("jjjc_consumer_quarantined", (("consumer", "followers"), ("service", "clues")))] == 0.0
