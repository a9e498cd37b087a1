"""`jjjc demo` (issue 29 point 1) against the shipped COUNTY platform started as `make run` starts
it: the small demo loaded through the services' gRPC API, then loaded again. The second run finds
every part already there and appends nothing to any service's streams (only its reads are on the
record, as every read is: domain.md §1); the queries answer with the demo's data, and audit tells
a demo case's story from the clue to the execution of its decision."""

from __future__ import annotations

import pytest

from tests.e2e.platforms import platform_fixture
from tools.demo import load
from tools.demo.loader import audit_caught_up
from tools.demo.session import Session

pytestmark = pytest.mark.e2e

platform = platform_fixture("dm", clocked=None)
SEED = 7


def targets_of(hosts) -> dict[str, str]:
    return {h.settings.service: f"127.0.0.1:{h.port}" for h in hosts}


async def written(hosts) -> dict[str, int]:
    """Each service's events outside its read records (read-<uuid> streams)."""
    counts = {}
    for h in hosts:
        schema = h.store.schema
        counts[h.settings.service] = await h.pool.fetchval(
            f"SELECT count(*) FROM {schema}.events WHERE stream_id NOT LIKE 'read-%'"
        )
    return counts


async def test_the_small_demo_loads_and_a_second_run_adds_nothing(platform):
    targets, key = targets_of(platform), platform[0].settings.signing_key_file
    first = await load(targets, key, size="small", seed=SEED)
    assert not first.complete_before and first.sent >= first.steps // 2
    assert len(first.case_ids) == 2 and all(first.decision_ids) and first.tour_round and first.integrity_request
    before = await written(platform)
    second = await load(targets, key, size="small", seed=SEED)
    assert second.complete_before and second.already == second.steps
    assert (second.case_ids, second.decision_ids, second.tour_round) == (
        first.case_ids,
        first.decision_ids,
        first.tour_round,
    )
    assert await written(platform) == before
    await the_queries_show_the_demo(targets, key, first)


async def the_queries_show_the_demo(targets, key, report) -> None:
    from tools.demo.cast import CASE_MANAGER

    s = Session(targets, key, "check")
    try:
        steps = await audit_caught_up(s, report.case_ids[0])
        story = await s.read("AuditService.GetHistory", CASE_MANAGER, subject=report.case_ids[0], purpose="check")
        told = [step.event_type.split(".")[-1] for step in story.steps]
        assert len(told) == steps and told[0] == "ClueRegistered"
        for expected in ("CaseFiled", "MeasureApproved", "CaseDisposed", "DecisionIssued", "ExecutionItemReported"):
            assert expected in told, (expected, told)
        assert any(step.recordings for step in story.steps) or "ActivityRecorded" in told
    finally:
        await s.close()
