"""`jjjc demo` (issue 29 point 1) against the shipped COUNTY platform started as `make run` starts
it: the small demo loaded through the services' gRPC API, then loaded again. The second run finds
every part already there and appends nothing to any service's streams (only its reads are on the
record, as every read is: domain.md §1); the queries answer with the demo's data, and audit tells
a demo case's story from the clue to the execution of its decision."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import grpc
import pytest

from kernel.domain.principal import Principal
from tests.e2e.platforms import platform_fixture
from tools.demo import load
from tools.demo.loader import audit_caught_up
from tools.demo.plan import make_plan, total_steps
from tools.demo.session import DemoError, Session

pytestmark = pytest.mark.e2e

platform = platform_fixture("dm", clocked=None)
SEED = 7
SCRIPT = Path(sys.executable).parent / "jjjc"  # the console script `make install` puts there


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
    assert not first.complete_before and first.sent == total_steps(make_plan(SEED, "small"))  # the bar's total
    assert len(first.case_ids) == 2 and all(first.decision_ids) and first.tour_round and first.integrity_request
    before = await written(platform)
    said = await jjjc_demo(targets, key)
    assert said.startswith(f"already loaded: {first.steps} of {first.steps} steps (seed {SEED}, small); nothing added")
    assert f"subject: {first.case_ids[0]}" in said
    second = await load(targets, key, size="small", seed=SEED)
    assert second.complete_before and second.already == second.steps
    assert (second.case_ids, second.decision_ids, second.tour_round) == (
        first.case_ids,
        first.decision_ids,
        first.tour_round,
    )
    assert await written(platform) == before
    await the_queries_show_the_demo(targets, key, first)


class Interrupted(Exception):
    """The operator's Ctrl-C, at a step of the test's choosing."""


async def test_a_load_interrupted_late_is_finished_by_the_next_run(platform):
    """Steps stating when they happen (meetings, deliveries) carry another time on the next run:
    their request ids answer "already used", which the loader takes as done."""
    targets, key = targets_of(platform), platform[0].settings.signing_key_file
    total, seen = total_steps(make_plan(SEED + 1, "small")), []

    def stop_late(n: int) -> None:  # the cases then are past their topic meetings
        seen.append(n)
        if len(seen) > total * 3 // 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        await load(targets, key, size="small", seed=SEED + 1, advance=stop_late)
    finished = await load(targets, key, size="small", seed=SEED + 1)
    assert not finished.complete_before and len(finished.case_ids) == 2 and all(finished.decision_ids)
    assert finished.done_before >= 1  # the topic meetings at least: they state when they were held
    again = await load(targets, key, size="small", seed=SEED + 1)
    assert again.complete_before and again.case_ids == finished.case_ids


async def jjjc_demo(targets: dict[str, str], key) -> str:
    """`jjjc demo --size small` run as an operator runs it, pointed at the test's services."""
    env = {**os.environ, "TOKEN_SIGNING_KEY_FILE": str(key), "GRPC_HOST": "127.0.0.1"}
    env.update({f"{name.upper()}_GRPC_PORT": target.rpartition(":")[2] for name, target in targets.items()})
    run = await asyncio.create_subprocess_exec(
        SCRIPT, "demo", "--size", "small", "--seed", str(SEED), "--quiet", env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await run.communicate()
    assert run.returncode == 0, err.decode()
    return out.decode()


async def the_queries_show_the_demo(targets, key, report) -> None:
    """Every service answers with the demo's data; audit tells the first case from its clue to its
    decision's execution, with who approved, the detention and the interrogation's recording."""
    from tools.demo.cast import ARCHIVES, CASE_MANAGER, HEAD, TOUR

    s = Session(targets, key, "check")
    try:
        await audit_caught_up(s, report.case_ids[0])
        story = await s.read("AuditService.GetHistory", CASE_MANAGER, subject=report.case_ids[0], purpose="check")
        told = [step.event_type.split(".")[-1] for step in story.steps]
        assert told[0] == "ClueRegistered" and {sub.id for sub in story.subjects} >= {
            report.case_ids[0],
            report.clue_ids[0],
            report.decision_ids[0],
        }
        for expected in ("CaseFiled", "MeasureApproved", "CaseDisposed", "DecisionIssued", "ExecutionItemReported"):
            assert expected in told, (expected, told)
        assert any(step.approval.user == "zhang.jianguo" for step in story.steps)
        [recording] = [r for step in story.steps for r in step.recordings]
        assert recording.duration_seconds >= 2400 and len(recording.sha256) == 64
        outsider = Principal(*report.outsider)  # another office: the case is unknown to it (domain.md §1)
        with pytest.raises(DemoError) as hidden:
            await s.read("AuditService.GetHistory", outsider, subject=report.case_ids[0], purpose="curious")
        assert hidden.value.code == grpc.StatusCode.NOT_FOUND
        done = await s.read("ExecutionService.ListExecutionItems", ARCHIVES, status="DONE", purpose="check")
        assert {i.decision_id for i in done.items} == set(report.decision_ids)
        notices = await s.read("ClueService.ListSupervisionNotices", CASE_MANAGER, purpose="check")
        met = {
            n.notice_id.split("-")[-1]: n.HasField("satisfied_at") for n in notices.notices if n.notice_id[:3] == "DB-"
        }
        assert met == {"07": True, "08": False}  # seed 004: one met by the fast track, one still open
        assert any(n.notice_id.startswith("integrity:") and n.HasField("satisfied_at") for n in notices.notices)
        queue = await s.read("ClueService.ListAwaitingMe", HEAD, purpose="check")  # the awaiting-me view
        assert "ApproveDisposal" in {i.step for i in queue.items}
        rnd = await s.read("TourService.GetTourRound", TOUR, round_id=report.tour_round, purpose="check")
        assert len(rnd.problems) == 6 and len(rnd.letters) == 1 and len(rnd.transfers) == 1
        asked = await s.read("IntegrityService.GetIntegrityRequest", CASE_MANAGER, request_id=report.integrity_request)
        assert asked.request.state == "REPLIED" and asked.request.pending == 1  # the fast-tracked one
        waiting = await s.read("SanctionService.ListDecisions", CASE_MANAGER, case_id=report.case_ids[1], purpose="c")
        assert len(waiting.decisions) == 2  # the Party one awaits its draft
    finally:
        await s.close()
